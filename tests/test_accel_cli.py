"""`python -m accel` as a user runs it: subprocesses, exit codes, one-line errors, diffable output."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accel.tflite_import import load_tflite
from training.zoo import bad_model, zoo_model

ROOT = Path(__file__).resolve().parents[1]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "accel", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def assert_error(r):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def test_help():
    r = cli("--help")
    assert r.returncode == 0 and "inspect" in r.stdout and "run" in r.stdout
    r = cli("run", "--help")
    assert r.returncode == 0 and "--engine" in r.stdout and "golden" in r.stdout


def test_inspect_mlperf():
    r = cli("inspect", zoo_model("mlperf"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "2656768 MACs" in out and "per-channel" in out and "AVERAGE_POOL_2D" in out
    assert "10x4" in out and "SAME" in out
    rows = [l for l in out.splitlines() if l.strip()[:2].strip().isdigit()]
    assert len(rows) == 12


def test_run_golden_equals_tflm(tmp_path, seed):
    path = zoo_model("dw_stride2")
    model = load_tflite(path)
    x = np.random.default_rng(seed).integers(-128, 128, (5,) + tuple(model.input.shape), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    g = cli("run", path, "--input", tmp_path / "x.npy", "--engine", "golden", "--output", tmp_path / "y.npy")
    t = cli("run", path, "--input", tmp_path / "x.npy", "--engine", "tflm")
    assert g.returncode == 0 and t.returncode == 0, g.stderr + t.stderr
    assert g.stdout == t.stdout
    lines = g.stdout.splitlines()
    assert len(lines) == 5 and lines[0].startswith("output[0]: [") and "argmax=" in lines[0]
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (5, 12) and y.dtype == np.int8
    assert int(lines[3].split("argmax=")[1]) == int(np.argmax(y[3]))
    # Single input without batch axis.
    np.save(tmp_path / "x1.npy", x[0])
    r = cli("run", path, "--input", tmp_path / "x1.npy")
    assert r.returncode == 0 and r.stdout.splitlines() == lines[:1]


def test_usage_errors_one_line():
    assert_error(cli())
    assert_error(cli("run", zoo_model("narrow")))          # --input missing
    assert_error(cli("frobnicate"))


@pytest.mark.parametrize("case", ["float_model", "unsupported_op", "depth_mult", "truncated", "corrupt",
                                  "missing_model", "missing_input", "float_input", "bad_shape", "not_npy",
                                  "bad_engine"])
def test_cli_errors(case, tmp_path):
    good = zoo_model("narrow")
    x = np.zeros(load_tflite(good).input.shape, np.int8)
    np.save(tmp_path / "x.npy", x)
    model, inp, extra = good, tmp_path / "x.npy", []
    if case == "float_model":
        model = bad_model("float")
    elif case == "unsupported_op":
        model = bad_model("add")
    elif case == "depth_mult":
        model = bad_model("depth_mult2")
    elif case == "truncated":
        model = tmp_path / "t.tflite"
        model.write_bytes(good.read_bytes()[:1000])
    elif case == "corrupt":
        model = tmp_path / "c.tflite"
        b = bytearray(good.read_bytes())
        b[8:400] = bytes(392)
        model.write_bytes(bytes(b))
    elif case == "missing_model":
        model = tmp_path / "nope.tflite"
    elif case == "missing_input":
        inp = tmp_path / "nope.npy"
    elif case == "float_input":
        np.save(tmp_path / "f.npy", x.astype(np.float32))
        inp = tmp_path / "f.npy"
    elif case == "bad_shape":
        np.save(tmp_path / "s.npy", np.zeros((10, 49), np.int8))
        inp = tmp_path / "s.npy"
    elif case == "not_npy":
        inp = tmp_path / "n.npy"
        inp.write_text("hello")
    elif case == "bad_engine":
        extra = ["--engine", "verilog"]
    msg = assert_error(cli("run", model, "--input", inp, *extra))
    if case in ("float_model", "unsupported_op", "depth_mult", "truncated", "corrupt", "missing_model"):
        msg2 = assert_error(cli("inspect", model))
        assert msg2 == msg
    if case == "unsupported_op":
        assert "ADD" in msg and "layer 2" in msg

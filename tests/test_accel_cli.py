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


# ------------------------------------------------------------------------------------------------
# composing with the front-end, labels, input shapes and output safety

BUNDLED = ROOT / "models" / "dscnn_int8.tflite"


def _clip_label(name):
    import json
    clips = json.loads((ROOT / "models" / "clips" / "clips.json").read_text())["clips"]
    return next(c["label"] for c in clips if c["file"] == name)


def test_frontend_features_compose_with_accel_run(tmp_path):
    """`python -m frontend features CLIP --mode mfcc --out f.npy` -> `python -m accel run` names the keyword."""
    f = tmp_path / "f.npy"
    fe = subprocess.run([sys.executable, "-m", "frontend", "features", ROOT / "models" / "clips" / "04_yes.wav",
                         "--mode", "mfcc", "--out", f], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert fe.returncode == 0, fe.stderr
    feats = np.load(f)
    assert feats.shape == (49, 10) and feats.dtype == np.int8
    label = _clip_label("04_yes.wav")
    assert label == "yes"
    from training.labels import LABELS
    for engine in ("golden", "tflm"):
        r = cli("run", BUNDLED, "--input", f, "--engine", engine)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == 1 and lines[0].startswith("output[0]: [")
        assert lines[0].endswith(f" argmax={LABELS.index(label)} ({label})"), lines[0]
    # The same tensor in the model's own shape prints the same line; --no-labels drops the name only.
    np.save(tmp_path / "full.npy", feats.reshape(49, 10, 1))
    full = cli("run", BUNDLED, "--input", tmp_path / "full.npy")
    assert full.returncode == 0 and full.stdout == r.stdout
    plain = cli("run", BUNDLED, "--input", f, "--no-labels")
    assert plain.returncode == 0 and plain.stdout.strip() == r.stdout.strip()[:-len(f" ({label})")]


def test_squeezed_batch_is_reshaped_not_reordered(tmp_path, seed):
    path = zoo_model("narrow")
    model = load_tflite(path)
    assert tuple(model.input.shape) == (49, 10, 1)
    x = np.random.default_rng(seed).integers(-128, 128, (3, 49, 10), dtype=np.int8)
    np.save(tmp_path / "sq.npy", x)
    np.save(tmp_path / "full.npy", x.reshape(3, 49, 10, 1))
    a = cli("run", path, "--input", tmp_path / "sq.npy", "--output", tmp_path / "ya.npy")
    b = cli("run", path, "--input", tmp_path / "full.npy", "--output", tmp_path / "yb.npy")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and len(a.stdout.splitlines()) == 3
    assert np.array_equal(np.load(tmp_path / "ya.npy"), np.load(tmp_path / "yb.npy"))
    from accel.tensor_io import load_input
    batch, single = load_input(tmp_path / "sq.npy", model)
    assert batch.shape == (3, 49, 10, 1) and not single and np.array_equal(batch.reshape(-1), x.reshape(-1))
    np.save(tmp_path / "one.npy", x[1])
    batch, single = load_input(tmp_path / "one.npy", model)
    assert batch.shape == (1, 49, 10, 1) and single
    # A transposed tensor is still refused (no reordering), naming both accepted shapes.
    np.save(tmp_path / "t.npy", np.ascontiguousarray(x[0].T))
    msg = assert_error(cli("run", path, "--input", tmp_path / "t.npy"))
    assert "(10, 49)" in msg and "(49, 10, 1)" in msg and "(49, 10)" in msg


def test_labels_sidecar(tmp_path, seed):
    from accel.labels import LabelsError, labels_path, model_labels
    model_file = tmp_path / "m.tflite"
    model_file.write_bytes(zoo_model("narrow").read_bytes())
    assert labels_path(model_file) == tmp_path / "m.labels.txt"
    x = np.random.default_rng(seed).integers(-128, 128, (4, 49, 10, 1), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    # Missing: None, and the plain line format.
    assert model_labels(model_file, 12) is None
    plain = cli("run", model_file, "--input", tmp_path / "x.npy")
    assert plain.returncode == 0 and "(" not in plain.stdout
    # Present: the argmax's name after argmax=k, nothing else changes.
    names = [f"word{i}" for i in range(12)]
    labels_path(model_file).write_text("\n".join(names) + "\n\n")
    assert model_labels(model_file, 12) == names
    named = cli("run", model_file, "--input", tmp_path / "x.npy")
    assert named.returncode == 0, named.stderr
    for p, n in zip(plain.stdout.splitlines(), named.stdout.splitlines()):
        k = int(p.split("argmax=")[1])
        assert n == f"{p} (word{k})"
    # Mismatched count: one line naming the file and both counts, before any output.
    labels_path(model_file).write_text("\n".join(names[:11]) + "\n")
    with pytest.raises(LabelsError, match="11 labels but the model has 12 outputs"):
        model_labels(model_file, 12)
    r = cli("run", model_file, "--input", tmp_path / "x.npy")
    msg = assert_error(r)
    assert "m.labels.txt" in msg and "11 labels" in msg and "12 outputs" in msg and r.stdout == ""
    # An empty label in the middle is refused too.
    labels_path(model_file).write_text("\n".join(names[:5] + [""] + names[6:]) + "\n")
    assert "line 6 is empty" in assert_error(cli("run", model_file, "--input", tmp_path / "x.npy"))


def test_bundled_model_labels_are_the_training_labels():
    from accel.labels import model_labels
    from training.labels import LABELS
    assert model_labels(BUNDLED, 12) == list(LABELS)


def test_export_writes_labels_sidecar(tmp_path):
    from accel.labels import labels_path, model_labels
    from training.export import export_int8
    from training.zoo import build_zoo_keras
    model, data = build_zoo_keras("narrow")
    names = [f"c{i}" for i in range(12)]
    path = export_int8(model, data[:8], tmp_path / "k.tflite", labels=names)
    assert model_labels(path, 12) == names
    with pytest.raises(ValueError):
        export_int8(model, data[:8], tmp_path / "k2.tflite", labels=names[:3])
    export_int8(model, data[:8], path)          # re-exported without labels: the stale sidecar goes
    assert not labels_path(path).exists()


def test_output_equal_to_input_is_refused(tmp_path):
    path = zoo_model("narrow")
    x = np.zeros((2, 49, 10, 1), np.int8)
    np.save(tmp_path / "x.npy", x)
    before = (tmp_path / "x.npy").read_bytes()
    r = cli("run", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "x.npy")
    msg = assert_error(r)
    assert "also an input" in msg and r.stdout == ""
    # Also when spelled differently, or without the .npy that numpy.save would append.
    r = cli("run", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "." / "x")
    assert "also an input" in assert_error(r)
    assert (tmp_path / "x.npy").read_bytes() == before
    # An output that cannot be written is refused before any work too.
    (tmp_path / "d.npy").mkdir()
    r = cli("run", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "d.npy")
    assert "directory" in assert_error(r) and r.stdout == ""
    # A missing parent folder is created.
    r = cli("run", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "new" / "y.npy")
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "new" / "y.npy").shape == (2, 12)


def test_npz_named_npy_is_refused(tmp_path):
    path = zoo_model("narrow")
    with open(tmp_path / "x.npy", "wb") as f:
        np.savez(f, x=np.zeros((49, 10, 1), np.int8))
    msg = assert_error(cli("run", path, "--input", tmp_path / "x.npy"))
    assert ".npz" in msg and "x.npy" in msg


def test_errors_are_user_errors():
    from accel.cli import CliError
    from accel.ir import ModelError
    from accel.labels import LabelsError
    from accel.tensor_io import InputError
    from kws.cli import UserError
    for cls in (CliError, ModelError, InputError, LabelsError):
        assert issubclass(cls, UserError)


def test_c_table_cli(tmp_path):
    out = tmp_path / "k.c"
    r = subprocess.run([sys.executable, "-m", "accel.c_table", zoo_model("narrow"), "--name", "kws", "-o", out],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from accel.c_table import emit_c
    assert out.read_text() == emit_c(load_tflite(zoo_model("narrow")), "kws")
    r = subprocess.run([sys.executable, "-m", "accel.c_table", bad_model("add")], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert "ADD" in assert_error(r)


def test_output_without_npy_suffix_and_directories_are_refused(tmp_path):
    """`--output DIR` or `--output name` used to write DIR.npy / name.npy silently; a directory as the
    model or the input names itself."""
    path = zoo_model("narrow")
    np.save(tmp_path / "x.npy", np.zeros((49, 10, 1), np.int8))
    (tmp_path / "d").mkdir()
    for out in (tmp_path / "d", tmp_path / "name"):
        r = cli("run", path, "--input", tmp_path / "x.npy", "--output", out)
        assert "ending in .npy" in assert_error(r) and r.stdout == ""
        assert not Path(str(out) + ".npy").exists()
    assert "is a directory" in assert_error(cli("inspect", tmp_path / "d"))
    assert "is a directory" in assert_error(cli("run", path, "--input", tmp_path / "d"))

"""`soc/build.py --model M --input X.npy`: the model run by the firmware inside the Verilator SoC must
print the same int8 outputs as `python -m accel run` (golden) and tflite-micro."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accel import golden
from accel.tflm import run_tflm
from accel.tflite_import import load_tflite
from training.zoo import zoo_model

ROOT = Path(__file__).resolve().parents[1]
OUT_RE = re.compile(r"^output\[(\d+)\]: \[([-\d ]+) \] argmax=(\d+) cycles=(\d+)$", re.M)


def soc_run(model, x_path, *extra):
    return subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--model", str(model),
                           "--input", str(x_path), "--timeout", "900", *extra],
                          cwd=ROOT, capture_output=True, text=True)


def test_cpu_only_soc_equals_golden_and_tflm(tmp_path, seed):
    path = zoo_model("narrow")
    model = load_tflite(path)
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (2,) + tuple(model.input.shape), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    r = soc_run(path, tmp_path / "x.npy", "--cpu-only")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    got = [(int(m.group(1)), np.array(m.group(2).split(), int), int(m.group(3))) for m in OUT_RE.finditer(r.stdout)]
    assert [g[0] for g in got] == [0, 1]
    gold = golden.run(model, x)
    tflm = np.stack([run_tflm(str(path), xi) for xi in x])
    for i, y, am in got:
        assert np.array_equal(y, gold[i].reshape(-1)), f"input {i}: SoC {y} golden {gold[i]}"
        assert np.array_equal(y, np.asarray(tflm[i]).reshape(-1))
        assert am == int(np.argmax(gold[i]))
    # Same line format as `python -m accel run` (minus the cycles), so the two can be diffed.
    np.save(tmp_path / "x0.npy", x[0])
    cli = subprocess.run([sys.executable, "-m", "accel", "run", str(path), "--input", str(tmp_path / "x0.npy"),
                          "--engine", "golden"], cwd=ROOT, capture_output=True, text=True)
    soc_line = re.search(r"^output\[0\]: .* argmax=\d+", r.stdout, re.M).group(0)
    assert soc_line == cli.stdout.strip()


def test_input_of_wrong_shape_is_one_line(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((3, 7), np.int8))
    r = soc_run(zoo_model("narrow"), tmp_path / "bad.npy")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "does not match the model input (49, 10, 1)" in r.stderr


def test_input_of_wrong_dtype_is_one_line(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((49, 10, 1), np.float32))
    r = soc_run(zoo_model("narrow"), tmp_path / "bad.npy")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "expected int8" in r.stderr


def _model(name):
    """A zoo model, or the bundled trained model (models/*.tflite) for "bundled"."""
    if name == "bundled":
        found = sorted((ROOT / "models").glob("*.tflite"))
        assert found, "no bundled model in models/"
        return found[0]
    return zoo_model(name)


@pytest.mark.parametrize("name", ["narrow", "mlperf", "bundled"])
def test_accel_soc_equals_golden_and_tflm(tmp_path, seed, name):
    """The accelerated SoC (firmware accel_load + accel_run, CPU tail) equals golden and TFLM exactly.

    Guards the firmware/image contract: the program header's quant array is already at the bus stride
    and accel_load must copy it verbatim (it used to re-stride it, so every quant word but the first
    got the wrong bias/multiplier/shift and layer 0 was already wrong in the SoC)."""
    path = _model(name)
    model = load_tflite(path)
    n = 5
    x = np.random.default_rng(seed).integers(-128, 128, (n,) + tuple(model.input.shape), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    r = soc_run(path, tmp_path / "x.npy")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "accelerator + CPU tail" in r.stdout
    got = [(int(m.group(1)), np.array(m.group(2).split(), int), int(m.group(3)), int(m.group(4)))
           for m in OUT_RE.finditer(r.stdout)]
    assert [g[0] for g in got] == list(range(n)), r.stdout[-2000:]
    gold = golden.run(model, x)
    tflm = np.stack([run_tflm(str(path), xi) for xi in x])
    for i, y, am, _ in got:
        assert np.array_equal(y, gold[i].reshape(-1)), f"{name} input {i}: SoC {y} golden {gold[i].reshape(-1)}"
        assert np.array_equal(y, np.asarray(tflm[i]).reshape(-1)), f"{name} input {i}: SoC {y} TFLM {tflm[i]}"
        assert am == int(np.argmax(gold[i]))
    cycles = [g[3] for g in got]
    assert all(c > 0 for c in cycles)
    print(f"\n[cycles] {name}: accelerated SoC inference (input write + accelerator + CPU tail): "
          f"{cycles} (mean {np.mean(cycles):.0f})")


def test_model_too_big_for_the_accelerator_is_one_line(tmp_path):
    """A model over the accelerator's SRAM: one line with the sizes, suggesting --cpu-only."""
    path = zoo_model("wide")
    model = load_tflite(path)
    np.save(tmp_path / "x.npy", np.zeros(tuple(model.input.shape), np.int8))
    r = soc_run(path, tmp_path / "x.npy")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "does not fit the accelerator SRAM" in r.stderr and "--cpu-only" in r.stderr

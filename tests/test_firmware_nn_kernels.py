"""C int8 kernels (firmware/nn, native build) vs the golden model: primitives, random layers, whole zoo models."""
import ctypes
import fcntl
import shutil
import subprocess
from ctypes import POINTER, c_int8, c_int32
from pathlib import Path

import numpy as np
import pytest

from accel import c_table as nn_table
from accel import golden, quant
from accel import softmax as sm
from accel.ir import OPS, Layer, QTensor, out_size, same_padding
from accel.tflite_import import load_tflite
from training.zoo import zoo_model, zoo_names

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "build" / "nn" / "libkwsnn.so"

_I32 = ("op", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w", "s_h", "s_w", "pad_t", "pad_l",
        "in_zp", "out_zp", "act_min", "act_max")


class NnLayer(ctypes.Structure):
    """Mirror of nn_layer_t (firmware/nn/nn_model.h)."""
    _fields_ = [(n, c_int32) for n in _I32] + [
        ("weights", POINTER(c_int8)), ("bias", POINTER(c_int32)), ("mult", POINTER(c_int32)),
        ("shift", POINTER(c_int32)), ("sm_mult", c_int32), ("sm_shift", c_int32), ("sm_diff_min", c_int32)]


class NnModel(ctypes.Structure):
    _fields_ = [("n_layers", c_int32), ("layers", POINTER(NnLayer)), ("buf_bytes", c_int32)]


@pytest.fixture(scope="session")
def lib():
    LIB.parent.mkdir(parents=True, exist_ok=True)
    with open(LIB.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-j1", "-C", str(ROOT / "firmware" / "nn"), "native"], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    so = ctypes.CDLL(str(LIB))
    for name, args in (("nn_srdhm", [c_int32, c_int32]), ("nn_rdbpot", [c_int32, c_int32]),
                       ("nn_mbqm", [c_int32, c_int32, c_int32]), ("nn_exp_on_negative_values_q5", [c_int32]),
                       ("nn_one_over_one_plus_x", [c_int32])):
        fn = getattr(so, name)
        fn.argtypes, fn.restype = args, c_int32
    so.nn_layer_run.argtypes = [POINTER(NnLayer), POINTER(c_int8), POINTER(c_int8)]
    so.nn_layer_run.restype = ctypes.c_int
    so.nn_model_run.argtypes = [POINTER(NnModel), POINTER(c_int8), POINTER(c_int8), POINTER(c_int8),
                                POINTER(c_int8), POINTER(c_int32)]
    so.nn_model_run.restype = ctypes.c_int
    so.nn_model_run_from.argtypes = [POINTER(NnModel), c_int32] + so.nn_model_run.argtypes[1:]
    so.nn_model_run_from.restype = ctypes.c_int
    return so


def _hwc(shape):
    shape = tuple(int(d) for d in shape)
    return shape if len(shape) == 3 else (1, 1, int(np.prod(shape)))


def _ptr(arr, ctype):
    return arr.ctypes.data_as(POINTER(ctype)) if arr is not None else None


def layer_to_c(layer: Layer):
    """(NnLayer, keep-alive arrays) for an IR layer, via nn_table.layer_fields (the firmware's mapping)."""
    d = nn_table.layer_fields(layer)
    s = NnLayer(**{k: v for k, v in d["fields"].items()})
    keep = [a for a in d["arrays"].values() if a is not None]
    for key, ctype in (("weights", c_int8), ("bias", c_int32), ("mult", c_int32), ("shift", c_int32)):
        setattr(s, key, _ptr(d["arrays"][key], ctype))
    return s, keep


def c_layer(lib, layer: Layer, x):
    """Run one layer in C on a batch (leading axis); returns int8 outputs shaped like the golden's."""
    s, keep = layer_to_c(layer)
    n_out = int(np.prod(layer.output.shape))
    xs = np.ascontiguousarray(x, np.int8).reshape(len(x), -1)
    out = np.zeros((len(x), n_out), np.int8)
    for i in range(len(x)):
        rc = lib.nn_layer_run(ctypes.byref(s), _ptr(xs[i], c_int8), _ptr(out[i], c_int8))
        assert rc == 0, f"layer {layer.index} {layer.op}: rc {rc}"
    return out.reshape((len(x),) + tuple(layer.output.shape))


# --- primitives -----------------------------------------------------------------------------------------

def test_requant_primitives(lib, seed):
    rng = np.random.default_rng(seed)
    edge = [0, 1, -1, 2, -2, quant.INT32_MIN, quant.INT32_MAX, 1 << 30, -(1 << 30), 12345, -12345]
    a = np.concatenate([edge, rng.integers(quant.INT32_MIN, quant.INT32_MAX, 3000, endpoint=True)])
    b = np.concatenate([edge[::-1], rng.integers(quant.INT32_MIN, quant.INT32_MAX, 3000, endpoint=True)])
    for x, y in zip(a.tolist(), b.tolist()):
        assert lib.nn_srdhm(x, y) == int(quant.srdhm(x, y)), (x, y)
    for x in a[:1500].tolist():
        e = int(rng.integers(0, 32))
        assert lib.nn_rdbpot(x, e) == int(quant.rdbpot(x, e)), (x, e)
        m = int(rng.integers(1 << 30, 1 << 31))
        s = int(rng.integers(-31, 8))
        assert lib.nn_mbqm(x, m, s) == int(quant.multiply_by_quantized_multiplier(x, m, s)), (x, m, s)


def test_softmax_fixed_point_primitives(lib, seed):
    rng = np.random.default_rng(seed)
    a = np.concatenate([[0, -1, -(1 << 24), -(1 << 26), -(31 << 26), quant.INT32_MIN],
                        rng.integers(quant.INT32_MIN, 1, 3000)])
    want = sm.exp_on_negative_values(a)
    for x, w in zip(a.tolist(), want.tolist()):
        assert lib.nn_exp_on_negative_values_q5(x) == w, x
    a = np.concatenate([[0, 1, quant.INT32_MAX], rng.integers(0, quant.INT32_MAX, 2000)])
    want = sm.one_over_one_plus_x_for_x_in_0_1(a)
    for x, w in zip(a.tolist(), want.tolist()):
        assert lib.nn_one_over_one_plus_x(x) == w, x


# --- random single layers -------------------------------------------------------------------------------

def _q(rng, shape):
    return QTensor(tuple(shape), float(rng.uniform(0.005, 0.2)), int(rng.integers(-128, 128)))


def _rand_requant(rng, layer, c):
    layer.multiplier = rng.integers(1 << 30, 1 << 31, c).astype(np.int32)
    layer.shift = rng.integers(-12, 2, c).astype(np.int32)
    if rng.random() < 0.5:
        layer.act_min, layer.act_max = int(rng.integers(-128, 0)), int(rng.integers(0, 128))


def random_layer(op, rng) -> Layer:
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        while True:
            ih, iw = (int(v) for v in rng.integers(1, 13, 2))
            kh, kw = (int(v) for v in rng.integers(1, 6, 2))
            sh, sw = (int(v) for v in rng.integers(1, 4, 2))
            pad = "SAME" if rng.random() < 0.6 else "VALID"
            oh, ow = out_size(ih, kh, sh, pad), out_size(iw, kw, sw, pad)
            if oh >= 1 and ow >= 1:
                break
        cin = int(rng.integers(1, 10))
        cout = int(rng.integers(1, 10)) if op == "CONV_2D" else cin
        lay = Layer(0, op, _q(rng, (ih, iw, cin)), _q(rng, (oh, ow, cout)), kernel=(kh, kw), stride=(sh, sw),
                    padding=pad)
        if pad == "SAME":
            pt, pb = same_padding(ih, kh, sh)
            pl, pr = same_padding(iw, kw, sw)
            lay.pad = (pt, pl, pb, pr)
        if op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            lay.output = QTensor(lay.output.shape, lay.input.scale, lay.input.zero_point)
            if rng.random() < 0.5:
                lay.act_min, lay.act_max = int(rng.integers(-128, 0)), int(rng.integers(0, 128))
            return lay
        wshape = (cout, kh, kw, cin) if op == "CONV_2D" else (kh, kw, cin)
        lay.weights = rng.integers(-128, 128, wshape).astype(np.int8)
        lay.bias = rng.integers(-(1 << 16), 1 << 16, cout).astype(np.int32)
        _rand_requant(rng, lay, cout)
        return lay
    if op == "FULLY_CONNECTED":
        cin, cout = int(rng.integers(1, 200)), int(rng.integers(1, 40))
        lay = Layer(0, op, _q(rng, (cin,)), _q(rng, (cout,)))
        lay.weights = rng.integers(-128, 128, (cout, cin)).astype(np.int8)
        lay.bias = rng.integers(-(1 << 16), 1 << 16, cout).astype(np.int32)
        _rand_requant(rng, lay, cout)
        return lay
    if op == "SOFTMAX":
        n = int(rng.integers(1, 40))
        lay = Layer(0, op, _q(rng, (n,)), QTensor((n,), 1 / 256, -128))
        while True:
            try:
                lay.softmax = sm.softmax_params(float(rng.choice([1.0, 0.5, 2.0, rng.uniform(0.1, 4)])),
                                                float(rng.uniform(0.001, 0.5)))
                return lay
            except ValueError:
                continue
    if op == "MEAN":
        h, w, c = (int(v) for v in rng.integers(1, 30, 3))
        lay = Layer(0, op, _q(rng, (h, w, c)), _q(rng, (c,) if rng.random() < 0.5 else (1, 1, c)), kernel=(h, w))
        n = h * w
        bm, bs = quant.quantize_multiplier(lay.input.scale / lay.output.scale)
        s = min(n.bit_length() - 1, 32, 31 + bs)
        lay.multiplier = np.full(c, (bm << s) // n, np.int32)
        lay.shift = np.full(c, bs - s, np.int32)
        return lay
    if op == "RESHAPE":
        c = int(rng.integers(1, 50))
        q = _q(rng, (1, 1, c))
        return Layer(0, op, q, QTensor((c,), q.scale, q.zero_point))
    raise AssertionError(op)


@pytest.mark.parametrize("op", OPS)
def test_random_layers_c_vs_golden(lib, op, seed):
    rng = np.random.default_rng(seed)
    for trial in range(40):
        layer = random_layer(op, rng)
        x = rng.integers(-128, 128, (8,) + tuple(layer.input.shape), dtype=np.int8)
        x[0] = -128
        x[1] = 127
        want = golden.run_layer(layer, x, batched=True)
        got = c_layer(lib, layer, x)
        assert np.array_equal(got, want), (f"trial {trial}: {op} in {layer.input.shape} out {layer.output.shape} "
                                           f"k {layer.kernel} s {layer.stride} pad {layer.pad}: "
                                           f"{int(np.sum(got != want))} mismatches")


# --- whole models ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", zoo_names())
def test_zoo_models_c_vs_golden_every_tensor(lib, name, seed):
    model = load_tflite(zoo_model(name))
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (200,) + tuple(model.input.shape), dtype=np.int8)
    outs = golden.run(model, x, return_all=True)
    prev = x
    for layer, want in zip(model.layers, outs):
        got = c_layer(lib, layer, prev)
        n = int(np.sum(got != want))
        assert n == 0, f"{name} layer {layer.index} {layer.op}: {n} mismatches"
        prev = want
    # The table runner (ping-pong buffers) end to end.
    structs, keep = zip(*(layer_to_c(l) for l in model.layers))
    table = (NnLayer * len(structs))(*structs)
    buf = max(int(np.prod(l.output.shape)) for l in model.layers)
    m = NnModel(n_layers=len(structs), layers=table, buf_bytes=buf)
    a, b = np.zeros(buf, np.int8), np.zeros(buf, np.int8)
    bad = c_int32(-1)
    y = np.zeros(int(np.prod(model.output.shape)), np.int8)
    for i in range(0, len(x), 4):
        xi = np.ascontiguousarray(x[i])
        rc = lib.nn_model_run(ctypes.byref(m), _ptr(xi, c_int8), _ptr(y, c_int8), _ptr(a, c_int8),
                              _ptr(b, c_int8), ctypes.byref(bad))
        assert rc == 0, f"rc {rc} at layer {bad.value}"
        assert np.array_equal(y, outs[-1][i].reshape(-1)), f"{name} input {i}"
    # From any layer on (the CPU tail after the accelerator; n_layers: nothing left, input copied).
    for first in range(len(structs) + 1):
        src = np.ascontiguousarray((x[0] if first == 0 else outs[first - 1][0]).reshape(-1))
        y[:] = 0
        rc = lib.nn_model_run_from(ctypes.byref(m), first, _ptr(src, c_int8), _ptr(y, c_int8), _ptr(a, c_int8),
                                   _ptr(b, c_int8), ctypes.byref(bad))
        assert rc == 0 and np.array_equal(y, outs[-1][0].reshape(-1)), f"{name} from layer {first}: rc {rc}"
    assert lib.nn_model_run_from(ctypes.byref(m), len(structs) + 1, _ptr(src, c_int8), _ptr(y, c_int8),
                                 _ptr(a, c_int8), _ptr(b, c_int8), ctypes.byref(bad)) == -2
    # Too-small buffers are reported, not overrun.
    m.buf_bytes = 4
    rc = lib.nn_model_run(ctypes.byref(m), _ptr(xi, c_int8), _ptr(y, c_int8), _ptr(a, c_int8), _ptr(b, c_int8),
                          ctypes.byref(bad))
    assert rc == -3 and bad.value == 0


@pytest.mark.parametrize("name", ["mlperf", "mean", "maxpool"])
def test_generated_table_runs_natively(name, tmp_path, seed):
    """accel.c_table's C table + kernels + host driver, as a real executable, equals the golden model."""
    model = load_tflite(zoo_model(name))
    src = tmp_path / "kws_model.c"
    src.write_text(nn_table.emit_c(model, "kws"))
    nn = ROOT / "firmware" / "nn"
    exe = tmp_path / "kwsrun"
    r = subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{nn}", str(nn / "nn_main_host.c"),
                        str(src), *(str(nn / f) for f in ("nn_quant.c", "nn_kernels.c", "nn_softmax.c",
                                                          "nn_model.c")), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    x = np.random.default_rng(seed).integers(-128, 128, (50,) + tuple(model.input.shape), dtype=np.int8)
    r = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    y = np.frombuffer(r.stdout, np.int8).reshape((50,) + tuple(model.output.shape))
    assert np.array_equal(y, golden.run(model, x))
    # An accelerated build's table (first=: only the CPU tail's arrays) is smaller, and a run from a
    # layer whose weights are left out says so (NN_ERR_NO_DATA = -4) instead of reading NULL.
    first = next(i for i, l in enumerate(model.layers) if l.weights is not None) + 1
    tail = tmp_path / "tail" / "kws_model.c"
    tail.parent.mkdir()
    tail.write_text(nn_table.emit_c(model, "kws", first=first))
    assert len(tail.read_text()) < len(src.read_text())
    r = subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{nn}", str(nn / "nn_main_host.c"),
                        str(tail), *(str(nn / f) for f in ("nn_quant.c", "nn_kernels.c", "nn_softmax.c",
                                                           "nn_model.c")), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe)], input=x[:1].tobytes(), capture_output=True, timeout=60, text=False)
    assert r.returncode == 2 and b"returned -4 at layer 0" in r.stderr, r.stderr
    with pytest.raises(ValueError, match="outside"):
        nn_table.emit_c(model, "kws", first=len(model.layers) + 1)
    if shutil.which("riscv64-unknown-elf-gcc"):
        r = subprocess.run(["riscv64-unknown-elf-gcc", "-std=c99", "-march=rv32im", "-mabi=ilp32", "-O2", "-Wall",
                            "-Werror", "-ffreestanding", f"-I{nn}", "-c", str(src), "-o", str(tmp_path / "m.o")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_rv32im_compile():
    """The kernels build for the SoC's CPU (skipped when the cross compiler is missing)."""
    if shutil.which("riscv64-unknown-elf-gcc") is None:
        pytest.skip("riscv64-unknown-elf-gcc not installed")
    (ROOT / "build" / "nn").mkdir(parents=True, exist_ok=True)
    with open(ROOT / "build" / "nn" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-j1", "-C", str(ROOT / "firmware" / "nn"), "rv32"], capture_output=True,
                           text=True)
    assert r.returncode == 0, r.stdout + r.stderr

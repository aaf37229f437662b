"""Importer: IR contents, and every refusal is a one-line ModelError naming the layer and what to do."""
import signal
import time

import numpy as np
import pytest

from accel import quant
from accel.ir import ModelError
from accel.tflite_import import load_tflite, load_tflite_bytes
from training.zoo import BAD, bad_model, zoo_model, zoo_names

# --- byte patching with the flatbuffer reader's own offsets (no hand-made layouts) ----------------------


def _tensor_tab(data: bytes, tensor_index: int):
    import tflite
    m = tflite.Model.GetRootAsModel(data, 0)
    return m.Subgraphs(0).Tensors(tensor_index)


def _op_io(data: bytes, op_index: int):
    import tflite
    m = tflite.Model.GetRootAsModel(data, 0)
    op = m.Subgraphs(0).Operators(op_index)
    return [int(v) for v in op.InputsAsNumpy()], [int(v) for v in op.OutputsAsNumpy()]


def patch_tensor_type(data: bytes, tensor_index: int, new_type: int) -> bytes:
    t = _tensor_tab(data, tensor_index)
    off = t._tab.Offset(6)               # Tensor.type
    assert off, "type field absent"
    b = bytearray(data)
    b[t._tab.Pos + off] = new_type
    return bytes(b)


def patch_tensor_dim(data: bytes, tensor_index: int, dim: int, value: int) -> bytes:
    t = _tensor_tab(data, tensor_index)
    start = t._tab.Vector(t._tab.Offset(4))     # Tensor.shape vector data
    b = bytearray(data)
    b[start + 4 * dim:start + 4 * dim + 4] = int(value).to_bytes(4, "little", signed=True)
    return bytes(b)


def patch_zero_point(data: bytes, tensor_index: int, value: int) -> bytes:
    t = _tensor_tab(data, tensor_index)
    q = t.Quantization()
    start = q._tab.Vector(q._tab.Offset(10))    # QuantizationParameters.zero_point (int64)
    b = bytearray(data)
    b[start:start + 8] = int(value).to_bytes(8, "little", signed=True)
    return bytes(b)


def _one_line_error(fn, *args, must=()):
    with pytest.raises(ModelError) as info:
        fn(*args)
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg and len(msg) < 400, msg
    for word in must:
        assert word.lower() in msg.lower(), f"{word!r} not in: {msg}"
    return msg


# --- good models ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", zoo_names())
def test_zoo_models_import(name):
    model = load_tflite(zoo_model(name))
    prev = model.input.shape
    for i, layer in enumerate(model.layers):
        assert layer.index == i
        assert int(np.prod(layer.input.shape)) == int(np.prod(prev))
        prev = layer.output.shape
        if layer.weights is not None:
            assert layer.weights.dtype == np.int8 and layer.bias.dtype == np.int32
            c = layer.weights.shape[-1] if layer.op == "DEPTHWISE_CONV_2D" else layer.weights.shape[0]
            assert layer.multiplier.shape == layer.shift.shape == layer.bias.shape == (c,)
            fn = quant.fc_multiplier if layer.op == "FULLY_CONNECTED" else quant.conv_multiplier
            for ch in range(c):
                s = float(layer.weight_scale[ch if layer.per_channel else 0])
                assert (layer.multiplier[ch], layer.shift[ch]) == fn(layer.input.scale, s, layer.output.scale)
    assert model.output.shape == prev
    assert model.layers[-1].op == "SOFTMAX"


def test_valid_padding_and_strides():
    m = load_tflite(zoo_model("valid"))
    assert all(l.pad == (0, 0, 0, 0) for l in m.layers if l.op in ("CONV_2D", "DEPTHWISE_CONV_2D"))
    m = load_tflite(zoo_model("dw_stride2"))
    assert any(l.op == "DEPTHWISE_CONV_2D" and l.stride == (2, 2) for l in m.layers)
    m = load_tflite(zoo_model("nonsquare"))
    assert m.layers[0].kernel == (5, 3) and m.layers[0].stride == (1, 1)


# --- refusals -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, words", [
    ("float", ["float", "int8", "export_int8"]),
    ("hybrid", ["float", "int8"]),
    ("float_io", ["layer 0", "QUANTIZE", "tf.int8"]),
    ("tanh", ["layer 1", "TANH", "unsupported"]),
    ("add", ["layer 2", "ADD", "unsupported"]),
    ("depth_mult2", ["layer 1", "DEPTHWISE_CONV_2D", "depth multiplier 2"]),
    ("dilation2", ["layer 0", "CONV_2D", "dilation"]),
])
def test_bad_models_refused(name, words):
    assert name in BAD
    _one_line_error(load_tflite, bad_model(name), must=words)


def test_uint8_activations_refused():
    data = zoo_model("narrow").read_bytes()
    ins, _ = _op_io(data, 0)
    _one_line_error(load_tflite_bytes, patch_tensor_type(data, ins[0], 3), "x", must=["uint8", "int8"])


def test_uint8_weights_refused():
    data = zoo_model("narrow").read_bytes()
    ins, _ = _op_io(data, 2)
    _one_line_error(load_tflite_bytes, patch_tensor_type(data, ins[1], 3), "x",
                    must=["layer 2", "CONV_2D", "uint8"])


def test_asymmetric_weights_refused():
    data = zoo_model("narrow").read_bytes()
    ins, _ = _op_io(data, 1)
    _one_line_error(load_tflite_bytes, patch_zero_point(data, ins[1], 3), "x",
                    must=["layer 1", "DEPTHWISE_CONV_2D", "zero point"])


def test_non_chaining_shapes_refused():
    data = zoo_model("narrow").read_bytes()
    _, outs = _op_io(data, 1)
    bad = patch_tensor_dim(data, outs[0], 1, 24)        # DW output H 25 -> 24: does not follow from geometry
    _one_line_error(load_tflite_bytes, bad, "x", must=["layer 1", "shape"])
    m = load_tflite_bytes(data)
    fc = [l for l in m.layers if l.op == "FULLY_CONNECTED"][0]
    fc_in, _ = _op_io(data, fc.index)
    bad = patch_tensor_dim(data, fc_in[1], 1, 8)        # FC weights (12, 16) -> (12, 8)
    _one_line_error(load_tflite_bytes, bad, "x", must=[f"layer {fc.index}", "FULLY_CONNECTED"])


def test_batch_not_one_refused():
    data = zoo_model("narrow").read_bytes()
    ins, _ = _op_io(data, 0)
    _one_line_error(load_tflite_bytes, patch_tensor_dim(data, ins[0], 0, 4), "x", must=["batch"])


def test_truncated_and_corrupted_files_refused(tmp_path):
    data = zoo_model("mlperf").read_bytes()
    for cut in (0, 3, 8, 16, 100, len(data) // 3, len(data) // 2, len(data) - 1):
        p = tmp_path / f"cut{cut}.tflite"
        p.write_bytes(data[:cut])
        _one_line_error(load_tflite, p)
    rng = np.random.default_rng(1)
    junk = bytearray(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    junk[4:8] = b"TFL3"
    p = tmp_path / "junk.tflite"
    p.write_bytes(bytes(junk))
    _one_line_error(load_tflite, p, must=["corrupt"])
    _one_line_error(load_tflite, tmp_path / "missing.tflite", must=["cannot read"])


# --- fuzz -----------------------------------------------------------------------------------------------

def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random corruption: truncation, bit flips, overwritten range, swapped/shuffled 32-bit words
    (offsets), or an offset field bumped by a small or huge amount."""
    b = bytearray(data)
    kind = int(rng.integers(0, 6))
    if kind == 0:
        return bytes(b[:int(rng.integers(0, len(b)))])
    if kind == 1:
        for _ in range(int(rng.integers(1, 20))):
            i = int(rng.integers(0, len(b)))
            b[i] ^= 1 << int(rng.integers(0, 8))
    elif kind == 2:
        i = int(rng.integers(0, len(b)))
        n = int(rng.integers(1, 64))
        b[i:i + n] = rng.integers(0, 256, len(b[i:i + n]), dtype=np.uint8).tobytes()
    elif kind == 3:
        words = (len(b) // 4)
        for _ in range(int(rng.integers(1, 8))):
            i, j = (int(v) * 4 for v in rng.integers(0, min(words, 512), 2))
            b[i:i + 4], b[j:j + 4] = b[j:j + 4], b[i:i + 4]
    elif kind == 4:
        i = int(rng.integers(0, min(len(b) // 4, 2048))) * 4
        v = int.from_bytes(b[i:i + 4], "little")
        v = (v + int(rng.choice([1, 4, -4, 1 << 16, 1 << 30, 1 << 31]))) & 0xFFFFFFFF
        b[i:i + 4] = v.to_bytes(4, "little")
    else:
        i = int(rng.integers(0, len(b)))
        b[i:i] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
    return bytes(b)


class _Timeout(Exception):
    pass


def fuzz_one(data: bytes, limit_s: float = 5.0):
    """Import one mutated file: returns 'ok', 'refused', or raises for a crash/hang."""
    def alarm(signum, frame):
        raise _Timeout(f"importer ran over {limit_s} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    try:
        load_tflite_bytes(data, source="fuzz")
        return "ok"
    except ModelError as err:
        msg = str(err)
        assert "\n" not in msg and msg.isprintable(), repr(msg)
        return "refused"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_fuzz_importer(seed):
    rng = np.random.default_rng(seed)
    sources = [zoo_model(n).read_bytes() for n in ("mlperf", "narrow", "maxpool", "mean")]
    counts = {"ok": 0, "refused": 0}
    for case in range(100):
        data = mutate(sources[case % len(sources)], rng)
        t = time.perf_counter()
        counts[fuzz_one(data)] += 1
        assert time.perf_counter() - t < 2.0, f"case {case} took too long"
    print(f"fuzz: {counts}")
    assert counts["refused"] > 0

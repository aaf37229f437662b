"""accel.golden_fast on a batch of windows == accel.golden on each window alone (and so == TFLite-Micro).

The native soak (bench/soak_native.py) computes its golden inferences with ``golden_fast.run`` over all
the 49-frame windows of a chunk at once; these tests are why that is the golden model: randomized windows
(uniform, saturated, feature-like and sliding windows of one frame stream, as the soak makes them) through
the bundled model, batched vs one window at a time through ``accel.golden.run``, plus golden_fast's own ops
(the compiled depthwise accumulation, the float32 convolution) against ``accel.golden``'s on layers of
many geometries, zero points and the largest accumulators.
accel.golden itself is checked against TFLite-Micro on every tensor in tests/test_accel_golden.py.
"""
from pathlib import Path

import numpy as np
import pytest

from accel import golden, golden_fast
from accel.ir import Layer, QTensor
from accel.tflite_import import load_tflite

ROOT = Path(__file__).resolve().parents[1]
needs_numba = pytest.mark.skipif(golden_fast._nb is None, reason="numba not installed: golden_fast is golden.run")


def _windows(model, rng, n):
    shape = tuple(model.input.shape)
    x = rng.integers(-128, 128, (n,) + shape, dtype=np.int8)
    x[0], x[1], x[2] = -128, 127, model.input.zero_point
    k = n // 4
    x[3:3 + k] = np.clip(np.rint(rng.normal(model.input.zero_point, 25, (k,) + shape)), -128, 127)
    # sliding windows over one stream of frames: the soak's batches (consecutive windows share 48 frames)
    frames = np.clip(np.rint(rng.normal(0, 40, (n - 3 - k + shape[0], *shape[1:]))), -128, 127).astype(np.int8)
    for i in range(n - 3 - k):
        x[3 + k + i] = frames[i:i + shape[0]]
    return x


@needs_numba
def test_batched_golden_fast_equals_per_window_golden(seed):
    m = load_tflite(ROOT / "models" / "dscnn_int8.tflite")
    rng = np.random.default_rng(seed)
    x = _windows(m, rng, 48)
    got = golden_fast.run(m, x)
    assert got.shape == (48,) + tuple(m.output.shape)
    bad = [i for i in range(x.shape[0]) if not np.array_equal(got[i], golden.run(m, x[i]))]
    assert not bad, f"seed={seed}: windows {bad} differ from accel.golden.run on the window alone"
    # batch size does not matter (the soak's last batch of a chunk is short) and the order does not either
    perm = rng.permutation(x.shape[0])
    assert np.array_equal(golden_fast.run(m, x[perm[:7]]), got[perm[:7]]), f"seed={seed}"
    assert np.array_equal(golden_fast.run(m, x[:1]), got[:1]), f"seed={seed}"


def _dw_layer(rng, h, w, c, k, stride, pad, zp_in, act):
    kh, kw = k
    oh = (h + pad[0] + pad[2] - kh) // stride[0] + 1
    ow = (w + pad[1] + pad[3] - kw) // stride[1] + 1
    return Layer(index=0, op="DEPTHWISE_CONV_2D", input=QTensor((h, w, c), 0.05, zp_in),
                 output=QTensor((oh, ow, c), 0.1, int(rng.integers(-20, 20))), kernel=k, stride=stride, pad=pad,
                 weights=rng.integers(-128, 128, (kh, kw, c)).astype(np.int8),
                 bias=rng.integers(-(1 << 20), 1 << 20, c).astype(np.int32), per_channel=True,
                 multiplier=rng.integers(1 << 30, (1 << 31) - 1, c).astype(np.int32),
                 shift=rng.integers(-12, 2, c).astype(np.int32), act_min=act[0], act_max=act[1])


@needs_numba
@pytest.mark.parametrize("geom", [
    ((25, 5, 64), (3, 3), (1, 1), (1, 1, 1, 1)),      # the DS-CNN's (SAME, stride 1)
    ((10, 7, 8), (3, 3), (2, 2), (0, 0, 1, 1)),       # SAME, stride 2 (padding only bottom/right)
    ((9, 9, 5), (5, 3), (1, 2), (2, 1, 2, 1)),        # asymmetric kernel and stride
    ((6, 4, 3), (2, 2), (1, 1), (0, 0, 0, 0)),        # VALID
    ((1, 12, 16), (1, 5), (1, 1), (0, 2, 0, 2)),      # a 1-D depthwise
])
def test_compiled_depthwise_equals_golden(geom, seed):
    shape, k, stride, pad = geom
    rng = np.random.default_rng(seed)
    for zp_in, act in ((0, (-128, 127)), (-128, (-128, 127)), (int(rng.integers(-100, 100)), (-20, 127))):
        layer = _dw_layer(rng, *shape, k, stride, pad, zp_in, act)
        x = rng.integers(-128, 128, (5,) + shape, dtype=np.int8)
        x[0], x[1] = -128, 127
        want = golden.depthwise_conv_2d(layer, x)
        got = golden_fast.depthwise_conv_2d(layer, x)
        assert got.dtype == np.int8 and np.array_equal(got, want), f"seed={seed} geom={geom} zp={zp_in}"


def _conv_layer(rng, h, w, cin, cout, k, stride, pad, zp_in):
    kh, kw = k
    oh = (h + pad[0] + pad[2] - kh) // stride[0] + 1
    ow = (w + pad[1] + pad[3] - kw) // stride[1] + 1
    return Layer(index=0, op="CONV_2D", input=QTensor((h, w, cin), 0.05, zp_in),
                 output=QTensor((oh, ow, cout), 0.1, int(rng.integers(-20, 20))), kernel=k, stride=stride,
                 pad=pad, weights=rng.integers(-128, 128, (cout, kh, kw, cin)).astype(np.int8),
                 bias=rng.integers(-(1 << 20), 1 << 20, cout).astype(np.int32), per_channel=True,
                 multiplier=rng.integers(1 << 30, (1 << 31) - 1, cout).astype(np.int32),
                 shift=rng.integers(-16, 2, cout).astype(np.int32))


@needs_numba
@pytest.mark.parametrize("geom", [
    ((49, 10, 1), 64, (10, 4), (2, 2), (4, 1, 5, 2)),     # the DS-CNN's first layer
    ((25, 5, 64), 64, (1, 1), (1, 1), (0, 0, 0, 0)),      # its pointwise layers
    ((8, 6, 3), 5, (3, 3), (2, 1), (1, 1, 1, 1)),
    ((4, 4, 514), 4, (1, 1), (1, 1), (0, 0, 0, 0)),       # K = 514: the largest K float32 holds exactly
    ((3, 3, 600), 3, (1, 1), (1, 1), (0, 0, 0, 0)),       # K = 600: golden's float64 path
])
def test_float32_conv_equals_golden(geom, seed):
    shape, cout, k, stride, pad = geom
    rng = np.random.default_rng(seed)
    for zp_in in (127, -128, int(rng.integers(-100, 100))):
        layer = _conv_layer(rng, *shape, cout, k, stride, pad, zp_in)
        x = rng.integers(-128, 128, (4,) + shape, dtype=np.int8)
        x[0] = -128 if zp_in > 0 else 127                     # |x - zp| = 255 everywhere ...
        if zp_in == 127:                                      # ... and w = -128: every product of image 0 is
            layer.weights[:, :, :, :] = -128                  # +32,640, the largest accumulators there are
        want = golden.conv_2d(layer, x)
        got = golden_fast.conv_2d(layer, x)
        assert got.dtype == np.int8 and np.array_equal(got, want), f"seed={seed} geom={geom} zp={zp_in}"

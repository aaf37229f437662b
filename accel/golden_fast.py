"""accel.golden's int8 model on large batches, faster: the same accumulators, requantization compiled.

:func:`run` computes every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED accumulator exactly as
``accel.golden`` does (float64 matmuls that are exact for these integer ranges, int64 taps; CONV_2D in
float32 where that is exact too, DEPTHWISE_CONV_2D's int64 taps in one compiled loop) and then
applies TFLM's requantization (wrap to int32, MultiplyByQuantizedMultiplier with its double rounding,
zero point, activation clamp: ``accel.quant.requantize``) in one compiled loop (numba) instead of ~15
numpy passes, which was half the golden model's time. Every other op is ``accel.golden.run_layer``.
The result is the golden model's, bit for bit: tests/test_kws_listen.py checks it on random inputs and on
extreme accumulators, tests/test_accel_golden_batch.py a batch against each window alone and each
compiled op against golden's on many geometries, and :func:`kws.pipeline.infer` re-checks sampled batches against ``accel.golden.run``
while it runs. Without numba, or with ``KWS_GOLDEN_FAST=0``, it is ``accel.golden.run``.
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".cache", "numba"))
try:
    import numba as _nb
except Exception:  # noqa: BLE001 - optional speed-up
    _nb = None

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _requant_py(acc, mult, shift, zp, lo, hi):
    out = np.empty(acc.shape, np.int8)
    m_rows, n_ch = acc.shape
    for i in range(m_rows):
        for c in range(n_ch):
            x = acc[i, c]
            x = ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)          # wrap_int32(acc)
            s = shift[c]
            left = s if s > 0 else 0
            right = -s if s < 0 else 0
            x = x << left
            x = ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)          # wrap_int32(x << left)
            b = mult[c]
            if x == INT32_MIN and b == INT32_MIN:                    # SaturatingRoundingDoublingHighMul
                q = INT32_MAX
            else:
                ab = x * b
                t = ab + ((1 << 30) if ab >= 0 else (1 - (1 << 30)))
                q = (t >> 31) if t >= 0 else -((-t) >> 31)
            mask = (1 << right) - 1                                  # RoundingDivideByPOT
            rem = q & mask
            thr = (mask >> 1) + (1 if q < 0 else 0)
            r = (q >> right) + (1 if rem > thr else 0)
            y = r + zp
            if y < lo:
                y = lo
            elif y > hi:
                y = hi
            out[i, c] = y
    return out


_requant_nb = _nb.njit(cache=True, nogil=True)(_requant_py) if _nb is not None else None


def requantize(acc, multiplier, shift, out_zp, act_min, act_max):
    """= accel.quant.requantize(wrap_int32(acc), ...) with the channel axis last."""
    acc = np.ascontiguousarray(acc, dtype=np.int64)
    shape = acc.shape
    c = shape[-1]
    a2 = acc.reshape(-1, c)
    mult = np.ascontiguousarray(np.broadcast_to(np.asarray(multiplier, np.int64), (c,)))
    sh = np.ascontiguousarray(np.broadcast_to(np.asarray(shift, np.int64), (c,)))
    return _requant_nb(a2, mult, sh, np.int64(out_zp), np.int64(act_min), np.int64(act_max)).reshape(shape)


def _dw_acc_py(x, zp, w, bias, pt, pl, sh, sw, oh, ow):
    """DEPTHWISE_CONV_2D accumulators (depth multiplier 1), int64: acc[n, oy, ox, c] = bias[c] + sum over the
    in-bounds taps of (x - zp) * w[i, j, c] -- out-of-bounds (padded) taps contribute 0, as in accel.golden."""
    n_b, h, wd, c_n = x.shape
    kh, kw = w.shape[0], w.shape[1]
    acc = np.empty((n_b, oh, ow, c_n), np.int64)
    for n in range(n_b):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_n):
                    acc[n, oy, ox, c] = bias[c]
                for i in range(kh):
                    y = oy * sh + i - pt
                    if y < 0 or y >= h:
                        continue
                    for j in range(kw):
                        xx = ox * sw + j - pl
                        if xx < 0 or xx >= wd:
                            continue
                        for c in range(c_n):
                            acc[n, oy, ox, c] += (np.int64(x[n, y, xx, c]) - zp) * w[i, j, c]
    return acc


_dw_acc_nb = _nb.njit(cache=True, nogil=True)(_dw_acc_py) if _nb is not None else None


def depthwise_conv_2d(layer, x):
    """accel.golden.depthwise_conv_2d with the accumulation loop compiled too (same int64 sums)."""
    if tuple(layer.weights.shape) != tuple(layer.kernel) + (layer.input.shape[-1],) or \
            layer.output.shape[-1] != layer.input.shape[-1]:
        return _FAST_GOLDEN["DEPTHWISE_CONV_2D"](layer, x)           # not depth multiplier 1: golden's own
    xi = np.ascontiguousarray(x, dtype=np.int8)
    oh, ow = (int(v) for v in layer.output.shape[:2])
    pt, pl = int(layer.pad[0]), int(layer.pad[1])
    sh, sw = (int(v) for v in layer.stride)
    acc = _dw_acc_nb(xi, np.int64(layer.input.zero_point), np.ascontiguousarray(layer.weights, np.int64),
                     np.ascontiguousarray(layer.bias, np.int64), pt, pl, sh, sw, oh, ow)
    return _rq(layer, acc)


_F32_EXACT = 1 << 24    # float32 holds every integer below 2**24 exactly


def conv_2d(layer, x):
    """accel.golden.conv_2d in float32: every product (x - in_zp) * w is at most 255 * 128 = 32,640 in
    magnitude, so with K = kh * kw * cin taps every partial sum of a dot product, in any order (BLAS
    blocking, FMA), is an integer of magnitude <= 32,640 * K; below 2**24 (K <= 514) float32 holds each of
    them exactly and the sums are golden's float64 ones. Larger K: golden's own float64 path."""
    n = x.shape[0]
    cout, kh, kw, cin = layer.weights.shape
    if 32640 * kh * kw * cin >= _F32_EXACT:
        return _FAST_GOLDEN["CONV_2D"](layer, x)
    oh, ow = layer.output.shape[:2]
    sh, sw = layer.stride
    pt, pl, pb, pr = layer.pad
    xf = np.asarray(x, np.float32) - np.float32(layer.input.zero_point)      # exact: |x - zp| <= 255
    if any(layer.pad):
        xf = np.pad(xf, ((0, 0), (pt, pb), (pl, pr), (0, 0)))                 # 0 after the zero point: skipped taps
    if (kh, kw) == (1, 1):
        cols = xf[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw, :].reshape(n * oh * ow, cin)
    else:
        win = np.lib.stride_tricks.sliding_window_view(xf, (kh, kw), axis=(1, 2))
        win = win[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw]
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, kh * kw * cin)
    w = layer.weights.reshape(cout, kh * kw * cin).astype(np.float32)
    acc = (cols @ w.T).astype(np.int64) + layer.bias.astype(np.int64)
    return _rq(layer, acc).reshape(n, oh, ow, cout)


def _rq(layer, acc):
    return requantize(acc, layer.multiplier, layer.shift, int(layer.output.zero_point), int(layer.act_min),
                      int(layer.act_max))


def _fast(op):
    """accel.golden's op (its own accumulators) with the compiled requantization."""
    from accel import golden
    fn = getattr(golden, op)
    return lambda layer, x: fn(layer, x, requant=_rq)


_FAST_GOLDEN = {"CONV_2D": _fast("conv_2d"), "DEPTHWISE_CONV_2D": _fast("depthwise_conv_2d"),
                "FULLY_CONNECTED": _fast("fully_connected")}
_FAST = dict(_FAST_GOLDEN, CONV_2D=conv_2d, DEPTHWISE_CONV_2D=depthwise_conv_2d)


def run(model, x_int8):
    """accel.golden.run(model, batch) for a batch (leading axis) of int8 inputs."""
    from accel import golden
    x = np.asarray(x_int8)
    if _requant_nb is None or os.environ.get("KWS_GOLDEN_FAST", "1") == "0" or x.dtype != np.int8 or x.shape[1:] != tuple(model.input.shape):
        return golden.run(model, x)
    for layer in model.layers:
        fn = _FAST.get(layer.op)
        if fn is None:
            x = golden.run_layer(layer, x, batched=True)
        else:
            in_shape = tuple(layer.input.shape)
            xb = x.reshape((-1,) + in_shape) if layer.op == "FULLY_CONNECTED" else x
            x = fn(layer, xb).reshape((-1,) + tuple(layer.output.shape))
    return x

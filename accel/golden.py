"""Golden integer model: runs an :class:`accel.ir.Model` exactly like TFLite-Micro's reference int8 kernels.

This is the single definition the C kernels and the RTL are tested against. Each op follows the TFLM
reference kernel named in its docstring (tensorflow/lite/kernels/internal/reference/...).

Speed: convolutions and FC are matmuls on windowed views. Products of an int8 weight and an input minus
its zero point are at most 128 * 255 = 32,640 in magnitude; a dot product of K of them is bounded by
32,640 * K, which is far below 2**53 for any K a KWS model can have (the importer caps tensors at 2**24
elements), so float64 matmul with BLAS yields the exact integer sums whatever the summation order.
The result is then wrapped to int32 exactly as C's int32 accumulator would be (never needed in practice).

All functions accept a single tensor in the IR's layout (HWC / (N,)) or a batch with a leading axis.
"""
from __future__ import annotations

import numpy as np

from accel import quant
from accel.ir import Layer, Model, ModelError
from accel.softmax import softmax_int8

_EXACT_K = 1 << 37     # 32,640 * 2**37 < 2**53: float64 dot products of up to 2**37 terms are exact


def run(model: Model, x_int8, return_all: bool = False):
    """Run ``model`` on ``x_int8`` (input shape, or a batch with a leading axis).

    Returns the int8 output, or with ``return_all`` the list of every layer's output tensor.
    """
    x = np.asarray(x_int8)
    if x.dtype != np.int8:
        raise ModelError(f"input must be int8, got {x.dtype}")
    shape = tuple(model.input.shape)
    if x.shape != shape and x.shape[1:] != shape:
        raise ModelError(f"input shape {x.shape} does not match the model input {shape} (or a batch of it)")
    batched = x.shape != shape
    outs = []
    for layer in model.layers:
        x = run_layer(layer, x, batched=batched)
        outs.append(x)
    return outs if return_all else x


def run_layer(layer: Layer, x_int8, batched: bool | None = None):
    """One layer on int8 input (layer input shape, or a batch of it with ``batched``); returns int8 output.

    ``batched=None`` guesses: a leading axis beyond the layer's input rank is a batch (FULLY_CONNECTED,
    RESHAPE and SOFTMAX flatten their input, as TFLM does, so for them pass ``batched`` when ambiguous).
    """
    x = np.asarray(x_int8)
    in_shape = tuple(layer.input.shape)
    n_in = int(np.prod(in_shape))
    flattening = layer.op in ("FULLY_CONNECTED", "RESHAPE", "SOFTMAX")
    if batched is None:
        batched = (x.size != n_in) if flattening else (x.ndim > len(in_shape))
    xb = x if batched else x[None]
    if flattening:
        if xb[0].size != n_in:
            raise ModelError(f"layer {layer.index} ({layer.op}): input shape {x.shape} does not match {in_shape}")
        xb = xb.reshape((-1,) + in_shape)
    elif xb.shape[1:] != in_shape:
        raise ModelError(f"layer {layer.index} ({layer.op}): input shape {x.shape} does not match {in_shape}")
    fn = _KERNELS.get(layer.op)
    if fn is None:
        raise ModelError(f"layer {layer.index} ({layer.op}): op not supported by the golden model")
    y = fn(layer, xb).reshape((-1,) + tuple(layer.output.shape))
    return y if batched else y[0]


def _requant(layer: Layer, acc):
    """TFLM's requantization of int64 accumulators (the conv/DW/FC ops take another with the same result,
    accel.golden_fast's compiled one, as ``requant``)."""
    acc = quant.wrap_int32(acc)
    return quant.requantize(acc, layer.multiplier.astype(np.int64), layer.shift.astype(np.int64),
                            layer.output.zero_point, layer.act_min, layer.act_max)


def _padded(layer: Layer, x, fill):
    """x (N, H, W, C) padded by layer.pad with ``fill`` (int64)."""
    pt, pl, pb, pr = layer.pad
    return np.pad(x.astype(np.int64), ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)


def _taps(xp, layer: Layer):
    """Yield (i, j, view) for every kernel tap: view[n, oy, ox, c] = xp[n, oy*sh + i, ox*sw + j, c]."""
    kh, kw = layer.kernel
    sh, sw = layer.stride
    oh, ow = layer.output.shape[:2]
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]


def conv_2d(layer: Layer, x, requant=None):
    """reference_integer_ops::ConvPerChannel: acc = sum (x - in_zp) * w over in-bounds taps + bias."""
    n = x.shape[0]
    cout, kh, kw, cin = layer.weights.shape
    oh, ow = layer.output.shape[:2]
    sh, sw = layer.stride
    # Padding with 0 after subtracting in_zp == skipping the padded taps.
    xp = _padded(layer, x.astype(np.int64) - layer.input.zero_point, 0).astype(np.float64)
    if kh * kw * cin >= _EXACT_K:
        raise ModelError(f"layer {layer.index} (CONV_2D): {kh * kw * cin} taps per output exceed exact range")
    if (kh, kw) == (1, 1):
        cols = xp[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw, :].reshape(n * oh * ow, cin)
    else:
        win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))   # N, H', W', C, kh, kw
        win = win[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw]
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, kh * kw * cin)
    w = layer.weights.reshape(cout, kh * kw * cin).astype(np.float64)
    acc = np.rint(cols @ w.T).astype(np.int64) + layer.bias.astype(np.int64)
    return (requant or _requant)(layer, acc).reshape(n, oh, ow, cout)


def depthwise_conv_2d(layer: Layer, x, requant=None):
    """reference_integer_ops::DepthwiseConvPerChannel (depth multiplier 1)."""
    xp = _padded(layer, x.astype(np.int64) - layer.input.zero_point, 0)
    w = layer.weights.astype(np.int64)
    acc = None
    for i, j, v in _taps(xp, layer):
        term = v * w[i, j]
        acc = term if acc is None else acc + term
    acc = acc + layer.bias.astype(np.int64)
    return (requant or _requant)(layer, acc)


def average_pool_2d(layer: Layer, x):
    """reference_integer_ops::AveragePool: raw int8 sum over in-bounds taps, (sum +/- n/2) / n truncated."""
    if tuple(layer.output.shape[:2]) == (1, 1) and tuple(layer.kernel) == tuple(x.shape[1:3]) \
            and not any(layer.pad):
        acc = x.astype(np.int64).sum(axis=(1, 2), keepdims=True)      # whole-map pool (the DS-CNN's)
        cnt = x.shape[1] * x.shape[2]
    else:
        xp = _padded(layer, x, 0)
        ones = _padded(layer, np.ones((1,) + x.shape[1:3] + (1,), np.int64), 0)
        acc = 0
        cnt = 0
        for (_, _, v), (_, _, c) in zip(_taps(xp, layer), _taps(ones, layer)):
            acc = acc + v
            cnt = cnt + c
    q = np.where(acc > 0, acc + cnt // 2, acc - cnt // 2)
    out = np.sign(q) * (np.abs(q) // cnt)          # C division truncates toward zero
    return np.clip(out, layer.act_min, layer.act_max).astype(np.int8)


def max_pool_2d(layer: Layer, x):
    """reference_integer_ops::MaxPool: max over in-bounds taps, clamped to the activation range."""
    xp = _padded(layer, x, -(1 << 20))
    out = None
    for _, _, v in _taps(xp, layer):
        out = v if out is None else np.maximum(out, v)
    return np.clip(out, layer.act_min, layer.act_max).astype(np.int8)


def fully_connected(layer: Layer, x, requant=None):
    """reference_integer_ops::FullyConnected: per-tensor, acc = sum (x - in_zp) * w + bias."""
    n = x.shape[0]
    xf = (x.reshape(n, -1).astype(np.int64) - layer.input.zero_point).astype(np.float64)
    acc = np.rint(xf @ layer.weights.astype(np.float64).T).astype(np.int64) + layer.bias.astype(np.int64)
    return (requant or _requant)(layer, acc)


def reshape(layer: Layer, x):
    """RESHAPE: the bytes are copied unchanged (TFLM's reshape is a memcpy)."""
    return x.astype(np.int8)


def softmax(layer: Layer, x):
    """reference_ops::Softmax<int8, int8> (gemmlowp fixed point), see accel/softmax.py."""
    n = x.shape[0]
    return softmax_int8(x.reshape(n, -1, layer.input.shape[-1]), layer.softmax)


def mean(layer: Layer, x):
    """TFLM MEAN over H, W (micro/kernels/reduce_common.cc -> reference_ops::QuantizedMeanOrSum).

    acc = sum(x) - in_zp * n (int32); out = MultiplyByQuantizedMultiplier(acc, M, S) + out_zp, clamped,
    where the importer folded 1/n into (M, S) exactly as TFLM does (see accel/tflite_import.py).
    """
    n_el = int(layer.input.shape[0] * layer.input.shape[1])
    acc = x.astype(np.int64).sum(axis=(1, 2)) - layer.input.zero_point * n_el
    y = quant.multiply_by_quantized_multiplier(quant.wrap_int32(acc), layer.multiplier.astype(np.int64),
                                               layer.shift.astype(np.int64)) + layer.output.zero_point
    return np.clip(y, -128, 127).astype(np.int8)


_KERNELS = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "AVERAGE_POOL_2D": average_pool_2d,
    "MAX_POOL_2D": max_pool_2d,
    "FULLY_CONNECTED": fully_connected,
    "RESHAPE": reshape,
    "SOFTMAX": softmax,
    "MEAN": mean,
}

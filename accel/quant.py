"""TFLite-Micro integer requantization primitives — the single definition of the project's rounding.

Every integer path (golden model, C kernels, RTL) is tested against these functions. They reproduce
tensorflow/lite/kernels/internal/common.h and quantization_util.cc bit for bit:

* ``quantize_multiplier``: frexp split of a real multiplier into a Q31 mantissa (rounded half away
  from zero) and a power-of-two exponent.
* ``srdhm``: SaturatingRoundingDoublingHighMul (gemmlowp), rounding half away from zero.
* ``rdbpot``: RoundingDivideByPOT, rounding half away from zero.
* ``multiply_by_quantized_multiplier``: the double-rounding requantization that TFLM's reference
  int8 kernels use (left shift, SRDHM, then RDBPOT).

The vectorized forms take numpy integer arrays (any shape) and per-element or broadcast multipliers
and shifts; they compute in int64 so intermediate products never overflow.
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """Split ``real_multiplier`` into (Q31 multiplier, shift) exactly as TFLM's QuantizeMultiplier.

    ``shift`` > 0 is a left shift, < 0 a right shift. The result satisfies
    ``real ~= multiplier * 2**(shift - 31)``.
    """
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    q_fixed = _round_half_away(q * (1 << 31))
    assert q_fixed <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return int(q_fixed), int(shift)


def _round_half_away(x: float) -> int:
    """C's std::round: halves go away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on int32 values (numpy arrays or ints), as int64 arrays."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C integer division truncates toward zero; numpy's // floors, so correct negative values.
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where(overflow, INT32_MAX, q)


def rdbpot(x, exponent):
    """RoundingDivideByPOT: x / 2**exponent rounded half away from zero (exponent >= 0)."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def wrap_int32(x):
    """Two's-complement wrap of int64 values to int32 range (C's behaviour on overflow)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLM's MultiplyByQuantizedMultiplier (double rounding) on int32 accumulators.

    ``multiplier`` and ``shift`` broadcast against ``x`` (per-channel: put the channel axis last).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    return rdbpot(srdhm(wrap_int32(x << left), multiplier), right)


def requantize(acc, multiplier, shift, out_zp, act_min=-128, act_max=127):
    """int32 accumulator -> int8 output: scale, add the output zero point, clamp to the activation."""
    y = multiply_by_quantized_multiplier(acc, multiplier, shift) + int(out_zp)
    return np.clip(y, act_min, act_max).astype(np.int8)


def conv_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """Per-channel conv/depthwise multiplier: product and quotient formed in double (TFLM)."""
    eff = float(np.float64(input_scale)) * float(np.float64(filter_scale)) / float(np.float64(output_scale))
    return quantize_multiplier(eff)


def fc_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """FULLY_CONNECTED multiplier: TFLM forms input*filter scale in float32, then divides in double."""
    prod = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(prod / float(np.float64(output_scale)))

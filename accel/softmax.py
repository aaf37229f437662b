"""TFLite-Micro's int8 SOFTMAX, bit for bit: gemmlowp fixed point (exp_on_negative_values, reciprocal).

References (TensorFlow Lite sources):
* kernels/internal/quantization_util.cc: PreprocessSoftmaxScaling, CalculateInputRadius,
  QuantizeMultiplierGreaterThanOne;
* micro/kernels/softmax_common.cc: CalculateSoftmaxParams (kScaledDiffIntegerBits = 5);
* kernels/internal/reference/softmax.h: Softmax<int8_t, int8_t> (kAccumulationIntegerBits = 12);
* kernels/internal/common.h: GetReciprocal, MultiplyByQuantizedMultiplierGreaterThanOne;
* gemmlowp/fixedpoint/fixedpoint.h: SaturatingRoundingDoublingHighMul, RoundingDivideByPOT,
  SaturatingRoundingMultiplyByPOT, RoundingHalfSum, exp_on_interval_between_negative_one_quarter_and_0_excl,
  exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1.

Values are numpy int64 arrays holding int32 quantities; every step that could leave int32 range in C
is wrapped or saturated as C/gemmlowp would.
"""
from __future__ import annotations

import math

import numpy as np

from accel.quant import INT32_MAX, INT32_MIN, quantize_multiplier, rdbpot, srdhm, wrap_int32

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


def softmax_params(beta: float, input_scale: float) -> dict:
    """TFLM's int8 softmax parameters: input_multiplier, input_left_shift, diff_min.

    Raises ValueError where TFLM would fail its own checks (multiplier not greater than one).
    """
    real = min(float(beta) * float(np.float32(input_scale)) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)),
               float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(f"softmax beta*input_scale = {real / (1 << 26):.3g} is too small for TFLM's int8 softmax")
    mult, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise ValueError("softmax input multiplier has a negative shift; unsupported by TFLM")
    max_input_rescaled = (1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1) * (1 << (31 - SCALED_DIFF_INTEGER_BITS))
                          / (1 << left_shift))
    diff_min = -int(math.floor(max_input_rescaled))
    return {"beta": float(beta), "input_multiplier": int(mult), "input_left_shift": int(left_shift),
            "diff_min": int(diff_min)}


def _sat_shl(x, exponent: int):
    """gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent (saturating left shift)."""
    threshold = (1 << (31 - exponent)) - 1
    y = x << exponent
    y = np.where(x > threshold, INT32_MAX, y)
    return np.where(x < -threshold, INT32_MIN, y)


def _rounding_half_sum(a, b):
    s = np.asarray(a, np.int64) + np.asarray(b, np.int64)
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s // 2, -((-s) // 2))     # C division truncates toward zero


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """gemmlowp, Q0.31 in and out."""
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = wrap_int32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rdbpot(x4, 2)
    inner = wrap_int32(srdhm(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2)
    poly = rdbpot(inner, 1)
    return wrap_int32(constant_term + srdhm(constant_term, wrap_int32(x + poly)))


_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401),
           (4, 242))


def exp_on_negative_values(a, integer_bits: int = SCALED_DIFF_INTEGER_BITS):
    """gemmlowp exp_on_negative_values: Q(integer_bits) input <= 0 -> Q0.31 output."""
    a = np.asarray(a, np.int64)
    frac = 31 - integer_bits
    one_quarter = 1 << (frac - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap_int32((a & mask) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        _sat_shl(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _BARREL:
        if integer_bits > exponent:
            bit = 1 << (frac + exponent)
            result = np.where((remainder & bit) != 0, srdhm(result, multiplier), result)
    assert integer_bits <= 5
    return np.where(a == 0, INT32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp: Q0.31 a in [0, 1) -> Q0.31 1/(1+a) (Newton-Raphson, 3 iterations)."""
    half_denominator = _rounding_half_sum(a, INT32_MAX)
    constant_48_over_17 = 1515870810
    constant_neg_32_over_17 = -1010580540
    one_q2 = 1 << 29
    x = wrap_int32(constant_48_over_17 + srdhm(half_denominator, constant_neg_32_over_17))
    for _ in range(3):
        half_denominator_times_x = srdhm(half_denominator, x)
        one_minus = wrap_int32(one_q2 - half_denominator_times_x)
        x = wrap_int32(x + _sat_shl(srdhm(x, one_minus), 2))
    return _sat_shl(x, 1)


def _clz32(x):
    x = np.asarray(x, np.int64) & 0xFFFFFFFF
    n = np.zeros(x.shape, np.int64)
    out = np.where(x == 0, 32, 0)
    y = x.copy()
    for s in (16, 8, 4, 2, 1):
        big = y >= (1 << (32 - s))
        n = np.where(big, n, n + s)
        y = np.where(big, y, y << s) & 0xFFFFFFFF
    return np.where(x == 0, out, n)


def get_reciprocal(x, x_integer_digits: int):
    """TFLM GetReciprocal: returns (Q0.31 reciprocal raw, num_bits_over_unit)."""
    x = np.asarray(x, np.int64)
    headroom_plus_one = _clz32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = (((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31)
    shifted_sum_minus_one = wrap_int32(shifted)
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def softmax_int8(x, params: dict):
    """int8 softmax over the last axis (any leading shape), output scale 1/256, zero point -128."""
    x = np.asarray(x, np.int64)
    mult, left, diff_min = params["input_multiplier"], params["input_left_shift"], params["diff_min"]
    diff = x - x.max(axis=-1, keepdims=True)
    valid = diff >= diff_min
    rescaled = srdhm(wrap_int32(diff * (1 << left)), mult)
    exps = exp_on_negative_values(rescaled)
    contrib = np.where(valid, rdbpot(exps, ACCUMULATION_INTEGER_BITS), 0)   # Rescale<12>: Q0.31 -> Q12.19
    sum_of_exps = wrap_int32(contrib.sum(axis=-1, keepdims=True))
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    unsat = rdbpot(srdhm(shifted_scale, exps), num_bits_over_unit + 31 - 8)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8)

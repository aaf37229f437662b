"""accel.quant against hand-computed cases of TFLM's rounding primitives."""
import math

import numpy as np
import pytest

from accel import quant


@pytest.mark.parametrize("real, expected", [
    (0.0, (0, 0)),
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.25, (1 << 30, -1)),
    (0.75, (3 << 29, 0)),
    (2.0 ** -40, (0, 0)),                       # shift < -31 flushes to zero
    (1.0 - 2.0 ** -33, (1 << 30, 1)),           # mantissa rounds up to 2**31: halved, shift + 1
])
def test_quantize_multiplier_hand_cases(real, expected):
    assert quant.quantize_multiplier(real) == expected


def test_quantize_multiplier_rounds_half_away():
    # q = 0.5 + 2**-32 * 1.5 -> q * 2**31 = 2**30 + 0.75 -> rounds to 2**30 + 1
    real = 0.5 + 1.5 * 2.0 ** -32
    m, s = quant.quantize_multiplier(real)
    assert (m, s) == ((1 << 30) + 1, 0)


def test_srdhm_hand_cases():
    assert int(quant.srdhm(1 << 30, 1 << 30)) == 1 << 29
    assert int(quant.srdhm(quant.INT32_MIN, quant.INT32_MIN)) == quant.INT32_MAX
    # gemmlowp's nudge (1 - 2**30 for negative products) followed by a truncating division makes exact
    # halves of negative products go toward zero: +1.5 -> 2 but -1.5 -> -1, +0.5 -> 1 but -0.5 -> 0.
    assert int(quant.srdhm(3, 1 << 30)) == 2
    assert int(quant.srdhm(-3, 1 << 30)) == -1
    assert int(quant.srdhm(1, 1 << 30)) == 1
    assert int(quant.srdhm(-1, 1 << 30)) == 0
    assert int(quant.srdhm(-5, 1 << 29)) == -1         # -1.25 -> -1
    assert int(quant.srdhm(-7, 1 << 29)) == -2         # -1.75 -> -2


@pytest.mark.parametrize("x, e, expected", [
    (5, 1, 3), (-5, 1, -3), (4, 1, 2), (-4, 1, -2), (6, 2, 2), (-6, 2, -2), (7, 2, 2), (-7, 2, -2),
    (5, 2, 1), (-5, 2, -1), (0, 5, 0), (123, 0, 123), (-(1 << 31), 31, -1), ((1 << 31) - 1, 31, 1),
])
def test_rdbpot_hand_cases(x, e, expected):
    assert int(quant.rdbpot(x, e)) == expected


def test_multiply_by_quantized_multiplier_double_rounding():
    # x * 0.25 as (2**30, -1): x=5 -> srdhm = 3 (2.5 up), rdbpot(3, 1) = 2, where a single rounding of
    # 1.25 gives 1; x=-5 -> srdhm = -2 (-2.5 toward zero), rdbpot(-2, 1) = -1.
    assert int(quant.multiply_by_quantized_multiplier(5, 1 << 30, -1)) == 2
    assert int(quant.multiply_by_quantized_multiplier(-5, 1 << 30, -1)) == -1
    assert int(quant.multiply_by_quantized_multiplier(-6, 1 << 30, -1)) == -2   # -3 -> -1.5 -> -2
    assert int(quant.multiply_by_quantized_multiplier(3, 1 << 30, 2)) == 6   # left shift 2 then x0.5


def test_requantize_clamps():
    acc = np.array([-10 ** 6, 0, 10 ** 6])
    out = quant.requantize(acc, 1 << 30, 0, 5, act_min=-20, act_max=100)
    assert out.tolist() == [-20, 5, 100]
    assert out.dtype == np.int8


def test_conv_vs_fc_multiplier_rounding():
    # The FC product is formed in float32: pick scales where that changes the multiplier.
    rng = np.random.default_rng(0)
    differ = 0
    for _ in range(2000):
        a, b, c = (float(np.float32(v)) for v in rng.uniform(1e-3, 1e-1, 3))
        conv = quant.conv_multiplier(a, b, c)
        fc = quant.fc_multiplier(a, b, c)
        assert fc == quant.quantize_multiplier(float(np.float32(a) * np.float32(b)) / c)
        assert conv == quant.quantize_multiplier(a * b / c)
        differ += conv != fc
    assert differ > 0


def test_vectorized_matches_scalar(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-(1 << 31), 1 << 31, 500, dtype=np.int64)
    m = rng.integers(1 << 30, 1 << 31, 500, dtype=np.int64)
    s = rng.integers(-12, 3, 500)
    vec = quant.multiply_by_quantized_multiplier(x, m, s)
    for i in range(0, 500, 37):
        assert vec[i] == quant.multiply_by_quantized_multiplier(int(x[i]), int(m[i]), int(s[i]))
    # Against exact rational arithmetic with the two roundings spelled out.
    for i in range(500):
        xi = int(quant.wrap_int32(int(x[i]) << max(int(s[i]), 0)))
        prod = xi * int(m[i])
        hi = prod + (1 << 30) if prod >= 0 else prod + 1 - (1 << 30)
        hi = int(math.trunc(hi / (1 << 31))) if abs(hi) < (1 << 52) else (abs(hi) >> 31) * (1 if hi >= 0 else -1)
        r = max(-int(s[i]), 0)
        expect = int(quant.rdbpot(hi, r))
        assert int(vec[i]) == expect

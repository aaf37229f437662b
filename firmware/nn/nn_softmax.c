/*
 * Int8 softmax: TFLite reference_ops::Softmax<int8_t, int8_t> with gemmlowp fixed point
 * (kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12, output scale 1/256, zero point -128).
 */
#include "nn.h"

static int32_t sat_shl(int32_t x, int32_t exponent)   /* SaturatingRoundingMultiplyByPOT<+exponent> */
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

static int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    int64_t sum = (int64_t)a + (int64_t)b;
    int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.31 */
static int32_t exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;      /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = wrap_add(a, 1 << 28);
    const int32_t x2 = nn_srdhm(x, x);
    const int32_t x3 = nn_srdhm(x2, x);
    const int32_t x4 = nn_srdhm(x2, x2);
    const int32_t x4_over_4 = nn_rdbpot(x4, 2);
    const int32_t poly = nn_rdbpot(wrap_add(nn_srdhm(wrap_add(x4_over_4, x3), constant_1_over_3), x2), 1);
    return wrap_add(constant_term, nn_srdhm(constant_term, wrap_add(x, poly)));
}

int32_t nn_exp_on_negative_values_q5(int32_t a)
{
    static const int32_t mults[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t frac = 26;                       /* 31 - 5 integer bits */
    const int32_t one_quarter = 1 << (frac - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = exp_quarter(sat_shl(a_mod_quarter_minus_one_quarter, 5));
    const int32_t remainder = (int32_t)((uint32_t)a_mod_quarter_minus_one_quarter - (uint32_t)a);
    for (int32_t k = 0; k < 7; k++) {            /* exponents -2 .. +4 */
        const int32_t bit = frac - 2 + k;
        if (remainder & (int32_t)((uint32_t)1 << bit))
            result = nn_srdhm(result, mults[k]);
    }
    return a == 0 ? INT32_MAX : result;
}

int32_t nn_one_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x = wrap_add(constant_48_over_17, nn_srdhm(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; i++) {
        const int32_t half_denominator_times_x = nn_srdhm(half_denominator, x);
        const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) - (uint32_t)half_denominator_times_x);
        x = wrap_add(x, sat_shl(nn_srdhm(x, one_minus), 2));
    }
    return sat_shl(x, 1);
}

static int32_t clz32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* exp of the rescaled difference x - max (0, -1, ..., -255 for int8) depends only on the layer's
 * sm_mult / sm_shift: each value is computed once and remembered (the same function, so the same bits),
 * which takes the KWS app's per-hop softmax from ~15 k to ~1 k cycles. The memo is reset when a layer
 * with other parameters comes. */
static int32_t exp_memo[256];
static uint8_t exp_known[256];
static int32_t memo_mult, memo_shift, memo_ok;

static int32_t exp_of_diff(const nn_layer_t *l, int32_t diff)
{
    if (!memo_ok || memo_mult != l->sm_mult || memo_shift != l->sm_shift) {
        for (int i = 0; i < 256; i++)
            exp_known[i] = 0;
        memo_mult = l->sm_mult;
        memo_shift = l->sm_shift;
        memo_ok = 1;
    }
    const uint32_t i = (uint32_t)(-diff) & 255u;       /* diff in [-255, 0] */
    if (!exp_known[i]) {
        const int32_t rescaled = nn_srdhm((int32_t)((uint32_t)diff << l->sm_shift), l->sm_mult);
        exp_memo[i] = nn_exp_on_negative_values_q5(rescaled);
        exp_known[i] = 1;
    }
    return exp_memo[i];
}

int nn_softmax_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t depth = l->in_c;
    const int32_t outer = l->in_h * l->in_w;
    for (int32_t r = 0; r < outer; r++) {
        const int8_t *x = in + r * depth;
        int8_t *y = out + r * depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; c++)
            if (x[c] > max_in_row)
                max_in_row = x[c];
        int32_t sum_of_exps = 0;   /* Q12.19 */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= l->sm_diff_min)
                sum_of_exps = wrap_add(sum_of_exps, nn_rdbpot(exp_of_diff(l, diff), 12));
        }
        /* GetReciprocal(sum_of_exps, 12) */
        const int32_t headroom_plus_one = clz32((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = 12 - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = nn_one_over_one_plus_x(shifted_sum_minus_one);
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= l->sm_diff_min) {
                const int32_t e = exp_of_diff(l, diff);
                int32_t v = nn_rdbpot(nn_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8) - 128;
                y[c] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
            } else {
                y[c] = -128;
            }
        }
    }
    return NN_OK;
}

/* Requantization primitives: TFLite-Micro common.h / gemmlowp fixedpoint.h semantics (see nn.h). */
#include "nn.h"

int32_t nn_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));   /* C division truncates toward zero */
}

int32_t nn_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);   /* arithmetic shift, as gemmlowp */
}

int32_t nn_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* x * (1 << left) with two's-complement wrap (as the C++ reference behaves on the targets). */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return nn_rdbpot(nn_srdhm(shifted, multiplier), right);
}

int8_t nn_requant(int32_t acc, int32_t multiplier, int32_t shift, int32_t out_zp, int32_t act_min,
                  int32_t act_max)
{
    int32_t y = nn_mbqm(acc, multiplier, shift) + out_zp;
    if (y < act_min)
        y = act_min;
    if (y > act_max)
        y = act_max;
    return (int8_t)y;
}

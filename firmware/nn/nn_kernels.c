/*
 * Int8 conv / depthwise / pooling / FC / MEAN kernels: TFLite-Micro reference_integer_ops semantics.
 * Padded taps are skipped (equivalent to padding with the input zero point); accumulators are int32.
 */
#include "nn.h"

static inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* reference_integer_ops::ConvPerChannel */
int nn_conv2d_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t ih = l->in_h, iw = l->in_w, cin = l->in_c, cout = l->out_c;
    const int32_t kh = l->k_h, kw = l->k_w;
    const int32_t in_off = -l->in_zp;
    for (int32_t oy = 0; oy < l->out_h; oy++) {
        const int32_t y0 = oy * l->s_h - l->pad_t;
        for (int32_t ox = 0; ox < l->out_w; ox++) {
            const int32_t x0 = ox * l->s_w - l->pad_l;
            for (int32_t oc = 0; oc < cout; oc++) {
                int32_t acc = l->bias ? l->bias[oc] : 0;
                const int8_t *w_oc = l->weights + (int32_t)oc * kh * kw * cin;
                for (int32_t ky = 0; ky < kh; ky++) {
                    const int32_t y = y0 + ky;
                    if (y < 0 || y >= ih)
                        continue;
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t x = x0 + kx;
                        if (x < 0 || x >= iw)
                            continue;
                        const int8_t *px = in + ((int32_t)y * iw + x) * cin;
                        const int8_t *pw = w_oc + (ky * kw + kx) * cin;
                        for (int32_t ic = 0; ic < cin; ic++)
                            acc += ((int32_t)px[ic] + in_off) * (int32_t)pw[ic];
                    }
                }
                out[((int32_t)oy * l->out_w + ox) * cout + oc] =
                    nn_requant(acc, l->mult[oc], l->shift[oc], l->out_zp, l->act_min, l->act_max);
            }
        }
    }
    return NN_OK;
}

/* reference_integer_ops::DepthwiseConvPerChannel, depth multiplier 1 */
int nn_depthwise_conv2d_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t ih = l->in_h, iw = l->in_w, c = l->in_c;
    const int32_t kh = l->k_h, kw = l->k_w;
    const int32_t in_off = -l->in_zp;
    if (l->out_c != c)
        return NN_ERR_SHAPE;
    for (int32_t oy = 0; oy < l->out_h; oy++) {
        const int32_t y0 = oy * l->s_h - l->pad_t;
        for (int32_t ox = 0; ox < l->out_w; ox++) {
            const int32_t x0 = ox * l->s_w - l->pad_l;
            for (int32_t ch = 0; ch < c; ch++) {
                int32_t acc = l->bias ? l->bias[ch] : 0;
                for (int32_t ky = 0; ky < kh; ky++) {
                    const int32_t y = y0 + ky;
                    if (y < 0 || y >= ih)
                        continue;
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t x = x0 + kx;
                        if (x < 0 || x >= iw)
                            continue;
                        acc += ((int32_t)in[((int32_t)y * iw + x) * c + ch] + in_off) *
                               (int32_t)l->weights[(ky * kw + kx) * c + ch];
                    }
                }
                out[((int32_t)oy * l->out_w + ox) * c + ch] =
                    nn_requant(acc, l->mult[ch], l->shift[ch], l->out_zp, l->act_min, l->act_max);
            }
        }
    }
    return NN_OK;
}

/* reference_integer_ops::AveragePool (int8): in-bounds taps only, (sum +/- n/2) / n, C truncation */
int nn_avgpool_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t ih = l->in_h, iw = l->in_w, c = l->in_c;
    for (int32_t oy = 0; oy < l->out_h; oy++) {
        const int32_t y0 = oy * l->s_h - l->pad_t;
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = (ih - y0) < l->k_h ? (ih - y0) : l->k_h;
        for (int32_t ox = 0; ox < l->out_w; ox++) {
            const int32_t x0 = ox * l->s_w - l->pad_l;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = (iw - x0) < l->k_w ? (iw - x0) : l->k_w;
            for (int32_t ch = 0; ch < c; ch++) {
                int32_t acc = 0, n = 0;
                for (int32_t ky = ky0; ky < ky1; ky++)
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        acc += in[((y0 + ky) * iw + (x0 + kx)) * c + ch];
                        n++;
                    }
                if (n == 0)
                    return NN_ERR_SHAPE;
                acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
                out[(oy * l->out_w + ox) * c + ch] = (int8_t)clamp_i32(acc, l->act_min, l->act_max);
            }
        }
    }
    return NN_OK;
}

/* reference_integer_ops::MaxPool (int8) */
int nn_maxpool_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t ih = l->in_h, iw = l->in_w, c = l->in_c;
    for (int32_t oy = 0; oy < l->out_h; oy++) {
        const int32_t y0 = oy * l->s_h - l->pad_t;
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = (ih - y0) < l->k_h ? (ih - y0) : l->k_h;
        for (int32_t ox = 0; ox < l->out_w; ox++) {
            const int32_t x0 = ox * l->s_w - l->pad_l;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = (iw - x0) < l->k_w ? (iw - x0) : l->k_w;
            for (int32_t ch = 0; ch < c; ch++) {
                int32_t m = -128;
                for (int32_t ky = ky0; ky < ky1; ky++)
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        int32_t v = in[((y0 + ky) * iw + (x0 + kx)) * c + ch];
                        if (v > m)
                            m = v;
                    }
                out[(oy * l->out_w + ox) * c + ch] = (int8_t)clamp_i32(m, l->act_min, l->act_max);
            }
        }
    }
    return NN_OK;
}

/* reference_integer_ops::FullyConnected (per-tensor, or per-channel when mult/shift vary) */
int nn_fully_connected_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t cin = l->in_h * l->in_w * l->in_c, cout = l->out_h * l->out_w * l->out_c;
    const int32_t in_off = -l->in_zp;
    for (int32_t o = 0; o < cout; o++) {
        int32_t acc = l->bias ? l->bias[o] : 0;
        const int8_t *w = l->weights + (int32_t)o * cin;
        for (int32_t i = 0; i < cin; i++)
            acc += ((int32_t)in[i] + in_off) * (int32_t)w[i];
        out[o] = nn_requant(acc, l->mult[o], l->shift[o], l->out_zp, l->act_min, l->act_max);
    }
    return NN_OK;
}

/* TFLM MEAN over H, W: MBQM(sum(x) - in_zp * n, mult, shift) + out_zp (1/n folded into mult/shift) */
int nn_mean_s8(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    const int32_t n = l->in_h * l->in_w, c = l->in_c;
    if (l->out_h * l->out_w * l->out_c != c)
        return NN_ERR_SHAPE;
    for (int32_t ch = 0; ch < c; ch++) {
        int32_t acc = 0;
        for (int32_t i = 0; i < n; i++)
            acc += in[i * c + ch];
        acc -= l->in_zp * n;
        out[ch] = nn_requant(acc, l->mult[ch], l->shift[ch], l->out_zp, -128, 127);
    }
    return NN_OK;
}

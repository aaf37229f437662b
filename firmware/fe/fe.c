/* C port of frontend/golden.py (see fe.h).  Every step mirrors the golden model: floor shifts,
 * explicit rounding constants, explicit saturation.  Right shifts of negative values go through
 * asr32/asr64 (floor division by 2^n), so nothing relies on implementation-defined behaviour. */
#include "fe.h"
#include "fe_tables.h"

#if FE_NFFT != (1 << FE_FFT_STAGES) || FE_FFT_STAGES != 9 || FE_MAX_FEATURES < FE_NMELS || FE_WIN > 2 * FE_HOP
#error "fe.c assumes a 512-point FFT and a window within two hops (regenerate: python -m frontend headers)"
#endif
#if FE_BIN_HI > FE_NFFT / 2
#error "the pruned last FFT stage assumes every mel bin is below NFFT/2"
#endif

static inline int32_t asr32(int32_t x, int n) { return x >= 0 ? (x >> n) : ~((~x) >> n); }
static inline int64_t asr64(int64_t x, int n) { return x >= 0 ? (x >> n) : ~((~x) >> n); }

static inline int32_t sat_bits(int32_t x, int bits)
{
    const int32_t hi = (int32_t)((1L << (bits - 1)) - 1), lo = -hi - 1;
    return x > hi ? hi : (x < lo ? lo : x);
}

static inline int8_t sat8_64(int64_t x) { return (int8_t)(x > 127 ? 127 : (x < -128 ? -128 : x)); }

/* bit length of x > 0 */
static int bit_length64(uint64_t x)
{
    int n = 0;
    if (x >> 32) { n += 32; x >>= 32; }
    if (x >> 16) { n += 16; x >>= 16; }
    if (x >> 8) { n += 8; x >>= 8; }
    if (x >> 4) { n += 4; x >>= 4; }
    if (x >> 2) { n += 2; x >>= 2; }
    if (x >> 1) { n += 1; x >>= 1; }
    return n + (int)x;
}

/* golden.log2_q10: e * 1024 + LUT[8 mantissa bits after the leading one]; x <= 0 -> LOG_ZERO */
static int32_t log2_q10(int64_t x)
{
    if (x <= 0)
        return FE_LOG_ZERO;
    uint64_t u = (uint64_t)x;
    int e = bit_length64(u) - 1;
    int sh = e - FE_LOG_IDX_BITS;
    uint32_t idx = (uint32_t)((sh >= 0 ? (u >> sh) : (u << -sh)) & ((1u << FE_LOG_IDX_BITS) - 1));
    return (int32_t)e * (1 << FE_LOG_FRAC) + fe_log2_lut_q10[idx];
}

/* golden.exp2_q16: 2^(t / 1024) in Q16, t clamped to [EXP_TMIN, EXP_TMAX] */
static int64_t exp2_q16(int64_t t64)
{
    int32_t t = (int32_t)(t64 < FE_EXP_TMIN ? FE_EXP_TMIN : (t64 > FE_EXP_TMAX ? FE_EXP_TMAX : t64));
    int i = (int)asr32(t, FE_EXP_FRAC_BITS) + (FE_EXP_OUT_FRAC - 15);
    int64_t v = fe_exp2_lut_q15[(uint32_t)t & ((1u << FE_EXP_FRAC_BITS) - 1)];
    return i >= 0 ? (v << i) : (v >> -i);
}

int fe_c_features(int mode)
{
    return mode == FE_MODE_LOGMEL ? FE_FEATURES_LOGMEL
         : mode == FE_MODE_PCEN ? FE_FEATURES_PCEN
         : mode == FE_MODE_MFCC ? FE_FEATURES_MFCC : 0;
}

size_t fe_c_state_size(void) { return sizeof(fe_c_t); }

int fe_c_init(fe_c_t *s, int mode, const fe_pcen_q_t *pcen)
{
    int i;
    if (fe_c_features(mode) == 0)
        return -1;
    s->mode = mode;
    s->hops = 0;
    if (pcen) {
        s->q = *pcen;
    } else {
        s->q.b_q16 = FE_PCEN_DEFAULT_B_Q16;
        s->q.alpha_q14 = FE_PCEN_DEFAULT_ALPHA_Q14;
        s->q.delta_q16 = FE_PCEN_DEFAULT_DELTA_Q16;
        s->q.r_q14 = FE_PCEN_DEFAULT_R_Q14;
        s->q.eps_q = FE_PCEN_DEFAULT_EPS_Q;
        s->q.m_init = FE_PCEN_DEFAULT_M_INIT;
    }
    s->c_alpha = (int32_t)asr64((int64_t)(FE_PCEN_E_LOG2_UNITS << FE_LOG_FRAC) * (16384 - s->q.alpha_q14) + 8192, 14);
    {   /* golden._delta_pow: delta^r through the same log2/exp2 datapath */
        int64_t ld = (int64_t)log2_q10(s->q.delta_q16) - (16 << FE_LOG_FRAC);
        s->delta_pow = exp2_q16(asr64((int64_t)s->q.r_q14 * ld + 8192, 14));
    }
    for (i = 0; i < FE_NMELS; i++)
        s->M[i] = s->q.m_init;
    for (i = 0; i < 2 * FE_HOP; i++)
        s->buf[i] = 0;
    return 0;
}

/* one radix-2 DIT butterfly, golden.fft_fixed_int: t = (b * W + 2^14) >> 15 per component */
#define TW_PRODUCT(br, bi, wr, wi, tr, ti)                                                      \
    do {                                                                                        \
        tr = (int32_t)asr64((int64_t)(br) * (wr) - (int64_t)(bi) * (wi) + (1 << (FE_TW_FRAC - 1)), FE_TW_FRAC); \
        ti = (int32_t)asr64((int64_t)(br) * (wi) + (int64_t)(bi) * (wr) + (1 << (FE_TW_FRAC - 1)), FE_TW_FRAC); \
    } while (0)

/* Window the 480 samples at buf[0..479] and FFT them; re/im[0 .. FE_BIN_HI-1] hold bins 0..BIN_HI-1. */
static void window_fft(fe_c_t *s)
{
    int32_t *re = s->re, *im = s->im;
    int p, st;
    /* load in bit-reversed order: position p holds xw[bitrev(p)] (zero padding past 480) */
    for (p = 0; p < FE_NFFT; p++) {
        int n = fe_bitrev9[p];
        int32_t v = 0;
        if (n < FE_WIN)
            v = sat_bits(asr32((int32_t)s->buf[n] * (int32_t)fe_window_q15[n] + (1 << (FE_WIN_FRAC - 1)),
                               FE_WIN_FRAC), 16);
        re[p] = v;
    }
    /* stages 0 and 1 on real data (W = 1 and -i: exact): out = a0 + b0, a1 - i b1, a0 - b0, a1 + i b1 */
    for (p = 0; p < FE_NFFT; p += 4) {
        int32_t a0 = re[p] + re[p + 1], a1 = re[p] - re[p + 1];
        int32_t b0 = re[p + 2] + re[p + 3], b1 = re[p + 2] - re[p + 3];
        re[p] = a0 + b0; im[p] = 0;
        re[p + 1] = a1; im[p + 1] = -b1;
        re[p + 2] = a0 - b0; im[p + 2] = 0;
        re[p + 3] = a1; im[p + 3] = b1;
    }
    /* full stages 2 .. 6 */
    for (st = 2; st < FE_FFT_STAGES - 2; st++) {
        int half = 1 << st, g = FE_NFFT / (2 * half), base, j;
        for (j = 0; j < half; j++) {
            int32_t wr = fe_twiddle_re_q15[j * g], wi = fe_twiddle_im_q15[j * g];
            for (base = 0; base < FE_NFFT; base += 2 * half) {
                int a = base + j, b = a + half;
                int32_t tr, ti, ar = re[a], ai = im[a];
                TW_PRODUCT(re[b], im[b], wr, wi, tr, ti);
                re[a] = sat_bits(ar + tr, FE_FFT_BITS);
                im[a] = sat_bits(ai + ti, FE_FFT_BITS);
                re[b] = sat_bits(ar - tr, FE_FFT_BITS);
                im[b] = sat_bits(ai - ti, FE_FFT_BITS);
            }
        }
    }
    /* stage 7: stage 8 reads positions j and j + 256 for j < BIN_HI only, so the '-' outputs
     * (positions base + 128 + j) are computed only while 128 + j < BIN_HI */
    {
        const int half = FE_NFFT / 4, g = 2;
        int base, j;
        for (base = 0; base < FE_NFFT; base += 2 * half)
            for (j = 0; j < half; j++) {
                int a = base + j, b = a + half;
                int32_t tr, ti, ar = re[a], ai = im[a];
                TW_PRODUCT(re[b], im[b], fe_twiddle_re_q15[j * g], fe_twiddle_im_q15[j * g], tr, ti);
                re[a] = sat_bits(ar + tr, FE_FFT_BITS);
                im[a] = sat_bits(ai + ti, FE_FFT_BITS);
                if (half + j < FE_BIN_HI) {
                    re[b] = sat_bits(ar - tr, FE_FFT_BITS);
                    im[b] = sat_bits(ai - ti, FE_FFT_BITS);
                }
            }
    }
    /* stage 8: bins 0 .. BIN_HI-1 only ('+' outputs) */
    {
        const int half = FE_NFFT / 2;
        int j;
        for (j = 0; j < FE_BIN_HI; j++) {
            int32_t tr, ti;
            TW_PRODUCT(re[j + half], im[j + half], fe_twiddle_re_q15[j], fe_twiddle_im_q15[j], tr, ti);
            re[j] = sat_bits(re[j] + tr, FE_FFT_BITS);
            im[j] = sat_bits(im[j] + ti, FE_FFT_BITS);
        }
    }
}

int fe_c_push(fe_c_t *s, const int16_t hop[FE_HOP], int8_t *frame_out)
{
    int64_t E[FE_NMELS];
    int i, m;
    for (i = 0; i < FE_HOP; i++) {
        s->buf[i] = s->buf[i + FE_HOP];
        s->buf[i + FE_HOP] = hop[i];
    }
    if (s->hops < 2)
        s->hops++;
    if (s->hops < 2)
        return 0;

    window_fft(s);
    /* mel energies: E[band] = sum_k w * (re^2 + im^2)  (< 2^58) */
    for (m = 0; m < FE_NMELS; m++)
        E[m] = 0;
    for (i = 0; i < FE_MEL_NNZ; i++) {
        int k = fe_mel_bin[i];
        int64_t P = (int64_t)s->re[k] * s->re[k] + (int64_t)s->im[k] * s->im[k];
        E[fe_mel_band[i]] += P * (int64_t)fe_mel_weight[i];
    }

    if (s->mode == FE_MODE_LOGMEL) {
        for (m = 0; m < FE_NMELS; m++) {
            int32_t L = log2_q10(E[m]);
            int32_t v = asr32(L - (FE_MEL_SHIFT << FE_LOG_FRAC) - (FE_LM_LO * (1 << FE_LOG_FRAC)) +
                              (1 << (FE_LM_STEP_SHIFT - 1)), FE_LM_STEP_SHIFT) - 128;
            frame_out[m] = sat8_64(v);
        }
    } else if (s->mode == FE_MODE_MFCC) {
        int32_t Lc[FE_NMELS];
        int j;
        for (m = 0; m < FE_NMELS; m++) {
            int32_t L = log2_q10(E[m]) - (FE_MEL_SHIFT << FE_LOG_FRAC);
            const int32_t lo = FE_LM_LO * (1 << FE_LOG_FRAC), hi = FE_LM_HI * (1 << FE_LOG_FRAC);
            Lc[m] = L < lo ? lo : (L > hi ? hi : L);
        }
        for (j = 0; j < FE_NMFCC; j++) {
            int64_t acc = 0;
            for (m = 0; m < FE_NMELS; m++)
                acc += (int64_t)fe_dct_q[j * FE_NMELS + m] * Lc[m];
            frame_out[j] = sat8_64(asr64(acc + ((int64_t)1 << (FE_MFCC_SHIFT - 1)), FE_MFCC_SHIFT) + FE_MFCC_ZP);
        }
    } else {   /* PCEN: golden.pcen_smooth + golden.pcen_out */
        const int64_t a = s->q.alpha_q14, r = s->q.r_q14;
        for (m = 0; m < FE_NMELS; m++) {
            int64_t Es = E[m] >> FE_E_PCEN_SHIFT;   /* E >= 0 */
            int64_t M = s->M[m];
            /* M' = M + b * (Es - (M >> 16)), wrapping like numpy's int64 (never reached in range) */
            M = (int64_t)((uint64_t)M + (uint64_t)(int64_t)s->q.b_q16 * (uint64_t)(Es - asr64(M, FE_M_FRAC)));
            s->M[m] = M;
            {
                int32_t lE = log2_q10(Es);
                int64_t lM = (int64_t)log2_q10(M + s->q.eps_q) - (FE_M_FRAC << FE_LOG_FRAC);
                int64_t t = (int64_t)lE - asr64(a * lM + 8192, 14) - s->c_alpha;
                int64_t r1, ls, p, out;
                if (lE == FE_LOG_ZERO)
                    t = FE_EXP_TMIN;
                r1 = exp2_q16(t);
                ls = (int64_t)log2_q10(r1 + s->q.delta_q16) - (16 << FE_LOG_FRAC);
                p = asr64(r * ls + 8192, 14);
                out = exp2_q16(p) - s->delta_pow;
                if (out < 0)
                    out = 0;
                frame_out[m] = sat8_64(asr64(out + (1 << (FE_PCEN_OUT_SHIFT - 1)), FE_PCEN_OUT_SHIFT) + FE_PCEN_ZP);
            }
        }
    }
    return 1;
}

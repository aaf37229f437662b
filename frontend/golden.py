"""Fixed-point golden model of the audio front-end: the single definition of its arithmetic.

The RTL (frontend.hw) and the C port match this bit for bit.  Every step is plain integer
arithmetic on int64 numpy arrays (floor shifts, explicit rounding constants, explicit saturation).

Pipeline per frame (frame i = samples [320 i, 320 i + 480)):
  xw[n]  = (x[n] * win[n] + 2^14) >> 15                        int16 (|xw| <= 32768 -> saturate)
  X      = radix-2 DIT FFT(xw zero-padded to 512), unscaled, per butterfly
           t = (b * W + 2^14) >> 15 (re and im each rounded once), a' = sat24(a + t), b' = sat24(a - t)
  P[k]   = re^2 + im^2                                             48 bit, k = 0..256
  E[m]   = sum_k Wmel[m, k] * P[k]                                 60 bit (= librosa mel * 2^45)
  L[m]   = log2(E[m]) Q10 (LZC + 256-entry LUT; E = 0 -> LOG_ZERO)
  logmel : q = sat8(((L - 45*1024 - LM_LO*1024 + 64) >> 7) - 128)       step 1/8 log2
  mfcc   : Lc = clamp(L - 45*1024, LM_LO*1024, LM_HI*1024); acc = sum D_q * Lc; q = sat8(((acc + 2^24) >> 25) + zp)
  pcen   : see _pcen_frame (linear first-order smoother on E >> 12, log-domain gain, exp2/log2 power law)
"""
from __future__ import annotations

import numpy as np

from . import format as F
from . import tables as T
# The feature format is defined in frontend.format; these names stay importable from here for code
# that predates it (prefer frontend.format).
from .format import (DB_PER_LOG2, E_PCEN_SHIFT, FEATURES, LM_HI, LM_LO, LM_STEP_SHIFT,  # noqa: F401
                     M_FRAC, MFCC_SCALE_DB, MFCC_SHIFT, MFCC_ZP, MODES, PCEN_E_LOG2_UNITS, PCEN_OUT_SHIFT,
                     PCEN_ZP, PcenParams, dct_q, output_quant)

_params = F.pcen_params


# ------------------------------------------------------------------ integer primitives
def sat(x, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(x, lo, hi)


def bit_length(x: np.ndarray) -> np.ndarray:
    """Exact bit length of non-negative int64 values (0 -> 0)."""
    x = np.asarray(x, dtype=np.int64)
    e = np.frexp(x.astype(np.float64))[1].astype(np.int64)   # exact unless rounding reached 2^e
    e = np.minimum(e, 63)                                     # x < 2^63
    return np.where((e > 0) & (np.left_shift(np.int64(1), np.maximum(e - 1, 0)) > x), e - 1, e)


def log2_q10(x: np.ndarray) -> np.ndarray:
    """log2 of unsigned x (< 2^63) in Q10: e*1024 + LUT[8 mantissa bits after the leading one].
    x = 0 -> LOG_ZERO."""
    x = np.asarray(x, dtype=np.int64)
    nb = bit_length(x)
    e = nb - 1
    sh = e - T.LOG_IDX_BITS
    idx = np.where(sh >= 0, x >> np.maximum(sh, 0), x << np.maximum(-sh, 0)) & ((1 << T.LOG_IDX_BITS) - 1)
    out = (e << T.LOG_FRAC) + T.log2_lut()[idx]
    return np.where(x > 0, out, T.LOG_ZERO)


def exp2_q16(t: np.ndarray) -> np.ndarray:
    """2^(t / 1024) in Q16 for Q10 t, t clamped to [EXP_TMIN, EXP_TMAX]; LUT Q15 then shift."""
    t = np.clip(np.asarray(t, dtype=np.int64), T.EXP_TMIN, T.EXP_TMAX)
    i = (t >> T.EXP_FRAC_BITS) + (T.EXP_OUT_FRAC - 15)
    v = T.exp2_lut()[t & ((1 << T.EXP_FRAC_BITS) - 1)]
    return np.where(i >= 0, v << np.maximum(i, 0), v >> np.maximum(-i, 0))


# ------------------------------------------------------------------ stages
def frame_signal(audio: np.ndarray) -> np.ndarray:
    """(..., N) int16 -> (..., frames, 480) int64; frames = 1 + (N - 480) // 320."""
    a = np.asarray(audio)
    n = a.shape[-1]
    nf = max(0, 1 + (n - T.WIN) // T.HOP) if n >= T.WIN else 0
    idx = T.HOP * np.arange(nf)[:, None] + np.arange(T.WIN)[None, :]
    return a[..., idx].astype(np.int64)


def windowed(frames: np.ndarray) -> np.ndarray:
    return sat((frames * T.window() + (1 << (T.WIN_FRAC - 1))) >> T.WIN_FRAC, 16)


def fft_fixed(xw: np.ndarray, nbins: int = T.NBINS) -> tuple[np.ndarray, np.ndarray]:
    """Unscaled radix-2 DIT FFT of (..., 480) int -> re, im (..., nbins) (bins 0..nbins-1).

    Butterfly (stage s, twiddle W = W_512^(j * 256 / 2^s), Q15):
        tr = (br*Wr - bi*Wi + 2^14) >> 15 ; ti = (br*Wi + bi*Wr + 2^14) >> 15
        a' = sat24(a + t) ; b' = sat24(a - t)
    This is the fast path, in complex128: every product and sum is an integer multiple of 2^-15 below
    2^26, i.e. < 2^41 significant bits, so float64 is exact and floor(b * W / 2^15 + 1/2) equals the
    integer (b*W + 2^14) >> 15 per component.  Stages 0 and 1 (W = 1, -i, real input) are one exact
    radix-4 pass; with nbins <= 128 the last two stages compute only the outputs those bins need.
    sat24 never acts: |partial DFT| <= sum|xw| <= 32768*240*(1+2e-4) + 9 < 2^23 (docs/frontend.md);
    fft_fixed_int keeps the saturation and the tests check both are equal."""
    shp = xw.shape[:-1]
    n = int(np.prod(shp, dtype=np.int64)) if shp else 1
    x = np.zeros((T.NFFT, n))
    x[:T.WIN] = np.asarray(xw, dtype=np.float64).reshape(n, T.WIN).T
    x = x[T.bitrev()].reshape(T.NFFT // 4, 4, n)
    # stages 0 + 1 on real data: a = x0 +- x1, b = x2 +- x3; out = a0 + b0, a1 - i b1, a0 - b0, a1 + i b1
    a0, a1 = x[:, 0] + x[:, 1], x[:, 0] - x[:, 1]
    b0, b1 = x[:, 2] + x[:, 3], x[:, 2] - x[:, 3]
    z = np.empty((T.NFFT // 4, 4, n), dtype=np.complex128)
    z[:, 0] = a0 + b0
    z[:, 2] = a0 - b0
    z[:, 1].real = a1
    z[:, 1].imag = -b1
    z[:, 3].real = a1
    z[:, 3].imag = b1
    z = z.reshape(T.NFFT, n)
    oz = np.empty_like(z)
    w_all = _twiddles_c()
    half_c = 0.5 + 0.5j
    prune = nbins <= T.NFFT // 4
    for s in range(2, T.FFT_STAGES):
        half = 1 << s
        g = T.NFFT // (2 * half)
        m = nbins if (prune and s == T.FFT_STAGES - 1) else half
        zz = z.reshape(g, 2, half, n)
        a, b = zz[:, 0, :m], zz[:, 1, :m]
        t = b * w_all[np.arange(m) * g][:, None]
        t += half_c
        tv = t.view(np.float64)
        np.floor(tv, out=tv)
        o = oz.reshape(g, 2, half, n)
        np.add(a, t, out=o[:, 0, :m])
        if not (prune and s >= T.FFT_STAGES - 2):   # pruned: the '-' outputs feed no wanted bin
            np.subtract(a, t, out=o[:, 1, :m])
        z, oz = oz, z
    z = z[:nbins].T
    return (z.real.astype(np.int64).reshape(shp + (nbins,)),
            z.imag.astype(np.int64).reshape(shp + (nbins,)))


_TWC = []


def _twiddles_c() -> np.ndarray:
    if not _TWC:
        tw_re, tw_im = T.twiddles()
        _TWC.append((tw_re + 1j * tw_im) / (1 << T.TW_FRAC))   # exact: power-of-two scaling
    return _TWC[0]


def fft_fixed_int(xw: np.ndarray, trace: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The same FFT in plain int64 (slower; kept as the readable definition and tested equal).
    `trace` (a dict) receives the largest magnitude before saturation of every stage."""
    shp = xw.shape[:-1]
    x = np.zeros(shp + (T.NFFT,), dtype=np.int64)
    x[..., :T.WIN] = xw
    re = x[..., T.bitrev()].reshape(-1, T.NFFT)
    im = np.zeros_like(re)
    tw_re, tw_im = T.twiddles()
    half_round = 1 << (T.TW_FRAC - 1)
    for s in range(T.FFT_STAGES):
        half = 1 << s
        g = T.NFFT // (2 * half)
        r = re.reshape(-1, g, 2, half)
        i = im.reshape(-1, g, 2, half)
        wr = tw_re[np.arange(half) * g]
        wi = tw_im[np.arange(half) * g]
        ar, ai = r[:, :, 0, :], i[:, :, 0, :]
        br, bi = r[:, :, 1, :], i[:, :, 1, :]
        tr = (br * wr - bi * wi + half_round) >> T.TW_FRAC
        ti = (br * wi + bi * wr + half_round) >> T.TW_FRAC
        re = np.stack([ar + tr, ar - tr], axis=2).reshape(-1, T.NFFT)
        im = np.stack([ai + ti, ai - ti], axis=2).reshape(-1, T.NFFT)
        if trace is not None:
            trace[f"fft_stage{s}"] = int(max(np.abs(re).max(initial=0), np.abs(im).max(initial=0)))
            trace[f"fft_tw_prod{s}"] = int(max(np.abs(tr).max(initial=0), np.abs(ti).max(initial=0)))
        re, im = sat(re, T.FFT_BITS), sat(im, T.FFT_BITS)
    re = re[:, :T.NBINS].reshape(shp + (T.NBINS,))
    im = im[:, :T.NBINS].reshape(shp + (T.NBINS,))
    return re, im


def mel_energy(audio: np.ndarray) -> np.ndarray:
    """(..., N) int16 -> (..., frames, 40) int64 mel energies E (= librosa mel power * 2^45)."""
    fr = frame_signal(audio)
    W = T.mel_weights()
    nz = np.nonzero(W.any(0))[0]
    lo, hi = nz.min(), nz.max() + 1
    re, im = fft_fixed(windowed(fr), nbins=hi)
    P = re[..., lo:hi] * re[..., lo:hi] + im[..., lo:hi] * im[..., lo:hi]
    # integer matmul (exact in int64: E < 2^58)
    return P @ W[:, lo:hi].T


def logmel_q(L: np.ndarray) -> np.ndarray:
    v = ((L - (T.MEL_SHIFT << T.LOG_FRAC) - (LM_LO << T.LOG_FRAC) + (1 << (LM_STEP_SHIFT - 1)))
         >> LM_STEP_SHIFT) - 128
    return sat(v, 8)


def mfcc_q(L: np.ndarray) -> np.ndarray:
    Lc = np.clip(L - (T.MEL_SHIFT << T.LOG_FRAC), LM_LO << T.LOG_FRAC, LM_HI << T.LOG_FRAC)
    acc = Lc @ dct_q().T
    return sat(((acc + (1 << (MFCC_SHIFT - 1))) >> MFCC_SHIFT) + MFCC_ZP, 8)


def pcen_frame(E: np.ndarray, M: np.ndarray, q: dict) -> tuple[np.ndarray, np.ndarray]:
    """One PCEN step for one frame (..., 40): returns (int8 features, new smoother state)."""
    M = pcen_smooth(E, M, q)
    return pcen_out(E, M, q), M


def pcen_smooth(E, M, q):
    """M' = M + b * ((E >> 12) - (M >> 16)); M is Q16 in units of E >> 12 (63-bit signed)."""
    return M + q["b_q16"] * ((E >> E_PCEN_SHIFT) - (M >> M_FRAC))


def pcen_out(E, M, q):
    """PCEN of energies E given the (already updated) smoother state M, int8."""
    Es = E >> E_PCEN_SHIFT
    lE = log2_q10(Es)
    lM = log2_q10(M + q["eps_q"]) - (M_FRAC << T.LOG_FRAC)
    a = q["alpha_q14"]
    c = ((PCEN_E_LOG2_UNITS << T.LOG_FRAC) * (16384 - a) + 8192) >> 14
    t = lE - ((a * lM + 8192) >> 14) - c
    t = np.where(lE == T.LOG_ZERO, T.EXP_TMIN, t)
    r1 = exp2_q16(t)
    ls = log2_q10(r1 + q["delta_q16"]) - (16 << T.LOG_FRAC)
    p = (q["r_q14"] * ls + 8192) >> 14
    out = np.maximum(exp2_q16(p) - _delta_pow(q), 0)
    v = ((out + (1 << (PCEN_OUT_SHIFT - 1))) >> PCEN_OUT_SHIFT) + PCEN_ZP
    return sat(v, 8)


def _delta_pow(q: dict) -> int:
    """delta^r in Q16, through the same log2/exp2 datapath."""
    ld = int(log2_q10(np.int64(q["delta_q16"]))) - (16 << T.LOG_FRAC)
    return int(exp2_q16(np.int64((q["r_q14"] * ld + 8192) >> 14)))


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {MODES})")


_CHUNK = 2


def features(audio, mode: str = "logmel", params=None) -> np.ndarray:
    """int16 audio (N,) -> (frames, F) int8, or (B, N) -> (B, frames, F).  16000 samples -> 49 frames."""
    _check_mode(mode)
    a = np.asarray(audio)
    if a.dtype != np.int16:
        raise TypeError(f"audio must be int16, got {a.dtype}")
    if a.ndim not in (1, 2):
        raise ValueError("audio must have shape (N,) or (B, N)")
    if a.ndim == 2 and a.shape[0] > _CHUNK:   # cache-sized chunks for large batches
        return np.concatenate([features(a[i:i + _CHUNK], mode, params)
                               for i in range(0, a.shape[0], _CHUNK)], axis=0)
    E = mel_energy(a)
    if mode == "pcen":
        q = _params(params).quantized()
        M = np.full(E.shape[:-2] + (T.NMELS,), q["m_init"], dtype=np.int64)
        Ms = np.empty(E.shape, dtype=np.int64)
        Es = E >> E_PCEN_SHIFT
        b = q["b_q16"]
        for f in range(E.shape[-2]):          # only the smoother is sequential (= pcen_smooth)
            M = M + b * (Es[..., f, :] - (M >> M_FRAC))
            Ms[..., f, :] = M
        return pcen_out(E, Ms, q).astype(np.int8)
    L = log2_q10(E)
    if mode == "logmel":
        return logmel_q(L).astype(np.int8)
    return mfcc_q(L).astype(np.int8)


class Streaming:
    """One 320-sample hop in, one int8 frame out (None until the first 480-sample window is full)."""

    def __init__(self, mode: str = "logmel", params=None):
        _check_mode(mode)
        self.mode = mode
        self.q = _params(params).quantized()
        self.buf = np.zeros(0, dtype=np.int16)
        self.M = np.full(T.NMELS, self.q["m_init"], dtype=np.int64)

    def push(self, hop) -> np.ndarray | None:
        hop = np.asarray(hop)
        if hop.shape != (T.HOP,) or hop.dtype != np.int16:
            raise ValueError(f"push() takes {T.HOP} int16 samples")
        # frame k-2 = samples [320k - 640, 320k - 160) is complete after hop k (k >= 2)
        self.buf = np.concatenate([self.buf, hop])[-2 * T.HOP:]
        if self.buf.shape[0] < 2 * T.HOP:
            return None
        E = mel_energy(self.buf[:T.WIN])[0]
        if self.mode == "pcen":
            out, self.M = pcen_frame(E, self.M, self.q)
            return out.astype(np.int8)
        L = log2_q10(E)
        return (logmel_q(L) if self.mode == "logmel" else mfcc_q(L)).astype(np.int8)


def internal_ranges(audio, params=None) -> dict:
    """Largest value reached by every internal word on `audio` (int16, (N,)), before any saturation,
    with the limit of its word width: {name: (value, limit)}.  value <= limit means no overflow."""
    q = _params(params).quantized()
    fr = frame_signal(np.asarray(audio, dtype=np.int16))
    raw = (fr * T.window() + (1 << (T.WIN_FRAC - 1))) >> T.WIN_FRAC
    r = {"xw (int16)": (int(np.abs(raw).max(initial=0)), 32768)}
    tr: dict = {}
    re, im = fft_fixed_int(sat(raw, 16), tr)
    lim = 1 << (T.FFT_BITS - 1)
    for k, v in tr.items():
        r[k + " (24 bit)"] = (v, lim - 1 if "stage" in k else (1 << 25) - 1)
    P = re * re + im * im
    r["power (48 bit)"] = (int(P.max(initial=0)), (1 << 48) - 1)
    E = mel_energy(np.asarray(audio, dtype=np.int16))
    r["mel energy (64-bit acc)"] = (int(E.max(initial=0)), (1 << 63) - 1)
    M = np.full(T.NMELS, q["m_init"], dtype=np.int64)
    mmax, tmax, tmin = 0, -(1 << 30), 1 << 30
    for f in range(E.shape[0]):
        M = pcen_smooth(E[f], M, q)
        mmax = max(mmax, int(M.max()))
        lE = log2_q10(E[f] >> E_PCEN_SHIFT)
        lM = log2_q10(M + q["eps_q"]) - (M_FRAC << T.LOG_FRAC)
        c = ((PCEN_E_LOG2_UNITS << T.LOG_FRAC) * (16384 - q["alpha_q14"]) + 8192) >> 14
        t = lE - ((q["alpha_q14"] * lM + 8192) >> 14) - c
        t = t[lE != T.LOG_ZERO]
        if t.size:
            tmax, tmin = max(tmax, int(t.max())), min(tmin, int(t.min()))
    r["pcen smoother M (64 bit)"] = (mmax, (1 << 63) - 1)
    r["pcen log ratio t (24 bit)"] = (max(abs(tmax), abs(tmin)) if E.shape[0] else 0, (1 << 23) - 1)
    return r

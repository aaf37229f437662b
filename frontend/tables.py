"""The single generator of every constant of the fixed-point front-end.

The golden model (frontend.golden), the RTL (frontend.hw), the C port (``python -m frontend headers``)
and the docs (docs/frontend.md, via ``python -m frontend tables``) all take their constants from here.
The feature format itself (sample rate, sizes, modes, output quantization, PCEN parameters, DCT) is
defined in frontend.format, which this module imports (and nothing else from the project).  Every
table is a plain integer numpy array; nothing downstream recomputes a constant in floating point.

Word widths (see docs/frontend.md for the reasoning):
  samples           int16
  window            Q15, unsigned 16 bit (0..32768)                  WIN_BITS
  windowed sample   int16  = round(x * w / 2^15)
  FFT data          24-bit signed, no scaling (|X| <= 32768 * sum(w) < 2^23), saturating
  twiddles          Q15 in 17-bit signed (cos = 1 -> 32768)
  power             48-bit unsigned re^2 + im^2
  mel weights       unsigned, triangle * slaney norm * 2^15 (<= 10 bit)
  mel energy        60-bit unsigned accumulator  (= librosa mel power * 2^45)
  log2              LZC + 256-entry LUT, result Q10 (18-bit signed)
  exp2              1024-entry LUT Q15 + shift, result Q16
"""
from __future__ import annotations

import functools

import numpy as np

# The feature format (sizes, bands, mel energy scale, DCT) lives in frontend.format; re-exported here
# under the names the generator has always used.
from .format import (FMAX, FMIN, FRAMES_PER_WINDOW, HOP, MEL_FRAC, MEL_SHIFT, NBINS, NFFT, NMELS,  # noqa: F401
                     NMFCC, WIN, dct_matrix, dct_q)
from .format import SAMPLE_RATE as SR

FRAMES_PER_SECOND = FRAMES_PER_WINDOW

WIN_FRAC = 15            # window Q15
TW_FRAC = 15             # twiddle Q15
FFT_BITS = 24            # FFT data word (signed)
FFT_STAGES = 9
LOG_FRAC = 10            # log2 results in Q10
LOG_IDX_BITS = 8         # mantissa bits indexing the log2 LUT
LOG_ZERO = -(1 << 17)    # log2(0) sentinel (below everything)
EXP_FRAC_BITS = 10       # exp2 LUT index = fractional bits of a Q10 argument
EXP_OUT_FRAC = 16        # exp2 output Q16
EXP_TMIN = -17 << 10     # exp2 argument clamp (Q10)
EXP_TMAX = (25 << 10) - 1


@functools.lru_cache(None)
def window() -> np.ndarray:
    """Periodic Hann (scipy/librosa 'hann', fftbins=True), Q15, 480 entries, 0..32768."""
    n = np.arange(WIN)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * n / WIN)
    return np.round(w * (1 << WIN_FRAC)).astype(np.int64)


@functools.lru_cache(None)
def twiddles() -> tuple[np.ndarray, np.ndarray]:
    """W_512^k = exp(-2 pi i k / 512), k = 0..255, Q15 (re, im), 17-bit signed."""
    k = np.arange(NFFT // 2)
    ang = -2 * np.pi * k / NFFT
    return (np.round(np.cos(ang) * (1 << TW_FRAC)).astype(np.int64),
            np.round(np.sin(ang) * (1 << TW_FRAC)).astype(np.int64))


@functools.lru_cache(None)
def bitrev() -> np.ndarray:
    """9-bit bit reversal permutation for the 512-point radix-2 DIT FFT."""
    n = np.arange(NFFT)
    r = np.zeros_like(n)
    for b in range(FFT_STAGES):
        r |= ((n >> b) & 1) << (FFT_STAGES - 1 - b)
    return r


@functools.lru_cache(None)
def mel_float() -> np.ndarray:
    """librosa's slaney mel filterbank (40 x 257), the float definition of the bands."""
    import librosa  # only needed when tables are regenerated; the result is cached below
    return librosa.filters.mel(sr=SR, n_fft=NFFT, n_mels=NMELS, fmin=FMIN, fmax=FMAX,
                               htk=False, norm="slaney").astype(np.float64)


def _mel_float_nolibrosa() -> np.ndarray:
    """Same filterbank as librosa.filters.mel(slaney, norm='slaney'), computed in numpy."""
    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        f_sp = 200.0 / 3
        mels = f / f_sp
        min_log_hz = 1000.0
        min_log_mel = min_log_hz / f_sp
        logstep = np.log(6.4) / 27.0
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        f_sp = 200.0 / 3
        freqs = f_sp * m
        min_log_hz = 1000.0
        min_log_mel = min_log_hz / f_sp
        logstep = np.log(6.4) / 27.0
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)

    fftfreqs = np.linspace(0, SR / 2, NBINS)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), NMELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:NMELS + 2] - mel_f[:NMELS])
    return weights * enorm[:, None]


@functools.lru_cache(None)
def mel_weights() -> np.ndarray:
    """Dense integer mel matrix (40 x 257): round(slaney weight * 2^15)."""
    return np.round(_mel_float_nolibrosa() * (1 << MEL_FRAC)).astype(np.int64)


@functools.lru_cache(None)
def mel_sparse() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse mel weights as the RTL walks them: (band, bin, weight) for every nonzero entry,
    band-major, bins ascending.  ~2 entries per bin in 20..7500 Hz (455 entries)."""
    W = mel_weights()
    band, k = np.nonzero(W)
    return band.astype(np.int64), k.astype(np.int64), W[band, k]


@functools.lru_cache(None)
def log2_lut() -> np.ndarray:
    """log2(1 + (i + 0.5) / 256) in Q10, i = 0..255 (mid-point of each mantissa cell)."""
    i = np.arange(1 << LOG_IDX_BITS)
    return np.round(np.log2(1 + (i + 0.5) / (1 << LOG_IDX_BITS)) * (1 << LOG_FRAC)).astype(np.int64)


@functools.lru_cache(None)
def exp2_lut() -> np.ndarray:
    """2^(f / 1024) in Q15, f = 0..1023 (32768..65491)."""
    f = np.arange(1 << EXP_FRAC_BITS)
    return np.round(2.0 ** (f / (1 << EXP_FRAC_BITS)) * (1 << 15)).astype(np.int64)


def all_tables() -> dict[str, np.ndarray]:
    tw_re, tw_im = twiddles()
    band, k, w = mel_sparse()
    return {
        "window_q15": window(),
        "twiddle_re_q15": tw_re,
        "twiddle_im_q15": tw_im,
        "bitrev9": bitrev(),
        "mel_band": band, "mel_bin": k, "mel_weight": w,
        "log2_lut_q10": log2_lut(),
        "exp2_lut_q15": exp2_lut(),
        "dct_q": dct_q(),
    }

"""Float reference built on librosa (melspectrogram, pcen) plus an orthonormal DCT-II.

Framing matches the golden model: frame i = samples [320 i, 320 i + 480), periodic Hann(480) centred
in a 512-point FFT (librosa pads the window to n_fft in the centre, so 16 zeros are prepended to the
audio (and appended, so the frame count is 1 + (N - 480) // 320) to align the frames; |X|^2 is unaffected by the circular shift).  Units:
  logmel: 10 log10(mel power), audio in [-1, 1], clamped to the int8 range of the golden model
  pcen:   librosa.pcen(mel power of int16-scaled audio, sr=16000, hop_length=320, defaults otherwise)
  mfcc:   DCT-II (ortho) of the clamped log-mel in dB, first 10 coefficients, liftered (format.MFCC_LIFTER)
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".cache", "numba"))

from . import format as F  # noqa: E402


def mel_power(audio: np.ndarray) -> np.ndarray:
    """librosa mel power spectrogram (frames, 40) of int16 audio scaled to [-1, 1]."""
    import librosa
    pad = np.zeros((F.NFFT - F.WIN) // 2)
    y = np.concatenate([pad, np.asarray(audio, dtype=np.float64) / 32768.0, pad])
    S = librosa.feature.melspectrogram(y=y, sr=F.SAMPLE_RATE, n_fft=F.NFFT, hop_length=F.HOP, win_length=F.WIN,
                                       window="hann", center=False, power=2.0, n_mels=F.NMELS,
                                       fmin=F.FMIN, fmax=F.FMAX, htk=False, norm="slaney")
    return S.T


def features(audio: np.ndarray, mode: str = "logmel", params=None) -> np.ndarray:
    """Float features (frames, F) in the real units of golden.output_quant(mode)."""
    import librosa
    S = mel_power(audio)
    if mode == "pcen":
        p = F.pcen_params(params)
        out = librosa.pcen(S.T * 2.0 ** 30, sr=F.SAMPLE_RATE, hop_length=F.HOP, gain=p.gain, bias=p.bias,
                           power=p.power, time_constant=p.time_constant, eps=p.eps)
        return out.T
    db = 10 * np.log10(np.clip(S, 2.0 ** F.LM_LO, 2.0 ** F.LM_HI))
    if mode == "logmel":
        return db
    if mode == "mfcc":
        return db @ F.mfcc_matrix().T
    raise ValueError(f"unknown mode {mode!r}")


def dequant(q: np.ndarray, mode: str) -> np.ndarray:
    scale, zp = F.output_quant(mode)
    return scale * (np.asarray(q, dtype=np.float64) - zp)

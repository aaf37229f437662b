"""WAV input: any readable file -> int16 mono 16 kHz (resampled with a note when needed)."""
from __future__ import annotations

from math import gcd

import numpy as np

from . import AudioError
from .format import SAMPLE_RATE as SR


def to_int16(y: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] -> int16 with rounding and saturation."""
    return np.clip(np.round(np.asarray(y, dtype=np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def read_wav(path) -> tuple[np.ndarray, str | None]:
    """Read an audio file -> (int16 mono 16 kHz array, note or None).

    Stereo is averaged to mono and other rates are resampled (scipy polyphase); the note says what was
    done.  Anything unreadable raises frontend.AudioError with a one-line message."""
    try:
        import soundfile as sf
        data, sr = sf.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises several types (LibsndfileError, RuntimeError, OSError)
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AudioError(f"cannot read audio file {path}: {msg}") from None
    if data.shape[0] == 0:
        raise AudioError(f"audio file {path} contains no samples")
    notes = []
    if data.shape[1] != 1:
        notes.append(f"{data.shape[1]} channels mixed to mono")
        data = data.mean(axis=1, keepdims=True)
    y = data[:, 0]
    if sr != SR:
        from scipy.signal import resample_poly
        g = gcd(int(sr), SR)
        y = resample_poly(y, SR // g, int(sr) // g)
        notes.append(f"resampled {sr} Hz -> {SR} Hz")
    note = f"note: {path}: " + ", ".join(notes) if notes else None
    return to_int16(y), note

"""WAV input: any readable file -> int16 mono 16 kHz (resampled with a note when needed)."""
from __future__ import annotations

import struct
from math import gcd
from pathlib import Path

import numpy as np

from . import AudioError
from .format import SAMPLE_RATE as SR


def to_int16(y: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] -> int16 with rounding and saturation."""
    return np.clip(np.round(np.asarray(y, dtype=np.float64) * 32768.0), -32768, 32767).astype(np.int16)


MIN_RATE = 8000           # telephone audio still resamples usefully; below, the speech band is gone
MAX_RATE = 768_000


def _riff_shortfall(path) -> tuple[int, int] | None:
    """(bytes the RIFF/WAVE header promises for its data chunk, bytes present) when the file is
    shorter than its header says, else None (also for files that are not RIFF/WAVE)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            size = Path(path).stat().st_size
            while True:
                ch = f.read(8)
                if len(ch) < 8:
                    return None
                cid, n = ch[:4], struct.unpack("<I", ch[4:])[0]
                if cid == b"data":
                    have = size - f.tell()
                    return (n, have) if n != 0xFFFFFFFF and have < n else None
                f.seek(n + (n & 1), 1)
    except OSError:
        return None


def read_wav(path) -> tuple[np.ndarray, str | None]:
    """Read an audio file -> (int16 mono 16 kHz array, note or None).

    Stereo is averaged to mono and other rates are resampled (scipy polyphase); float samples beyond
    full scale are clipped, a file shorter than its header promises is read as far as it goes; the
    note says what was done.  Anything unusable (missing, a directory, not audio, no samples, NaN or
    infinite samples, a rate outside 8-768 kHz) raises frontend.AudioError with a one-line message."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"audio file {path} not found")
    if p.is_dir():
        raise AudioError(f"{path} is a directory, not an audio file")
    try:
        import soundfile as sf
        data, sr = sf.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises several types (LibsndfileError, RuntimeError, OSError)
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AudioError(f"cannot read audio file {path}: {msg}") from None
    if data.shape[0] == 0:
        raise AudioError(f"audio file {path} contains no samples")
    if not np.isfinite(data).all():
        bad = int((~np.isfinite(data)).any(axis=1).sum())
        raise AudioError(f"audio file {path} has {bad} NaN or infinite sample(s); it is damaged, re-export it")
    if not MIN_RATE <= sr <= MAX_RATE:
        raise AudioError(f"audio file {path} is at {sr} Hz; the front-end needs {SR} Hz audio "
                         f"(files from {MIN_RATE} to {MAX_RATE} Hz are resampled)")
    notes = []
    short = _riff_shortfall(p)
    if short:
        notes.append(f"truncated: the header promises {short[0]} data bytes, {short[1]} are present "
                     f"(read what is there)")
    over = int((np.abs(data) > 1.0).sum())
    if over:
        notes.append(f"{over} sample(s) beyond full scale clipped")
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

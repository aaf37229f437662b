"""Test and report signals (all int16, 16 kHz): stress signals, sweeps, noise and espeak-ng speech."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from .format import SAMPLE_RATE as SR


def square(seconds=1.0, freq=437.0, phase=0.0):
    """Full-scale clipped square wave (+32767 / -32768)."""
    t = np.arange(int(seconds * SR)) / SR
    return np.where(np.sin(2 * np.pi * freq * t + phase) >= 0, 32767, -32768).astype(np.int16)


def clipped_sine(seconds=1.0, freq=1000.0, gain=4.0):
    t = np.arange(int(seconds * SR)) / SR
    return np.clip(np.round(gain * 32767 * np.sin(2 * np.pi * freq * t)), -32768, 32767).astype(np.int16)


def silence(seconds=1.0):
    return np.zeros(int(seconds * SR), dtype=np.int16)


def dc(seconds=1.0, level=-32768):
    return np.full(int(seconds * SR), level, dtype=np.int16)


def noise(seconds=1.0, dbfs=-20.0, rng=None):
    rng = np.random.default_rng(0) if rng is None else rng
    sigma = 32768 * 10 ** (dbfs / 20)
    return np.clip(np.round(rng.standard_normal(int(seconds * SR)) * sigma), -32768, 32767).astype(np.int16)


def sweep(seconds=1.0, f0=50.0, f1=7500.0, dbfs=-6.0):
    """Logarithmic sine sweep."""
    t = np.arange(int(seconds * SR)) / SR
    k = np.log(f1 / f0)
    ph = 2 * np.pi * f0 * seconds / k * (np.exp(t / seconds * k) - 1)
    return np.round(32767 * 10 ** (dbfs / 20) * np.sin(ph)).astype(np.int16)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speech(text="turn on the lights, yes, no, up, down, left, right, stop, go", voice="en", speed=150,
           pitch=50, gain_db=0.0) -> np.ndarray:
    """espeak-ng speech resampled to 16 kHz int16 (synthesised at call time, nothing stored)."""
    from .wav import read_wav
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, text],
                       check=True, capture_output=True)
        a, _ = read_wav(path)
    if gain_db:
        a = np.clip(np.round(a * 10 ** (gain_db / 20)), -32768, 32767).astype(np.int16)
    return a


def stress_mix(seconds_each=0.25, rng=None) -> np.ndarray:
    """Concatenation of the stress signals: squares, silence, DC offsets, noise (several levels),
    clipped sine, alternating full scale (Nyquist)."""
    rng = np.random.default_rng(0) if rng is None else rng
    s = seconds_each
    parts = [
        square(s, 437.0), silence(s), dc(s, -32768), dc(s, 32767), square(s, 3000.0, 0.3),
        noise(s, 0.0, rng), silence(s), dc(s, 12000), noise(s, -30.0, rng) + 0, noise(s, -60.0, rng),
        clipped_sine(s, 1000.0, 8.0),
        np.tile(np.array([32767, -32768], dtype=np.int16), int(s * SR) // 2),
        (dc(s, 20000).astype(np.int32) + noise(s, -40.0, rng)).clip(-32768, 32767).astype(np.int16),
    ]
    return np.concatenate(parts).astype(np.int16)

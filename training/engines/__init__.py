"""Offline speech synthesizers behind one interface: words -> 16 kHz int16 clips.

Every backend is an :class:`Engine`::

    eng = engines.get("flite")
    ok, reason = eng.available()          # (False, "flite not found: apt-get install flite") if absent
    eng.voices()                          # ["kal16", "awb", "rms", "slt", "kal"]
    clips = eng.synth(["yes", "no"], voice="slt", rate=1.1, pitch=0.9)   # [np.int16 arrays, 16 kHz]

``rate`` and ``pitch`` are *relative* factors, the same for every engine: ``rate`` 1.0 is the voice's
normal speaking speed (1.25 = 25 % faster, shorter clip), ``pitch`` 1.0 its normal fundamental
frequency (1.2 = 20 % higher).  Each backend maps them onto its own controls (espeak-ng ``-s``/``-p``,
flite ``duration_stretch``/``int_f0_target_mean``, festival ``Duration_Stretch``/``int_lr_params``,
piper ``length_scale``, kokoro ``speed``).  Where an engine has no pitch control (piper, kokoro,
festival's HTS voice) pitch is applied as a resampling *warp* (:func:`warp`), which scales f0 and
formants together like a shorter / longer vocal tract; the engine is then asked for ``rate / pitch``
so that the warped clip still has the requested duration.

Post-processing, identical for every engine (:func:`finish`): resample to 16 kHz (polyphase,
scipy ``resample_poly``), trim leading and trailing silence — 10 ms frames whose standard deviation
(RMS about the frame mean, so a DC offset does not count as sound) is more than ``TRIM_DB`` (40 dB)
below the loudest frame's are dropped from both ends, then ``PAD_MS`` (20 ms) of the original signal
is kept on each side — remove DC (zero-phase 20 Hz high-pass), and normalize to ``TARGET_RMS_DBFS``
(-20 dBFS RMS) with the peak limited to -1 dBFS.  Clips are *not* padded or cut to 1 s: placing them
in a window, setting the level and adding noise is the job of the corpus / :mod:`training.augment`.
An utterance that comes out empty (engine produced nothing audible) is returned as a zero-length
array; callers drop it.

Synthesis is deterministic: the same (words, voice, rate, pitch) give the same samples (piper runs
with its generator noise off, see :mod:`training.engines.piper`; kokoro and the CLI engines have no
randomness; onnxruntime results were checked equal across runs here, on 2 cores).

A missing optional engine is never an import error: :func:`notes` lists one reason string per
engine that is not available.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

from frontend.format import SAMPLE_RATE  # noqa: E402  (the front-end's rate, one definition)
TRIM_DB = 40.0
PAD_MS = 20
TARGET_RMS_DBFS = -20.0
PEAK_DBFS = -1.0
REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Project cache for derived engine files (concatenated kokoro model, extracted voices)."""
    import os
    d = Path(os.environ.get("KWS_ENGINE_CACHE", REPO_ROOT / ".cache" / "engines"))
    d.mkdir(parents=True, exist_ok=True)
    return d


class Engine:
    """Common interface.  Subclasses set ``name`` and implement ``_check``, ``voices``, ``_synth``."""

    name = "?"
    #: per-engine (lo, hi) ranges of the relative rate / pitch factors that sound natural
    rate_range = (0.8, 1.25)
    pitch_range = (0.85, 1.15)

    def available(self) -> tuple[bool, str]:
        """(True, "") or (False, one-line reason with the install hint).  Never raises."""
        if not hasattr(self, "_avail"):
            try:
                reason = self._check()
            except Exception as exc:          # noqa: BLE001 - an optional engine must never raise here
                reason = f"{type(exc).__name__}: {exc}"
            self._avail = (not reason, f"{self.name}: {reason}" if reason else "")
        return self._avail

    def _check(self) -> str:
        raise NotImplementedError

    def voices(self) -> list[str]:
        raise NotImplementedError

    def version(self) -> str:
        """A string that changes when the engine's output may change (part of cache keys)."""
        return self.name

    def synth(self, words: list[str], voice: str, rate: float = 1.0, pitch: float = 1.0) -> list[np.ndarray]:
        """Synthesize each word (or short phrase) -> list of int16 arrays at 16 kHz (see :func:`finish`)."""
        ok, reason = self.available()
        if not ok:
            raise RuntimeError(reason)
        words = [str(w) for w in words]
        if not words:
            return []
        return [finish(a, sr) for a, sr in self._synth(words, voice, float(rate), float(pitch))]

    def _synth(self, words, voice, rate, pitch):
        """Yield (float or int16 audio, sample_rate) per word."""
        raise NotImplementedError

    def __repr__(self):
        return f"<Engine {self.name}>"


# ----------------------------------------------------------------------------------------------
# audio helpers shared by the backends

def to_float(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == np.int16:
        return x.astype(np.float64) / 32768.0
    return x.astype(np.float64).ravel()


def resample(x: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    from scipy.signal import resample_poly
    if sr_in == sr_out:
        return np.asarray(x, dtype=np.float64)
    f = Fraction(sr_out, sr_in)
    return resample_poly(np.asarray(x, dtype=np.float64), f.numerator, f.denominator)


def warp(x: np.ndarray, factor: float) -> np.ndarray:
    """Raise f0 and formants by ``factor`` (and shorten by it): resample, play at the same rate."""
    if abs(factor - 1.0) < 1e-6 or len(x) == 0:
        return np.asarray(x, dtype=np.float64)
    from scipy.signal import resample_poly
    f = Fraction(1.0 / factor).limit_denominator(200)
    return resample_poly(np.asarray(x, dtype=np.float64), f.numerator, f.denominator)


def trim(x: np.ndarray, sr: int = SAMPLE_RATE, db: float = TRIM_DB, pad_ms: int = PAD_MS) -> np.ndarray:
    """Drop leading / trailing 10 ms frames more than ``db`` below the loudest frame, keep ``pad_ms``."""
    n = sr // 100
    if len(x) < n:
        return x[:0]
    k = len(x) // n
    rms = np.std(x[:k * n].reshape(k, n), axis=1) + 1e-20      # per-frame, blind to DC offsets
    top = rms.max()
    if top < 1e-6:                     # digital silence / nothing spoken
        return x[:0]
    loud = np.nonzero(rms >= top * 10 ** (-db / 20))[0]
    pad = sr * pad_ms // 1000
    a = max(0, loud[0] * n - pad)
    b = min(len(x), (loud[-1] + 1) * n + pad)
    return x[a:b]


def remove_dc(x: np.ndarray, fc: float = 20.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Zero-phase 20 Hz high-pass (some engines' output carries a DC offset during speech only)."""
    from scipy.signal import butter, sosfiltfilt
    if len(x) < 64:
        return x - np.mean(x)
    sos = butter(2, fc, "highpass", fs=sr, output="sos")
    return sosfiltfilt(sos, x - np.mean(x), padlen=min(len(x) - 1, 3 * 200))


def finish(audio, sr: int) -> np.ndarray:
    """Engine output -> 16 kHz int16, DC removed, trimmed, -20 dBFS RMS (peak <= -1 dBFS)."""
    x = resample(to_float(audio), int(sr))
    if len(x) == 0:
        return np.zeros(0, np.int16)
    x = trim(x)
    if len(x) == 0:
        return np.zeros(0, np.int16)
    x = remove_dc(x)
    rms = np.sqrt(np.mean(x ** 2))
    g = 10 ** (TARGET_RMS_DBFS / 20) / max(rms, 1e-12)
    peak = np.max(np.abs(x)) * g
    lim = 10 ** (PEAK_DBFS / 20)
    if peak > lim:
        g *= lim / peak
    return np.clip(np.round(x * g * 32767), -32768, 32767).astype(np.int16)


def read_wav(data) -> tuple[np.ndarray, int]:
    """WAV bytes or path -> (float audio, rate).  Tolerates streamed WAVs with placeholder sizes."""
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    try:
        with wave.open(io.BytesIO(data)) as w:
            sr, ch, sw = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        raw = b""
    if not raw and data[:4] == b"RIFF":   # streamed (espeak-ng --stdout): take everything after 'data'
        pos = data.find(b"data")
        sr = int.from_bytes(data[24:28], "little")
        ch = int.from_bytes(data[22:24], "little")
        sw = int.from_bytes(data[34:36], "little") // 8
        raw = data[pos + 8:]
    elif not raw:
        raise ValueError("not a WAV stream (or an empty one)")
    if sw != 2:
        raise ValueError(f"expected 16-bit WAV, got {8 * sw}-bit")
    a = np.frombuffer(raw[:len(raw) // 2 * 2], dtype="<i2")
    if ch > 1:
        a = a[:len(a) // ch * ch].reshape(-1, ch)[:, 0]
    return a.astype(np.float64) / 32768.0, sr


def run(args, timeout=120, **kw) -> bytes:
    """Run a synthesizer CLI; failures become one-line RuntimeErrors with the tool's stderr tail."""
    try:
        return subprocess.run(args, capture_output=True, check=True, timeout=timeout, **kw).stdout
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"{Path(args[0]).name} failed (status {exc.returncode}): {tail[0]}") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{Path(args[0]).name} failed: {exc}") from None


def tool_version(args) -> str:
    """First line a CLI prints for its version (stdout or stderr, whatever the exit status)."""
    try:
        p = subprocess.run(args, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"? ({exc})"
    out = (p.stdout + p.stderr).decode(errors="replace").strip().splitlines()
    return out[0] if out else "?"


def which(exe: str) -> str | None:
    return shutil.which(exe)


# ----------------------------------------------------------------------------------------------
# registry (imports below need the names above)

from training.engines.espeak import EspeakEngine      # noqa: E402
from training.engines.flite import FliteEngine        # noqa: E402
from training.engines.festival import FestivalEngine  # noqa: E402
from training.engines.piper import PiperEngine        # noqa: E402
from training.engines.kokoro import KokoroEngine      # noqa: E402

ENGINES: dict[str, Engine] = {e.name: e for e in (EspeakEngine(), FliteEngine(), FestivalEngine(),
                                                   PiperEngine(), KokoroEngine())}


def get(name: str) -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise KeyError(f"unknown engine '{name}' (known: {', '.join(ENGINES)})") from None


def available() -> list[str]:
    """Names of the engines usable on this machine."""
    return [n for n, e in ENGINES.items() if e.available()[0]]


def notes() -> list[str]:
    """One line per engine that is not available, with the reason."""
    return [e.available()[1] for e in ENGINES.values() if not e.available()[0]]

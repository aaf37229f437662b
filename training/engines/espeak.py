"""espeak-ng (Debian ``espeak-ng``): formant synthesis, voices = English accent x voice variant.

Voice strings are ``"<accent>+<variant>"`` (``"en-us+klatt3"``) or a bare accent (``"en-gb"``).
rate -> ``-s round(175 * rate)`` words per minute; pitch -> ``-p 50 + 60 * log2(pitch)`` clipped to
0..99 (espeak's -p is not linear in Hz; slope measured here: pitch 0.85 -> 1.2 gives f0 x1.4; 0.56..1.78 spans 0..99).
"""
from __future__ import annotations

import math
import os

from training import engines as E


class EspeakEngine(E.Engine):
    name = "espeak"
    rate_range = (0.75, 1.3)
    pitch_range = (0.8, 1.25)

    def exe(self):
        return E.which(os.environ.get("KWS_ESPEAK", "espeak-ng"))

    def _check(self):
        if self.exe() is None:
            return "espeak-ng not found on PATH (Debian: apt-get install espeak-ng)"
        return ""

    def version(self):
        return E.tool_version([self.exe(), "--version"])

    def accents(self) -> list[str]:
        out = E.run([self.exe(), "--voices=en"]).decode(errors="replace").splitlines()[1:]
        acc = {c[1] for c in (l.split() for l in out)
               if len(c) >= 5 and c[4].startswith("gmw/") and c[1].startswith("en")}
        return sorted(acc)

    def variants(self) -> list[str]:
        out = E.run([self.exe(), "--voices=variant"]).decode(errors="replace").splitlines()[1:]
        return sorted({l.split()[4].split("/")[-1] for l in out if len(l.split()) >= 5})

    def voices(self):
        if not self.available()[0]:
            return []
        if not hasattr(self, "_voices"):
            self._voices = [f"{a}+{v}" for a in self.accents() for v in self.variants()]
        return list(self._voices)

    def _synth(self, words, voice, rate, pitch):
        s = max(80, min(450, round(175 * rate)))
        p = max(0, min(99, round(50 + 60 * math.log2(max(pitch, 1e-3)))))
        for w in words:
            buf = E.run([self.exe(), "-v", voice, "-s", str(s), "-p", str(p), "--stdout", w])
            yield E.read_wav(buf)

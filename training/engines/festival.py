"""festival (Debian ``festival festlex-cmu festlex-poslex festvox-kallpc16k festvox-kdlpc16k
festvox-us-slt-hts``): voices kal_diphone, ked_diphone, cmu_us_slt_arctic_hts.

All words of one call run inside one ``festival -b`` process (start-up ~1 s, then ~10 ms a word).
Diphone voices: rate -> ``Duration_Stretch 1/rate``, pitch -> ``int_lr_params`` ``target_f0_mean``
(105 Hz) and ``target_f0_std`` scaled by pitch.  The HTS voice ignores both (checked): rate -> the
hts_engine speed option ``("-r" rate/pitch)`` appended to ``hts_engine_params``, pitch -> a resampling
warp (see :func:`training.engines.warp`; hts_engine's ``-fm`` is ignored by festival's HTS module).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from training import engines as E

VOICE_DIRS = ("/usr/share/festival/voices",)
VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
LR = {"kal_diphone": (105, 14), "ked_diphone": (105, 15)}


def _scheme_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class FestivalEngine(E.Engine):
    name = "festival"
    rate_range = (0.8, 1.25)
    pitch_range = (0.85, 1.2)

    def exe(self):
        return E.which(os.environ.get("KWS_FESTIVAL", "festival"))

    def _check(self):
        if self.exe() is None:
            return ("festival not found on PATH (Debian: apt-get install festival festlex-cmu "
                    "festlex-poslex festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts)")
        if not self.voices():
            return "festival has no voice installed (apt-get install festvox-kallpc16k ...)"
        return ""

    def version(self):
        return E.tool_version([self.exe(), "--version"])

    def voices(self):
        if self.exe() is None:
            return []
        found = {p.name for d in VOICE_DIRS if Path(d).is_dir() for p in Path(d).glob("*/*")}
        return [v for v in VOICES if v in found]

    def _synth(self, words, voice, rate, pitch):
        if voice not in self.voices():
            raise ValueError(f"festival has no voice '{voice}' (voices: {', '.join(self.voices())})")
        hts = voice not in LR
        lines = [f"(voice_{voice})"]
        if hts:
            lines.append(f"(set! hts_engine_params (append hts_engine_params (list '(\"-r\" {rate / pitch:.4f}))))")
        else:
            lines.append(f"(Parameter.set 'Duration_Stretch {1.0 / rate:.4f})")
            mean, std = LR[voice]
            lines.append(f"(set! int_lr_params '((target_f0_mean {mean * pitch:.2f}) "
                         f"(target_f0_std {std * pitch:.2f}) (model_f0_mean 170) (model_f0_std 34)))")
        with tempfile.TemporaryDirectory(prefix="kws-festival-") as d:
            for i, w in enumerate(words):
                lines.append(f"(set! utt (Utterance Text {_scheme_str(w)}))(utt.synth utt)"
                             f"(utt.save.wave utt {_scheme_str(os.path.join(d, f'{i}.wav'))} 'riff)")
            script = os.path.join(d, "run.scm")
            Path(script).write_text("\n".join(lines) + "\n")
            E.run([self.exe(), "-b", script], timeout=60 + 2 * len(words))
            for i in range(len(words)):
                a, sr = E.read_wav(os.path.join(d, f"{i}.wav"))
                yield (E.warp(a, pitch) if hts else a), sr

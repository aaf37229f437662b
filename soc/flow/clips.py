"""Clips phase: the WAV clip(s) an audio app plays, joined into one stream, and detection attribution.

Several clips play one after the other with ``gap`` seconds of silence between and after them (a
word at the very end of a clip still slides through the model's window before the audio ends); each
clip's span in the stream is kept so a detection can be attributed to the clip it came from.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from frontend.format import SAMPLE_RATE, FRAMES_PER_WINDOW, HOP
from soc.flow import ROOT, BuildError, log

CLIPS_DIR = ROOT / "models" / "clips"
# The audio an inference (and so a detection) depends on: 49 hops of 20 ms.
MODEL_WINDOW_S = FRAMES_PER_WINDOW * HOP / SAMPLE_RATE


@dataclasses.dataclass(frozen=True)
class Audio:
    samples: np.ndarray         # int16 at SAMPLE_RATE
    spans: tuple                # ((clip name, start s, end s), ...)

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def default_clips() -> list[Path]:
    """The demo's clips: the first silence clip, the first unknown word and the first four keywords of
    models/clips/clips.json (all of them: --wav models/clips/*.wav; each second costs ~4.0 M cycles)."""
    meta = CLIPS_DIR / "clips.json"
    if not meta.exists():
        raise BuildError("no bundled clips in models/clips/; pass --wav CLIP.wav")
    clips = json.loads(meta.read_text())
    clips = clips["clips"] if isinstance(clips, dict) else clips
    pick = ([c for c in clips if c["label"] == "_silence_"][:1] + [c for c in clips if c["label"] == "_unknown_"][:1]
            + [c for c in clips if not c["label"].startswith("_")][:4])
    return [CLIPS_DIR / c["file"] for c in pick]


def load_clips(wavs, gap: float) -> Audio:
    """The clips as one int16 stream with ``gap`` s of silence between and after them."""
    from frontend import AudioError
    from frontend.wav import read_wav
    parts, spans, t = [], [], 0.0
    silence = np.zeros(int(round(gap * SAMPLE_RATE)), np.int16)
    for w in wavs:
        try:
            clip, note = read_wav(w)
        except AudioError as e:
            raise BuildError(str(e))
        if note:
            log(note)                          # read_wav's note starts with "note:"
        if parts:
            parts.append(silence)
            t += len(silence) / SAMPLE_RATE
        parts.append(clip)
        spans.append((Path(w).name, t, t + len(clip) / SAMPLE_RATE))
        t += len(clip) / SAMPLE_RATE
    parts.append(silence)
    return Audio(np.concatenate(parts), tuple(spans))


def attribute(t, spans):
    """The clip a detection at time t (s) belongs to: the one with the most audio in the model's
    window [t - MODEL_WINDOW_S, t] (latest on a tie), else the last clip that started before t."""
    best, best_overlap = None, 0.0
    for i, (_, t0, t1) in enumerate(spans):
        overlap = min(t, t1) - max(t - MODEL_WINDOW_S, t0)
        if overlap > 0 and overlap >= best_overlap:
            best, best_overlap = i, overlap
    if best is None:
        started = [i for i, (_, t0, _) in enumerate(spans) if t0 <= t]
        best = started[-1] if started else 0
    return best


def summarize_detections(detections, spans):
    """Print, per clip, what the firmware detected in it (a detection comes 0.2-1 s after its word,
    so it is attributed by the audio in the model's window when it fired).
    ``detections``: [(label, confidence 0..255, time s)]."""
    if not spans:
        return
    per_clip = [[] for _ in spans]
    for label, conf, t in detections:
        per_clip[attribute(t, spans)].append(f"{label} ({conf}/255 at {t:.2f} s)")
    log("detections per clip:")
    for (name, _, _), found in zip(spans, per_clip):
        print(f"  {name:28s} -> {', '.join(found) if found else 'nothing'}")

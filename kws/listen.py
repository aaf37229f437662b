"""``python -m kws listen CLIP.wav [CLIP2.wav ...]``: hear WAV clips exactly as the SoC's kws app does.

The clips are joined with ``--gap`` s of silence between and after them (soc/flow/clips.py, the same code
the SoC build loads them with), run through :mod:`kws.pipeline` (golden front-end in the model's mode,
ring initialised with the silence frame, one golden int8 inference per 20 ms hop, TFLM's int8 softmax,
firmware/src/kws_detect.c compiled natively), and each detection is printed in the firmware's format,
``detect: <label> conf=<c>/255 t=<ms>ms``, followed by the per-clip summary of ``soc/build.py``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from kws import cli
from kws import pipeline as P

LONG_S = 60.0      # a progress bar for streams longer than this


def add_parser(sub):
    _, max_window = P.detector_limits()
    p = sub.add_parser("listen", help="detect keywords in WAV clips exactly as the SoC does",
                       description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("wav", nargs="+", type=cli.input_file, help="16 kHz mono WAV clip(s) (other rates are resampled)")
    p.add_argument("--model", type=cli.input_file, default=None,
                   help="int8 .tflite model (default: the bundled models/*.tflite)")
    p.add_argument("--threshold", type=cli.float_range(0, 1), default=P.DEFAULT_THRESHOLD,
                   help="smoothed probability needed for a detection (0..1; the firmware uses round(255 x))")
    p.add_argument("--smooth-hops", type=cli.int_range(1, max_window), default=P.DEFAULT_SMOOTH_HOPS,
                   help="hops (20 ms) the posteriors are averaged over")
    p.add_argument("--refractory", type=cli.float_range(0, 60), default=P.DEFAULT_REFRACTORY,
                   help="seconds after a detection with no other")
    p.add_argument("--gap", type=cli.float_range(0, 60), default=0.5,
                   help="seconds of silence between the clips and after the last")
    p.add_argument("--verbose", action="store_true", help="tracebacks for unexpected errors")
    p.set_defaults(func=run)
    return p


def run(args):
    from soc.flow.clips import attribute, load_clips
    from frontend.format import SAMPLE_RATE
    t0 = time.time()
    model = P.load_model(args.model)
    settings = P.Settings(args.threshold, args.smooth_hops, args.refractory)
    audio = load_clips(args.wav, args.gap)
    seconds = len(audio.samples) / SAMPLE_RATE
    print(f"listen: {_rel(model.path)}, front-end mode {model.mode} (matches the model's input quantization), "
          f"{model.n_classes} classes, threshold {settings.c_threshold()}/255, smoothing {settings.smooth_hops} hops, "
          f"refractory {settings.c_refractory()} hops")
    print(f"listen: {len(audio.spans)} clip(s), {seconds:.2f} s")
    res = P.listen(model, audio.samples, settings, progress=seconds > LONG_S)
    for label, conf, t in res.detections:
        print(P.detect_line(label, conf, t), flush=True)
    print(f"listen: {len(res.detections)} detection(s) in {len(res.t_ms)} frames ({time.time() - t0:.1f} s)")
    per_clip = [[] for _ in audio.spans]
    for label, conf, t in res.detections:
        per_clip[attribute(t / 1000, audio.spans)].append(f"{label} ({conf}/255 at {t / 1000:.2f} s)")
    print("detections per clip:")
    for (name, _, _), found in zip(audio.spans, per_clip):
        print(f"  {name:28s} -> {', '.join(found) if found else 'nothing'}")
    return 0


def _rel(p) -> Path:
    p = Path(p).resolve()
    return p.relative_to(P.ROOT) if p.is_relative_to(P.ROOT) else p

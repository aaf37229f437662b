"""The SoC's listening loop on the host, piece for piece the same computation as firmware/src/app_kws.c.

  audio (16 kHz int16) -> golden front-end (frontend.golden, bit-exact with the RTL), one frame per 20 ms hop
  -> feature ring of 49 frames, initialised with the front-end's silence frame (as kws_app.h's
     kws_silence_frame) -> one inference per hop on the last 49 frames with the golden int8 model
     (accel.golden, bit-exact with tflite-micro; its SOFTMAX is TFLM's int8 softmax, which the firmware
     runs on the CPU) -> the firmware's detector, firmware/src/kws_detect.c itself, compiled natively and
     called through ctypes (not a port).

Timing follows the hardware-front-end build: the firmware reads the audio in hops of 320 samples (the
last one may be shorter), pushes them into the front-end, and runs one inference whenever a new frame is
ready; the time it prints is ``samples pushed * 1000 // 16000`` ms. The front-end (RTL and
``frontend.golden.Streaming``) computes a frame when a whole hop has come in, from the 480 samples
that end 160 samples before it: the first hop completes no frame and a short last hop none either, so
an N-sample stream gives ``N // 320 - 1`` inferences (``frames_after``).

This module is the one definition of what the SoC computes per hop; ``python -m kws listen`` and
``training/streaming.py`` use it. :func:`feature_mode_for` is the rule the SoC build uses to choose the
front-end mode from a model's input quantization.
"""
from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from kws.cli import UserError

ROOT = Path(__file__).resolve().parents[1]
DETECT_SRC = ROOT / "firmware" / "src" / "kws_detect.c"
DETECT_HDR = ROOT / "firmware" / "src" / "kws_detect.h"
SOC_FORMAT_H = ROOT / "firmware" / "include" / "soc_format.h"

DEFAULT_THRESHOLD = 0.7      # the SoC build's detector defaults (soc/flow/plan.py DETECTOR_DEFAULTS)
DEFAULT_SMOOTH_HOPS = 25
DEFAULT_REFRACTORY = 1.0
BATCH = 16                   # golden inferences per call (the fastest batch on these cores)
VERIFY_EVERY = 64            # every 64th batch is also run through accel.golden.run and compared


class PipelineError(UserError):
    """One line: what is wrong and what to do."""


# ---- model -> front-end mode, labels, first keyword -------------------------------------------------

def feature_mode_for(model) -> str:
    """The front-end mode whose int8 output quantization is the model's input quantization."""
    from frontend import format as F
    shape = tuple(model.input.shape)
    for mode in ("mfcc", "logmel", "pcen"):
        scale, zp = F.output_quant(mode)
        if (len(shape) == 3 and shape[0] == F.FRAMES_PER_WINDOW and shape[1] == F.FEATURES[mode] and shape[2] == 1
                and int(model.input.zero_point) == zp and abs(model.input.scale - scale) <= 1e-6 * scale):
            return mode
    raise PipelineError(f"model input {shape} with scale {model.input.scale:.6g} / zero point "
                        f"{model.input.zero_point} matches no front-end mode's features "
                        f"(see frontend.format.output_quant); train it on the front-end's features")


def model_labels(path, n_classes: int) -> list[str]:
    """The model's labels: its .labels.txt sidecar, else the project's 12 labels, else class<i>."""
    from accel.labels import model_labels as sidecar
    from training.labels import LABELS
    labels = sidecar(path, n_classes)
    if labels is None:
        labels = list(LABELS) if n_classes == len(LABELS) else [f"class{i}" for i in range(n_classes)]
    return labels


def first_keyword(labels) -> int:
    """Classes before the first keyword (_silence_, _unknown_) never raise a detection."""
    from training.labels import KEYWORDS
    return next((i for i, l in enumerate(labels) if l in KEYWORDS or not l.startswith("_")), 0)


def silence_frame(mode: str) -> np.ndarray:
    """The front-end's frame of digital silence: what the firmware's ring starts with."""
    from frontend import format as F
    from frontend import golden as G
    return G.features(np.zeros(F.SAMPLE_RATE, np.int16), mode)[0]


def default_model() -> Path:
    found = sorted((ROOT / "models").glob("*.tflite"))
    if not found:
        raise PipelineError("no bundled model in models/; train one (python training/train.py) or pass --model")
    return found[0]


@dataclasses.dataclass(frozen=True)
class Settings:
    """Detector settings as the user gives them (the SoC build's --threshold, --smooth-hops, --refractory)."""
    threshold: float = DEFAULT_THRESHOLD
    smooth_hops: int = DEFAULT_SMOOTH_HOPS
    refractory: float = DEFAULT_REFRACTORY

    def c_threshold(self) -> int:       # as soc/flow/app_headers.py writes KWS_THRESHOLD
        return int(round(self.threshold * 255))

    def c_refractory(self) -> int:      # KWS_REFRACTORY_HOPS
        from frontend.format import HOP, SAMPLE_RATE
        return int(round(self.refractory * (SAMPLE_RATE / HOP)))


@dataclasses.dataclass
class Model:
    """A loaded model with everything the kws app derives from it."""
    path: Path
    ir: object
    mode: str
    labels: list
    first_kw: int
    silence: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.labels)


def load_model(path=None) -> Model:
    from accel.tflite_import import load_tflite
    path = Path(path) if path else default_model()
    ir = load_tflite(str(path))
    n_classes = int(np.prod(ir.output.shape))
    if ir.layers[-1].op != "SOFTMAX":
        raise PipelineError(f"{path}: the model does not end in SOFTMAX; the kws app reads int8 probabilities")
    labels = model_labels(path, n_classes)
    mode = feature_mode_for(ir)
    return Model(path, ir, mode, labels, first_keyword(labels), silence_frame(mode))


# ---- the per-hop loop --------------------------------------------------------------------------------

def frames_after(n_samples):
    """Feature frames the streaming front-end has made after ``n_samples`` samples (whole hops only)."""
    from frontend.format import HOP, WIN
    whole = (np.asarray(n_samples, np.int64) // HOP) * HOP
    return np.where(whole >= WIN, 1 + (whole - WIN) // HOP, 0)


def inference_times(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames available, t in ms) at each inference the firmware runs on an n-sample stream."""
    from frontend.format import HOP, SAMPLE_RATE
    k = np.arange(1, -(-int(n_samples) // HOP) + 1, dtype=np.int64)
    pushed = np.minimum(k * HOP, n_samples)
    frames = frames_after(pushed)
    prev = np.concatenate([[0], frames[:-1]])
    new = frames > prev
    return frames[new], pushed[new] * 1000 // SAMPLE_RATE


def features(samples, mode: str, progress=False) -> np.ndarray:
    """Golden front-end frames of a whole stream (the same frames the streaming front-end makes)."""
    from frontend import golden as G
    from frontend.format import HOP, WIN
    a = np.asarray(samples, np.int16)
    n_frames = int(frames_after(len(a)))
    if n_frames == 0:
        return np.zeros((0, len(silence_frame(mode))), np.int8)
    if mode == "pcen" or n_frames <= 3000:     # PCEN's smoother runs through the whole stream
        return G.features(a, mode)
    out, step = [], 3000                        # framewise modes: chunks of 60 s (bounded memory)
    for f0 in range(0, n_frames, step):
        f1 = min(n_frames, f0 + step)
        out.append(G.features(a[f0 * HOP:(f1 - 1) * HOP + WIN], mode))
    return np.concatenate(out)


def windows(feats: np.ndarray, silence: np.ndarray, frames: np.ndarray, frames_per_window: int = 49):
    """The ring (oldest frame first) at each inference: frames [f - 49, f), silence before the first."""
    ext = np.concatenate([np.repeat(silence[None].astype(np.int8), frames_per_window, 0), feats])
    idx = np.asarray(frames)[:, None] + np.arange(frames_per_window)[None]
    return ext[idx]


def infer(model: Model, feats: np.ndarray, frames: np.ndarray, batch: int = BATCH, progress=False,
          desc="infer", verify_every: int = VERIFY_EVERY) -> np.ndarray:
    """int8 softmax outputs (n, classes) of the golden model on the ring at each inference.

    The batches run through :mod:`accel.golden_fast` (accel.golden's arithmetic, compiled requantization);
    the first batch and every ``verify_every``-th are also run through ``accel.golden.run`` and must be
    equal (0: check every batch)."""
    from accel import golden
    from accel import golden_fast
    n = len(frames)
    out = np.empty((n, model.n_classes), np.int8)
    h = model.ir.input.shape[0]
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n, desc=desc, unit="hop", leave=False)
    with _one_blas_thread():
        for b, i in enumerate(range(0, n, batch)):
            x = windows(feats, model.silence, frames[i:i + batch], h)[..., None]
            y = golden_fast.run(model.ir, x).reshape(len(x), -1)
            if b == 0 or verify_every <= 1 or b % verify_every == 0:
                ref = golden.run(model.ir, x).reshape(len(x), -1)
                if not np.array_equal(y, ref):
                    raise PipelineError("accel.golden_fast differs from accel.golden on this model; "
                                        "report it (and run with KWS_GOLDEN_FAST=0)")
            out[i:i + len(x)] = y
            if bar:
                bar.update(len(x))
    if bar:
        bar.close()
    return out


class _one_blas_thread:
    """BLAS on one thread: the golden model's matmuls are small; threads only fight (2 shared cores)."""

    def __enter__(self):
        try:
            from threadpoolctl import threadpool_limits
            self._lim = threadpool_limits(1)
        except Exception:  # noqa: BLE001 - optional
            self._lim = None

    def __exit__(self, *exc):
        if self._lim is not None:
            self._lim.unregister()


# ---- the firmware's detector, compiled natively ---------------------------------------------------------

_WRAPPER = r"""
/* Generated by kws/pipeline.py: runs firmware/src/kws_detect.c over a whole stream of softmax outputs. */
#include "kws_detect.h"
int kws_detect_run(int n_classes, int window, int threshold, int refractory, int first_keyword,
                   const int8_t *probs, int n_hops, int *hits, int *scores)
{
    kws_detector_t d;
    if (kws_detect_init(&d, n_classes, window, threshold, refractory, first_keyword))
        return -1;
    for (int i = 0; i < n_hops; i++)
        hits[i] = kws_detect_step(&d, probs + (long)i * n_classes, &scores[i]);
    return 0;
}
int kws_detect_sizeof(void) { return (int)sizeof(kws_detector_t); }
"""

_LIB = None


def detector_limits() -> tuple[int, int]:
    """(KWS_MAX_CLASSES, KWS_MAX_WINDOW) of the header the detector is compiled with."""
    text = SOC_FORMAT_H.read_text()
    get = lambda n: int(re.search(rf"#define\s+{n}\s+(\d+)", text).group(1))  # noqa: E731
    return get("KWS_MAX_CLASSES"), get("KWS_MAX_WINDOW")


def detector_lib():
    """firmware/src/kws_detect.c compiled as a shared library (cached on its sources' hash)."""
    global _LIB
    if _LIB is not None:
        return _LIB
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        raise PipelineError("no C compiler (cc) to build firmware/src/kws_detect.c: run scripts/setup.sh")
    h = hashlib.sha256(_WRAPPER.encode())
    for p in (DETECT_SRC, DETECT_HDR, SOC_FORMAT_H):
        h.update(p.read_bytes())
    d = Path(os.environ.get("KWS_CACHE", ROOT / ".cache")) / "kws"
    d.mkdir(parents=True, exist_ok=True)
    so = d / f"libkwsdetect-{h.hexdigest()[:16]}.so"
    if not so.exists():
        with tempfile.TemporaryDirectory(dir=d) as tmp:
            wrap = Path(tmp) / "kws_detect_run.c"
            wrap.write_text(_WRAPPER)
            out = Path(tmp) / so.name
            r = subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o", str(out),
                                f"-I{ROOT / 'firmware' / 'include'}", f"-I{DETECT_SRC.parent}", str(DETECT_SRC),
                                str(wrap)], capture_output=True, text=True)
            if r.returncode:
                raise PipelineError(f"compiling {DETECT_SRC.name} failed: {' '.join(r.stderr.split())[:300]}")
            out.replace(so)
    lib = ctypes.CDLL(str(so))
    lib.kws_detect_run.restype = ctypes.c_int
    lib.kws_detect_run.argtypes = [ctypes.c_int] * 5 + [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                                        ctypes.c_void_p]
    _LIB = lib
    return lib


def detect(probs: np.ndarray, settings: Settings, first_kw: int) -> tuple[np.ndarray, np.ndarray]:
    """The firmware detector over int8 softmax outputs (n, classes) -> (hit class or -1, score 0..255) per hop."""
    probs = np.ascontiguousarray(probs, dtype=np.int8)
    n, c = probs.shape
    max_classes, max_window = detector_limits()
    if not 1 <= settings.smooth_hops <= max_window:
        raise PipelineError(f"smoothing of {settings.smooth_hops} hops: the firmware's detector averages "
                            f"1..{max_window} hops (KWS_MAX_WINDOW)")
    if c > max_classes:
        raise PipelineError(f"{c} classes: the firmware's detector takes at most {max_classes} (KWS_MAX_CLASSES)")
    hits = np.empty(n, np.intc)
    scores = np.empty(n, np.intc)
    rc = detector_lib().kws_detect_run(c, settings.smooth_hops, settings.c_threshold(), settings.c_refractory(),
                                       first_kw, probs.ctypes.data, n, hits.ctypes.data, scores.ctypes.data)
    if rc:
        raise PipelineError("the firmware's detector refused its settings (kws_detect_init returned -1)")
    return hits, scores


@dataclasses.dataclass
class Run:
    """One stream through the pipeline: per-inference times and outputs, and the detections."""
    t_ms: np.ndarray            # (n,) time of each inference, ms (the firmware's t=)
    probs: np.ndarray           # (n, classes) int8 softmax outputs
    detections: list            # [(label, conf 0..255, t ms)]


def detections_of(model: Model, probs, t_ms, settings: Settings) -> list:
    hits, scores = detect(probs, settings, model.first_kw)
    return [(model.labels[hits[i]], int(scores[i]), int(t_ms[i])) for i in np.flatnonzero(hits >= 0)]


def listen(model: Model, samples, settings: Settings = Settings(), progress=False) -> Run:
    """What the SoC's kws app computes on ``samples``: every inference and every detection."""
    frames, t_ms = inference_times(len(samples))
    feats = features(samples, model.mode)
    probs = infer(model, feats, frames, progress=progress)
    return Run(t_ms, probs, detections_of(model, probs, t_ms, settings))


def detect_line(label, conf, t_ms) -> str:
    """The firmware's UART line for a detection (without the board's leds= suffix)."""
    return f"detect: {label} conf={conf}/255 t={t_ms}ms"

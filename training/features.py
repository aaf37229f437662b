"""Features from the front-end golden model (the exact int8 values the hardware produces), cached.

The network is trained on the dequantized features ``(q - zero_point) * scale``, so its int8 input
quantization is the front-end's output quantization and the int8 feature buffer feeds the model as is.
"""
from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from frontend.format import MODES, WINDOW_SAMPLES

ROOT = Path(__file__).resolve().parents[1]


def frontend_signature() -> str:
    """Hash of the front-end's Python sources: a change there invalidates cached features."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "frontend").glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def quant(mode: str) -> tuple[float, int]:
    from frontend.format import output_quant
    scale, zp = output_quant(mode)
    return float(scale), int(zp)


def _chunk_features(args):
    from frontend.golden import features
    audio, mode = args
    f = np.asarray(features(np.asarray(audio, np.int16), mode=mode))
    if f.dtype != np.int8:
        raise TypeError(f"frontend.golden.features returned {f.dtype}, expected int8")
    return f


def compute(audio: np.ndarray, mode: str, chunk: int = 256, quiet: bool = False, desc="features",
            workers: int = 1) -> np.ndarray:
    """int8 features (N, 49, F) of int16 clips (N, 16000), in chunks with a progress bar
    (``workers`` processes; the result does not depend on it)."""
    n = len(audio)
    if n == 0:
        f = _chunk_features((np.zeros((1, WINDOW_SAMPLES), np.int16), mode))
        return np.empty((0,) + f.shape[1:], np.int8)
    jobs = ((audio[i:i + chunk], mode) for i in range(0, n, chunk))
    bar = None
    if not quiet:
        from tqdm import tqdm
        bar = tqdm(total=n, desc=desc, unit="clip", mininterval=1.0, file=sys.stderr)
    parts = []
    pool = None
    if workers > 1 and n > chunk:
        from multiprocessing import get_context
        from training.synth import _worker_init   # default SIGTERM in the workers (see there)
        pool = get_context("fork").Pool(workers, initializer=_worker_init)
        it = pool.imap(_chunk_features, jobs)
    else:
        it = map(_chunk_features, jobs)
    try:
        for f in it:
            parts.append(f)
            if bar is not None:
                bar.update(len(f))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if bar is not None:
            bar.close()
    return np.concatenate(parts)


def load_or_compute(data: dict, data_key: str, mode: str, cache_dir: Path, splits, quiet=False, log=print,
                    workers: int = 1):
    """{split: int8 features} for the data set ``data`` (identified by ``data_key``), cached on disk."""
    if mode not in MODES:
        raise ValueError(f"feature mode must be one of {MODES}, not {mode!r}")
    key = f"{data_key}-{mode}-{frontend_signature()}"
    path = Path(cache_dir) / f"features-{key}.npz"
    t0 = time.time()
    if path.exists():
        z = np.load(path)
        feats = {s: z[s] for s in splits}
        log(f"[features] {mode} from cache {path.name} ({_shape_line(feats)}) in {time.time() - t0:.1f} s")
        return feats, {"cached": True, "seconds": round(time.time() - t0, 1), "file": path.name}
    feats = {s: compute(data[s]["audio"], mode, quiet=quiet, desc=f"{mode} {s}", workers=workers)
             for s in splits}
    dt = time.time() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **feats)
    tmp.replace(path)
    n = sum(len(v) for v in feats.values())
    log(f"[features] {mode}: {_shape_line(feats)} in {dt:.1f} s ({n / max(dt, 1e-9):.0f} clips/s)")
    return feats, {"cached": False, "seconds": round(dt, 1), "file": path.name}


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Float network input (N, 49, F, 1) from int8 features, exactly as the int8 model reads them."""
    return ((q.astype(np.float32) - np.float32(zero_point)) * np.float32(scale))[..., None]


def _shape_line(feats) -> str:
    return ", ".join(f"{s} {tuple(v.shape)}" for s, v in feats.items())

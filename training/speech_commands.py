"""Google Speech Commands (v2) from a local folder, mapped to the 12 MLPerf-Tiny KWS labels.

Standard layout: ``<dir>/<word>/<speaker>_nohash_<n>.wav`` (16 kHz mono 16-bit, <= 1 s),
``validation_list.txt`` and ``testing_list.txt`` (paths relative to ``<dir>``; every other clip is
training) and ``_background_noise_/*.wav`` (long noise recordings).

Labels: the ten keywords keep their names; every other word folder is ``_unknown_``; ``_silence_``
clips are 1 s windows cut from ``_background_noise_`` at a random volume. As in TensorFlow's
``speech_commands`` recipe (the MLPerf reference), each split gets unknown and silence clips equal to
``unknown_percent`` / ``silence_percent`` percent of its keyword clips (unknown clips are a random
subset), and training clips are augmented once, statically: a random time shift of up to 100 ms and,
with probability 0.8, background noise at a volume up to 0.1. Clips shorter than 1 s are zero-padded.
Deterministic from the seed; the loaded arrays are cached on disk.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from training.labels import KEYWORDS, LABELS, SILENCE_INDEX, UNKNOWN_INDEX, TrainingError

from frontend.format import SAMPLE_RATE  # noqa: E402  (the front-end's rate, one definition)
CLIP = SAMPLE_RATE
SPLITS = ("train", "val", "test")
BACKGROUND = "_background_noise_"


def read_clip(path: Path) -> np.ndarray:
    """int16 samples of a 16 kHz mono 16-bit WAV; TrainingError (one line) on any other file.

    A training set is not silently converted: a clip at another rate, with two channels or another
    sample format is an error (frontend.wav.read_wav would resample / mix it down)."""
    import soundfile as sf
    from frontend import AudioError
    from frontend.wav import read_wav
    try:
        info = sf.info(str(path))
    except Exception as exc:   # soundfile raises several types
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrainingError(f"{path}: not a readable WAV file ({msg})") from None
    if (info.samplerate, info.channels, info.subtype) != (SAMPLE_RATE, 1, "PCM_16"):
        raise TrainingError(f"{path}: wrong WAV format ({info.samplerate} Hz, {info.channels} channel(s), "
                            f"{info.subtype}); Speech Commands clips are 16000 Hz mono PCM_16")
    try:
        audio, _note = read_wav(path)
    except AudioError as exc:
        raise TrainingError(str(exc)) from None
    return np.asarray(audio, np.int16)


def check_layout(data_dir: Path) -> tuple[list[str], list[Path]]:
    """Validate the folder; returns (word folders, background noise files) or raises TrainingError."""
    d = Path(data_dir)
    if not d.is_dir():
        raise TrainingError(f"--data-dir {d}: not a directory")
    missing = [n for n in ("validation_list.txt", "testing_list.txt") if not (d / n).is_file()]
    missing += [f"{k}/" for k in KEYWORDS if not (d / k).is_dir()]
    bg = sorted((d / BACKGROUND).glob("*.wav")) if (d / BACKGROUND).is_dir() else []
    if not bg:
        missing.append(f"{BACKGROUND}/*.wav")
    if missing:
        shown = ", ".join(missing[:6]) + (f" (+{len(missing) - 6} more)" if len(missing) > 6 else "")
        raise TrainingError(f"--data-dir {d} is not a Speech Commands folder: missing {shown} "
                            "(expected <word>/*.wav, validation_list.txt, testing_list.txt, "
                            f"{BACKGROUND}/)")
    words = sorted(p.name for p in d.iterdir() if p.is_dir() and not p.name.startswith("_"))
    return words, bg


def _fit(x: np.ndarray) -> np.ndarray:
    out = np.zeros(CLIP, np.int16)
    out[:min(CLIP, len(x))] = x[:CLIP]
    return out


def _index(d: Path, words):
    lists = {}
    for split, name in (("val", "validation_list.txt"), ("test", "testing_list.txt")):
        lists[split] = {ln.strip() for ln in (d / name).read_text().splitlines() if ln.strip()}
    files = {s: [] for s in SPLITS}
    for w in words:
        label = LABELS.index(w) if w in KEYWORDS else UNKNOWN_INDEX
        for p in sorted((d / w).glob("*.wav")):
            rel = f"{w}/{p.name}"
            split = "val" if rel in lists["val"] else "test" if rel in lists["test"] else "train"
            files[split].append((rel, label))
    return files


def load(data_dir, seed: int = 1234, unknown_percent: float = 10.0, silence_percent: float = 10.0,
         cache_dir=None, quiet: bool = False, log=print) -> dict:
    """{split: {audio (N,16000) int16, labels (N,), speakers (N,), words (N,)}, 'info': {...}}."""
    d = Path(data_dir).resolve()
    words, bg_files = check_layout(d)
    files = _index(d, words)
    if not any(files.values()):
        raise TrainingError(f"--data-dir {d}: no .wav clips in the word folders")
    unknown_percent, silence_percent = float(unknown_percent), float(silence_percent)
    sig = json.dumps({"dir": str(d), "n": {s: len(v) for s, v in files.items()}, "seed": int(seed),
                      "u": unknown_percent, "s": silence_percent,
                      "src": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16],
                      "bg": [(p.name, p.stat().st_size) for p in bg_files]}, sort_keys=True)
    key = hashlib.sha256(sig.encode()).hexdigest()[:16]
    cdir = Path(cache_dir) / f"speech_commands-{key}" if cache_dir else None
    if cdir is not None and (cdir / "info.json").exists():
        info = json.loads((cdir / "info.json").read_text())
        data = {"info": dict(info, cached=True)}
        for s in SPLITS:
            z = np.load(cdir / f"{s}.npz")
            data[s] = {k: z[k] for k in ("audio", "labels", "speakers", "words")}
        log(f"[data] Speech Commands from cache {cdir} ({_sizes(data)})")
        return data

    t0 = time.time()
    background = [read_clip(p).astype(np.float32) for p in bg_files]
    background = [b for b in background if len(b) >= CLIP]
    if not background:
        raise TrainingError(f"--data-dir {d}: no {BACKGROUND} recording is at least 1 s long")
    rng = np.random.default_rng([seed, 21])
    total = sum(len(v) for v in files.values())
    bar = None
    if not quiet:
        from tqdm import tqdm
        import sys
        bar = tqdm(total=total, desc="speech commands", unit="clip", mininterval=1.0, file=sys.stderr)
    data = {}
    for s in SPLITS:
        kw = [f for f in files[s] if f[1] != UNKNOWN_INDEX]
        unk = [f for f in files[s] if f[1] == UNKNOWN_INDEX]
        n_unk = min(len(unk), int(round(len(kw) * unknown_percent / 100))) if kw else len(unk)
        pick = rng.permutation(len(unk))[:n_unk]
        chosen = kw + [unk[i] for i in sorted(pick)]
        audio, labels, speakers, wordnames = [], [], [], []
        for rel, label in chosen:
            x = _fit(read_clip(d / rel))
            if s == "train":
                x = _augment(rng, x, background)
            audio.append(x); labels.append(label)
            speakers.append(Path(rel).name.split("_nohash_")[0]); wordnames.append(rel.split("/")[0])
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.update(len(files[s]) - len(chosen))
        n_sil = int(round(max(len(kw), 1) * silence_percent / 100))
        for _ in range(n_sil):
            audio.append(_silence(rng, background)); labels.append(SILENCE_INDEX)
            speakers.append(""); wordnames.append("")
        data[s] = {"audio": np.stack(audio) if audio else np.zeros((0, CLIP), np.int16),
                   "labels": np.asarray(labels, np.int64), "speakers": np.asarray(speakers),
                   "words": np.asarray(wordnames)}
    if bar is not None:
        bar.close()
    info = {"source": "speech_commands", "dir": str(d), "seconds": round(time.time() - t0, 1),
            "sizes": {s: int(len(data[s]["labels"])) for s in SPLITS},
            "speakers": {s: int(len(set(data[s]["speakers"].tolist()) - {""})) for s in SPLITS},
            "unknown_percent": unknown_percent, "silence_percent": silence_percent, "key": key}
    if cdir is not None:
        cdir.mkdir(parents=True, exist_ok=True)
        for s in SPLITS:
            np.savez(cdir / f"{s}.npz", **data[s])
        (cdir / "info.json").write_text(json.dumps(info, indent=1))
    data["info"] = dict(info, cached=False)
    log(f"[data] Speech Commands {d}: {_sizes(data)} loaded in {info['seconds']:.1f} s")
    return data


def _augment(rng, x, background):
    shift = int(rng.integers(-1600, 1601))
    y = np.zeros(CLIP, np.float32)
    if shift >= 0:
        y[shift:] = x[:CLIP - shift]
    else:
        y[:shift] = x[-shift:]
    if rng.random() < 0.8:
        y += _noise_window(rng, background) * rng.uniform(0, 0.1)
    return np.clip(np.rint(y), -32768, 32767).astype(np.int16)


def _noise_window(rng, background):
    b = background[int(rng.integers(len(background)))]
    off = int(rng.integers(0, len(b) - CLIP + 1))
    return b[off:off + CLIP]


def _silence(rng, background):
    y = _noise_window(rng, background) * rng.uniform(0, 1)
    return np.clip(np.rint(y), -32768, 32767).astype(np.int16)


def _sizes(data) -> str:
    return ", ".join(f"{s} {len(data[s]['labels'])} clips" for s in SPLITS)

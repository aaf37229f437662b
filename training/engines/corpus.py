"""Multi-synthesizer corpus sketch: voice/engine splits, a seeded plan of takes, cached synthesis.

A *take* is one (engine, voice, rate, pitch) — a pseudo-speaker speaking at one tempo — that says a
list of words in one engine call (festival and kokoro amortize their start-up over the batch).

    splits = corpus.make_splits(seed=1)                       # {split: {engine: [voices]}}
    plan = corpus.draw_plan(KEYWORDS, splits["train"], takes_per_engine=20, seed=1)
    clips, meta = corpus.synthesize(plan)                     # int16 16 kHz clips + metadata

Everything is deterministic from the seed: each engine has its own random stream
(``default_rng([seed, crc32(engine)])``), so adding or removing an engine does not change the
others' draws.  Clips are cached as ``<cache>/<engine>/<key>.npy``, the key a hash of (engine,
engine version, hash of the backend + post-processing source, voice, rate, pitch, word), so a re-run
only synthesizes what is new; editing ``training/engines/__init__.py`` or the backend's module
invalidates that engine's clips.

Splits (:func:`make_splits`) measure generalization two ways:
  * by voice inside each engine: ``train`` / ``val`` / ``test`` hold disjoint voices (espeak-ng:
    disjoint variant *families*, the accent being a pronunciation rule drawn freely; kokoro:
    disjoint style files, English and accented voices split separately so each split has both;
    kokoro blends are only made of voices of the same split);
  * by engine: ``test_engine`` holds whole engines never seen in train/val (default: piper).
"""
from __future__ import annotations

import hashlib
import os
import re
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from training import engines as E

SPLITS = ("train", "val", "test", "test_engine")
DEFAULT_HELD_OUT_ENGINES = ("piper",)
_FAMILY_ALIASES = {"anikarobot": "anika", "whisperf": "whisper", "anxiousandy": "andy"}

#: per-engine draws: rate / pitch ranges (relative factors), probability that a kokoro take is a
#: blend of two voices of its split, and the blend weight range of the second voice
RANGES = {
    "espeak": dict(rate=(0.75, 1.3), pitch=(0.8, 1.25)),
    "flite": dict(rate=(0.8, 1.25), pitch=(0.85, 1.2)),
    "festival": dict(rate=(0.8, 1.25), pitch=(0.85, 1.2)),
    "piper": dict(rate=(0.8, 1.25), pitch=(0.85, 1.2)),
    "kokoro": dict(rate=(0.8, 1.25), pitch=(0.88, 1.15), blend_prob=0.4, blend_w=(0.2, 0.5)),
}


@dataclass(frozen=True)
class Take:
    engine: str
    voice: str
    rate: float
    pitch: float
    words: tuple


def _rng(seed, *tags):
    return np.random.default_rng([int(seed)] + [zlib.crc32(str(t).encode()) for t in tags])


def voice_group(engine: str, voice: str) -> str:
    """The unit a split keeps together: espeak variant family, else the voice itself."""
    if engine == "espeak":
        variant = voice.split("+", 1)[1] if "+" in voice else "default"
        stem = re.sub(r"\d+$", "", variant.lower())
        return _FAMILY_ALIASES.get(stem, stem)
    return voice


def split_voices(engine: str, voices, seed: int, fractions=(0.7, 0.15, 0.15)) -> dict:
    """Disjoint voice groups -> {"train", "val", "test": [voices]} (deterministic).

    With fewer than 3 groups everything goes to train (such an engine is better held out whole)."""
    voices = list(voices)
    groups: dict[str, list] = {}
    for v in voices:
        groups.setdefault(voice_group(engine, v), []).append(v)
    out = {"train": [], "val": [], "test": []}
    if engine == "kokoro":     # split English natives and accented voices separately
        pools = [[g for g in sorted(groups) if g.startswith(("af_", "am_", "bf_", "bm_"))],
                 [g for g in sorted(groups) if not g.startswith(("af_", "am_", "bf_", "bm_"))]]
    else:
        pools = [sorted(groups)]
    for pi, pool in enumerate(pools):
        if not pool:
            continue
        _rng(seed, "split", engine, pi).shuffle(pool)
        if len(pool) < 3:
            out["train"] += pool
            continue
        n_test = max(1, round(fractions[2] * len(pool)))
        n_val = max(1, round(fractions[1] * len(pool)))
        out["test"] += pool[:n_test]
        out["val"] += pool[n_test:n_test + n_val]
        out["train"] += pool[n_test + n_val:]
    return {s: sorted(v for g in gs for v in groups[g]) for s, gs in out.items()}


def make_splits(seed: int = 1, engines=None, held_out_engines=DEFAULT_HELD_OUT_ENGINES,
                fractions=(0.7, 0.15, 0.15)) -> dict:
    """{split: {engine: [voices]}} over the available engines; held-out engines only in test_engine."""
    names = [n for n in (engines or E.ENGINES) if E.get(n).available()[0]]
    out = {s: {} for s in SPLITS}
    for n in names:
        vs = E.get(n).voices()
        if n in held_out_engines:
            out["test_engine"][n] = list(vs)
            continue
        for s, v in split_voices(n, vs, seed, fractions).items():
            if v:
                out[s][n] = v
    return out


def draw_plan(words, voices_by_engine: dict, takes_per_engine: int, seed: int) -> list[Take]:
    """``takes_per_engine`` takes per engine, each saying all ``words``; voices from the split."""
    plan = []
    for eng in sorted(voices_by_engine):
        vs = list(voices_by_engine[eng])
        if not vs:
            continue
        r = RANGES.get(eng, dict(rate=(0.85, 1.15), pitch=(0.9, 1.1)))
        rng = _rng(seed, "plan", eng)
        for _ in range(takes_per_engine):
            voice = vs[rng.integers(len(vs))]
            if eng == "kokoro" and len(vs) > 1 and rng.random() < r.get("blend_prob", 0):
                other = vs[rng.integers(len(vs))]
                if other != voice:
                    voice = f"{voice}+{other}:{rng.uniform(*r['blend_w']):.2f}"
            rate = round(float(rng.uniform(*r["rate"])), 3)
            pitch = round(float(rng.uniform(*r["pitch"])), 3)
            plan.append(Take(eng, voice, rate, pitch, tuple(words)))
    return plan


_VERSIONS: dict = {}


def _version(eng):
    if eng not in _VERSIONS:
        _VERSIONS[eng] = E.get(eng).version()
    return _VERSIONS[eng]


def _code_hash(engine) -> str:
    """Hash of the shared post-processing and the backend's source: an edit re-synthesizes."""
    if engine not in _CODE:
        d = Path(E.__file__).parent
        h = hashlib.sha256((d / "__init__.py").read_bytes())
        mod = d / f"{engine}.py"
        if mod.exists():
            h.update(mod.read_bytes())
        _CODE[engine] = h.hexdigest()[:12]
    return _CODE[engine]


_CODE: dict = {}


def clip_key(engine, voice, rate, pitch, word) -> str:
    s = repr((engine, _version(engine), _code_hash(engine), voice, float(rate), float(pitch), word))
    return hashlib.sha256(s.encode()).hexdigest()[:20]


def synthesize(plan, cache=None, progress=True, min_len=800):
    """Synthesize (or load from cache) every (take, word) -> (clips, meta).

    meta[i] = {engine, voice, word, rate, pitch, key}.  Clips shorter than ``min_len`` samples
    (50 ms: the engine said nothing) are dropped, with a note in meta of none."""
    from tqdm import tqdm
    cache = Path(cache) if cache else E.cache_dir() / "clips"
    clips, meta = [], []
    bar = tqdm(plan, desc="synth", unit="take", disable=not progress)
    for t in bar:
        bar.set_postfix_str(f"{t.engine}:{t.voice}"[:40])
        d = cache / t.engine
        d.mkdir(parents=True, exist_ok=True)
        keys = [clip_key(t.engine, t.voice, t.rate, t.pitch, w) for w in t.words]
        todo = [i for i, k in enumerate(keys) if not (d / f"{k}.npy").exists()]
        if todo:
            out = E.get(t.engine).synth([t.words[i] for i in todo], t.voice, t.rate, t.pitch)
            for i, a in zip(todo, out):
                tmp = d / f"{keys[i]}.{os.getpid()}.tmp.npy"    # concurrent writers never collide
                np.save(tmp, a)
                tmp.replace(d / f"{keys[i]}.npy")
        for w, k in zip(t.words, keys):
            a = np.load(d / f"{k}.npy")
            if len(a) < min_len:
                continue
            clips.append(a)
            meta.append(dict(engine=t.engine, voice=t.voice, word=w, rate=t.rate, pitch=t.pitch, key=k))
    return clips, meta


def center(clip: np.ndarray, n: int = E.SAMPLE_RATE) -> np.ndarray:
    """Place a clip in the middle of an n-sample window (longer clips: the middle n samples)."""
    if len(clip) >= n:
        a = (len(clip) - n) // 2
        return clip[a:a + n].copy()
    out = np.zeros(n, np.int16)
    a = (n - len(clip)) // 2
    out[a:a + len(clip)] = clip
    return out


def plan_dicts(plan) -> list[dict]:
    return [asdict(t) for t in plan]

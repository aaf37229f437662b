"""The generated stream of the streaming evaluation (training/streaming.py): speech, noise and keywords
from held-out voices at known times, deterministic from a seed and cached in ``.cache/streaming/``.

A background bed of noise (white, pink, brown, mains hum, babble of other synthesized sentences, or near
silence; a new kind and level every 20-90 s) under a timeline of events:

* keywords, the next one 8-16 s (``kw_gap_s``) after the previous one's end plus the event then
  running (one every ~15 s), each one of the ten keywords said by
  a take (engine, voice, rate, pitch) of the corpus's *held-out* voices only (``test`` split of every
  engine + the ``test_engine`` engines, :func:`training.engines.corpus.make_splits` with the training
  corpus's seed), every clip used once before any is reused;
* sentences of 4-9 non-keyword words (the training corpus's unknown words, near-misses such as "know",
  "top", "goat" included, and everyday function words; no keyword) said by the same held-out voices of
  every engine, each sentence synthesized as one phrase (the engine's own prosody);
* pauses (0.5-4 s of the bed alone) and noise bursts (0.5-3 s, 5-25 dB over the bed).

Each speech event goes through :func:`training.augment.augment` (room reverb, microphone high-pass and
tilt, pitch, telephone band / 8 kHz, clipping; no time shift or speed change, so its timing is known),
then is placed 10-35 dB (RMS) over the bed, peak at most -1 dBFS. The truth is every keyword's label and
the start and end of its (dry) audio in the stream.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import zlib
from pathlib import Path

import numpy as np

from training.labels import KEYWORDS

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "streaming"
VERSION = 1
from frontend.format import SAMPLE_RATE as SR  # noqa: E402  (one definition)

# augment.augment for speech events: timing kept (no shift / speed / tempo); noise comes from the bed.
EVENT_AUGMENT = dict(p_speed=0.0, p_tempo=0.0, p_shift=0.0, p_pitch=0.15, p_reverb=0.4, p_mic=0.6, p_noise=0.0,
                     p_phone=0.05, p_8k=0.05, p_clip=0.02)
BED_KINDS = ("white", "pink", "brown", "hum", "babble", "quiet")
BURST_KINDS = ("white", "pink", "brown", "hum", "babble")


@dataclasses.dataclass(frozen=True)
class StreamConfig:
    hours: float = 1.0
    seed: int = 1
    engines: tuple | None = None            # None: every available engine
    kw_gap_s: tuple = (8.0, 16.0)           # from one keyword's end to the next one's start (~15 s apart)
    sentences_per_hour: int = 200           # distinct sentences synthesized (each placed ~3x, augmented anew)
    kw_clips_per_hour: int = 260            # distinct keyword clips (26 takes x 10 keywords)
    bed_dbfs: tuple = (-70.0, -45.0)        # background RMS
    speech_over_bed_db: tuple = (10.0, 35.0)
    burst_over_bed_db: tuple = (5.0, 25.0)
    # whose voices speak: "test" (the corpus's test split + held-out engines: the figures reported) or
    # "val" (its validation voices of the training engines: a stream for choices such as the
    # detector's threshold, never used in training either)
    voices: str = "test"

    def key(self, plans=()) -> str:
        """Cache key of the stream: VERSION (bump it when the generation changes), the config and the
        keys of every synthesized clip of ``plans`` (which follow the voices drawn from the corpus's
        splits, the words, the engines' versions and their code)."""
        from training.engines import corpus
        clips = [corpus.clip_key(t.engine, t.voice, t.rate, t.pitch, w) for plan in plans for t in plan for w in t.words]
        s = json.dumps([VERSION, dataclasses.asdict(self), clips], sort_keys=True)
        return hashlib.sha256(s.encode()).hexdigest()[:16]


@dataclasses.dataclass
class Stream:
    samples: np.ndarray                     # int16, 16 kHz
    truth: list                             # [{label, start, end, engine, voice}] (s)
    events: dict                            # counts per event kind
    timeline: list                          # [[kind, start s, end s, what]] of every event and bed segment
    config: StreamConfig
    key: str = ""                           # cache key (StreamConfig.key of its synthesis plans)

    @property
    def seconds(self) -> float:
        return len(self.samples) / SR


def _rng(seed, *tags):
    return np.random.default_rng([int(seed)] + [zlib.crc32(str(t).encode()) for t in tags])


# which voices a stream uses: {name: (corpus splits whose voices speak, splits none of them may be in)}
VOICE_SETS = {"test": (("test", "test_engine"), ("train", "val")),
              "val": (("val",), ("train", "test", "test_engine"))}


def held_out_voices(engines=None, which: str = "test") -> dict:
    """{engine: [voices]} of the corpus's test split and held-out engines (``which="test"``) or of its
    validation split (``"val"``); neither is used in training."""
    from training import synth
    from training.engines import corpus
    cfg = synth.SynthConfig()
    names = [e for e in (engines or cfg.engines)]
    splits = corpus.make_splits(cfg.seed, names, cfg.held_out_engines)
    out = {}
    speak, apart = VOICE_SETS[which]
    for s in speak:
        for eng, vs in splits[s].items():
            out.setdefault(eng, []).extend(vs)
    seen = {(e, v) for s in apart for e, vs in splits[s].items() for v in vs}
    assert not any((e, v) in seen for e, vs in out.items() for v in vs), f"a {which} voice is also in {apart}"
    return out


def _plans(cfg: StreamConfig, voices: dict):
    """(keyword takes, sentence takes): the synthesis plan (corpus.Take, cached by corpus.synthesize)."""
    from training.engines import corpus
    engines = sorted(voices)
    per_engine_kw = max(1, math.ceil(cfg.kw_clips_per_hour * cfg.hours / len(KEYWORDS) / len(engines)))
    kw = corpus.draw_plan(KEYWORDS, voices, per_engine_kw, cfg.seed)
    from training.synth import sentence_words
    words = sentence_words()
    per_take = 5
    n_sent = max(1, math.ceil(cfg.sentences_per_hour * cfg.hours / per_take / len(engines)))
    sent = []
    for t in corpus.draw_plan(("",), voices, n_sent, cfg.seed + 7919):
        rng = _rng(cfg.seed, "sentences", len(sent))
        texts = []
        for _ in range(per_take):
            n = int(rng.integers(4, 10))
            texts.append(" ".join(words[int(i)] for i in rng.choice(len(words), n, replace=False)))
        sent.append(dataclasses.replace(t, words=tuple(texts)))
    return kw, sent


def _fade(x, n=320):
    n = min(n, len(x) // 2)
    if n:
        r = np.linspace(0, 1, n)
        x[:n] *= r
        x[-n:] *= r[::-1]
    return x


def _noise(A, kind, m, rng, clips):
    """augment.make_noise, babble made in 3 s blocks of 3-5 talkers (dense, like a room of people)."""
    if kind != "babble":
        return A.make_noise(kind, m, rng, clips)
    blk = 3 * SR
    return np.concatenate([A.babble(blk, rng, clips, talkers=int(rng.integers(3, 6)))
                           for _ in range(-(-m // blk))])[:m]


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def generate(cfg: StreamConfig = StreamConfig(), cache=True, progress=True) -> Stream:
    """The stream of ``cfg`` (synthesized clips come from the engines' clip cache; the stream from
    .cache/streaming/<key>.npz)."""
    from training import augment as A
    from training.engines import corpus
    from training import engines as E
    usable = [e for e in (cfg.engines or E.ENGINES) if E.get(e).available()[0]]
    if not usable:
        raise RuntimeError("no speech engine is available: " + "; ".join(E.notes()))
    voices = held_out_voices(usable, cfg.voices)
    kw_plan, sent_plan = _plans(cfg, voices)
    key = cfg.key((kw_plan, sent_plan))
    path = CACHE / f"{key}.npz"
    if cache and path.exists():
        z = np.load(path, allow_pickle=False)
        meta = json.loads(str(z["meta"]))
        return Stream(z["samples"], meta["truth"], meta["events"], meta["timeline"], cfg, key)
    kw_clips, kw_meta = corpus.synthesize(kw_plan, progress=progress)
    sents, sent_meta = corpus.synthesize(sent_plan, progress=progress)
    if not kw_clips or not sents:
        raise RuntimeError("the engines produced no keyword or no sentence clip")
    n = int(round(cfg.hours * 3600 * SR))
    rng = _rng(cfg.seed, "timeline")
    y = np.zeros(n)
    # --- background bed: a new kind and level every 20-90 s, 50 ms cross-fades
    bed_level = np.zeros(n)
    timeline = []
    t = 0
    while t < n:
        seg = min(n - t, int(rng.uniform(20, 90) * SR))
        kind = str(rng.choice(BED_KINDS))
        db = float(rng.uniform(*cfg.bed_dbfs)) if kind != "quiet" else float(rng.uniform(-95, -80))
        lo, hi = max(0, t - 800), min(n, t + seg + 800)
        noise = _noise(A, "white" if kind == "quiet" else kind, hi - lo, rng, sents)
        y[lo:hi] += _fade(noise / max(_rms(noise), 1e-12) * 10 ** (db / 20), 800)
        bed_level[t:t + seg] = db
        timeline.append(["bed", round(t / SR, 3), round((t + seg) / SR, 3), f"{kind} {db:.0f} dBFS"])
        t += seg
    # --- events
    order = rng.permutation(len(kw_clips))
    kw_i, truth, counts = 0, [], dict(keyword=0, sentence=0, pause=0, burst=0)
    pad = int(0.25 * SR)
    t = int(rng.uniform(1, 3) * SR)
    next_kw = t + int(rng.uniform(*cfg.kw_gap_s) * SR)

    def place(clip, start, what, text):
        x = np.concatenate([np.zeros(pad), clip.astype(np.float64) / 32768, np.zeros(pad)])
        x = A.augment(x, rng, sents, EVENT_AUGMENT)
        dry = x[pad:pad + len(clip)]
        ref = _rms(dry)
        if ref <= 0:
            return
        db = bed_level[min(start, n - 1)] + rng.uniform(*cfg.speech_over_bed_db)
        g = 10 ** (db / 20) / ref
        g = min(g, 10 ** (-1 / 20) / max(np.max(np.abs(x)), 1e-12))
        a = start - pad
        seg = x[max(0, -a):min(len(x), n - a)] * g
        y[max(0, a):max(0, a) + len(seg)] += seg
        counts[what] += 1
        timeline.append([what, round(start / SR, 3), round((start + len(clip)) / SR, 3), text])

    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=int(cfg.hours * 3600), desc="stream", unit="s", leave=False)
    while t < n - 3 * SR:
        t_prev = t
        if t >= next_kw:
            t += int(rng.uniform(0.4, 1.0) * SR)
            i = int(order[kw_i % len(order)])
            kw_i += 1
            clip = kw_clips[i]
            if t + len(clip) >= n - SR:
                break
            place(clip, t, "keyword", f"{kw_meta[i]['word']} ({kw_meta[i]['engine']}:{kw_meta[i]['voice']})")
            m = kw_meta[i]
            truth.append(dict(label=m["word"], start=round(t / SR, 4), end=round((t + len(clip)) / SR, 4),
                              engine=m["engine"], voice=m["voice"]))
            t += len(clip) + int(rng.uniform(0.5, 1.5) * SR)
            next_kw = t + int(rng.uniform(*cfg.kw_gap_s) * SR)
        else:
            u = rng.random()
            if u < 0.6:
                j = int(rng.integers(len(sents)))
                clip = sents[j]
                if t + len(clip) < n - SR:
                    place(clip, t, "sentence", f"{sent_meta[j]['word']} ({sent_meta[j]['engine']}:{sent_meta[j]['voice']})")
                t += len(clip) + int(rng.uniform(0.2, 1.0) * SR)
            elif u < 0.85:
                t += int(rng.uniform(0.5, 4.0) * SR)
                counts["pause"] += 1
            else:
                m = int(rng.uniform(0.5, 3.0) * SR)
                m = min(m, n - t)
                kind = str(rng.choice(BURST_KINDS))
                b = _noise(A, kind, m, rng, sents)
                db = bed_level[t] + rng.uniform(*cfg.burst_over_bed_db)
                y[t:t + m] += _fade(b / max(_rms(b), 1e-12) * 10 ** (db / 20))
                counts["burst"] += 1
                timeline.append(["burst", round(t / SR, 3), round((t + m) / SR, 3), kind])
                t += m + int(rng.uniform(0.2, 1.0) * SR)
        if bar:
            bar.update((min(t, n) - t_prev) // SR)
    if bar:
        bar.close()
    samples = np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16)
    stream = Stream(samples, truth, counts, timeline, cfg, key)
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = CACHE / f"{key}.tmp.npz"
        np.savez(tmp, samples=samples, meta=json.dumps(dict(truth=truth, events=counts, timeline=timeline,
                                                            config=dataclasses.asdict(cfg))))
        tmp.replace(path)
    return stream

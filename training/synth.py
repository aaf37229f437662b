"""A synthetic, Speech-Commands-like keyword set generated offline with espeak-ng.

Twelve MLPerf KWS labels (``_silence_``, ``_unknown_`` and the ten keywords); 1 s int16 clips at 16 kHz.

Voices: a *speaker* is an espeak-ng voice variant (the timbre: formants, base pitch, breathiness,
tone), and the train / validation / test splits hold out whole variant *families* (``iven``..``iven4``,
``klatt``..``klatt6``, ``f1``..``f5``, ... are one family each), so test accuracy is measured on voices the
network never heard. The English accents (en-gb, en-us, en-gb-scotland, ...) are pronunciation rules,
not speakers; each utterance picks one at random in every split.

Each utterance varies accent, rate, pitch, vocal-tract warp (resampling), prosody (``yes`` / ``yes.`` / ``yes!`` / ``yes?``) and level;
it is mixed with white, pink or brown noise or babble (other words of the same split's voices) at
several SNRs and placed at a random time in the 1 s window. ``_silence_`` clips are noise only (with
some digital silence). Everything is deterministic from the seed (per-utterance random streams, so
the two synthesis processes do not change the result) and cached on disk under a key that covers
the configuration, the espeak-ng version, its voice list and this file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from training.labels import KEYWORDS, LABELS, SILENCE_INDEX, UNKNOWN_INDEX, TrainingError

from frontend.format import SAMPLE_RATE  # noqa: E402  (the front-end's rate, one definition)
CLIP = SAMPLE_RATE  # 1 s
SPLITS = ("train", "val", "test")

# Speech Commands v2's 25 auxiliary words plus a few everyday ones: the "_unknown_" class.
UNKNOWN_WORDS = ("backward", "bed", "bird", "cat", "dog", "eight", "five", "follow", "forward", "four",
                 "happy", "house", "learn", "marvin", "nine", "one", "seven", "sheila", "six", "three",
                 "tree", "two", "visual", "wow", "zero", "hello", "light", "music", "water", "later")
PROSODY = ("", ".", "!", "?")
# Variant families whose names do not share a stem but are the same voice with an effect on top.
_FAMILY_ALIASES = {"anikarobot": "anika", "whisperf": "whisper", "anxiousandy": "andy"}


@dataclass(frozen=True)
class SynthConfig:
    seed: int = 1234
    train_per_class: int = 1000      # clips per label in the training split
    val_per_class: int = 120
    test_per_class: int = 200
    train_copies: int = 2            # training mixes per synthesized utterance (val/test: 1)
    split_fractions: tuple = (0.70, 0.15, 0.15)   # of the variant families
    max_families: int = 0            # 0: all; else use only this many families (quick runs)
    rate: tuple = (125, 230)         # espeak-ng -s (words per minute)
    pitch: tuple = (20, 80)          # espeak-ng -p
    warp: tuple = (0.87, 1.15)       # resampling factor: scales pitch and formants (vocal tract length)
    speech_rms_dbfs: tuple = (-38.0, -14.0)
    snr_db: tuple = (5.0, 10.0, 20.0, 30.0)      # white / pink / brown noise
    babble_snr_db: tuple = (20.0, 30.0)          # babble is other words: closer competes with the keyword
    noise_prob: float = 0.8          # probability that a speech clip gets noise (else a faint floor)
    noise_types: tuple = ("white", "pink", "brown", "babble")
    silence_rms_dbfs: tuple = (-80.0, -30.0)
    silence_zero_prob: float = 0.05  # digital silence


# ----------------------------------------------------------------------------------------------
# espeak-ng

def espeak_path() -> str:
    exe = os.environ.get("KWS_ESPEAK", "espeak-ng")
    path = shutil.which(exe)
    if path is None:
        raise TrainingError(f"espeak-ng not found (looked for '{exe}' on PATH): install it "
                            "(Debian: apt-get install espeak-ng) or pass --data-dir with Speech Commands")
    return path


def _run(args):
    try:
        return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise TrainingError(f"espeak-ng failed ({' '.join(args[:4])} ...): {exc}") from None


def espeak_version(exe: str) -> str:
    return _run([exe, "--version"]).decode(errors="replace").strip()


def espeak_accents(exe: str) -> list[str]:
    """English espeak-ng voices built in (gmw/...; MBROLA voices need extra packages)."""
    out = _run([exe, "--voices=en"]).decode(errors="replace").splitlines()[1:]
    accents = []
    for line in out:
        cols = line.split()
        if len(cols) >= 5 and cols[4].startswith("gmw/") and cols[1].startswith("en"):
            if cols[1] not in accents:
                accents.append(cols[1])
    if not accents:
        raise TrainingError("espeak-ng lists no built-in English voice (espeak-ng --voices=en)")
    return sorted(accents)


def espeak_variants(exe: str) -> list[str]:
    out = _run([exe, "--voices=variant"]).decode(errors="replace").splitlines()[1:]
    variants = sorted({line.split()[4].split("/")[-1] for line in out if len(line.split()) >= 5})
    if len(variants) < 6:
        raise TrainingError(f"espeak-ng lists only {len(variants)} voice variants; need at least 6")
    return variants


def variant_family(name: str) -> str:
    stem = re.sub(r"\d+$", "", name.lower())
    return _FAMILY_ALIASES.get(stem, stem)


def split_families(variants, fractions, seed, max_families=0):
    """Assign whole variant families to train/val/test (deterministic). Returns {split: [variants]}."""
    fams = {}
    for v in variants:
        fams.setdefault(variant_family(v), []).append(v)
    names = sorted(fams)
    rng = np.random.default_rng([seed, 101])
    rng.shuffle(names)
    if max_families:
        names = names[:max(3, max_families)]
    total = sum(len(fams[n]) for n in names)
    out = {s: [] for s in SPLITS}
    # val and test take families until they reach their share of variants; train gets the rest.
    i = 0
    for split, frac in (("test", fractions[2]), ("val", fractions[1])):
        target = max(1, round(frac * total))
        while i < len(names) - 1 and (not out[split] or len(out[split]) < target):
            out[split].extend(fams[names[i]])
            i += 1
    for n in names[i:]:
        out["train"].extend(fams[n])
    return {s: sorted(v) for s, v in out.items()}


def parse_wav_bytes(buf: bytes) -> tuple[np.ndarray, int]:
    """espeak-ng --stdout writes a WAV whose sizes are placeholders: read fmt, take all after 'data'."""
    if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
        raise TrainingError("espeak-ng --stdout did not produce a WAV stream")
    pos, rate = 12, None
    while pos + 8 <= len(buf):
        cid, size = buf[pos:pos + 4], int.from_bytes(buf[pos + 4:pos + 8], "little")
        if cid == b"fmt ":
            rate = int.from_bytes(buf[pos + 12:pos + 16], "little")
            bits = int.from_bytes(buf[pos + 22:pos + 24], "little")
            chans = int.from_bytes(buf[pos + 10:pos + 12], "little")
            if bits != 16 or chans != 1:
                raise TrainingError(f"espeak-ng produced {bits}-bit {chans}-channel audio; expected 16-bit mono")
        elif cid == b"data":
            data = buf[pos + 8:]
            data = data[:len(data) // 2 * 2]
            return np.frombuffer(data, dtype="<i2").astype(np.float32), rate
        pos += 8 + size + (size & 1)
    raise TrainingError("espeak-ng WAV stream has no data chunk")


def synthesize(job) -> np.ndarray:
    """One utterance -> float32 at 16 kHz, leading/trailing silence trimmed, peak-normalized to 1."""
    from scipy.signal import resample_poly

    exe, accent, variant, rate, pitch, text = job
    x, sr = parse_wav_bytes(_run([exe, "-v", f"{accent}+{variant}", "-s", str(rate), "-p", str(pitch),
                                  "--stdout", text]))
    if sr != SAMPLE_RATE:
        g = np.gcd(SAMPLE_RATE, sr)
        x = resample_poly(x, SAMPLE_RATE // g, sr // g).astype(np.float32)
    a = np.abs(x)
    if a.size == 0 or a.max() <= 0:
        raise TrainingError(f"espeak-ng produced silence for {text!r} with {accent}+{variant}")
    nz = np.nonzero(a > 0.01 * a.max())[0]
    lo, hi = max(0, nz[0] - 160), min(len(x), nz[-1] + 161)   # 10 ms margins
    x = x[lo:hi][:CLIP]
    return x / np.abs(x).max()


# ----------------------------------------------------------------------------------------------
# noise and mixing

def colored_noise(rng, kind: str, n: int = CLIP) -> np.ndarray:
    """Unit-RMS white / pink (1/f) / brown (1/f^2) noise."""
    w = rng.standard_normal(n)
    if kind != "white":
        spec = np.fft.rfft(w)
        f = np.arange(len(spec), dtype=np.float64)
        f[0] = 1.0
        spec /= np.sqrt(f) if kind == "pink" else f
        spec[0] = 0.0
        w = np.fft.irfft(spec, n)
    return (w / (np.sqrt(np.mean(w ** 2)) + 1e-12)).astype(np.float32)


def babble(rng, pool, n: int = CLIP) -> np.ndarray:
    out = np.zeros(n, np.float32)
    for _ in range(int(rng.integers(3, 7))):
        u = pool[int(rng.integers(len(pool)))]
        u = u[:n]
        off = int(rng.integers(-len(u) // 2, n - len(u) // 2))
        a, b = max(0, off), min(n, off + len(u))
        out[a:b] += u[a - off:b - off] * rng.uniform(0.3, 1.0)
    rms = np.sqrt(np.mean(out ** 2))
    return out / (rms + 1e-12)


def _rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def _to_int16(x: np.ndarray) -> np.ndarray:
    peak = np.abs(x).max()
    if peak > 32000:                 # keep the mix unclipped: lower the level instead
        x = x * (32000 / peak)
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def mix_speech(rng, utt, cfg: SynthConfig, pool) -> tuple[np.ndarray, dict]:
    warp = float(rng.uniform(*cfg.warp))
    if warp != 1.0:   # vocal tract length perturbation: every voice becomes a family of voices
        from scipy.signal import resample
        utt = resample(utt, max(16, min(CLIP, int(round(len(utt) / warp))))).astype(np.float32)
    level = 10 ** (rng.uniform(*cfg.speech_rms_dbfs) / 20) * 32768
    # RMS over the active part, so short and long words come out equally loud
    speech = utt * (level / (_rms(utt) + 1e-12))
    clip = np.zeros(CLIP, np.float32)
    off = int(rng.integers(0, CLIP - len(utt) + 1))
    clip[off:off + len(utt)] = speech
    meta = {"offset": off, "warp": round(warp, 3), "level_dbfs": round(20 * np.log10(level / 32768), 2), "noise": "none",
            "snr_db": None}
    if rng.random() < cfg.noise_prob:
        kind = cfg.noise_types[int(rng.integers(len(cfg.noise_types)))]
        snrs = cfg.babble_snr_db if kind == "babble" else cfg.snr_db
        snr = float(snrs[int(rng.integers(len(snrs)))])
        noise = babble(rng, pool) if kind == "babble" else colored_noise(rng, kind)
        clip += noise * (level / 10 ** (snr / 20))
        meta.update(noise=kind, snr_db=snr)
    else:                             # a faint floor: real microphones are never digitally silent
        clip += colored_noise(rng, "white") * (10 ** (rng.uniform(-90, -70) / 20) * 32768)
    return _to_int16(clip), meta


def mix_silence(rng, cfg: SynthConfig) -> tuple[np.ndarray, dict]:
    if rng.random() < cfg.silence_zero_prob:
        return np.zeros(CLIP, np.int16), {"noise": "zero", "level_dbfs": None}
    kind = ("white", "pink", "brown")[int(rng.integers(3))]
    level = rng.uniform(*cfg.silence_rms_dbfs)
    x = colored_noise(rng, kind) * (10 ** (level / 20) * 32768)
    return _to_int16(x), {"noise": kind, "level_dbfs": round(level, 2)}


# ----------------------------------------------------------------------------------------------
# the data set

def cache_key(cfg: SynthConfig, exe: str) -> tuple[str, dict]:
    env = {"espeak": espeak_version(exe), "accents": espeak_accents(exe), "variants": espeak_variants(exe)}
    src = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    blob = json.dumps({"cfg": asdict(cfg), "env": env, "src": src}, sort_keys=True, default=list)
    return hashlib.sha256(blob.encode()).hexdigest()[:16], env


def _plan(cfg: SynthConfig, split: str, variants, accents, n_per_class: int, copies: int, exe: str):
    """The utterances of one split (deterministic): list of (label, word, job)."""
    rng = np.random.default_rng([cfg.seed, 11, SPLITS.index(split)])
    plan = []
    n_utt = -(-n_per_class // copies)
    for label in range(len(LABELS)):
        if label == SILENCE_INDEX:
            continue
        for _ in range(n_utt):
            word = (UNKNOWN_WORDS[int(rng.integers(len(UNKNOWN_WORDS)))] if label == UNKNOWN_INDEX
                    else LABELS[label])
            job = (exe, accents[int(rng.integers(len(accents)))], variants[int(rng.integers(len(variants)))],
                   int(rng.integers(cfg.rate[0], cfg.rate[1] + 1)),
                   int(rng.integers(cfg.pitch[0], cfg.pitch[1] + 1)),
                   word + PROSODY[int(rng.integers(len(PROSODY)))])
            plan.append((label, word, job))
    return plan


def _progress(iterable, total, desc, quiet):
    if quiet:
        return iterable
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, unit="utt", mininterval=1.0, file=sys.stderr)


def generate(cfg: SynthConfig, quiet: bool = False, exe: str | None = None, workers: int = 2) -> dict:
    """Synthesize every split. Returns {split: {audio, labels, speakers, words, meta}} plus 'info'."""
    exe = exe or espeak_path()
    accents, variants = espeak_accents(exe), espeak_variants(exe)
    voices = split_families(variants, cfg.split_fractions, cfg.seed, cfg.max_families)
    sizes = {"train": (cfg.train_per_class, cfg.train_copies), "val": (cfg.val_per_class, 1),
             "test": (cfg.test_per_class, 1)}
    plans = {s: _plan(cfg, s, voices[s], accents, *sizes[s], exe) for s in SPLITS}
    jobs = [p[2] for s in SPLITS for p in plans[s]]
    t0 = time.time()
    if workers > 1:
        with get_context("fork").Pool(workers) as pool:
            utts = list(_progress(pool.imap(synthesize, jobs, chunksize=8), len(jobs),
                                  "espeak-ng", quiet))
    else:
        utts = [synthesize(j) for j in _progress(jobs, len(jobs), "espeak-ng", quiet)]
    t_synth = time.time() - t0
    out, k = {}, 0
    for s in SPLITS:
        plan = plans[s]
        su, k = utts[k:k + len(plan)], k + len(plan)
        n_per_class, copies = sizes[s]
        pool = [u for (label, _, _), u in zip(plan, su) if label == UNKNOWN_INDEX] or su
        audio, labels, speakers, words, metas = [], [], [], [], []
        rng_i = 0
        for label in range(len(LABELS)):
            if label == SILENCE_INDEX:
                for _ in range(n_per_class):
                    rng = np.random.default_rng([cfg.seed, 13, SPLITS.index(s), rng_i])
                    rng_i += 1
                    a, m = mix_silence(rng, cfg)
                    audio.append(a); labels.append(label); speakers.append(""); words.append("")
                    metas.append(m)
                continue
            items = [(p, u) for p, u in zip(plan, su) if p[0] == label]
            n = 0
            for c in range(copies):
                for (lab, word, job), u in items:
                    if n >= n_per_class:
                        break
                    rng = np.random.default_rng([cfg.seed, 13, SPLITS.index(s), rng_i])
                    rng_i += 1
                    a, m = mix_speech(rng, u, cfg, pool)
                    m.update(accent=job[1], rate=job[3], pitch=job[4], text=job[5])
                    audio.append(a); labels.append(lab); speakers.append(job[2]); words.append(word)
                    metas.append(m)
                    n += 1
        out[s] = {"audio": np.stack(audio), "labels": np.asarray(labels, np.int64),
                  "speakers": np.asarray(speakers), "words": np.asarray(words), "meta": metas}
    out["info"] = {"voices": voices, "accents": accents, "synth_seconds": round(t_synth, 1),
                   "utterances": len(jobs), "seconds": round(time.time() - t0, 1)}
    return out


def load_or_generate(cfg: SynthConfig, cache_dir: Path, quiet: bool = False, log=print, workers: int = 2) -> dict:
    """The data set from the cache when present, else generated and cached. Prints size and time."""
    exe = espeak_path()
    key, env = cache_key(cfg, exe)
    d = Path(cache_dir) / f"synth-{key}"
    if (d / "info.json").exists():
        t0 = time.time()
        info = json.loads((d / "info.json").read_text())
        data = {"info": info}
        for s in SPLITS:
            z = np.load(d / f"{s}.npz")
            data[s] = {"audio": z["audio"], "labels": z["labels"], "speakers": z["speakers"],
                       "words": z["words"], "meta": json.loads(str(z["meta"]))}
        info["cached"] = True
        log(f"[data] synthetic set from cache {d} ({_size_line(data)}; generated in "
            f"{info['seconds']:.0f} s, loaded in {time.time() - t0:.1f} s)")
        return data
    log(f"[data] generating the synthetic set with {env['espeak'].split(':')[0]} "
        f"({len(env['variants'])} variants, {len(env['accents'])} accents) -> {d}")
    data = generate(cfg, quiet=quiet, exe=exe, workers=workers)
    d.mkdir(parents=True, exist_ok=True)
    for s in SPLITS:
        np.savez(d / f"{s}.npz", audio=data[s]["audio"], labels=data[s]["labels"],
                 speakers=data[s]["speakers"], words=data[s]["words"],
                 meta=np.asarray(json.dumps(data[s]["meta"])))
    info = dict(data["info"], key=key, config=asdict(cfg), espeak=env["espeak"],
                sizes={s: int(len(data[s]["labels"])) for s in SPLITS},
                bytes=int(sum((d / f"{s}.npz").stat().st_size for s in SPLITS)))
    (d / "info.json").write_text(json.dumps(info, indent=1, default=list))
    info["cached"] = False
    data["info"] = info
    log(f"[data] generated {_size_line(data)} in {info['seconds']:.1f} s "
        f"({info['utterances']} espeak-ng utterances in {info['synth_seconds']:.1f} s); "
        f"cache {info['bytes'] / 1e6:.0f} MB")
    return data


def _size_line(data) -> str:
    parts = []
    for s in SPLITS:
        n = len(data[s]["labels"])
        nv = len(data["info"]["voices"][s])
        parts.append(f"{s} {n} clips / {nv} voices")
    return ", ".join(parts)

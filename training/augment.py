"""Waveform-domain acoustic augmentation, applied before the golden front-end (16 kHz).

Every transform is a pure function of its input and an ``np.random.Generator`` (or explicit
parameters): the same input, parameters and generator state give the same output.  Each accepts
int16 (full scale 32768) or float (full scale 1.0) audio and returns the same kind; int16 results
are rounded and saturated.  :func:`augment` draws a whole chain::

    rng = np.random.default_rng(seed)
    y = augment(x, rng, other_clips)        # int16 in, int16 out, same length as x

Chain (each step with its own probability, see ``DEFAULT``): speed (resampling: tempo and pitch
together) or tempo (phase vocoder, pitch kept) and/or pitch shift -> time shift -> room reverb
(image-source early reflections from pyroomacoustics when installed, plus a late exponential tail;
fallback without pyroomacoustics: a purely stochastic exponentially decaying tail) -> microphone
(MEMS-like high-pass 60-200 Hz, spectral tilt -3..+3 dB/octave) -> background noise (white, pink,
brown, mains hum 50/60 Hz with harmonics, babble of other clips) at 0-30 dB SNR -> channel
(telephone band 300-3400 Hz with an 8 kHz round trip, or just an 8 kHz round trip) -> level
(peak -35..0 dBFS) -> clipping (drive into a hard limit).

Room model: a shoebox room (small 3x3x2.5 m .. hall 30x20x10 m), RT60 0.15-1.5 s (drawn within
what the room size makes plausible), source-mic distance 0.3-5 m (capped by the room).  The
direct-to-reverberant ratio then follows from the geometry (image sources) or, in the fallback,
from the diffuse-field critical distance ``r_c = 0.057 sqrt(V / RT60)`` (m): reverberant energy
relative to direct = (r / r_c)^2 — the classic statistical room acoustics result.
"""
from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
from scipy import signal

from frontend.format import SAMPLE_RATE as SR  # noqa: E402  (the front-end's rate, one definition)
C_SOUND = 343.0

try:  # optional: image-source RIRs
    import pyroomacoustics as _pra
except Exception:  # noqa: BLE001 - any import failure means "use the fallback"
    _pra = None

DEFAULT = dict(
    p_speed=0.3, speed=(0.9, 1.1),
    p_tempo=0.2, tempo=(0.85, 1.15),
    p_pitch=0.2, semitones=(-2.0, 2.0),
    p_shift=0.8, shift_s=0.15,
    p_reverb=0.5, rt60=(0.15, 1.5), mic_dist=(0.3, 5.0),
    p_mic=0.6, hp_hz=(60.0, 200.0), tilt_db_oct=(-3.0, 3.0),
    p_noise=0.8, snr_db=(0.0, 30.0), babble_snr_db=(10.0, 30.0),
    noise_kinds=("white", "pink", "brown", "hum", "babble"),
    p_phone=0.1, p_8k=0.1,
    level_dbfs=(-35.0, 0.0),
    p_clip=0.05, clip_drive_db=(3.0, 12.0),
)


# ----------------------------------------------------------------------------------------------
# dtype handling

def _as_float(x):
    x = np.asarray(x)
    if x.dtype == np.int16:
        return x.astype(np.float64) / 32768.0, True
    return x.astype(np.float64), False


def _back(y, was_int):
    if was_int:
        return np.clip(np.round(y * 32768.0), -32768, 32767).astype(np.int16)
    return y


def _dtype_kept(fn):
    @functools.wraps(fn)
    def wrap(x, *a, **k):
        f, was_int = _as_float(x)
        return _back(fn(f, *a, **k), was_int)
    return wrap


def fit(x, n):
    """Center-crop or zero-pad to n samples."""
    if len(x) >= n:
        a = (len(x) - n) // 2
        return x[a:a + n]
    out = np.zeros(n, dtype=x.dtype)
    a = (n - len(x)) // 2
    out[a:a + len(x)] = x
    return out


def rms(x):
    f, _ = _as_float(x)
    return float(np.sqrt(np.mean(f ** 2))) if len(f) else 0.0


def db(v):
    return 20 * np.log10(max(v, 1e-12))


# ----------------------------------------------------------------------------------------------
# source: speed / tempo / pitch

@_dtype_kept
def speed(x, factor: float):
    """Play ``factor`` times faster (resampling): duration / factor, pitch and formants x factor."""
    if abs(factor - 1) < 1e-6:
        return x.copy()
    f = Fraction(1.0 / factor).limit_denominator(100)
    return signal.resample_poly(x, f.numerator, f.denominator)


@_dtype_kept
def tempo(x, factor: float):
    """Change duration by 1/factor keeping pitch (librosa phase vocoder)."""
    import librosa
    if abs(factor - 1) < 1e-6:
        return x.copy()
    return librosa.effects.time_stretch(x.astype(np.float32), rate=factor).astype(np.float64)


@_dtype_kept
def pitch_shift(x, semitones: float, sr: int = SR):
    """Shift pitch by ``semitones`` keeping duration (librosa)."""
    import librosa
    if abs(semitones) < 1e-6:
        return x.copy()
    return librosa.effects.pitch_shift(x.astype(np.float32), sr=sr, n_steps=semitones).astype(np.float64)


@_dtype_kept
def time_shift(x, samples: int):
    """Delay by ``samples`` (negative: advance), zero fill, same length (not circular)."""
    out = np.zeros_like(x)
    s = int(samples)
    if s >= 0:
        out[s:] = x[:len(x) - s] if s < len(x) else x[:0]
    else:
        out[:s] = x[-s:]
    return out


# ----------------------------------------------------------------------------------------------
# room

def draw_room(rng, rt60=None, mic_dist=None):
    """A plausible (dims, rt60, distance): small rooms to halls; larger rooms reverberate longer."""
    size = rng.uniform(0, 1)                                  # 0 small room .. 1 hall
    dims = np.array([3 + 27 * size ** 2, 3 + 17 * size ** 2, 2.5 + 7.5 * size ** 2])
    dims *= rng.uniform(0.85, 1.15, 3)
    if rt60 is None:
        lo, hi = DEFAULT["rt60"]
        rt60 = float(np.clip(rng.uniform(lo + 0.4 * size, min(hi, 0.45 + 1.2 * size)), lo, hi))
    if mic_dist is None:
        mic_dist = float(np.clip(rng.uniform(*DEFAULT["mic_dist"]), 0.3, 0.4 * dims[:2].min()))
    return dims, float(rt60), float(mic_dist)


def _late_tail(rng, n, rt60, sr, start):
    """Gaussian noise with an exponential envelope decaying 60 dB in rt60 (diffuse field)."""
    t = np.arange(n) / sr
    env = np.exp(-6.9078 * t / rt60)
    tail = rng.standard_normal(n) * env
    tail[:start] = 0
    return tail


def rir(rng, dims=None, rt60=None, mic_dist=None, sr=SR, use_pra=None):
    """Room impulse response (direct path at index ``delay``, peak 1).  Returns (h, info dict)."""
    if dims is None:
        dims, rt60, mic_dist = draw_room(rng, rt60, mic_dist)
    use_pra = (_pra is not None) if use_pra is None else use_pra
    n = int(min(rt60, 1.5) * sr) + sr // 20
    V = float(np.prod(dims))
    rc = 0.057 * np.sqrt(V / rt60)                # critical distance (m)
    info = dict(dims=[round(float(d), 2) for d in dims], rt60=rt60, mic_dist=mic_dist,
                crit_dist=round(float(rc), 2), method="pyroomacoustics" if use_pra else "exponential")
    if use_pra:
        src = np.array([dims[0] * rng.uniform(0.3, 0.7), dims[1] * rng.uniform(0.3, 0.7),
                        rng.uniform(1.2, min(1.8, dims[2] - 0.3))])
        ang = rng.uniform(0, 2 * np.pi)
        mic = src + mic_dist * np.array([np.cos(ang), np.sin(ang), 0.0])
        mic[:2] = np.clip(mic[:2], 0.2, dims[:2] - 0.2)
        mic[2] = np.clip(rng.uniform(0.8, 1.5), 0.2, dims[2] - 0.2)
        e_abs, _ = _pra.inverse_sabine(rt60, dims)
        e_abs = float(np.clip(e_abs, 0.01, 0.99))
        room = _pra.ShoeBox(dims, fs=sr, materials=_pra.Material(e_abs), max_order=6,
                            use_rand_ism=False, air_absorption=False)
        room.add_source(src)
        room.add_microphone(mic)
        room.compute_rir()
        early = np.asarray(room.rir[0][0], dtype=np.float64)
        d = float(np.linalg.norm(mic - src))
        delay = int(round(d / C_SOUND * sr)) + 40        # pra's fractional-delay filter offset
        # late reverb beyond the 6th order: exponential tail starting ~ 50 ms after the direct sound,
        # level matched so that the early part's decay continues
        h = np.zeros(max(n, len(early)))
        h[:len(early)] = early
        start = min(len(h) - 1, delay + sr // 20)
        tail = _late_tail(rng, len(h), rt60, sr, start)
        seg = early[start - sr // 100:start] if start < len(early) else early[-sr // 100:]
        ref = np.sqrt(np.mean(seg ** 2)) if len(seg) else 0.0
        t_ref = np.exp(-6.9078 * (start / sr) / rt60)
        tail *= (ref / max(t_ref, 1e-9))
        h = h + tail
        h = h[:n] if len(h) > n else h
    else:
        delay = int(round(mic_dist / C_SOUND * sr))
        h = _late_tail(rng, n, rt60, sr, delay + 1)
        # diffuse energy relative to the direct sound = (r / r_c)^2
        h *= np.sqrt((mic_dist / rc) ** 2 / max(np.sum(h ** 2), 1e-12))
        h[delay] = 1.0
    info["delay"] = int(delay)
    peak = np.max(np.abs(h))
    return h / max(peak, 1e-12), info


@_dtype_kept
def reverb(x, h, delay: int = 0):
    """Convolve with an RIR, advanced by ``delay`` (keeps the speech where it was), same length,
    RMS restored to the dry input's."""
    y = signal.fftconvolve(x, h)[delay:delay + len(x)]
    if len(y) < len(x):
        y = np.pad(y, (0, len(x) - len(y)))
    r0, r1 = np.sqrt(np.mean(x ** 2)), np.sqrt(np.mean(y ** 2))
    return y * (r0 / r1 if r1 > 0 else 0.0)


# ----------------------------------------------------------------------------------------------
# microphone / channel

@_dtype_kept
def highpass(x, fc: float, order: int = 2, sr: int = SR):
    """MEMS-microphone-like high-pass (vent / port roll-off): causal Butterworth."""
    sos = signal.butter(order, fc, "highpass", fs=sr, output="sos")
    return signal.sosfilt(sos, x)


@_dtype_kept
def tilt(x, db_per_octave: float, sr: int = SR, ref_hz: float = 1000.0):
    """Spectral tilt: gain ``db_per_octave * log2(f / 1 kHz)`` (f clamped to 100 Hz .. Nyquist)."""
    n = len(x)
    X = np.fft.rfft(x)
    f = np.clip(np.fft.rfftfreq(n, 1 / sr), 100.0, sr / 2)
    X *= 10 ** (db_per_octave * np.log2(f / ref_hz) / 20)
    return np.fft.irfft(X, n)


@_dtype_kept
def resample_roundtrip(x, mid_sr: int = 8000, sr: int = SR):
    """Down to ``mid_sr`` and back (anti-alias filters of resample_poly): removes > mid_sr/2."""
    f = Fraction(mid_sr, sr)
    y = signal.resample_poly(x, f.numerator, f.denominator)
    return signal.resample_poly(y, f.denominator, f.numerator)[:len(x)]


@_dtype_kept
def telephone(x, lo: float = 300.0, hi: float = 3400.0, sr: int = SR):
    """Telephone band: 8 kHz round trip and a 4th-order 300-3400 Hz band-pass."""
    y = resample_roundtrip(x, 8000, sr)
    sos = signal.butter(4, [lo, hi], "bandpass", fs=sr, output="sos")
    return signal.sosfiltfilt(sos, y)


# ----------------------------------------------------------------------------------------------
# noise

def colored_noise(kind: str, n: int, rng, sr: int = SR):
    """Unit-RMS float noise: white, pink (1/f power), brown (1/f^2 power)."""
    w = rng.standard_normal(n)
    if kind != "white":
        X = np.fft.rfft(w)
        f = np.fft.rfftfreq(n, 1 / sr)
        f[0] = f[1] if n > 1 else 1.0
        X *= f ** (-0.5 if kind == "pink" else -1.0)
        X[0] = 0
        w = np.fft.irfft(X, n)
    return w / max(np.sqrt(np.mean(w ** 2)), 1e-12)


def hum(n: int, rng, mains: float | None = None, sr: int = SR):
    """Mains hum: 50 or 60 Hz with 2-8 harmonics of random level (odd ones stronger), slight drift."""
    mains = mains or float(rng.choice([50.0, 60.0]))
    t = np.arange(n) / sr
    f0 = mains * (1 + rng.uniform(-0.002, 0.002))
    y = np.zeros(n)
    for k in range(1, int(rng.integers(2, 9)) + 1):
        amp = (1.0 if k == 1 else rng.uniform(0.05, 0.6) * (1.0 if k % 2 else 0.4))
        y += amp * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    y += 0.01 * rng.standard_normal(n)
    return y / max(np.sqrt(np.mean(y ** 2)), 1e-12)


def babble(n: int, rng, other_clips, talkers=None):
    """Sum of 2-6 other clips (words / sentences of other speakers) at random places and levels."""
    if other_clips is None or len(other_clips) == 0:
        return colored_noise("pink", n, rng)
    y = np.zeros(n)
    for _ in range(talkers or int(rng.integers(2, 7))):
        c, _ = _as_float(other_clips[int(rng.integers(len(other_clips)))])
        c = c / max(np.sqrt(np.mean(c ** 2)), 1e-12) * 10 ** (rng.uniform(-6, 0) / 20)
        if len(c) >= n:
            a = int(rng.integers(0, len(c) - n + 1))
            y += c[a:a + n]
        else:
            a = int(rng.integers(0, n - len(c) + 1))
            y[a:a + len(c)] += c
    return y / max(np.sqrt(np.mean(y ** 2)), 1e-12)


def make_noise(kind: str, n: int, rng, other_clips=None):
    if kind in ("white", "pink", "brown"):
        return colored_noise(kind, n, rng)
    if kind == "hum":
        return hum(n, rng)
    if kind == "babble":
        return babble(n, rng, other_clips)
    raise ValueError(f"unknown noise kind '{kind}'")


@_dtype_kept
def add_noise(x, noise, snr_db: float):
    """x + noise scaled so that 10 log10(P_x / P_noise) = snr_db (powers over the whole clip)."""
    nz, _ = _as_float(noise)
    nz = fit(nz, len(x))
    px, pn = np.mean(x ** 2), np.mean(nz ** 2)
    if px <= 0 or pn <= 0:
        return x.copy()
    return x + nz * np.sqrt(px / pn / 10 ** (snr_db / 10))


# ----------------------------------------------------------------------------------------------
# level / clipping

@_dtype_kept
def level(x, dbfs: float, mode: str = "peak"):
    """Scale so the peak (or RMS, ``mode="rms"``) is ``dbfs`` dB re full scale."""
    ref = np.max(np.abs(x)) if mode == "peak" else np.sqrt(np.mean(x ** 2))
    if ref <= 0:
        return x.copy()
    g = 10 ** (dbfs / 20) / ref
    if mode == "peak":
        g = min(g, (32767 / 32768) / ref)   # 0 dBFS peak stays representable in int16
    return x * g


@_dtype_kept
def clip(x, limit: float):
    """Hard clip at +-limit (fraction of full scale)."""
    return np.clip(x, -limit, limit)


@_dtype_kept
def drive_clip(x, drive_db: float):
    """Overdrive: gain ``drive_db`` then hard clip at the input's peak (keeps the level, flattens)."""
    p = np.max(np.abs(x))
    return np.clip(x * 10 ** (drive_db / 20), -p, p) if p > 0 else x.copy()


# ----------------------------------------------------------------------------------------------
# the chain

def augment(x, rng, other_clips=(), cfg=None, return_info=False):
    """Draw and apply one augmentation chain.  int16 (or float) in, same dtype and length out."""
    c = dict(DEFAULT, **(cfg or {}))
    y, was_int = _as_float(x)
    n = len(y)
    info = {}
    if rng.random() < c["p_speed"]:
        info["speed"] = f = float(rng.uniform(*c["speed"]))
        y = fit(speed(y, f), n)
    elif rng.random() < c["p_tempo"]:
        info["tempo"] = f = float(rng.uniform(*c["tempo"]))
        y = fit(tempo(y, f), n)
    if rng.random() < c["p_pitch"]:
        info["semitones"] = s = float(rng.uniform(*c["semitones"]))
        y = pitch_shift(y, s)
    if rng.random() < c["p_shift"]:
        info["shift"] = s = int(rng.integers(-int(c["shift_s"] * SR), int(c["shift_s"] * SR) + 1))
        y = time_shift(y, s)
    if rng.random() < c["p_reverb"]:
        dims, rt60, dist = draw_room(rng)
        rt60 = float(np.clip(rt60, *c["rt60"]))
        dist = float(np.clip(dist, *c["mic_dist"]))
        h, rinfo = rir(rng, dims, rt60, dist)
        info["room"] = rinfo
        y = reverb(y, h, rinfo["delay"])
    if rng.random() < c["p_mic"]:
        info["hp_hz"] = fc = float(rng.uniform(*c["hp_hz"]))
        info["tilt"] = t = float(rng.uniform(*c["tilt_db_oct"]))
        y = tilt(highpass(y, fc), t)
    if rng.random() < c["p_noise"]:
        kind = str(rng.choice(list(c["noise_kinds"])))
        snr = float(rng.uniform(*(c["babble_snr_db"] if kind == "babble" else c["snr_db"])))
        info["noise"], info["snr_db"] = kind, snr
        y = add_noise(y, make_noise(kind, n, rng, other_clips), snr)
    u = rng.random()
    if u < c["p_phone"]:
        info["channel"] = "telephone"
        y = telephone(y)
    elif u < c["p_phone"] + c["p_8k"]:
        info["channel"] = "8k"
        y = resample_roundtrip(y, 8000)
    info["level_dbfs"] = lv = float(rng.uniform(*c["level_dbfs"]))
    y = level(y, lv)
    if rng.random() < c["p_clip"]:
        info["clip_drive_db"] = d = float(rng.uniform(*c["clip_drive_db"]))
        y = drive_clip(y, d)
    out = _back(y, was_int)
    return (out, info) if return_info else out

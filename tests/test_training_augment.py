"""training.augment: each transform's acoustic property, dtype / length contract, determinism."""
import numpy as np
import pytest

from training import augment as A

SR = 16000


def tone(f, amp=0.3, n=SR):
    return (amp * np.sin(2 * np.pi * f * np.arange(n) / SR) * 32767).astype(np.int16)


def speechlike(rng, n=SR):
    """A word-like burst: harmonic buzz with a syllable envelope in the middle of the window."""
    t = np.arange(n) / SR
    f0 = rng.uniform(90, 220)
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 20))
    env = np.exp(-((t - 0.5) / 0.12) ** 2)
    return (0.2 * x * env / np.max(np.abs(x * env)) * 32767).astype(np.int16)


def power_db(x):
    x = np.asarray(x, dtype=np.float64)
    return 10 * np.log10(np.mean(x ** 2) + 1e-20)


@pytest.mark.parametrize("kind", ["white", "pink", "brown", "hum", "babble"])
def test_snr_achieved(kind, seed):
    rng = np.random.default_rng(seed)
    others = [speechlike(rng, int(rng.integers(6000, 20000))) for _ in range(5)]
    for _ in range(5):
        x = speechlike(rng)
        snr = float(rng.uniform(0, 30))
        y = A.add_noise(x, A.make_noise(kind, len(x), rng, others), snr)
        assert y.dtype == np.int16 and len(y) == len(x)
        got = power_db(x) - power_db(y.astype(np.float64) - x)
        assert abs(got - snr) < 0.5, (kind, snr, got)


def test_noise_colors(seed):
    rng = np.random.default_rng(seed)
    n = 1 << 15
    f = np.fft.rfftfreq(n, 1 / SR)
    slopes = {}
    for kind in ("white", "pink", "brown"):
        P = np.abs(np.fft.rfft(A.colored_noise(kind, n, rng))) ** 2
        lo = P[(f > 200) & (f < 400)].mean()
        hi = P[(f > 3200) & (f < 6400)].mean()
        slopes[kind] = 10 * np.log10(hi / lo) / 4          # dB per octave (4 octaves apart)
    assert abs(slopes["white"]) < 1 and abs(slopes["pink"] + 3) < 1 and abs(slopes["brown"] + 6) < 1
    h = A.hum(SR, rng, mains=50.0)
    P = np.abs(np.fft.rfft(h)) ** 2
    assert np.argmax(P) in (49, 50, 51)


@pytest.mark.parametrize("mode,tol", [("peak", 0.05), ("rms", 0.1)])
def test_level(mode, tol, seed):
    rng = np.random.default_rng(seed)
    for _ in range(10):
        x = speechlike(rng)
        target = float(rng.uniform(-35, 0 if mode == "peak" else -12))
        y = A.level(x, target, mode=mode).astype(np.float64) / 32768
        got = 20 * np.log10(np.max(np.abs(y)) if mode == "peak" else np.sqrt(np.mean(y ** 2)))
        assert abs(got - target) < tol, (target, got)


@pytest.mark.parametrize("fn", [A.telephone, lambda x: A.resample_roundtrip(x, 8000)])
def test_band_limit(fn):
    for f, lo, hi in ((6000, None, -20.0), (1000, -1.0, 0.5)):
        x = tone(f)
        g = power_db(fn(x)[2000:-2000]) - power_db(x[2000:-2000])
        assert g < hi and (lo is None or g > lo), (f, g)
    # telephone also cuts the bottom: 100 Hz
    x = tone(100)
    assert power_db(A.telephone(x)[4000:-4000]) - power_db(x[4000:-4000]) < -10


def test_mic_highpass_and_tilt():
    x = tone(30)
    assert power_db(A.highpass(x, 150)[8000:]) - power_db(x[8000:]) < -20
    x = tone(2000)
    assert power_db(A.tilt(x, 3.0)) - power_db(x) == pytest.approx(3.0, abs=0.2)
    x = tone(1000)
    assert power_db(A.tilt(x, 3.0)) - power_db(x) == pytest.approx(0.0, abs=0.2)


def test_clipping_bound(seed):
    rng = np.random.default_rng(seed)
    x = speechlike(rng)
    for lim in (0.05, 0.1, 0.5):
        y = A.clip(x, lim)
        assert y.dtype == np.int16 and np.max(np.abs(y.astype(np.int32))) <= round(lim * 32768)
    y = A.drive_clip(x, 9.0)
    assert np.max(np.abs(y)) <= np.max(np.abs(x))
    assert np.mean(np.abs(y) >= np.max(np.abs(x)) - 1) > 0.01    # flattened tops


def test_speed_and_shift():
    x = tone(440)
    y = A.speed(x, 1.25)
    assert abs(len(y) - SR / 1.25) < 5
    z = A.time_shift(x, 100)
    assert len(z) == SR and np.all(z[:100] == 0) and np.array_equal(z[100:], x[:-100])
    z = A.time_shift(x, -100)
    assert np.all(z[-100:] == 0) and np.array_equal(z[:-100], x[100:])


@pytest.mark.parametrize("use_pra", [False, True])
def test_rir(use_pra, seed):
    if use_pra and A._pra is None:
        pytest.skip("pyroomacoustics not installed: the exponential fallback is tested instead")
    rng = np.random.default_rng(seed)
    dims, rt60, dist = np.array([6.0, 5.0, 3.0]), 0.6, 2.0
    h, info = A.rir(rng, dims, rt60, dist, use_pra=use_pra)
    assert np.max(np.abs(h)) == pytest.approx(1.0)
    d = info["delay"]
    assert abs(np.argmax(np.abs(h)) - d) <= 3
    # energy decays ~60 dB per rt60: compare 50-150 ms to 350-450 ms after the direct sound
    e = lambda a, b: np.sum(h[d + int(a * SR):d + int(b * SR)] ** 2)
    decay = 10 * np.log10(e(0.05, 0.15) / e(0.35, 0.45))
    assert decay == pytest.approx(60 * 0.3 / rt60, abs=8)
    x = speechlike(rng)
    y = A.reverb(x, h, d)
    assert y.dtype == np.int16 and len(y) == len(x)
    assert abs(power_db(y) - power_db(x)) < 0.1


def test_augment_contract_and_determinism(seed):
    rng = np.random.default_rng(seed)
    x = speechlike(rng)
    others = [speechlike(rng) for _ in range(3)]
    cfg = dict(p_tempo=0, p_pitch=0)      # (librosa's first call JIT-compiles; tested below)
    outs = []
    for i in range(25):
        y, info = A.augment(x, np.random.default_rng([seed, i]), others, cfg=cfg, return_info=True)
        assert y.dtype == np.int16 and len(y) == len(x)
        assert 20 * np.log10(np.max(np.abs(y)) / 32768 + 1e-12) <= 0.01
        y2 = A.augment(x, np.random.default_rng([seed, i]), others, cfg=cfg)
        assert np.array_equal(y, y2), info
        outs.append(y)
    assert len({o.tobytes() for o in outs}) == len(outs)
    f = A.augment(x.astype(np.float64) / 32768, np.random.default_rng(seed), others, cfg=cfg)
    assert f.dtype == np.float64 and len(f) == len(x)


def test_tempo_and_pitch_shift():
    x = tone(440)
    y = A.tempo(x, 1.25)
    assert abs(len(y) - SR / 1.25) < 200
    z = A.pitch_shift(x, 12.0)
    P = np.abs(np.fft.rfft(z.astype(np.float64)))
    assert abs(np.argmax(P) - 880) < 10 and len(z) == len(x)

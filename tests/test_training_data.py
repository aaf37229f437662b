"""Data pieces of training/: synthetic set (determinism, held-out voices), Speech Commands loader
(MLPerf label mapping, split lists, silence), calibration set spanning the front-end's int8 range."""
import shutil
from dataclasses import replace

import numpy as np
import pytest

from training import synth
from training.labels import KEYWORDS, LABELS, SILENCE_INDEX, UNKNOWN_INDEX, TrainingError

espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
TINY = synth.SynthConfig(seed=7, train_per_class=4, val_per_class=2, test_per_class=2, train_copies=2,
                         max_families=9)


def test_labels_are_mlperf_order():
    assert LABELS == ("_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off",
                      "stop", "go")
    assert len(synth.UNKNOWN_WORDS) >= 20 and not set(synth.UNKNOWN_WORDS) & set(KEYWORDS)


def test_variant_families_split_disjoint():
    variants = ["f1", "f2", "f3", "m1", "m2", "klatt", "klatt2", "iven", "iven3", "whisper", "whisperf",
                "anika", "anikaRobot", "adam", "Alex", "Storm", "zac", "linda"]
    for seed in range(5):
        sp = synth.split_families(variants, (0.7, 0.15, 0.15), seed)
        assert sorted(sum(sp.values(), [])) == sorted(variants)
        fams = {s: {synth.variant_family(v) for v in vs} for s, vs in sp.items()}
        assert not fams["train"] & fams["test"] and not fams["train"] & fams["val"]
        assert not fams["val"] & fams["test"]
        assert all(sp.values())


def test_colored_noise_slopes(seed):
    rng = np.random.default_rng(seed)
    for kind, slope in (("white", 0.0), ("pink", -1.0), ("brown", -2.0)):
        x = np.concatenate([synth.colored_noise(rng, kind) for _ in range(8)])
        assert abs(np.sqrt(np.mean(x ** 2)) - 1) < 1e-3
        spec = np.abs(np.fft.rfft(x.reshape(8, -1), axis=1)) ** 2
        f = np.arange(spec.shape[1])
        band = (f > 100) & (f < 6000)
        fit = np.polyfit(np.log(f[band]), np.log(spec.mean(0)[band]), 1)[0]
        assert abs(fit - slope) < 0.25, (kind, fit)


@espeak
def test_synthetic_set_deterministic_and_worker_independent():
    a = synth.generate(TINY, quiet=True, workers=1)
    b = synth.generate(TINY, quiet=True, workers=2)
    c = synth.generate(replace(TINY, seed=8), quiet=True, workers=2)
    for s in synth.SPLITS:
        assert a[s]["audio"].dtype == np.int16 and a[s]["audio"].shape[1] == 16000
        assert np.array_equal(a[s]["audio"], b[s]["audio"])
        assert np.array_equal(a[s]["labels"], b[s]["labels"])
    assert not np.array_equal(a["train"]["audio"], c["train"]["audio"])
    # every label present, the requested number of clips each
    assert np.array_equal(np.bincount(a["train"]["labels"], minlength=12), np.full(12, 4))
    assert np.array_equal(np.bincount(a["test"]["labels"], minlength=12), np.full(12, 2))
    # held-out voices
    spk = {s: set(a[s]["speakers"].tolist()) - {""} for s in synth.SPLITS}
    assert spk["test"] and not spk["train"] & spk["test"] and not spk["train"] & spk["val"]
    # silence is noise only and quiet; speech clips are not silent
    sil = a["train"]["audio"][a["train"]["labels"] == SILENCE_INDEX].astype(np.float64)
    speech = a["train"]["audio"][a["train"]["labels"] != SILENCE_INDEX].astype(np.float64)
    assert np.sqrt(np.mean(sil ** 2)) < 0.05 * 32768
    assert np.all(np.abs(speech).max(axis=1) > 100)


@espeak
def test_cache_roundtrip(tmp_path):
    logs = []
    d1 = synth.load_or_generate(TINY, tmp_path, quiet=True, log=logs.append)
    d2 = synth.load_or_generate(TINY, tmp_path, quiet=True, log=logs.append)
    assert "generated" in logs[-2] and "from cache" in logs[-1]
    assert "clips" in logs[-2] and " s" in logs[-2]
    for s in synth.SPLITS:
        assert np.array_equal(d1[s]["audio"], d2[s]["audio"])
        assert d1[s]["meta"] == d2[s]["meta"]


def test_speech_commands_loader(tmp_path, seed):
    from tests.test_training_errors import fake_speech_commands
    from training import speech_commands
    root = fake_speech_commands(tmp_path / "sc", np.random.default_rng(seed))
    d = speech_commands.load(root, seed=1, unknown_percent=10, silence_percent=10,
                             cache_dir=tmp_path / "cache", quiet=True, log=lambda *_: None)
    # 12 words x 6 clips: k=4 -> validation, k=5 -> test, the rest train
    n_kw = {"train": 40, "val": 10, "test": 10}
    for s, n in n_kw.items():
        y = d[s]["labels"]
        assert np.sum((y >= 2)) == n
        assert np.sum(y == UNKNOWN_INDEX) == min(round(n * 0.1), 8 if s == "train" else 2)
        assert np.sum(y == SILENCE_INDEX) == round(n * 0.1)
        assert d[s]["audio"].shape[1:] == (16000,)
    words = d["test"]["words"][d["test"]["labels"] >= 2]
    labels = d["test"]["labels"][d["test"]["labels"] >= 2]
    assert all(LABELS[k] == w for k, w in zip(labels, words))
    assert set(d["train"]["words"][d["train"]["labels"] == UNKNOWN_INDEX]) <= {"bed", "cat"}
    # the test split's keyword clips are the files themselves (no augmentation outside training)
    from training.speech_commands import read_clip
    i = int(np.nonzero(d["test"]["words"] == "yes")[0][0])
    ref = read_clip(root / "yes" / "00000005_nohash_0.wav")
    assert np.array_equal(d["test"]["audio"][i][:len(ref)], ref)
    # cached
    d2 = speech_commands.load(root, seed=1, cache_dir=tmp_path / "cache", quiet=True, log=lambda *_: None)
    assert d2["info"]["cached"] and np.array_equal(d2["train"]["audio"], d["train"]["audio"])


def test_speech_commands_layout_error(tmp_path):
    from training import speech_commands
    (tmp_path / "yes").mkdir()
    with pytest.raises(TrainingError, match="missing validation_list.txt, testing_list.txt, no/"):
        speech_commands.check_layout(tmp_path)


def test_representative_set_spans_frontend_range(seed):
    from training.train import representative_set
    rng = np.random.default_rng(seed)
    scale, zp = 0.37628749, 32
    q = rng.integers(-100, 90, (60, 49, 40)).astype(np.int8)
    x = ((q.astype(np.float32) - zp) * np.float32(scale))[..., None]
    y = np.repeat(np.arange(12), 5)
    rep = representative_set(x, y, 24, seed, scale, zp)
    assert rep.shape == (25, 49, 40, 1)
    assert rep.max() == np.float32((127 - zp) * scale) and rep.min() == np.float32((-128 - zp) * scale)
    assert np.all(np.isin(rep[:-1], x))

"""Data pieces of training/: synthetic set (determinism, held-out voices), Speech Commands loader
(MLPerf label mapping, split lists, silence), calibration set spanning the front-end's int8 range."""
import shutil
from dataclasses import replace

import numpy as np
import pytest

from training import synth
from training.labels import KEYWORDS, LABELS, SILENCE_INDEX, UNKNOWN_INDEX, TrainingError

espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
TINY = synth.SynthConfig(seed=7, engines=("espeak", "flite"), held_out_engines=("flite",),
                         takes=(("espeak", 3, 1, 1), ("flite", 0, 0, 1)), copies=(("espeak", 2),))


def test_labels_are_mlperf_order():
    assert LABELS == ("_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off",
                      "stop", "go")


def test_unknown_words():
    words = synth.UNKNOWN_WORDS
    assert len(words) >= 100 and len(set(words)) == len(words)
    for w in ("yet", "know", "cup", "town", "lift", "write", "in", "of", "top", "goat"):
        assert w in words
    # no keyword, and no phrase that contains a keyword (its label would be wrong)
    assert not {t for w in words for t in w.split()} & set(KEYWORDS)


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
def test_plan_deterministic_and_split_by_voice_and_engine():
    cfg = synth.SynthConfig(seed=3)
    usable, _ = synth.check_engines(cfg)
    t1, v1 = synth.plan(cfg, usable)
    t2, v2 = synth.plan(cfg, usable)
    assert t1 == t2 and v1 == v2
    t3, _ = synth.plan(replace(cfg, seed=4), usable)
    assert t3["train"] != t1["train"]
    # the held-out engine only in test_engine, never in train / val / test
    for s in ("train", "val", "test"):
        assert "piper" not in v1[s] and all(t.engine != "piper" for t in t1[s])
    if "piper" in usable:
        assert set(v1["test_engine"]) == {"piper"}
    # by voice inside each engine: no voice of train in val or test (kokoro blends included)
    for s in ("val", "test"):
        for t in t1[s]:
            parts = {p.split(":")[0] for p in t.voice.split("+")} if t.engine == "kokoro" else {t.voice}
            assert not parts & set(v1["train"].get(t.engine, [])), (s, t)
    if "kokoro" in usable:
        assert len(v1["test"]["kokoro"]) >= 6
    for s in synth.SPLITS:
        n_unk = cfg.train_unknown_per_take if s == "train" else cfg.unknown_per_take
        for t in t1[s]:
            assert [synth.word_label(w)[0] for w in t.words[:10]] == list(KEYWORDS)
            assert len(t.words) == 10 + n_unk and len(set(t.words[10:])) == n_unk
            assert all(synth.word_label(w)[1] == UNKNOWN_INDEX for w in t.words[10:])
    assert cfg.train_unknown_per_take > cfg.unknown_per_take


def test_unknown_engine_and_bad_held_out_are_errors():
    with pytest.raises(TrainingError, match="unknown engine 'nope'"):
        synth.check_engines(synth.SynthConfig(engines=("espeak", "nope")))
    with pytest.raises(TrainingError, match="held-out engine 'kokoro' is not in the engine list"):
        synth.check_engines(synth.SynthConfig(engines=("espeak",), held_out_engines=("kokoro",)))


@espeak
@flite
def test_synthetic_set_deterministic_and_worker_independent(tmp_path):
    logs = []
    a = synth.generate(TINY, quiet=True, workers=1, clip_cache=tmp_path / "clips", log=logs.append)
    b = synth.generate(TINY, quiet=True, workers=2, clip_cache=tmp_path / "clips", log=logs.append)
    c = synth.generate(replace(TINY, seed=8), quiet=True, workers=2, clip_cache=tmp_path / "clips")
    for s in synth.SPLITS + synth.CLEAN_SPLITS:
        assert a[s]["audio"].dtype == np.int16 and a[s]["audio"].shape[1] == 16000
        assert np.array_equal(a[s]["audio"], b[s]["audio"]), s
        assert np.array_equal(a[s]["labels"], b[s]["labels"])
    assert not np.array_equal(a["train"]["audio"][:20], c["train"]["audio"][:20])
    # every label present; training keywords: 3 takes x 2 copies
    n = np.bincount(a["train"]["labels"], minlength=12)
    # _unknown_: 6 isolated-word clips + round(sentence_unknown_fraction x 6) windows of training
    # voices' sentences
    n_win = int(round(TINY.sentence_unknown_fraction * 6))
    assert n_win >= 3
    assert np.all(n[2:] == 6) and n[UNKNOWN_INDEX] == 6 + n_win and n[SILENCE_INDEX] == 6
    sent = [i for i, w in enumerate(a["train"]["words"].tolist()) if len(w.split()) >= 4]   # "thank you" is a word
    assert len(sent) == n_win and a["info"]["train_sentence_windows"] == n_win
    assert all(a["train"]["labels"][i] == UNKNOWN_INDEX for i in sent)
    assert not any(set(a["train"]["words"][i].lower().split()) & set(KEYWORDS) for i in sent)
    train_voices = set(a["train"]["speakers"][[i for i in range(len(a["train"]["words"])) if i not in sent]].tolist())
    assert {a["train"]["speakers"][i] for i in sent} <= train_voices | {
        f"{e}:{v}" for e, vs in a["info"]["voices"]["train"].items() for v in vs}
    assert not any(len(w.split()) >= 4 for s in synth.SPLITS[1:] for w in a[s]["words"].tolist())   # val/test: words only
    assert np.all(np.bincount(a["test"]["labels"], minlength=12)[2:] == 1)
    # held-out voices; the held-out engine only in test_engine
    spk = {s: set(a[s]["speakers"].tolist()) - {""} for s in synth.SPLITS}
    assert spk["test"] and not spk["train"] & spk["test"] and not spk["train"] & spk["val"]
    assert set(a["test_engine"]["engines"].tolist()) - {""} == {"flite"}
    assert set(a["train"]["engines"].tolist()) - {""} == {"espeak"}
    assert all(sp.startswith("espeak:") for sp in spk["train"])
    # silence is noise only and quiet; speech clips are not silent
    sil = a["train"]["audio"][a["train"]["labels"] == SILENCE_INDEX].astype(np.float64)
    speech = a["train"]["audio"][a["train"]["labels"] != SILENCE_INDEX].astype(np.float64)
    assert np.sqrt(np.mean(sil ** 2)) < 0.05 * 32768
    assert np.all(np.abs(speech).max(axis=1) > 30)
    # augmentation metadata is recorded; training clips span the wider training level range, the
    # evaluation clips augment.DEFAULT's
    assert any("snr_db" in m for m in a["train"]["meta"])
    from training import augment
    for s, (lo, hi) in (("train", TINY.train_level_dbfs), ("val", augment.DEFAULT["level_dbfs"]),
                        ("test", augment.DEFAULT["level_dbfs"])):
        lv = [m["level_dbfs"] for m, y in zip(a[s]["meta"], a[s]["labels"]) if y != SILENCE_INDEX]
        assert lv and all(lo <= v <= hi for v in lv), (s, lo, hi, lv)
    assert TINY.train_level_dbfs[0] < augment.DEFAULT["level_dbfs"][0]


@espeak
@flite
def test_cache_roundtrip(tmp_path):
    logs = []
    d1 = synth.load_or_generate(TINY, tmp_path, quiet=True, log=logs.append)
    d2 = synth.load_or_generate(TINY, tmp_path, quiet=True, log=logs.append)
    assert "generated" in logs[-2] and "from cache" in logs[-1]
    assert "clips" in logs[-2] and " s" in logs[-2]
    for s in synth.SPLITS + synth.CLEAN_SPLITS:
        assert np.array_equal(d1[s]["audio"], d2[s]["audio"])
        assert np.array_equal(d1[s]["engines"], d2[s]["engines"])
        assert d1[s]["meta"] == d2[s]["meta"]


@espeak
def test_missing_optional_engine_is_a_note(monkeypatch):
    monkeypatch.setenv("KWS_FLITE", "/nonexistent/flite")
    from training import engines as E
    from training.engines.flite import FliteEngine
    monkeypatch.setitem(E.ENGINES, "flite", FliteEngine())
    usable, notes = synth.check_engines(synth.SynthConfig(engines=("espeak", "flite"), held_out_engines=()))
    assert "flite" not in usable and len(notes) == 1 and notes[0].startswith("flite:")


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
    from training.fit import representative_set
    rng = np.random.default_rng(seed)
    scale, zp = 0.37628749, 32
    q = rng.integers(-100, 90, (60, 49, 40)).astype(np.int8)
    x = ((q.astype(np.float32) - zp) * np.float32(scale))[..., None]
    y = np.repeat(np.arange(12), 5)
    rep = representative_set(x, y, 24, seed, scale, zp)
    assert rep.shape == (25, 49, 40, 1)
    assert rep.max() == np.float32((127 - zp) * scale) and rep.min() == np.float32((-128 - zp) * scale)
    assert np.all(np.isin(rep[:-1], x))

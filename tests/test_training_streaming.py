"""training/streaming.py: a tiny stream end to end (deterministic), and FA / FRR counting on a hand-built case."""
import json

import numpy as np
import pytest

from tests.conftest import ROOT

TINY = dict(hours=30 / 3600, seed=5, engines=("espeak", "flite"), kw_gap_s=(2.0, 4.0))


@pytest.fixture()
def S(monkeypatch, tmp_path):
    from training import engines
    from training import streaming
    if not engines.get("espeak").available()[0]:
        pytest.fail("espeak-ng is not installed: run scripts/setup.sh")
    from training import stream_gen
    monkeypatch.setattr(streaming, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(stream_gen, "CACHE", tmp_path / "cache")   # generate() lives there
    return streaming


def test_tiny_stream_is_deterministic_and_cached(S):
    cfg = S.StreamConfig(**TINY)
    a = S.generate(cfg, cache=False, progress=False)
    b = S.generate(cfg, cache=True, progress=False)
    c = S.generate(cfg, cache=True, progress=False)              # from .cache/streaming/<key>.npz
    assert (S.CACHE / f"{b.key}.npz").exists() and a.key == b.key == c.key
    assert a.samples.dtype == np.int16 and len(a.samples) == 30 * 16000
    for s in (b, c):
        assert np.array_equal(a.samples, s.samples) and a.truth == s.truth and a.timeline == s.timeline
    assert len(a.truth) >= 3 and a.events["keyword"] == len(a.truth)
    held = S.held_out_voices(TINY["engines"])
    for k in a.truth:
        assert k["label"] in S.KEYWORDS and 0 < k["start"] < k["end"] <= 30
        assert k["voice"] in held[k["engine"]]                  # held-out voices only
    other = S.generate(S.StreamConfig(**dict(TINY, seed=6)), cache=False, progress=False)
    assert not np.array_equal(other.samples, a.samples)
    assert not any(w.lower() in S.KEYWORDS for w in S.sentence_words())


def test_validation_stream_uses_validation_voices_only(S):
    from training import synth
    from training.engines import corpus
    splits = corpus.make_splits(synth.SynthConfig().seed, TINY["engines"], synth.SynthConfig().held_out_engines)
    val = S.held_out_voices(TINY["engines"], "val")
    test = S.held_out_voices(TINY["engines"])
    assert val and all(set(vs) == set(splits["val"][e]) for e, vs in val.items())
    for e, vs in val.items():
        assert not set(vs) & set(splits["train"].get(e, [])) and not set(vs) & set(test.get(e, []))
    a = S.generate(S.StreamConfig(**dict(TINY, voices="val")), cache=False, progress=False)
    assert a.truth and all(k["voice"] in val[k["engine"]] for k in a.truth)
    assert a.key != S.generate(S.StreamConfig(**TINY), cache=False, progress=False).key


def test_tiny_stream_end_to_end(S, tmp_path):
    cfg = S.StreamConfig(**TINY)
    rep = S.evaluate(ROOT / "models" / "dscnn_int8.tflite", cfg, tmp_path / "out", [0.5, 0.7, 0.9], jobs=1,
                     progress=False, log=lambda m: None)
    saved = json.loads((tmp_path / "out" / "streaming.json").read_text())
    assert (tmp_path / "out" / "det.png").stat().st_size > 1000
    assert saved["stream"]["keywords"] == rep["stream"]["keywords"] >= 3
    assert saved["timings"]["inferences"] == 1 + (30 * 16000 - 480) // 320
    for r in saved["sweep"]:
        assert r["hits"] + r["false_rejects"] == r["keywords"]
        assert r["fa_per_hour"] == pytest.approx(r["false_accepts"] * 120)
        assert r["detections"] == r["hits"] + r["false_accepts"] + r["duplicates"]
    # the softmax outputs are cached per (stream, model): a second sweep does not run the model
    rep2 = S.evaluate(ROOT / "models" / "dscnn_int8.tflite", cfg, tmp_path / "out2", [0.7], jobs=1, progress=False,
                      log=lambda m: None)
    assert rep2["timings"].get("cached") and rep2["sweep"][0] == saved["sweep"][1]


def test_score_on_a_hand_built_case():
    from training.streaming import operating_point, score
    truth = [dict(label="yes", end=10.0), dict(label="no", end=30.0), dict(label="up", end=50.0),
             dict(label="go", end=70.0)]
    dets = [("yes", 200, 10_400),      # hit (0.4 s after the end)
            ("yes", 190, 11_200),      # same occurrence again: duplicate, not a false accept
            ("no", 180, 29_900),       # before "no" ended: false accept ...
            ("up", 180, 31_600),       # 1.6 s after "no" ended, wrong label: false accept
            ("up", 185, 51_500),       # hit at the window's end (end + 1.5 s)
            ("down", 181, 70_500),     # wrong label in "go"'s window: false accept, and "go" is missed
            ("left", 179, 90_000)]     # nothing near: false accept
    r = score(dets, truth, seconds=1800.0)
    assert (r["keywords"], r["hits"], r["false_rejects"], r["false_accepts"], r["duplicates"]) == (4, 2, 2, 4, 1)
    assert r["frr"] == 0.5 and r["fa_per_hour"] == 8.0
    assert [d[2] for d in r["fa_detections"]] == [29_900, 31_600, 70_500, 90_000]
    assert score([], truth, 3600.0)["frr"] == 1.0
    assert r["missed"] == [1, 3]
    rows = [dict(threshold=0.5, frr=0.05, fa_per_hour=4.0), dict(threshold=0.6, frr=0.08, fa_per_hour=2.0),
            dict(threshold=0.7, frr=0.08, fa_per_hour=1.0), dict(threshold=0.8, frr=0.2, fa_per_hour=0.0)]
    assert operating_point(rows, 2.0)["threshold"] == 0.7
    assert operating_point(rows, -1) is None


def test_diagnose_puts_false_accepts_on_events_and_names_what_misses_were_heard_as():
    from training.streaming import diagnose, score
    labels = ["_silence_", "_unknown_", "yes", "no"]
    truth = [dict(label="yes", start=9.5, end=10.0), dict(label="no", start=29.5, end=30.0)]
    timeline = [["bed", 0.0, 60.0, "pink"], ["keyword", 9.5, 10.0, "yes"], ["sentence", 20.0, 23.0, "I know it"],
                ["keyword", 29.5, 30.0, "no"], ["burst", 40.0, 41.0, "white"]]
    t_ms = np.arange(0, 60_000, 20) + 20
    probs = np.full((len(t_ms), 4), -128, np.int8)
    probs[:, 0] = 127                                        # silence everywhere ...
    t = t_ms / 1000
    probs[(t > 9.6) & (t < 11), 0], probs[(t > 9.6) & (t < 11), 2] = -128, 127   # ... "yes" heard
    dets = [("yes", 200, 10_400),                 # hit
            ("no", 190, 22_000),                  # during the sentence
            ("no", 180, 23_800),                  # 0.8 s after it: still the sentence's
            ("up", 185, 40_500),                  # in the burst
            ("go", 181, 50_000)]                  # the bed alone
    sc = score(dets, truth, 3600.0)
    g = diagnose(labels, t_ms, probs, truth, timeline, sc)
    assert g["false_accepts_by_event"] == {"sentence": 2, "burst": 1, "bed": 1}
    assert [f[2] for f in g["false_accepts_in_sentences"]] == ["I know it", "I know it"]
    assert g["missed_heard_as"] == {"_silence_": 1}          # "no" was never heard


@pytest.mark.parametrize("args,msg", [(["--hours", "0"], "out of range"), (["--thresholds", "0.9:0.3:0.1"], "LO"),
                                      (["--smooth-hops", "40"], "out of range"), (["--model", "nope.tflite"], "no such")])
def test_bad_arguments_are_one_error_line(capsys, args, msg):
    from training.streaming import main
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and err[0].startswith("error:") and msg in err[0]

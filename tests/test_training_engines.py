"""training.engines: the common interface over real synthesizers (skipped, with the reason, where an
engine is not installed; espeak-ng is always installed here) and the corpus sketch."""
import importlib

import numpy as np
import pytest

from training import engines as E
from training.engines import corpus
from training.engines.kokoro import parse_voice

WORDS = ["yes", "stop"]
# one representative voice per engine, cheapest first
VOICE = {"espeak": "en-us+klatt3", "flite": "slt", "festival": "kal_diphone", "piper": "joe",
         "kokoro": "bf_emma+am_adam:0.3"}


def _need(name):
    ok, reason = E.get(name).available()
    if not ok:
        pytest.skip(f"engine not installed: {reason}")
    return E.get(name)


def test_registry_and_notes():
    assert list(E.ENGINES) == ["espeak", "flite", "festival", "piper", "kokoro"]
    with pytest.raises(KeyError, match="unknown engine"):
        E.get("nope")
    notes = E.notes()
    assert all(isinstance(n, str) and n for n in notes)
    assert set(E.available()) | {n.split(":")[0] for n in notes} == set(E.ENGINES)
    assert "espeak" in E.available()


def test_missing_engine_is_a_note_not_an_error(monkeypatch):
    monkeypatch.setenv("KWS_FLITE", "/nonexistent/flite")
    monkeypatch.setenv("KWS_FESTIVAL", "/nonexistent/festival")
    from training.engines.festival import FestivalEngine
    from training.engines.flite import FliteEngine
    for eng in (FliteEngine(), FestivalEngine()):
        ok, reason = eng.available()
        assert not ok and reason.startswith(eng.name + ":") and "apt-get install" in reason
        assert eng.voices() == []
        with pytest.raises(RuntimeError, match="not found"):
            eng.synth(["yes"], "x")


@pytest.mark.parametrize("name", list(VOICE))
def test_engine_synth(name):
    eng = _need(name)
    vs = eng.voices()
    assert vs and all(isinstance(v, str) for v in vs)
    voice = VOICE[name]
    assert voice.split("+")[0] in vs if name == "kokoro" else voice in vs
    a = eng.synth(WORDS, voice, rate=1.1, pitch=0.95)
    b = eng.synth(WORDS, voice, rate=1.1, pitch=0.95)
    assert len(a) == len(WORDS)
    for x, y in zip(a, b):
        assert x.dtype == np.int16 and x.ndim == 1
        assert 0.1 * E.SAMPLE_RATE < len(x) < 2.0 * E.SAMPLE_RATE, len(x)
        assert np.array_equal(x, y), "not deterministic"
        f = x.astype(np.float64) / 32768
        peak, rms = np.max(np.abs(f)), np.sqrt(np.mean(f ** 2))
        assert peak <= 10 ** (E.PEAK_DBFS / 20) + 1e-4
        assert -21.0 < 20 * np.log10(rms) <= -19.9 or peak > 10 ** (E.PEAK_DBFS / 20) - 1e-3
        # trimmed: the first and last 10 ms are quiet relative to the loudest part
        assert np.sqrt(np.mean(f[:160] ** 2)) < peak


def test_espeak_rate_and_voices():
    eng = _need("espeak")
    vs = eng.voices()
    assert "en-us+klatt3" in vs and len(vs) > 100
    slow, fast = (eng.synth(["seven"], "en-gb+f3", rate=r, pitch=1.0)[0] for r in (0.75, 1.3))
    assert len(fast) < 0.85 * len(slow)


def test_kokoro_blend_parsing():
    assert parse_voice("af_heart") == [("af_heart", 1.0)]
    p = dict(parse_voice("af_heart+am_adam:0.3"))
    assert p["af_heart"] == pytest.approx(0.7) and p["am_adam"] == pytest.approx(0.3)
    p = dict(parse_voice("a+b+c:0.5"))
    assert p == pytest.approx({"a": 0.25, "b": 0.25, "c": 0.5})


def test_kokoro_voices_and_blend_style():
    eng = _need("kokoro")
    vs = eng.voices()
    assert len(vs) == 54 and len(eng.english_voices()) == 28
    s = eng.style("af_heart+am_adam:0.3")
    a, b = eng.style("af_heart"), eng.style("am_adam")
    assert np.allclose(s, 0.7 * a + 0.3 * b, atol=1e-6)


def test_splits_disjoint_and_deterministic(seed):
    s1 = corpus.make_splits(seed=seed)
    assert s1 == corpus.make_splits(seed=seed)
    for eng in s1["train"]:
        sets = [set(s1[s].get(eng, [])) for s in ("train", "val", "test")]
        assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2]), eng
        groups = [{corpus.voice_group(eng, v) for v in s} for s in sets]
        assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2]), eng
    for eng in s1["test_engine"]:
        assert all(eng not in s1[s] for s in ("train", "val", "test"))
    if "kokoro" in s1["test"]:   # held-out kokoro voices include native and accented English
        t = s1["test"]["kokoro"]
        assert any(v[:3] in ("af_", "am_", "bf_", "bm_") for v in t)
        assert any(v[:3] not in ("af_", "am_", "bf_", "bm_") for v in t)


def test_plan_deterministic_and_blends_stay_in_split(seed):
    voices = {"espeak": ["en-us+klatt", "en-gb+f1"], "kokoro": ["af_heart", "am_adam", "bf_emma"]}
    p1 = corpus.draw_plan(["yes", "no"], voices, 30, seed)
    assert p1 == corpus.draw_plan(["yes", "no"], voices, 30, seed)
    assert p1 != corpus.draw_plan(["yes", "no"], voices, 30, seed + 1)
    # an engine's draws do not depend on the other engines
    only = corpus.draw_plan(["yes", "no"], {"kokoro": voices["kokoro"]}, 30, seed)
    assert [t for t in p1 if t.engine == "kokoro"] == only
    for t in p1:
        r = corpus.RANGES[t.engine]
        assert r["rate"][0] <= t.rate <= r["rate"][1] and r["pitch"][0] <= t.pitch <= r["pitch"][1]
        if t.engine == "kokoro":
            for name, _ in parse_voice(t.voice):
                assert name in voices["kokoro"]
        else:
            assert t.voice in voices[t.engine]
    assert any("+" in t.voice for t in p1 if t.engine == "kokoro")


def test_corpus_synth_cached(tmp_path, seed, monkeypatch):
    _need("espeak")
    plan = corpus.draw_plan(["yes", "go"], {"espeak": ["en-us+klatt", "en-gb+m3"]}, 2, seed)
    clips, meta = corpus.synthesize(plan, cache=tmp_path, progress=False)
    assert len(clips) == len(meta) == 4
    assert {m["word"] for m in meta} == {"yes", "go"} and all(m["engine"] == "espeak" for m in meta)
    assert len(list((tmp_path / "espeak").glob("*.npy"))) == len({m["key"] for m in meta})

    def boom(*a, **k):
        raise AssertionError("cache miss")
    monkeypatch.setattr(E.get("espeak"), "synth", boom)
    clips2, meta2 = corpus.synthesize(plan, cache=tmp_path, progress=False)
    assert meta2 == meta and all(np.array_equal(a, b) for a, b in zip(clips, clips2))
    w = corpus.center(clips[0])
    assert w.dtype == np.int16 and len(w) == 16000


def test_import_without_optional_packages(monkeypatch):
    """Importing the package never needs piper / kokoro (they are imported on first use)."""
    import sys
    for mod in ("piper", "kokoro_onnx"):
        monkeypatch.setitem(sys.modules, mod, None)   # makes "import mod" raise ImportError
    import training.engines.kokoro as K
    import training.engines.piper as P
    importlib.reload(K)
    importlib.reload(P)
    ok, reason = K.KokoroEngine().available()
    assert not ok and "pip install kokoro-onnx" in reason
    ok, reason = P.PiperEngine().available()
    assert not ok and "pip install piper-tts" in reason


def _f0(x):
    """Median autocorrelation f0 (Hz) over voiced 40 ms frames."""
    x = x.astype(np.float64) / 32768
    n, out = 640, []
    for a in range(0, len(x) - n, 320):
        s = x[a:a + n]
        if np.sqrt(np.mean(s ** 2)) < 0.05:
            continue
        r = np.correlate(s, s, "full")[n - 1:]
        lo, hi = 16000 // 400, 16000 // 60
        k = lo + int(np.argmax(r[lo:hi]))
        if r[k] > 0.3 * r[0]:
            out.append(16000 / k)
    return float(np.median(out)) if out else 0.0


# every voice whose pitch / rate mapping differs (native f0 target, warp, hts speed option)
CONTROL_VOICES = [("espeak", "en-us+m3"), ("flite", "slt"), ("flite", "rms"), ("festival", "kal_diphone"),
                  ("festival", "cmu_us_slt_arctic_hts"), ("piper", "joe"), ("kokoro", "am_adam")]


@pytest.mark.parametrize("name,voice", CONTROL_VOICES)
def test_rate_and_pitch_controls(name, voice):
    eng = _need(name)
    lo, hi = (eng.synth(["seven"], voice, 1.0, p)[0] for p in (0.85, 1.2))
    ratio = _f0(hi) / max(_f0(lo), 1e-9)
    assert 1.2 < ratio < 1.7, f"f0 {_f0(lo):.0f} -> {_f0(hi):.0f} Hz"
    assert abs(len(hi) / len(lo) - 1) < 0.25          # pitch changes the duration little (piper: ~20 %)
    slow, fast = (eng.synth(["seven"], voice, r, 1.0)[0] for r in (0.8, 1.25))
    assert 1.2 < len(slow) / len(fast) < 1.9

"""The bundled default model (models/): imports with the accelerator's importer, runs bit-exact with
accel.golden vs tflite-micro on the bundled clips' front-end features, takes the front-end's int8
features unchanged, and agrees with its report."""
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
MODEL = MODELS / "dscnn_int8.tflite"
REPORT = MODELS / "report.json"
CLIPS = MODELS / "clips"

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no bundled model in models/")


@pytest.fixture(scope="module")
def report():
    return json.loads(REPORT.read_text())


@pytest.fixture(scope="module")
def clip_features(report):
    from frontend.golden import features
    from frontend.wav import read_wav
    index = json.loads((CLIPS / "clips.json").read_text())["clips"]
    audio = []
    for c in index:
        x, note = read_wav(CLIPS / c["file"])
        assert note is None, note          # bundled clips are 16 kHz mono int16 already
        assert len(x) == 16000
        audio.append(x)
    return index, features(np.stack(audio), mode=report["features"]["mode"])


def test_bundled_files_small():
    assert MODEL.stat().st_size < 200_000
    assert (MODELS / "confusion.png").exists()
    wavs = sorted(CLIPS.glob("*.wav"))
    assert 12 <= len(wavs) <= 20


def test_imports_with_accel_importer(report):
    from accel.tflite_import import load_tflite
    m = load_tflite(MODEL)
    assert tuple(m.input.shape) == tuple(report["features"]["shape"]) + (1,)
    assert [layer.op for layer in m.layers][-1] == "SOFTMAX"
    assert tuple(m.output.shape)[-1] == 12


def test_input_quant_is_frontend_output_quant(report):
    from accel.tflite_import import load_tflite
    from frontend.format import output_quant
    m = load_tflite(MODEL)
    scale, zp = output_quant(report["features"]["mode"])
    assert np.float32(m.input.scale) == np.float32(scale)
    assert m.input.zero_point == zp


def test_golden_bit_exact_with_tflm_on_clips(clip_features, seed):
    from accel import golden, tflm
    from accel.tflite_import import load_tflite
    m = load_tflite(MODEL)
    _, feats = clip_features
    rng = np.random.default_rng(seed)
    rand = rng.integers(-128, 128, (8,) + tuple(m.input.shape), dtype=np.int64).astype(np.int8)
    x = np.concatenate([feats.reshape((-1,) + tuple(m.input.shape)), rand])
    g = golden.run(m, x, return_all=True)
    t = tflm.run_tflm(MODEL, x, return_all=True)
    for k, (a, b) in enumerate(zip(g, t)):
        assert np.array_equal(a, b), f"layer {k} ({m.layers[k].op}) differs from tflite-micro"


def test_clips_classified_as_recorded(clip_features):
    """clips.json records the int8 model's answer for each clip; the golden model reproduces it."""
    from accel import golden
    from accel.tflite_import import load_tflite
    from training.labels import LABELS
    m = load_tflite(MODEL)
    index, feats = clip_features
    out = golden.run(m, feats.reshape((-1,) + tuple(m.input.shape)))
    pred = [LABELS[int(i)] for i in np.argmax(out, axis=1)]
    assert pred == [c["predicted_int8"] for c in index]


@pytest.mark.xfail(strict=True, reason="issue 15 not met yet: the bundled model (v6b5, 75.1 % on the test "
                                       "split) gets 9 of the 14 held-out-voice clips right; strict: this "
                                       "fails loudly once all but two are right")
def test_most_bundled_clips_right():
    """The bundled model is meant to work: all but two of the held-out-voice clips are right."""
    index = json.loads((CLIPS / "clips.json").read_text())["clips"]
    assert sum(c["predicted_int8"] == c["label"] for c in index) >= len(index) - 2


def test_report_int8_tracks_float_on_held_out_voices(report):
    acc = report["accuracy"]["test"]
    assert abs(acc["float"] - acc["int8"]) <= 0.01, acc
    assert report["model"]["input_quant_matches_frontend"]
    s = report["data"]["speakers"]
    assert s["test"] > 0 and s["train"] > 0


def test_report_has_every_acceptance_set(report):
    """The bundled multi-engine report measures each held-out engine, the held-out kokoro voices and
    the held-out voices of the training engines, int8 and float, and its pass flags follow its figures."""
    acc = report["acceptance"]
    for k in ("test_engine/piper", "test/kokoro", "test", "test_engine_clean/piper", "test_clean/kokoro",
              "test_clean"):
        v = acc[k]
        assert v["n"] >= 300 and 0 <= v["int8"] <= 1 and abs(v["int8"] - v["float"]) <= 0.02, (k, v)
        assert v["pass_required"] == (v["int8"] >= v["required"]), (k, v)


@pytest.mark.xfail(strict=True, reason="issue 15 not met yet: the bundled model (v6b5) scores "
                                       "piper 67.1 %, held-out voices 75.1 % int8 (required 85 % / 95 %); "
                                       "strict: this fails loudly once a model meets the targets")
def test_report_meets_accuracy_target(report):
    """The issue's acceptance: each held-out engine and the held-out kokoro voices >= 85 %, held-out
    voices of the training engines >= 95 % (int8)."""
    failing = {k: v["int8"] for k, v in report["acceptance"].items() if not v["pass_required"]}
    assert not failing, failing

"""End to end: `train.py --quick` generates a small multi-engine set (espeak-ng and flite for
training, piper held out), trains a tiny DS-CNN, exports int8 and measures it with tflite-micro on
every split; the int8 accuracy must be far above chance (1/12). And `--data-dir` on a tiny folder in
the Speech Commands v2 layout, end to end."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("tensorflow")
pytest.importorskip("tflite_micro")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_quick_training_end_to_end(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    t0 = time.time()
    # The data set is cached under the repo's .cache/ (keyed by configuration, espeak-ng and code);
    # a fresh cache costs ~20 s of synthesis more.
    # --no-augment: the tiny quick model is measured on the clean multi-engine set (the augmentation
    # chain has its own tests, tests/test_training_augment.py; the default run uses it).
    proc = subprocess.run([sys.executable, str(ROOT / "training" / "train.py"), "--quick", "--no-augment", "--quiet",
                           "--out", str(out), "--clips", str(tmp_path / "clips")],
                          capture_output=True, text=True, env=env, timeout=900, cwd=str(ROOT))
    dt = time.time() - t0
    print(proc.stdout[-3000:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    print(f"quick run: {dt:.0f} s wall; phases {report['times_s']}; accuracy {report['accuracy']}")
    assert (out / "dscnn_int8.tflite").stat().st_size < 200_000
    assert (out / "confusion.png").stat().st_size > 1000
    # held-out voices only in val/test; piper only in test_engine
    assert report["data"]["speakers"]["test"] >= 3
    assert report["data"]["source"] == "synthetic_multi_engine"
    acc = report["accuracy"]["test"]
    assert acc["int8"] >= 0.60, acc
    assert abs(acc["int8"] - acc["float"]) <= 0.05, acc
    by = report["accuracy_by_engine"]
    assert set(by) >= {"val", "test", "test_engine", "test_clean", "test_engine_clean"}
    assert set(by["test_engine"]) == {"all", "piper"}
    assert {"espeak", "flite"} <= set(by["test"]) and "piper" not in by["test"]
    assert "test_engine/piper" in report["acceptance"] and "test" in report["acceptance"]
    assert by["test_engine"]["piper"]["int8"] > 0.2
    assert "| int8" not in proc.stdout and "test_engine" in proc.stdout   # the table is printed
    assert report["model"]["input_quant_matches_frontend"]
    clips = json.loads((tmp_path / "clips" / "clips.json").read_text())["clips"]
    assert len(clips) == 14 and all((tmp_path / "clips" / c["file"]).exists() for c in clips)


def test_speech_commands_end_to_end(tmp_path, seed):
    """`--data-dir` on a tiny folder in the real Speech Commands v2 layout (word folders,
    _background_noise_, validation_list.txt, testing_list.txt): a real, tiny training run."""
    import numpy as np
    from tests.test_training_errors import fake_speech_commands
    root = fake_speech_commands(tmp_path / "sc", np.random.default_rng(seed))
    out = tmp_path / "out"
    env = dict(os.environ, TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    t0 = time.time()
    proc = subprocess.run([sys.executable, str(ROOT / "training" / "train.py"), "--data-dir", str(root),
                           "--quick", "--quiet", "--epochs", "8", "--out", str(out),
                           "--cache-dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, env=env, timeout=600, cwd=str(ROOT))
    print(proc.stdout[-2000:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    print(f"speech commands run: {time.time() - t0:.0f} s; sizes {report['data']['sizes']}")
    assert report["data"]["source"] == "speech_commands"
    # 12 word folders x 6 clips: 4 train, 1 validation, 1 test each (+ unknown / silence share)
    assert report["data"]["sizes"]["test"] == 10 + 1 + 1 and report["data"]["sizes"]["val"] == 12
    assert set(report["accuracy"]) == {"val", "test"}
    assert (out / "dscnn_int8.tflite").exists() and report["model"]["input_quant_matches_frontend"]
    assert "[time] train" in proc.stdout and "[time] eval" in proc.stdout

"""End to end: `train.py --quick` generates a small held-out-voice set, trains a tiny DS-CNN, exports
int8 and measures it with tflite-micro; the int8 accuracy must be far above chance (1/12)."""
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
    proc = subprocess.run([sys.executable, str(ROOT / "training" / "train.py"), "--quick", "--quiet",
                           "--out", str(out), "--clips", str(tmp_path / "clips")],
                          capture_output=True, text=True, env=env, timeout=900, cwd=str(ROOT))
    dt = time.time() - t0
    print(proc.stdout[-3000:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    print(f"quick run: {dt:.0f} s wall; phases {report['times_s']}; accuracy {report['accuracy']}")
    assert (out / "dscnn_int8.tflite").stat().st_size < 200_000
    assert (out / "confusion.png").stat().st_size > 1000
    # held-out voices only in val/test
    assert report["data"]["speakers"]["test"] >= 3
    acc = report["accuracy"]["test"]
    assert acc["int8"] >= 0.60, acc
    assert abs(acc["int8"] - acc["float"]) <= 0.05, acc
    assert report["model"]["input_quant_matches_frontend"]
    clips = json.loads((tmp_path / "clips" / "clips.json").read_text())["clips"]
    assert len(clips) == 14 and all((tmp_path / "clips" / c["file"]).exists() for c in clips)

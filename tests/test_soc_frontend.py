"""The hardware front-end inside the Verilator SoC, fed by the firmware from main RAM, must produce
exactly frontend.golden.features() on the same audio (speech plus stress signals), in every mode."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from frontend import golden as G
from frontend.format import SAMPLE_RATE
from frontend.wav import read_wav

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory, seed_module=20261123):
    """~1.1 s at 16 kHz: espeak-ng speech, a full-scale clipped square wave, DC offset, noise, silence."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng missing: run scripts/setup.sh")
    d = tmp_path_factory.mktemp("audio")
    subprocess.run(["espeak-ng", "-w", str(d / "speech.wav"), "yes"], check=True)
    speech, _ = read_wav(d / "speech.wav")
    rng = np.random.default_rng(seed_module)
    t = np.arange(3200)
    square = np.where(np.sin(2 * np.pi * 440 * t / SAMPLE_RATE) >= 0, 32767, -32768).astype(np.int16)
    dc = np.full(1600, 12000, np.int16)
    noise = np.clip(rng.normal(0, 8000, 3200), -32768, 32767).astype(np.int16)
    audio = np.concatenate([speech[:6400], square, dc, noise, np.zeros(1600, np.int16)])
    path = d / "clip.wav"
    sf.write(path, audio, SAMPLE_RATE, subtype="PCM_16")
    return path, audio


def soc_features(wav, mode):
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--app", "features",
                        "--mode", mode, "--wav", str(wav), "--timeout", "600"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    frames, cycles = [], []
    for m in re.finditer(r"^feat (\d+) cycles=(\d+) ([0-9a-f]+)$", r.stdout, re.M):
        assert int(m.group(1)) == len(frames)
        frames.append(np.frombuffer(bytes.fromhex(m.group(3)), dtype=np.int8))
        cycles.append(int(m.group(2)))
    return np.array(frames), np.array(cycles)


@pytest.mark.parametrize("mode", ["logmel", "pcen", "mfcc"])
def test_soc_frontend_equals_golden(clip, mode):
    path, audio = clip
    hw, cycles = soc_features(path, mode)
    gold = G.features(audio, mode)
    print(f"{mode}: {len(hw)} frames, front-end cycles per hop max {cycles.max()}")
    assert hw.shape == gold.shape
    mism = int((hw != gold).sum())
    assert mism == 0, f"{mism} of {gold.size} features differ (first frame {np.argwhere(hw != gold)[0][0]})"
    assert np.unique(gold).size > 20            # the clip exercises the range, not a constant
    assert cycles.max() <= 100_000

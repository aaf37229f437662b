"""The KWS demo on the simulated SoC built with an FPGA board's configuration (--board sim --variant
ulx3s: the SMALL accelerator, the ULX3S's ROM and SRAM sizes; --variant a7-35: the Arty A7-35T's TINY
accelerator without fused DW lanes): the same detections as the default
simulated SoC on the bundled clips, and every inference equal to the golden pipeline. Each variant is
its own Verilator build (minutes), so these are --runslow checks."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_soc_kws import _bundled, golden_kws_outputs

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / "models" / "clips"


def run_kws(*args):
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--app", "kws",
                        "--timeout", "3000", *args], cwd=ROOT, capture_output=True, text=True)
    print(r.stdout[-6000:])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["ulx3s", "a7-35"])
def test_board_config_in_sim_detects_like_the_default(variant):
    """The demo (the six default clips): the same detections, confidence and time, per clip as the
    default simulated SoC; no clip heard as another word, silence and the unknown word quiet. (That
    every keyword clip is detected is the model's business: test_soc_kws.py holds it as a strict xfail
    naming the clip the bundled model misses, issue 15.)"""
    default = run_kws()
    out = run_kws("--variant", variant)
    assert "accelerator" in out and "CPU only" not in out
    det = r"^  (\S+)\s+-> (.*)$"
    want, per_clip = dict(re.findall(det, default, re.M)), dict(re.findall(det, out, re.M))
    assert per_clip == want and len(per_clip) >= 4, f"{variant}: {per_clip} vs default {want}"
    labels = {Path(c["file"]).name: c["label"] for c in _bundled()}
    heard = 0
    for name, found in per_clip.items():
        said = found.split(" (")[0]
        ok = ("nothing",) if labels[name].startswith("_") else (labels[name], "nothing")
        assert said in ok, f"{variant}: {name}: expected {' or '.join(ok)}, SoC said {found}"
        heard += said != "nothing"
    assert heard >= 1, f"{variant}: no keyword detected at all: {per_clip}"
    for text, who in ((default, "default"), (out, variant)):
        m = re.search(r"mean cycles per hop: front-end (\d+), accelerator (\d+), cpu (\d+)", text)
        assert m and all(int(v) > 0 for v in m.groups())
        print(f"{who}: mean cycles per hop fe={m.group(1)} accel={m.group(2)} cpu={m.group(3)}")


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["ulx3s", "a7-35"])
def test_board_config_in_sim_equals_golden(variant):
    """Every inference of the bundled model on one keyword clip, int8 output for int8 output."""
    import numpy as np

    from frontend.wav import read_wav
    clip = CLIPS / next(c["file"] for c in _bundled() if not c["label"].startswith("_"))
    audio, _ = read_wav(clip)
    out = run_kws("--variant", variant, "--wav", str(clip), "--gap", "0", "--trace-outputs")
    got = {int(m.group(1)): np.array(m.group(2).split(), int) for m in re.finditer(r"^out (\d+) (.*)$", out, re.M)}
    want = golden_kws_outputs(ROOT / "models" / "dscnn_int8.tflite", audio, "mfcc")
    assert sorted(got) == list(range(1, len(want) + 1)), f"inferences {sorted(got)}"
    mism = [i for i in got if not np.array_equal(got[i], want[i - 1])]
    assert not mism, f"{variant}: inferences {mism} differ from the golden pipeline"

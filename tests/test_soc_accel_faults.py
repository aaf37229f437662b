"""Accelerator faults in the real SoC (Verilator): the kws app with a bad descriptor injected into the
accelerator's memory and with a run whose done does not come within its cycle bound. Each fault is one
`accel: ...` line on the UART, the driver recovers (no reset register: wait until idle, re-load the
images), the app skips that hop's inference, counts it in its summary line and ends with its normal
exit status; every other inference still equals the golden pipeline. A normal build is unaffected.

The fault is chosen at build time (`soc/build.py --inject-fault bad-desc|timeout|stuck`, which only adds
-DKWS_INJECT_FAULT=1|2|3 to the firmware's defines; firmware/src/app_kws.c).
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_soc_kws import golden_kws_outputs   # the golden pipeline, one definition

ROOT = Path(__file__).resolve().parents[1]
N_HOPS = 10
INJECT_AT = 3                     # app_kws.c's default KWS_INJECT_AT (inference number, from 1)
INJECT_LAYER = 2                  # app_kws.c's default KWS_INJECT_LAYER

@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    import numpy as np
    import soundfile as sf

    from frontend.format import HOP, SAMPLE_RATE
    from frontend.wav import read_wav
    d = tmp_path_factory.mktemp("faults")
    subprocess.run(["espeak-ng", "-w", str(d / "s.wav"), "yes"], check=True)
    audio, _ = read_wav(d / "s.wav")
    audio = np.concatenate([audio, np.zeros(SAMPLE_RATE, np.int16)])[:HOP * N_HOPS]
    sf.write(d / "clip.wav", audio, SAMPLE_RATE, subtype="PCM_16")
    return d / "clip.wav", audio


@pytest.fixture(scope="module")
def golden(clip):
    from accel.tflite_import import load_tflite
    from frontend import format as F
    model_path = ROOT / "models" / "dscnn_int8.tflite"
    m = load_tflite(model_path)
    mode = next(k for k in ("logmel", "pcen", "mfcc")
                if abs(F.output_quant(k)[0] - m.input.scale) < 1e-9 and F.output_quant(k)[1] == m.input.zero_point)
    return golden_kws_outputs(model_path, clip[1], mode)


def _run(clip_path, fault):
    """(rc, stdout) of the kws app on the clip; the gap is 0 so every hop is the clip's."""
    args = ["--board", "sim", "--app", "kws", "--wav", str(clip_path), "--gap", "0", "--trace-outputs",
            "--timeout", "900"]
    cmd = [sys.executable, str(ROOT / "soc" / "build.py"), *args] + (["--inject-fault", fault] if fault else [])
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    print(r.stdout[-4000:], r.stderr[-2000:])
    return r.returncode, r.stdout


def _outputs(out):
    import numpy as np
    return {int(m.group(1)): np.array(m.group(2).split(), dtype=int)
            for m in re.finditer(r"^out (\d+)((?: -?\d+)+)$", out, re.M)}


def _check(out, golden, skipped):
    got = _outputs(out)
    n = golden.shape[0]
    assert sorted(got) == [i for i in range(1, n + 1) if i not in skipped], sorted(got)
    for i, v in got.items():
        assert (v == golden[i - 1]).all(), f"inference {i}: {v.tolist()} != golden {golden[i - 1].tolist()}"
    m = re.search(r"^kws: \d+ detection\(s\) in (\d+) frames; .*; (\d+) inference\(s\) skipped after "
                  r"accelerator faults$", out, re.M)
    assert m, "no summary line"
    assert int(m.group(1)) == n and int(m.group(2)) == len(skipped)
    assert re.search(r"^KWS_EXIT=0", out, re.M)


def test_normal_run_unaffected(clip, golden):
    rc, out = _run(clip[0], None)
    assert rc == 0
    assert not re.search(r"^(accel|inject):", out, re.M)
    _check(out, golden, skipped=set())


def test_bad_descriptor_reported_and_recovered(clip, golden):
    rc, out = _run(clip[0], "bad-desc")
    assert rc == 0
    lines = re.findall(r"^accel: .*$", out, re.M)
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"accel: error 1 \(unknown op\) at layer {INJECT_LAYER} of \d+", lines[0]), lines[0]
    # the driver re-loaded the descriptors: every later inference ran and equals the golden one
    _check(out, golden, skipped={INJECT_AT})


def test_timeout_reported_and_recovered(clip, golden):
    rc, out = _run(clip[0], "timeout")
    assert rc == 0
    lines = re.findall(r"^accel: .*$", out, re.M)
    assert len(lines) == 1, lines
    m = re.fullmatch(r"accel: timeout after (\d+) cycles \(layer (\d+) of (\d+) running\)", lines[0])
    assert m, lines[0]
    assert 1000 < int(m.group(1)) < 100000 and int(m.group(2)) < int(m.group(3))
    _check(out, golden, skipped={INJECT_AT})


def test_core_that_stays_busy_disables_the_accelerator(clip, golden):
    """No reset register: a core still busy after the recovery bound is given up on; every later hop is
    skipped (one line, not one per hop) and the app still ends with its summary and exit status."""
    rc, out = _run(clip[0], "stuck")
    assert rc == 0
    lines = re.findall(r"^accel: .*$", out, re.M)
    assert len(lines) == 2, lines
    assert lines[0].startswith("accel: timeout after ")
    assert re.fullmatch(r"accel: still busy after \d+ more cycles; no reset register: accelerator disabled until "
                        r"the system is reset", lines[1]), lines[1]
    _check(out, golden, skipped=set(range(INJECT_AT, golden.shape[0] + 1)))

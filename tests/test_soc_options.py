"""soc/build.py refuses, before any work, every option the chosen app or board would ignore and every
out-of-range value: one `error:` line, exit status 2, and the build directory untouched."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "models" / "clips" / "04_yes.wav"

CASES = [
    # (argv, words the one line must contain)
    (["--wav", str(CLIP)], "--app kws or --app features"),                 # selftest is the sim default
    (["--app", "selftest", "--model", "models/dscnn_int8.tflite"], "--model: not used by the selftest app"),
    (["--app", "selftest", "--threshold", "0.5"], "--threshold: not used by the selftest app"),
    (["--app", "kws", "--mode", "mfcc"], "takes the front-end mode from the model"),
    (["--app", "kws", "--selftest-mode", "fail"], "--selftest-mode: not used by the kws app"),
    (["--app", "features"], "needs --wav"),
    (["--app", "features", "--wav", str(CLIP), "--cpu-only"], "--cpu-only: not used by the features app"),
    (["--app", "infer", "--model", "models/dscnn_int8.tflite"], "needs --model MODEL.tflite and --input"),
    (["--toolchain", "vivado"], "--toolchain: only used on FPGA boards"),
    (["--variant", "a7-100"], "unknown sim variant 'a7-100'"),
    (["--board", "ulx3s", "--variant", "99f"], "unknown ULX3S variant '99f'"),
    (["--board", "ulx3s", "--toolchain", "vivado"], "open ECP5 flow only"),
    (["--board", "ulx3s", "--timeout", "5"], "--timeout: only used on the simulator"),
    (["--board", "arty", "--timeout", "5"], "--timeout: only used on the simulator"),
    (["--board", "arty", "--app", "kws", "--wav", str(CLIP)], "soc/stream_wav.py"),
    (["--sys-clk-freq", "0"], "--sys-clk-freq"),
    (["--app", "kws", "--threshold", "-1"], "--threshold"),
    (["--app", "kws", "--threshold", "nan"], "--threshold"),
    (["--app", "kws", "--smooth-hops", "0"], "--smooth-hops"),
    (["--app", "kws", "--smooth-hops", "33"], "--smooth-hops"),
    (["--app", "kws", "--refractory", "-1"], "--refractory"),
    (["--app", "kws", "--gap", "-1"], "--gap"),
    (["--timeout", "0"], "--timeout"),
    (["--jobs", "0"], "--jobs"),
    (["--app", "kws", "--wav", "no-such.wav"], "no such file"),
    (["--app", "kws", "--wav", "models"], "is a directory"),
    (["--app", "kws", "--model", "models"], "is a directory"),
    (["--app", "bogus"], "unknown firmware app 'bogus'"),
    (["--board", "nexys9"], "unknown board 'nexys9'"),
    (["--integrated-rom-size", "100000"], "a power of two from 16k to 1024k"),
    (["--integrated-rom-size", "8k"], "a power of two from 16k to 1024k"),
    (["--integrated-rom-size", "lots"], "not a size in bytes"),
    (["--bogus-option"], "unrecognized arguments"),
]


@pytest.mark.parametrize("argv,words", CASES, ids=[" ".join(a)[:40] for a, _ in CASES])
def test_bad_option_is_one_line_and_touches_nothing(tmp_path, argv, words):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), *argv, "--output-dir", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert words in lines[0], lines[0]
    assert "Traceback" not in r.stdout + r.stderr
    assert not out.exists(), "a refused run must not create or touch the build directory"


def test_bad_model_input_or_clip_is_refused_before_the_gateware(tmp_path):
    """A model that is not a .tflite, an --input that is not an int8 .npy of the model's shape, and a clip
    longer than the simulated main RAM are one line, found before LiteX or Verilator run."""
    import numpy as np
    import soundfile as sf
    with open(tmp_path / "x.npy", "wb") as f:                   # an .npz named .npy
        np.savez(f, a=np.zeros(3))
    np.save(tmp_path / "f64.npy", np.zeros((49, 10, 1)))
    sf.write(tmp_path / "long.wav", np.zeros(40 * 16000, np.int16), 16000, subtype="PCM_16")
    model = ROOT / "models" / "dscnn_int8.tflite"
    for argv, words in ((["--app", "kws", "--model", str(CLIP)], "04_yes.wav"),
                        (["--model", str(model), "--input", str(tmp_path / "x.npy")], "npz"),
                        (["--model", str(model), "--input", str(tmp_path / "f64.npy")], "int8"),
                        (["--app", "kws", "--wav", str(tmp_path / "long.wav")], "does not fit")):
        out = tmp_path / "out"
        r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), *argv, "--output-dir", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
        assert words in lines[0], lines[0]
        assert not (out / "gateware").exists() and "gateware:" not in r.stdout, r.stdout


def test_inputs_that_overflow_the_rom_are_one_line(tmp_path):
    """More --input tensors than the ROM holds: the linker's dozens of lines become one error line that
    says what to do (the sim gateware in the shared build/sim cache; firmware only, --no-run)."""
    import numpy as np
    x = np.random.default_rng(0).integers(-128, 128, (300, 49, 10, 1)).astype(np.int8)
    np.save(tmp_path / "many.npy", x)
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--model", "models/dscnn_int8.tflite",
                        "--input", str(tmp_path / "many.npy"), "--no-run"],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert lines[0].startswith("error: the firmware does not fit the ROM") and "fewer --input" in lines[0], lines[0]


def test_integrated_rom_size_sets_the_rom_and_the_hint_names_it(tmp_path):
    """--integrated-rom-size is the ROM LiteX builds (a board's default: 64 KiB), and a firmware that
    does not fit says which size would hold it (ULX3S gateware: Verilog only, no toolchain run)."""
    import re
    out = tmp_path / "u"
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "ulx3s", "--integrated-rom-size",
                        "128k", "--output-dir", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    v = (out / "gateware" / "radiona_ulx3s.v").read_text()
    assert re.search(r"reg \[31:0\] rom\[0:32767\];", v), "a 128 KiB ROM (32 Ki words)"
    assert "% of ROM" in r.stdout and re.search(r"firmware: .*\((\d+) bytes, (\d+)% of ROM\)", r.stdout)
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "ulx3s", "--integrated-rom-size",
                        "16k", "--output-dir", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "does not fit the ROM" in lines[0] and "--integrated-rom-size 64k" in lines[0], lines[0]

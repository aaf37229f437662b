"""training/train.py on bad input: one `error: ...` line on stderr, exit status 2, no traceback."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "training" / "train.py"

sf = pytest.importorskip("soundfile")


def run_train(args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, str(TRAIN), *args], capture_output=True, text=True, env=e,
                          timeout=timeout, cwd=str(ROOT))


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), lines[0]
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def fake_speech_commands(root: Path, rng, bad=None):
    """A tiny folder with the standard Speech Commands layout (tones stand in for speech)."""
    from training.labels import KEYWORDS
    words = list(KEYWORDS) + ["bed", "cat"]
    val, test = [], []
    for wi, w in enumerate(words):
        (root / w).mkdir(parents=True)
        for k in range(6):
            t = np.arange(16000 - 800 * (k % 3)) / 16000
            x = (0.2 * np.sin(2 * np.pi * (200 + 60 * wi) * t) + 0.01 * rng.standard_normal(len(t)))
            name = f"{k:08x}_nohash_0.wav"
            sf.write(root / w / name, (x * 32767).astype(np.int16), 16000, subtype="PCM_16")
            (val if k == 4 else test if k == 5 else []).append(f"{w}/{name}")
    (root / "validation_list.txt").write_text("\n".join(val) + "\n")
    (root / "testing_list.txt").write_text("\n".join(test) + "\n")
    (root / "_background_noise_").mkdir()
    sf.write(root / "_background_noise_" / "white_noise.wav",
             (0.1 * rng.standard_normal(3 * 16000) * 32767).astype(np.int16), 16000, subtype="PCM_16")
    if bad == "stereo8k":
        x = (0.1 * rng.standard_normal((8000, 2)) * 32767).astype(np.int16)
        sf.write(root / "yes" / "badbad00_nohash_0.wav", x, 8000, subtype="PCM_16")
    elif bad == "garbage":
        (root / "yes" / "badbad00_nohash_0.wav").write_bytes(b"this is not a wav file at all" * 10)
    return root


def test_wrong_layout_data_dir(tmp_path):
    (tmp_path / "yes").mkdir()
    proc = run_train(["--data-dir", str(tmp_path), "--out", str(tmp_path / "out"),
                      "--cache-dir", str(tmp_path / "cache")])
    assert_one_line_error(proc, "not a Speech Commands folder", "validation_list.txt", "no/")


def test_missing_data_dir(tmp_path):
    proc = run_train(["--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert_one_line_error(proc, "not a directory")


def test_missing_espeak(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = run_train(["--quick", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")],
                     env={"PATH": str(empty)})
    assert_one_line_error(proc, "espeak-ng not found")


@pytest.mark.parametrize("bad,needle", [("stereo8k", "wrong WAV format"), ("garbage", "not a readable WAV")])
def test_bad_wav_in_data_dir(tmp_path, seed, bad, needle):
    root = fake_speech_commands(tmp_path / "sc", np.random.default_rng(seed), bad=bad)
    proc = run_train(["--data-dir", str(root), "--out", str(tmp_path / "out"),
                      "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    line = assert_one_line_error(proc, needle, "badbad00_nohash_0.wav")
    assert len(line) < 400


@pytest.mark.parametrize("args,needle", [
    (["--width", "0"], "--width"), (["--blocks", "-1"], "--blocks"), (["--batch-size", "0"], "--batch-size"),
    (["--epochs", "0"], "--epochs"), (["--dropout", "2"], "--dropout"), (["--lr", "0"], "--lr"),
    (["--label-smoothing", "1"], "--label-smoothing"), (["--time-budget", "-5"], "--time-budget"),
    (["--workers", "0"], "--workers"), (["--min-lr", "0.1"], "--min-lr"), (["--seed", "x"], "--seed"),
    (["--lr", "nan"], "--lr"),
])
def test_bad_numeric_option_is_one_line_before_any_work(args, needle):
    """Range errors are argparse's, before the data and feature phases (they used to be tracebacks
    after them)."""
    r = run_train([*args, "--quick"], timeout=60)
    assert_one_line_error(r, needle)
    assert "[data]" not in r.stdout


@pytest.mark.parametrize("opt", ["--out", "--clips", "--cache-dir"])
def test_unwritable_output_is_one_line_before_any_work(tmp_path, opt):
    blocker = tmp_path / "file"
    blocker.write_text("x")              # a path under a regular file can never be created
    r = run_train(["--quick", opt, str(blocker / "sub")], timeout=60)
    assert_one_line_error(r, opt)
    assert "[data]" not in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["--engines", "espeak,nope"], "unknown engine 'nope'"),
    (["--engines", "espeak", "--held-out-engines", "kokoro"], "held-out engine 'kokoro' is not in the engine list"),
])
def test_bad_engine_list_is_one_line_before_any_work(tmp_path, args, needle):
    r = run_train([*args, "--quick", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")],
                  timeout=60)
    assert_one_line_error(r, needle)
    assert "[data]" not in r.stdout


def test_output_and_cache_in_one_directory_is_refused(tmp_path):
    r = run_train(["--quick", "--out", str(tmp_path / "d"), "--cache-dir", str(tmp_path / "d")], timeout=60)
    assert_one_line_error(r, "must be different directories")
    assert "[data]" not in r.stdout


def _descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        out += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return out


def test_sigterm_in_the_data_phase_is_one_line_and_leaves_no_worker(tmp_path):
    """SIGTERM while the corpus pool synthesizes: `error: terminated`, rc 143, no traceback from the pool's
    workers (they inherit the CLI's SIGTERM handler unless the pool resets it), no worker left behind."""
    import signal
    import time
    p = subprocess.Popen([sys.executable, str(TRAIN), "--quick", "--quiet", "--cache-dir", str(tmp_path / "c"),
                          "--out", str(tmp_path / "o")], cwd=str(ROOT), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
    try:
        assert p.stdout.readline().startswith("[data] generating"), "the data phase did not start"
        kids = []
        for _ in range(600):                       # the pool's workers appear
            kids = _descendants(p.pid)
            if kids:
                break
            time.sleep(0.05)
        assert kids, "no worker process seen"
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 143, (p.returncode, err[-2000:])
    assert err.strip() == "error: terminated", err[-3000:]
    time.sleep(0.5)
    alive = [k for k in kids if Path(f"/proc/{k}").exists() and "zombie" not in
             Path(f"/proc/{k}/status").read_text(errors="replace").lower()]
    assert not alive, f"workers left running: {alive}"

"""firmware/src/kws_detect.c (posterior smoothing, threshold, refractory) vs a Python reference."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import ROOT

SRC = ROOT / "firmware" / "src" / "kws_detect.c"


class Detector(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int) for n in ("n_classes", "window", "threshold", "refractory", "first_keyword",
                                            "filled", "pos", "since_last", "last")] + [
        ("sum", ctypes.c_int32 * 16), ("hist", (ctypes.c_uint8 * 16) * 32)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    if shutil.which("cc") is None:
        pytest.fail("no C compiler: run scripts/setup.sh")
    so = tmp_path_factory.mktemp("kws") / "libkwsdetect.so"
    subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o", str(so),
                    f"-I{ROOT / 'firmware' / 'include'}", str(SRC)],
                   check=True)
    return ctypes.CDLL(str(so))


def reference(probs, window, threshold, refractory, first_kw):
    """The detector's definition: mean of the last `window` hops (zeros before the first), best keyword,
    refractory time, and no second report of the same keyword until its mean fell below threshold."""
    p = probs.astype(np.int64) + 128
    out, scores, since, last = [], [], refractory, None
    for t in range(len(p)):
        sums = p[max(0, t - window + 1):t + 1].sum(axis=0)
        best = first_kw + int(np.argmax(sums[first_kw:]))      # first index wins ties, like the C loop
        score = int(sums[best] // window)
        since = min(since + 1, refractory)
        if last is not None and sums[last] // window < threshold:
            last = None
        hit = score >= threshold and since >= refractory and best != last
        if hit:
            since, last = 0, best
        out.append(best if hit else -1)
        scores.append(score)
    return out, scores


@pytest.mark.parametrize("window,threshold,refractory", [(1, 128, 0), (3, 150, 10), (8, 200, 25), (32, 60, 5)])
def test_detector_matches_reference(lib, seed, window, threshold, refractory):
    rng = np.random.default_rng(seed)
    n_classes, first_kw, hops = 12, 2, 400
    probs = rng.integers(-128, 128, (hops, n_classes)).astype(np.int8)
    # Bursts where one keyword dominates, like a spoken word passing through the window.
    for start in rng.integers(0, hops - 30, 8):
        k = int(rng.integers(first_kw, n_classes))
        probs[start:start + 25] = -128
        probs[start:start + 25, k] = 127
    d = Detector()
    assert lib.kws_detect_init(ctypes.byref(d), n_classes, window, threshold, refractory, first_kw) == 0
    score = ctypes.c_int()
    got, got_scores = [], []
    for row in probs:
        buf = (ctypes.c_int8 * n_classes)(*row.tolist())
        got.append(lib.kws_detect_step(ctypes.byref(d), buf, ctypes.byref(score)))
        got_scores.append(score.value)
    want, want_scores = reference(probs, window, threshold, refractory, first_kw)
    assert got_scores == want_scores
    assert got == want
    assert any(g >= 0 for g in got)              # the bursts are detected ...
    if refractory:                                # ... and never twice within the refractory time
        hits = [t for t, g in enumerate(got) if g >= 0]
        assert all(b - a >= refractory for a, b in zip(hits, hits[1:]))


def test_silence_and_unknown_are_never_reported(lib):
    d = Detector()
    assert lib.kws_detect_init(ctypes.byref(d), 12, 3, 100, 0, 2) == 0
    row = [127, 127] + [-128] * 10                    # all probability on silence/unknown
    buf = (ctypes.c_int8 * 12)(*row)
    assert all(lib.kws_detect_step(ctypes.byref(d), buf, None) == -1 for _ in range(20))


def test_bad_parameters_are_refused(lib):
    d = Detector()
    assert lib.kws_detect_init(ctypes.byref(d), 0, 3, 100, 0, 0) == -1
    assert lib.kws_detect_init(ctypes.byref(d), 12, 33, 100, 0, 2) == -1
    assert lib.kws_detect_init(ctypes.byref(d), 12, 3, 100, 0, 12) == -1


def test_one_report_per_occurrence(lib):
    """A keyword that stays above threshold for long is reported once, even with no refractory time;
    after its score falls below the threshold it can be reported again."""
    d = Detector()
    assert lib.kws_detect_init(ctypes.byref(d), 12, 1, 200, 0, 2) == 0
    on = (ctypes.c_int8 * 12)(*([-128, -128, 127] + [-128] * 9))
    off = (ctypes.c_int8 * 12)(*([127] + [-128] * 11))
    hits = [lib.kws_detect_step(ctypes.byref(d), on, None) for _ in range(30)]
    assert hits == [2] + [-1] * 29
    assert lib.kws_detect_step(ctypes.byref(d), off, None) == -1
    assert lib.kws_detect_step(ctypes.byref(d), on, None) == 2

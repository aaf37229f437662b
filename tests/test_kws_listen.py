"""python -m kws listen: the SoC demo's detections on the bundled clips, and one error line per bad input."""
import numpy as np
import pytest

from tests.conftest import ROOT

CLIPS = ROOT / "models" / "clips"
DEMO = ["00_silence.wav", "02_unknown_nothing.wav", "04_yes.wav", "05_no.wav", "06_up.wav", "07_down.wav"]
# The SoC demo's UART lines (README, `bash scripts/run.sh`: Verilator, hardware front-end + accelerator).
SOC_DETECTIONS = ["detect: yes conf=182/255 t=4140ms", "detect: no conf=181/255 t=5440ms"]


def _main(argv, capsys):
    from kws.__main__ import main
    try:
        rc = main(argv)
    except SystemExit as e:          # argparse usage errors
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_demo_clips_detect_as_the_soc(capsys):
    rc, out, err = _main(["listen"] + [str(CLIPS / c) for c in DEMO], capsys)
    assert rc == 0, err
    assert [l for l in out.splitlines() if l.startswith("detect:")] == SOC_DETECTIONS
    assert "2 detection(s) in 449 frames" in out        # the firmware's frame count for the 9.00 s stream
    summary = out.split("detections per clip:")[1]
    assert "00_silence.wav               -> nothing" in summary
    assert "02_unknown_nothing.wav       -> nothing" in summary
    assert "04_yes.wav                   -> yes (182/255 at 4.14 s)" in summary
    assert "06_up.wav                    -> nothing" in summary


def test_inference_times_follow_the_firmware():
    from kws.pipeline import inference_times
    frames, t = inference_times(144000)              # 9 s: 450 hops, the first fills no 30 ms window
    assert len(frames) == 449 and frames[0] == 1 and t[0] == 40 and t[-1] == 9000
    # a short last hop completes no frame: the front-end frames on whole hops (the RTL and
    # frontend.golden.Streaming; the SoC with 4,041 samples in its front-end reports 11 frames, not 12,
    # tests/test_soc_kws.py::test_kws_zero_copy_odd_tail_equals_golden)
    frames, t = inference_times(3 * 320 + 200)
    assert list(frames) == [1, 2] and list(t) == [40, 60]
    assert len(inference_times(4041)[0]) == 11 and len(inference_times(4160)[0]) == 12
    assert len(inference_times(479)[0]) == 0


def test_ring_starts_as_silence():
    from kws import pipeline as P
    sil = np.arange(10, dtype=np.int8)
    feats = np.full((3, 10), 7, np.int8)
    w = P.windows(feats, sil, np.array([1, 3]))
    assert w.shape == (2, 49, 10)
    assert (w[0, :48] == sil).all() and (w[0, 48] == 7).all()
    assert (w[1, :46] == sil).all() and (w[1, 46:] == 7).all()


@pytest.mark.parametrize("args,msg", [
    (["listen", "nope.wav"], "no such file"),
    (["listen", str(CLIPS)], "is a directory"),
    (["listen", str(CLIPS / "04_yes.wav"), "--threshold", "1.5"], "out of range"),
    (["listen", str(CLIPS / "04_yes.wav"), "--threshold", "abc"], "is not a number"),
    (["listen", str(CLIPS / "04_yes.wav"), "--smooth-hops", "33"], "out of range"),
    (["listen", str(CLIPS / "04_yes.wav"), "--smooth-hops", "0"], "out of range"),
    (["listen", str(CLIPS / "04_yes.wav"), "--refractory", "-1"], "out of range"),
    (["listen", str(CLIPS / "04_yes.wav"), "--gap", "nan"], "not a finite number"),
    (["listen"], "required"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_are_one_error_line(capsys, args, msg):
    rc, out, err = _main(args, capsys)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and msg in lines[0], err


def test_bad_files_are_one_error_line(capsys, tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file at all")
    bad_model = tmp_path / "m.tflite"
    bad_model.write_bytes(b"\0" * 64)
    for args in (["listen", str(junk)], ["listen", str(CLIPS / "04_yes.wav"), "--model", str(bad_model)],
                 ["listen", str(CLIPS / "04_yes.wav"), "--model", str(CLIPS / "04_yes.wav")]):
        rc, out, err = _main(args, capsys)
        lines = err.strip().splitlines()
        assert rc == 2 and len(lines) == 1 and lines[0].startswith("error:"), (args, err)


def test_model_for_another_front_end_is_refused():
    from kws.pipeline import PipelineError, feature_mode_for

    class T:
        shape, scale, zero_point = (49, 10, 1), 0.5, 0

    class M:
        input = T()
    with pytest.raises(PipelineError, match="matches no front-end mode"):
        feature_mode_for(M())


def test_golden_fast_equals_golden(seed):
    """accel.golden_fast (the stream's batches) is accel.golden bit for bit: whole model and requantization."""
    from accel import golden, quant
    from accel.tflite_import import load_tflite
    from accel import golden_fast
    m = load_tflite(str(ROOT / "models" / "dscnn_int8.tflite"))
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (24,) + tuple(m.input.shape)).astype(np.int8)
    x[:4] = -128                                        # saturated corners
    x[4:8] = 127
    assert np.array_equal(golden_fast.run(m, x), golden.run(m, x))
    # requantization on extreme accumulators, every shift sign, int32 wrap-around, INT32_MIN x INT32_MIN
    acc = np.concatenate([rng.integers(-(1 << 40), 1 << 40, (200, 6)),
                          np.array([[-(1 << 31), (1 << 31) - 1, 0, -1, 1, 1 << 31]] * 2)]).astype(np.int64)
    mult = np.array([-(1 << 31), (1 << 31) - 1, 1 << 30, 1518500250, 1, 2004318071], np.int64)
    shift = np.array([0, 3, -1, -12, 31, -31], np.int64)
    for zp, lo, hi in ((0, -128, 127), (-5, -128, 127), (7, 0, 127)):
        want = quant.requantize(quant.wrap_int32(acc), mult, shift, zp, lo, hi)
        assert np.array_equal(golden_fast.requantize(acc, mult, shift, zp, lo, hi), want)

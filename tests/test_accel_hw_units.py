"""Unit tests of Migen modules in Migen's simulator: requant lane and MAC array vs numpy/accel.quant."""
import numpy as np
import pytest
from migen.sim import run_simulation

from accel.hw.mac_array import MacArray
from accel.hw.requant import RequantLane
from accel.quant import INT32_MAX, INT32_MIN, quantize_multiplier, requantize, wrap_int32


def test_requant_lane_matches_tflm_rounding(seed):
    rng = np.random.default_rng(seed)
    n = 400
    acc = rng.integers(INT32_MIN, INT32_MAX, n, dtype=np.int64, endpoint=True)
    acc[:8] = [INT32_MIN, INT32_MAX, 0, -1, 1, 1 << 30, -(1 << 30), 12345]
    small = rng.random(n) < 0.5
    acc[small] = rng.integers(-(1 << 20), 1 << 20, small.sum())
    bias = rng.integers(-(1 << 31), 1 << 31, n, dtype=np.int64)
    bias[rng.random(n) < 0.5] = 0
    mult, shift = [], []
    for i in range(n):
        real = float(10 ** rng.uniform(-10, 1.7)) if i % 7 else float(np.nextafter(1.0, 0) * 2.0 ** rng.integers(-31, 8))
        m, s = quantize_multiplier(real)
        mult.append(m)
        shift.append(s)
    mult, shift = np.array(mult, np.int64), np.array(shift, np.int64)
    zp = rng.integers(-128, 128, n)
    lo = rng.integers(-128, 0, n)
    hi = rng.integers(0, 128, n)
    x = wrap_int32(acc + bias)
    dut = RequantLane()
    out = []

    def tb():
        for i in range(n + RequantLane.LATENCY + 1):
            if i < n:
                yield dut.i_valid.eq(1)
                yield dut.acc.eq(int(acc[i]))
                yield dut.bias.eq(int(bias[i]))
                yield dut.mult.eq(int(mult[i]))
                yield dut.shift.eq(int(shift[i]))
                yield dut.out_zp.eq(int(zp[i]))
                yield dut.act_min.eq(int(lo[i]))
                yield dut.act_max.eq(int(hi[i]))
            else:
                yield dut.i_valid.eq(0)
            yield
            if (yield dut.o_valid):
                out.append((yield dut.out))
    run_simulation(dut, tb())
    # the clamp inputs are read combinationally at the last stage, i.e. LATENCY-1 cycles after the vector
    shifted_lo = np.concatenate([lo[RequantLane.LATENCY - 1:], np.repeat(lo[-1], RequantLane.LATENCY - 1)])
    shifted_hi = np.concatenate([hi[RequantLane.LATENCY - 1:], np.repeat(hi[-1], RequantLane.LATENCY - 1)])
    shifted_zp = np.concatenate([zp[RequantLane.LATENCY - 1:], np.repeat(zp[-1], RequantLane.LATENCY - 1)])
    ref = np.array([requantize(x[i], mult[i], shift[i], shifted_zp[i], shifted_lo[i], shifted_hi[i])
                    for i in range(n)], np.int64)
    assert len(out) == n
    bad = np.nonzero(np.array(out) != ref)[0]
    assert not len(bad), (f"{len(bad)} mismatches, first at {bad[0]}: acc={acc[bad[0]]} bias={bias[bad[0]]} "
                          f"M={mult[bad[0]]} shift={shift[bad[0]]}: rtl {out[bad[0]]} ref {ref[bad[0]]}")


@pytest.mark.parametrize("rows", [8, 16])
def test_mac_array_modes(seed, rows):
    """rows=16: rows r and r+8 share one packed 9x25 multiply; extreme operands (+-255 x -128) included."""
    rng = np.random.default_rng(seed)
    R = rows
    dut = MacArray(R, 8, meta_width=4)
    steps = []
    for mode in ("gemm", "col", "diag", "max"):
        nk = int(rng.integers(1, 6))
        for k in range(nk):
            steps.append(dict(mode=mode, first=k == 0, last=k == nk - 1,
                              taps=rng.choice([-255, 255, -128, 0], 8) if k == 0 else rng.integers(-255, 256, 8),
                              diag=rng.integers(-255, 256, (8, 8)),
                              w=rng.choice([-128, 127], (R, 8)) if k == 0 else rng.integers(-128, 128, (R, 8)),
                              col=int(rng.integers(8))))
    # reference
    refs = []
    acc = np.zeros(R, np.int64)
    lane = np.arange(R) % 8                               # rows 8..15 shadow rows 0..7 outside GEMM
    for s in steps:
        if s["mode"] == "gemm":
            v = s["w"] @ s["taps"]
        elif s["mode"] == "col":
            v = s["taps"][lane] * s["w"][:, s["col"]]
        elif s["mode"] == "diag":
            v = (s["diag"].T[lane] * s["w"]).sum(1)      # cell (r, c): diag[c][r % 8] * w[r][c]
        else:
            v = s["taps"][lane].copy()                    # max pool: column taps, weight 1
        if s["first"]:
            acc = v.copy()
        elif s["mode"] == "max":
            acc = np.maximum(acc, v)
        else:
            acc = acc + v
        if s["last"]:
            refs.append(wrap_int32(acc))
    got = []

    def tb():
        for i in range(len(steps) + 4):
            if i < len(steps):
                s = steps[i]
                yield dut.valid.eq(1)
                yield dut.first.eq(int(s["first"]))
                yield dut.last.eq(int(s["last"]))
                yield dut.col_mode.eq(int(s["mode"] in ("col", "max")))
                yield dut.diag_mode.eq(int(s["mode"] == "diag"))
                yield dut.ones.eq(int(s["mode"] == "max"))
                yield dut.maxmode.eq(int(s["mode"] == "max"))
                yield dut.col_sel.eq(s["col"] if s["mode"] != "max" else 0)
                w = 0
                for r in range(R):
                    for c in range(8):
                        w |= (int(s["w"][r, c]) & 0xFF) << (8 * (r * 8 + c))
                yield dut.w.eq(w)
                for c in range(8):
                    yield dut.taps[c].eq(int(s["taps"][c]))
                    for r in range(8):
                        yield dut.diag[c][r].eq(int(s["diag"][c, r]))
            else:
                yield dut.valid.eq(0)
            yield
            if (yield dut.res_valid):
                row = []
                for r in range(R):
                    row.append((yield dut.res[r]))
                got.append(np.array(row, np.int64))
    run_simulation(dut, tb())
    assert len(got) == len(refs)
    for g, r in zip(got, refs):
        assert np.array_equal(g, r), (g, r)

"""I2S receiver (soc/i2s_rx.py) against a bit-accurate model of an INMP441-style microphone.

The model behaves like the microphone's serial port: it samples WS on the rising edge of SCK, and
after it sees WS change it shifts the next 24-bit word of that channel out on the following falling
edges, MSB first (so the MSB appears one SCK period after the WS edge).  Bits after the 24th (and a
channel with no microphone) are random, as a floating SD line would be.  Two microphones share SD
(one left, one right) with different sample sequences, so channel selection is observable.

The functional tests run the receiver at 12.8 MHz (same fractional divider, 6-9 system cycles per SCK
half period instead of ~49) to keep Migen's simulator fast; the 100 MHz rate is checked separately.
"""
import random

import pytest
from migen import Module, run_simulation
from migen.sim import passive
from migen.genlib.record import Record

from soc.i2s_rx import I2SRxCore, I2SRx, divider, to_s16

TEST_CLK = 12_800_000
EDGE = [-8388608, -8388607, 8388607, 0x7FFF80, 0x7FFF7F, -1, 0, 1, 127, 128, -128, -129, 255, 256,
        -32768 * 256 + 127, -32768 * 256 + 128, 0x400000, -0x400000]


def samples(rng, n):
    xs = list(EDGE)
    while len(xs) < n:
        xs.append(rng.randrange(-(1 << 23), 1 << 23))
    return xs[:n]


class Mic:
    """Two INMP441s on one SD line (L/R pin low and high)."""

    def __init__(self, left, right, rng):
        self.words = {0: list(left), 1: list(right)}
        self.pos = {0: 0, 1: 0}
        self.rng = rng
        self.ws_seen = 1          # as if the previous slot was right: the first WS low starts a left word
        self.word = None
        self.bit = 0

    @passive
    def proc(self, sck, ws, sd):
        prev = 0
        while True:
            s = yield sck
            if s and not prev:                      # rising edge: sample WS
                w = yield ws
                if w != self.ws_seen:
                    self.ws_seen = w
                    ch = w
                    lst = self.words[ch]
                    self.word = lst[self.pos[ch]] if self.pos[ch] < len(lst) else 0
                    self.pos[ch] += 1
                    self.bit = -1                   # next falling edge: MSB
            elif prev and not s:                    # falling edge: shift out
                if self.word is not None and self.bit == -1:
                    self.bit = 0
                if self.word is not None and 0 <= self.bit < 24:
                    v = ((self.word & 0xFFFFFF) >> (23 - self.bit)) & 1
                    self.bit += 1
                else:
                    v = self.rng.randrange(2)      # tri-stated: anything
                yield sd.eq(v)
            prev = s
            yield


def run(dut, mic, n_out, channel, slot32, ready_fn=lambda cyc: 1, clear_at=None, max_cycles=None):
    got, state = [], {}
    frame = TEST_CLK // 16000 if dut.sys_clk_freq == TEST_CLK else dut.sys_clk_freq // 16000
    max_cycles = max_cycles or (n_out + 4) * frame + 1000

    def ctrl():
        yield dut.channel.eq(channel)
        yield dut.slot32.eq(slot32)
        yield
        yield
        yield dut.enable.eq(1)
        cyc = 0
        while len(got) < n_out and cyc < max_cycles:
            yield dut.source.ready.eq(ready_fn(cyc))
            if clear_at is not None and cyc == clear_at:
                state["overrun_before_clear"] = yield dut.overrun
                yield dut.clear_overrun.eq(1)
            else:
                yield dut.clear_overrun.eq(0)
            v = yield dut.source.valid
            r = yield dut.source.ready
            if v and r:
                d = yield dut.source.data
                got.append(d - 65536 if d & 0x8000 else d)
            cyc += 1
            yield
        for k in ("count", "dropped", "overrun"):
            state[k] = yield getattr(dut, k)
        state["cycles"] = cyc

    run_simulation(dut, [ctrl(), mic.proc(dut.sck, dut.ws, dut.sd)])
    return got, state


def test_conversion_reference():
    assert to_s16(-8388608) == -32768
    assert to_s16(8388607) == 32767 and to_s16(0x7FFF80) == 32767 and to_s16(0x7FFF7F) == 32767
    assert to_s16(0x7FFF7F - 0x100) == 32766
    assert to_s16(127) == 0 and to_s16(128) == 1 and to_s16(-128) == 0 and to_s16(-129) == -1


def test_divider_exact_rates():
    assert divider(100_000_000, 16_000, 32) == (64, 3125)
    assert divider(100_000_000, 16_000, 24) == (48, 3125)
    r = I2SRxCore(100_000_000, 16_000).rates()
    assert r[32]["sck_hz"] == 1_024_000 and r[32]["fs_hz"] == 16_000 and r[32]["cycles_per_frame"] == 6250
    assert r[24]["sck_hz"] == 768_000 and r[24]["fs_hz"] == 16_000 and r[24]["cycles_per_frame"] == 6250
    assert r[32]["half_period_cycles"] == (48, 49)


def _measure_clock(slot32, frames=2):
    dut = I2SRxCore(100_000_000, 16_000)
    res = {"ws_rises": [], "sck_rises": [], "halves": []}

    def gen():
        yield dut.slot32.eq(slot32)
        yield
        yield dut.enable.eq(1)
        prev_sck, prev_ws, last_edge = 0, 0, None
        for cyc in range(6250 * frames + 200):
            s, w = (yield dut.sck), (yield dut.ws)
            if s != prev_sck:
                if last_edge is not None:
                    res["halves"].append(cyc - last_edge)
                last_edge = cyc
                if s:
                    res["sck_rises"].append(cyc)
            if w and not prev_ws:
                res["ws_rises"].append(cyc)
            prev_sck, prev_ws = s, w
            yield
    run_simulation(dut, gen())
    return res


def test_clock_at_100mhz_is_exactly_16khz():
    for slot32, bits, halves in ((1, 32, {48, 49}), (0, 24, {65, 66})):
        r = _measure_clock(slot32)
        ws = r["ws_rises"]
        assert len(ws) >= 2
        assert all(b - a == 6250 for a, b in zip(ws, ws[1:])), "frame must be exactly 6250 cycles (16 kHz)"
        per_frame = sum(1 for t in r["sck_rises"] if ws[0] <= t < ws[1])
        assert per_frame == 2 * bits
        assert set(r["halves"]) == halves


def _check_channel(channel, slot32, seed, n=24):
    rng = random.Random(seed)
    left, right = samples(rng, n + 8), [rng.randrange(-(1 << 23), 1 << 23) for _ in range(n + 8)]
    dut = I2SRxCore(TEST_CLK, 16_000)
    got, st = run(dut, Mic(left, right, rng), n, channel, slot32)
    want = [to_s16(x) for x in (right if channel else left)][:n]
    assert len(got) == n, f"only {len(got)} samples in {st['cycles']} cycles"
    assert got == want  # nothing lost, duplicated, reordered, or from the other channel
    assert st["count"] == n and st["dropped"] == 0 and st["overrun"] == 0
    other = [to_s16(x) for x in (left if channel else right)][:n]
    assert got != other


def test_left_32bit_slots(seed):
    _check_channel(0, 1, seed)


def test_right_32bit_slots(seed):
    _check_channel(1, 1, seed)


def test_left_24bit_slots(seed):
    _check_channel(0, 0, seed)


def test_right_24bit_slots(seed):
    # 24-bit slots: the right word's LSB is clocked in the first SCK period of the next frame
    _check_channel(1, 0, seed)


@pytest.mark.slow
@pytest.mark.parametrize("channel,slot32", [(0, 1), (1, 0)])
def test_few_hundred_samples_no_loss_no_dup(channel, slot32, seed):
    _check_channel(channel, slot32, seed, n=300)   # ~240k cycles each: minutes in Migen's simulator


def test_negative_full_scale_and_saturation():
    rng = random.Random(1)
    vals = [-8388608, 8388607, 0x7FFF80, -8388608, -1, 0x7FFF7F, -8388608]
    dut = I2SRxCore(TEST_CLK, 16_000)
    got, _ = run(dut, Mic(vals, vals, rng), len(vals), 0, 1)
    assert got == [to_s16(v) for v in vals]
    assert got[0] == -32768 and got[1] == 32767 and got[2] == 32767 and got[4] == 0  # -1/256 rounds to 0


def test_backpressure_sets_overrun_and_drops_never_wraps(seed):
    rng = random.Random(seed)
    n_total = 60
    left = samples(rng, n_total + 40)
    frame = TEST_CLK // 16000
    stall = (20 * frame, 20 * frame + 12 * frame)           # ~12 sample periods with ready low
    dut = I2SRxCore(TEST_CLK, 16_000)
    got, st = run(dut, Mic(left, left[::-1], rng), n_total, 0, 1,
                  ready_fn=lambda c: 0 if stall[0] <= c < stall[1] else 1,
                  clear_at=stall[1] + 5 * frame)
    want = [to_s16(x) for x in left]
    assert st["overrun_before_clear"] == 1, "stalled stream must raise overrun"
    assert st["overrun"] == 0, "clear_overrun clears the flag"
    d = st["dropped"]
    assert 10 <= d <= 13
    a = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    assert got[:a] == want[:a]
    assert got[a:] == want[a + d:a + d + len(got) - a], "after the gap the stream resumes in order"
    assert st["count"] == len(got)                             # delivered, each exactly once
    assert a + d + len(got) - a <= len(want)


def test_litex_wrapper_csrs():
    rng = random.Random(7)
    left = [rng.randrange(-(1 << 23), 1 << 23) for _ in range(12)]
    right = [-8388608] + [rng.randrange(-(1 << 23), 1 << 23) for _ in range(11)]

    class Top(Module):
        def __init__(self):
            self.pads = Record([("sck", 1), ("ws", 1), ("sd", 1)])
            self.submodules.i2s = I2SRx(self.pads, TEST_CLK, 16_000)

    top = Top()
    i2s = top.i2s
    out = {}

    def ctrl():
        # channel right, 32-bit slots, enable
        yield i2s.control.storage.eq(0b011)
        yield i2s.source.ready.eq(0)                # nobody reads: the first sample waits, the rest drop
        for _ in range(6 * (TEST_CLK // 16000)):
            yield
        out["count"] = yield i2s.count.status
        out["dropped"] = yield i2s.dropped.status
        out["status"] = yield i2s.status.status
        out["data"] = yield i2s.source.data
        out["last"] = yield i2s.last.status

    run_simulation(top, [ctrl(), Mic(left, right, rng).proc(top.pads.sck, top.pads.ws, top.pads.sd)])
    assert out["count"] == 1 and out["dropped"] >= 3
    assert out["status"] == 0b11                    # overrun, valid
    assert out["data"] == to_s16(right[0]) & 0xFFFF == 0x8000
    assert out["last"] == to_s16(right[out["dropped"]]) & 0xFFFFFFFF  # sign-extended int16

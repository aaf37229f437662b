"""PDM receiver (soc/pdm_rx.py) against its bit-accurate model (soc/pdm_model.py).

* The model itself: its vectorised CIC equals a direct per-bit run of the register recurrences, a
  sine through modulator + model comes out as the sine (amplitude = the CIC's droop, SNR), silence
  is silent and full scale saturates to the rails.
* The RTL: a Verilator harness (tests/harness/pdm_rx_tb.cpp, an ADMP421-like microphone with a second
  microphone's random bits in the other half period) runs PDMRxCore at 20 MHz (the same fractional
  divider, ~5 and ~10 system cycles per CLK half period instead of 24 and 49 at 100 MHz, so 1 s of
  audio is 20 M cycles) on >= 1 s of PDM per mode, with silence, both full-scale rails, sines and
  random bits, and every output sample must equal the model's.
* The same comparison on 24 samples in Migen's simulator (no Verilator needed).
* Clocking at the real 100 MHz / 75 MHz and the LiteX wrapper's CSRs / back-pressure in Migen's
  simulator (a few thousand cycles).
"""
import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from migen import Module, run_simulation
from migen.genlib.record import Record

from soc import pdm_model as M
from soc.pdm_rx import PDMRx, PDMRxCore, write_verilog

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "harness" / "pdm_rx_tb.cpp"
TEST_CLK = 20_000_000


# ---- the model ------------------------------------------------------------------------------------

def direct(bits, mode, dc_block, gain):
    """The receiver's registers, one PDM bit at a time (an independent reading of pdm_model's text)."""
    W = M.CIC_WIDTH
    mask = (1 << W) - 1
    integ = [0] * M.CIC_ORDER
    delay = [0] * M.CIC_ORDER
    xp = yp = 0
    out = []
    for n, b in enumerate(bits):
        old = list(integ)
        integ[0] = (old[0] + (1 if b else -1)) & mask
        for k in range(1, M.CIC_ORDER):
            integ[k] = (old[k] + old[k - 1]) & mask
        if (n + 1) % mode.decimation:
            continue
        c = integ[-1]
        for k in range(M.CIC_ORDER):
            c, delay[k] = (c - delay[k]) & mask, c
        c = c - (1 << W) if c >> (W - 1) else c
        x = c * 2 ** (M.FS_BITS - mode.growth)
        if dc_block:
            yp = x - xp + yp - (yp // 2 ** M.DC_SHIFT)
            xp = x
            x = yp
        s = (x * 2 ** gain + 2 ** (M.OUT_SHIFT - 1)) // 2 ** M.OUT_SHIFT
        out.append(max(-32768, min(32767, s)))
    return out


@pytest.mark.parametrize("mode", M.MODES, ids=lambda m: m.name)
def test_model_equals_direct_recurrence(mode, seed):
    rng = np.random.default_rng(seed)
    n = 40 * mode.decimation
    for dc, gain, bits in ((True, 0, rng.integers(0, 2, n)), (False, 3, rng.integers(0, 2, n)),
                           (True, 7, np.ones(n, int)), (False, 0, np.zeros(n, int)),
                           (True, 2, M.modulate(M.tone(n / mode.pdm_clk_hz, mode, 2500, 0.7)))):
        assert M.receive(bits, mode, dc, gain).tolist() == direct(bits.tolist(), mode, dc, gain)


def _fit(s, f, fs=16000):
    n = np.arange(len(s))
    a = np.stack([np.sin(2 * np.pi * f * n / fs), np.cos(2 * np.pi * f * n / fs), np.ones(len(s))], 1)
    c, *_ = np.linalg.lstsq(a, s, rcond=None)
    res = s - a @ c
    amp = np.hypot(c[0], c[1])
    return amp, 10 * np.log10(amp ** 2 / 2 / np.mean(res ** 2))


@pytest.mark.parametrize("mode", M.MODES, ids=lambda m: m.name)
def test_model_sine_comes_out_as_the_sine(mode):
    for f, a, min_snr in ((1000, 0.5, 58), (250, 0.25, 48)):   # 2nd-order modulator noise: ~-64 dBFS
        s = M.receive(M.modulate(M.tone(0.25, mode, f, a)), mode).astype(float)[400:]
        amp, snr = _fit(s, f)
        want = a * 32768 * 10 ** (M.cic_gain_db(f, mode) / 20)
        print(f"{mode.name} {f} Hz at {a}: amplitude {amp:.1f} (CIC droop predicts {want:.1f}), SNR {snr:.1f} dB")
        assert abs(amp / want - 1) < 0.005 and snr > min_snr


@pytest.mark.parametrize("mode", M.MODES, ids=lambda m: m.name)
def test_model_silence_and_full_scale(mode):
    n = int(0.1 * mode.pdm_clk_hz)
    quiet = M.receive(M.modulate(np.zeros(n)), mode)
    assert np.abs(quiet[10:]).max() <= 1                # modulated zero: the idle pattern decodes to 0
    assert (M.receive(np.ones(n, np.uint8), mode, dc_block=False)[M.CIC_ORDER:] == 32767).all()
    assert (M.receive(np.zeros(n, np.uint8), mode, dc_block=False)[M.CIC_ORDER:] == -32768).all()
    # DC removal: a constant +50 % density (DC offset) decays to 0 within ~1 s (tau = 1024 samples)
    dc = M.receive(M.modulate(np.full(int(1.5 * mode.pdm_clk_hz), 0.05)), mode)
    assert dc[4:40].min() > 1000 and np.abs(dc[-2000:]).max() <= 2


def test_divider_exact_rates():
    for sys_clk, cps in ((100_000_000, 6250), (75_000_000, 4687.5)):
        r = PDMRxCore(sys_clk).rates()
        for m in M.MODES:
            assert r[m.name]["pdm_clk_hz"] == m.pdm_clk_hz and r[m.name]["fs_hz"] == 16000
            assert r[m.name]["cycles_per_sample"] == cps
    assert PDMRxCore(100_000_000).rates()["2m048"]["half_period_cycles"] == (24, 25)
    with pytest.raises(ValueError, match="too slow"):
        PDMRxCore(12_000_000)                            # < 4 cycles per half period at 2.048 MHz


# ---- the RTL in Verilator -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def harness():
    if shutil.which("verilator") is None:
        pytest.skip("verilator not installed (Debian: verilator)")
    work = ROOT / "build" / "pdm_rx_tb"
    work.mkdir(parents=True, exist_ok=True)
    v = Path(write_verilog(work / "pdm_rx.v", TEST_CLK))
    key = hashlib.sha256(v.read_bytes() + HARNESS.read_bytes()).hexdigest()[:12]
    exe = work / key / "Vpdm_rx"
    if not exe.exists():
        d = work / key
        d.mkdir(exist_ok=True)
        r = subprocess.run(["verilator", "--cc", "--exe", "--build", "-O3", "--x-assign", "fast",
                            "--x-initial", "fast", "-Wno-fatal", "-CFLAGS", "-O2", "--Mdir", str(d / "obj"),
                            "-o", str(exe), str(v), str(HARNESS)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return exe


def stimulus(mode, rng):
    """>= 1 s of PDM: modulated silence, both full-scale rails, sines (one near the modulator's limit),
    random bits (a worst case for the integrators' wraparound)."""
    f = mode.pdm_clk_hz
    seg = [M.modulate(np.zeros(int(0.2 * f))), np.ones(int(0.1 * f), np.uint8),
           M.modulate(M.tone(0.3, mode, 1000, 0.5)), np.zeros(int(0.1 * f), np.uint8),
           M.modulate(M.tone(0.15, mode, 3100, 0.8, 1.0)), rng.integers(0, 2, int(0.1 * f)).astype(np.uint8),
           M.modulate(np.zeros(int(0.06 * f)))]
    bits = np.concatenate(seg).astype(np.uint8)
    assert len(bits) >= f                               # >= 1 s at this mode's PDM clock
    return bits


RUNS = [  # (mode index, channel, dc_block, gain): every mode with and without DC removal, both edges
    (0, 0, 1, 0), (0, 1, 0, 3), (1, 1, 1, 1), (1, 0, 0, 0),
]


@pytest.mark.parametrize("rate,channel,dc,gain", RUNS)
def test_rtl_bit_exact_vs_model_1s(harness, tmp_path, rate, channel, dc, gain, seed):
    mode = M.MODES[rate]
    rng = np.random.default_rng(seed)
    bits = stimulus(mode, rng)
    (tmp_path / "bits").write_bytes(bits.tobytes())
    r = subprocess.run([str(harness), str(tmp_path / "bits"), str(tmp_path / "out"), str(channel), str(rate),
                        str(mode.decimation), str(dc), str(gain), str(seed)], capture_output=True, text=True,
                       timeout=300)
    print(r.stdout.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    got = np.frombuffer((tmp_path / "out").read_bytes(), np.int16)
    want = M.receive(bits, mode, bool(dc), gain)
    assert len(got) == len(want) == len(bits) // mode.decimation >= 16000
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{bad.size} samples differ, first at {bad[0]}: got {got[bad[0]]}, model {want[bad[0]]}"
    stats = dict(zip(r.stdout.split()[0::2], map(int, r.stdout.split()[1::2])))
    assert stats["count"] == len(want) and stats["dropped"] == 0 and stats["overrun"] == 0
    assert stats["lrsel"] == channel
    assert stats["edges"] >= 2 * len(bits)
    if not dc:                                         # the input reached both rails and was quiet
        assert want.max() == 32767 and want.min() == -32768
    assert np.abs(want[int(0.05 * 16000):int(0.2 * 16000)]).max() <= 2 ** gain   # modulated silence


# ---- clocking at 100 MHz, LiteX wrapper, back-pressure (Migen) ---------------------------------

def test_clock_and_lrsel_at_100mhz():
    dut = PDMRxCore(100_000_000)
    res = {}

    def gen():
        for channel, rate in ((0, 0), (1, 1)):
            yield dut.enable.eq(0)
            yield dut.channel.eq(channel)
            yield dut.rate.eq(rate)
            yield
            yield
            yield dut.enable.eq(1)
            prev, last, halves, rises = 0, None, [], 0
            for cyc in range(3000):
                c = yield dut.clk
                if c != prev:
                    if last is not None:
                        halves.append(cyc - last)
                    last = cyc
                    rises += c
                prev = c
                yield
            res[(channel, rate)] = (set(halves), rises, (yield dut.lrsel))
    run_simulation(dut, gen())
    # 2.048 MHz: 24/25-cycle halves, 3000 cycles = 61.44 periods; 1.024 MHz: 48/49, 30.72 periods
    assert res[(0, 0)][0] == {24, 25} and res[(0, 0)][1] in (61, 62) and res[(0, 0)][2] == 0
    assert res[(1, 1)][0] == {48, 49} and res[(1, 1)][1] in (30, 31) and res[(1, 1)][2] == 1


def test_litex_wrapper_csrs_and_backpressure():
    """control = 1 (defaults: channel 0, 2.048 MHz, DC removal, gain 0) with nobody reading: the first
    sample waits in the output register, the following ones are dropped and counted."""
    sys_clk = 8 * 2_048_000             # 4 cycles per half period: 1024 cycles per sample

    class Top(Module):
        def __init__(self):
            self.pads = Record([("clk", 1), ("lrsel", 1), ("data", 1)])
            self.submodules.pdm = PDMRx(self.pads, sys_clk)

    top = Top()
    pdm = top.pdm
    out = {}

    def ctrl():
        yield pdm.source.ready.eq(0)
        yield pdm.control.storage.eq(0b0110_0001)     # enable, gain 6 (gain: bits 4-6)
        yield top.pads.data.eq(1)                       # all ones: positive full scale
        for _ in range(12 * 1024):
            yield
        for k in ("count", "dropped", "status", "last"):
            out[k] = yield getattr(pdm, k).status
        out["data"] = yield pdm.source.data
        out["lrsel"] = yield top.pads.lrsel
        yield pdm.control.storage.eq(0b1110_0001)     # + clear_overrun (a pulse with the write)
        yield pdm.control.re.eq(1)
        yield
        yield pdm.control.re.eq(0)
        yield
        out["status2"] = yield pdm.status.status
    run_simulation(top, ctrl())
    assert out["count"] == 1 and out["dropped"] >= 8 and out["status"] == 0b11 and out["lrsel"] == 0
    first = int(M.receive(np.ones(128, np.uint8), M.MODES[0], True, 6)[0])
    assert out["data"] == first & 0xFFFF and out["last"] == 32767   # the rail, after gain x64
    assert out["status2"] & 1 == 0


@pytest.mark.parametrize("rate,channel,dc,gain", [(0, 0, 1, 2), (1, 1, 0, 0)])
def test_rtl_bit_exact_short_migen(rate, channel, dc, gain, seed):
    """The same comparison as the Verilator runs on 24 samples in Migen's simulator (no Verilator needed):
    random bits, so every integrator and comb bit toggles."""
    mode = M.MODES[rate]
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, 24 * mode.decimation).astype(np.uint8).tolist()
    dut = PDMRxCore(8 * 2_048_000)                    # 4 / 8 cycles per CLK half period
    got = []

    def mic():
        idx = 0
        yield dut.data.eq(0 if channel else bits[0])
        idx = 0 if channel else 1
        prev, pending = 0, None
        while True:
            if pending is not None:
                yield dut.data.eq(pending)
                pending = None
            yield
            c = yield dut.clk
            if c != prev:
                drive = (c == 1) if channel else (c == 0)
                if drive:
                    pending = bits[idx] if idx < len(bits) else 0
                    idx += 1
                else:
                    pending = int(rng.integers(0, 2))
            prev = c

    def ctrl():
        yield dut.source.ready.eq(1)
        yield dut.channel.eq(channel)
        yield dut.rate.eq(rate)
        yield dut.dc_block.eq(dc)
        yield dut.gain.eq(gain)
        yield
        yield dut.enable.eq(1)
        for _ in range(2 * len(bits) * (8 if rate else 4) * 2 + 200):
            yield
            if (yield dut.source.valid):
                d = yield dut.source.data
                got.append(d - 65536 if d & 0x8000 else d)
            if len(got) == len(bits) // mode.decimation:
                break

    from migen.sim import passive
    run_simulation(dut, [ctrl(), passive(mic)()])
    assert got == M.receive(bits, mode, bool(dc), gain).tolist()

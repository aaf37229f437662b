"""PDM receiver for an ADMP421-style MEMS microphone (the Nexys A7's on-board one): we drive CLK and
L/R SELECT, sample DATA, and decimate the 1-bit stream to 16 kHz int16 in hardware.

The arithmetic (CIC5 decimator, DC removal, gain, int16 conversion) and all its constants are defined
once in soc/pdm_model.py, whose ``receive()`` is the bit-accurate model of this RTL
(tests/test_soc_pdm_rx.py runs both on >= 1 s of PDM input per mode and compares every sample).

Wire format
  * L/R SELECT low: the microphone drives DATA during CLK low (after the falling edge) and the
    receiver samples it at the rising edge; L/R SELECT high: the other half period, sampled at the
    falling edge.  ``channel`` drives L/R SELECT and picks the edge (two microphones on one DATA line
    would be channel 0 and 1).  DATA passes a 2-FF synchroniser, so it must be valid two system
    cycles before the sampling edge (at 100 MHz and 2.048 MHz: ~24 cycles per half period).

Clocking (exact, no PLL)
  A fractional divider of the system clock makes CLK: an accumulator adds ``num`` every cycle and
  toggles CLK each time it passes ``den``, num/den = 2 * PDM clock / sys_clk_freq in lowest terms
  (pdm_model.divider).  Modes (pdm_model.MODES): 2.048 MHz with R = 128 (default) and 1.024 MHz with
  R = 64; both give fs = 16 kHz exactly on average (the decimator counts CLK periods, not time), with
  one system cycle of edge jitter, far inside the ADMP421's 1.0-3.3 MHz clock spec.
  ``PDMRxCore.rates()`` returns the figures for any system clock.

Pipeline per output sample (all registered, one add per stage): five integrators update on every
sampled bit; on every R-th bit a strobe walks through the five combs (one per cycle), the alignment
shift, the DC blocker and the rounding/saturation stage, then the one-sample output register.

Output, back-pressure and configuration are the I2S receiver's (soc/i2s_rx.py): ``source`` is a
``stream.Endpoint([("data", 16)])``; a sample that completes while the previous one is not accepted is
dropped (``overrun`` sticky, ``dropped`` counted), never overwriting the held one; ``count`` counts
delivered samples.  The configuration (channel, rate, dc_block, gain) is latched while the receiver
is stopped, up to and including the cycle ``enable`` rises; enabling clears the whole filter state.
While disabled CLK is held low (the ADMP421 then enters its sleep mode).  The first 5 outputs after
enable are the CIC filling up, and the ADMP421 needs ~10 ms after its clock starts to settle.
"""
from __future__ import annotations

from math import gcd

from migen import Case, If, Module, Mux, Signal
from migen.genlib.cdc import MultiReg
from litex.gen import LiteXModule
from litex.soc.interconnect import stream
from litex.soc.interconnect.csr import CSRField, CSRStorage

from soc.pdm_model import (CIC_ORDER, CIC_WIDTH, DC_SHIFT, DC_WIDTH, FS_BITS, GAIN_MAX, MODES, OUT_SHIFT,
                           divider)
from soc.sample_out import sample_csrs, sample_output


class PDMRxCore(Module):
    """Bare PDM receiver (Migen).  Pads-free: drive ``clk``/``lrsel`` out, feed ``data`` in."""

    def __init__(self, sys_clk_freq: int = 100_000_000):
        self.sys_clk_freq = int(sys_clk_freq)
        # pins
        self.clk = Signal()
        self.lrsel = Signal()
        self.data = Signal()
        # control / status
        self.enable = Signal()
        self.channel = Signal()          # 0: L/R SELECT low, sample at the rising edge; 1: high, falling
        self.rate = Signal()             # index into pdm_model.MODES (0: 2.048 MHz R=128, 1: 1.024 MHz R=64)
        self.dc_block = Signal(reset=1)
        self.gain = Signal(max=GAIN_MAX + 1)
        self.clear_overrun = Signal()
        self.overrun = Signal()
        self.count = Signal(32)
        self.dropped = Signal(32)
        self.last = Signal((16, True))   # last converted sample (delivered or dropped)
        self.source = source = stream.Endpoint([("data", 16)])
        assert len(MODES) == 2

        # ---- fractional divider: one accumulator, a common denominator for both modes
        fr = [divider(self.sys_clk_freq, m.pdm_clk_hz) for m in MODES]
        den = fr[0][1] * fr[1][1] // gcd(fr[0][1], fr[1][1])
        nums = [n * (den // d) for n, d in fr]
        self.den, self.nums = den, nums

        # ---- configuration latched while stopped
        ch, rate, dc, gain = Signal(), Signal(), Signal(reset=1), Signal(max=GAIN_MAX + 1)
        running = Signal()
        self.sync += [running.eq(self.enable),
                      If(~running, ch.eq(self.channel), rate.eq(self.rate), dc.eq(self.dc_block),
                         gain.eq(self.gain))]
        self.comb += self.lrsel.eq(ch)

        data = Signal()
        self.specials += MultiReg(self.data, data)

        acc = Signal(max=2 * den + 1)
        acc_next = Signal(max=2 * den + 1)
        tick = Signal()
        sample = Signal()
        self.comb += [
            acc_next.eq(acc + Mux(rate, nums[1], nums[0])),
            tick.eq(acc_next >= den),
            # the edge this tick makes is the sampling edge: rising (clk low now) for channel 0
            sample.eq(self.enable & tick & (self.clk == ch)),
        ]
        self.sync += If(~self.enable, acc.eq(0), self.clk.eq(0)).Else(
            acc.eq(Mux(tick, acc_next - den, acc_next)),
            If(tick, self.clk.eq(~self.clk)))

        # ---- CIC integrators (PDM rate) and decimation counter
        mask_w = CIC_WIDTH
        integ = [Signal(mask_w) for _ in range(CIC_ORDER)]
        inp = Signal(mask_w)
        self.comb += inp.eq(Mux(data, 1, (1 << mask_w) - 1))       # +1 / -1 modulo 2**CIC_WIDTH
        cnt = Signal(max=max(m.decimation for m in MODES))
        last_bit = Mux(rate, MODES[1].decimation - 1, MODES[0].decimation - 1)
        strobe = [Signal() for _ in range(CIC_ORDER + 3)]   # comb 1..5, align, dc, round
        combs = [Signal(mask_w) for _ in range(CIC_ORDER)]  # comb outputs
        delays = [Signal(mask_w) for _ in range(CIC_ORDER)]
        x = Signal((DC_WIDTH, True))
        xp = Signal((DC_WIDTH, True))
        y = Signal((DC_WIDTH, True))
        s16 = Signal((16, True))

        integ_upd = [integ[0].eq(integ[0] + inp)] + [integ[k].eq(integ[k] + integ[k - 1])
                                                     for k in range(1, CIC_ORDER)]
        comb_upd = []
        for k in range(CIC_ORDER):
            src = integ[-1] if k == 0 else combs[k - 1]
            comb_upd.append(If(strobe[k], combs[k].eq(src - delays[k]), delays[k].eq(src)))

        # alignment: the CIC output (signed, CIC_WIDTH bits) to Q(FS_BITS)
        c_s = Signal((CIC_WIDTH, True))
        self.comb += c_s.eq(combs[-1])
        aligned = Mux(rate, c_s << (FS_BITS - MODES[1].growth), c_s << (FS_BITS - MODES[0].growth))
        # DC blocker: y = x - xp + y - floor(y / 2**DC_SHIFT)
        y_sh = Signal((DC_WIDTH - DC_SHIFT, True))
        self.comb += y_sh.eq(y[DC_SHIFT:])
        # gain and rounding: floor((v * 2**gain + 2**(OUT_SHIFT-1)) / 2**OUT_SHIFT), saturated
        v = Signal((DC_WIDTH, True))
        self.comb += v.eq(Mux(dc, y, x))
        vg = Signal((DC_WIDTH + GAIN_MAX + 1, True))
        self.comb += Case(gain, {g: vg.eq(v << g) for g in range(GAIN_MAX + 1)})
        rounded = Signal((DC_WIDTH + GAIN_MAX + 1, True))
        self.comb += rounded.eq(vg + (1 << (OUT_SHIFT - 1)))
        q = Signal((DC_WIDTH + GAIN_MAX + 1 - OUT_SHIFT, True))
        self.comb += q.eq(rounded[OUT_SHIFT:])
        done = Signal()

        self.sync += [
            If(~self.enable,
                cnt.eq(0), x.eq(0), xp.eq(0), y.eq(0), done.eq(0),
                *[s.eq(0) for s in integ + combs + delays + strobe],
            ).Else(
                strobe[0].eq(sample & (cnt == last_bit)),
                *[strobe[k].eq(strobe[k - 1]) for k in range(1, len(strobe))],
                If(sample, *integ_upd, If(cnt == last_bit, cnt.eq(0)).Else(cnt.eq(cnt + 1))),
                *comb_upd,
                If(strobe[CIC_ORDER], x.eq(aligned)),
                If(strobe[CIC_ORDER + 1], y.eq(x - xp + y - y_sh), xp.eq(x)),
                If(strobe[CIC_ORDER + 2],
                    If(q > 32767, s16.eq(32767)).Elif(q < -32768, s16.eq(-32768)).Else(s16.eq(q))),
                done.eq(strobe[CIC_ORDER + 2]),
            ),
        ]

        # ---- one-sample output register, overrun policy: drop the newest, never overwrite
        sync, comb = sample_output(self, source, done, s16)
        self.sync += sync
        self.comb += comb

    def rates(self) -> dict:
        """Exact clocking figures per mode (keyed by pdm_model.MODES names)."""
        out = {}
        for m, num in zip(MODES, self.nums):
            clk = self.sys_clk_freq * num / (2 * self.den)
            out[m.name] = {"pdm_clk_hz": clk, "decimation": m.decimation, "fs_hz": clk / m.decimation,
                           "cycles_per_sample": 2 * m.decimation * self.den / num,
                           "half_period_cycles": (self.den // num, -(-self.den // num))}
        return out


class PDMRx(LiteXModule):
    """CSR-wrapped PDM microphone receiver.

    CSR map (prefix ``<name>_``):
      control  W  bit 0 enable, bit 1 channel (L/R SELECT level: 0 = data at the rising edge),
                  bit 2 slow (0: 2.048 MHz PDM clock, R = 128; 1: 1.024 MHz, R = 64),
                  bit 3 no_dc (1: bypass the DC blocker), bits 4-6 gain (x 2**gain, 0..7),
                  bit 7 clear_overrun (pulse).  All but clear_overrun take effect when enable rises,
                  so ``control = 1`` starts the microphone with the defaults.
      status   R  bit 0 overrun (sticky), bit 1 valid (a sample waits in the output register)
      count    R  samples delivered into ``source`` since reset
      dropped  R  samples dropped because ``source`` was not ready (overruns)
      last     R  the last sample (int16, sign-extended): a level meter independent of ``source``

    Integration (pads: a Record with clk, lrsel (outputs) and data (input)):
        self.pdm = PDMRx(pads, sys_clk_freq)
        self.comb += self.pdm.source.connect(self.frontend.sink)
    """

    def __init__(self, pads=None, sys_clk_freq: int = 100_000_000):
        self.rx = rx = PDMRxCore(sys_clk_freq)
        self.source = rx.source
        self.control = CSRStorage(fields=[
            CSRField("enable", size=1, offset=0, description="run CLK and receive"),
            CSRField("channel", size=1, offset=1, description="L/R SELECT: 0 rising-edge data, 1 falling"),
            CSRField("slow", size=1, offset=2, description="0: 2.048 MHz / R=128, 1: 1.024 MHz / R=64"),
            CSRField("no_dc", size=1, offset=3, description="1: bypass the DC blocker"),
            CSRField("gain", size=3, offset=4, description="output gain 2**gain"),
            CSRField("clear_overrun", size=1, offset=7, pulse=True, description="clear status.overrun"),
        ])
        status = sample_csrs(self, rx)
        st = self.control.storage
        self.comb += [
            rx.enable.eq(st[0]), rx.channel.eq(st[1]), rx.rate.eq(st[2]), rx.dc_block.eq(~st[3]),
            rx.gain.eq(st[4:7]), rx.clear_overrun.eq(self.control.re & st[7]),
            *status,
        ]
        if pads is not None:
            self.comb += [pads.clk.eq(rx.clk), pads.lrsel.eq(rx.lrsel), rx.data.eq(pads.data)]




def write_verilog(path, sys_clk_freq: int = 100_000_000) -> str:
    """PDMRxCore as a standalone Verilog module ``pdm_rx`` (Verilator harness, Yosys estimate)."""
    from migen.fhdl.verilog import convert
    r = PDMRxCore(sys_clk_freq)
    ios = {r.clk, r.lrsel, r.data, r.enable, r.channel, r.rate, r.dc_block, r.gain, r.clear_overrun,
           r.overrun, r.count, r.dropped, r.last, r.source.valid, r.source.ready, r.source.data}
    convert(r, ios=ios, name="pdm_rx").write(str(path))
    return str(path)

"""I2S receiver for an INMP441-style MEMS microphone: we are the master (SCK, WS out), SD in.

Wire format (Philips I2S, as the INMP441 sends it)
  * WS low = left slot, WS high = right slot; WS changes on the falling edge of SCK.
  * The microphone shifts data out on the falling edge of SCK, MSB first, one SCK period after the
    WS edge (the "I2S delay"); we sample SD on the rising edge.  Words are 24-bit two's complement;
    bits after the 24th (32-bit slots) are tri-stated by the microphone and ignored here.
  * ``slot_bits`` = 32 (64 SCK per frame, the INMP441's documented mode) or 24 (48 SCK per frame).
    With 24-bit slots the LSB of a word falls into the first SCK period of the *next* slot, as I2S
    specifies; the receiver counts SCK periods, so it handles that without looking at WS.

Clocking (exact, no PLL)
  SCK is made by a fractional (rational) divider of the system clock: an accumulator adds ``num``
  every cycle and toggles SCK each time it passes ``den``, with
      num / den = (4 * slot_bits * fs) / sys_clk_freq     (SCK edges per system cycle)
  reduced to lowest terms.  At 100 MHz and fs = 16 kHz:
      slot 32: SCK = 1.024 MHz, num/den = 64/3125, SCK half periods of 48 or 49 cycles (10 ns jitter)
      slot 24: SCK = 0.768 MHz, num/den = 48/3125, SCK half periods of 65 or 66 cycles
  A frame is exactly 6250 system cycles in both modes, so fs = 16000.000 Hz exactly (as exact as the
  board oscillator); the SCK edge jitter of one system cycle is far inside the INMP441's timing.
  ``I2SRxCore.rates()`` returns these figures for any configuration.

Sample conversion (24 -> 16 bits)
  s16 = sat16((s24 + 128) >> 8): round half up (towards +inf), saturate.  Only positive values that
  round up past full scale saturate (s24 >= 0x7FFF80 -> 32767); negative full scale -8388608 -> -32768
  exactly.

Output and back-pressure
  ``source`` is a ``stream.Endpoint([("data", 16)])`` (valid/ready).  The receiver holds one sample.
  When a new sample completes while the previous one is still not accepted (valid & ~ready), the
  *new* sample is dropped: ``overrun`` (sticky, cleared by ``clear_overrun``) is set and ``dropped``
  incremented.  The held sample is never overwritten, so a stalled consumer sees a gap (counted),
  never a silently wrapped or duplicated sample.  ``count`` counts samples delivered into ``source``.

Configuration (``channel``: 0 left / 1 right, ``slot32``: 1 = 32-bit / 0 = 24-bit slots) is latched
while the receiver is stopped, up to and including the cycle ``enable`` rises (so one CSR write can set
the configuration and enable); changes while running take effect at the next enable.  While disabled SCK and WS are held low.
After enable, the INMP441 needs 2**18 SCK cycles (~256 ms at 1.024 MHz) before its data is valid;
firmware should discard that much audio.

``I2SRx`` is the LiteX/CSR version (see its docstring for the CSR map and SoC integration).
"""
from __future__ import annotations

from math import gcd

from migen import Cat, If, Module, Mux, Signal
from migen.genlib.cdc import MultiReg
from litex.gen import LiteXModule
from litex.soc.interconnect import stream
from litex.soc.interconnect.csr import CSRField, CSRStorage

from soc.sample_out import sample_csrs, sample_output

DATA_BITS = 24   # INMP441 word length


def divider(sys_clk_freq: int, fs: int, slot_bits: int) -> tuple[int, int]:
    """(num, den): SCK edges per system cycle, in lowest terms."""
    edges = 4 * slot_bits * fs
    g = gcd(edges, sys_clk_freq)
    num, den = edges // g, sys_clk_freq // g
    if 2 * num > den:
        raise ValueError(f"system clock {sys_clk_freq} Hz too slow for {slot_bits}-bit slots at {fs} Hz "
                         "(need >= 2 system cycles per SCK half period)")
    return num, den


def to_s16(s24: int) -> int:
    """The receiver's 24 -> 16 bit conversion (reference for tests/firmware)."""
    return max(-32768, min(32767, (s24 + 128) >> 8))


class I2SRxCore(Module):
    """Bare I2S master receiver (Migen).  Pads-free: drive ``sck``/``ws`` out, feed ``sd`` in."""

    def __init__(self, sys_clk_freq: int = 100_000_000, fs: int = 16_000):
        self.sys_clk_freq, self.fs = int(sys_clk_freq), int(fs)
        # pins
        self.sck = Signal()
        self.ws = Signal()
        self.sd = Signal()
        # control / status
        self.enable = Signal()
        self.channel = Signal()          # 0 left (WS low), 1 right
        self.slot32 = Signal(reset=1)    # 1: 32-bit slots, 0: 24-bit slots
        self.clear_overrun = Signal()
        self.overrun = Signal()
        self.count = Signal(32)
        self.dropped = Signal(32)
        self.last = Signal((16, True))   # last converted sample (delivered or dropped)
        self.source = source = stream.Endpoint([("data", 16)])

        n32, d32 = divider(self.sys_clk_freq, self.fs, 32)
        n24, d24 = divider(self.sys_clk_freq, self.fs, 24)
        # Common denominator so one accumulator serves both slot widths.
        den = d32 * d24 // gcd(d32, d24)
        num32, num24 = n32 * (den // d32), n24 * (den // d24)
        self.den, self.num32, self.num24 = den, num32, num24

        # ---- configuration latched while disabled
        ch = Signal()
        s32 = Signal(reset=1)
        running = Signal()   # enable, one cycle late: a CSR write of enable + config latches the config
        self.sync += [running.eq(self.enable), If(~running, ch.eq(self.channel), s32.eq(self.slot32))]

        # ---- SD input synchroniser (SD changes half an SCK period before we sample it)
        sd = Signal()
        self.specials += MultiReg(self.sd, sd)

        # ---- fractional SCK divider
        acc = Signal(max=2 * den + 1)
        tick = Signal()
        acc_next = Signal(max=2 * den + 1)
        self.comb += [
            acc_next.eq(acc + Mux(s32, num32, num24)),
            tick.eq(acc_next >= den),
        ]
        # p = SCK period index within the frame (0 .. 2*slot-1); the falling edge starts period p.
        p = Signal(6)
        last_p = Mux(s32, 63, 47)
        slot = Mux(s32, 32, 24)
        rising = Signal()
        self.comb += rising.eq(self.enable & tick & ~self.sck)
        self.sync += [
            If(~self.enable,
                acc.eq(0), self.sck.eq(0), self.ws.eq(0), p.eq(0),
            ).Else(
                acc.eq(Mux(tick, acc_next - den, acc_next)),
                If(tick,
                    self.sck.eq(~self.sck),
                    If(self.sck,  # falling edge: next period, WS for it
                        If(p == last_p, p.eq(0), self.ws.eq(0)
                        ).Else(p.eq(p + 1), self.ws.eq(p + 1 >= slot)),
                    ),
                ),
            ),
        ]

        # ---- shift register: bit k (1..24) of the selected slot is sampled in period base + k
        base = Mux(ch, slot, 0)
        rel = Signal(6)
        frame = Mux(s32, 64, 48)
        self.comb += rel.eq(Mux(p >= base, p - base, p + frame - base))
        sr = Signal(DATA_BITS - 1)
        word = Signal((DATA_BITS, True))
        done = Signal()
        in_word = (rel >= 1) & (rel <= DATA_BITS)
        self.comb += word.eq(Cat(sd, sr))
        # `armed`: the MSB of this word was sampled.  With 24-bit right slots the first period after
        # enable carries the LSB of a word we never saw; it must not produce a sample.
        armed = Signal()
        self.sync += [
            done.eq(0),
            If(~self.enable, armed.eq(0)),
            If(rising & in_word,
                sr.eq(word[:DATA_BITS - 1]),
                If(rel == 1, armed.eq(1)),
                If(rel == DATA_BITS, done.eq(armed), armed.eq(0)),
            ),
        ]

        # ---- 24 -> 16 bit conversion (registered with `done`)
        full = Signal((DATA_BITS, True))  # the completed word, registered at the last bit
        self.sync += If(rising & in_word & (rel == DATA_BITS), full.eq(word))
        rounded = Signal((DATA_BITS + 1, True))
        s16 = Signal((16, True))
        self.comb += [
            rounded.eq(full + 128),
            If(rounded > 0x7FFFFF, s16.eq(32767)).Else(s16.eq(rounded[8:24])),
        ]

        # ---- one-sample output register, overrun policy: drop the newest, never overwrite
        sync, comb = sample_output(self, source, done, s16)
        self.sync += sync
        self.comb += comb

    def rates(self) -> dict:
        """Exact clocking figures for both slot widths."""
        out = {}
        for bits, num in ((32, self.num32), (24, self.num24)):
            sck = self.sys_clk_freq * num / (2 * self.den)
            out[bits] = {"sck_hz": sck, "fs_hz": sck / (2 * bits),
                         "cycles_per_frame": 4 * bits * self.den / num,
                         "half_period_cycles": (self.den // num, -(-self.den // num))}
        return out


class I2SRx(LiteXModule):
    """CSR-wrapped I2S microphone receiver.

    CSR map (prefix ``<name>_``):
      control  W  bit 0 enable, bit 1 channel (0 left, 1 right), bit 2 slot24 (1: 24-bit slots,
                  0: 32-bit slots, the INMP441 default), bit 3 clear_overrun (pulse).  channel and
                  slot24 take effect when enable goes from 0 to 1.
      status   R  bit 0 overrun (sticky), bit 1 valid (a sample waits in the output register)
      count    R  samples delivered into ``source`` since reset
      dropped  R  samples dropped because ``source`` was not ready (overruns)
      last     R  the last received sample (int16, sign-extended in the 32-bit register): a level meter
                  for firmware, independent of ``source``

    Integration in a SoC (pads: a Record with sck, ws (outputs) and sd (input)):
        self.i2s = I2SRx(pads, sys_clk_freq)
        self.comb += self.i2s.source.connect(self.frontend.sink)   # or a FIFO/DMA of your choice
    """

    def __init__(self, pads=None, sys_clk_freq: int = 100_000_000, fs: int = 16_000):
        self.rx = rx = I2SRxCore(sys_clk_freq, fs)
        self.source = rx.source
        self.control = CSRStorage(fields=[
            CSRField("enable", size=1, offset=0, description="run SCK/WS and receive"),
            CSRField("channel", size=1, offset=1, description="0 left (WS low), 1 right"),
            CSRField("slot24", size=1, offset=2, description="1: 24-bit slots, 0: 32-bit slots"),
            CSRField("clear_overrun", size=1, offset=3, pulse=True, description="clear status.overrun"),
        ])
        status = sample_csrs(self, rx)
        # Driven from the storage bits (not .fields) so the wrapper also works outside a CSR bank.
        st = self.control.storage
        self.comb += [
            rx.enable.eq(st[0]), rx.channel.eq(st[1]), rx.slot32.eq(~st[2]),
            rx.clear_overrun.eq(self.control.re & st[3]),
            *status,
        ]
        if pads is not None:
            self.comb += [pads.sck.eq(rx.sck), pads.ws.eq(rx.ws), rx.sd.eq(pads.sd)]


def write_verilog(path, sys_clk_freq: int = 100_000_000, fs: int = 16_000) -> str:
    """I2SRxCore as a standalone Verilog module ``i2s_rx`` (Yosys estimates; soc/pdm_rx.py has its twin)."""
    from migen.fhdl.verilog import convert
    r = I2SRxCore(sys_clk_freq, fs)
    ios = {r.sck, r.ws, r.sd, r.enable, r.channel, r.slot32, r.clear_overrun, r.overrun, r.count,
           r.dropped, r.last, r.source.valid, r.source.ready, r.source.data}
    convert(r, ios=ios, name="i2s_rx").write(str(path))
    return str(path)

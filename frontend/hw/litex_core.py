"""LiteX wrapper of FrontendCore: CSRs, a sample FIFO (CSR writes or a stream sink), a Wishbone-mapped
ring of feature frames, and a frame IRQ.

Add to a SoC:
    from frontend.hw.litex_core import Frontend
    self.frontend = Frontend()
    self.bus.add_slave("frontend_mem", self.frontend.bus, SoCRegion(size=Frontend.MEM_BYTES, cached=False))
    self.irq.add("frontend")      # optional

CSR map (names as LiteX generates them, prefix ``frontend_``):
  control      W  bit 0 clear (pulse: restart streaming state, PCEN smoother <- m_init),
                  bits 2:1 mode (0 logmel, 1 pcen, 2 mfcc; write mode then pulse clear)
  sample       W  16-bit signed sample; each write pushes one sample into the input FIFO
  status       R  bit 0 busy, bit 1 fifo_full (sample writes are dropped while set), bit 2 fifo_empty,
                  bit 3 dropped (sticky, cleared by control.clear)
  b_q16, alpha_q14, delta_q16, r_q14, eps_q, m_init   W  PCEN parameters (format.PcenParams.quantized())
  frame_count  R  frames written since reset (the latest frame is in slot (frame_count - 1) % 64)
  last_cycles  R  cycles spent on the last frame (hop complete -> last feature written)
  samples      R  samples accepted into the FIFO since control.clear (CSR writes and the stream sink)
  ev_*            frame event (IRQ), pending on every frame
Feature memory (Wishbone, read-only, 4 KiB): slot s (0..63) at byte offset 64*s; bytes 0..F-1 hold the
int8 features of the frame (F = 40 logmel/pcen, 10 mfcc), little-endian within 32-bit words.
Register bits, mode codes and the ring layout come from frontend/format.py (the C driver gets them
through the generated firmware/include/frontend_format.h).
"""
from __future__ import annotations

from migen import Cat, If, Memory, Replicate, Signal
from litex.gen import LiteXModule
from litex.soc.interconnect import stream, wishbone
from litex.soc.interconnect.csr import CSRField, CSRStatus, CSRStorage
from litex.soc.interconnect.csr_eventmanager import EventManager, EventSourcePulse

from .. import format as F
from .core import FrontendCore


class Frontend(LiteXModule):
    N_SLOTS = F.RING_SLOTS          # the feature ring's layout is part of the format (frontend/format.py)
    SLOT_BYTES = F.SLOT_BYTES
    MEM_BYTES = F.MEM_BYTES

    def __init__(self, fifo_depth=32):
        self.core = core = FrontendCore()
        self.sink = stream.Endpoint([("data", 16)])  # DMA / I2S input (CSR writes take priority)
        q = F.PcenParams().quantized()

        self.control = CSRStorage(fields=[
            CSRField("clear", size=1, offset=F.CONTROL_CLEAR_BIT, pulse=True, description="restart streaming state"),
            CSRField("mode", size=F.CONTROL_MODE_BITS, offset=F.CONTROL_MODE_LSB,
                     description=", ".join(f"{c} {m}" for m, c in F.MODE_CODES.items())),
        ])
        self.sample = CSRStorage(16, description="push one int16 sample")
        self.status = CSRStatus(fields=[
            CSRField("busy", size=1, offset=F.STATUS_BUSY_BIT),
            CSRField("fifo_full", size=1, offset=F.STATUS_FIFO_FULL_BIT),
            CSRField("fifo_empty", size=1, offset=F.STATUS_FIFO_EMPTY_BIT),
            CSRField("dropped", size=1, offset=F.STATUS_DROPPED_BIT),
        ])
        self.b_q16 = CSRStorage(17, reset=q["b_q16"])
        self.alpha_q14 = CSRStorage(15, reset=q["alpha_q14"])
        self.delta_q16 = CSRStorage(24, reset=q["delta_q16"])
        self.r_q14 = CSRStorage(16, reset=q["r_q14"])
        self.eps_q = CSRStorage(32, reset=q["eps_q"])
        self.m_init = CSRStorage(32, reset=q["m_init"])
        self.frame_count = CSRStatus(32)
        self.last_cycles = CSRStatus(32)
        self.samples = CSRStatus(32)
        self.ev = EventManager()
        self.ev.frame = EventSourcePulse(description="a feature frame was written")
        self.ev.finalize()

        # ---- sample FIFO
        self.fifo = fifo = stream.SyncFIFO([("data", 16)], fifo_depth)
        dropped = Signal()
        csr_push = self.sample.re
        self.comb += [
            If(csr_push,
                fifo.sink.valid.eq(1), fifo.sink.data.eq(self.sample.storage),
            ).Else(
                fifo.sink.valid.eq(self.sink.valid), fifo.sink.data.eq(self.sink.data)),
            self.sink.ready.eq(fifo.sink.ready & ~csr_push),
            core.sink_valid.eq(fifo.source.valid), core.sink_data.eq(fifo.source.data),
            fifo.source.ready.eq(core.sink_ready),
        ]
        clear = self.control.fields.clear
        self.sync += If(clear, dropped.eq(0)).Elif(csr_push & ~fifo.sink.ready, dropped.eq(1))
        self.sync += If(clear, self.samples.status.eq(0)).Elif(
            fifo.sink.valid & fifo.sink.ready, self.samples.status.eq(self.samples.status + 1))

        # ---- configuration / status
        self.comb += [
            core.clear.eq(clear), core.mode.eq(self.control.fields.mode),
            core.b_q16.eq(self.b_q16.storage), core.alpha_q14.eq(self.alpha_q14.storage),
            core.delta_q16.eq(self.delta_q16.storage), core.r_q14.eq(self.r_q14.storage),
            core.eps_q.eq(self.eps_q.storage), core.m_init.eq(self.m_init.storage),
            self.status.fields.busy.eq(core.busy), self.status.fields.fifo_full.eq(~fifo.sink.ready),
            self.status.fields.fifo_empty.eq(~fifo.source.valid), self.status.fields.dropped.eq(dropped),
            self.frame_count.status.eq(core.frame_count), self.last_cycles.status.eq(core.last_cycles),
            self.ev.frame.trigger.eq(core.frame_done),
        ]

        # ---- feature ring (Wishbone read-only)
        words = self.MEM_BYTES // 4
        self.mem = mem = Memory(32, words)
        # Not a CSR memory: LiteX's AutoCSR would otherwise also map it on the CSR bus (a third,
        # paged port), and a three-port RAM cannot go into block RAM (Yosys built it from 32k FFs).
        self.autocsr_exclude = {"mem"}
        self.bus = wishbone.Interface(data_width=32, address_width=32, addressing="word")
        self.sram = wishbone.SRAM(mem, read_only=True, bus=self.bus)
        wp = mem.get_port(write_capable=True, we_granularity=8)
        self.specials += wp
        slot_bits = (self.N_SLOTS - 1).bit_length()
        word_bits = (self.SLOT_BYTES // 4 - 1).bit_length()
        assert 1 << slot_bits == self.N_SLOTS and 1 << word_bits == self.SLOT_BYTES // 4
        assert len(core.out_adr) == 2 + word_bits
        slot = core.frame_count[:slot_bits]
        self.comb += [
            wp.adr.eq(Cat(core.out_adr[2:2 + word_bits], slot)),
            wp.dat_w.eq(Replicate(core.out_dat, 4)),
            If(core.out_we, wp.we.eq(1 << core.out_adr[:2])),
        ]

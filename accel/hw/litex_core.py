"""LiteX wrapper of the accelerator: CSRs, an IRQ and one Wishbone window onto every memory.

Usage in a LiteX SoC (what ``add_accel()`` should do)::

    from accel.hw.config import DEFAULT
    from accel.hw.litex_core import Accel
    self.accel = Accel(DEFAULT)                       # self.submodules.accel = ... on old Migen
    self.bus.add_slave("accel", self.accel.bus,
                       SoCRegion(origin=0xb0000000, size=Accel.WINDOW_BYTES, cached=False))
    self.irq.add("accel", use_loc_if_exists=True)         # CSRs are added automatically (AutoCSR)

CSRs (32-bit, in the ``accel`` CSR bank):
  ``control``     bit 0 start (write 1: start walking descriptors from ``desc_base``)
  ``desc_base``   word address of the first descriptor in the descriptor memory
  ``n_layers``    stop after this many layers (0: run to the END descriptor)
  ``status``      bit 0 busy, bit 1 done, bits 4..6 error code (accel_desc.h ACCEL_ERR_*)
  ``layers``      layers completed by the last run
  ``cyc_busy``, ``cyc_mac_gemm``, ``cyc_mac_dw``, ``cyc_gen_stall``, ``cyc_comp_stall``,
  ``cyc_gen_active``   performance counters of the last run (cleared by start): busy cycles, cycles the
                  MAC array was fed in GEMM mode (conv/PW/FC) and in DW/pool mode, cycles the window
                  generator waited for a free buffer, the compute unit waited for data, the generator ran
                  (the core's seventh counter, ``cyc_dw_lanes``, is not a CSR yet: see core.CSR_COUNTERS).
  ``ev_*``        the ``done`` IRQ (pulses when a run ends, with or without error).

Wishbone window (``WINDOW_BYTES`` = 2 MiB, 32-bit accesses only, use while not busy):
  offset 0x000000 descriptors (32-bit words)
  offset 0x040000 weights  (rows*8-byte words: 2*rows x 32-bit; 128 bytes on the 16x8 default)
  offset 0x080000 quant    (stride 64 bytes per word; 3*rq_lanes x 32-bit used: bias, multiplier, shift per lane)
  offset 0x0c0000 activation memory A (8-byte words: 2 x 32-bit)
  offset 0x100000 activation memory B
  offset 0x140000 feature ring (one byte per 32-bit word, low byte; AccelConfig.ring_depth bytes)
  offset 0x180000 ring control: word 0 wp (write pointer), 1 len (bytes), 2 step (bytes per frame)

Zero-copy input: ``connect_frontend(fe_core)`` wires a front-end core's feature writes into the ring
(KWSSoC does it when the SoC has both); a model compiled with ``ring=True`` reads its window there.
"""
from migen import If, Module, Signal

from litex.soc.interconnect import wishbone
from litex.soc.interconnect.csr import AutoCSR, CSRField, CSRStatus, CSRStorage
from litex.soc.interconnect.csr_eventmanager import EventManager, EventSourcePulse

from accel.hw.config import DEFAULT, AccelConfig
from accel.hw.core import CSR_COUNTERS, REGION_BITS, AccelCore


class Accel(Module, AutoCSR):
    WINDOW_BYTES = 4 << (REGION_BITS + 3)
    REGION_OFFSETS = {"desc": 0, "weight": 4 << REGION_BITS, "quant": 8 << REGION_BITS,
                      "act0": 12 << REGION_BITS, "act1": 16 << REGION_BITS,
                      "ring": 20 << REGION_BITS, "ring_ctl": 24 << REGION_BITS}

    def __init__(self, config: AccelConfig = DEFAULT):
        self.config = config
        self.submodules.core = core = AccelCore(config)
        self.bus = bus = wishbone.Interface(data_width=32, adr_width=30)

        self.control = CSRStorage(fields=[CSRField("start", size=1, pulse=True, description="start a run")])
        self.desc_base = CSRStorage(16, description="word address of the first descriptor")
        self.n_layers = CSRStorage(16, description="layers to run (0 = until END)")
        self.status = CSRStatus(fields=[
            CSRField("busy", size=1, offset=0), CSRField("done", size=1, offset=1),
            CSRField("error", size=3, offset=4)])
        self.layers = CSRStatus(16)
        for n in CSR_COUNTERS:
            setattr(self, n, CSRStatus(32, name=n))
        self.submodules.ev = EventManager()
        self.ev.done = EventSourcePulse(description="a run ended (check status.error)")
        self.ev.finalize()

        busy_d = Signal()
        self.sync += busy_d.eq(core.busy)
        self.comb += [
            core.start.eq(self.control.fields.start),
            core.desc_base.eq(self.desc_base.storage),
            core.n_layers.eq(self.n_layers.storage),
            self.status.fields.busy.eq(core.busy), self.status.fields.done.eq(core.done),
            self.status.fields.error.eq(core.error),
            self.layers.status.eq(core.layers),
            self.ev.done.trigger.eq(busy_d & ~core.busy),
        ]
        for n in CSR_COUNTERS:
            self.comb += getattr(self, n).status.eq(core.counters[n])

        # Wishbone: 1-cycle read latency -> ack on the second cycle of every access.
        self.sync += [bus.ack.eq(0), If(bus.cyc & bus.stb & ~bus.ack, bus.ack.eq(1))]
        self.comb += [
            core.bus_adr.eq(bus.adr[:REGION_BITS + 3]),
            core.bus_dat_w.eq(bus.dat_w),
            core.bus_we.eq(bus.cyc & bus.stb & bus.we & ~bus.ack),
            bus.dat_r.eq(core.bus_dat_r),
        ]

    def connect_frontend(self, fe_core):
        """Feature writes of a frontend.hw.core.FrontendCore go straight into the feature ring."""
        self.comb += [self.core.fe_we.eq(fe_core.out_we), self.core.fe_adr.eq(fe_core.out_adr),
                      self.core.fe_dat.eq(fe_core.out_dat), self.core.fe_frame.eq(fe_core.frame_done)]

"""The KWS SoC: one definition for every board (boards/ supplies platform, clocking and main RAM).

VexRiscv (with multiplier) runs our firmware straight from the integrated ROM (no BIOS), with an
integrated SRAM for data and stack, a main RAM (integrated in simulation, DDR3 on Arty), a UART and
a timer, plus our cores: ``add_frontend`` (audio front-end), ``add_accel`` (DS-CNN accelerator) and,
on boards with a microphone, ``add_i2s_mic`` (I2S receiver streaming into the front-end) or
``add_pdm_mic`` (PDM receiver with CIC decimation, the same stream into the front-end); elsewhere
``add_audio_dma`` (a Wishbone DMA reader streaming int16 samples from main RAM into the front-end).
With both cores the front-end's feature writes go straight into the accelerator's feature ring
(zero-copy: the CPU starts the accelerator and reads the scores, nothing else per hop).
"""
from litex.gen import LiteXModule
from litex.soc.integration.soc_core import SoCCore

import soc.litex_fixes  # noqa: F401  (LiteX backend fix: negative signed constants)

# The ROM is created with a one-word placeholder so the generated Verilog loads it with $readmemh
# from <build_name>_rom.init at simulation start: soc/build.py writes the real firmware there, and a
# firmware-only change never needs a new Verilator build.
ROM_PLACEHOLDER = [0x00000013]  # rv32 "nop"


class AudioDMA(LiteXModule):
    """LiteX's WishboneDMAReader (CSRs ``base`` (byte address), ``length`` (bytes, a multiple of 4),
    ``enable``, ``done``, ``loop``, ``offset``) reading 32-bit words, each two int16 samples (the first
    in the low half: soc/audio.py's layout), and a 32->16 converter: ``source`` streams the samples
    (to the front-end's sink; its CSR sample writes still work). tests/test_soc_audio_dma.py."""
    def __init__(self):
        from litex.soc.cores.dma import WishboneDMAReader
        from litex.soc.interconnect import stream, wishbone
        self.bus = wishbone.Interface(data_width=32, address_width=32, addressing="word")
        # LiteX's "big" = no byte swap: the word is used as the CPU (little-endian) stored it.
        self.reader = reader = WishboneDMAReader(self.bus, endianness="big", with_csr=True)
        self.conv = conv = stream.Converter(32, 16)          # low half first
        self.source = stream.Endpoint([("data", 16)])
        self.comb += [reader.source.connect(conv.sink), conv.source.connect(self.source)]


class KWSSoC(SoCCore):
    def __init__(self, board, sys_clk_freq=None, cpu_variant="standard", with_frontend=True,
                 with_accel=True, accel_config=None, **kwargs):
        self.board = board
        sys_clk_freq = int(sys_clk_freq or board.default_sys_clk_freq)
        platform = board.platform
        board.add_crg(self, sys_clk_freq)
        soc_kwargs = dict(
            cpu_type="vexriscv",
            cpu_variant=cpu_variant,            # "standard": RV32IM with hardware multiply/divide
            integrated_rom_size=board.rom_size,
            integrated_rom_init=list(ROM_PLACEHOLDER),
            integrated_sram_size=board.sram_size,
            with_timer=True,
            timer_uptime=True,
            ident="KWS SoC",
            ident_version=True,
        )
        soc_kwargs.update(board.soc_kwargs())
        soc_kwargs.update(kwargs)
        SoCCore.__init__(self, platform, sys_clk_freq, **soc_kwargs)
        board.add_board_io(self, sys_clk_freq)
        if with_frontend:
            self.add_frontend()
        if with_accel:
            self.add_accel(config=accel_config or getattr(board, "accel_config", None))
        if with_frontend and with_accel:
            self.accel.connect_frontend(self.frontend.core)
        if with_frontend and hasattr(board, "add_audio_in"):
            board.add_audio_in(self)
        elif with_frontend and "main_ram" in self.bus.regions:
            self.add_audio_dma()

    def add_accel(self, name="accel", config=None):
        """The DS-CNN accelerator: CSRs, done IRQ, one uncached Wishbone window onto its memories."""
        from litex.soc.integration.soc import SoCRegion

        from accel.hw.config import DEFAULT
        from accel.hw.litex_core import Accel
        # The board's configuration (what fits its FPGA: boards/*.py accel_config) unless given.
        core = Accel(config or getattr(self.board, "accel_config", DEFAULT))
        setattr(self, name, core)
        self.bus.add_slave(name, core.bus, SoCRegion(size=Accel.WINDOW_BYTES, cached=False))
        if self.irq.enabled:
            self.irq.add(name, use_loc_if_exists=True)

    def add_frontend(self, name="frontend"):
        """The fixed-point audio front-end: CSRs, sample FIFO, a Wishbone window on its feature ring."""
        from litex.soc.integration.soc import SoCRegion

        from frontend.hw.litex_core import Frontend
        fe = Frontend()
        setattr(self, name, fe)
        self.bus.add_slave(f"{name}_mem", fe.bus, SoCRegion(size=Frontend.MEM_BYTES, cached=False))
        if self.irq.enabled:
            self.irq.add(name, use_loc_if_exists=True)

    def add_audio_dma(self, name="audio_dma"):
        """Samples from memory into the front-end without CPU work per sample (``AudioDMA``)."""
        if not hasattr(self, "frontend"):
            raise ValueError("add_audio_dma needs the front-end (add_frontend first)")
        dma = AudioDMA()
        setattr(self, name, dma)
        self.bus.add_master(name=name, master=dma.bus)
        self.comb += dma.source.connect(self.frontend.sink)

    def add_i2s_mic(self, pads, name="i2s"):
        """An I2S MEMS microphone (INMP441-style; soc/i2s_rx.py): the receiver's 16 kHz samples stream
        straight into the front-end's sink, so the CPU never touches audio samples."""
        from soc.i2s_rx import I2SRx
        if not hasattr(self, "frontend"):
            raise ValueError("add_i2s_mic needs the front-end (add_frontend first)")
        core = I2SRx(pads, int(self.sys_clk_freq))
        setattr(self, name, core)
        self.comb += core.source.connect(self.frontend.sink)

    def add_pdm_mic(self, pads, name="pdm"):
        """A PDM MEMS microphone (ADMP421-style, e.g. the Nexys A7's; soc/pdm_rx.py): CIC decimation
        to 16 kHz int16 in hardware, streamed straight into the front-end's sink like add_i2s_mic."""
        from soc.pdm_rx import PDMRx
        if not hasattr(self, "frontend"):
            raise ValueError("add_pdm_mic needs the front-end (add_frontend first)")
        core = PDMRx(pads, int(self.sys_clk_freq))
        setattr(self, name, core)
        self.comb += core.source.connect(self.frontend.sink)

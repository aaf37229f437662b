"""The KWS SoC: one definition for every board (boards/ supplies platform, clocking and main RAM).

VexRiscv (with multiplier) runs our firmware straight from the integrated ROM (no BIOS), with an
integrated SRAM for data and stack, a main RAM (integrated in simulation, DDR3 on Arty), a UART and
a timer, plus our cores: ``add_frontend`` (audio front-end), ``add_accel`` (DS-CNN accelerator) and,
on boards with a microphone, ``add_i2s_mic`` (I2S receiver streaming into the front-end).
"""
from litex.soc.integration.soc_core import SoCCore

import soc.litex_fixes  # noqa: F401  (LiteX backend fix: negative signed constants)

# The ROM is created with a one-word placeholder so the generated Verilog loads it with $readmemh
# from <build_name>_rom.init at simulation start: soc/build.py writes the real firmware there, and a
# firmware-only change never needs a new Verilator build.
ROM_PLACEHOLDER = [0x00000013]  # rv32 "nop"


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
        if with_frontend and hasattr(board, "add_audio_in"):
            board.add_audio_in(self)

    def add_accel(self, name="accel", config=None):
        """The DS-CNN accelerator: CSRs, done IRQ, one uncached Wishbone window onto its memories."""
        from litex.soc.integration.soc import SoCRegion

        from accel.hw.config import DEFAULT
        from accel.hw.litex_core import Accel
        core = Accel(config or DEFAULT)
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

    def add_i2s_mic(self, pads, name="i2s"):
        """An I2S MEMS microphone (INMP441-style; soc/i2s_rx.py): the receiver's 16 kHz samples stream
        straight into the front-end's sink, so the CPU never touches audio samples."""
        from soc.i2s_rx import I2SRx
        if not hasattr(self, "frontend"):
            raise ValueError("add_i2s_mic needs the front-end (add_frontend first)")
        core = I2SRx(pads, int(self.sys_clk_freq))
        setattr(self, name, core)
        self.comb += core.source.connect(self.frontend.sink)

"""Digilent Arty A7 (-35T / -100T): litex-boards' platform and clocking, DDR3 main RAM, user LEDs,
a 1 Mbaud console UART (also the audio-streaming path) and an I2S MEMS microphone on Pmod JA.

Wiring, pin table and build/load steps: docs/boards/arty.md.
"""
from litex.build.generic_platform import IOStandard, Pins, Subsignal
from litex_boards.platforms import digilent_arty
from litex_boards.targets.digilent_arty import _CRG

from accel.hw.config import DEFAULT, TINY
from boards.fpga_board import FPGABoard

VARIANTS = ("a7-35", "a7-100")
DEFAULT_VARIANT = "a7-100"     # the default accelerator does not fit the -35T (reports/arty/resources-*.md)
# The accelerator configuration per part (accel/hw/config.py): DEFAULT's 16x8 array needs 80 DSP48,
# more than the -35T's 90 leave after the front-end and CPU; the -35T gets the smallest core, TINY (8x8,
# one requant lane, no fused DW lanes: 10.2 k LUT / 68 DSP; the whole SoC still does not fit the part,
# docs/boards/arty.md).
ACCEL_CONFIGS = {"a7-35": TINY, "a7-100": DEFAULT}

def i2s_mic_io(pmod="pmoda"):
    """INMP441 on a Pmod header (top row): pin 1 SCK, pin 2 WS, pin 3 SD; L/R to GND (left channel)."""
    return [("i2s_mic", 0,
             Subsignal("sck", Pins(f"{pmod}:0")),
             Subsignal("ws", Pins(f"{pmod}:1")),
             Subsignal("sd", Pins(f"{pmod}:2")),
             IOStandard("LVCMOS33"))]


class ArtyBoard(FPGABoard):
    name = "arty"
    default_sys_clk_freq = int(100e6)

    def __init__(self, variant=DEFAULT_VARIANT, toolchain="vivado"):
        self.check_variant("Arty", variant, VARIANTS)
        self.variant = variant
        self.accel_config = ACCEL_CONFIGS[variant]
        self.platform = digilent_arty.Platform(variant=variant, toolchain=toolchain)

    def add_crg(self, soc, sys_clk_freq):
        soc.crg = _CRG(self.platform, sys_clk_freq, with_dram=True)

    def add_board_io(self, soc, sys_clk_freq):
        from litedram.modules import MT41K128M16
        from litedram.phy import s7ddrphy
        soc.ddrphy = s7ddrphy.A7DDRPHY(self.platform.request("ddram"), memtype="DDR3", nphases=4,
                                       sys_clk_freq=sys_clk_freq)
        soc.add_sdram("sdram", phy=soc.ddrphy, module=MT41K128M16(sys_clk_freq, "1:4"), l2_cache_size=8192)
        self.add_leds(soc)

    def add_audio_in(self, soc):
        """The I2S microphone on Pmod JA, streaming into the front-end (after add_frontend)."""
        self.platform.add_extension(i2s_mic_io("pmoda"))
        soc.add_i2s_mic(self.platform.request("i2s_mic"))

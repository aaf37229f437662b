"""Digilent Nexys A7-100T (litex-boards ``digilent_nexys4ddr``): litex-boards' platform and clocking,
DDR2 main RAM (as its target does it), the 16 user LEDs, a 1 Mbaud console UART (also the
audio-streaming path) and the board's own ADMP421 PDM microphone, decimated in hardware
(soc/pdm_rx.py) and streamed straight into the front-end: no wiring at all.

Pins, build steps and resources: docs/boards/nexys_a7.md.
"""
from litex.build.generic_platform import IOStandard, Pins, Subsignal
from litex_boards.platforms import digilent_nexys4ddr
from litex_boards.targets.digilent_nexys4ddr import _CRG

from boards.fpga_board import FPGABoard

VARIANTS = ("a7-100",)          # litex-boards' platform is the XC7A100T (the Nexys A7-50T is not in it)
DEFAULT_VARIANT = "a7-100"
# The on-board microphone (Nexys A7 reference manual / master XDC: M_CLK, M_DATA, M_LRSEL); not in
# litex-boards' platform, so added here.
PDM_MIC_PINS = {"clk": "J5", "data": "H5", "lrsel": "F5"}


def pdm_mic_io():
    return [("pdm_mic", 0, *(Subsignal(s, Pins(p)) for s, p in PDM_MIC_PINS.items()), IOStandard("LVCMOS33"))]


class NexysA7Board(FPGABoard):
    name = "nexys_a7"
    # litex-boards' target default: the DDR2 PHY runs 1:2 with sys2x = 150 MHz
    default_sys_clk_freq = int(75e6)
    loader_board = "nexys_a7_100"   # openFPGALoader -b name (soc/flow/fpga.py --load)

    def __init__(self, variant=DEFAULT_VARIANT, toolchain="vivado"):
        self.check_variant("Nexys A7", variant, VARIANTS)
        self.variant = variant
        self.toolchain = toolchain
        self.platform = digilent_nexys4ddr.Platform(toolchain=toolchain)

    def add_crg(self, soc, sys_clk_freq):
        soc.crg = _CRG(self.platform, sys_clk_freq)

    def add_board_io(self, soc, sys_clk_freq):
        from litedram.modules import MT47H64M16
        from litedram.phy import s7ddrphy
        soc.ddrphy = s7ddrphy.A7DDRPHY(self.platform.request("ddram"), memtype="DDR2", nphases=2,
                                       sys_clk_freq=sys_clk_freq)
        soc.add_sdram("sdram", phy=soc.ddrphy, module=MT47H64M16(sys_clk_freq, "1:2"), l2_cache_size=8192)
        self.add_leds(soc)

    def add_audio_in(self, soc):
        """The on-board PDM microphone, streaming into the front-end (after add_frontend)."""
        self.platform.add_extension(pdm_mic_io())
        soc.add_pdm_mic(self.platform.request("pdm_mic"))

"""Radiona ULX3S (Lattice ECP5 LFE5U-85F by default, --variant 45f etc.): litex-boards' platform and
clocking, 32 MiB SDR SDRAM main RAM (as litex-boards' radiona_ulx3s target), user LEDs, a 1 Mbaud
console UART on the FT231X (also the audio-streaming path) and an I2S MEMS microphone on the GPIO
header. The bitstream is built with the open flow (Yosys + nextpnr-ecp5 + ecppack, the venv's YoWASP
builds: soc/flow/tools.py).

Wiring, pin table, build/load steps and the measured figures: docs/boards/ulx3s.md.
"""
from litex.build.generic_platform import IOStandard, Pins, Subsignal
from litex_boards.platforms import radiona_ulx3s
from litex_boards.targets.radiona_ulx3s import _CRG

from accel.hw.config import SMALL
from boards.fpga_board import FPGABoard

# --variant -> ECP5 device. The 12F/25F are too small for the SoC (25F: 28 MULT18, 56 EBR).
VARIANTS = {"85f": "LFE5U-85F", "45f": "LFE5U-45F", "25f": "LFE5U-25F", "12f": "LFE5U-12F"}
DEFAULT_VARIANT = "85f"
# The sys clock nextpnr-ecp5 closes with margin on the whole SoC (docs/boards/ulx3s.md: measured Fmax).
# A 50 MHz build placed at 31.6 MHz (nextpnr's post-placement estimate), so 25 MHz; the KWS app needs
# 82 k cycles per 20 ms hop (the 500 k a hop has at 25 MHz: 16 %).
DEFAULT_SYS_CLK_FREQ = int(25e6)

# GPIO header J1, the first three pins of the top row's signal pairs (silkscreen GP0, GN0, GP1).
MIC_PINS = {"sck": "B11", "ws": "C11", "sd": "A10"}


def i2s_mic_io():
    """INMP441 on the ULX3S GPIO header: GP0 SCK, GN0 WS, GP1 SD (L/R to GND: left channel)."""
    return [("i2s_mic", 0,
             *(Subsignal(sig, Pins(pin)) for sig, pin in MIC_PINS.items()),
             IOStandard("LVCMOS33"))]


class ULX3SBoard(FPGABoard):
    name = "ulx3s"
    default_sys_clk_freq = DEFAULT_SYS_CLK_FREQ
    # SMALL (8x8 array): 64 int8 products on MULT18X18D (one each: the DSP48 pairing trick is Xilinx's)
    # plus the front-end's and the CPU's fit the 85F's 156 MULT18 with room for place-and-route.
    accel_config = SMALL
    toolchain = "trellis"
    sdram_module = "MT48LC16M16"   # 32 MiB; every ULX3S revision's chip is at least that large

    def __init__(self, variant=DEFAULT_VARIANT, toolchain=None):
        self.check_variant("ULX3S", variant, VARIANTS)
        if toolchain not in (None, "trellis"):
            raise ValueError(f"--toolchain {toolchain}: the ULX3S builds with the open ECP5 flow only (trellis)")
        self.variant = variant
        self.device = VARIANTS[variant]
        self.platform = radiona_ulx3s.Platform(device=self.device, revision="2.0", toolchain="trellis")
        # nextpnr's machine-readable report (achieved Fmax per clock, utilisation): soc/flow/fpga.py reads it.
        # router2: nextpnr's default router1 had routed 5 % of the SoC's 164k arcs after 50 min here.
        self.platform.toolchain._pnr_opts += f" --report {self.platform.name}_report.json --router router2"

    def add_crg(self, soc, sys_clk_freq):
        soc.crg = _CRG(self.platform, sys_clk_freq, sdram_rate="1:1")

    def add_board_io(self, soc, sys_clk_freq):
        from litedram import modules
        from litedram.phy import GENSDRPHY
        soc.sdrphy = GENSDRPHY(self.platform.request("sdram"), sys_clk_freq)
        soc.add_sdram("sdram", phy=soc.sdrphy, module=getattr(modules, self.sdram_module)(sys_clk_freq, "1:1"),
                      l2_cache_size=8192)
        self.add_leds(soc)

    def add_audio_in(self, soc):
        """The I2S microphone on the GPIO header, streaming into the front-end (after add_frontend)."""
        self.platform.add_extension(i2s_mic_io())
        soc.add_i2s_mic(self.platform.request("i2s_mic"))

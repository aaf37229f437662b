"""Digilent Arty A7 (-35T / -100T): litex-boards' platform and clocking, DDR3 main RAM, user LEDs."""
from litex.soc.cores.gpio import GPIOOut
from litex_boards.platforms import digilent_arty
from litex_boards.targets.digilent_arty import _CRG

VARIANTS = ("a7-35", "a7-100")


class ArtyBoard:
    name = "arty"
    default_sys_clk_freq = int(100e6)
    rom_size = 128 * 1024      # firmware + model data execute from on-chip ROM (in the bitstream)
    sram_size = 32 * 1024

    def __init__(self, variant="a7-35", toolchain="vivado"):
        if variant not in VARIANTS:
            raise ValueError(f"unknown Arty variant {variant!r}; choose one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.platform = digilent_arty.Platform(variant=variant, toolchain=toolchain)

    def soc_kwargs(self):
        return dict(uart_name="serial", integrated_main_ram_size=0)

    def add_crg(self, soc, sys_clk_freq):
        soc.crg = _CRG(self.platform, sys_clk_freq, with_dram=True)

    def add_board_io(self, soc, sys_clk_freq):
        from litedram.modules import MT41K128M16
        from litedram.phy import s7ddrphy
        soc.ddrphy = s7ddrphy.A7DDRPHY(self.platform.request("ddram"), memtype="DDR3", nphases=4,
                                       sys_clk_freq=sys_clk_freq)
        soc.add_sdram("sdram", phy=soc.ddrphy, module=MT41K128M16(sys_clk_freq, "1:4"), l2_cache_size=8192)
        soc.leds = GPIOOut(self.platform.request_all("user_led"))

    def sim_config(self, sys_clk_freq):
        return None

"""Verilator simulation board: the IOs litex_sim uses (clock, reset, a console UART) and 4 LEDs."""
from litex.build.io import CRG
from litex.soc.cores.gpio import GPIOOut
from litex.build.generic_platform import Pins, Subsignal
from litex.build.sim import SimPlatform
from litex.build.sim.config import SimConfig

from accel.hw.config import DEFAULT

_io = [
    ("sys_clk", 0, Pins(1)),
    ("sys_rst", 0, Pins(1)),
    ("serial", 0,
        Subsignal("source_valid", Pins(1)),
        Subsignal("source_ready", Pins(1)),
        Subsignal("source_data",  Pins(8)),
        Subsignal("sink_valid",   Pins(1)),
        Subsignal("sink_ready",   Pins(1)),
        Subsignal("sink_data",    Pins(8)),
    ),
    ("user_led", 0, Pins(4)),    # the firmware shows detections here as on the Arty (read back over CSR)
]


class Platform(SimPlatform):
    def __init__(self):
        SimPlatform.__init__(self, "SIM", _io)


def _fpga_board(variant):
    """The FPGA board a sim variant stands in for (its accelerator configuration and memory sizes)."""
    if variant == "ulx3s":
        from boards.ulx3s import ULX3SBoard
        return ULX3SBoard
    if variant == "a7-35":
        from boards.arty import ACCEL_CONFIGS, ArtyBoard
        return type("Arty35", (), {"accel_config": ACCEL_CONFIGS["a7-35"], "rom_size": ArtyBoard.rom_size,
                                   "sram_size": ArtyBoard.sram_size})


SIM_VARIANTS = ("ulx3s", "a7-35")


class SimBoard:
    """What differs on the simulated board: platform, clocking, main RAM, UART, finish register.

    ``variant`` (--board sim --variant ulx3s | a7-35): the same simulated SoC with that FPGA board's
    accelerator configuration, ROM and SRAM sizes, so the KWS demo runs in Verilator as on the board
    (main RAM stays the integrated 1 MiB that holds the clips; the board's SDRAM/DDR3 is not modelled)."""
    name = "sim"
    default_sys_clk_freq = int(100e6)   # nominal: cycle counts are reported against 100 MHz
    rom_size = 256 * 1024
    sram_size = 64 * 1024
    main_ram_size = 1024 * 1024
    accel_config = DEFAULT

    def __init__(self, variant=None):
        if variant is not None:
            if variant not in SIM_VARIANTS:
                raise ValueError(f"unknown sim variant {variant!r}; choose one of {', '.join(SIM_VARIANTS)} "
                                 f"(the simulated SoC with that board's accelerator and memory sizes)")
            like = _fpga_board(variant)
            self.accel_config, self.rom_size, self.sram_size = like.accel_config, like.rom_size, like.sram_size
        self.variant = variant
        self.platform = Platform()

    def soc_kwargs(self):
        return dict(uart_name="sim", integrated_main_ram_size=self.main_ram_size)

    def add_crg(self, soc, sys_clk_freq):
        # LiteX's CRG: sys clock from the sim clocker plus a power-on reset (VexRiscv needs one).
        soc.crg = CRG(self.platform.request("sys_clk"))

    def add_board_io(self, soc, sys_clk_freq):
        # sim_finish (and SimTrace/SimMarker): the firmware ends the simulation by writing finish.
        self.platform.add_debug(soc, reset=0)
        soc.leds = GPIOOut(self.platform.request("user_led"))

    def sim_config(self, sys_clk_freq):
        config = SimConfig()
        config.add_clocker("sys_clk", freq_hz=sys_clk_freq)
        config.add_module("serial2console", "serial")
        return config

"""Target FPGAs for the design-space exploration: the one table of device resources and of what the
rest of the SoC takes beside the accelerator.

Units: Xilinx 7-series ``LUT`` (LUT6), ``FF``, ``BRAM`` in RAMB36 equivalents (a RAMB18 = 0.5),
``DSP`` = DSP48E1. Lattice ECP5: ``LUT`` = LUT4, ``FF``, ``BRAM`` in EBR (18 Kbit blocks), ``DSP`` = MULT18X18D.
Sources: Xilinx DS180 (7 Series FPGAs Data Sheet: Overview) table 2 and 3; Lattice FPGA-DS-02012
(ECP5 and ECP5-5G Family Data Sheet) table 1.1.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    name: str
    family: str          # "xc7" | "ecp5"
    LUT: int
    FF: int
    BRAM: float          # RAMB36 (xc7) or EBR (ecp5)
    DSP: int             # DSP48E1 (xc7) or MULT18X18D (ecp5)

    def budget(self, util: dict, reserve: dict) -> dict:
        return {k: getattr(self, k) * util[k] - reserve.get(k, 0) for k in ("LUT", "FF", "BRAM", "DSP")}


DEVICES = {d.name: d for d in (
    Device("xc7a35t", "xc7", LUT=20_800, FF=41_600, BRAM=50, DSP=90),
    Device("xc7a100t", "xc7", LUT=63_400, FF=126_800, BRAM=135, DSP=240),
    Device("ecp5-45f", "ecp5", LUT=43_848, FF=43_848, BRAM=108, DSP=72),
    Device("ecp5-85f", "ecp5", LUT=83_640, FF=83_640, BRAM=208, DSP=156),
)}

# Utilisation ceilings for place and route (the project's Arty guidelines: README "Arty A7 resources").
UTIL = {"LUT": 0.80, "FF": 0.80, "BRAM": 0.90, "DSP": 0.90}

# What the rest of the SoC takes beside the accelerator, xc7 units (README "Arty A7 resources", from
# `python bench/bench_arty_resources.py`, Yosys synth_xilinx):
#   soc:  VexRiscv + front-end + I2S + LiteDRAM/DDR3 PHY + 64 KiB ROM + 32 KiB SRAM + L2 + UART/bus/CSRs
#         (BRAM of the rest: 33 RAMB36 with the 64 KiB ROM, 2026-12-02; 47.5 with the earlier 128 KiB)
#   core: VexRiscv + front-end + I2S only (a SoC that keeps firmware and model in DDR / a smaller ROM)
#   none: the accelerator alone
RESERVES = {
    "soc": {"LUT": 2_387 + 4_209 + 82 + 3_135, "FF": 1_415 + 1_327 + 173 + 2_714, "BRAM": 5 + 4.5 + 33,
            "DSP": 4 + 19},
    "core": {"LUT": 2_387 + 4_209 + 82, "FF": 1_415 + 1_327 + 173, "BRAM": 5 + 4.5, "DSP": 4 + 19},
    "none": {},
}

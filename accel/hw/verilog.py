"""Verilog generation of AccelCore (standalone, no LiteX) for Verilator/Icarus/Yosys."""
from __future__ import annotations

from pathlib import Path

from migen.fhdl.verilog import convert

from accel.hw.config import DEFAULT, AccelConfig
from accel.hw.core import COUNTERS, AccelCore


def core_ios(core: AccelCore) -> set:
    return {core.bus_adr, core.bus_dat_w, core.bus_we, core.bus_dat_r, core.start, core.desc_base,
            core.n_layers, core.busy, core.done, core.error, core.layers,
            *[core.counters[n] for n in COUNTERS]}


def generate(cfg: AccelConfig = DEFAULT, out_dir=".", name: str = "accel_core") -> Path:
    core = AccelCore(cfg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    v = convert(core, ios=core_ios(core), name=name)
    v.write(str(out / f"{name}.v"))
    return out / f"{name}.v"


if __name__ == "__main__":
    import sys
    print(generate(DEFAULT, sys.argv[1] if len(sys.argv) > 1 else "build/accel_v"))

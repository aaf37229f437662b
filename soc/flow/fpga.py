"""FPGA steps: list the generated project, run the vendor toolchain (--build) and program the board
(--load) when the tools exist; without them, say what to run by hand."""
from __future__ import annotations

import shutil
import time

from soc.flow import BuildError, log, proc, rel


def fpga_steps(plan, board, gw):
    written = sorted(p for p in gw.dir.iterdir() if p.suffix in (".v", ".xdc", ".tcl", ".init", ".sdc"))
    log("wrote the Vivado project:")
    for p in written:
        print(f"  {rel(p)}")
    toolchain = getattr(board, "toolchain", "vivado")
    if plan.build:
        tool = "vivado" if toolchain == "vivado" else "nextpnr-xilinx"
        if shutil.which(tool) is None:
            raise BuildError(f"--build needs {tool} on PATH (source Vivado's settings64.sh, or install the "
                             f"open flow); the project above is ready to build by hand")
        t0 = time.time()
        with proc.group(["bash", f"build_{gw.build_name}.sh"], cwd=gw.dir) as p:   # output to the terminal
            rc = p.wait()
        if rc != 0:
            raise BuildError(f"{tool} failed (see its log in {gw.dir})")
        log(f"bitstream: {time.time() - t0:.1f} s")
    else:
        log(f"to build: vivado -mode batch -source {gw.build_name}.tcl (in {gw.dir}), or rerun with --build")
    if plan.load:
        if shutil.which("openFPGALoader") is None:
            raise BuildError("--load needs openFPGALoader on PATH (Debian: openfpgaloader)")
        bit = gw.dir / f"{gw.build_name}.bit"
        if not bit.exists():
            raise BuildError(f"no bitstream at {bit}; build it first (--build)")
        r = proc.run(["openFPGALoader", "-b", getattr(board, "loader_board", board.name), str(bit)])
        if r.returncode != 0:
            raise BuildError(f"openFPGALoader failed (is the board connected?): {r.stdout.strip()[-200:]}")

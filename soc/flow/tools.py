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

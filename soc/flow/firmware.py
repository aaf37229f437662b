"""Firmware phase: firmware/ built for rv32im against LiteX's generated headers, checked against the
ROM size and written into the ROM's ``$readmemh`` file (read when the simulation or Vivado starts, so a
firmware change never re-verilates). The sim's clips go into the main RAM's init file the same way.
"""
from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

from soc.flow import ROOT, BuildError, log, proc, rel
from soc.audio import AUDIO_SOURCES

SELFTEST_MODES = {"pass": 0, "fail": 1, "hang": 2}
INJECT_FAULTS = {"bad-desc": 1, "timeout": 2, "stuck": 3}   # firmware/src/app_kws.c KWS_INJECT_FAULT


@dataclasses.dataclass(frozen=True)
class Firmware:
    binary: Path
    size: int


def _defines(plan, appb) -> str:
    from frontend.format import MODE_CODES
    fe_mode = MODE_CODES[appb.fe_mode or "logmel"]
    return (f"-DSELFTEST_MODE={SELFTEST_MODES[plan.selftest_mode]} -DFEATURE_MODE={fe_mode} "
            f"-DAUDIO_SRC={AUDIO_SOURCES.index(plan.audio)}"
            + (" -DCPU_ONLY" if plan.cpu_only else "")
            + (" -DKWS_TRACE_OUTPUTS" if plan.trace_outputs else "")
            + (f" -DKWS_INJECT_FAULT={INJECT_FAULTS[plan.inject_fault]}" if plan.inject_fault else ""))


def _overflow(text: str) -> tuple[str, int] | None:
    """(region, bytes) of the linker's 'region rom overflowed by N bytes', if that is why the link failed."""
    m = re.search(r"region [`']?(\w+)'? overflowed by (\d+) bytes", text)
    return (m.group(1), int(m.group(2))) if m else None


def _rom_hint(need: int) -> str:
    """The --integrated-rom-size that holds ``need`` bytes (the next power of two)."""
    return f"--integrated-rom-size {max(16, 1 << (max(need, 1) - 1).bit_length()) // 1024}k"


def build_firmware(plan, appb, gw, fw_out: Path) -> Firmware:
    gen = fw_out / "gen"
    fw_out.mkdir(parents=True, exist_ok=True)
    defines = _defines(plan, appb)
    # Objects depend on the defines: rebuild when they change.
    stamp = fw_out / ".defines"
    if not stamp.exists() or stamp.read_text() != defines + plan.app:
        for o in fw_out.glob("*.o"):
            o.unlink()
        stamp.write_text(defines + plan.app)
    cmd = ["make", "-C", str(fw_out), "-f", str(ROOT / "firmware" / "Makefile"), f"BUILD_DIR={plan.out}",
           f"OUT_DIR={fw_out}", f"GEN_DIR={gen}", f"APP={plan.app}", f"FW_DEFINES={defines}",
           f"WITH_MODEL={int(appb.with_model)}", f"WITH_FE_C={int(plan.app == 'kws' and plan.cpu_only)}", "-j2"]
    r = proc.run(cmd)
    if r.returncode != 0:
        over = _overflow(r.stdout)
        if over:
            region, n = over
            if region != "rom":
                raise BuildError(f"the firmware does not fit ({region} overflowed by {n} bytes)")
            raise BuildError(f"the firmware does not fit the ROM (rom overflowed by {n} bytes); use a smaller "
                             f"model or fewer --input tensors, or {_rom_hint(gw.rom_size + n)}")
        print("\n".join(r.stdout.splitlines()[-40:]), file=sys.stderr)
        raise BuildError("firmware build failed (compiler output above)")
    if plan.verbose:
        print(r.stdout)
    binary = fw_out / "firmware.bin"
    size = binary.stat().st_size
    if size > gw.rom_size:
        raise BuildError(f"firmware is {size} bytes but the ROM holds {gw.rom_size}; "
                         f"shrink the firmware/model or use {_rom_hint(size)}")
    write_rom_init(binary, gw.dir / f"{gw.build_name}_rom.init")
    log(f"firmware: {rel(binary)} ({size} bytes, {100 * size / gw.rom_size:.0f}% of ROM)")
    return Firmware(binary, size)


def write_rom_init(binary: Path, init_path: Path):
    """Firmware image -> the ROM's $readmemh file (32-bit little-endian words, one per line)."""
    data = binary.read_bytes()
    data += b"\0" * (-len(data) % 4)
    words = [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]
    init_path.write_text("".join(f"{w:08x}\n" for w in words))


def write_main_ram(gw, audio):
    """The clip stream (or nothing) into the main RAM's init file (sim; with --audio uart the clips are
    streamed instead and main RAM holds no clip)."""
    if not gw.main_ram_size:
        return
    from soc.audio import write_main_ram_init
    try:
        write_main_ram_init(gw.dir / f"{gw.build_name}_main_ram.init",
                            audio.samples if audio is not None else None, gw.main_ram_size)
    except ValueError as e:
        raise BuildError(str(e))

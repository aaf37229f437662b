"""Gateware phase: LiteX SoC -> Verilog, headers and software libraries (+ the Verilator model on sim).

Cached in the output directory: ``.gateware-meta.json`` (what the later phases need) and
``.gateware-stamp``, a hash of the options that shape the hardware and of every repo module the SoC
construction imported. The stamp is checked before anything is touched and written only after a
build succeeded; options that do not shape the hardware (the app, the audio, the simulator's run
options) are not part of it, so changing them never re-verilates.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from soc.flow import ROOT, BuildError, log, proc, rel
from soc.flow.memory_map import memory_map_markdown

VERILATOR_LOCK = "/tmp/kws-verilator.lock"
SIM_CORE = ROOT / "soc" / "sim_core"     # our copy of LiteX's sim core Makefile and veril.cpp


def verilator_version() -> str:
    """`verilator --version` of the Verilator on PATH."""
    try:
        return proc.run(["verilator", "--version"], timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "(no verilator)"


def use_project_sim_core(gw: Path):
    """Point LiteX's generated build_sim.sh at soc/sim_core/Makefile: no VCD tracing and the model
    compiled with -O3, which simulates ~1.6x faster than LiteX's stock core (docs/architecture.md)."""
    import litex.build.sim as litex_sim
    script = gw / "build_sim.sh"
    stock = str(Path(litex_sim.__file__).parent / "core" / "Makefile")
    text = script.read_text()
    if stock not in text:
        raise BuildError(f"{script} does not call LiteX's {stock}; update soc/flow/gateware.py use_project_sim_core()")
    script.write_text(text.replace(stock, str(SIM_CORE / "Makefile")))


@dataclasses.dataclass(frozen=True)
class Gateware:
    dir: Path                 # <out>/gateware
    build_name: str           # "sim" or the platform name (file prefix of the .v/.init files)
    rom_size: int
    main_ram_size: int        # integrated main RAM (sim): where the clips go; 0 on DDR boards
    fresh: bool               # built in this run (False: reused from the cache)

    @property
    def vsim(self) -> Path:
        return self.dir / "obj_dir" / "Vsim"


def _stamp(plan, board, sources) -> str:
    import litex
    h = hashlib.sha256()
    h.update(json.dumps({"board": board.name, "variant": getattr(board, "variant", None),
                         "sys_clk_freq": plan.sys_clk_freq,
                         "accel_config": plan.accel_config.key() if plan.accel_config else None,
                         "rom_size": board.rom_size,
                         "toolchain": getattr(board, "toolchain", None) if board.name != "sim" else None,
                         "litex": str(Path(litex.__file__).parent)}, sort_keys=True).encode())
    if board.name == "sim":   # the Verilator model also depends on the Verilator and our sim core
        h.update(verilator_version().encode())
        sources = list(sources) + [str(f.relative_to(ROOT)) for f in sorted(SIM_CORE.iterdir())]
    for r in sorted(sources):
        f = ROOT / r
        h.update(r.encode())
        h.update(f.read_bytes() if f.exists() else b"<missing>")
    return h.hexdigest()[:16]


def _repo_modules():
    """Repo Python files currently imported (the gateware's design sources), the flow itself excluded."""
    files = set()
    flow_dir = Path(__file__).resolve().parent
    for mod in list(sys.modules.values()):
        # vars(): LiteX's compat shims print a deprecation notice on any attribute access.
        try:
            f = vars(mod).get("__file__")
        except TypeError:
            f = None
        if not f:
            continue
        p = Path(f).resolve()
        if (p.is_relative_to(ROOT) and ".venv" not in p.parts and not p.is_relative_to(flow_dir)
                and p != ROOT / "soc" / "build.py"):
            files.add(str(p.relative_to(ROOT)))
    return sorted(files)


def _meta(out: Path, fresh: bool, meta: dict) -> Gateware:
    return Gateware(dir=out / "gateware", build_name=meta["build_name"], rom_size=meta["rom_size"],
                    main_ram_size=meta.get("main_ram_size") or 0, fresh=fresh)


def gateware(plan, board) -> Gateware:
    """The cached gateware when its stamp matches, else a fresh build."""
    out = plan.out
    stamp_file, meta_file = out / ".gateware-stamp", out / ".gateware-meta.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else None
    ready = (meta is not None and stamp_file.exists()
             and stamp_file.read_text() == _stamp(plan, board, meta.get("sources", []))
             and (board.name != "sim" or (out / "gateware" / "obj_dir" / "Vsim").exists()))
    if ready and not plan.rebuild_gateware:
        log("gateware: up to date (design sources unchanged), reusing it")
        return _meta(out, False, meta)
    # From here on the directory's gateware is being replaced: the old stamp no longer describes it.
    stamp_file.unlink(missing_ok=True)
    meta = _build(plan, board, out)
    meta_file.write_text(json.dumps(meta))
    stamp_file.write_text(_stamp(plan, board, meta["sources"]))
    return _meta(out, True, meta)


def _build(plan, board, out: Path) -> dict:
    from litex.soc.integration.builder import Builder

    from soc.kws_soc import KWSSoC

    def generate():
        soc = KWSSoC(board, sys_clk_freq=plan.sys_clk_freq, accel_config=plan.accel_config)
        builder = Builder(soc, output_dir=str(out), compile_gateware=False, compile_software=True,
                          csr_json=str(out / "csr.json"))
        if board.name == "sim":
            builder.build(sim_config=board.sim_config(int(plan.sys_clk_freq)), run=False,
                          jobs=plan.jobs, opt_level="O3", interactive=False)
        else:
            builder.build(run=False)
        return soc

    out.mkdir(parents=True, exist_ok=True)
    log(f"gateware: generating the LiteX SoC for {board.name} (log: {out / 'gateware.log'})")
    soc = _quiet_call(generate, plan.verbose, out / "gateware.log")
    (out / "memory-map.md").write_text(memory_map_markdown(json.loads((out / "csr.json").read_text()), board.name))
    meta = {"build_name": "sim" if board.name == "sim" else soc.platform.name,
            "rom_size": soc.integrated_rom_size,
            "main_ram_size": soc.integrated_main_ram_size,
            "sources": _repo_modules()}
    if board.name == "sim":
        gw = out / "gateware"
        use_project_sim_core(gw)
        log(f"verilating the SoC with {verilator_version()} (one-time per design change)...")
        t0 = time.time()
        r = proc.run(["flock", VERILATOR_LOCK, "bash", "build_sim.sh"], cwd=gw)
        if r.returncode != 0:
            print("\n".join(r.stdout.splitlines()[-30:]), file=sys.stderr)
            raise BuildError(f"Verilator build failed (log above; full script: {gw / 'build_sim.sh'})")
        if plan.verbose:
            print(r.stdout)
        log(f"verilated in {time.time() - t0:.1f} s (includes waiting for other Verilator builds)")
    return meta


def _quiet_call(fn, verbose, log_path: Path):
    """Run a LiteX step with its output (Python and the make/meson children) in ``log_path``."""
    if verbose:
        return fn()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "w") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            return fn()
        except Exception as e:
            print(f"{type(e).__name__}: {e}", flush=True)
            raise BuildError(f"LiteX gateware generation failed; see {rel(log_path)}") from None
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])

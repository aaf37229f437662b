"""Figures of docs/dse.md (issue 18): the resource model against Yosys (fit and check points), the
energy per inference by memory level, and the design-space sweep per target FPGA.

    python bench/bench_dse.py            (analytical only, seconds; Yosys numbers from accel/model/yosys_fit.json)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def resource_table():
    import json

    from accel.model.resources import FEATURE_NAMES, FIT_JSON, config_from_key, fit, resources
    db = json.loads(FIT_JSON.read_text())
    f = fit()
    print(f"== Resource model vs Yosys ({db['yosys']}, synth_xilinx -family xc7, core alone); "
          f"fit on {f['n_fit']} points")
    print("LUT coefficients: " + ", ".join(f"{n} {c:.1f}" for n, c in zip(FEATURE_NAMES, f["LUT"])))
    print("FF coefficients:  " + ", ".join(f"{n} {c:.1f}" for n, c in zip(FEATURE_NAMES, f["FF"])))
    print("| role | config | LUT (Yosys / model / err) | FF | BRAM36 | DSP |")
    print("|---|---|---|---|---|---|")
    worst = {}
    for key, v in sorted(db["points"].items(), key=lambda kv: (kv[1]["role"] != "fit", kv[0])):
        r = resources(config_from_key(key))
        cells = []
        for q in ("LUT", "FF", "BRAM", "DSP"):
            y, m = v[q] + (v["LUTRAM"] if q == "LUT" else 0), r[q] + (r["LUTRAM"] if q == "LUT" else 0)
            e = (m - y) / y if y else 0.0
            if v["role"] == "check":
                worst[q] = max(worst.get(q, 0.0), abs(e))
            cells.append(f"{y:g} / {m:g} / {e:+.1%}")
        print(f"| {v['role']} | `{key}` | " + " | ".join(cells) + " |")
    print("worst |error| on the check points: " + ", ".join(f"{q} {e:.1%}" for q, e in worst.items()))


def energy_table():
    from accel import compiler as C
    from accel.hw.config import DEFAULT, SMALL
    from accel.model import program_access
    from accel.model.energy import energy, load_table, per_access_pj
    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    m = load_tflite(zoo_model("mlperf"))
    t = load_table()
    print("\n== Energy per MLPerf DS-CNN inference (accel/model/energy_45nm.json, Horowitz ISSCC 2014, 45 nm)")
    for name, cfg in (("DEFAULT", DEFAULT), ("SMALL", SMALL)):
        prog = C.compile_model(m, cfg)
        _, acc = program_access(prog.descs, cfg)
        e = energy(acc, cfg, t)
        pa = per_access_pj(cfg, t)
        print(f"{name} {cfg.key()}: per access " + ", ".join(f"{k} {v:.1f} pJ" for k, v in pa.items()))
        print("  " + ", ".join(f"{k} {v / 1e6:.3f} uJ ({v / e['total']:.0%})" for k, v in e.items() if k != "total")
              + f"; total {e['total'] / 1e6:.3f} uJ")
        print("  accesses: " + ", ".join(f"{k} {v}" for k, v in acc.items()))


def sweeps():
    from accel.dse.space import choose, evaluate, pareto, space
    from accel.model.devices import DEVICES, RESERVES, UTIL
    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    m = load_tflite(zoo_model("mlperf"))
    print("\n== Sweep of the MLPerf DS-CNN (python -m accel.dse MODEL --device D --reserve R)")
    for dev, res in (("xc7a35t", "none"), ("xc7a35t", "soc"), ("xc7a100t", "soc"), ("ecp5-85f", "none"),
                     ("ecp5-45f", "none")):
        t = time.time()
        pts = evaluate(m, DEVICES[dev], RESERVES[res], UTIL, space())
        front = pareto(pts)
        dt = time.time() - t
        line = f"{dev} reserve {res}: {len(pts)} configurations in {dt:.2f} s, {sum(p.ok for p in pts)} fit"
        for obj in ("cycles", "energy", "edp"):
            c = choose(pts, obj)
            line += f"; {obj}: " + (f"{c.cfg.key()} {c.cycles} cycles {c.energy_pj / 1e6:.3f} uJ {c.res}" if c else "none")
        print(line + f"; Pareto {len(front)}")


if __name__ == "__main__":
    resource_table()
    energy_table()
    sweeps()

"""python -m accel.dse MODEL.tflite --device xc7a35t [--objective cycles|energy|edp]: sweep the
accelerator's configuration space with the analytical models, print the Pareto set, write a Pareto
plot and the chosen configuration (``soc/build.py --accel-config FILE`` builds it)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from kws.cli import ArgumentParser, UserError, check_writable_dir, input_file, int_range, run_main

ROOT = Path(__file__).resolve().parents[2]


def build_parser():
    from accel.model.devices import DEVICES, RESERVES
    p = ArgumentParser(prog="python -m accel.dse",
                       description="Sweep the accelerator's configurations for a model and an FPGA with the "
                                   "analytical models; print the Pareto set, write a plot and the chosen config.")
    p.add_argument("model", type=input_file, help="int8 .tflite model")
    p.add_argument("--device", required=True, choices=sorted(DEVICES), help="target FPGA")
    p.add_argument("--objective", choices=("cycles", "energy", "edp"), default="cycles",
                   help="what the chosen configuration minimizes (edp: energy x cycles)")
    p.add_argument("--reserve", choices=sorted(RESERVES), default="soc",
                   help="resources left to the rest of the SoC (accel/model/devices.py; soc: the Arty SoC)")
    p.add_argument("--energy-table", type=input_file, default=None,
                   help="per-access energy table JSON (accel/model/energy_45nm.json when not given)")
    p.add_argument("--out", default=None, help="output directory (build/dse/<model>-<device> when not given)")
    p.add_argument("--top", type=int_range(1, 10_000), default=20, help="Pareto points to print")
    p.add_argument("--validate", type=int_range(0, 10_000), default=0,
                   help="run the chosen point and N-1 more Pareto points on the RTL (Verilator) as Ray tasks")
    p.add_argument("--ray-address", default=None,
                   help="Ray cluster to run --validate on (e.g. ray://head:10001 or auto; a local Ray when not given)")
    p.add_argument("--ray-cpus", type=int_range(1, 1024), default=None, help="local Ray: CPUs to use")
    p.add_argument("--verbose", action="store_true", help="print the traceback of an unexpected error")
    return p


def fmt_point(p, mark="") -> str:
    c = p.cfg
    r = p.res
    return (f"{mark:1} {c.rows:>4} {c.rq_lanes:>3} {c.dw_rq_lanes:>3} {c.act_depth:>5} {c.w_depth:>5} {c.q_depth:>5} "
            f"{c.tap_depth:>5} {p.cycles:>8} {p.energy_pj / 1e6:>8.3f} {r['LUT']:>7} {r['FF']:>7} {r['BRAM']:>6g} "
            f"{r['DSP']:>4}")


HEADER = (f"  {'rows':>4} {'rq':>3} {'dwq':>3} {'act':>5} {'w':>5} {'q':>5} {'tap':>5} {'cycles':>8} {'uJ':>8} "
          f"{'LUT':>7} {'FF':>7} {'BRAM':>6} {'DSP':>4}")


def plot(points, front, chosen, path: Path, device: str, objective: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [p for p in points if p.ok]
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.8))
    for a, (key, lab) in zip(ax, (("energy", "energy per inference (uJ)"), ("LUT", "LUT (device units)"))):
        val = (lambda p: p.energy_pj / 1e6) if key == "energy" else (lambda p: p.res["LUT"])
        a.scatter([p.cycles for p in ok], [val(p) for p in ok], s=6, c="0.75", label=f"fits ({len(ok)})")
        a.scatter([p.cycles for p in front], [val(p) for p in front], s=18, c="tab:red",
                  label=f"Pareto ({len(front)})")
        if chosen:
            a.scatter([chosen.cycles], [val(chosen)], s=160, marker="*", c="tab:blue", label=f"chosen ({objective})")
        a.set_xlabel("cycles per inference")
        a.set_ylabel(lab)
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle(f"accelerator design space on {device}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def body(args) -> int:
    import json
    from collections import Counter

    from accel.dse.space import choose, evaluate, pareto, space
    from accel.ir import ModelError
    from accel.model.devices import DEVICES, RESERVES, UTIL
    from accel.model.energy import load_table
    from accel.tflite_import import load_tflite
    device = DEVICES[args.device]
    out = check_writable_dir(args.out or ROOT / "build" / "dse" / f"{Path(args.model).stem}-{args.device}")
    out.mkdir(parents=True, exist_ok=True)
    try:
        table = load_table(str(args.energy_table)) if args.energy_table else load_table()
    except (ValueError, KeyError) as e:
        raise UserError(f"--energy-table {args.energy_table}: {e}") from None
    try:
        model = load_tflite(args.model)
    except ModelError as e:
        raise UserError(str(e)) from None
    t0 = time.time()
    groups = space()
    points = evaluate(model, device, RESERVES[args.reserve], UTIL, groups, table)
    front = pareto(points)
    chosen = choose(points, args.objective)
    dt = time.time() - t0
    n_ok = sum(p.ok for p in points)
    print(f"{args.model}: {len(points)} configurations on {device.name} (reserve {args.reserve!r}) in {dt:.2f} s; "
          f"{n_ok} fit")
    def category(w):
        kind, what = w.split(": ", 1)
        return f"{kind}: " + (what.split(" ")[0] if kind == "device" else
                              "SRAM too small" if "SRAM too small" in what else what[:70])
    reasons = Counter(c for p in points for c in sorted({category(w) for w in p.why}))
    for r, n in reasons.most_common():
        print(f"  does not fit: {r} ({n} configurations)")
    if not n_ok:
        hint = ""
        if args.reserve != "none":
            other = " or ".join(f"--reserve {r}" for r in ("core", "none") if r != args.reserve)
            hint = f"; the '{args.reserve}' reserve ({RESERVES[args.reserve]}) leaves too little: try {other}"
        ex = next((p for p in points if p.cycles is not None), points[0])
        raise UserError(f"no configuration fits {device.name}: e.g. {ex.cfg.key()}: {'; '.join(ex.why)}{hint}")
    print(f"Pareto set (cycles, energy, LUT, BRAM, DSP): {len(front)} points, first {min(args.top, len(front))} "
          f"by cycles (* = chosen, objective {args.objective}):")
    print(HEADER)
    for p in front[:args.top]:
        print(fmt_point(p, "*" if p is chosen else ""))
    if chosen not in front[:args.top]:
        print(fmt_point(chosen, "*"))
    e = chosen.energy
    print("chosen: " + chosen.cfg.key() + f"; {chosen.cycles} cycles, {chosen.energy_pj / 1e6:.3f} uJ per inference ("
          + ", ".join(f"{k} {v / 1e6:.3f}" for k, v in e.items() if k != "total") + " uJ)")
    png, cfg_json = out / "pareto.png", out / "accel_config.json"
    plot(points, front, chosen, png, device.name, args.objective)
    from dataclasses import asdict
    doc = dict(accel_config=asdict(chosen.cfg), device=device.name, objective=args.objective, reserve=args.reserve,
               model=str(args.model), predicted=dict(cycles=chosen.cycles, energy_pj=chosen.energy_pj,
                                                     energy_by_level_pj=chosen.energy, resources=chosen.res))
    cfg_json.write_text(json.dumps(doc, indent=1) + "\n")
    (out / "pareto.json").write_text(json.dumps([p.to_dict() for p in front], indent=1) + "\n")
    print(f"wrote {png}, {cfg_json} (soc/build.py --accel-config {cfg_json}), {out / 'pareto.json'}")
    if args.validate:
        from accel.dse.validate import validate
        pts = [chosen] + [p for p in front if p is not chosen][:args.validate - 1]
        rows = validate(args.model, [p.cfg for p in pts], address=args.ray_address, num_cpus=args.ray_cpus)
        print(f"RTL validation ({len(rows)} points, Ray {'at ' + args.ray_address if args.ray_address else 'local'}):")
        bad = 0
        for p, r in zip(pts, rows):
            err = (p.cycles - r["cycles"]) / r["cycles"]
            bad += (not r["bit_exact"]) or abs(err) > 0.01
            print(f"  {p.cfg.key()}: model {p.cycles}, RTL {r['cycles']} ({err:+.3%}), bit-exact {r['bit_exact']}, "
                  f"accesses equal {r['access_equal']}, {r['seconds']:.0f} s on {r['host']}")
        (out / "validation.json").write_text(json.dumps(rows, indent=1) + "\n")
        if bad:
            raise UserError(f"{bad} validated point(s) off by more than 1% or not bit-exact")
    return 0


def main(argv=None) -> int:
    return run_main(body, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

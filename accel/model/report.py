"""Model a whole network: compile it for a configuration and tabulate the per-descriptor model."""
from __future__ import annotations

from accel import compiler as C
from accel.hw.config import AccelConfig
from accel.model.access import program_access
from accel.model.cycles import program_cycles


def model_report(model, cfg: AccelConfig) -> dict:
    prog = C.compile_model(model, cfg)
    per, total = program_cycles(prog.descs, cfg)
    rows = []
    for i, (d, x) in enumerate(zip(prog.descs, per)):
        names = "+".join(model.layers[j].op for j in range(prog.desc_first[i], prog.desc_layer[i] + 1))
        rows.append(dict(i=i, layers=names, path=x.path, cycles=x.cycles, mac_active=x.mac_active,
                         dw_lane_active=x.dw_lane_active, stalls=x.stalls, exact=x.exact,
                         util=x.mac_active / x.cycles))
    acc, acc_total = program_access(prog.descs, cfg, per)
    for r, a in zip(rows, acc):
        r["access"] = a
    return dict(config=cfg.key(), rows=rows, total=total, mac_active=sum(x.mac_active for x in per),
                access=acc_total)


def format_report(rep: dict) -> str:
    out = [f"core {rep['config']}",
           f"{'#':>2} {'layer(s)':<28} {'path':<10} {'cycles':>8} {'MAC-act':>8} {'DW-lane':>8} {'stalls':>7} "
           f"{'util':>5}"]
    for r in rep["rows"]:
        out.append(f"{r['i']:>2} {r['layers']:<28} {r['path']:<10} {r['cycles']:>8} {r['mac_active']:>8} "
                   f"{r['dw_lane_active']:>8} {r['stalls']:>7} {r['util']:>5.0%}"
                   + ("" if r["exact"] else "  (approx.)"))
    out.append(f"total: {rep['total']} cycles per inference (whole descriptor list), MAC-active "
               f"{rep['mac_active']} ({rep['mac_active'] / rep['total']:.0%})")
    out.append("accesses per inference: " + ", ".join(f"{k} {v}" for k, v in rep["access"].items()))
    return "\n".join(out)

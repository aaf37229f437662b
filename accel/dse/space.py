"""The configuration space and its evaluation with the analytical models (no simulation).

A point is an AccelConfig. The compiler's descriptors depend only on (rows, rq_lanes, dw_rq_lanes,
tap_depth) -- the memory depths only decide whether the program fits -- so a sweep compiles the model
once per such group with the largest memories, reads what the program needs (activation, weight,
quant, descriptor words; the tap depth of its longest reduction), and evaluates every depth
combination of the group in closed form: cycles and accesses (accel/model), resources
(accel/model/resources.py), energy (accel/model/energy.py), fit on the device (accel/model/devices.py).
"""
from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

from accel.hw.config import AccelConfig

ROWS = (8, 16)
# (rq_lanes, dw_rq_lanes): dw_rq_lanes 0 = a core without the fused DW+PW lanes (the compiler then runs
# DW and PW as separate descriptors: more cycles, ~6-7 k fewer LUT)
LANES = tuple((q, d) for q in (1, 2, 4) for d in (0, 1, 2, 4) if d <= q)   # AccelConfig: rq_lanes <= 4
ACT_DEPTHS = (256, 512, 1024, 2048, 4096)
W_DEPTHS = (64, 128, 256, 512, 1024, 2048)
Q_DEPTHS = (128, 256, 512, 1024)
TAP_DEPTHS = (128, 256, 512, 1024)
DESC_DEPTH = 512
BIG = dict(act_depth=1 << 16, w_depth=1 << 16, q_depth=1 << 16, desc_depth=1 << 12)


def space(rows=ROWS, lanes=LANES, act=ACT_DEPTHS, w=W_DEPTHS, q=Q_DEPTHS, tap=TAP_DEPTHS):
    """Every point of the grid, grouped: {(rows, rq, dw, tap): [AccelConfig, ...]}."""
    groups = {}
    for r, (rq, dq), t in itertools.product(rows, lanes, tap):
        groups[(r, rq, dq, t)] = [AccelConfig(rows=r, rq_lanes=rq, dw_rq_lanes=dq, act_depth=a, w_depth=wd,
                                              q_depth=qd, tap_depth=t, desc_depth=DESC_DEPTH)
                                  for a, wd, qd in itertools.product(act, w, q)]
    return groups


@dataclass
class Point:
    cfg: AccelConfig
    cycles: int | None = None
    energy_pj: float | None = None
    energy: dict = field(default_factory=dict)
    res: dict = field(default_factory=dict)          # device units: LUT, FF, BRAM, DSP
    why: list = field(default_factory=list)          # reasons it does not fit (model or device)

    @property
    def ok(self) -> bool:
        return not self.why

    def to_dict(self) -> dict:
        return dict(config=asdict(self.cfg), key=self.cfg.key(), cycles=self.cycles, energy_pj=self.energy_pj,
                    energy_by_level=self.energy, resources=self.res, fits=self.ok, why=self.why)


def _needs(prog) -> dict:
    from accel import compiler as C
    return dict(act=C.max_act_words(prog), weight=len(prog.weights), quant=len(prog.quant),
                desc=len(prog.desc_words))


def evaluate(model, device, reserve: dict, util: dict, groups=None, energy_table=None) -> list[Point]:
    """Every point of ``groups`` (default: the whole space); ``device=None``: the model's cycles,
    accesses, energy and fit in SRAM only (no resource model, no device check)."""
    from accel import compiler as C
    from accel.ir import ModelError
    from accel.model.access import program_access
    from accel.model.cycles import program_cycles
    from accel.model.energy import energy, load_table
    from accel.model.resources import resources, to_family
    t = energy_table or load_table()
    budget = device.budget(util, reserve) if device else None
    groups = groups or space()
    out = []
    for (r, rq, dq, tap), cfgs in groups.items():
        try:
            prog = C.compile_model(model, AccelConfig(rows=r, rq_lanes=rq, dw_rq_lanes=dq, tap_depth=tap, **BIG))
            err = None
        except ModelError as e:
            err = str(e)
        if err is None:
            need = _needs(prog)
            per, cycles = program_cycles(prog.descs, cfgs[0])
            _, acc = program_access(prog.descs, cfgs[0], per)
        for cfg in cfgs:
            p = Point(cfg)
            if device:
                p.res = to_family(resources(cfg), cfg, device.family)
            if err is not None:
                p.why.append(f"model: {err}")
            else:
                p.cycles = cycles
                p.energy = energy(acc, cfg, t)
                p.energy_pj = p.energy["total"]
                for k, depth, unit in (("act", cfg.act_depth, "activation words per buffer"),
                                       ("weight", cfg.w_depth, "weight words"),
                                       ("quant", cfg.q_depth, "quant words"),
                                       ("desc", cfg.desc_depth, "descriptor words")):
                    if need[k] > depth:
                        p.why.append(f"model: needs {need[k]} {unit} > {depth} (SRAM too small)")
            for k in ("LUT", "FF", "BRAM", "DSP") if device else ():
                if p.res[k] > budget[k]:
                    p.why.append(f"device: {k} {p.res[k]:g} > {budget[k]:g} available")
            out.append(p)
    return out


def objective(p: Point, name: str) -> float:
    if name == "cycles":
        return p.cycles
    if name == "energy":
        return p.energy_pj
    if name == "edp":
        return p.cycles * p.energy_pj
    raise ValueError(name)


def pareto(points: list[Point]) -> list[Point]:
    """Non-dominated fitting points in (cycles, energy, LUT, BRAM, DSP); one point per distinct vector."""
    import numpy as np
    cand = [p for p in points if p.ok]
    if not cand:
        return []
    V = np.array([(p.cycles, p.energy_pj, p.res["LUT"], p.res["BRAM"], p.res["DSP"]) for p in cand], float)
    V, idx = np.unique(V, axis=0, return_index=True)
    keep = [i for i, v in enumerate(V) if not np.any(np.all(V <= v, axis=1) & np.any(V < v, axis=1))]
    return sorted((cand[idx[i]] for i in keep), key=lambda p: (p.cycles, p.energy_pj))


def choose(points: list[Point], name: str) -> Point | None:
    ok = [p for p in points if p.ok]
    if not ok:
        return None
    return min(ok, key=lambda p: (objective(p, name), p.res["LUT"], p.res["BRAM"], p.res["DSP"], p.energy_pj))

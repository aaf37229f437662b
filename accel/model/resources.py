"""Resource model of the core (Xilinx 7-series units, Yosys ``synth_xilinx``) per unit, in closed form
from an AccelConfig.

* BRAM (RAMB36 equivalents) is derived, not fitted: every memory of accel/hw/core.py is tiled with the
  cheapest 7-series block shape that holds it, the way Yosys' ``memory_libmap`` maps it (RAMB18 = 1
  cost unit, RAMB36 = 2; simple dual port up to 36/72 bits x 512, true dual port up to 18/36 bits
  x 1K and the narrower, deeper shapes; a write-enable group of 32 bits is never split between blocks
  that could not share its enable).
* DSP48E1 is derived: the array (64: two int8 products per DSP on 16 rows, one on 8 rows) + 4 per
  requant lane (the 32x32 SaturatingRoundingDoublingHighMul), ``rq_lanes + dw_rq_lanes`` lanes.
* LUT and FF are linear in the configuration's unit counts (array rows, requant lanes of the post
  unit and of the DW lanes, and whether the fused DW lanes are built at all), with coefficients
  fitted by least squares to the Yosys runs of the FIT points in accel/model/yosys_fit.json
  (``python -m accel.model.synth`` regenerates them); LUTRAM (the DW lanes' 16-word prefetch FIFO,
  16 rows only) is taken from the same runs.

docs/dse.md has the fit, the check on configurations not used to fit, and the equations.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from accel.hw.config import AccelConfig

FIT_JSON = Path(__file__).resolve().parent / "yosys_fit.json"

# (width, depth, cost in RAMB18 units); simple-dual-port shapes include the true-dual-port ones
TDP_SHAPES = ((18, 1024, 1), (9, 2048, 1), (4, 4096, 1), (2, 8192, 1), (1, 16384, 1),
              (36, 1024, 2), (18, 2048, 2), (9, 4096, 2), (4, 8192, 2), (2, 16384, 2), (1, 32768, 2))
SDP_SHAPES = ((36, 512, 1), (72, 512, 2)) + TDP_SHAPES


def bram_blocks(width: int, depth: int, tdp: bool, we_bits: int = 0) -> float:
    """RAMB36 equivalents of one memory (``we_bits``: write-enable granularity, 0 = one enable)."""
    best = None
    for w, d, c in (TDP_SHAPES if tdp else SDP_SHAPES):
        if we_bits and w >= we_bits:
            cols = -(-(width // we_bits) // (w // we_bits))
        elif we_bits:
            cols = (width // we_bits) * -(-we_bits // w)
        else:
            cols = -(-width // w)
        cost = cols * -(-depth // d) * c
        best = cost if best is None else min(best, cost)
    return best / 2


def memories(cfg: AccelConfig) -> dict:
    """name -> (width, depth, true dual port, write-enable bits): the core's BRAMs (accel/hw/core.py)."""
    return {
        "desc": (32, cfg.desc_depth, False, 0),
        "weight": (8 * cfg.rows * cfg.cols, cfg.w_depth, False, 32),
        "quant": (96 * cfg.rq_lanes, cfg.q_depth, cfg.fused_dw, 32),  # the write port also reads (DW lanes)
        "act0": (64, cfg.act_depth, True, 32),                      # the write port also reads (2nd port)
        "act1": (64, cfg.act_depth, True, 32),
        "tap": (72, 2 * cfg.tap_depth, False, 0),
    }


def bram(cfg: AccelConfig) -> dict:
    return {k: bram_blocks(*v) for k, v in memories(cfg).items()}


def dsp(cfg: AccelConfig) -> dict:
    return {"array": 64, "requant": 4 * cfg.rq_lanes, "dw_requant": 4 * cfg.dw_rq_lanes}


def features(cfg: AccelConfig) -> np.ndarray:
    """The unit counts LUT and FF are linear in. Memory depths only widen address counters (a few LUT/FF
    per bit, < 1% of the core over the whole sweep): left out, so that a handful of runs fit the model."""
    return np.array([1.0, cfg.rows, cfg.rq_lanes + cfg.dw_rq_lanes, float(cfg.fused_dw)])


# A requant lane of the post unit and one of the DW lanes are the same RequantLane (accel/hw/requant.py):
# one coefficient for both; the fused DW lanes' datapath without its requant lanes (window registers,
# LUT multipliers, accumulators, prefetch) is one more term, 0 on a core built without them
# (dw_rq_lanes = 0), so that four synthesized points determine the model.
FEATURE_NAMES = ("base", "per array row", "per requant lane", "fused DW lanes")


def config_from_key(key: str) -> AccelConfig:
    from dataclasses import fields
    parts = key.split("_")
    vals = {}
    for f, p in zip(fields(AccelConfig), parts):
        vals[f.name] = int(p[2:])
    return AccelConfig(**vals)


def fit(path=None) -> dict:
    """Least-squares coefficients of LUT and FF on the fit points; LUTRAM per array size."""
    return _fit(str(path or FIT_JSON))


@lru_cache(maxsize=4)
def _fit(path: str) -> dict:
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: the Yosys fit points are missing (python -m accel.model.synth makes them)")
    db = json.loads(Path(path).read_text())
    pts = [(config_from_key(k), v) for k, v in db["points"].items() if v["role"] == "fit"]
    X = np.array([features(c) for c, _ in pts])
    out = {}
    for q in ("LUT", "FF"):
        y = np.array([v[q] for _, v in pts], float)
        out[q] = np.linalg.lstsq(X, y, rcond=None)[0]
    out["LUTRAM"] = {c.rows: v["LUTRAM"] for c, v in pts}
    out["n_fit"] = len(pts)
    return out


def resources(cfg: AccelConfig) -> dict:
    """LUT (logic), LUTRAM, FF, BRAM (RAMB36-eq.), DSP of the core alone, with the per-unit split."""
    f = fit()
    b, d = bram(cfg), dsp(cfg)
    x = features(cfg)
    lut = float(f["LUT"] @ x)
    ff = float(f["FF"] @ x)
    lutram = f["LUTRAM"].get(cfg.rows, 0)
    return dict(LUT=round(lut), LUTRAM=lutram, FF=round(ff), BRAM=sum(b.values()), DSP=sum(d.values()),
                bram_by_memory=b, dsp_by_unit=d,
                lut_by_unit={n: round(c * v) for n, c, v in zip(FEATURE_NAMES, f["LUT"], x)},
                ff_by_unit={n: round(c * v) for n, c, v in zip(FEATURE_NAMES, f["FF"], x)})


def to_family(res: dict, cfg: AccelConfig, family: str) -> dict:
    """Device units. xc7: as modelled (LUT includes LUTRAM). ECP5: converted, NOT fitted to synth_ecp5
    (an estimate): LUT4 = 1.6 x LUT6, EBR (18 Kbit) = 2 per RAMB36, MULT18X18D = one per int8 array
    product (the 9x25-bit pair packing needs a wider multiplier than 18x18) + 4 per requant lane."""
    lut = res["LUT"] + res["LUTRAM"]
    if family == "xc7":
        return dict(LUT=lut, FF=res["FF"], BRAM=res["BRAM"], DSP=res["DSP"])
    if family == "ecp5":
        return dict(LUT=round(1.6 * lut), FF=res["FF"], BRAM=2 * res["BRAM"],
                    DSP=cfg.rows * cfg.cols + 4 * (cfg.rq_lanes + cfg.dw_rq_lanes))
    raise ValueError(f"unknown device family {family}")

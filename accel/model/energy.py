"""Energy per inference: the model's access counts (accel/model/access.py) times a per-access energy
table (accel/model/energy_45nm.json: Horowitz, ISSCC 2014, 45 nm; the file says how it scales with
memory size and word width; ``--energy-table FILE`` supplies another technology's numbers).

Levels: accumulators / MAC datapath, the tap buffer (the array's operand buffer), the activation,
weight and quant SRAMs, the requant datapath. DRAM: 0 (weights and activations stay on chip)."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from accel.hw.config import AccelConfig

TABLE = Path(__file__).resolve().parent / "energy_45nm.json"


@lru_cache(maxsize=8)
def load_table(path: str = str(TABLE)) -> dict:
    try:
        t = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e})") from None
    for k in ("sram_pj_per_64b", "mac_pj", "requant_pj_per_channel"):
        if not isinstance(t, dict) or k not in t:
            raise ValueError(f"missing key {k!r} (keys: see accel/model/energy_45nm.json)")
    return t


def sram_pj(capacity_bytes: float, word_bits: int, t: dict) -> float:
    """Energy of one access of ``word_bits`` to an SRAM of ``capacity_bytes`` (log-log interpolation)."""
    pts = t["sram_pj_per_64b"]
    lx = math.log(capacity_bytes)
    if capacity_bytes <= pts[0][0]:
        (x0, y0), (x1, y1) = pts[0], pts[1]
    else:
        i = next((i for i in range(1, len(pts)) if capacity_bytes <= pts[i][0]), len(pts) - 1)
        (x0, y0), (x1, y1) = pts[i - 1], pts[i]
    slope = (math.log(y1) - math.log(y0)) / (math.log(x1) - math.log(x0))
    e64 = math.exp(math.log(y0) + slope * (lx - math.log(x0)))
    return max(e64, t.get("sram_floor_pj_per_64b", 0.0)) * word_bits / 64


def per_access_pj(cfg: AccelConfig, t: dict) -> dict:
    sb = cfg.sram_bytes()
    return {
        "act": sram_pj(sb["act"] / 2, 64, t),                        # one of the two ping-pong buffers
        "tap": sram_pj(sb["tap"], 72, t),
        "weight": sram_pj(sb["weight"], 8 * cfg.rows * cfg.cols, t),
        "quant": sram_pj(sb["quant"], 96 * cfg.rq_lanes, t),
    }


def energy(acc: dict, cfg: AccelConfig, t: dict | None = None) -> dict:
    """Energy per inference in pJ per level, from the summed access counts of one inference."""
    t = t or load_table()
    e = per_access_pj(cfg, t)
    lv = {
        "mac_accumulators": acc["macs"] * t["mac_pj"] + acc["acc_upd"] * t.get("acc_pj", 0.1),
        "tap_buffer": (acc["acc_tap_rd"] + acc["acc_tap_wr"]) * e["tap"],
        "activation_sram": (acc["acc_act_rd"] + acc["acc_act_wr"]) * e["act"],
        "weight_sram": (acc["acc_w_rd"] + acc["acc_w_rd_dw"]) * e["weight"],
        "quant_sram": (acc["acc_q_rd"] + acc["acc_q_rd_dw"]) * e["quant"],
        # one quant word read = rq_lanes channels requantized (post unit and DW lanes; pooling reads none)
        "requant": (acc["acc_q_rd"] + acc["acc_q_rd_dw"]) * cfg.rq_lanes * t["requant_pj_per_channel"],
        "dram": 0.0,
    }
    lv["total"] = sum(lv.values())
    return lv

"""Memory accesses per descriptor in closed form: the quantities the RTL counters of
accel/hw/counters.py count (same names), plus the accumulator updates the cycle counters imply.

Every count is a product of loop bounds of the layer's nest (docs/dse.md, "Access counts"); nothing is
simulated. ``exact`` is False only on the unfused sliding-window DW path (its cycle model is an estimate).
"""
from __future__ import annotations

from accel.hw.config import AccelConfig
from accel.hw.counters import ACCESS_COUNTERS
from accel.model.cycles import LayerCycles, layer_cycles


def layer_access(d, cfg: AccelConfig, x: LayerCycles | None = None) -> dict:
    """name -> count for one descriptor: the ACCESS_COUNTERS, then ``macs`` (int8 products) and
    ``acc_upd`` (accumulator updates) that the cycle counters imply."""
    x = x or layer_cycles(d, cfg)
    p = x.path
    kk = d["kh"] * d["kw"]
    g, og, nk = d["ig"], d["og"], d["nk"]
    pix = d["oh"] * d["ow"]
    qpg = cfg.q_per_group
    a = dict.fromkeys(ACCESS_COUNTERS, 0)
    if p.startswith("conv") or p == "dwpw":
        a["acc_tap_rd"] = a["acc_w_rd"] = x.mac_active        # one tap word + one weight word per issue
        a["acc_q_rd"] = pix * og * qpg                       # every 8-channel output word: 8/rq_lanes words
        a["acc_act_wr"] = pix * og
        a["macs"], a["acc_upd"] = x.mac_active * cfg.rows * cfg.cols, x.mac_active * cfg.rows
        if p == "conv_word":
            a["acc_act_rd"] = a["acc_tap_wr"] = pix * kk * g
        elif p == "conv_byte":
            a["acc_act_rd"], a["acc_tap_wr"] = pix * kk * d["cin"], pix * nk
        elif p == "conv_byte1":
            a["acc_act_rd"], a["acc_tap_wr"] = pix * 2 * (-(-kk // 2)), pix * nk
        else:                                                # fused DW lanes feed the PW array
            npair = -(-kk // 2)
            a["acc_act_rd"] = 2 * x.dw_lane_active            # two ports per lane issue
            a["acc_tap_wr"] = pix * g                          # one requantized 8-channel group per tap word
            a["acc_w_rd_dw"] = pix * g * (1 + (npair > 4) if cfg.rows == 8 else 1)
            a["acc_q_rd_dw"] = pix * g * qpg
            a["macs"] += x.dw_lane_active * 16                 # 2 kernel positions x 8 channels per issue
            a["acc_upd"] += x.dw_lane_active * 8
        return a
    u = x.units                                              # pixel x group
    a["acc_act_wr"] = u
    a["macs"] = a["acc_upd"] = x.mac_active * 8                # column mode: one product per row
    if p == "dw_win":
        a["acc_w_rd"] = x.mac_active
        a["acc_q_rd"] = u * qpg
        a["acc_act_rd"] = d["oh"] * g * x.P                   # estimate: one fire per column cycle
        return a
    a["acc_act_rd"] = a["acc_tap_wr"] = u * kk
    a["acc_tap_rd"] = x.mac_active
    if p == "dw_tap":
        a["acc_w_rd"] = u * (-(-nk // 8))                     # one weight word per 8 kernel positions
        a["acc_q_rd"] = u * qpg
    return a


def program_access(descs, cfg: AccelConfig, per=None) -> tuple[list[dict], dict]:
    per = per or [layer_cycles(d, cfg) for d in descs]
    rows = [layer_access(d, cfg, x) for d, x in zip(descs, per)]
    return rows, {k: sum(r[k] for r in rows) for k in rows[0]}

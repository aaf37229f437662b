"""Per-descriptor cycle model of the accelerator (accel/hw) in closed form.

``layer_cycles(desc, cfg)`` maps one compiler descriptor (accel/compiler.py) and an AccelConfig to
cycles (start to done of a one-layer run), MAC-active cycles (the RTL counters cyc_mac_gemm /
cyc_mac_dw / cyc_dw_lanes) and stalls (cycles - the binding unit's active cycles). The equations and the
constants are derived in docs/dse.md; every constant names the RTL state it comes from.
"""
from __future__ import annotations

from dataclasses import dataclass

from accel import descriptor as D
from accel.hw.config import AccelConfig
from accel.model.pipeline import pipeline_cycles

# Sequencer: FETCH (DESC_WORDS cycles) + WAITW + CHECK + unit start, plus the compute unit's load and
# the array/post pipeline to the last output write: the fixed latency of every layer (cycles).
T_FIXED = 32
# Extra fixed latency of the fused DW lanes (product + accumulate stages before the requant steps).
T_DWPW = 7
# Hand-over round trip of a tap-buffer half between generator and compute (release -> clr_full ->
# producer fire -> write stage -> set_full -> load): the ``K`` of the pipeline equation.
K_HANDOVER = 2
# Fused DW lanes: publish latency after the last pair (stage 1, stage 2, RequantLane.LATENCY, ...):
# K = K_DWPW_BASE + 8 / dw_rq_lanes.
K_DWPW_BASE = 9
POOL_MINC = 16          # accel/hw/core.py POOL_CYCLES: pooled vectors are spaced >= 16 cycles (divider)
POOL_DRAIN = 5          # the pooling divider + write after the last reduction
# A whole descriptor list run (n_layers = 0) instead of one-layer runs: the END descriptor's fetch and
# check, minus one start handshake per layer.
T_END = 19


@dataclass
class LayerCycles:
    path: str            # conv_word | conv_byte | conv_byte1 | dw_tap | dw_win | pool | dwpw
    units: int           # pipeline work units (pixels, or pixel-groups in column mode)
    cycles: int          # start to done of this descriptor run alone
    mac_active: int      # MAC array issue cycles (GEMM or column mode)
    dw_lane_active: int  # fused DW lane issue cycles (DWPW only)
    P: int               # producer cycles per unit
    Cu: int              # consumer spacing per unit
    exact: bool          # equation validated exact against the RTL on this path / config

    @property
    def stalls(self) -> int:
        return self.cycles - max(self.mac_active, self.dw_lane_active)


def op_path(d) -> str:
    op = d["op"]
    if op == D.OP_CONV:
        if d["flags"] & D.FLAG_BYTE_MODE:
            return "conv_byte1" if d["cin"] == 1 else "conv_byte"
        return "conv_word"
    if op == D.OP_DW:
        return "dw_win" if d["flags"] & D.FLAG_DW_WINDOW else "dw_tap"
    if op in (D.OP_AVGPOOL, D.OP_MAXPOOL):
        return "pool"
    if op == D.OP_DWPW:
        return "dwpw"
    raise ValueError(f"no cycle model for op {op}")


def _gemm_terms(d, cfg: AccelConfig):
    RW = cfg.row_words
    npass = -(-d["og"] // RW)                          # output-channel passes of `rows` channels
    nk = d["nk"]
    s = max(nk, cfg.rq_cycles)                         # reduction spacing (requant of one vector)
    last_words = 1 if (RW == 2 and d["og"] % 2) else RW
    drain = cfg.q_per_group * last_words               # requant of the last vector
    return npass, nk, s, drain


def layer_cycles(d, cfg: AccelConfig) -> LayerCycles:
    p = op_path(d)
    kk = d["kh"] * d["kw"]
    g = d["ig"]
    if p.startswith("conv"):
        npass, nk, s, drain = _gemm_terms(d, cfg)
        P = {"conv_byte1": -(-kk // 2), "conv_byte": kk * d["cin"], "conv_word": kk * g}[p]
        u = d["oh"] * d["ow"]
        Cu, O = npass * s, (npass - 1) * s + nk
        cyc = pipeline_cycles(u, P, P, Cu, O, K_HANDOVER, T_FIXED + P + O + drain)
        return LayerCycles(p, u, cyc, u * npass * nk, 0, P, Cu, True)
    if p == "dwpw":
        npass, nk, s, drain = _gemm_terms(d, cfg)
        npair = -(-kk // 2)                            # two kernel positions per lane cycle
        RQ = 8 // cfg.dw_rq_lanes                      # groups spaced >= RQ (DW requant of 8 channels)
        P = g * max(npair, RQ)
        Pf = (g - 1) * max(npair, RQ) + npair
        u = d["oh"] * d["ow"]
        Cu, O = npass * s, (npass - 1) * s + nk
        K = K_DWPW_BASE + RQ
        first = T_FIXED + T_DWPW + RQ + Pf + O + drain
        cyc = pipeline_cycles(u, P, Pf, Cu, O, K, first)
        # 8 rows: the lanes take the weight read port (1 or 2 cycles per group) -- when that hits a cycle
        # the compute unit wants, it stalls: approximated by `hits` (docs/dse.md). 16 rows: the prefetch FIFO
        # hid every take in the measurements (exact).
        exact = cfg.rows == 16
        if cfg.rows == 8:
            nst = g * (1 + (npair > 4))                # port takes per pixel
            hits = (O * nst * nk * nk) // (max(P, Cu) * s * s)   # takes landing on an issue cycle
            cyc = pipeline_cycles(u, P, Pf, Cu + hits, O + hits, K, first)
        return LayerCycles(p, u, cyc, u * npass * nk, u * g * npair, P, Cu, exact)
    # column mode: one pass per 8-channel group
    u = d["oh"] * d["ow"] * g
    nk = d["nk"]
    P = kk
    if p == "pool":
        minc, drain = POOL_MINC, POOL_DRAIN
    else:
        minc, drain = cfg.q_per_group, cfg.q_per_group
    Cu, O = max(nk, minc), nk
    if p == "dw_win":
        cyc, col, S = dw_window_cycles(d, cfg)
        return LayerCycles(p, u, cyc, 2 * u, 0, col, S, True)
    cyc = pipeline_cycles(u, P, P, Cu, O, K_HANDOVER, T_FIXED + P + O + drain)
    return LayerCycles(p, u, cyc, u * nk, 0, P, Cu, True)


def dw_window_cycles(d, cfg: AccelConfig) -> tuple[int, int, int]:
    """The sliding-window DW path (accel/hw/dwwindow.py): (cycles, generator cycles per output row,
    snapshot-take spacing). Exact (docs/dse.md). Per 8-channel group and output row the generator walks
    ``kw + (ow-1)*sw`` input columns, ``ceil(kh/2)`` cycles each (two rows per cycle), 1 for a column
    in the padding; the column that completes output ``k`` is its output fire ``o_k``. The DW compute
    takes the snapshot (2 array cycles) no sooner than 2 cycles after the output fire and
    ``S = max(2, q_per_group)`` after the previous take (requant spacing); an output fire waits for
    the previous take and is never in the cycle after another output fire::

        o_k = max(o_{k-1} + max(n_k, 2), take_{k-1})      take_k = max(o_k + 2, take_{k-1} + S)

    with ``n_k`` the generator cycles from output fire k-1 to k (the first: columns 0..kw-1 minus one).
    Every output row has the same ``n_k``, so the recursion's per-row increment becomes constant once the
    row-end state ``take - o`` repeats (after one or two rows): the remaining rows are extrapolated."""
    kh, kw, sw, pl, iw, ow = d["kh"], d["kw"], d["sw"], d["pl"], d["iw"], d["ow"]
    ncols = kw + (ow - 1) * sw
    cost = [-(-kh // 2) if 0 <= j - pl < iw else 1 for j in range(ncols)]
    outs = [kw - 1 + k * sw for k in range(ow)]
    n = [sum(cost[(outs[k - 1] + 1 if k else 0):outs[k] + 1]) for k in range(ow)]
    S = max(2, cfg.q_per_group)
    rows = d["ig"] * d["oh"]

    def row(o, tk, ks):
        for k in ks:
            o = max(o + max(n[k], 2), tk)
            tk = max(o + 2, tk + S)
        return o, tk

    o = n[0] - 1                                     # the layer's first output fire (first fire: cycle 0)
    o, tk = row(o, o + 2, range(1, ow))
    gap = None                                       # row-end take - output fire of the previous row
    for r in range(1, rows):
        tk0 = tk
        o, tk = row(o, tk, range(ow))
        if tk - o == gap:                            # same state as a row ago: every later row repeats
            tk += (tk - tk0) * (rows - 1 - r)        # this row's increment (the recursion is shift-invariant)
            break
        gap = tk - o
    return tk + T_FIXED + cfg.q_per_group, sum(cost), S


def program_cycles(descs, cfg: AccelConfig) -> tuple[list[LayerCycles], int]:
    """Per-descriptor models and the cycles of one whole run of the list (start to done)."""
    per = [layer_cycles(d, cfg) for d in descs]
    return per, sum(x.cycles for x in per) + T_END - len(per)

"""Memory-access performance counters of the core (issue 18): one 32-bit counter per memory and
direction, cleared by ``start`` like the cycle counters, so the analytical model (accel/model/access.py)
and the RTL are compared on the same quantities.

What one count is (every memory is a simple dual-port BRAM with an always-enabled read port, so a
"read" is a word the engine presents an address for and uses, per port):

=================  =========================================================================================
``acc_act_rd``     activation words read by the producer: one per window-generator / sliding-window fire,
                   two per fire of the dual-port generators (ByteGen2, fused DW lanes: both ports of the
                   source memory), padded taps included (the address is driven, the data replaced)
``acc_act_wr``     activation words written (the post unit's write port: one 8-channel output word)
``acc_tap_wr``     tap-buffer words written (window generator, ByteGen2 or fused DW lanes)
``acc_tap_rd``     tap-buffer words read (one per compute-unit issue)
``acc_w_rd``       weight words read for the MAC array: one per GEMM issue, one per 8 kernel positions in
                   column-mode DW, one per sliding-window issue; none for pooling (the array multiplies
                   by ones)
``acc_w_rd_dw``    weight words the fused DW lanes use: port takes + prefetched words popped from the FIFO
                   (16 rows). The prefetcher also reads ahead up to its depth (16 words) at the end of a
                   descriptor; those reads, unused, are not counted (their number depends on the phase of
                   the compute unit's idle port slots, not on the loop bounds)
``acc_q_rd``       quant words (``rq_lanes`` channels each) read by the post unit's requant
``acc_q_rd_dw``    quant words read by the fused DW lanes' requant (through the quant write port)
=================  =========================================================================================

MAC-array / DW-lane accumulator updates are ``rows`` (GEMM) or 8 (column mode, DW lanes) per active
cycle, so the cycle counters ``cyc_mac_gemm`` / ``cyc_mac_dw`` / ``cyc_dw_lanes`` already count them.
"""
from migen import If, Mux

from accel import descriptor as D

ACCESS_COUNTERS = ("acc_act_rd", "acc_act_wr", "acc_tap_wr", "acc_tap_rd", "acc_w_rd", "acc_w_rd_dw",
                   "acc_q_rd", "acc_q_rd_dw")


def access_events(cfg, *, op, gen, bg2, fdw, dww, comp, mac, post, tap_we, fused, dwin, is_pool):
    """(counter name, increment expression) per counter, from signals the core already has."""
    qpg, rqc = cfg.q_per_group, cfg.rq_cycles
    gemm = (op == D.OP_CONV) | fused
    gen_fire = gen.active & ~gen.stall
    return {
        "acc_act_rd": (Mux(gen_fire | (dww.active & ~dww.stall), 1, 0)
                       + Mux((bg2.active & ~bg2.stall) | fdw.issue, 2, 0)),
        "acc_act_wr": post.w_we,
        "acc_tap_wr": tap_we,
        "acc_tap_rd": mac.valid & ~dwin,
        "acc_w_rd": mac.valid & ~is_pool & (gemm | dwin | (mac.col_sel == 0)),
        "acc_w_rd_dw": fdw.wreq | getattr(fdw, "pf_pop", 0),
        # one requant of a result vector: rows/rq_lanes quant words for a two-word vector, else 8/rq_lanes
        "acc_q_rd": Mux(mac.res_valid & ~is_pool, Mux(post.res_two, rqc, qpg) if cfg.rows > 8 else qpg, 0),
        # one tap word of the fused lanes = one requantized 8-channel group = 8/rq_lanes quant words
        "acc_q_rd_dw": Mux(fused & tap_we, 8 // cfg.rq_lanes, 0),
    }


def add_access_counters(core, counters, **sigs):
    """The core's hook: ``counters`` (name -> Signal(32)) count the events of :func:`access_events`."""
    ev = access_events(core.cfg, **sigs)
    core.sync += If(core.start, *[counters[n].eq(0) for n in ACCESS_COUNTERS]).Else(
        *[counters[n].eq(counters[n] + ev[n]) for n in ACCESS_COUNTERS])

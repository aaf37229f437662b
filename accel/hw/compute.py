"""Compute unit: runs the reductions of one buffered pixel(-group) on the MAC array.

For each full tap-buffer half: for each output-channel group (CONV; one pass for DW / pooling) it
streams the ``nk`` tap words with the matching weight words into the array (GEMM or column mode), then
hands the half back to the window generator. Reductions start at least ``minc`` cycles apart so the
requant (``rows/rq_lanes`` cycles per vector) or pool divider keeps up without back-pressure.
"""
from migen import Cat, If, Module, Mux, Signal

from accel import descriptor as D


class ComputeUnit(Module):
    def __init__(self, d, win, aw=10, tdw=8, wa=9, qa=7, rqc=2, pool_minc=16, row_words=1, qpg=2):
        """``rqc``: requant cycles (= quant words) per GEMM vector of rows = 8*row_words channels;
        ``qpg``: the same for one 8-channel group (DW / pool vectors, last pass of an odd ``og``)."""
        self.start = Signal()
        self.full = Signal(2)
        self.clr_full = Signal(2)
        self.gen_done = Signal()
        # Tap-buffer and weight read ports (1-cycle latency).
        self.tr_adr = Signal(tdw + 1)
        self.wr_adr = Signal(wa)
        # Array control (aligned with the memories' data: registered here).
        self.valid = Signal()
        self.first = Signal()
        self.last = Signal()
        self.col_sel = Signal(3)
        self.oaddr = Signal(aw)
        self.qaddr = Signal(qa)
        self.n = Signal(16)
        self.two = Signal()            # row_words == 2: this vector has 2 output words
        self.wstall = Signal()         # the fused DW lanes take the weight port this cycle
        self.want = Signal()           # the unit would issue (use the weight port) this cycle
        self.done = Signal()
        self.active = Signal()
        self.stall = Signal()

        conv = (d["op"] == D.OP_CONV) | (d["op"] == D.OP_DWPW)     # DWPW: the pointwise half
        pool = (d["op"] == D.OP_AVGPOOL) | (d["op"] == D.OP_MAXPOOL)
        RW = row_words
        assert RW in (1, 2)
        ncog = Mux(conv, (d["og"] + RW - 1) >> (RW - 1), 1)
        two_now = Signal()
        # spacing covers the previous vector's requant: a full vector for any conv pass (conservative
        # after an odd og's one-word pass), one 8-channel group for DW / tap-buffer column mode
        minc = Mux(pool, pool_minc, Mux(conv, rqc, qpg))
        act = Signal()
        ch = Signal()
        k = Signal(16)
        cog = Signal(8)
        col = Signal(3)
        wptr = Signal(wa)
        optr = Signal(aw)
        qptr = Signal(qa)
        nval = Signal(16)
        gap = Signal(6)
        full_ch = Signal()
        self.comb += full_ch.eq((self.full >> ch)[0])
        first = k == 0
        last_k = k == d["nk"] - 1
        last_cog = cog == ncog - 1
        # two output words unless DW/pool, or the last pass of an odd og
        self.comb += two_now.eq((RW == 2) & conv & ~(last_cog & d["og"][0]))
        can_first = gap >= minc - 1
        # results leave the array in the order and spacing of the reductions' LAST issues: a reduction
        # lengthened by a weight-port stall (fused DW lanes) must not bring the next result closer
        gapl = Signal(6)
        can_last = gapl >= minc - 1
        issue = Signal()
        self.comb += [
            self.want.eq(act & (~first | can_first) & (~last_k | can_last)),
            issue.eq(self.want & ~self.wstall),
            self.tr_adr.eq(Cat(k[:tdw], ch)),
            self.wr_adr.eq(wptr),
            self.active.eq(act),
            self.stall.eq(~act & ~self.done),
        ]
        release = issue & last_k & last_cog
        self.comb += self.clr_full.eq(Mux(release, Mux(ch, 2, 1), 0))
        nxt = Signal()
        self.comb += nxt.eq(Mux(release, ~ch, ch))
        # Load the next half's metadata when idle (or right at the release of the current one).
        load = Signal()
        full_nxt = Signal()
        self.comb += [full_nxt.eq((self.full >> nxt)[0] & ~(release & (nxt == ch))),
                      load.eq((~act | release) & full_nxt)]
        self.sync += [
            If(issue & first, gap.eq(0)).Elif(gap != 63, gap.eq(gap + 1)),
            If(self.start, gapl.eq(63)).Elif(issue & last_k, gapl.eq(0)).Elif(gapl != 63, gapl.eq(gapl + 1)),
            If(self.start,
               act.eq(0), ch.eq(0), gap.eq(63), self.done.eq(0)
            ).Else(
               If(issue,
                  If(~last_k,
                     k.eq(k + 1), col.eq(col + 1),
                     If(conv | (col == 7), wptr.eq(wptr + 1))
                  ).Else(
                     k.eq(0), col.eq(0), cog.eq(cog + 1), optr.eq(optr + RW), qptr.eq(qptr + rqc),
                     If(conv, wptr.eq(wptr + 1)).Else(wptr.eq(win.m_w[ch])),
                  )),
               If(release, act.eq(0), ch.eq(~ch)),
               If(load,
                  act.eq(1), k.eq(0), col.eq(0), cog.eq(0), wptr.eq(win.m_w[nxt]),
                  optr.eq(win.m_obase[nxt]), qptr.eq(win.m_q[nxt]), nval.eq(win.m_n[nxt])),
               If(self.gen_done & (self.full == 0) & ~act, self.done.eq(1)),
            ),
        ]
        self.sync += [
            self.valid.eq(issue), self.first.eq(first), self.last.eq(last_k), self.col_sel.eq(col),
            self.oaddr.eq(optr), self.qaddr.eq(qptr), self.n.eq(nval), self.two.eq(two_now),
        ]

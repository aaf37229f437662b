"""Fused depthwise lanes (op DWPW): a 3x3 (or smaller) depthwise conv on its own multipliers whose
requantized output goes straight into the MAC array's tap buffer, where the pointwise layer consumes it.

Per output pixel of the depthwise layer (= input pixel of the pointwise layer), per 8-channel group,
the lanes take two kernel positions per cycle (both ports of the source activation memory: its
write port is idle during a layer), 8 channels each: 16 int8 multipliers, ceil(kh*kw/2) = 5 cycles
per group for 3x3, i.e. 40 cycles per 64-channel pixel -- under the 64 cycles the 8x8 array needs for
the pointwise 64->64, so there the depthwise layer hides under the pointwise one; on the 16x8 array
(32 cycles per pixel) the block is depthwise-bound at 40 cycles per pixel (still 1.9x faster than
DW + PW as separate layers). The multipliers are shift-and-add (LUTs), off the DSP budget.
The depthwise weights (byte ``r*8 + p%8`` of 64-byte sub-word ``p//8`` = channel r, kernel position
p = ky*kw + kx; one 128-byte word per group on 16 rows, two 64-byte words on 8 rows) come through the
weight memory's READ port, shared with the compute unit: on 16 rows a 16-word FIFO (LUT RAM) prefetches
them in cycles the compute unit leaves the port idle; a group whose word is not there takes the port
for one cycle and stalls the compute unit (always so on 8 rows). Using the write port as a second read
port instead would turn the 1024-bit-wide weight memory into true-dual-port BRAM (32 instead of 15
RAMB36). The depthwise quant words come through the quant memory's idle write port.
``dw_rq_lanes`` requant lanes requantize the 8 accumulators of a group in
``8 / dw_rq_lanes`` cycles; groups are issued no faster than that (small kernels only). The result
byte minus the intermediate zero point (``mid_zp``) is the 9-bit tap the array multiplies; tap word g
of a tap-buffer half = channel group g of one pixel, exactly what a pointwise CONV in word mode holds.

Padded kernel positions (SAME) contribute 0 (TFLM pads with the input zero point). Kernels are limited
to 3x3 (the sequencer checks): tap offsets are ky*line + kx*ig with ky, kx <= 2 (adders and muxes only).
"""
from migen import Array, C, Cat, If, Memory, Module, Mux, Signal

from accel.hw.requant import RequantLane


def lut_mul(m, a, w, name):
    """a (9-bit signed) * w (8-bit signed) as shift-and-add (no ``*``: synthesis keeps it in LUTs, off
    the DSP budget). Two's complement: w = -w7*2^7 + sum_{i<7} w_i*2^i."""
    terms = []
    for i in range(8):
        t = Signal((18, True), name=f"{name}_t{i}")
        sh = Signal((18, True), name=f"{name}_s{i}")
        m.comb += [sh.eq(a << i), t.eq(Mux(w[i], sh, 0))]
        terms.append(t)
    out = Signal((18, True), name=name)
    m.comb += out.eq(sum(terms[:7]) - terms[7])
    return out


def _log2(n):
    assert n & (n - 1) == 0 and n > 0
    return n.bit_length() - 1


class FusedDw(Module):
    def __init__(self, d, aw=10, tdw=8, wa=9, qa=7, q_lanes=4, dw_rq_lanes=2, rows=8):
        Q, DQ = q_lanes, dw_rq_lanes
        WB = rows * 8                     # bytes per weight word: 64 (2 words per group) or 128 (1 word)
        assert Q & (Q - 1) == 0 and DQ & (DQ - 1) == 0 and DQ <= Q and 8 % Q == 0
        RQ = 8 // DQ                     # cycles per requantized group
        self.start = Signal()
        self.full = Signal(2)
        # Source activation memory: two read ports (1-cycle latency).
        self.rd_adr = Signal(aw)
        self.rd_dat = Signal(64)
        self.rd_adr2 = Signal(aw)
        self.rd_dat2 = Signal(64)
        # Weight memory read port, shared with the compute unit: ``wreq`` takes it for one cycle per group
        # (8 rows: two, the second for kernel position 8) and stalls the compute unit that cycle; the group's
        # weights are latched. Quant memory: its idle write port is the second read port (1-cycle latency).
        self.wreq = Signal()
        self.port_idle = Signal()        # the compute unit does not want the weight port this cycle
        self.pf_rd = Signal()            # 16 rows: prefetch the next group's weight word in an idle slot
        self.pf_adr = Signal(wa)
        self.wd_adr = Signal(wa)
        self.wd_dat = Signal(8 * WB)
        self.qd_adr = Signal(qa)
        self.qd_dat = Signal(96 * Q)
        # Tap buffer write port + half handshake, per-half metadata for the compute unit.
        self.tw_adr = Signal(tdw + 1)
        self.tw_dat = Signal(72)
        self.tw_we = Signal()
        self.set_full = Signal(2)
        self.m_obase = Array(Signal(aw, name=f"fm_obase{h}") for h in range(2))
        self.m_w = Array(Signal(wa, name=f"fm_w{h}") for h in range(2))
        self.m_q = Array(Signal(qa, name=f"fm_q{h}") for h in range(2))
        self.m_n = Array(Signal(16, name=f"fm_n{h}") for h in range(2))
        self.done = Signal()
        self.active = Signal()
        self.stall = Signal()
        self.issue = Signal()            # a pair of kernel positions x 8 channels enters the lanes

        AW = 26
        oy, ox, grp = Signal(12), Signal(12), Signal(8)
        s = Signal(3)                     # pair index within the group's kernel
        kyA, kxA = Signal(2), Signal(2)   # kernel position of the pair's first tap
        offA, rowA = Signal(AW), Signal(AW)   # kyA*line + kxA*ig, kyA*line
        a_row, a_pix = Signal((AW, True)), Signal((AW, True))
        ih0, iw0 = Signal((14, True)), Signal((14, True))
        pix = Signal(aw + 8)
        half = Signal()
        own = Signal(2)
        running = Signal()
        gap = Signal(4)

        # Tap B = the position after A; the next pair starts after B.
        kxB, kyB = Signal(2), Signal(3)
        offB, rowB = Signal(AW), Signal(AW)
        hasB = Signal()
        a_last_col = Signal()
        self.comb += [
            a_last_col.eq(kxA == d["kw"] - 1),
            kxB.eq(Mux(a_last_col, 0, kxA + 1)),
            kyB.eq(Mux(a_last_col, kyA + 1, kyA)),
            offB.eq(Mux(a_last_col, rowA + d["line"], offA + d["ig"])),
            rowB.eq(Mux(a_last_col, rowA + d["line"], rowA)),
            hasB.eq(kyB < d["kh"]),
        ]
        b_last_col = Signal()
        last_pair, last_grp, last_ox, last_oy = Signal(), Signal(), Signal(), Signal()
        self.comb += [
            b_last_col.eq(kxB == d["kw"] - 1),
            last_pair.eq(~hasB | (b_last_col & (kyB == d["kh"] - 1))),
            last_grp.eq(grp == d["ig"] - 1),
            last_ox.eq(ox == d["ow"] - 1),
            last_oy.eq(oy == d["oh"] - 1),
        ]
        # Validity of both taps (SAME padding: outside taps contribute 0).
        ihA, iwA, ihB, iwB = (Signal((14, True), name=n) for n in ("fd_ihA", "fd_iwA", "fd_ihB", "fd_iwB"))
        vA, vB = Signal(), Signal()
        self.comb += [
            ihA.eq(ih0 + kyA), iwA.eq(iw0 + kxA), ihB.eq(ih0 + kyB), iwB.eq(iw0 + kxB),
            vA.eq((ihA >= 0) & (ihA < d["ih"]) & (iwA >= 0) & (iwA < d["iw"])),
            vB.eq(hasB & (ihB >= 0) & (ihB < d["ih"]) & (iwB >= 0) & (iwB < d["iw"])),
        ]
        first_pair = s == 0
        pix_start = first_pair & (grp == 0)
        half_free = ~(self.full >> half)[0] & ~(own >> half)[0]
        can_grp = gap >= RQ - 1
        fire = Signal()
        # 16 rows: a FIFO (LUT RAM, PF_DEPTH words of the 72 used bytes) of prefetched weight words, one per
        # group in group order, filled in the compute unit's idle weight-port cycles; a group whose word is
        # not there yet takes the port (stalls the compute unit) unless its prefetch is in flight.
        PF_DEPTH = 16
        pf_cnt = Signal(5)
        pf_fly = Signal()
        pf_g = Signal(8)
        pf_head, pf_tail = Signal(4), Signal(4)
        have = Signal()
        wait_pf = Signal()
        if WB == 128:
            self.comb += [have.eq(pf_cnt != 0), wait_pf.eq(first_pair & (pf_cnt == 0) & pf_fly)]
        self.comb += [
            fire.eq(running & ~(first_pair & ~can_grp) & ~(pix_start & ~half_free) & ~wait_pf),
            self.issue.eq(fire),
            self.stall.eq(running & ~fire),
            self.active.eq(running),
            self.rd_adr.eq(a_pix + offA + grp),
            self.rd_adr2.eq(a_pix + offB + grp),
            self.wd_adr.eq(d["dw_w_base"] + (Cat(s[2], grp) if WB == 64 else grp)),
            self.wreq.eq(fire & ((s == 0) | (s == 4) if WB == 64 else ((s == 0) & ~have))),
        ]
        self.sync += [
            If(fire & first_pair, gap.eq(0)).Elif(gap != 15, gap.eq(gap + 1)),
            If(self.start,
               running.eq(1), oy.eq(0), ox.eq(0), grp.eq(0), s.eq(0), kyA.eq(0), kxA.eq(0), offA.eq(0),
               rowA.eq(0), a_row.eq(d["org"]), a_pix.eq(d["org"]), ih0.eq(-d["pt"]), iw0.eq(-d["pl"]),
               pix.eq(d["out_base"]), half.eq(0), own.eq(0), gap.eq(15),
            ).Elif(fire,
               If(pix_start, own.eq(own | Mux(half, 2, 1))),
               If(~last_pair,
                  s.eq(s + 1),
                  If(b_last_col, kxA.eq(0), kyA.eq(kyB + 1), offA.eq(rowB + d["line"]), rowA.eq(rowB + d["line"])
                  ).Else(kxA.eq(kxB + 1), kyA.eq(kyB), offA.eq(offB + d["ig"]), rowA.eq(rowB))
               ).Else(
                  s.eq(0), kxA.eq(0), kyA.eq(0), offA.eq(0), rowA.eq(0),
                  If(~last_grp, grp.eq(grp + 1)
                  ).Else(
                     grp.eq(0), half.eq(~half), pix.eq(pix + d["og"]),
                     If(~last_ox,
                        ox.eq(ox + 1), a_pix.eq(a_pix + d["col_step"]), iw0.eq(iw0 + d["sw"])
                     ).Else(
                        ox.eq(0), iw0.eq(-d["pl"]),
                        If(~last_oy,
                           oy.eq(oy + 1), a_row.eq(a_row + d["row_step"]), a_pix.eq(a_row + d["row_step"]),
                           ih0.eq(ih0 + d["sh"])
                        ).Else(running.eq(0)))))),
        ]
        # own[h] clears when that half is published (below).
        pub = Signal(2)
        self.sync += If(~self.start & (pub != 0), own.eq((own | Mux(fire & pix_start, Mux(half, 2, 1), 0)) & ~pub))

        # ---- stage 1: memory data; products.
        v1, f1, l1, vA1, vB1, lg1, fin1, half1 = (Signal(name=f"fd1_{n}") for n in
                                                  ("v", "f", "l", "va", "vb", "lg", "fin", "half"))
        s1 = Signal(3)
        wnew1 = Signal()
        self.sync += wnew1.eq(self.wreq)
        grp1 = Signal(8)
        pix1 = Signal(aw + 8)
        self.sync += [v1.eq(fire), f1.eq(first_pair), l1.eq(last_pair), vA1.eq(vA), vB1.eq(vB),
                      lg1.eq(last_grp), fin1.eq(last_grp & last_ox & last_oy), half1.eq(half),
                      s1.eq(s), grp1.eq(grp), pix1.eq(pix)]
        # wbytes[0..63]: positions 0-7 (byte r*8 + p); wbytes[64 + r]: position 8 of lane r.
        wbytes = [Signal((8, True), name=f"fd_wb{i}") for i in range(72)]
        wl = [Signal((8, True), name=f"fd_wl{i}") for i in range(72)]
        raw = [self.wd_dat[8 * i:8 * i + 8] for i in range(64)]
        raw += [self.wd_dat[8 * (64 + 8 * r):8 * (64 + 8 * r) + 8] if WB == 128 else self.wd_dat[64 * r:64 * r + 8]
                for r in range(8)]
        if WB == 128:      # one word per group: prefetched (FIFO -> latch at pair 0) or read at pair 0 and latched
            self.comb += [wbytes[i].eq(Mux(wnew1, raw[i], wl[i])) for i in range(72)]
            pop = Signal()
            self.pf_pop = pop            # a prefetched word reaches the lanes (access counter, accel/hw/counters.py)
            push = Signal()
            pfm = Memory(576, PF_DEPTH, name="dw_pf_mem")
            pfw = pfm.get_port(write_capable=True)
            pfr = pfm.get_port(async_read=True)
            self.specials += pfm, pfw, pfr
            head_b = [Signal((8, True), name=f"fd_pfh{i}") for i in range(72)]
            self.comb += [pfw.adr.eq(pf_tail), pfw.dat_w.eq(Cat(*raw)), pfw.we.eq(push), pfr.adr.eq(pf_head)]
            self.comb += [head_b[i].eq(pfr.dat_r[8 * i:8 * i + 8]) for i in range(72)]
            self.comb += [
                pop.eq(fire & first_pair & have),
                self.pf_rd.eq(running & self.port_idle & ~self.wreq & ((pf_cnt + pf_fly) < PF_DEPTH)),
                self.pf_adr.eq(d["dw_w_base"] + pf_g),
                push.eq(pf_fly),
            ]
            nxt_g = Signal(8)
            self.comb += nxt_g.eq(Mux(pf_g == d["ig"] - 1, 0, pf_g + 1))
            self.sync += [
                If(v1 & wnew1, *[wl[i].eq(raw[i]) for i in range(72)]),
                If(pop, *[wl[i].eq(head_b[i]) for i in range(72)]),
                If(self.start, pf_cnt.eq(0), pf_fly.eq(0), pf_g.eq(0), pf_head.eq(0), pf_tail.eq(0)).Else(
                    pf_fly.eq(self.pf_rd),
                    If(self.pf_rd | self.wreq, pf_g.eq(nxt_g)),
                    If(pop, pf_head.eq(pf_head + 1)),
                    If(push, pf_tail.eq(pf_tail + 1)),
                    If(pop & ~push, pf_cnt.eq(pf_cnt - 1)).Elif(push & ~pop, pf_cnt.eq(pf_cnt + 1))),
            ]
        else:              # word 0 (positions 0-7) at pair 0, latched; word 1 (position 8) read at pair 4
            first_w = Signal()
            self.comb += first_w.eq(wnew1 & ~s1[2])
            self.comb += [wbytes[i].eq(Mux(first_w, raw[i], wl[i])) for i in range(64)]
            self.comb += [wbytes[64 + r].eq(raw[64 + r]) for r in range(8)]
            self.sync += If(v1 & first_w, *[wl[i].eq(raw[i]) for i in range(64)])
        pA = [Signal((18, True), name=f"fd_pa{l}") for l in range(8)]
        pB = [Signal((18, True), name=f"fd_pb{l}") for l in range(8)]
        v2, f2, l2, lg2, fin2, half2 = (Signal(name=f"fd2_{n}") for n in ("v", "f", "l", "lg", "fin", "half"))
        grp2 = Signal(8)
        pix2 = Signal(aw + 8)
        sel = Signal(2)
        self.comb += sel.eq(s1[:2])
        for l in range(8):
            xa, xb = Signal((9, True), name=f"fd_xa{l}"), Signal((9, True), name=f"fd_xb{l}")
            ba, bb = Signal((8, True), name=f"fd_ba{l}"), Signal((8, True), name=f"fd_bb{l}")
            wa_, wb_ = Signal((8, True), name=f"fd_wa{l}"), Signal((8, True), name=f"fd_wbb{l}")
            wsel_a = Array(wbytes[8 * l + 2 * k] for k in range(4))
            wsel_b = Array(wbytes[8 * l + 2 * k + 1] for k in range(4))
            p8 = wbytes[64 + l]
            self.comb += [
                ba.eq(self.rd_dat[8 * l:8 * l + 8]), bb.eq(self.rd_dat2[8 * l:8 * l + 8]),
                xa.eq(Mux(vA1, ba - d["in_zp"], 0)), xb.eq(Mux(vB1, bb - d["in_zp"], 0)),
                wa_.eq(Mux(s1[2], p8, wsel_a[sel])), wb_.eq(Mux(s1[2], 0, wsel_b[sel])),
            ]
            self.sync += [pA[l].eq(lut_mul(self, xa, wa_, f"fd_ma{l}")), pB[l].eq(lut_mul(self, xb, wb_, f"fd_mb{l}"))]
        self.sync += [v2.eq(v1), f2.eq(f1), l2.eq(l1), lg2.eq(lg1), fin2.eq(fin1), half2.eq(half1),
                      grp2.eq(grp1), pix2.eq(pix1)]

        # ---- stage 2: accumulate; a finished group goes to the requant vector.
        acc = [Signal((32, True), name=f"fd_acc{l}") for l in range(8)]
        nacc = [Signal((32, True), name=f"fd_nacc{l}") for l in range(8)]
        vec = [Signal((32, True), name=f"fd_vec{l}") for l in range(8)]
        for l in range(8):
            self.comb += nacc[l].eq(Mux(f2, pA[l] + pB[l], acc[l] + pA[l] + pB[l]))
            self.sync += If(v2, acc[l].eq(nacc[l]))
        sact = Signal()
        sj = Signal(max(1, _log2(RQ)) + 1)
        s_grp = Signal(8)
        s_lg, s_fin, s_half = Signal(), Signal(), Signal()
        s_pix = Signal(aw + 8)
        nsub = Q // DQ                  # requant steps per quant word
        self.comb += self.qd_adr.eq(d["dw_q_base"] + (s_grp << _log2(8 // Q)) + (sj >> _log2(nsub)))
        self.sync += [
            If(sact, sj.eq(sj + 1), If(sj == RQ - 1, sact.eq(0))),
            If(v2 & l2,
               [vec[l].eq(nacc[l]) for l in range(8)], sact.eq(1), sj.eq(0), s_grp.eq(grp2),
               s_lg.eq(lg2), s_fin.eq(fin2), s_half.eq(half2), s_pix.eq(pix2)),
        ]
        # ---- requant lanes: step j takes channels j*DQ .. j*DQ+DQ-1 (quant data one cycle later).
        a_valid, a_last, a_lg, a_fin, a_half = (Signal(name=f"fda_{n}") for n in ("v", "l", "lg", "fin", "half"))
        a_j = Signal(len(sj))
        a_grp = Signal(8)
        a_pix = Signal(aw + 8)
        a_acc = [Signal((32, True), name=f"fd_aacc{i}") for i in range(DQ)]
        vecarr = Array(Cat(*[vec[j * DQ + i] for i in range(DQ)]) for j in range(RQ))
        cur = Signal(32 * DQ)
        self.comb += cur.eq(vecarr[sj[:max(1, _log2(RQ))]] if RQ > 1 else vecarr[0])
        self.sync += [a_valid.eq(sact), a_last.eq(sj == RQ - 1), a_j.eq(sj), a_grp.eq(s_grp), a_lg.eq(s_lg),
                      a_fin.eq(s_fin), a_half.eq(s_half), a_pix.eq(s_pix),
                      [a_acc[i].eq(cur[32 * i:32 * i + 32]) for i in range(DQ)]]
        # quant sub-lane of the word: (j % nsub) * DQ + i
        qlanes = [self.qd_dat[96 * k:96 * k + 96] for k in range(Q)]
        lanes = [RequantLane() for _ in range(DQ)]
        self.submodules += lanes
        for i, ln in enumerate(lanes):
            qsel = Array(qlanes[(k * DQ + i)] for k in range(nsub))
            qw = Signal(96, name=f"fd_qw{i}")
            self.comb += qw.eq(qsel[a_j[:max(1, _log2(nsub))]] if nsub > 1 else qsel[0])
            self.comb += [
                ln.i_valid.eq(a_valid), ln.acc.eq(a_acc[i]),
                ln.bias.eq(qw[0:32]), ln.mult.eq(qw[32:64]), ln.shift.eq(qw[64:96]),
                ln.out_zp.eq(d["mid_zp"]), ln.act_min.eq(d["dw_act_min"]), ln.act_max.eq(d["dw_act_max"]),
            ]
        lat = RequantLane.LATENCY
        prev = [a_valid, a_last, a_j, a_grp, a_lg, a_fin, a_half, a_pix]
        for k in range(lat):
            nxt = [Signal(len(x), name=f"fd_dl{k}_{n}") for n, x in enumerate(prev)]
            self.sync += [nxt[n].eq(prev[n]) for n in range(len(prev))]
            prev = nxt
        o_valid, o_last, o_j, o_grp, o_lg, o_fin, o_half, o_pix = prev
        bytes_now = [ln.out for ln in lanes]
        slots = [[Signal((8, True), name=f"fd_slot{j}_{i}") for i in range(DQ)] for j in range(RQ)]
        self.sync += If(o_valid, *[If(o_j == j, *[slots[j][i].eq(bytes_now[i]) for i in range(DQ)])
                                   for j in range(RQ - 1)])
        outb = [slots[j][i] for j in range(RQ - 1) for i in range(DQ)] + bytes_now
        taps = [Signal((9, True), name=f"fd_tap{l}") for l in range(8)]
        self.comb += [taps[l].eq(outb[l] - d["mid_zp"]) for l in range(8)]
        wr = Signal()
        tgrp = Signal(tdw)          # tap word index (zero-extended group) within the half
        self.comb += [
            tgrp.eq(o_grp),
            wr.eq(o_valid & o_last),
            self.tw_adr.eq(Cat(tgrp, o_half)), self.tw_dat.eq(Cat(*taps)), self.tw_we.eq(wr),
            pub.eq(Mux(wr & o_lg, Mux(o_half, 2, 1), 0)),
            self.set_full.eq(pub),
        ]
        self.sync += [
            If(wr & o_lg,
               self.m_obase[o_half].eq(o_pix), self.m_w[o_half].eq(d["w_base"]),
               self.m_q[o_half].eq(d["q_base"]), self.m_n[o_half].eq(0)),
            If(self.start, self.done.eq(0)).Elif(wr & o_fin, self.done.eq(1)),
        ]


class NoFusedDw(Module):
    """The core's fused-lane port when the lanes are left out (``AccelConfig.dw_rq_lanes == 0``): the
    inputs FusedDw takes, every output a constant 0, so the core's multiplexers fold away in synthesis
    (the small-FPGA design point: the lanes are the largest unit of the core, docs/dse.md). The
    compiler then runs each DW layer on the MAC array (sliding-window path) and its PW on its own
    descriptor, and the sequencer rejects a DWPW descriptor (``ERR_OP``)."""

    def __init__(self, aw=10, tdw=8, wa=9, qa=7, q_lanes=4, rows=8):
        # inputs (driven by the core, unused here)
        self.start, self.port_idle = Signal(), Signal()
        self.full = Signal(2)
        self.rd_dat, self.rd_dat2 = Signal(64), Signal(64)
        self.wd_dat = Signal(8 * rows * 8)
        self.qd_dat = Signal(96 * q_lanes)
        # outputs
        self.rd_adr = self.rd_adr2 = C(0, aw)
        self.wreq = self.pf_rd = self.tw_we = self.done = self.active = self.stall = self.issue = C(0, 1)
        self.pf_adr = self.wd_adr = C(0, wa)
        self.qd_adr = C(0, qa)
        self.tw_adr, self.tw_dat = C(0, tdw + 1), C(0, 72)
        self.set_full = C(0, 2)
        self.m_obase, self.m_w, self.m_q, self.m_n = ([C(0, n)] * 2 for n in (aw, wa, qa, 16))

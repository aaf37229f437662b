"""Window generator: walks output pixels and forms the taps of one output's receptive field on the fly
(implicit GEMM: no im2col tensor in SRAM), one activation word read per cycle, into one half of the
double-buffered tap buffer while the compute unit works on the other half.

Loop nest (innermost last): out row, out column, group, kernel row, kernel column, channel step.
* CONV, word mode: one group; each step copies one 8-channel word (tap word = 8 reduction taps).
* CONV, byte mode (small Cin, e.g. the 10x4 first layer on a 1-channel input): steps walk the Cin
  channels one byte per cycle and pack taps densely into tap words (``kh*kw*cin`` taps).
* DW / pooling (column mode): one pass per 8-channel group; each tap word is one kernel position.
Padded taps (outside the input) cost a cycle but no read and become ``pad_val``; real taps become
``x - in_zp`` (9-bit). Addresses are formed with adders only (no multipliers) from the descriptor's
``org/line/row_step/col_step``.
"""
from migen import Array, Cat, If, Module, Mux, Signal

from accel import descriptor as D


class WindowGen(Module):
    def __init__(self, d, aw=10, tdw=8, wa=9, qa=7, rqc=2):
        """``d``: dict of decoded descriptor field Signals. ``tdw``: tap-buffer address bits per half."""
        self.start = Signal()
        self.full = Signal(2)
        # Activation read port (1-cycle latency).
        self.rd_adr = Signal(aw)
        self.rd_dat = Signal(64)
        # Tap buffer write port.
        self.tw_adr = Signal(tdw + 1)
        self.tw_dat = Signal(72)
        self.tw_we = Signal()
        self.set_full = Signal(2)
        # Per-half metadata read by the compute unit.
        self.m_obase = Array(Signal(aw, name=f"m_obase{h}") for h in range(2))
        self.m_w = Array(Signal(wa, name=f"m_w{h}") for h in range(2))
        self.m_q = Array(Signal(qa, name=f"m_q{h}") for h in range(2))
        self.m_n = Array(Signal(16, name=f"m_n{h}") for h in range(2))
        self.done = Signal()
        self.active = Signal()
        self.stall = Signal()

        conv = d["op"] == D.OP_CONV
        byte_mode = conv & d["flags"][0]
        AW = 26
        # Loop counters.
        oy, ox = Signal(12), Signal(12)
        grp = Signal(8)
        ky, kx = Signal(8), Signal(8)
        ci = Signal(12)
        # Running addresses (signed: padded taps may point outside the tensor).
        a_oy, a_ox, a_ky, a_kx = (Signal((AW, True), name=n) for n in ("a_oy", "a_ox", "a_ky", "a_kx"))
        ih0, iw0 = Signal((14, True)), Signal((14, True))
        ihc, iwc = Signal((14, True)), Signal((14, True))
        pix_out = Signal(aw + 8)
        wcur = Signal(wa + 4)
        qcur = Signal(qa + 4)
        ncount = Signal(16)
        half = Signal()
        running = Signal()

        ngrp = Mux(conv, 1, d["ig"])
        nci = Mux(byte_mode, d["cin"], Mux(conv, d["ig"], 1))
        last_ci = ci == nci - 1
        last_kx = kx == d["kw"] - 1
        last_ky = ky == d["kh"] - 1
        last_grp = grp == ngrp - 1
        last_ox = ox == d["ow"] - 1
        last_oy = oy == d["oh"] - 1
        grp_start = (ci == 0) & (kx == 0) & (ky == 0)
        grp_end = last_ci & last_kx & last_ky
        valid = (ihc >= 0) & (ihc < d["ih"]) & (iwc >= 0) & (iwc < d["iw"])
        off = Mux(byte_mode, ci[3:], Mux(conv, ci, grp))
        fire = Signal()
        self.comb += [
            fire.eq(running & ~(grp_start & (self.full >> half)[0])),
            self.stall.eq(running & ~fire),
            self.rd_adr.eq(a_kx + off),
            self.active.eq(running),
        ]
        tw = (d["nk"] + 7) >> 3
        self.sync += [
            If(self.start,
               running.eq(1), oy.eq(0), ox.eq(0), grp.eq(0), ky.eq(0), kx.eq(0), ci.eq(0),
               a_oy.eq(d["org"]), a_ox.eq(d["org"]), a_ky.eq(d["org"]), a_kx.eq(d["org"]),
               ih0.eq(-d["pt"]), iw0.eq(-d["pl"]), ihc.eq(-d["pt"]), iwc.eq(-d["pl"]),
               pix_out.eq(d["out_base"]), wcur.eq(d["w_base"]), qcur.eq(d["q_base"]), ncount.eq(0),
               half.eq(0),
            ).Elif(fire,
               If(~last_ci, ci.eq(ci + 1)
               ).Else(ci.eq(0),
                  If(~last_kx, kx.eq(kx + 1), a_kx.eq(a_kx + d["ig"]), iwc.eq(iwc + 1)
                  ).Else(kx.eq(0),
                     If(~last_ky, ky.eq(ky + 1), a_ky.eq(a_ky + d["line"]), a_kx.eq(a_ky + d["line"]),
                        ihc.eq(ihc + 1), iwc.eq(iw0)
                     ).Else(ky.eq(0),
                        # one pixel-group complete: publish its metadata, switch halves
                        half.eq(~half),
                        If(~last_grp,
                           grp.eq(grp + 1), a_ky.eq(a_ox), a_kx.eq(a_ox), ihc.eq(ih0), iwc.eq(iw0),
                           wcur.eq(wcur + tw), qcur.eq(qcur + rqc)
                        ).Else(grp.eq(0), wcur.eq(d["w_base"]), qcur.eq(d["q_base"]),
                           pix_out.eq(pix_out + d["og"]),
                           If(~last_ox,
                              ox.eq(ox + 1), a_ox.eq(a_ox + d["col_step"]), a_ky.eq(a_ox + d["col_step"]),
                              a_kx.eq(a_ox + d["col_step"]), iw0.eq(iw0 + d["sw"]), ihc.eq(ih0),
                              iwc.eq(iw0 + d["sw"])
                           ).Else(ox.eq(0),
                              If(~last_oy,
                                 oy.eq(oy + 1), a_oy.eq(a_oy + d["row_step"]),
                                 a_ox.eq(a_oy + d["row_step"]), a_ky.eq(a_oy + d["row_step"]),
                                 a_kx.eq(a_oy + d["row_step"]), ih0.eq(ih0 + d["sh"]),
                                 iw0.eq(-d["pl"]), ihc.eq(ih0 + d["sh"]), iwc.eq(-d["pl"])
                              ).Else(running.eq(0))))))),
               If(grp_end, ncount.eq(0)).Elif(ci == 0, ncount.eq(ncount + valid)),
               If(grp_end,
                  self.m_obase[half].eq(Mux(conv, pix_out, pix_out + grp)),
                  self.m_w[half].eq(wcur), self.m_q[half].eq(qcur),
                  self.m_n[half].eq(ncount + ((ci == 0) & valid))),
            ),
        ]
        # Write stage (cycle after the read): zero point, padding, packing.
        v1, val1, last1, final1, half1 = Signal(), Signal(), Signal(), Signal(), Signal()
        bsel1 = Signal(3)
        self.sync += [v1.eq(fire), val1.eq(valid), last1.eq(grp_end), half1.eq(half), bsel1.eq(ci[:3]),
                      final1.eq(grp_end & last_grp & last_ox & last_oy)]
        lanes = []
        for l in range(8):
            x = Signal((9, True), name=f"wg_x{l}")
            b = Signal((8, True), name=f"wg_b{l}")
            self.comb += [b.eq(self.rd_dat[8 * l:8 * l + 8]),
                          x.eq(Mux(val1, b - d["in_zp"], d["pad_val"]))]
            lanes.append(x)
        lane_arr = Array(lanes)
        bsel_val = Signal((9, True))
        self.comb += bsel_val.eq(lane_arr[bsel1])
        asm = [Signal((9, True), name=f"wg_asm{l}") for l in range(8)]
        bl = Signal(3)
        bw = Signal(tdw)
        merged = [Signal((9, True), name=f"wg_m{l}") for l in range(8)]
        for l in range(8):
            self.comb += merged[l].eq(Mux(bl == l, bsel_val, asm[l]))
        self.comb += [
            self.tw_adr.eq(Cat(bw, half1)),
            If(byte_mode,
               self.tw_dat.eq(Cat(*merged)), self.tw_we.eq(v1 & ((bl == 7) | last1))
            ).Else(self.tw_dat.eq(Cat(*lanes)), self.tw_we.eq(v1)),
            self.set_full.eq(Mux(v1 & last1, Mux(half1, 2, 1), 0)),
        ]
        self.sync += [
            If(self.start, bl.eq(0), bw.eq(0), self.done.eq(0)
            ).Elif(v1,
               If(byte_mode,
                  [If(bl == l, asm[l].eq(bsel_val)) for l in range(8)],
                  If(last1, bl.eq(0), bw.eq(0)
                  ).Else(bl.eq(bl + 1), If(bl == 7, bw.eq(bw + 1)))
               ).Else(If(last1, bw.eq(0)).Else(bw.eq(bw + 1))),
               If(final1, self.done.eq(1)))
        ]

"""Sliding-window depthwise lanes: a 3x3 window register of 8-channel words fed one column at a time.

Per 8-channel group, per output row, the generator loads input columns (kh words each, two rows per
cycle through both ports of the source activation memory -- its write port is idle during a layer; a
column entirely in the padding costs one cycle and no read) into a column register and shifts it into
the window (3 columns). Each time a column completes an output window, the window is copied into a
snapshot register; the DW compute takes the snapshot into the array's operand registers and drives
the MAC array in diag mode: array column c takes window position c (row-major 3x3) and row r its channel r,
so the 9 taps of 8 channels take 2 cycles (positions 0-7, then 8) on the array's 64 multipliers.
The kernel sits top-left in rows and right-aligned in columns of the 3x3 window; the compiler lays the
weights out by window position (unused positions are 0), so kernels up to 3x3, strides and SAME/VALID
padding all use the same wiring. Each input word is read kh times per row (not kh*kw).
"""
from migen import Array, Cat, If, Module, Mux, Signal

from accel import descriptor as D


class DwWindow(Module):
    def __init__(self, d, aw=10, wa=9, qa=7, rqc=2):
        """``rqc``: requant cycles (= quant words) per 8-channel result vector; vectors are issued no
        faster than one per max(2, rqc) cycles."""
        assert rqc & (rqc - 1) == 0
        self.start = Signal()
        self.rd_adr = Signal(aw)
        self.rd_dat = Signal(64)
        self.rd_adr2 = Signal(aw)      # second port: the row below
        self.rd_dat2 = Signal(64)
        self.wr_adr = Signal(wa)
        # MAC array control (registered, aligned with weight memory data).
        self.valid = Signal()
        self.first = Signal()
        self.last = Signal()
        self.oaddr = Signal(aw)
        self.qaddr = Signal(qa)
        self.diag = [[Signal((9, True), name=f"dwd{c}_{r}") for r in range(8)] for c in range(8)]
        self.done = Signal()
        self.active = Signal()
        self.stall = Signal()

        AW = 26
        grp, oy, ox = Signal(8), Signal(12), Signal(12)
        j, nxt_out = Signal(14), Signal(14)
        ky = Signal(8)
        a_row, a_col, a_tap = (Signal((AW, True), name=n) for n in ("dw_a_row", "dw_a_col", "dw_a_tap"))
        ih0, ihc, iwc = Signal((14, True)), Signal((14, True)), Signal((14, True))
        pix = Signal(aw + 8)
        running = Signal()
        snap_full = Signal()

        # 1-bit signals: Migen widens mixed signed/unsigned logic, and ~ of a widened bit is never 0.
        col_pad, row_ok, last_ky, completes, last_ox, last_oy, last_grp = (
            Signal(name=n) for n in ("col_pad", "row_ok", "last_ky", "completes", "last_ox", "last_oy", "last_grp"))
        self.comb += [
            col_pad.eq((iwc < 0) | (iwc >= d["iw"])),
            row_ok.eq((ihc >= 0) & (ihc < d["ih"])),
            last_ky.eq((ky + 2 >= d["kh"]) | col_pad),
            completes.eq(j == nxt_out),
            last_ox.eq(ox == d["ow"] - 1),
            last_oy.eq(oy == d["oh"] - 1),
            last_grp.eq(grp == d["ig"] - 1),
        ]
        fire = Signal()
        take = Signal()
        v1, out1 = Signal(), Signal()
        self.comb += [
            fire.eq(running & ~(last_ky & completes & ((snap_full & ~take) | (v1 & out1)))),
            self.stall.eq(running & ~fire),
            self.active.eq(running),
            self.rd_adr.eq(a_tap), self.rd_adr2.eq(a_tap + d["line"]),
        ]
        self.sync += [
            If(self.start,
               running.eq(1), grp.eq(0), oy.eq(0), ox.eq(0), j.eq(0), nxt_out.eq(d["kw"] - 1), ky.eq(0),
               a_row.eq(d["org"]), a_col.eq(d["org"]), a_tap.eq(d["org"]),
               ih0.eq(-d["pt"]), ihc.eq(-d["pt"]), iwc.eq(-d["pl"]), pix.eq(d["out_base"]),
            ).Elif(fire,
               If(~last_ky, ky.eq(ky + 2), a_tap.eq(a_tap + (d["line"] << 1)), ihc.eq(ihc + 2)
               ).Else(
                  ky.eq(0), j.eq(j + 1), a_col.eq(a_col + d["ig"]), a_tap.eq(a_col + d["ig"]), ihc.eq(ih0),
                  iwc.eq(iwc + 1),
                  If(completes,
                     nxt_out.eq(nxt_out + d["sw"]), ox.eq(ox + 1), pix.eq(pix + d["og"]),
                     If(last_ox,
                        j.eq(0), ox.eq(0), nxt_out.eq(d["kw"] - 1), iwc.eq(-d["pl"]),
                        If(~last_oy,
                           oy.eq(oy + 1), a_row.eq(a_row + d["row_step"]), a_col.eq(a_row + d["row_step"]),
                           a_tap.eq(a_row + d["row_step"]), ih0.eq(ih0 + d["sh"]), ihc.eq(ih0 + d["sh"]),
                        ).Else(
                           oy.eq(0), ih0.eq(-d["pt"]), ihc.eq(-d["pt"]),
                           a_row.eq(d["org"] + grp + 1), a_col.eq(d["org"] + grp + 1),
                           a_tap.eq(d["org"] + grp + 1), pix.eq(d["out_base"] + grp + 1),
                           If(~last_grp, grp.eq(grp + 1)).Else(running.eq(0))))))),
        ]
        # Write stage: zero point / padding, column register, window shift, snapshot.
        rok2_1 = Signal()
        row_ok2 = Signal()
        self.comb += row_ok2.eq((ihc + 1 >= 0) & (ihc + 1 < d["ih"]))
        self.sync += rok2_1.eq(row_ok2)
        ky1, pad1, rok1, cend1, fin1, grp1 = Signal(8), Signal(), Signal(), Signal(), Signal(), Signal(8)
        pix1 = Signal(aw + 8)
        self.sync += [v1.eq(fire), ky1.eq(ky), pad1.eq(col_pad), rok1.eq(row_ok), cend1.eq(last_ky),
                      out1.eq(last_ky & completes), pix1.eq(pix), grp1.eq(grp),
                      fin1.eq(last_ky & completes & last_ox & last_oy & last_grp)]
        lanes, lanes2 = [], []
        for l in range(8):
            b = Signal((8, True), name=f"dw_b{l}")
            x = Signal((9, True), name=f"dw_x{l}")
            b2 = Signal((8, True), name=f"dw_bb{l}")
            x2 = Signal((9, True), name=f"dw_xx{l}")
            self.comb += [b.eq(self.rd_dat[8 * l:8 * l + 8]),
                          x.eq(Mux(~pad1 & rok1, b - d["in_zp"], d["pad_val"])),
                          b2.eq(self.rd_dat2[8 * l:8 * l + 8]),
                          x2.eq(Mux(~pad1 & rok2_1, b2 - d["in_zp"], d["pad_val"]))]
            lanes.append(x)
            lanes2.append(x2)
        colreg = [[Signal((9, True), name=f"dw_col{y}_{l}") for l in range(8)] for y in range(3)]
        newcol = [[Signal((9, True), name=f"dw_new{y}_{l}") for l in range(8)] for y in range(3)]
        for y in range(3):
            for l in range(8):
                self.comb += newcol[y][l].eq(Mux(pad1, d["pad_val"],
                                             Mux(ky1 == y, lanes[l], Mux(ky1 + 1 == y, lanes2[l], colreg[y][l]))))
        win = [[[Signal((9, True), name=f"dw_w{x}_{y}_{l}") for l in range(8)] for y in range(3)] for x in range(3)]
        shifted = [win[1], win[2], newcol]
        snap = [[[Signal((9, True), name=f"dw_s{x}_{y}_{l}") for l in range(8)] for y in range(3)] for x in range(3)]
        snap_pix = Signal(aw + 8)
        snap_grp = Signal(8)
        self.sync += [
            If(v1,
               [colreg[y][l].eq(newcol[y][l]) for y in range(3) for l in range(8)],
               If(cend1, *[win[x][y][l].eq(shifted[x][y][l]) for x in range(3) for y in range(3) for l in range(8)]),
               If(out1, *[snap[x][y][l].eq(shifted[x][y][l]) for x in range(3) for y in range(3) for l in range(8)],
                  snap_pix.eq(pix1), snap_grp.eq(grp1))),
            If(self.start, snap_full.eq(0)).Elif(v1 & out1, snap_full.eq(1)).Elif(take, snap_full.eq(0)),
        ]
        # DW compute: take the snapshot -> positions 0-7 (chunk 0), next cycle position 8 (chunk 1).
        pos8 = [Signal((9, True), name=f"dw_p8_{l}") for l in range(8)]
        st = Signal()           # 1: chunk 1 goes out this cycle
        w_pix = Signal(aw + 8)
        w_grp = Signal(8)
        gen_done = Signal()
        dgap = Signal(4)
        self.comb += take.eq(~st & snap_full & (dgap >= rqc - 1))
        self.sync += If(take, dgap.eq(0)).Elif(dgap != 15, dgap.eq(dgap + 1))
        dreg = self.diag
        self.sync += [
            self.valid.eq(st | take), self.first.eq(take), self.last.eq(st),
            If(st,
               st.eq(0),
               *[dreg[0][r].eq(pos8[r]) for r in range(8)],
               *[dreg[c][r].eq(0) for c in range(1, 8) for r in range(8)],
            ).Elif(take,
               st.eq(1), w_pix.eq(snap_pix), w_grp.eq(snap_grp),
               self.oaddr.eq(snap_pix), self.qaddr.eq(d["q_base"] + (snap_grp << (rqc.bit_length() - 1))),
               *[pos8[r].eq(snap[2][2][r]) for r in range(8)],
               *[dreg[c][r].eq(snap[c % 3][c // 3][r]) for c in range(8) for r in range(8)],
            ),
            If(self.start, st.eq(0), gen_done.eq(0)).Elif(v1 & fin1, gen_done.eq(1)),
            If(self.start, self.done.eq(0)).Elif(gen_done & ~snap_full & ~st, self.done.eq(1)),
        ]
        # Weight word (group, chunk) is read the cycle the chunk is issued.
        self.comb += self.wr_adr.eq(d["w_base"] + Mux(st, Cat(1, w_grp), Cat(0, snap_grp)))

"""Dual-read byte-packed window generator for single-channel inputs (the first layer: 49x10x1, 10x4/2).

A CONV in byte mode with ``cin == 1`` packs one tap per kernel position. The general window generator
reads one activation word per cycle, i.e. one tap per cycle: 40 cycles per output pixel for the 10x4
kernel, while the 16-row array needs only 4 passes x 8 cycles. This generator reads two kernel
positions per cycle (both ports of the source activation memory; its write port is idle during a layer)
and packs them into lanes ``p % 8`` of tap word ``p // 8`` (the same dense layout as the general
generator: tap t = kernel position t), so the first layer fills in ceil(kh*kw/2) cycles per pixel.

Positions are walked row-major in pairs (p = 2s, 2s+1); offsets ``ky*line + kx*ig`` are kept
incrementally (adders only). Padded positions become ``pad_val``, real ones ``x - in_zp``.

Ring mode (``ring``, descriptor FLAG_RING): the input is the feature ring (one byte per address), read
in place from its oldest frame: the walk starts at ``org + ring_shift`` and an address that reaches
``in_base + in_size`` wraps back by ``in_size`` (one compare and subtract per port), on ``rg_adr``/``rg_adr2``.
"""
from migen import Array, Cat, If, Module, Mux, Signal


class ByteGen2(Module):
    def __init__(self, d, aw=10, tdw=8, wa=9, qa=7, ring_aw=11):
        self.start = Signal()
        self.ring = Signal()
        self.ring_shift = Signal(ring_aw)
        self.rg_adr = Signal(ring_aw)
        self.rg_adr2 = Signal(ring_aw)
        self.full = Signal(2)
        self.rd_adr = Signal(aw)
        self.rd_dat = Signal(64)
        self.rd_adr2 = Signal(aw)
        self.rd_dat2 = Signal(64)
        self.tw_adr = Signal(tdw + 1)
        self.tw_dat = Signal(72)
        self.tw_we = Signal()
        self.set_full = Signal(2)
        self.m_obase = Array(Signal(aw, name=f"bm_obase{h}") for h in range(2))
        self.m_w = Array(Signal(wa, name=f"bm_w{h}") for h in range(2))
        self.m_q = Array(Signal(qa, name=f"bm_q{h}") for h in range(2))
        self.m_n = Array(Signal(16, name=f"bm_n{h}") for h in range(2))
        self.done = Signal()
        self.active = Signal()
        self.stall = Signal()

        AW = 26
        oy, ox = Signal(12), Signal(12)
        s = Signal(8)                          # pair index within the pixel's kernel
        kyA, kxA = Signal(8), Signal(8)
        offA, rowA = Signal(AW), Signal(AW)
        a_row, a_pix = Signal((AW, True)), Signal((AW, True))
        ih0, iw0 = Signal((14, True)), Signal((14, True))
        pix = Signal(aw + 8)
        half = Signal()
        running = Signal()

        kxB, kyB = Signal(8), Signal(9)
        offB, rowB = Signal(AW), Signal(AW)
        hasB, a_last_col, b_last_col = Signal(), Signal(), Signal()
        last_pair, last_ox, last_oy = Signal(), Signal(), Signal()
        self.comb += [
            a_last_col.eq(kxA == d["kw"] - 1),
            kxB.eq(Mux(a_last_col, 0, kxA + 1)),
            kyB.eq(Mux(a_last_col, kyA + 1, kyA)),
            offB.eq(Mux(a_last_col, rowA + d["line"], offA + d["ig"])),
            rowB.eq(Mux(a_last_col, rowA + d["line"], rowA)),
            hasB.eq(kyB < d["kh"]),
            b_last_col.eq(kxB == d["kw"] - 1),
            last_pair.eq(~hasB | (b_last_col & (kyB == d["kh"] - 1))),
            last_ox.eq(ox == d["ow"] - 1),
            last_oy.eq(oy == d["oh"] - 1),
        ]
        ihA, iwA, ihB, iwB = (Signal((14, True), name=n) for n in ("bg_ihA", "bg_iwA", "bg_ihB", "bg_iwB"))
        vA, vB = Signal(), Signal()
        self.comb += [
            ihA.eq(ih0 + kyA), iwA.eq(iw0 + kxA), ihB.eq(ih0 + kyB), iwB.eq(iw0 + kxB),
            vA.eq((ihA >= 0) & (ihA < d["ih"]) & (iwA >= 0) & (iwA < d["iw"])),
            vB.eq((ihB >= 0) & (ihB < d["ih"]) & (iwB >= 0) & (iwB < d["iw"])),
        ]
        pix_start = s == 0
        fire = Signal()
        self.comb += [
            fire.eq(running & ~(pix_start & (self.full >> half)[0])),
            self.stall.eq(running & ~fire),
            self.active.eq(running),
            self.rd_adr.eq(a_pix + offA),
            self.rd_adr2.eq(a_pix + offB),
        ]
        ring_end = Signal(17)
        self.comb += ring_end.eq(d["in_base"] + d["in_size"])
        for la_off, out in ((offA, self.rg_adr), (offB, self.rg_adr2)):
            la = Signal((AW, True))
            self.comb += [la.eq(a_pix + la_off), out.eq(Mux(la >= ring_end, la - d["in_size"], la))]
        org0 = Signal((AW, True))
        self.comb += org0.eq(d["org"] + Mux(self.ring, self.ring_shift, 0))
        self.sync += [
            If(self.start,
               running.eq(1), oy.eq(0), ox.eq(0), s.eq(0), kyA.eq(0), kxA.eq(0), offA.eq(0), rowA.eq(0),
               a_row.eq(org0), a_pix.eq(org0), ih0.eq(-d["pt"]), iw0.eq(-d["pl"]),
               pix.eq(d["out_base"]), half.eq(0),
            ).Elif(fire,
               If(~last_pair,
                  s.eq(s + 1),
                  If(b_last_col, kxA.eq(0), kyA.eq(kyB + 1), offA.eq(rowB + d["line"]), rowA.eq(rowB + d["line"])
                  ).Else(kxA.eq(kxB + 1), kyA.eq(kyB), offA.eq(offB + d["ig"]), rowA.eq(rowB))
               ).Else(
                  s.eq(0), kxA.eq(0), kyA.eq(0), offA.eq(0), rowA.eq(0), half.eq(~half),
                  pix.eq(pix + d["og"]),
                  If(~last_ox,
                     ox.eq(ox + 1), a_pix.eq(a_pix + d["col_step"]), iw0.eq(iw0 + d["sw"])
                  ).Else(
                     ox.eq(0), iw0.eq(-d["pl"]),
                     If(~last_oy,
                        oy.eq(oy + 1), a_row.eq(a_row + d["row_step"]), a_pix.eq(a_row + d["row_step"]),
                        ih0.eq(ih0 + d["sh"])
                     ).Else(running.eq(0))))),
        ]
        # Write stage (the cycle after the reads).
        v1, vA1, vB1, hB1, l1, half1, fin1 = (Signal(name=f"bg1_{n}") for n in ("v", "va", "vb", "hb", "l", "h", "fin"))
        s1 = Signal(8)
        pix1 = Signal(aw + 8)
        self.sync += [v1.eq(fire), vA1.eq(vA), vB1.eq(vB), hB1.eq(hasB), l1.eq(last_pair), half1.eq(half),
                      fin1.eq(last_pair & last_ox & last_oy), s1.eq(s), pix1.eq(pix)]
        xa, xb = Signal((9, True)), Signal((9, True))
        ba, bb = Signal((8, True)), Signal((8, True))
        self.comb += [ba.eq(self.rd_dat[:8]), bb.eq(self.rd_dat2[:8]),
                      xa.eq(Mux(vA1, ba - d["in_zp"], d["pad_val"])),
                      xb.eq(Mux(vB1 & hB1, bb - d["in_zp"], d["pad_val"]))]
        asm = [Signal((9, True), name=f"bg_asm{l}") for l in range(8)]
        merged = [Signal((9, True), name=f"bg_m{l}") for l in range(8)]
        lp = Signal(2)                          # pair slot within the tap word: lanes 2*lp, 2*lp + 1
        self.comb += lp.eq(s1[:2])
        for l in range(8):
            self.comb += merged[l].eq(Mux(lp == l // 2, xa if l % 2 == 0 else xb, asm[l]))
        wr = Signal()
        tw = Signal(tdw)
        self.comb += [
            wr.eq(v1 & ((lp == 3) | l1)),
            tw.eq(s1[2:]),
            self.tw_adr.eq(Cat(tw, half1)), self.tw_dat.eq(Cat(*merged)), self.tw_we.eq(wr),
            self.set_full.eq(Mux(v1 & l1, Mux(half1, 2, 1), 0)),
        ]
        self.sync += [
            If(v1, *[If(lp == l // 2, asm[l].eq(merged[l])) for l in range(8)]),
            If(v1 & l1, self.m_obase[half1].eq(pix1), self.m_w[half1].eq(d["w_base"]),
               self.m_q[half1].eq(d["q_base"]), self.m_n[half1].eq(0)),
            If(self.start, self.done.eq(0)).Elif(v1 & fin1, self.done.eq(1)),
        ]

"""The MAC array: ``rows`` x ``cols`` int8 multipliers, weight word per cycle, per-row reduction.

One idea: cell (r, c) multiplies an activation tap (9-bit, zero point already subtracted) by a weight
byte ``w[r*cols + c]``; each row sums its ``cols`` products into a 32-bit accumulator (TFLM's int32
wrap-around). Two operand routings share the same multipliers:

* GEMM (pointwise, dense KxK conv as implicit GEMM, FC): tap c is broadcast down column c, so row r
  computes output channel r over ``cols`` reduction taps per cycle (weight-stationary over input x
  output channels: the weight word is the rows x 8 tile of the current reduction step).
* column mode (depthwise lanes, pooling): row r takes lane r of the tap word in column ``col_sel`` only,
  so the array acts as ``rows`` channel-parallel DW lanes, one tap per cycle; with ``ones`` the weight
  is 1 (pooling sums) and with ``maxmode`` the accumulator keeps the maximum instead of the sum.
* diag mode (sliding-window depthwise): column c takes window tap c (a full 8-channel word) and row r
  its lane r, so a 3x3 kernel of 8 channels takes two cycles (taps 0-7, tap 8).

Pipeline: inputs (cycle t) -> products registered (t+1) -> row sums registered (t+2) -> accumulator
and result (t+3, ``res_valid`` for one cycle). ``meta`` rides along unchanged.

With ``rows == 16`` the array is 128 MACs: rows r and r+8 always take the same activation operand (GEMM
broadcasts tap c down the column; in column/diag mode rows 8..15 shadow rows 0..7 and their results are
ignored), so each pair is ONE 9x25-bit multiply: ``a * (w[r+8] * 2**16 + w[r])`` (fits a DSP48E1's
25x18 multiplier). Since |a*w| <= 255*128 < 2**15, the low 16 bits are ``a*w[r]`` (sign-extended) and
``(p >> 16) + p[15]`` is ``a*w[r+8]``, exactly: bit-exact int32 accumulation as TFLM.
"""
from migen import If, Module, Mux, Signal


class MacArray(Module):
    def __init__(self, rows=8, cols=8, meta_width=1, acc_width=32):
        self.rows, self.cols = rows, cols
        # Inputs (cycle t).
        self.taps = [Signal((9, True), name=f"tap{c}") for c in range(cols)]          # GEMM / column
        self.diag = [[Signal((9, True), name=f"diag{c}_{r}") for r in range(min(rows, 8))] for c in range(cols)]
        self.w = Signal(8 * rows * cols)
        self.col_mode = Signal()
        self.diag_mode = Signal()
        self.col_sel = Signal(max(1, (cols - 1).bit_length()))
        self.ones = Signal()
        self.maxmode = Signal()
        self.valid = Signal()
        self.first = Signal()
        self.last = Signal()
        self.meta = Signal(meta_width)
        # Outputs (cycle t+3).
        self.res_valid = Signal()
        self.res = [Signal((acc_width, True), name=f"res{r}") for r in range(rows)]
        self.res_meta = Signal(meta_width)
        self.busy = Signal()

        # Stage 1: multiply (operands: rows >= 8 shadow row r - 8 outside GEMM mode).
        prod = [[Signal((18, True), name=f"p{r}_{c}") for c in range(cols)] for r in range(rows)]
        v1, f1, l1, m1, mx1 = Signal(), Signal(), Signal(), Signal(meta_width), Signal()
        packed = rows == 16
        assert rows in (8, 16) or not packed
        base_rows = 8 if packed else rows
        avals = [[None] * cols for _ in range(base_rows)]
        wts = [[None] * cols for _ in range(rows)]
        for r in range(rows):
            for c in range(cols):
                wt = Signal((8, True), name=f"w{r}_{c}")
                sel = self.col_sel == c
                self.comb += If(self.ones, wt.eq(Mux(sel, 1, 0))
                                ).Else(wt.eq(self.w[8 * (r * cols + c):8 * (r * cols + c) + 8]))
                wts[r][c] = wt
        for r in range(base_rows):
            for c in range(cols):
                a = Signal((9, True), name=f"a{r}_{c}")
                sel = self.col_sel == c
                self.comb += [
                    If(self.diag_mode, a.eq(self.diag[c][r])
                    ).Elif(self.col_mode, a.eq(Mux(sel, self.taps[r % cols], 0))
                    ).Else(a.eq(self.taps[c])),
                ]
                avals[r][c] = a
        if not packed:
            for r in range(rows):
                for c in range(cols):
                    self.sync += prod[r][c].eq(avals[r][c] * wts[r][c])
        else:
            for r in range(8):
                for c in range(cols):
                    bw = Signal((25, True), name=f"pk_b{r}_{c}")
                    pp = Signal((34, True), name=f"pk_p{r}_{c}")
                    self.comb += bw.eq((wts[r + 8][c] << 16) + wts[r][c])
                    self.sync += pp.eq(avals[r][c] * bw)
                    lo = Signal((16, True), name=f"pk_lo{r}_{c}")
                    hi = Signal((18, True), name=f"pk_hi{r}_{c}")
                    self.comb += [lo.eq(pp[:16]), hi.eq((pp >> 16) + pp[15]),
                                  prod[r][c].eq(lo), prod[r + 8][c].eq(hi)]
        self.sync += [v1.eq(self.valid), f1.eq(self.first), l1.eq(self.last), m1.eq(self.meta),
                      mx1.eq(self.maxmode)]

        # Stage 2: row sums.
        rsum = [Signal((24, True), name=f"rs{r}") for r in range(rows)]
        v2, f2, l2, m2, mx2 = Signal(), Signal(), Signal(), Signal(meta_width), Signal()
        for r in range(rows):
            self.sync += rsum[r].eq(sum(prod[r]))
        self.sync += [v2.eq(v1), f2.eq(f1), l2.eq(l1), m2.eq(m1), mx2.eq(mx1)]

        # Stage 3: accumulate.
        acc = [Signal((acc_width, True), name=f"acc{r}") for r in range(rows)]
        for r in range(rows):
            nacc = Signal((acc_width, True), name=f"nacc{r}")
            self.comb += If(f2, nacc.eq(rsum[r])
                         ).Elif(mx2, nacc.eq(Mux(rsum[r] > acc[r], rsum[r], acc[r]))
                         ).Else(nacc.eq(acc[r] + rsum[r]))
            self.sync += If(v2, acc[r].eq(nacc), If(l2, self.res[r].eq(nacc)))
        self.sync += [self.res_valid.eq(v2 & l2), If(v2 & l2, self.res_meta.eq(m2))]
        self.comb += self.busy.eq(v1 | v2 | self.res_valid)

"""The MAC array: ``rows`` x ``cols`` int8 multipliers, weight word per cycle, per-row reduction.

One idea: cell (r, c) multiplies an activation tap (9-bit, zero point already subtracted) by a weight
byte ``w[r*cols + c]``; each row sums its ``cols`` products into a 32-bit accumulator (TFLM's int32
wrap-around). Two operand routings share the same multipliers:

* GEMM (pointwise, dense KxK conv as implicit GEMM, FC): tap c is broadcast down column c, so row r
  computes output channel r over ``cols`` reduction taps per cycle (weight-stationary over input x
  output channels: the weight word is the 8x8 tile of the current reduction step).
* column mode (depthwise lanes, pooling): row r takes lane r of the tap word in column ``col_sel`` only,
  so the array acts as ``rows`` channel-parallel DW lanes, one tap per cycle; with ``ones`` the weight
  is 1 (pooling sums) and with ``maxmode`` the accumulator keeps the maximum instead of the sum.
* diag mode (sliding-window depthwise): column c takes window tap c (a full 8-channel word) and row r
  its lane r, so a 3x3 kernel of 8 channels takes two cycles (taps 0-7, tap 8).

Pipeline: inputs (cycle t) -> products registered (t+1) -> row sums registered (t+2) -> accumulator
and result (t+3, ``res_valid`` for one cycle). ``meta`` rides along unchanged.
"""
from migen import Cat, If, Module, Mux, Signal, Replicate


class MacArray(Module):
    def __init__(self, rows=8, cols=8, meta_width=1, acc_width=32):
        self.rows, self.cols = rows, cols
        # Inputs (cycle t).
        self.taps = [Signal((9, True), name=f"tap{c}") for c in range(cols)]          # GEMM / column
        self.diag = [[Signal((9, True), name=f"diag{c}_{r}") for r in range(rows)] for c in range(cols)]
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

        # Stage 1: multiply.
        prod = [[Signal((18, True), name=f"p{r}_{c}") for c in range(cols)] for r in range(rows)]
        v1, f1, l1, m1, mx1 = Signal(), Signal(), Signal(), Signal(meta_width), Signal()
        for r in range(rows):
            for c in range(cols):
                a = Signal((9, True), name=f"a{r}_{c}")
                wt = Signal((8, True), name=f"w{r}_{c}")
                sel = self.col_sel == c
                self.comb += [
                    If(self.diag_mode, a.eq(self.diag[c][r])
                    ).Elif(self.col_mode, a.eq(Mux(sel, self.taps[r % cols], 0))
                    ).Else(a.eq(self.taps[c])),
                    If(self.ones, wt.eq(Mux(sel, 1, 0))
                    ).Else(wt.eq(self.w[8 * (r * cols + c):8 * (r * cols + c) + 8])),
                ]
                self.sync += prod[r][c].eq(a * wt)
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

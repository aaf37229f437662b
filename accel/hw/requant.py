"""Requant lane: int32 accumulator -> int8, TFLite-Micro's double rounding, bit exact.

y = clamp(RDBPOT(SRDHM((acc + bias) << left, M), right) + out_zp, act_min, act_max)
with left = max(shift, 0), right = max(-shift, 0); SRDHM and RDBPOT round half away from zero
(accel.quant.srdhm / rdbpot). The multiplier M is TFLM's Q31 mantissa (0 <= M < 2**31), so SRDHM's
INT32_MIN * INT32_MIN saturation case cannot occur. Five register stages; one result per cycle.
"""
from migen import Cat, If, Module, Mux, Signal


class RequantLane(Module):
    LATENCY = 5

    def __init__(self):
        self.i_valid = Signal()
        self.acc = Signal((32, True))
        self.bias = Signal((32, True))
        self.mult = Signal((32, True))
        self.shift = Signal((32, True))
        self.out_zp = Signal((9, True))
        self.act_min = Signal((9, True))
        self.act_max = Signal((9, True))
        self.o_valid = Signal()
        self.out = Signal((8, True))

        # R1: bias, split the shift.
        x1 = Signal((32, True))
        left1 = Signal(5)
        right1 = Signal(6)
        m1 = Signal((32, True))
        v1 = Signal()
        neg = self.shift[31]
        nshift = Signal((33, True))
        self.comb += nshift.eq(-self.shift)
        self.sync += [
            x1.eq(self.acc + self.bias),                   # wraps to 32 bits like C's int32
            left1.eq(Mux(neg, 0, Mux(self.shift > 31, 31, self.shift[:5]))),
            right1.eq(Mux(neg, Mux(nshift > 31, 31, nshift[:6]), 0)),
            m1.eq(self.mult), v1.eq(self.i_valid),
        ]
        # R2: left shift (wrapping).
        x2 = Signal((32, True))
        right2 = Signal(6)
        m2 = Signal((32, True))
        v2 = Signal()
        self.sync += [x2.eq(x1 << left1), right2.eq(right1), m2.eq(m1), v2.eq(v1)]
        # R3: 32x32 product.
        p3 = Signal((64, True))
        right3 = Signal(6)
        v3 = Signal()
        self.sync += [p3.eq(x2 * m2), right3.eq(right2), v3.eq(v2)]
        # R4: SRDHM = (p + nudge) / 2**31, truncating toward zero.
        s4 = Signal((65, True))
        t4 = Signal((65, True))
        q4 = Signal((32, True))
        right4 = Signal(6)
        v4 = Signal()
        self.comb += [
            s4.eq(p3 + Mux(p3 >= 0, 1 << 30, 1 - (1 << 30))),
            t4.eq(s4 + Mux(s4 < 0, (1 << 31) - 1, 0)),
        ]
        self.sync += [q4.eq(t4 >> 31), right4.eq(right3), v4.eq(v3)]
        # R5: RDBPOT, zero point, clamp.
        mask = Signal(32)
        rem = Signal(32)
        thr = Signal(33)
        r5 = Signal((33, True))
        y5 = Signal((34, True))
        self.comb += [
            mask.eq((1 << right4) - 1),
            rem.eq(q4 & mask),
            thr.eq((mask >> 1) + (q4 < 0)),
            r5.eq((q4 >> right4) + (rem > thr)),
            y5.eq(r5 + self.out_zp),
        ]
        self.sync += [
            self.o_valid.eq(v4),
            If(y5 < self.act_min, self.out.eq(self.act_min)
            ).Elif(y5 > self.act_max, self.out.eq(self.act_max)
            ).Else(self.out.eq(y5)),
        ]

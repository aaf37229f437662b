"""Migen RTL of the fixed-point front-end, bit-exact with frontend.golden.

One sequential datapath, phases per frame (see docs/frontend.md for the block diagram):
  LOAD  512 cycles   ring buffer -> x * Hann (Q15) -> bank 0 at bit-reversed address
  FFT   9 x (256+3)  radix-2 DIT, one butterfly per cycle, ping-pong banks (true dual port each)
  MEL   245+5        sparse mel walk: |X|^2 (48 bit) * weight -> 60-bit accumulators -> E memory
  BAND  40 x 5..14   log2 (LZC + LUT) -> log-mel quantiser | PCEN | log-mel into L memory
  DCT   400+3        MFCC only: 10 x 40 MACs -> quantiser
Every constant comes from frontend.tables / frontend.golden.
"""
from __future__ import annotations

from migen import (Array, Case, Cat, ClockSignal, Constant, FSM, If, Memory, Module, Mux, NextState,
                   NextValue, Replicate, ResetSignal, Signal)

from .. import format as F   # the feature format (output quantisation, PCEN units, DCT)
from .. import tables as T
from ..format import MODE_CODES, MODE_LOGMEL, MODE_MFCC, MODE_PCEN  # noqa: F401


# No negative constant appears in this RTL: LiteX 2024.12's Verilog backend prints them as unsigned
# expressions (-16'd32768), which silently turns signed compares unsigned.  Lower bounds are tested
# through the sign bit of (v + |lo|), and negative results are written as two's complement bit
# patterns into a destination of exactly that width.
def _pattern(value, bits):
    """Two's complement bit pattern of `value` in `bits` bits, as a non-negative constant."""
    return value & ((1 << bits) - 1)


def _below(m, v, bound):
    """1 when the signed expression v < bound (bound <= 0), without a negative constant."""
    s = Signal((96, True))
    m.comb += s.eq(v + (-bound))
    return s[95]


def _sat(m, v, bits):
    """Saturate the signed expression v to a signed `bits` word (the destination must be `bits` wide)."""
    hi = (1 << (bits - 1)) - 1
    return Mux(v > hi, hi, Mux(_below(m, v, -(1 << (bits - 1))), _pattern(-(1 << (bits - 1)), bits), v))


class Log2Unit(Module):
    """y = log2(x) in Q10 (18-bit signed), x unsigned 64 bit; x = 0 -> LOG_ZERO.
    Load x with `ld`; y is valid two cycles later (cycle 1: LZC + mantissa -> LUT address)."""

    def __init__(self, width=64):
        self.ld = Signal()
        self.x_in = Signal(width)
        self.y = Signal((19, True))
        self.zero = Signal()
        x = Signal(width)
        self.sync += If(self.ld, x.eq(self.x_in))
        nb = Signal(max=width + 1)
        for i in range(width):
            self.comb += If(x[i], nb.eq(i + 1))
        idx = Signal(T.LOG_IDX_BITS)
        cases = {}
        for e in range(width):
            if e >= T.LOG_IDX_BITS:
                cases[e + 1] = idx.eq(x[e - T.LOG_IDX_BITS:e])
            elif e > 0:
                cases[e + 1] = idx.eq(Cat(Constant(0, T.LOG_IDX_BITS - e), x[0:e]))
            else:
                cases[e + 1] = idx.eq(0)
        cases["default"] = idx.eq(0)
        self.comb += Case(nb, cases)
        lut = Memory(T.LOG_FRAC + 1, 1 << T.LOG_IDX_BITS, init=[int(v) for v in T.log2_lut()])
        rd = lut.get_port()
        self.specials += lut, rd
        e_r = Signal((8, True))
        zero_r = Signal()
        self.comb += rd.adr.eq(idx)
        self.sync += [e_r.eq(nb - 1), zero_r.eq(nb == 0)]
        y_pos = Signal((19, True))
        self.comb += [y_pos.eq((e_r << T.LOG_FRAC) + rd.dat_r),
                      self.y.eq(Mux(zero_r, _pattern(T.LOG_ZERO, 19), y_pos)), self.zero.eq(zero_r)]


class Exp2Unit(Module):
    """y = 2^(t/1024) in Q16 (42-bit unsigned) for a signed Q10 t, clamped to [EXP_TMIN, EXP_TMAX].
    Load t with `ld`; y is valid two cycles later."""

    def __init__(self, width=24):
        self.ld = Signal()
        self.t_in = Signal((width, True))
        self.y = Signal(42)
        t = Signal((width, True))
        self.sync += If(self.ld, t.eq(self.t_in))
        tc = Signal((width, True))
        self.comb += tc.eq(Mux(_below(self, t, T.EXP_TMIN), _pattern(T.EXP_TMIN, width),
                               Mux(t > T.EXP_TMAX, T.EXP_TMAX, t)))
        lut = Memory(17, 1 << T.EXP_FRAC_BITS, init=[int(v) for v in T.exp2_lut()])
        rd = lut.get_port()
        self.specials += lut, rd
        self.comb += rd.adr.eq(tc[:T.EXP_FRAC_BITS])
        i_r = Signal((8, True))
        self.sync += i_r.eq((tc >> T.EXP_FRAC_BITS) + (T.EXP_OUT_FRAC - 15))
        v = rd.dat_r
        imin = (T.EXP_TMIN >> T.EXP_FRAC_BITS) + 1
        imax = (T.EXP_TMAX >> T.EXP_FRAC_BITS) + 1
        cases = {}
        for i in range(imin, imax + 1):
            key = i & 0xFF  # Case on the raw 8-bit pattern
            cases[key] = self.y.eq(v << i) if i >= 0 else self.y.eq(v >> -i)
        cases["default"] = self.y.eq(0)
        self.comb += Case(i_r[:8], cases)


class FrontendCore(Module):
    """Sample stream in, int8 feature writes out.

    Inputs : sink_valid/sink_ready/sink_data (int16), mode, PCEN parameters (integers of
             golden.PcenParams.quantized()), clear (pulse: restart streaming state).
    Outputs: out_we/out_adr/out_dat (one int8 feature per write, index 0..F-1), frame_done (pulse after
             the last write of a frame), busy, frame_count, last_cycles (cycles of the last frame from
             hop complete to frame_done)."""

    def __init__(self):
        # ---------------------------------------------------------------- ports
        self.sink_valid = Signal()
        self.sink_ready = Signal()
        self.sink_data = Signal((16, True))
        self.mode = Signal(2)
        self.b_q16 = Signal(17)
        self.alpha_q14 = Signal(15)
        self.delta_q16 = Signal(24)
        self.r_q14 = Signal(16)
        self.eps_q = Signal(32)
        self.m_init = Signal(32)
        self.clear = Signal()
        self.out_we = Signal()
        self.out_adr = Signal(6)
        self.out_dat = Signal((8, True))
        self.frame_done = Signal()
        self.busy = Signal()
        self.frame_count = Signal(32)
        self.last_cycles = Signal(32)
        self.overrun = Signal()       # never set: ready is withheld instead (kept for the CSR map)

        # ---------------------------------------------------------------- sample ring (1024 x 16)
        ring = Memory(16, 1024)
        ring_w = ring.get_port(write_capable=True)
        ring_r = ring.get_port()
        self.specials += ring, ring_w, ring_r
        wr_ptr = Signal(10)
        cnt = Signal(9)
        hops = Signal(2)
        pending = Signal()
        base = Signal(10)
        start = Signal()
        running = Signal()
        self.comb += self.sink_ready.eq(~((pending | running) & (cnt == T.HOP - 1)))
        accept = Signal()
        self.comb += [
            accept.eq(self.sink_valid & self.sink_ready),
            ring_w.adr.eq(wr_ptr), ring_w.dat_w.eq(self.sink_data), ring_w.we.eq(accept),
        ]
        self.sync += [
            If(self.clear,
                wr_ptr.eq(0), cnt.eq(0), hops.eq(0), pending.eq(0),
            ).Else(
                If(accept,
                    wr_ptr.eq(wr_ptr + 1),
                    If(cnt == T.HOP - 1,
                        cnt.eq(0),
                        If(hops != 2, hops.eq(hops + 1)),
                        If(hops >= 1, pending.eq(1), base.eq(wr_ptr + 1 - 2 * T.HOP)),
                    ).Else(cnt.eq(cnt + 1)),
                ),
                If(start, pending.eq(0)),
            )
        ]

        # ---------------------------------------------------------------- ROMs
        win = list(int(v) for v in T.window()) + [0] * (T.NFFT - T.WIN)
        win_rom = Memory(17, T.NFFT, init=win)
        win_r = win_rom.get_port()
        tw_re, tw_im = T.twiddles()
        m17 = (1 << 17) - 1
        tw_rom = Memory(34, T.NFFT // 2, init=[(int(r) & m17) | ((int(i) & m17) << 17) for r, i in zip(tw_re, tw_im)])
        tw_r = tw_rom.get_port()
        band, kbin, wmel = T.mel_sparse()
        last = [1 if (e == len(band) - 1 or band[e + 1] != band[e]) else 0 for e in range(len(band))]
        n_mel = len(band)
        # the mel ROM word packs bin (8 bit) | weight (10 bit) | last-of-band (1 bit)
        assert int(kbin.max()) < 256 and int(wmel.max()) < 1024, "mel table does not fit the ROM word"
        mel_rom = Memory(8 + 10 + 1, n_mel, init=[int(k) | (int(w) << 8) | (l << 18) for k, w, l in zip(kbin, wmel, last)])
        mel_r = mel_rom.get_port()
        dq = F.dct_q()
        dct_rom = Memory(16, T.NMFCC * T.NMELS, init=[int(v) & 0xFFFF for v in dq.ravel()])
        dct_r = dct_rom.get_port()
        self.specials += win_rom, win_r, tw_rom, tw_r, mel_rom, mel_r, dct_rom, dct_r

        # ---------------------------------------------------------------- FFT banks (512 x 48, 2 ports each)
        banks = [Memory(2 * T.FFT_BITS, T.NFFT) for _ in range(2)]
        bp = [[b.get_port(write_capable=True) for _ in range(2)] for b in banks]
        self.specials += banks[0], banks[1], *bp[0], *bp[1]
        FB = T.FFT_BITS

        # per-band memories
        emem = Memory(64, T.NMELS)
        e_w, e_r = emem.get_port(write_capable=True), emem.get_port()
        mmem = Memory(64, T.NMELS)
        m_w, m_r = mmem.get_port(write_capable=True), mmem.get_port()
        lmem = Memory(18, T.NMELS)
        l_w, l_r = lmem.get_port(write_capable=True), lmem.get_port()
        self.specials += emem, e_w, e_r, mmem, m_w, m_r, lmem, l_w, l_r

        self.submodules.loga = loga = Log2Unit(64)
        self.submodules.logb = logb = Log2Unit(64)
        self.submodules.exp = exp = Exp2Unit(24)

        # ---------------------------------------------------------------- phase control
        phase = Signal(3)  # 0 idle, 1 load, 2 fft, 3 mel, 4 band, 5 dct
        P_IDLE, P_LOAD, P_FFT, P_MEL, P_BAND, P_DCT = range(6)
        cycles = Signal(32)
        m_fresh = Signal(reset=1)
        self.comb += [running.eq(phase != P_IDLE), self.busy.eq(running | pending),
                      start.eq((phase == P_IDLE) & pending)]
        self.sync += If(start, cycles.eq(0)).Elif(running, cycles.eq(cycles + 1))

        # ---- LOAD: n = 0..511 issued, 2-stage pipeline
        n = Signal(10)
        lv1, lv2 = Signal(), Signal()
        ln1, ln2 = Signal(9), Signal(9)
        lprod = Signal((34, True))
        x_s = Signal((16, True))
        w_s = Signal((18, True))
        self.comb += [x_s.eq(ring_r.dat_r), w_s.eq(win_r.dat_r)]
        self.comb += [ring_r.adr.eq(base + n[:9]), win_r.adr.eq(n[:9])]
        xw = Signal((16, True))
        self.comb += xw.eq(_sat(self, (lprod + (1 << 14)) >> 15, 16))
        issue_load = Signal()
        self.comb += issue_load.eq((phase == P_LOAD) & (n < T.NFFT))
        self.sync += [
            lv1.eq(issue_load), ln1.eq(n[:9]),
            lv2.eq(lv1), ln2.eq(ln1),
            lprod.eq(x_s * w_s),
        ]
        bitrev = Cat(*[ln2[T.FFT_STAGES - 1 - i] for i in range(T.FFT_STAGES)])

        # ---- FFT
        stage = Signal(4)
        j = Signal(9)
        fv1, fv2, fv3 = Signal(), Signal(), Signal()
        aa, ab = Signal(9), Signal(9)
        aa1, ab1, aa2, ab2, aa3, ab3 = (Signal(9) for _ in range(6))
        twi = Signal(8)
        cases_a, cases_t = {}, {}
        for s in range(T.FFT_STAGES):
            low = (1 << s) - 1
            high = 0xFF & ~low
            cases_a[s] = [aa.eq(((j[:8] & high) << 1) | (j[:8] & low)),
                          ab.eq((((j[:8] & high) << 1) | (j[:8] & low)) | (1 << s))]
            cases_t[s] = twi.eq((j[:8] & low) << (8 - s))
        cases_a["default"] = [aa.eq(0), ab.eq(0)]
        cases_t["default"] = twi.eq(0)
        self.comb += [Case(stage, cases_a), Case(stage, cases_t), tw_r.adr.eq(twi)]
        issue_fft = Signal()
        self.comb += issue_fft.eq((phase == P_FFT) & (j < T.NFFT // 2))
        src_odd = stage[0]
        a_dat = Signal(2 * FB)
        b_dat = Signal(2 * FB)
        self.comb += [a_dat.eq(Mux(src_odd, bp[1][0].dat_r, bp[0][0].dat_r)),
                      b_dat.eq(Mux(src_odd, bp[1][1].dat_r, bp[0][1].dat_r))]
        ar2, ai2 = Signal((FB, True)), Signal((FB, True))
        p1, p2, p3, p4 = (Signal((FB + 18, True)) for _ in range(4))
        ar3, ai3 = Signal((FB, True)), Signal((FB, True))
        tr3, ti3 = Signal((FB + 2, True)), Signal((FB + 2, True))
        wr, wi = Signal((17, True)), Signal((17, True))
        br, bi = Signal((FB, True)), Signal((FB, True))
        self.comb += [wr.eq(tw_r.dat_r[:17]), wi.eq(tw_r.dat_r[17:34]), br.eq(b_dat[:FB]), bi.eq(b_dat[FB:])]
        self.sync += [
            fv1.eq(issue_fft), aa1.eq(aa), ab1.eq(ab),
            fv2.eq(fv1), aa2.eq(aa1), ab2.eq(ab1),
            ar2.eq(a_dat[:FB]), ai2.eq(a_dat[FB:]),
            p1.eq(br * wr), p2.eq(bi * wi), p3.eq(br * wi), p4.eq(bi * wr),
            fv3.eq(fv2), aa3.eq(aa2), ab3.eq(ab2), ar3.eq(ar2), ai3.eq(ai2),
            tr3.eq((p1 - p2 + (1 << (T.TW_FRAC - 1))) >> T.TW_FRAC),
            ti3.eq((p3 + p4 + (1 << (T.TW_FRAC - 1))) >> T.TW_FRAC),
        ]
        o0r, o0i, o1r, o1i = (Signal((FB, True)) for _ in range(4))
        self.comb += [o0r.eq(_sat(self, ar3 + tr3, FB)), o0i.eq(_sat(self, ai3 + ti3, FB)),
                      o1r.eq(_sat(self, ar3 - tr3, FB)), o1i.eq(_sat(self, ai3 - ti3, FB))]

        # ---- MEL
        e_i = Signal(max=n_mel + 1)
        mv1, mv2, mv3, mv4 = Signal(), Signal(), Signal(), Signal()
        mw2, mw3 = Signal(10), Signal(10)
        ml2, ml3, ml4 = Signal(), Signal(), Signal()
        sq1, sq2 = Signal(2 * FB), Signal(2 * FB)
        pm4 = Signal(2 * FB + 1 + 10)
        acc = Signal(64)
        band_w = Signal(6)
        issue_mel = Signal()
        self.comb += [issue_mel.eq((phase == P_MEL) & (e_i < n_mel)), mel_r.adr.eq(e_i)]
        xr, xi = Signal((FB, True)), Signal((FB, True))
        self.comb += [xr.eq(bp[1][0].dat_r[:FB]), xi.eq(bp[1][0].dat_r[FB:])]
        self.sync += [
            mv1.eq(issue_mel),
            mv2.eq(mv1), mw2.eq(mel_r.dat_r[8:18]), ml2.eq(mel_r.dat_r[18]),
            mv3.eq(mv2), mw3.eq(mw2), ml3.eq(ml2), sq1.eq(xr * xr), sq2.eq(xi * xi),
            mv4.eq(mv3), ml4.eq(ml3), pm4.eq((sq1 + sq2) * mw3),
        ]
        acc_next = Signal(64)
        self.comb += [acc_next.eq(acc + pm4),
                      e_w.adr.eq(band_w), e_w.dat_w.eq(acc_next), e_w.we.eq(mv4 & ml4)]
        self.sync += [
            If(mv4, If(ml4, acc.eq(0)).Else(acc.eq(acc_next))),
            If(start, band_w.eq(0)).Elif(mv4 & ml4, band_w.eq(band_w + 1)),
        ]

        # ---- bank port muxing
        for b in range(2):
            p0, p1_ = bp[b]
            src_here = (src_odd == b)
            self.comb += [
                If(phase == P_LOAD,
                    If(b == 0, p0.adr.eq(bitrev), p0.dat_w.eq(Cat(xw, Replicate(xw[15], FB - 16), Constant(0, FB))),
                       p0.we.eq(lv2)),
                ).Elif(phase == P_FFT,
                    If(src_here, p0.adr.eq(aa), p1_.adr.eq(ab)).Else(
                        p0.adr.eq(aa3), p1_.adr.eq(ab3),
                        p0.dat_w.eq(Cat(o0r, o0i)), p1_.dat_w.eq(Cat(o1r, o1i)),
                        p0.we.eq(fv3), p1_.we.eq(fv3)),
                ).Elif(phase == P_MEL,
                    If(b == 1, p0.adr.eq(mel_r.dat_r[:8])),
                )
            ]

        # ---- BAND (per-band sequencer) and DCT
        m = Signal(6)
        E_r = Signal(64)
        Es_r = Signal(52)
        Mold = Signal(64)
        Mnew = Signal(64)
        t_r = Signal((24, True))
        p_r = Signal((24, True))
        dr = Signal(42)
        mode = self.mode
        k = Signal(9)          # DCT MAC counter 0..399
        dj, dm = Signal(4), Signal(6)
        dv1, dv2 = Signal(), Signal()
        dlast1, dlast2 = Signal(), Signal()
        dj1, dj2 = Signal(4), Signal(4)
        dprod = Signal((36, True))
        dq_s, lq_s = Signal((16, True)), Signal((18, True))
        self.comb += [dq_s.eq(dct_r.dat_r), lq_s.eq(l_r.dat_r)]
        dacc = Signal((48, True))
        self.comb += [e_r.adr.eq(m), m_r.adr.eq(m), l_r.adr.eq(dm), dct_r.adr.eq(k)]

        lM = Signal((20, True))
        self.comb += lM.eq(logb.y - (F.M_FRAC << T.LOG_FRAC))
        # NB: Verilog sizes a product by its context, so every product gets its own wide signal
        one_m_alpha = Signal(16)
        cprod = Signal(40)
        cconst = Signal((24, True))
        self.comb += [one_m_alpha.eq(16384 - self.alpha_q14),
                      cprod.eq((F.PCEN_E_LOG2_UNITS << T.LOG_FRAC) * one_m_alpha),
                      cconst.eq((cprod + 8192) >> 14)]
        am = Signal((40, True))
        self.comb += am.eq(self.alpha_q14 * lM)
        t_comb = Signal((24, True))
        self.comb += t_comb.eq(loga.y - ((am + 8192) >> 14) - cconst)
        out_pcen = Signal((44, True))
        self.comb += out_pcen.eq(exp.y - dr)
        q_pcen = Signal((44, True))
        assert F.PCEN_ZP <= 0
        self.comb += q_pcen.eq(((Mux(out_pcen[43], 0, out_pcen) + (1 << (F.PCEN_OUT_SHIFT - 1)))
                                >> F.PCEN_OUT_SHIFT) - (-F.PCEN_ZP))
        q_log = Signal((24, True))
        assert F.LM_LO < 0 < F.LM_HI and F.MFCC_ZP >= 0
        self.comb += q_log.eq(((loga.y - (T.MEL_SHIFT << T.LOG_FRAC) + ((-F.LM_LO) << T.LOG_FRAC)
                                + (1 << (F.LM_STEP_SHIFT - 1))) >> F.LM_STEP_SHIFT) - 128)
        lc = Signal((24, True))
        lraw = Signal((24, True))
        self.comb += [lraw.eq(loga.y - (T.MEL_SHIFT << T.LOG_FRAC)),
                      lc.eq(Mux(_below(self, lraw, F.LM_LO << T.LOG_FRAC), _pattern(F.LM_LO << T.LOG_FRAC, 24),
                                Mux(lraw > (F.LM_HI << T.LOG_FRAC), F.LM_HI << T.LOG_FRAC, lraw)))]
        q_dct = Signal((48, True))
        self.comb += q_dct.eq(((dacc + (1 << (F.MFCC_SHIFT - 1))) >> F.MFCC_SHIFT) + F.MFCC_ZP)
        ls = Signal((20, True))
        self.comb += ls.eq(loga.y - (16 << T.LOG_FRAC))
        rls = Signal((40, True))
        pr_comb = Signal((40, True))
        self.comb += [rls.eq(self.r_q14 * ls), pr_comb.eq((rls + 8192) >> 14)]

        fsm = FSM(reset_state="IDLE")
        self.submodules.fsm = fsm
        fsm.act("IDLE",
            If(start,
                NextValue(n, 0),
                NextValue(phase, P_LOAD), NextState("LOAD")))
        fsm.act("LOAD",
            If(n < T.NFFT, NextValue(n, n + 1)),
            If((n == T.NFFT) & ~lv1 & ~lv2,
                NextValue(stage, 0), NextValue(j, 0), NextValue(phase, P_FFT), NextState("FFT")))
        fsm.act("FFT",
            If(j < T.NFFT // 2, NextValue(j, j + 1)),
            If((j == T.NFFT // 2) & ~fv1 & ~fv2 & ~fv3,
                NextValue(j, 0),
                If(stage == T.FFT_STAGES - 1,
                    NextValue(e_i, 0),
                    NextValue(phase, P_MEL), NextState("MEL"),
                ).Else(NextValue(stage, stage + 1))))
        fsm.act("MEL",
            If(e_i < n_mel, NextValue(e_i, e_i + 1)),
            If((e_i == n_mel) & ~mv1 & ~mv2 & ~mv3 & ~mv4,
                NextValue(m, 0), NextValue(phase, P_BAND),
                If(mode == MODE_PCEN, NextState("DR0")).Else(NextState("B0"))))
        # delta^r through the same datapath
        fsm.act("DR0", loga.ld.eq(1), loga.x_in.eq(self.delta_q16), NextState("DR1"))
        fsm.act("DR1", NextState("DR2"))
        fsm.act("DR2", NextValue(p_r, pr_comb), NextState("DR3"))
        fsm.act("DR3", exp.ld.eq(1), exp.t_in.eq(p_r), NextState("DR4"))
        fsm.act("DR4", NextState("DR5"))
        fsm.act("DR5", NextValue(dr, exp.y), NextState("B0"))
        # per band
        fsm.act("B0", NextState("B1"))  # E, M memories addressed by m
        fsm.act("B1",
            NextValue(E_r, e_r.dat_r),
            NextValue(Es_r, e_r.dat_r >> F.E_PCEN_SHIFT),
            NextValue(Mold, Mux(m_fresh, self.m_init, m_r.dat_r)),
            If(mode == MODE_PCEN, NextState("P0")).Else(NextState("L0")))
        # log-mel / mfcc
        fsm.act("L0", loga.ld.eq(1), loga.x_in.eq(E_r), NextState("L1"))
        fsm.act("L1", NextState("L2"))
        fsm.act("L2",
            If(mode == MODE_MFCC,
                l_w.adr.eq(m), l_w.dat_w.eq(lc), l_w.we.eq(1),
            ).Else(
                self.out_we.eq(1), self.out_adr.eq(m), self.out_dat.eq(_sat(self, q_log, 8))),
            NextState("BNEXT"))
        # PCEN
        diff = Signal((54, True))
        self.comb += diff.eq(Es_r - (Mold >> F.M_FRAC))
        bdiff = Signal((72, True))
        self.comb += bdiff.eq(self.b_q16 * diff)
        fsm.act("P0", NextValue(Mnew, Mold + bdiff), NextState("P1"))
        fsm.act("P1",
            m_w.adr.eq(m), m_w.dat_w.eq(Mnew), m_w.we.eq(1),
            loga.ld.eq(1), loga.x_in.eq(Es_r),
            logb.ld.eq(1), logb.x_in.eq(Mnew + self.eps_q),
            NextState("P2"))
        fsm.act("P2", NextState("P3"))
        fsm.act("P3", NextValue(t_r, Mux(loga.zero, _pattern(T.EXP_TMIN, 24), t_comb)), NextState("P4"))
        fsm.act("P4", exp.ld.eq(1), exp.t_in.eq(t_r), NextState("P5"))
        fsm.act("P5", NextState("P6"))
        fsm.act("P6", loga.ld.eq(1), loga.x_in.eq(exp.y + self.delta_q16), NextState("P7"))
        fsm.act("P7", NextState("P8"))
        fsm.act("P8", NextValue(p_r, pr_comb), NextState("P9"))
        fsm.act("P9", exp.ld.eq(1), exp.t_in.eq(p_r), NextState("P10"))
        fsm.act("P10", NextState("P11"))
        fsm.act("P11", self.out_we.eq(1), self.out_adr.eq(m), self.out_dat.eq(_sat(self, q_pcen, 8)),
                NextState("BNEXT"))
        fsm.act("BNEXT",
            If(m == T.NMELS - 1,
                If(mode == MODE_MFCC,
                    NextValue(k, 0), NextValue(dj, 0), NextValue(dm, 0),
                    NextValue(phase, P_DCT), NextState("DCT"),
                ).Else(NextState("DONE")),
            ).Else(NextValue(m, m + 1), NextState("B0")))
        # DCT: k = j*40 + m issued each cycle; ROM/L memory data one cycle later
        issue_dct = Signal()
        self.comb += issue_dct.eq((phase == P_DCT) & (k < T.NMFCC * T.NMELS))
        fsm.act("DCT",
            If(issue_dct,
                NextValue(k, k + 1),
                If(dm == T.NMELS - 1, NextValue(dm, 0), NextValue(dj, dj + 1)).Else(NextValue(dm, dm + 1))),
            If(~issue_dct & ~dv1 & ~dv2, NextState("DONE")))
        self.sync += [
            dv1.eq(issue_dct), dlast1.eq(dm == T.NMELS - 1), dj1.eq(dj),
            dv2.eq(dv1), dlast2.eq(dlast1), dj2.eq(dj1),
            dprod.eq(dq_s * lq_s),
            If(dv2, If(dlast2, dacc.eq(0)).Else(dacc.eq(dacc + dprod))),
        ]
        dsum = Signal((48, True))
        self.comb += dsum.eq(dacc + dprod)
        q_dsum = Signal((48, True))
        self.comb += q_dsum.eq(((dsum + (1 << (F.MFCC_SHIFT - 1))) >> F.MFCC_SHIFT) + F.MFCC_ZP)
        self.comb += If(dv2 & dlast2, self.out_we.eq(1), self.out_adr.eq(dj2), self.out_dat.eq(_sat(self, q_dsum, 8)))
        fsm.act("DONE",
            self.frame_done.eq(1),
            NextValue(self.frame_count, self.frame_count + 1),
            NextValue(self.last_cycles, cycles + 1),
            NextValue(phase, P_IDLE), NextState("IDLE"))
        # clear: restart the PCEN state too (sampling state is cleared above)
        self.sync += If(self.clear, m_fresh.eq(1)).Elif(self.frame_done & (mode == MODE_PCEN), m_fresh.eq(0))

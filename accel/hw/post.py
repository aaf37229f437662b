"""Output stage: the requant pipeline (``rq_lanes`` RequantLanes fed from the quant SRAM, serialized over
a result vector of 8 channels) and the pooling divider, both ending in the activation write port.

* Requant: a result vector (8 accumulators, output word address, quant word address) is taken in one
  cycle and requantized ``rq_lanes`` channels per cycle; the engine never delivers vectors faster than
  one per ``rows / rq_lanes`` cycles (the compute unit throttles itself), so no back-pressure is needed.
* Pool: 8 restoring dividers give TFLM's average ``(sum +/- n/2) / n`` (C truncation) in 10 cycles;
  max pool passes the maximum through. Both clamp to the activation range.
"""
from migen import Array, Cat, If, Module, Mux, Signal

from accel.hw.requant import RequantLane

POOL_CYCLES = 16      # the compute unit spaces pooled result vectors at least this far apart


class Post(Module):
    def __init__(self, rows=8, rq_lanes=4, aw=10, qaw=7, nw=16):
        self.rows, self.q = rows, rq_lanes
        rqc = rows // rq_lanes          # steps of a full vector (rows channels, rows/8 output words)
        spw = 8 // rq_lanes             # steps per output word
        # Result vector from the MAC array.
        self.res_valid = Signal()
        self.res = [Signal((32, True), name=f"pres{r}") for r in range(rows)]
        self.res_oaddr = Signal(aw)
        self.res_qaddr = Signal(qaw)
        self.res_n = Signal(nw)
        self.res_two = Signal()       # rows == 16: the vector holds two output words (else only word 0)
        # Layer parameters.
        self.pool = Signal()          # 1: pooling path, 0: requant path
        self.avg = Signal()
        self.out_zp = Signal((9, True))
        self.act_min = Signal((9, True))
        self.act_max = Signal((9, True))
        # Quant SRAM read port (1-cycle latency): lane l = bits [96l, 96l+96): bias, mult, shift.
        self.q_adr = Signal(qaw)
        self.q_dat = Signal(96 * rq_lanes)
        # Activation write port.
        self.w_adr = Signal(aw)
        self.w_dat = Signal(64)
        self.w_we = Signal()
        self.busy = Signal()

        # ---------------- requant path ----------------
        vec = [Signal((32, True), name=f"vec{r}") for r in range(rows)]
        sact = Signal()
        sj = Signal(max(1, rqc.bit_length()))
        s_oaddr = Signal(aw)
        s_qaddr = Signal(qaw)
        s_two = Signal()
        a_valid, a_last = Signal(), Signal()
        a_j = Signal(max(1, rqc.bit_length()))
        a_oaddr = Signal(aw)
        a_acc = [Signal((32, True), name=f"aacc{i}") for i in range(rq_lanes)]
        vecarr = Array(Cat(*[vec[j * rq_lanes + i] for i in range(rq_lanes)]) for j in range(rqc))
        cur = Signal(32 * rq_lanes)
        lspw = spw.bit_length() - 1
        assert spw == 1 << lspw
        sj_in_word = Signal(max(1, lspw))
        self.comb += sj_in_word.eq(sj[:lspw] if lspw else 0)
        self.comb += [cur.eq(vecarr[sj]), self.q_adr.eq(s_qaddr + sj)]
        issue = sact
        self.sync += [
            a_valid.eq(issue), a_last.eq(sj_in_word == spw - 1), a_j.eq(sj), a_oaddr.eq(s_oaddr + (sj >> lspw)),
            [a_acc[i].eq(cur[32 * i:32 * i + 32]) for i in range(rq_lanes)],
            If(issue, sj.eq(sj + 1), If((sj == rqc - 1) | ((sj == spw - 1) & ~s_two), sact.eq(0))),
            If(self.res_valid & ~self.pool,
               [vec[r].eq(self.res[r]) for r in range(rows)], s_two.eq(self.res_two if rows > 8 else 0),
               s_oaddr.eq(self.res_oaddr), s_qaddr.eq(self.res_qaddr), sj.eq(0), sact.eq(1)),
        ]
        lanes = [RequantLane() for _ in range(rq_lanes)]
        self.submodules += lanes
        for i, ln in enumerate(lanes):
            base = 96 * i
            self.comb += [
                ln.i_valid.eq(a_valid), ln.acc.eq(a_acc[i]),
                ln.bias.eq(self.q_dat[base:base + 32]), ln.mult.eq(self.q_dat[base + 32:base + 64]),
                ln.shift.eq(self.q_dat[base + 64:base + 96]),
                ln.out_zp.eq(self.out_zp), ln.act_min.eq(self.act_min), ln.act_max.eq(self.act_max),
            ]
        # Delay line for (last, j, oaddr) alongside the lanes.
        lat = RequantLane.LATENCY
        dl = [(Signal(name=f"dlv{k}"), Signal(name=f"dll{k}"), Signal(len(a_j), name=f"dlj{k}"),
               Signal(aw, name=f"dlo{k}")) for k in range(lat)]
        prev = (a_valid, a_last, a_j, a_oaddr)
        for k in range(lat):
            self.sync += [dl[k][x].eq(prev[x]) for x in range(4)]
            prev = dl[k]
        o_valid, o_last, o_j, o_oaddr = prev
        bytes_now = Cat(*[ln.out for ln in lanes])
        slots = [Signal(8 * rq_lanes, name=f"slot{j}") for j in range(spw)]
        o_jw = Signal(max(1, lspw))
        self.comb += o_jw.eq(o_j[:lspw] if lspw else 0)
        self.sync += If(o_valid, *[If(o_jw == j, slots[j].eq(bytes_now)) for j in range(spw - 1)])
        merged = Signal(64)
        self.comb += merged.eq(Cat(*slots[:spw - 1], bytes_now))
        rq_we = Signal()
        self.comb += rq_we.eq(o_valid & o_last)

        # ---------------- pooling path ----------------
        pact = Signal()
        pstep = Signal(5)
        pn = Signal(nw)
        p_oaddr = Signal(aw)
        prow = 8                       # pooling: one output word (rows 8..15 only shadow rows 0..7)
        rem = [Signal(nw + 10, name=f"prem{r}") for r in range(prow)]
        quo = [Signal(10, name=f"pquo{r}") for r in range(prow)]
        pneg = [Signal(name=f"pneg{r}") for r in range(prow)]
        pmax = [Signal((32, True), name=f"pmax{r}") for r in range(prow)]
        pdone = Signal()
        pdone_out = Signal(64)
        half = Signal(nw)
        self.comb += half.eq(self.res_n >> 1)
        for r in range(prow):
            num = Signal((33, True), name=f"pnum{r}")
            mag = Signal(33, name=f"pmag{r}")
            self.comb += [num.eq(Mux(self.res[r] > 0, self.res[r] + half, self.res[r] - half)),
                          mag.eq(Mux(num < 0, -num, num))]
            dsh = Signal(nw + 10, name=f"pdsh{r}")
            self.comb += dsh.eq(pn << pstep)
            self.sync += [
                If(self.res_valid & self.pool,
                   rem[r].eq(mag), pneg[r].eq(num < 0), quo[r].eq(0), pmax[r].eq(self.res[r])
                ).Elif(pact & (rem[r] >= dsh), rem[r].eq(rem[r] - dsh), quo[r].eq(quo[r] | (1 << pstep)))
            ]
        ys = []
        for r in range(prow):
            y = Signal((33, True), name=f"py{r}")
            yc = Signal((8, True), name=f"pyc{r}")
            self.comb += [
                y.eq(Mux(self.avg, Mux(pneg[r], -quo[r], quo[r]), pmax[r])),
                If(y < self.act_min, yc.eq(self.act_min)).Elif(y > self.act_max, yc.eq(self.act_max)
                ).Else(yc.eq(y)),
            ]
            ys.append(yc)
        self.sync += [
            pdone.eq(0),
            If(self.res_valid & self.pool,
               pact.eq(1), pstep.eq(9), pn.eq(self.res_n), p_oaddr.eq(self.res_oaddr)
            ).Elif(pact,
               If(pstep == 0, pact.eq(0), pdone.eq(1)).Else(pstep.eq(pstep - 1))),
        ]
        # ---------------- write port ----------------
        self.comb += [
            If(rq_we, self.w_we.eq(1), self.w_adr.eq(o_oaddr), self.w_dat.eq(merged)
            ).Elif(pdone, self.w_we.eq(1), self.w_adr.eq(p_oaddr), self.w_dat.eq(Cat(*ys))),
            self.busy.eq(sact | a_valid | Cat(*[d[0] for d in dl]).__ne__(0) | pact | pdone),
        ]

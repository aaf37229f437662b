"""AccelCore: the DS-CNN accelerator without any bus standard (the LiteX wrapper and the Verilator
harness both drive this).

Host port (32-bit words, 1-cycle read latency, use only while ``busy`` is low):
``bus_adr`` = region << 16 | word; regions: 0 descriptors, 1 weights (2*rows words per weight word
of rows*8 bytes: 32 on the 16x8 default), 2 quant (16-word stride per quant word, 3 words per channel: bias, multiplier, shift),
3 activation memory A, 4 activation memory B (2 words per 8-byte activation word), 5 feature ring
(one byte per word), 6 ring control (``wp``, ``len``, ``step``; accel.descriptor RING_CTL_*).
Feature port (zero-copy input): ``fe_we``/``fe_adr``/``fe_dat`` write feature ``fe_adr`` of the current
frame at ring byte ``wp + fe_adr``; ``fe_frame`` (pulse after a frame's last write) advances ``wp`` by
``step``, back to 0 at ``len``. A run latches ``wp`` at start: a FLAG_RING first layer reads the window
from there (the oldest frame) circularly.
Control: ``start`` (pulse), ``desc_base`` (word address of the first descriptor), ``n_layers``
(0 = run to END). Status: ``busy``, ``done``, ``error``, performance counters.
"""
from migen import Array, C, Cat, If, Memory, Module, Mux, Signal

from accel import descriptor as D
from accel.hw.compute import ComputeUnit
from accel.hw.config import DEFAULT, AccelConfig
from accel.hw.counters import ACCESS_COUNTERS, add_access_counters
from accel.hw.bytegen import ByteGen2
from accel.hw.dwlanes import FusedDw, NoFusedDw
from accel.hw.dwwindow import DwWindow
from accel.hw.mac_array import MacArray
from accel.hw.post import POOL_CYCLES, Post
from accel.hw.sequencer import Sequencer
from accel.hw.window import WindowGen

REGION_BITS = D.REGION_BITS
assert D.QUANT_STRIDE == 16 and D.REGIONS == {"desc": 0, "weight": 1, "quant": 2, "act0": 3, "act1": 4,
                                              "ring": 5, "ring_ctl": 6}
COUNTERS = ("cyc_busy", "cyc_mac_gemm", "cyc_mac_dw", "cyc_gen_stall", "cyc_comp_stall", "cyc_gen_active",
            "cyc_dw_lanes") + ACCESS_COUNTERS      # memory accesses: accel/hw/counters.py
# Counters the LiteX wrapper exposes as CSRs: v1's six (cyc_dw_lanes is on the core port / harness only,
# so the SoC's CSR map and docs/memory-map.md stay as they are; adding it there is a one-line change).
CSR_COUNTERS = COUNTERS[:6]


def log2(n):
    return max(1, (n - 1).bit_length())


class AccelCore(Module):
    def __init__(self, cfg: AccelConfig = DEFAULT):
        self.cfg = cfg
        aw, wa, qa, tdw, da = (log2(cfg.act_depth), log2(cfg.w_depth), log2(cfg.q_depth),
                               log2(cfg.tap_depth), log2(cfg.desc_depth))
        Q = cfg.rq_lanes
        rqc = cfg.rq_cycles
        qpg = cfg.q_per_group
        R = cfg.rows
        WW = 2 * R                       # 32-bit bus words per weight word (16 or 32)
        wsh = WW.bit_length() - 1
        # ---- host interface
        self.bus_adr = Signal(REGION_BITS + 3)
        self.bus_dat_w = Signal(32)
        self.bus_we = Signal()
        self.bus_dat_r = Signal(32)
        self.start = Signal()
        self.desc_base = Signal(16)
        self.n_layers = Signal(16)
        self.busy = Signal()
        self.done = Signal()
        self.error = Signal(3)
        self.layers = Signal(16)
        self.counters = {n: Signal(32, name=n) for n in COUNTERS}
        ra = log2(cfg.ring_depth)
        self.fe_we = Signal()
        self.fe_adr = Signal(6)
        self.fe_dat = Signal(8)
        self.fe_frame = Signal()
        self.ring_wp = Signal(ra)

        # ---- memories
        m_desc = Memory(32, cfg.desc_depth, name="desc_mem")
        m_w = Memory(8 * cfg.rows * cfg.cols, cfg.w_depth, name="weight_mem")
        m_q = Memory(96 * Q, cfg.q_depth, name="quant_mem")
        m_a = [Memory(64, cfg.act_depth, name=f"act{i}_mem") for i in range(2)]
        m_t = Memory(72, 2 * cfg.tap_depth, name="tap_mem")
        self.specials += m_desc, m_w, m_q, m_a[0], m_a[1], m_t
        pd_w, pd_r = m_desc.get_port(write_capable=True), m_desc.get_port()
        pw_w, pw_r = m_w.get_port(write_capable=True, we_granularity=32), m_w.get_port()
        pq_w, pq_r = m_q.get_port(write_capable=True, we_granularity=32), m_q.get_port()
        pa = [(m.get_port(write_capable=True, we_granularity=32), m.get_port()) for m in m_a]
        pt_w, pt_r = m_t.get_port(write_capable=True), m_t.get_port()
        self.specials += pd_w, pd_r, pw_w, pw_r, pq_w, pq_r, pt_w, pt_r, *[p for pp in pa for p in pp]
        m_r = Memory(8, cfg.ring_depth, name="ring_mem")
        pr_w, pr_a, pr_b = m_r.get_port(write_capable=True), m_r.get_port(), m_r.get_port()
        self.specials += m_r, pr_w, pr_a, pr_b

        # ---- units
        seq = Sequencer(cfg, da)
        self.submodules.seq = seq
        d = seq.fields
        gen = WindowGen(d, aw=aw, tdw=tdw, wa=wa, qa=qa, rqc=qpg)
        self.submodules.gen = gen
        if cfg.fused_dw:
            fdw = FusedDw(d, aw=aw, tdw=tdw, wa=wa, qa=qa, q_lanes=Q, dw_rq_lanes=cfg.dw_rq_lanes, rows=R)
        else:               # left out (dw_rq_lanes = 0): constant-0 outputs, the sequencer rejects DWPW
            fdw = NoFusedDw(aw=aw, tdw=tdw, wa=wa, qa=qa, q_lanes=Q, rows=R)
        self.submodules.fdw = fdw
        fused = Signal()
        self.comb += fused.eq((d["op"] == D.OP_DWPW) if cfg.fused_dw else 0)
        bg2 = ByteGen2(d, aw=aw, tdw=tdw, wa=wa, qa=qa, ring_aw=ra)
        self.submodules.bg2 = bg2
        dual = Signal()       # byte-mode conv on a 1-channel input: two kernel positions per cycle
        self.comb += dual.eq((d["op"] == D.OP_CONV) & d["flags"][0] & (d["cin"] == 1))

        class _Meta:      # per-half metadata the compute unit reads: window generator or fused DW lanes
            pass
        meta = _Meta()
        for nm, width in (("m_obase", aw), ("m_w", wa), ("m_q", qa), ("m_n", 16)):
            sigs = [Signal(width, name=f"cm_{nm}{h}") for h in range(2)]
            self.comb += [sigs[h].eq(Mux(fused, getattr(fdw, nm)[h], Mux(dual, getattr(bg2, nm)[h], getattr(gen, nm)[h])))
                          for h in range(2)]
            setattr(meta, nm, Array(sigs))
        comp = ComputeUnit(d, meta, aw=aw, tdw=tdw, wa=wa, qa=qa, rqc=rqc, pool_minc=POOL_CYCLES,
                           row_words=cfg.row_words, qpg=qpg)
        self.submodules.comp = comp
        dww = DwWindow(d, aw=aw, wa=wa, qa=qa, rqc=qpg)
        self.submodules.dww = dww
        meta_w = aw + qa + 16 + 1
        mac = MacArray(cfg.rows, cfg.cols, meta_width=meta_w)
        self.submodules.mac = mac
        post = Post(cfg.rows, Q, aw=aw, qaw=qa)
        self.submodules.post = post

        op = d["op"]
        dwin = (op == D.OP_DW) & d["flags"][1]
        is_pool = (op == D.OP_AVGPOOL) | (op == D.OP_MAXPOOL)
        full = Signal(2)
        self.sync += If(seq.unit_start, full.eq(0)).Else(
            full.eq((full | gen.set_full | fdw.set_full | bg2.set_full) & ~comp.clr_full))
        self.comb += [
            seq.start.eq(self.start), seq.desc_base.eq(self.desc_base), seq.n_layers.eq(self.n_layers),
            self.busy.eq(seq.busy), self.done.eq(seq.done), self.error.eq(seq.error),
            self.layers.eq(seq.layers),
            gen.start.eq(seq.unit_start & ~dwin & ~fused & ~dual), comp.start.eq(seq.unit_start & ~dwin),
            dww.start.eq(seq.unit_start & dwin), fdw.start.eq(seq.unit_start & fused),
            bg2.start.eq(seq.unit_start & dual),
            gen.full.eq(full), fdw.full.eq(full), bg2.full.eq(full), comp.full.eq(full),
            comp.gen_done.eq(Mux(fused, fdw.done, Mux(dual, bg2.done, gen.done))),
            seq.unit_done.eq(Mux(dwin, dww.done, comp.done) & ~mac.busy & ~post.busy),
            seq.dr_dat.eq(pd_r.dat_r),
            # tap buffer
            If(fused, pt_w.adr.eq(fdw.tw_adr), pt_w.dat_w.eq(fdw.tw_dat), pt_w.we.eq(fdw.tw_we)
            ).Elif(dual, pt_w.adr.eq(bg2.tw_adr), pt_w.dat_w.eq(bg2.tw_dat), pt_w.we.eq(bg2.tw_we)
            ).Else(pt_w.adr.eq(gen.tw_adr), pt_w.dat_w.eq(gen.tw_dat), pt_w.we.eq(gen.tw_we)),
            pt_r.adr.eq(comp.tr_adr),
            # MAC array
            [mac.taps[c].eq(pt_r.dat_r[9 * c:9 * c + 9]) for c in range(cfg.cols)],
            mac.w.eq(pw_r.dat_r),
            mac.col_mode.eq((op != D.OP_CONV) & ~fused), mac.diag_mode.eq(dwin), mac.col_sel.eq(comp.col_sel),
            mac.ones.eq(is_pool), mac.maxmode.eq(op == D.OP_MAXPOOL),
            [mac.diag[c][r].eq(dww.diag[c][r]) for c in range(8) for r in range(min(R, 8))],
            If(dwin, mac.valid.eq(dww.valid), mac.first.eq(dww.first), mac.last.eq(dww.last),
               mac.meta.eq(Cat(dww.oaddr, dww.qaddr, C(0, 16), C(0, 1)))
            ).Else(mac.valid.eq(comp.valid), mac.first.eq(comp.first), mac.last.eq(comp.last),
               mac.meta.eq(Cat(comp.oaddr, comp.qaddr, comp.n, comp.two))),
            # post
            post.res_valid.eq(mac.res_valid),
            [post.res[r].eq(mac.res[r]) for r in range(cfg.rows)],
            post.res_oaddr.eq(mac.res_meta[:aw]), post.res_qaddr.eq(mac.res_meta[aw:aw + qa]),
            post.res_n.eq(mac.res_meta[aw + qa:aw + qa + 16]), post.res_two.eq(mac.res_meta[aw + qa + 16]),
            post.pool.eq(is_pool), post.avg.eq(op == D.OP_AVGPOOL),
            post.out_zp.eq(d["out_zp"]), post.act_min.eq(d["act_min"]), post.act_max.eq(d["act_max"]),
            post.q_dat.eq(pq_r.dat_r),
        ]

        # ---- host bus / engine port sharing
        region = self.bus_adr[REGION_BITS:]
        sub = self.bus_adr[:REGION_BITS]
        hw = Signal()
        self.comb += hw.eq(self.bus_we & ~seq.busy)
        eng = seq.busy
        # descriptors
        self.comb += [pd_w.adr.eq(sub), pd_w.dat_w.eq(self.bus_dat_w), pd_w.we.eq(hw & (region == 0)),
                      pd_r.adr.eq(Mux(eng, seq.dr_adr, sub))]
        # weights: 2*rows x 32-bit per word
        self.comb += [pw_w.adr.eq(sub[wsh:]), pw_w.dat_w.eq(Cat(*[self.bus_dat_w] * WW)),
                      fdw.wd_dat.eq(pw_r.dat_r), fdw.qd_dat.eq(pq_w.dat_r), comp.wstall.eq(fdw.wreq),
                      pw_w.we.eq(Mux(hw & (region == 1), 1 << sub[:wsh], 0)),
                      pw_r.adr.eq(Mux(eng, Mux(dwin, dww.wr_adr, Mux(fdw.wreq, fdw.wd_adr,
                                                                   Mux(fdw.pf_rd, fdw.pf_adr, comp.wr_adr))),
                                         sub[wsh:])),
                      fdw.port_idle.eq(~comp.want)]
        # quant: 16-word stride, 3*Q words used
        self.comb += [pq_w.adr.eq(Mux(eng, fdw.qd_adr, sub[4:])), pq_w.dat_w.eq(Cat(*[self.bus_dat_w] * (3 * Q))),
                      pq_w.we.eq(Mux(hw & (region == 2) & (sub[:4] < 3 * Q), 1 << sub[:4], 0)),
                      pq_r.adr.eq(Mux(eng, post.q_adr, sub[4:]))]
        # activations
        for i in range(2):
            w_, r_ = pa[i]
            eng_w = eng & (d["dst"] == i)
            eng_r2 = eng & (d["src"] == i) & (d["dst"] != i)
            self.comb += [
                If(eng_w, w_.adr.eq(post.w_adr), w_.dat_w.eq(post.w_dat), w_.we.eq(Mux(post.w_we, 3, 0))
                ).Elif(eng_r2, w_.adr.eq(Mux(fused, fdw.rd_adr2, Mux(dual, bg2.rd_adr2, dww.rd_adr2)))  # 2nd read port
                ).Else(w_.adr.eq(sub[1:]), w_.dat_w.eq(Cat(self.bus_dat_w, self.bus_dat_w)),
                       w_.we.eq(Mux(hw & (region == 3 + i), 1 << sub[0], 0))),
                r_.adr.eq(Mux(eng, Mux(dwin, dww.rd_adr, Mux(fused, fdw.rd_adr, Mux(dual, bg2.rd_adr, gen.rd_adr))),
                              sub[1:])),
            ]
        self.comb += gen.rd_dat.eq(Mux(d["src"], pa[1][1].dat_r, pa[0][1].dat_r))
        ring = d["flags"][2]
        self.comb += [dww.rd_dat.eq(gen.rd_dat), fdw.rd_dat.eq(gen.rd_dat),
                      bg2.rd_dat.eq(Mux(ring, pr_a.dat_r, gen.rd_dat)),
                      fdw.rd_dat2.eq(Mux(d["src"], pa[1][0].dat_r, pa[0][0].dat_r)),
                      bg2.rd_dat2.eq(Mux(ring, pr_b.dat_r, Mux(d["src"], pa[1][0].dat_r, pa[0][0].dat_r))),
                      dww.rd_dat2.eq(Mux(d["src"], pa[1][0].dat_r, pa[0][0].dat_r))]
        # feature ring: host or front-end writes, the byte generator's two reads (host reads on port A)
        r_len, r_step, r_shift = Signal(ra + 1), Signal(7), Signal(ra)
        self.comb += [bg2.ring.eq(ring), bg2.ring_shift.eq(r_shift),
                      pr_a.adr.eq(Mux(eng, bg2.rg_adr, sub)), pr_b.adr.eq(bg2.rg_adr2),
                      If(hw & (region == 5), pr_w.adr.eq(sub), pr_w.dat_w.eq(self.bus_dat_w[:8]), pr_w.we.eq(1)
                      ).Else(pr_w.adr.eq(self.ring_wp + self.fe_adr), pr_w.dat_w.eq(self.fe_dat),
                             pr_w.we.eq(self.fe_we))]
        wp_next = Signal(ra + 2)
        self.comb += wp_next.eq(self.ring_wp + r_step)
        self.sync += [
            If(self.start, r_shift.eq(self.ring_wp)),
            If(hw & (region == 6) & (sub == D.RING_CTL_WP), self.ring_wp.eq(self.bus_dat_w)
            ).Elif(self.fe_frame, self.ring_wp.eq(Mux(wp_next >= r_len, 0, wp_next))),
            If(hw & (region == 6) & (sub == D.RING_CTL_LEN), r_len.eq(self.bus_dat_w)),
            If(hw & (region == 6) & (sub == D.RING_CTL_STEP), r_step.eq(self.bus_dat_w)),
        ]
        # host read data (registered selectors, 1-cycle latency)
        r_region = Signal(3)
        r_sub = Signal(REGION_BITS)
        self.sync += [r_region.eq(region), r_sub.eq(sub)]
        wsel = Array(pw_r.dat_r[32 * i:32 * i + 32] for i in range(WW))
        qsel = Array(pq_r.dat_r[32 * i:32 * i + 32] for i in range(3 * Q))
        self.comb += [
            If(r_region == 0, self.bus_dat_r.eq(pd_r.dat_r)
            ).Elif(r_region == 1, self.bus_dat_r.eq(wsel[r_sub[:wsh]])
            ).Elif(r_region == 2, self.bus_dat_r.eq(Mux(r_sub[:4] < 3 * Q, qsel[r_sub[:4]], 0))
            ).Elif(r_region == 3, self.bus_dat_r.eq(Mux(r_sub[0], pa[0][1].dat_r[32:], pa[0][1].dat_r[:32]))
            ).Elif(r_region == 4, self.bus_dat_r.eq(Mux(r_sub[0], pa[1][1].dat_r[32:], pa[1][1].dat_r[:32]))
            ).Elif(r_region == 5, self.bus_dat_r.eq(pr_a.dat_r)
            ).Elif(r_region == 6, self.bus_dat_r.eq(Mux(r_sub == D.RING_CTL_WP, self.ring_wp,
                                                        Mux(r_sub == D.RING_CTL_LEN, r_len,
                                                            Mux(r_sub == D.RING_CTL_STEP, r_step, 0))))
            ).Else(self.bus_dat_r.eq(0))
        ]

        # ---- performance counters
        c = self.counters
        run = seq.fsm.ongoing("RUN")
        self.sync += [
            If(self.start, *[s.eq(0) for s in c.values()]).Else(
                If(seq.busy, c["cyc_busy"].eq(c["cyc_busy"] + 1)),
                If(mac.valid & ((op == D.OP_CONV) | fused), c["cyc_mac_gemm"].eq(c["cyc_mac_gemm"] + 1)),
                If(mac.valid & (op != D.OP_CONV) & ~fused, c["cyc_mac_dw"].eq(c["cyc_mac_dw"] + 1)),
                If(run & (gen.stall | dww.stall | fdw.stall | bg2.stall), c["cyc_gen_stall"].eq(c["cyc_gen_stall"] + 1)),
                If(run & ~dwin & comp.stall, c["cyc_comp_stall"].eq(c["cyc_comp_stall"] + 1)),
                If(run & (gen.active | dww.active | fdw.active | bg2.active),
                   c["cyc_gen_active"].eq(c["cyc_gen_active"] + 1)),
                If(fdw.issue, c["cyc_dw_lanes"].eq(c["cyc_dw_lanes"] + 1)),
            )
        ]
        add_access_counters(self, c, op=op, gen=gen, bg2=bg2, fdw=fdw, dww=dww, comp=comp, mac=mac, post=post,
                            tap_we=pt_w.we, fused=fused, dwin=dwin, is_pool=is_pool)

"""Sequencer: walks the descriptor list, decodes and checks each descriptor, starts the units and
waits for the layer to drain. The decoder is generated from :data:`accel.descriptor.FIELDS`.

A bad descriptor (unknown op or one this core was built without, zero size, base + size outside a memory, list running off the
descriptor memory) sets ``error`` and stops the core; every loop in the units is bounded by nonzero
descriptor fields, so the core cannot hang.
"""
from migen import Cat, FSM, If, Module, NextState, NextValue, Signal

from accel import descriptor as D


def decode_fields(words):
    """Migen signals for every descriptor field, sliced from the descriptor word registers."""
    out = {}
    for f in D.FIELDS:
        w, lsb = D.LAYOUT[f.name]
        s = Signal((f.bits, f.signed), name=f"d_{f.name}")
        out[f.name] = (s, words[w][lsb:lsb + f.bits])
    return out


class Sequencer(Module):
    def __init__(self, cfg, desc_aw):
        self.start = Signal()
        self.desc_base = Signal(16)
        self.n_layers = Signal(16)
        self.busy = Signal()
        self.done = Signal()
        self.error = Signal(3)
        self.layers = Signal(16)
        # Descriptor memory read port.
        self.dr_adr = Signal(desc_aw)
        self.dr_dat = Signal(32)
        # Units.
        self.unit_start = Signal()
        self.unit_done = Signal()     # compute done and pipelines empty

        words = [Signal(32, name=f"desc_w{i}") for i in range(D.DESC_WORDS)]
        dec = decode_fields(words)
        self.fields = {}
        for name, (sig, sl) in dec.items():
            self.comb += sig.eq(sl)
            self.fields[name] = sig
        f = self.fields
        # The window generator needs the input origin (in_base - pt*line - pl*ig): one more field.
        ptr = Signal(17)
        idx = Signal(6)
        fetch_v = Signal()
        fetch_i = Signal(6)
        self.comb += self.dr_adr.eq(ptr + idx)
        self.sync += [fetch_v.eq(0)]

        fused = f["op"] == D.OP_DWPW
        err_op = f["op"] > D.OP_LAST
        if not cfg.fused_dw:        # built without the fused lanes (dw_rq_lanes = 0): DWPW is not an op here
            err_op = err_op | fused
        uses_w = (f["op"] == D.OP_CONV) | (f["op"] == D.OP_DW) | fused
        qpg_log2 = cfg.q_per_group.bit_length() - 1
        dww_log2 = 1 if cfg.rows == 8 else 0          # DWPW weight words per group: 2 (8 rows) or 1 (16 rows)
        zero = ((f["kh"] == 0) | (f["kw"] == 0) | (f["ih"] == 0) | (f["iw"] == 0) | (f["ig"] == 0)
                | (f["oh"] == 0) | (f["ow"] == 0) | (f["og"] == 0) | (f["sh"] == 0) | (f["sw"] == 0)
                | (f["nk"] == 0) | (f["in_size"] == 0) | (f["out_size"] == 0)
                | ((f["op"] == D.OP_CONV) & f["flags"][0] & (f["cin"] == 0))
                | (uses_w & ((f["w_size"] == 0) | (f["q_size"] == 0))))
        ring = f["flags"][2]       # FLAG_RING: the input is the feature ring (byte-mode CONV on 1 channel only)
        ring_bad = ring & ((f["op"] != D.OP_CONV) | ~f["flags"][0] | (f["cin"] != 1)
                           | (f["in_base"] + f["in_size"] > cfg.ring_depth))
        rng = ((~ring & (f["in_base"] + f["in_size"] > cfg.act_depth)) | ring_bad
               | (f["out_base"] + f["out_size"] > cfg.act_depth)
               | (uses_w & ((f["w_base"] + f["w_size"] > cfg.w_depth) | (f["q_base"] + f["q_size"] > cfg.q_depth)))
               | (f["nk"] > cfg.tap_depth)
               | (fused & ((f["dw_w_base"] + (f["ig"] << dww_log2) > cfg.w_depth)
                           | (f["dw_q_base"] + (f["ig"] << qpg_log2) > cfg.q_depth)
                           | (f["kh"] > 3) | (f["kw"] > 3))))

        fsm = FSM(reset_state="IDLE")
        self.submodules.fsm = fsm
        fsm.act("IDLE",
            If(self.start,
               NextValue(ptr, self.desc_base), NextValue(idx, 0), NextValue(self.layers, 0),
               NextValue(self.done, 0), NextValue(self.error, 0), NextState("FETCH")))
        fsm.act("FETCH",
            self.busy.eq(1),
            If(ptr + D.DESC_WORDS > cfg.desc_depth,
               NextValue(self.error, D.ERR_LIST), NextState("IDLE")
            ).Else(
               NextValue(idx, idx + 1),
               If(idx == D.DESC_WORDS - 1, NextState("WAITW"))))
        fsm.act("WAITW", self.busy.eq(1), NextState("CHECK"))
        self.sync += [fetch_v.eq(fsm.ongoing("FETCH")), fetch_i.eq(idx)]
        for i in range(D.DESC_WORDS):
            self.sync += If(fetch_v & (fetch_i == i), words[i].eq(self.dr_dat))
        fsm.act("CHECK",
            self.busy.eq(1),
            If(f["op"] == D.OP_END, NextValue(self.done, 1), NextState("IDLE")
            ).Elif(err_op, NextValue(self.error, D.ERR_OP), NextState("IDLE")
            ).Elif(zero, NextValue(self.error, D.ERR_ZERO), NextState("IDLE")
            ).Elif(rng, NextValue(self.error, D.ERR_RANGE), NextState("IDLE")
            ).Else(self.unit_start.eq(1), NextState("RUN")))
        fsm.act("RUN",
            self.busy.eq(1),
            If(self.unit_done,
               NextValue(self.layers, self.layers + 1), NextValue(ptr, ptr + D.DESC_WORDS), NextValue(idx, 0),
               If((self.n_layers != 0) & (self.layers + 1 == self.n_layers),
                  NextValue(self.done, 1), NextState("IDLE")
               ).Else(NextState("FETCH"))))

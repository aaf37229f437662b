"""IR -> accelerator program: descriptors, packed weight image, quant image, tensor placement, C header.

Memory images (all little-endian):
* activations: words of 8 bytes, tensor (H, W, C) at ``base + (h*W + w)*G + c//8``, byte ``c % 8``
  (``G = ceil(C/8)``; the padding channels of the last group are don't-care);
* weights: words of rows*cols bytes (64 for 8 rows, 128 for 16), byte ``r*8 + c`` = weight of array row
  r (output channel of the pass / DW lane; DW and pooling use rows 0..7 only) and column c (reduction tap);
* quant: words of ``rq_lanes`` channels, 3 x 32-bit each: bias, Q31 multiplier, shift (signed);
* descriptors: :mod:`accel.descriptor`.

Layers run in order, ping-ponging between activation memories A (0) and B (1); the model input sits
in A at word 0. RESHAPE is free (an alias) when followed by FULLY_CONNECTED or when the layout does
not change; a trailing SOFTMAX is left to the CPU (``Program.cpu_tail``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from accel import descriptor as D
from accel.hw.config import DEFAULT, AccelConfig
from accel.ir import Layer, Model, ModelError

POOL_MINC = 24   # cycles the pool divider needs per result vector (see accel/hw/post.py)


def groups(c: int) -> int:
    return (c + 7) // 8


@dataclass
class TensorLoc:
    buf: int            # 0 = A, 1 = B
    base: int           # activation word address
    shape: tuple        # logical (H, W, C)

    @property
    def words(self) -> int:
        h, w, c = self.shape
        return h * w * groups(c)


@dataclass
class Program:
    config: AccelConfig
    descs: list                     # list of field dicts (one per accelerator layer)
    desc_words: list                # flat list of 32-bit words, END included
    weights: np.ndarray             # uint8 (n, rows*cols)
    quant: np.ndarray               # uint32 (n, 3*rq_lanes)
    input: TensorLoc
    output: TensorLoc
    layer_out: list                 # per IR layer: TensorLoc of its output (None for CPU layers)
    desc_layer: list                # per descriptor: index of its (last) IR layer
    cpu_tail: list = field(default_factory=list)   # IR layers the CPU runs after the accelerator
    model: Model | None = None
    desc_first: list = field(default_factory=list)  # per descriptor: its first IR layer (DWPW: the DW)
    ring: bool = False              # the first layer reads the feature ring (FLAG_RING), not activation A

    def summary(self) -> str:
        c = self.config
        return (f"{len(self.descs)} descriptors, weights {len(self.weights)}/{c.w_depth} words, "
                f"quant {len(self.quant)}/{c.q_depth} words, activations "
                f"{max_act_words(self)}/{c.act_depth} words per buffer")


def max_act_words(p: Program) -> int:
    return max(([] if p.ring else [p.input.words]) + [t.words for t in p.layer_out if t is not None])


def _shape3(shape) -> tuple:
    if len(shape) == 3:
        return tuple(int(s) for s in shape)
    if len(shape) == 1:
        return (1, 1, int(shape[0]))
    raise ModelError(f"accelerator: tensor shape {tuple(shape)} is not HWC or flat")


class _Builder:
    def __init__(self, cfg: AccelConfig):
        self.cfg = cfg
        self.wwords: list[np.ndarray] = []
        self.qwords: list[np.ndarray] = []

    def add_weights(self, words: np.ndarray) -> tuple[int, int]:
        """``words``: (n, k*64) bytes, k <= rows/8; each row is zero-padded to one weight word."""
        wb = self.cfg.w_bytes
        words = np.asarray(words, dtype=np.uint8)
        words = words.reshape(words.shape[0], -1)
        if words.shape[1] < wb:
            words = np.concatenate([words, np.zeros((words.shape[0], wb - words.shape[1]), np.uint8)], axis=1)
        base = len(self.wwords)
        self.wwords.extend(words.reshape(-1, wb))
        return base, len(self.wwords) - base

    def add_quant(self, bias, mult, shift, nch_padded: int) -> tuple[int, int]:
        q = self.cfg.rq_lanes
        b = np.zeros(nch_padded, np.int64)
        m = np.zeros(nch_padded, np.int64)
        s = np.zeros(nch_padded, np.int64)
        n = len(mult)
        b[:n] = 0 if bias is None else np.asarray(bias, np.int64)
        m[:n] = np.asarray(mult, np.int64)
        s[:n] = np.asarray(shift, np.int64)
        lanes = np.stack([b, m, s], axis=1).astype(np.int64) & 0xFFFFFFFF   # (nch, 3)
        words = lanes.reshape(-1, 3 * q).astype(np.uint32)
        base = len(self.qwords)
        self.qwords.extend(words)
        return base, len(words)


def _geometry(layer: Layer, in3, out3):
    kh, kw = (int(layer.kernel[0]), int(layer.kernel[1]))
    sh, sw = (int(layer.stride[0]), int(layer.stride[1]))
    pt, pl = int(layer.pad[0]), int(layer.pad[1])
    return dict(kh=kh, kw=kw, sh=sh, sw=sw, pt=pt, pl=pl, ih=in3[0], iw=in3[1], ig=groups(in3[2]),
                oh=out3[0], ow=out3[1], og=groups(out3[2]), cin=in3[2],
                line=in3[1] * groups(in3[2]), row_step=sh * in3[1] * groups(in3[2]),
                col_step=sw * groups(in3[2]),
                org=-(pt * in3[1] * groups(in3[2]) + pl * groups(in3[2])))


def _conv_desc(b: _Builder, layer: Layer, w_ohwi: np.ndarray, geo: dict, in_zp: int, out_zp: int):
    cfg = b.cfg
    cout, kh, kw, cin = w_ohwi.shape
    g = groups(cin)
    og = groups(cout)
    R = cfg.rows
    npass = -(-og * 8 // R)         # output-channel passes of `rows` channels
    kk = kh * kw
    # Pick the window generator's packing: bytes (dense taps, good for small Cin) or words.
    byte_nk = (kk * cin + 7) // 8
    word_nk = kk * g
    minc = cfg.rq_cycles
    fill = -(-kk // 2) if cin == 1 else kk * cin      # cin == 1: two kernel positions per cycle
    byte_t = max(fill, npass * max(byte_nk, minc))
    word_t = max(kk * g, npass * max(word_nk, minc))
    byte_mode = byte_t < word_t
    nk = byte_nk if byte_mode else word_nk
    if nk > cfg.tap_depth:
        raise ModelError(f"layer {layer.index} ({layer.op}): reduction of {nk} tap words exceeds the core's "
                         f"tap buffer of {cfg.tap_depth} words; use a larger tap_depth")
    wmat = np.zeros((npass * R, nk * 8), np.int16)
    w = w_ohwi.astype(np.int16)
    if byte_mode:
        wmat[:cout, :kk * cin] = w.reshape(cout, kk * cin)
    else:
        wp = np.zeros((cout, kh, kw, g * 8), np.int16)
        wp[..., :cin] = w
        wmat[:cout, :] = wp.reshape(cout, kk * g * 8)
    # word (pass, k): byte r*8+c = wmat[pass*rows + r, k*8 + c]
    words = wmat.reshape(npass, R, nk, 8).transpose(0, 2, 1, 3).reshape(npass * nk, R * 8)
    w_base, w_size = b.add_weights(words.astype(np.int8).view(np.uint8))
    q_base, q_size = b.add_quant(layer.bias, layer.multiplier, layer.shift, npass * R)
    return dict(geo, op=D.OP_CONV, flags=D.FLAG_BYTE_MODE if byte_mode else 0, nk=nk,
                in_zp=in_zp, out_zp=out_zp, pad_val=0, act_min=layer.act_min, act_max=layer.act_max,
                w_base=w_base, w_size=w_size, q_base=q_base, q_size=q_size)


def _dw_desc(b: _Builder, layer: Layer, geo: dict, in_zp: int, out_zp: int, window: bool):
    kh, kw, c = layer.weights.shape
    if layer.input.shape[2] != c:
        raise ModelError(f"layer {layer.index} (DEPTHWISE_CONV_2D): depth multiplier != 1 is not supported")
    g = groups(c)
    t = kh * kw
    if window:
        # 9 window positions p = 3*y + x; the kernel sits in rows 0..kh-1, columns 3-kw..2.
        wt = np.zeros((16, g * 8), np.int16)
        for ky in range(kh):
            for kx in range(kw):
                wt[3 * ky + 3 - kw + kx, :c] = layer.weights[ky, kx]
        tw = 2
    else:
        tw = (t + 7) // 8
        wt = np.zeros((tw * 8, g * 8), np.int16)
        wt[:t, :c] = layer.weights.reshape(t, c)
    # word (grp, j): byte r*8 + col = weight of tap (or window position) j*8+col, channel grp*8+r
    words = wt.reshape(tw, 8, g, 8).transpose(2, 0, 3, 1).reshape(g * tw, 64)
    w_base, w_size = b.add_weights(words.astype(np.int8).view(np.uint8))
    q_base, q_size = b.add_quant(layer.bias, layer.multiplier, layer.shift, g * 8)
    flags = D.FLAG_DW_WINDOW if window else 0
    return dict(geo, op=D.OP_DW, flags=flags, nk=t, in_zp=in_zp, out_zp=out_zp, pad_val=0,
                act_min=layer.act_min, act_max=layer.act_max,
                w_base=w_base, w_size=w_size, q_base=q_base, q_size=q_size)


def _dwpw_desc(b: _Builder, dw: Layer, pw: Layer, geo: dict):
    """Fused DW (own lanes) + PW (array) descriptor: ``geo`` is the DW geometry, ``og`` the PW's."""
    kh, kw, c = dw.weights.shape
    g = groups(c)
    # DW weights: 64-byte sub-word (grp, p // 8), byte r*8 + p % 8 = weight of channel grp*8 + r at
    # position p = ky*kw + kx; 8 rows: one sub-word per weight word, 16 rows: both in one word.
    R = b.cfg.rows
    wt = np.zeros((16, g * 8), np.int16)
    wt[:kh * kw, :c] = dw.weights.reshape(kh * kw, c)
    words = wt.reshape(2, 8, g, 8).transpose(2, 0, 3, 1).reshape(g * 2, 64)
    if R == 16:
        words = words.reshape(g, 128)
    dw_w_base, _ = b.add_weights(words.astype(np.int8).view(np.uint8))
    dw_q_base, _ = b.add_quant(dw.bias, dw.multiplier, dw.shift, g * 8)
    cout = pw.weights.shape[0]
    og = groups(cout)
    npass = -(-og * 8 // R)
    wmat = np.zeros((npass * R, g * 8), np.int16)
    wmat[:cout, :c] = pw.weights.reshape(cout, c)
    pwords = wmat.reshape(npass, R, g, 8).transpose(0, 2, 1, 3).reshape(npass * g, R * 8)
    w_base, w_size = b.add_weights(pwords.astype(np.int8).view(np.uint8))
    q_base, q_size = b.add_quant(pw.bias, pw.multiplier, pw.shift, npass * R)
    return dict(geo, op=D.OP_DWPW, flags=0, nk=g, og=og, in_zp=int(dw.input.zero_point),
                out_zp=int(pw.output.zero_point), pad_val=0, act_min=pw.act_min, act_max=pw.act_max,
                w_base=w_base, w_size=w_size, q_base=q_base, q_size=q_size, dw_w_base=dw_w_base,
                dw_q_base=dw_q_base, mid_zp=int(dw.output.zero_point), dw_act_min=dw.act_min,
                dw_act_max=dw.act_max)


def fusable(layers: list, i: int, cfg: AccelConfig) -> bool:
    """DW layer i fuses with layer i+1 when that is a 1x1 stride-1 unpadded CONV_2D reading the DW
    output (the IR is a chain: layer i+1 is the only consumer) and the DW fits the fused lanes -- on a
    core that has them (``cfg.fused_dw``)."""
    if i + 1 >= len(layers) or not cfg.fused_dw:
        return False
    dw, pw = layers[i], layers[i + 1]
    if dw.op != "DEPTHWISE_CONV_2D" or pw.op != "CONV_2D":
        return False
    kh, kw, c = dw.weights.shape
    return (kh <= 3 and kw <= 3 and dw.input.shape[2] == c and tuple(pw.weights.shape[1:3]) == (1, 1)
            and tuple(pw.stride) == (1, 1) and tuple(pw.pad) == (0, 0, 0, 0)
            and tuple(pw.input.shape) == tuple(dw.output.shape)
            and int(pw.input.zero_point) == int(dw.output.zero_point) and groups(c) <= cfg.tap_depth)


def dw_window_ok(geo: dict) -> bool:
    """The sliding-window DW path handles kernels up to 3x3 with any stride/padding."""
    return geo["kh"] <= 3 and geo["kw"] <= 3


def compile_model(model: Model, config: AccelConfig = DEFAULT, dw_window: bool = True, fuse: bool = True,
                  ring: bool = False) -> Program:
    """``fuse``: run DEPTHWISE_CONV_2D + the pointwise CONV_2D that consumes it as one DWPW descriptor
    (the intermediate tensor never reaches SRAM: its ``layer_out`` entry is None).
    ``ring``: zero-copy input: the first layer (a byte-mode CONV on a 1-channel input, as in every KWS
    model) reads its (H, W) window from the feature ring in place (FLAG_RING), H frames of W features,
    the oldest at the ring's write pointer; nothing is copied into activation memory."""
    cfg = config
    b = _Builder(cfg)
    descs, desc_layer, desc_first, layer_out, cpu_tail = [], [], [], [], []
    cur = TensorLoc(0, 0, _shape3(model.input.shape))
    inp = cur
    layers = list(model.layers)
    fused_next = False
    for i, layer in enumerate(layers):
        op = layer.op
        if fused_next:          # the PW half of a DWPW descriptor emitted at layer i - 1
            fused_next = False
            layer_out.append(out)
            desc_layer[-1] = i
            cur = out
            continue
        if cpu_tail or op == "SOFTMAX":
            if op != "SOFTMAX" and not cpu_tail:
                pass
            if any(l.op != "SOFTMAX" for l in layers[i:]):
                raise ModelError(f"layer {layer.index} ({op}): only a trailing SOFTMAX can run on the CPU")
            cpu_tail.append(layer)
            layer_out.append(None)
            continue
        if op == "RESHAPE":
            out3 = _shape3(layer.output.shape)
            nxt = layers[i + 1].op if i + 1 < len(layers) else None
            same_layout = out3 == cur.shape or (out3[0] * out3[1] == 1 and cur.shape[0] * cur.shape[1] == 1
                                                 and out3[2] == cur.shape[2])
            if not same_layout and nxt != "FULLY_CONNECTED":
                raise ModelError(f"layer {layer.index} (RESHAPE {cur.shape}->{out3}): only a flatten before "
                                 f"FULLY_CONNECTED or a layout-preserving reshape is supported")
            # Alias: keep the HWC shape so a following FC folds the flatten into its kernel.
            cur = TensorLoc(cur.buf, cur.base, cur.shape if not same_layout else out3)
            layer_out.append(cur)
            continue
        in3 = cur.shape
        in_zp = int(layer.input.zero_point)
        out_zp = int(layer.output.zero_point)
        if op == "FULLY_CONNECTED":
            cout, n = layer.weights.shape
            if n != in3[0] * in3[1] * in3[2]:
                raise ModelError(f"layer {layer.index} (FULLY_CONNECTED): {n} inputs but the input tensor is {in3}")
            out3 = (1, 1, cout)
            w4 = layer.weights.reshape(cout, in3[0], in3[1], in3[2])
            geo = _geometry(layer, in3, out3)
            geo.update(kh=in3[0], kw=in3[1], sh=1, sw=1, pt=0, pl=0)
            geo.update(row_step=geo["line"], col_step=geo["ig"])
            d = _conv_desc(b, layer, w4, geo, in_zp, out_zp)
        elif op == "CONV_2D":
            out3 = _shape3(layer.output.shape)
            d = _conv_desc(b, layer, layer.weights, _geometry(layer, in3, out3), in_zp, out_zp)
        elif op == "DEPTHWISE_CONV_2D" and fuse and fusable(layers, i, cfg):
            geo = _geometry(layer, in3, _shape3(layer.output.shape))
            d = _dwpw_desc(b, layer, layers[i + 1], geo)
            out3 = _shape3(layers[i + 1].output.shape)
            fused_next = True
        elif op == "DEPTHWISE_CONV_2D":
            out3 = _shape3(layer.output.shape)
            geo = _geometry(layer, in3, out3)
            d = _dw_desc(b, layer, geo, in_zp, out_zp, dw_window and dw_window_ok(geo))
        elif op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            out3 = _shape3(layer.output.shape)
            if out3[2] != in3[2]:
                raise ModelError(f"layer {layer.index} ({op}): channel count changes {in3} -> {out3}")
            if layer.kernel[0] * layer.kernel[1] > cfg.tap_depth:
                raise ModelError(f"layer {layer.index} ({op}): pool window {layer.kernel} exceeds the tap buffer "
                                 f"({cfg.tap_depth} taps)")
            geo = _geometry(layer, in3, out3)
            avg = op == "AVERAGE_POOL_2D"
            if avg and (layer.input.zero_point != layer.output.zero_point
                        or not np.isclose(layer.input.scale, layer.output.scale)):
                raise ModelError(f"layer {layer.index} (AVERAGE_POOL_2D): input/output quantization differ")
            d = dict(geo, op=D.OP_AVGPOOL if avg else D.OP_MAXPOOL, flags=0, nk=geo["kh"] * geo["kw"],
                     in_zp=0, out_zp=0, pad_val=0 if avg else -128, act_min=layer.act_min,
                     act_max=layer.act_max, w_base=0, w_size=0, q_base=0, q_size=0)
        else:
            raise ModelError(f"layer {layer.index}: op {op} is not supported by the accelerator")
        out = TensorLoc(1 - cur.buf, 0, out3)
        d["org"] += cur.base
        d.update(src=cur.buf, dst=out.buf, in_base=cur.base, in_size=cur.words, out_base=out.base,
                 out_size=out.words)
        descs.append(d)
        desc_layer.append(i)
        desc_first.append(i)
        layer_out.append(None if fused_next else out)
        cur = out
    if not descs:
        raise ModelError("model has no layer the accelerator can run")
    if ring:
        d0, (ih, iw, ic) = descs[0], inp.shape
        if not (d0["op"] == D.OP_CONV and d0["flags"] & D.FLAG_BYTE_MODE and d0["cin"] == 1 and ic == 1):
            raise ModelError(f"ring input needs a first layer that is a byte-mode CONV on a 1-channel input "
                             f"(input {inp.shape}, first op {D.OP_NAMES[d0['op']]})")
        if ih * iw > cfg.ring_depth:
            raise ModelError(f"ring input: {ih}x{iw} = {ih * iw} features > the ring's {cfg.ring_depth} bytes")
        d0.update(flags=d0["flags"] | D.FLAG_RING, src=0, in_base=0, in_size=ih * iw, line=iw, col_step=d0["sw"],
                  row_step=d0["sh"] * iw, org=-(d0["pt"] * iw + d0["pl"]))
    weights = np.array(b.wwords, np.uint8).reshape(-1, cfg.w_bytes)
    quant = np.array(b.qwords, np.uint32).reshape(-1, 3 * cfg.rq_lanes)
    prog = Program(cfg, descs, [], weights, quant, inp, cur, layer_out, desc_layer, cpu_tail, model, desc_first,
                   ring=ring)
    _check_fit(prog)
    words = []
    for d in descs:
        words.extend(D.pack(d))
    words.extend(D.pack({"op": D.OP_END}))
    prog.desc_words = words
    if len(words) > cfg.desc_depth:
        raise ModelError(f"model needs {len(words)} descriptor words ({len(descs)} layers) but the core has "
                         f"{cfg.desc_depth}")
    return prog


def _check_fit(p: Program):
    c = p.config
    need = []
    act = max_act_words(p)
    if act > c.act_depth:
        need.append(f"{act} activation words ({act * 8} B) per buffer > {c.act_depth} ({c.act_depth * 8} B)")
    if len(p.weights) > c.w_depth:
        need.append(f"{len(p.weights)} weight words ({len(p.weights) * c.w_bytes} B) > {c.w_depth} "
                    f"({c.w_depth * c.w_bytes} B)")
    if len(p.quant) > c.q_depth:
        need.append(f"{len(p.quant)} quant words ({len(p.quant) * c.rq_lanes} channels) > {c.q_depth} "
                    f"({c.q_depth * c.rq_lanes} channels)")
    if need:
        raise ModelError("model does not fit the accelerator SRAM: " + "; ".join(need)
                         + f" (core {c.key()}; use a larger AccelConfig)")


def fits(model: Model, config: AccelConfig) -> bool:
    try:
        compile_model(model, config)
        return True
    except ModelError:
        return False


# ---------------------------------------------------------------------------------------------------
# Host-side helpers: memory images as 32-bit bus writes, tensor packing.

REGION_BITS = D.REGION_BITS     # each memory window spans 2**16 32-bit words of the core's bus
REGION = D.REGIONS


def bus_addr(region: str, word32: int) -> int:
    """32-bit word address on the core's host bus (byte address = 4x this)."""
    return (REGION[region] << REGION_BITS) | word32


def pack_tensor(x_hwc: np.ndarray) -> np.ndarray:
    """int8 (H, W, C) -> uint32 words of the activation layout (2 per 8-byte word)."""
    x = np.asarray(x_hwc, np.int8)
    h, w, c = x.shape
    g = groups(c)
    buf = np.zeros((h, w, g * 8), np.int8)
    buf[..., :c] = x
    return buf.reshape(-1).view(np.uint32).copy()


def unpack_tensor(words32: np.ndarray, shape3: tuple) -> np.ndarray:
    h, w, c = shape3
    g = groups(c)
    b = np.asarray(words32, np.uint32).view(np.int8).reshape(h, w, g * 8)
    return b[..., :c].copy()


def image_writes(p: Program) -> list[tuple[int, int]]:
    """(bus word address, value) pairs that load descriptors, weights and quant params."""
    out = [(bus_addr("desc", i), int(v)) for i, v in enumerate(p.desc_words)]
    w32 = p.weights.reshape(-1).view(np.uint32) if len(p.weights) else np.zeros(0, np.uint32)
    out += [(bus_addr("weight", i), int(v)) for i, v in enumerate(w32)]
    for i, word in enumerate(p.quant):      # quant words sit at a 16-word stride on the bus
        out += [(bus_addr("quant", D.QUANT_STRIDE * i + j), int(v)) for j, v in enumerate(word)]
    return out


def ring_writes(x_hw: np.ndarray, wp: int) -> list[tuple[int, int]]:
    """Bus writes that put window ``x_hw`` (H frames x W features, oldest first) into the feature ring
    the way the front-end would have left it with write pointer ``wp`` (the oldest frame's byte address,
    a multiple of W), and set the ring registers (wp, len, step)."""
    x = np.asarray(x_hw, np.int8)
    h, w = x.shape[:2]
    n = h * w
    flat = x.reshape(n).view(np.uint8)
    out = [(bus_addr("ring_ctl", D.RING_CTL_LEN), n), (bus_addr("ring_ctl", D.RING_CTL_STEP), w),
           (bus_addr("ring_ctl", D.RING_CTL_WP), wp % n)]
    out += [(bus_addr("ring", (wp + i) % n), int(flat[i])) for i in range(n)]
    return out


def c_header(p: Program, name: str = "accel_model") -> str:
    """C header with the program image for the firmware driver."""
    def arr(ctype, n, vals):
        body = ",".join(f"0x{int(v):08x}" for v in vals)
        return f"static const {ctype} {n}[{len(vals)}] = {{{body}}};"
    w32 = p.weights.reshape(-1).view(np.uint32) if len(p.weights) else np.zeros(0, np.uint32)
    h = [f"/* Generated by accel/compiler.py -- {p.summary()} */", f"#ifndef {name.upper()}_H",
         f"#define {name.upper()}_H", "#include <stdint.h>", '#include "accel_desc.h"', "",
         f"#define {name.upper()}_N_LAYERS {len(p.descs)}",
         f"#define {name.upper()}_IN_BUF {p.input.buf}", f"#define {name.upper()}_IN_BASE {p.input.base}",
         f"#define {name.upper()}_IN_H {p.input.shape[0]}", f"#define {name.upper()}_IN_W {p.input.shape[1]}",
         f"#define {name.upper()}_IN_C {p.input.shape[2]}",
         f"#define {name.upper()}_OUT_BUF {p.output.buf}", f"#define {name.upper()}_OUT_BASE {p.output.base}",
         f"#define {name.upper()}_OUT_C {p.output.shape[2]}",
         f"#define {name.upper()}_OUT_WORDS {p.output.words}",
         f"#define {name.upper()}_RING {int(p.ring)}  /* 1: the first layer reads the feature ring (FLAG_RING) */", "",
         arr("uint32_t", f"{name}_desc", list(p.desc_words)),
         arr("uint32_t", f"{name}_weights", list(w32)),
         f"/* quant words of {name.upper()}_QUANT_WORD_LEN 32-bit words each (3 per requant lane), packed: the"
         f" driver spreads them to the bus stride (ACCEL_QUANT_STRIDE_WORDS) */",
         f"#define {name.upper()}_QUANT_WORD_LEN {p.quant.shape[1]}",
         arr("uint32_t", f"{name}_quant", list(p.quant.reshape(-1))), "", "#endif", ""]
    return "\n".join(h)


def write_c_header(p: Program, path, name: str = "accel_model"):
    Path(path).write_text(c_header(p, name))

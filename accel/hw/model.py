"""Behavioural model of the core: executes descriptors on memory images exactly as the RTL computes
(same layouts, same reduction order, same rounding). Used to tell compiler bugs from RTL bugs and
as a fast functional stand-in in tests; the RTL is checked against the golden model, not this.
"""
from __future__ import annotations

import numpy as np

from accel import descriptor as D
from accel.quant import requantize, wrap_int32


def _quant(qimg: np.ndarray, base: int, nch: int, lanes: int):
    q = qimg[base:base + (nch + lanes - 1) // lanes].reshape(-1, 3).astype(np.int64)
    q = np.where(q >= 1 << 31, q - (1 << 32), q)
    return q[:nch, 0], q[:nch, 1], q[:nch, 2]


def _avg_round(acc, n):
    half = n // 2
    num = np.where(acc > 0, acc + half, acc - half)
    return np.sign(num) * (np.abs(num) // n)


def run_desc(d: dict, mem: list, weights: np.ndarray, quant: np.ndarray, lanes: int = 4):
    """Run one descriptor. ``mem`` = [actA, actB] as int8 arrays (words, 8)."""
    src, dst = mem[d["src"]], mem[d["dst"]]
    kh, kw, sh, sw, pt, pl = d["kh"], d["kw"], d["sh"], d["sw"], d["pt"], d["pl"]
    ih_, iw_, ig, oh_, ow_, og = d["ih"], d["iw"], d["ig"], d["oh"], d["ow"], d["og"]
    x = src[d["in_base"]:d["in_base"] + ih_ * iw_ * ig].reshape(ih_, iw_, ig * 8).astype(np.int64)
    op = d["op"]
    R = weights.shape[1] // 8 if len(weights) else 8     # array rows (weight word = rows*8 bytes)
    npass = -(-og * 8 // R)
    out = np.zeros((oh_, ow_, og * 8), np.int64)
    mid = np.zeros((oh_, ow_, ig * 8), np.int64)
    # padded input with per-op pad value (after zero point subtraction)
    xp = np.full((ih_ + pt + kh + oh_ * sh, iw_ + pl + kw + ow_ * sw, ig * 8), d["pad_val"], np.int64)
    valid = np.zeros(xp.shape[:2], bool)
    xp[pt:pt + ih_, pl:pl + iw_] = x - d["in_zp"]
    valid[pt:pt + ih_, pl:pl + iw_] = True
    for oy in range(oh_):
        for ox in range(ow_):
            win = xp[oy * sh:oy * sh + kh, ox * sw:ox * sw + kw]          # (kh, kw, ig*8)
            vwin = valid[oy * sh:oy * sh + kh, ox * sw:ox * sw + kw]
            if op == D.OP_CONV:
                nk = d["nk"]
                if d["flags"] & D.FLAG_BYTE_MODE:
                    taps = win[..., :d["cin"]].reshape(-1)
                else:
                    taps = win.reshape(-1)
                t = np.zeros(nk * 8, np.int64)
                t[:len(taps)] = taps
                w = weights[d["w_base"]:d["w_base"] + npass * nk].view(np.int8).astype(np.int64)
                wmat = w.reshape(npass, nk, R, 8).transpose(0, 2, 1, 3).reshape(npass * R, nk * 8)
                out[oy, ox] = wrap_int32(wmat @ t)[:og * 8]
            elif op == D.OP_DW:
                taps = win.reshape(kh * kw, ig * 8)
                tw = 2 if d["flags"] & D.FLAG_DW_WINDOW else (kh * kw + 7) // 8
                w = weights[d["w_base"]:d["w_base"] + ig * tw, :64].view(np.int8).astype(np.int64)
                wt = w.reshape(ig, tw, 8, 8).transpose(1, 3, 0, 2).reshape(tw * 8, ig * 8)
                if d["flags"] & D.FLAG_DW_WINDOW:
                    wt = wt[[3 * y + 3 - kw + x for y in range(kh) for x in range(kw)]]
                else:
                    wt = wt[:kh * kw]
                out[oy, ox] = (taps * wt).sum(0)
            elif op == D.OP_DWPW:
                taps = win.reshape(kh * kw, ig * 8)
                nw = ig * 2 if R == 8 else ig
                w = weights[d["dw_w_base"]:d["dw_w_base"] + nw].view(np.int8).astype(np.int64)
                wt = w.reshape(ig, 2, 8, 8).transpose(1, 3, 0, 2).reshape(16, ig * 8)[:kh * kw]
                mid[oy, ox] = wrap_int32((taps * wt).sum(0))
            elif op == D.OP_AVGPOOL:
                n = int(vwin.sum())
                out[oy, ox] = _avg_round(win.reshape(-1, ig * 8).sum(0), n)
            elif op == D.OP_MAXPOOL:
                out[oy, ox] = win.reshape(-1, ig * 8).max(0)
            else:
                raise ValueError(f"op {op}")
    if op == D.OP_DWPW:
        b, m, s = _quant(quant, d["dw_q_base"], ig * 8, lanes)
        ym = requantize(wrap_int32(mid + b), m, s, d["mid_zp"], d["dw_act_min"], d["dw_act_max"])
        t = ym.astype(np.int64).reshape(oh_ * ow_, ig * 8) - d["mid_zp"]
        nk = d["nk"]
        w = weights[d["w_base"]:d["w_base"] + npass * nk].view(np.int8).astype(np.int64)
        wmat = w.reshape(npass, nk, R, 8).transpose(0, 2, 1, 3).reshape(npass * R, nk * 8)[:og * 8]
        out = wrap_int32(t @ wmat.T).reshape(oh_, ow_, og * 8)
    if op in (D.OP_CONV, D.OP_DW, D.OP_DWPW):
        b, m, s = _quant(quant, d["q_base"], og * 8, lanes)
        acc = wrap_int32(out + b)
        y = requantize(acc, m, s, d["out_zp"], d["act_min"], d["act_max"])
    else:
        y = np.clip(out, d["act_min"], d["act_max"]).astype(np.int8)
    dst[d["out_base"]:d["out_base"] + oh_ * ow_ * og] = y.reshape(-1, 8)


def run_program(prog, x_hwc: np.ndarray, return_all: bool = False):
    from accel.compiler import groups
    cfg = prog.config
    mem = [np.zeros((cfg.act_depth, 8), np.int8), np.zeros((cfg.act_depth, 8), np.int8)]
    h, w, c = prog.input.shape
    xx = np.zeros((h, w, groups(c) * 8), np.int8)
    xx[..., :c] = np.asarray(x_hwc, np.int8).reshape(h, w, c)
    mem[prog.input.buf][prog.input.base:prog.input.base + prog.input.words] = xx.reshape(-1, 8)
    outs = []
    for d in prog.descs:
        run_desc(d, mem, prog.weights, prog.quant, cfg.rq_lanes)
        oh, ow, og = d["oh"], d["ow"], d["og"]
        outs.append(mem[d["dst"]][d["out_base"]:d["out_base"] + oh * ow * og].copy())
    oh, ow, oc = prog.output.shape
    y = mem[prog.output.buf][prog.output.base:prog.output.base + prog.output.words].reshape(oh, ow, -1)[..., :oc]
    return (y, outs) if return_all else y

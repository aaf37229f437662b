"""Random single-layer IR models for the RTL-vs-golden tests and the benchmark (seeded, replayable)."""
from __future__ import annotations

import numpy as np

from accel.ir import Layer, Model, QTensor, out_size, same_padding
from accel.quant import conv_multiplier, fc_multiplier, quantize_multiplier

KINDS = ("conv", "pw", "dw", "avgpool", "maxpool", "fc")


def _qt(shape, rng, zp=None):
    if zp is None:
        zp = int(rng.integers(-128, 128))
    return QTensor(tuple(shape), float(rng.uniform(0.005, 0.1)), zp)


def _mults(rng, n, extreme):
    """Per-channel (multiplier, shift) pairs, sometimes at the extremes of TFLM's range."""
    m, s = [], []
    for _ in range(n):
        r = rng.random()
        if extreme and r < 0.15:
            real = float(rng.uniform(1.0, 40.0))           # left shifts
        elif extreme and r < 0.3:
            real = float(10 ** rng.uniform(-9, -6))         # tiny: big right shifts
        elif extreme and r < 0.4:
            real = float(np.nextafter(1.0, 0) * 2.0 ** rng.integers(-20, 2))  # multiplier ~ 2**31 - 1
        else:
            real = float(10 ** rng.uniform(-4.5, -1))
        mm, ss = quantize_multiplier(real)
        m.append(mm)
        s.append(ss)
    return np.array(m, np.int32), np.array(s, np.int32)


def _geom(rng, h, w, kh, kw, sh, sw, padding):
    if padding == "SAME":
        pt, pb = same_padding(h, kh, sh)
        pl, pr = same_padding(w, kw, sw)
    else:
        pt = pb = pl = pr = 0
    return (out_size(h, kh, sh, padding), out_size(w, kw, sw, padding)), (pt, pl, pb, pr)


def random_layer_model(seed: int, kind: str | None = None, max_hw: int = 12, config=None,
                       channels: int | None = None) -> Model:
    """A random one-layer model that fits ``config`` (default core); redraws (seed, attempt) until it does.
    ``channels`` forces the input channel count (e.g. 1: first-layer convs on the dual-read generator)."""
    from accel.compiler import compile_model
    from accel.hw.config import DEFAULT
    from accel.ir import ModelError
    for attempt in range(100):
        m = _random_layer_model(seed * 100 + attempt if attempt else seed, kind, max_hw, channels)
        try:
            compile_model(m, config or DEFAULT)
            return m
        except ModelError:
            continue
    raise RuntimeError(f"no fitting layer for seed {seed}")


def _random_layer_model(seed: int, kind: str | None, max_hw: int, channels: int | None = None) -> Model:
    rng = np.random.default_rng(seed)
    kind = kind or KINDS[int(rng.integers(len(KINDS)))]
    extreme = bool(rng.random() < 0.5)
    h, w = int(rng.integers(1, max_hw + 1)), int(rng.integers(1, max_hw + 1))
    c = int(rng.choice([1, 2, 3, 5, 8, 12, 16, 20, 24, 33]))
    if channels is not None:
        c = channels
    act = [(-128, 127), (int(rng.integers(-128, 0)), 127), (-128, int(rng.integers(0, 127)))][int(rng.integers(3))]
    if kind in ("conv", "pw", "dw", "avgpool", "maxpool"):
        if kind == "pw":
            kh = kw = 1
        else:
            kmax_h, kmax_w = (min(h, 5), min(w, 5)) if kind != "conv" else (min(h, 10), min(w, 5))
            kh, kw = int(rng.integers(1, kmax_h + 1)), int(rng.integers(1, kmax_w + 1))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        padding = "SAME" if rng.random() < 0.6 else "VALID"
        if kind in ("avgpool", "maxpool") and padding == "VALID" and (kh > h or kw > w):
            padding = "SAME"
        (oh, ow), pad = _geom(rng, h, w, kh, kw, sh, sw, padding)
        if oh <= 0 or ow <= 0:
            padding = "SAME"
            (oh, ow), pad = _geom(rng, h, w, kh, kw, sh, sw, padding)
        inp = _qt((h, w, c), rng)
        if kind in ("avgpool", "maxpool"):
            out = QTensor((oh, ow, c), inp.scale, inp.zero_point)
            layer = Layer(0, "AVERAGE_POOL_2D" if kind == "avgpool" else "MAX_POOL_2D", inp, out,
                          kernel=(kh, kw), stride=(sh, sw), padding=padding, pad=pad,
                          act_min=act[0], act_max=act[1])
            return Model([layer], inp, out, source=f"random seed={seed} {kind}")
        if kind == "dw":
            cout = c
            wts = rng.integers(-127, 128, (kh, kw, c)).astype(np.int8)
            op = "DEPTHWISE_CONV_2D"
        else:
            cout = int(rng.choice([1, 3, 8, 12, 16, 24, 40]))
            wts = rng.integers(-127, 128, (cout, kh, kw, c)).astype(np.int8)
            op = "CONV_2D"
        out = _qt((oh, ow, cout), rng)
        mult, shift = _mults(rng, cout, extreme)
        bias = rng.integers(-(1 << 16), 1 << 16, cout).astype(np.int32)
        if extreme and rng.random() < 0.3:
            bias = rng.integers(-(1 << 30), 1 << 30, cout).astype(np.int32)
        layer = Layer(0, op, inp, out, kernel=(kh, kw), stride=(sh, sw), padding=padding, pad=pad,
                      weights=wts, bias=bias, weight_scale=np.ones(cout, np.float32), per_channel=True,
                      multiplier=mult, shift=shift, act_min=act[0], act_max=act[1])
        return Model([layer], inp, out, source=f"random seed={seed} {kind}")
    # fully connected on a flat input
    n = int(rng.integers(1, 200))
    cout = int(rng.integers(1, 40))
    inp = _qt((n,), rng)
    out = _qt((cout,), rng)
    m, s = _mults(rng, 1, extreme)
    layer = Layer(0, "FULLY_CONNECTED", inp, out, weights=rng.integers(-127, 128, (cout, n)).astype(np.int8),
                  bias=rng.integers(-(1 << 16), 1 << 16, cout).astype(np.int32),
                  weight_scale=np.ones(1, np.float32), multiplier=np.repeat(m, cout).astype(np.int32),
                  shift=np.repeat(s, cout).astype(np.int32), act_min=act[0], act_max=act[1])
    return Model([layer], inp, out, source=f"random seed={seed} fc")


def random_input(model: Model, seed: int) -> np.ndarray:
    return np.random.default_rng(seed + 1).integers(-128, 128, model.input.shape).astype(np.int8)


def random_dwpw_model(seed: int, max_hw: int = 12, config=None) -> Model:
    """A random depthwise (kernel <= 3x3, stride 1/2, SAME/VALID) + pointwise pair the compiler fuses
    into one DWPW descriptor (fits ``config``; redraws until it does; on a core without the fused lanes
    the compiler runs the same pair as two descriptors)."""
    from dataclasses import replace

    from accel.compiler import compile_model, fusable
    from accel.hw.config import DEFAULT
    from accel.ir import ModelError
    cfg = config or DEFAULT
    # a core without the fused lanes (dw_rq_lanes = 0) gets the same pairs, run as DW + PW descriptors
    fcfg = cfg if cfg.fused_dw else replace(cfg, dw_rq_lanes=1)
    for attempt in range(100):
        m = _random_dwpw_model(seed * 100 + attempt if attempt else seed, max_hw)
        try:
            compile_model(m, cfg)
        except ModelError:
            continue
        if fusable(m.layers, 0, fcfg):
            return m
    raise RuntimeError(f"no fitting DW+PW pair for seed {seed}")


def _random_dwpw_model(seed: int, max_hw: int) -> Model:
    rng = np.random.default_rng(seed)
    extreme = bool(rng.random() < 0.5)
    h, w = int(rng.integers(1, max_hw + 1)), int(rng.integers(1, max_hw + 1))
    c = int(rng.choice([1, 2, 3, 5, 8, 12, 16, 20, 24, 33, 64, 136]))   # 136: 17 groups > the 16-word weight FIFO
    kh, kw = int(rng.integers(1, min(h, 3) + 1)), int(rng.integers(1, min(w, 3) + 1))
    if rng.random() < 0.5:
        kh, kw = min(h, 3), min(w, 3)
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    padding = "SAME" if rng.random() < 0.6 else "VALID"
    (oh, ow), pad = _geom(rng, h, w, kh, kw, sh, sw, padding)
    if oh <= 0 or ow <= 0:
        padding = "SAME"
        (oh, ow), pad = _geom(rng, h, w, kh, kw, sh, sw, padding)

    def acts():
        return [(-128, 127), (int(rng.integers(-128, 0)), 127),
                (-128, int(rng.integers(0, 127)))][int(rng.integers(3))]

    inp = _qt((h, w, c), rng)
    mid = _qt((oh, ow, c), rng)
    a1 = acts()
    m1, s1 = _mults(rng, c, extreme)
    b1 = rng.integers(-(1 << 16), 1 << 16, c).astype(np.int32)
    dw = Layer(0, "DEPTHWISE_CONV_2D", inp, mid, kernel=(kh, kw), stride=(sh, sw), padding=padding, pad=pad,
               weights=rng.integers(-127, 128, (kh, kw, c)).astype(np.int8), bias=b1,
               weight_scale=np.ones(c, np.float32), per_channel=True, multiplier=m1, shift=s1,
               act_min=a1[0], act_max=a1[1])
    cout = int(rng.choice([1, 3, 8, 12, 16, 24, 40, 64]))
    out = _qt((oh, ow, cout), rng)
    a2 = acts()
    m2, s2 = _mults(rng, cout, extreme)
    b2 = rng.integers(-(1 << 16), 1 << 16, cout).astype(np.int32)
    if extreme and rng.random() < 0.3:
        b2 = rng.integers(-(1 << 30), 1 << 30, cout).astype(np.int32)
    pw = Layer(1, "CONV_2D", mid, out, kernel=(1, 1), stride=(1, 1), padding="VALID", pad=(0, 0, 0, 0),
               weights=rng.integers(-127, 128, (cout, 1, 1, c)).astype(np.int8), bias=b2,
               weight_scale=np.ones(cout, np.float32), per_channel=True, multiplier=m2, shift=s2,
               act_min=a2[0], act_max=a2[1])
    return Model([dw, pw], inp, out, source=f"random seed={seed} dwpw")

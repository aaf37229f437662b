"""Randomized single layers: the generated Verilog of the core (Verilator) against accel.golden.

Every configuration is a fresh random layer (op, shape, channels incl. non-multiples of 8, kernel,
stride, SAME/VALID, zero points, multipliers at the extremes, activation clamps) compiled to
descriptors and run on ONE Verilator build; replay a failure with KWS_SEED=<printed seed>.
"""
import numpy as np
import pytest

from accel import compiler as C
from accel import descriptor as D
from accel import golden
from accel.hw.config import DEFAULT, SMALL
from accel.hw.randlayers import KINDS, random_dwpw_model, random_input, random_layer_model
from accel.hw.rtl_engine import RtlCore, run_program

N_PER_KIND = 100          # 6 kinds -> 600 configurations per core configuration (DEFAULT, SMALL)
N_FUSED = 300             # fused DW+PW blocks (one DWPW descriptor each) per core configuration


@pytest.fixture(scope="module", params=[DEFAULT, SMALL], ids=["default", "small"])
def core(request):
    """One Verilator build per configuration: DEFAULT (16x8 array) and SMALL (8x8)."""
    with RtlCore(request.param) as c:
        yield c


def _run_one(core, s, kind):
    m = random_layer_model(s, kind, config=core.cfg)
    x = random_input(m, s)
    ref = golden.run(m, x)
    prog = C.compile_model(m, core.cfg)
    core.load(prog)
    y, st, _ = run_program(core, prog, x)
    return m, ref, y.reshape(ref.shape), st


@pytest.mark.parametrize("kind", KINDS)
def test_random_layers_rtl_vs_golden(core, seed, kind):
    bad = []
    for i in range(N_PER_KIND):
        s = seed * 1000 + i
        m, ref, y, st = _run_one(core, s, kind)
        if not np.array_equal(ref, y):
            L = m.layers[0]
            bad.append(f"seed={s} {kind} in={L.input.shape} out={L.output.shape} k={L.kernel} s={L.stride} "
                       f"{L.padding}: {int((ref != y).sum())} of {ref.size} differ")
    print(f"{core.cfg.key()} {kind}: {N_PER_KIND} configurations, {len(bad)} mismatches (seeds {seed * 1000}..{seed * 1000 + N_PER_KIND - 1})")
    assert not bad, "\n".join(bad[:10])


def test_random_fused_dw_pw_blocks_rtl_vs_golden(core, seed):
    """DEPTHWISE_CONV_2D (<= 3x3, stride 1/2, SAME/VALID) + pointwise CONV_2D, fused into one DWPW
    descriptor (the depthwise output never reaches SRAM), against golden's two layers."""
    bad = []
    for i in range(N_FUSED):
        s = seed * 1000 + i
        m = random_dwpw_model(s, config=core.cfg)
        x = random_input(m, s)
        ref = golden.run(m, x)
        prog = C.compile_model(m, core.cfg)
        assert [d["op"] for d in prog.descs] == [D.OP_DWPW] and prog.layer_out[0] is None
        core.load(prog)
        y, st, _ = run_program(core, prog, x)
        if not np.array_equal(ref, y.reshape(ref.shape)):
            L = m.layers[0]
            bad.append(f"seed={s} dwpw in={L.input.shape} mid={L.output.shape} out={m.output.shape} k={L.kernel} "
                       f"s={L.stride} {L.padding}: {int((ref != y.reshape(ref.shape)).sum())} of {ref.size} differ")
    print(f"{core.cfg.key()} dwpw: {N_FUSED} fused blocks, {len(bad)} mismatches (seeds {seed * 1000}..{seed * 1000 + N_FUSED - 1})")
    assert not bad, "\n".join(bad[:10])


def test_single_channel_convs_dual_read(core, seed):
    """CONV on a 1-channel input in byte mode (the first layer) runs on the dual-read generator
    (two kernel positions per cycle): random kernels up to 10x5, strides, padding."""
    n = 0
    for i in range(80):
        s = seed * 1000 + i
        m = random_layer_model(s, "conv", config=core.cfg, channels=1)
        prog = C.compile_model(m, core.cfg)
        n += bool(prog.descs[0]["flags"] & D.FLAG_BYTE_MODE)
        x = random_input(m, s)
        core.load(prog)
        y, _, _ = run_program(core, prog, x)
        assert np.array_equal(y.reshape(m.output.shape), golden.run(m, x)), f"seed={s}"
    assert n >= 15, f"only {n} of 80 ran in byte mode"     # small kernels pick word mode


def test_fused_and_unfused_agree(core, seed):
    """The same DW+PW pair fused (one DWPW descriptor) and unfused (DW, then CONV) gives the same bytes."""
    for i in range(30):
        s = seed * 1000 + i
        m = random_dwpw_model(s, config=core.cfg)
        x = random_input(m, s)
        outs = []
        for fuse in (True, False):
            prog = C.compile_model(m, core.cfg, fuse=fuse)
            assert len(prog.descs) == (1 if fuse else 2)
            core.load(prog)
            y, _, _ = run_program(core, prog, x)
            outs.append(y)
        assert np.array_equal(outs[0], outs[1]), f"seed={s}"


def test_dw_window_and_general_paths_agree(core, seed):
    """Depthwise 3x3 runs on the sliding-window lanes; forcing the general (tap-buffer) path must agree."""
    for i in range(20):
        s = seed * 1000 + i
        m = random_layer_model(s, "dw", config=core.cfg)
        x = random_input(m, s)
        ref = golden.run(m, x)
        for window in (True, False):
            prog = C.compile_model(m, core.cfg, dw_window=window)
            core.load(prog)
            y, _, _ = run_program(core, prog, x)
            assert np.array_equal(y.reshape(ref.shape), ref), f"seed={s} window={window}"


def _bad_run(core, desc: dict):
    """Load a valid single PW layer, then replace its descriptor by ``desc`` and run."""
    m = random_layer_model(7, "pw", config=core.cfg)
    prog = C.compile_model(m, core.cfg)
    core.load(prog)
    core.write_tensor(prog.input, random_input(m, 7))
    core.write(C.bus_addr("desc", 0), D.pack(desc) + D.pack({"op": D.OP_END}))
    st = core.start(0, 0, max_cycles=100_000)
    return prog, st


@pytest.mark.parametrize("case,err", [
    ("unknown_op", D.ERR_OP), ("op_15", D.ERR_OP), ("act_range", D.ERR_RANGE), ("weight_range", D.ERR_RANGE),
    ("quant_range", D.ERR_RANGE), ("tap_range", D.ERR_RANGE), ("zero_kernel", D.ERR_ZERO),
    ("zero_height", D.ERR_ZERO), ("zero_size", D.ERR_ZERO), ("zero_stride", D.ERR_ZERO),
    ("dwpw_weight_range", D.ERR_RANGE), ("dwpw_quant_range", D.ERR_RANGE), ("dwpw_kernel_4", D.ERR_RANGE),
])
def test_bad_descriptor_sets_error_and_stops(core, case, err):
    m = random_layer_model(7, "pw", config=core.cfg)
    good = C.compile_model(m, core.cfg).descs[0]
    cfg = core.cfg
    d = dict(good)
    if case == "unknown_op":
        d["op"] = D.OP_LAST + 1     # first unassigned op (5 became DWPW in v2)
    elif case == "op_15":
        d["op"] = 15
    elif case == "act_range":
        d["out_base"] = cfg.act_depth - 1
    elif case == "weight_range":
        d["w_base"] = cfg.w_depth - 1
        d["w_size"] = 2
    elif case == "quant_range":
        d["q_base"] = cfg.q_depth
    elif case == "tap_range":
        d["nk"] = cfg.tap_depth + 1
    elif case == "zero_kernel":
        d["kh"] = 0
    elif case == "zero_height":
        d["oh"] = 0
    elif case == "zero_size":
        d["in_size"] = 0
    elif case == "zero_stride":
        d["sw"] = 0
    elif case.startswith("dwpw"):
        d["op"] = D.OP_DWPW
        if case == "dwpw_weight_range":
            d["dw_w_base"] = cfg.w_depth - (2 if cfg.rows == 8 else 1) * d["ig"] + 1   # words per group
        elif case == "dwpw_quant_range":
            d["dw_q_base"] = cfg.q_depth - 1
        else:
            d["kh"] = 4
    _, st = _bad_run(core, d)
    assert st["cycles"] < 1000, f"core did not stop: {st}"
    assert st["error"] == err and not st["done"], st
    # The core is usable again afterwards.
    prog = C.compile_model(m, core.cfg)
    core.load(prog)
    x = random_input(m, 7)
    y, st, _ = run_program(core, prog, x)
    assert np.array_equal(y.reshape(m.output.shape), golden.run(m, x))


def test_descriptor_list_without_end_stops(core):
    """A list that runs off the descriptor memory sets ERR_LIST instead of wrapping around."""
    base = core.cfg.desc_depth - D.DESC_WORDS + 1
    st = core.start(base, 0, max_cycles=100_000)
    assert st["error"] == D.ERR_LIST and st["cycles"] < 1000, st


def test_layer_limit_and_base(core):
    """n_layers=1 stops after one layer; desc_base selects where the walk starts."""
    m = random_layer_model(3, "conv", config=core.cfg)
    prog = C.compile_model(m, core.cfg)
    core.load(prog)
    x = random_input(m, 3)
    core.write_tensor(prog.input, x)
    st = core.start(0, 1)
    assert st["done"] and st["layers"] == 1 and st["error"] == 0
    st = core.start(D.DESC_WORDS, 0)        # the END descriptor alone
    assert st["done"] and st["layers"] == 0


def test_dwpw_rejected_on_core_without_fused_lanes():
    """TINY is built without the fused DW lanes: a DWPW descriptor is an op it does not have (ERR_OP),
    and the core stops and stays usable; the compiler never emits one for it."""
    from accel.hw.config import TINY
    with RtlCore(TINY) as core:
        m = random_layer_model(7, "pw", config=TINY)
        d = dict(C.compile_model(m, TINY).descs[0], op=D.OP_DWPW)
        _, st = _bad_run(core, d)
        assert st["cycles"] < 1000 and st["error"] == D.ERR_OP and not st["done"], st
        m2 = random_dwpw_model(3, config=TINY)
        prog = C.compile_model(m2, TINY)
        assert [x["op"] for x in prog.descs] == [D.OP_DW, D.OP_CONV]
        core.load(prog)
        x = random_input(m2, 3)
        y, st, _ = run_program(core, prog, x)
        assert st["done"] and not st["error"]
        assert np.array_equal(y.reshape(-1), golden.run(m2, x).reshape(-1))

"""Zero-copy input: the first layer reads its window from the feature ring in place (FLAG_RING), at
every write-pointer offset, bit-exact with the golden model on the un-rotated window (Verilator RTL)."""
import numpy as np
import pytest

from accel import compiler as C
from accel import descriptor as D
from accel import golden
from accel.hw.config import DEFAULT
from accel.hw.rtl_engine import RtlCore


def _load(name):
    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    return load_tflite(zoo_model(name))


def _run_ring(core, prog, x_hw, wp, n_layers):
    core.write_pairs(C.ring_writes(x_hw, wp))
    st = core.start(0, n_layers)
    assert st["done"] and not st["error"], st
    return st


def test_ring_program_and_registers():
    m = _load("mlperf")
    prog = C.compile_model(m, DEFAULT, ring=True)
    d0 = prog.descs[0]
    assert d0["flags"] & D.FLAG_RING and d0["in_base"] == 0 and d0["in_size"] == 49 * 10
    assert prog.ring and prog.descs[1:] == C.compile_model(m, DEFAULT).descs[1:]   # only layer 0 changes
    with RtlCore(DEFAULT) as core:
        core.write_pairs(C.ring_writes(np.zeros((49, 10), np.int8), 130))
        regs = core.read(C.bus_addr("ring_ctl", 0), 3)
        assert list(regs) == [130, 490, 10]
        core.write(C.bus_addr("ring", 7), [0x1ff, 0x80])
        assert list(core.read(C.bus_addr("ring", 7), 2)) == [0xff, 0x80]   # one byte per bus word


def _first_layer(name):
    """The model cut after its first layer (so first layers of models too big for DEFAULT fit)."""
    import dataclasses
    m = _load(name)
    return dataclasses.replace(m, layers=m.layers[:1], output=m.layers[0].output)


@pytest.mark.parametrize("name", ["mlperf", "valid", "dw5x5"])
def test_ring_first_layer_every_offset(name, seed):
    """Every write-pointer position a ring of H frames can have (wp = k*W, k = 0..H-1: the wrap falls at
    every row of the window, inside and outside each kernel's rows), a fresh random window each.
    First layers: 10x4/2 SAME (MLPerf), 4x3/(2,1) VALID, 10x8/(2,4) SAME on 40 features
    (49 x 40 = 1960 bytes: a window activation memory A could not hold on DEFAULT)."""
    m = _first_layer(name)
    prog = C.compile_model(m, DEFAULT, ring=True)
    h, w = m.input.shape[:2]
    rng = np.random.default_rng(seed)
    with RtlCore(DEFAULT) as core:
        core.load(prog)
        for k in range(h):
            x = rng.integers(-128, 128, (h, w)).astype(np.int8)
            _run_ring(core, prog, x, k * w, 1)
            loc = prog.layer_out[prog.desc_layer[0]]
            got = core.read_tensor(loc)
            want = golden.run_layer(m.layers[0], x[..., None]).reshape(got.shape)
            assert np.array_equal(got, want), f"{name} wp={k * w}: {int((got != want).sum())} bytes differ"


def test_ring_whole_model_random_offsets_and_copy_path_agree(seed):
    """Whole MLPerf model from the ring at random offsets == golden == the copy path (input in A)."""
    m = _load("mlperf")
    prog_r = C.compile_model(m, DEFAULT, ring=True)
    prog_c = C.compile_model(m, DEFAULT)
    rng = np.random.default_rng(seed)
    n_acc = len(m.layers) - len(prog_r.cpu_tail)
    with RtlCore(DEFAULT) as core:
        for k in rng.integers(0, 49, 4):
            x = rng.integers(-128, 128, (49, 10)).astype(np.int8)
            ref = golden.run(m, x[..., None], return_all=True)[n_acc - 1]
            core.load(prog_r)
            st = _run_ring(core, prog_r, x, int(k) * 10, 0)
            y = core.read_tensor(prog_r.output)
            assert np.array_equal(y.reshape(ref.shape), ref), f"ring wp={int(k) * 10}"
            core.load(prog_c)
            core.write_tensor(prog_c.input, x[..., None])
            st_c = core.start(0, 0)
            assert np.array_equal(core.read_tensor(prog_c.output).reshape(ref.shape), ref)
            assert st["cycles"] == st_c["cycles"], (st["cycles"], st_c["cycles"])
    print(f"mlperf from the ring: {st['cycles']} cycles start to done (copy path {st_c['cycles']})")


def test_ring_refuses_what_it_cannot_read():
    from accel.ir import ModelError
    from accel.hw.config import AccelConfig
    m = _load("dw5x5")                                   # 49 x 40 = 1960 features
    with pytest.raises(ModelError, match="ring"):
        C.compile_model(m, AccelConfig(ring_depth=1024), ring=True)
    # a RING flag on a layer that is not a 1-channel byte-mode conv is a range error in the core
    prog = C.compile_model(_load("mlperf"), DEFAULT)
    bad = dict(prog.descs[1], flags=prog.descs[1]["flags"] | D.FLAG_RING)
    with RtlCore(DEFAULT) as core:
        core.load(prog)
        core.write(C.bus_addr("desc", 0), D.pack(bad))
        st = core.start(0, 1)
        assert st["error"] == D.ERR_RANGE, st

"""Compiler and descriptor format: fit checks, generated files, round trips, behavioural model."""
import numpy as np
import pytest

from accel import compiler as C
from accel import descriptor as D
from accel import golden
from accel.hw import model as M
from accel.hw.config import DEFAULT, AccelConfig
from accel.hw.randlayers import KINDS, random_input, random_layer_model
from accel.ir import ModelError


def test_descriptor_pack_unpack_roundtrip(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        vals = {}
        for f in D.FIELDS:
            lo, hi = (-(1 << (f.bits - 1)), (1 << (f.bits - 1)) - 1) if f.signed else (0, (1 << f.bits) - 1)
            vals[f.name] = int(rng.integers(lo, hi + 1))
        words = D.pack(vals)
        assert len(words) == D.DESC_WORDS and all(0 <= w < 1 << 32 for w in words)
        assert D.unpack(words) == vals


def test_descriptor_field_overflow_is_an_error():
    with pytest.raises(ValueError, match="kh=256"):
        D.pack({"kh": 256})


def test_generated_header_and_doc_are_up_to_date():
    assert (D.ROOT / "firmware" / "include" / "accel_desc.h").read_text() == D.c_header()
    assert (D.ROOT / "docs" / "descriptor.md").read_text() == D.markdown()


def test_model_too_big_is_a_one_line_model_error():
    from accel.ir import Layer, Model, QTensor
    from accel.quant import quantize_multiplier
    rng = np.random.default_rng(0)
    inp = QTensor((40, 40, 64), 0.05, 0)
    out = QTensor((40, 40, 256), 0.05, 0)
    mm, ss = quantize_multiplier(0.001)
    layer = Layer(0, "CONV_2D", inp, out, weights=rng.integers(-127, 128, (256, 1, 1, 64)).astype(np.int8),
                  bias=np.zeros(256, np.int32), multiplier=np.full(256, mm, np.int32),
                  shift=np.full(256, ss, np.int32))
    with pytest.raises(ModelError) as e:
        C.compile_model(Model([layer], inp, out), DEFAULT)
    msg = str(e.value)
    assert "\n" not in msg
    assert "51200 activation words" in msg and "> 1024" in msg     # sizes in the message


def test_behavioural_model_matches_golden(seed):
    """The compiler's layouts, executed by the Python model of the core, reproduce golden."""
    for i, kind in enumerate(KINDS * 10):
        s = seed * 1000 + i
        m = random_layer_model(s, kind)
        x = random_input(m, s)
        prog = C.compile_model(m)
        y = M.run_program(prog, x).reshape(m.output.shape)
        assert np.array_equal(y, golden.run(m, x)), f"seed={s} {kind}"


def test_behavioural_model_matches_golden_on_fused_blocks(seed):
    """DWPW descriptors (fused DW+PW) through the Python model of the core reproduce golden's two layers."""
    from accel.hw.randlayers import random_dwpw_model
    for i in range(100):
        s = seed * 1000 + i
        m = random_dwpw_model(s)
        x = random_input(m, s)
        prog = C.compile_model(m)
        assert [d["op"] for d in prog.descs] == [D.OP_DWPW]
        y = M.run_program(prog, x).reshape(m.output.shape)
        assert np.array_equal(y, golden.run(m, x)), f"seed={s}"


def test_compiler_fuses_only_dw_pw_pairs():
    """MLPerf DS-CNN: every DW+PW pair becomes one DWPW descriptor; fuse=False keeps them apart."""
    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    m = load_tflite(zoo_model("mlperf"))
    ops = [d["op"] for d in C.compile_model(m).descs]
    assert ops == [D.OP_CONV] + [D.OP_DWPW] * 4 + [D.OP_AVGPOOL, D.OP_CONV], ops
    ops = [d["op"] for d in C.compile_model(m, fuse=False).descs]
    assert ops == [D.OP_CONV] + [D.OP_DW, D.OP_CONV] * 4 + [D.OP_AVGPOOL, D.OP_CONV], ops


def test_c_header_of_program(tmp_path):
    m = random_layer_model(1, "conv")
    prog = C.compile_model(m)
    p = tmp_path / "model.h"
    C.write_c_header(prog, p, "kws")
    text = p.read_text()
    assert "kws_desc[" in text and "KWS_N_LAYERS 1" in text and '#include "accel_desc.h"' in text


def test_c_header_arrays_are_bus_images():
    """The firmware (accel_drv.c accel_load) copies the header's desc/weights arrays verbatim into their
    windows and spreads the packed quant words (QUANT_WORD_LEN words each) to the bus stride: that must
    load exactly what image_writes() loads."""
    import re

    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    prog = C.compile_model(load_tflite(zoo_model("narrow")))
    assert len(prog.quant) > 1 and prog.quant.shape[1] < D.QUANT_STRIDE   # re-striding would show
    text = C.c_header(prog, "m")
    arrays = {n: [int(v, 16) for v in body.split(",") if v]
              for n, body in re.findall(r"m_(\w+)\[\d+\] = \{([^}]*)\}", text)}
    qlen = int(re.search(r"#define M_QUANT_WORD_LEN (\d+)", text).group(1))
    assert qlen == prog.quant.shape[1] == 3 * prog.config.rq_lanes
    assert len(arrays["quant"]) == qlen * len(prog.quant)       # packed: no padding to the stride
    mem = {}
    for region in ("desc", "weight"):
        for i, v in enumerate(arrays["weights" if region == "weight" else region]):
            mem[C.bus_addr(region, i)] = v
    for k, v in enumerate(arrays["quant"]):                       # the driver's loop (copy_images)
        mem[C.bus_addr("quant", (k // qlen) * D.QUANT_STRIDE + k % qlen)] = v
    assert mem == dict(C.image_writes(prog))


def test_unsupported_op_is_model_error():
    from accel.ir import Layer, Model, QTensor
    inp = QTensor((4, 4, 8), 0.1, 0)
    layer = Layer(0, "MEAN", inp, QTensor((8,), 0.1, 0), kernel=(4, 4))
    with pytest.raises(ModelError, match="MEAN"):
        C.compile_model(Model([layer], inp, layer.output))

"""The LiteX wrapper in Migen's simulator: Wishbone loads a layer, the CSRs start it, results match golden."""
import numpy as np

from accel import compiler as C
from accel import golden
from accel.hw.config import AccelConfig
from accel.hw.randlayers import random_input, random_layer_model

TINY = AccelConfig(act_depth=64, w_depth=16, q_depth=8, tap_depth=16, desc_depth=64)


def test_litex_wrapper_runs_a_layer(seed):
    from migen.sim import run_simulation

    from accel.hw.litex_core import Accel
    m = random_layer_model(seed, "pw", max_hw=3, config=TINY)
    x = random_input(m, seed)
    prog = C.compile_model(m, TINY)
    dut = Accel(TINY)
    res = {}
    writes = C.image_writes(prog) + [(C.bus_addr("act0", i), int(v)) for i, v in
                                     enumerate(C.pack_tensor(x.reshape(prog.input.shape)))]

    def tb():
        for a, v in writes:
            yield from dut.bus.write(a, v)
        assert (yield from dut.bus.read(C.bus_addr("desc", 0))) == prog.desc_words[0]
        yield dut.desc_base.storage.eq(0)
        yield dut.n_layers.storage.eq(0)
        yield dut.control.fields.start.eq(1)
        yield
        yield dut.control.fields.start.eq(0)
        for _ in range(20000):
            yield
            if not (yield dut.core.busy):
                break
        yield
        yield
        res["done"] = (yield dut.core.done)
        res["error"] = (yield dut.core.error)
        res["irq"] = (yield dut.ev.done.pending)
        loc = prog.output
        words = []
        for i in range(2 * loc.words):
            words.append((yield from dut.bus.read(C.bus_addr(f"act{loc.buf}", 2 * loc.base + i))))
        res["y"] = C.unpack_tensor(np.array(words, np.uint32), loc.shape)

    run_simulation(dut, tb())
    assert res["done"] == 1 and res["error"] == 0 and res["irq"] == 1
    assert np.array_equal(res["y"].reshape(m.output.shape), golden.run(m, x))

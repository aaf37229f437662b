"""cocotb testbench (Icarus) of the generated accel_core Verilog: random layers vs the golden model.

Driven by tests/test_accel_hw_cocotb.py; the layers are compiled in Python here (the same compiler and
golden model the Verilator tests use), loaded through the host port, run, and read back.
"""
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from accel import compiler as C
from accel import golden
from accel.hw.randlayers import random_dwpw_model, random_input, random_layer_model


async def host_write(dut, addr, value):
    dut.bus_adr.value = addr
    dut.bus_dat_w.value = int(value) & 0xFFFFFFFF
    dut.bus_we.value = 1
    await RisingEdge(dut.sys_clk)
    dut.bus_we.value = 0


async def host_read(dut, addr):
    dut.bus_adr.value = addr
    await RisingEdge(dut.sys_clk)
    await ReadOnly()
    v = int(dut.bus_dat_r.value)
    await RisingEdge(dut.sys_clk)
    return v


@cocotb.test()
async def random_layers(dut):
    seed = int(os.environ.get("ACCEL_COCOTB_SEED", "1"))
    n = int(os.environ.get("ACCEL_COCOTB_N", "14"))
    cocotb.start_soon(Clock(dut.sys_clk, 10, unit="ns").start())
    dut.sys_rst.value = 1
    dut.bus_we.value = 0
    dut.start.value = 0
    dut.desc_base.value = 0
    dut.n_layers.value = 0
    for _ in range(3):
        await RisingEdge(dut.sys_clk)
    dut.sys_rst.value = 0
    kinds = ["pw", "dw", "conv", "avgpool", "maxpool", "fc", "dwpw"]
    for i in range(n):
        s = seed * 1000 + i
        kind = kinds[i % len(kinds)]
        m = random_dwpw_model(s, max_hw=5) if kind == "dwpw" else random_layer_model(s, kind, max_hw=5)
        x = random_input(m, s)
        prog = C.compile_model(m)
        for a, v in C.image_writes(prog):
            await host_write(dut, a, v)
        for j, v in enumerate(C.pack_tensor(x.reshape(prog.input.shape))):
            await host_write(dut, C.bus_addr(f"act{prog.input.buf}", 2 * prog.input.base + j), v)
        dut.start.value = 1
        await RisingEdge(dut.sys_clk)
        dut.start.value = 0
        cycles = 0
        while True:
            await RisingEdge(dut.sys_clk)
            cycles += 1
            await ReadOnly()
            if not int(dut.busy.value):
                break
            assert cycles < 200_000, "core hangs"
        await RisingEdge(dut.sys_clk)
        assert int(dut.error.value) == 0 and int(dut.done.value) == 1
        loc = prog.output
        words = [await host_read(dut, C.bus_addr(f"act{loc.buf}", 2 * loc.base + j)) for j in range(2 * loc.words)]
        y = C.unpack_tensor(np.array(words, np.uint32), loc.shape).reshape(m.output.shape)
        ref = golden.run(m, x)
        dut._log.info(f"seed={s} {kind} {m.layers[0].input.shape}->{m.layers[0].output.shape}: {cycles} cycles, "
                      f"{'match' if np.array_equal(y, ref) else 'MISMATCH'}")
        assert np.array_equal(y, ref), f"seed={s} {kind}: RTL {y.reshape(-1)[:16]} golden {ref.reshape(-1)[:16]}"


@cocotb.test()
async def bad_descriptor_stops(dut):
    """An unknown op sets the error code and the core goes idle."""
    from accel import descriptor as D
    cocotb.start_soon(Clock(dut.sys_clk, 10, unit="ns").start())
    dut.sys_rst.value = 1
    dut.bus_we.value = 0
    dut.start.value = 0
    await RisingEdge(dut.sys_clk)
    dut.sys_rst.value = 0
    words = D.pack({"op": 9, "kh": 1, "kw": 1})
    for j, v in enumerate(words):
        await host_write(dut, C.bus_addr("desc", j), v)
    dut.desc_base.value = 0
    dut.start.value = 1
    await RisingEdge(dut.sys_clk)
    dut.start.value = 0
    for _ in range(100):
        await RisingEdge(dut.sys_clk)
    await ReadOnly()
    assert int(dut.busy.value) == 0 and int(dut.error.value) == D.ERR_OP

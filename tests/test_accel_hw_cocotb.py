"""Runs the cocotb testbench tests/cocotb/accel_tb.py on the generated Verilog with Icarus."""
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")
def test_cocotb_icarus_random_layers(seed, tmp_path):
    from cocotb_tools.runner import get_runner

    from accel.hw.verilog import generate
    v = generate(out_dir=tmp_path)
    runner = get_runner("icarus")
    runner.build(sources=[v], hdl_toplevel="accel_core", build_dir=tmp_path / "sim", always=True,
                 timescale=("1ns", "1ps"))
    os.environ["ACCEL_COCOTB_SEED"] = str(seed % 100000)
    res = runner.test(hdl_toplevel="accel_core", test_module="accel_tb", build_dir=tmp_path / "sim",
                      test_dir=ROOT / "tests" / "cocotb", results_xml=str(tmp_path / "results.xml"),
                      extra_env={"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "cocotb")] + sys.path),
                                 "ACCEL_COCOTB_SEED": str(seed % 100000)})
    from cocotb_tools.runner import get_results
    tests, fails = get_results(res)
    assert tests == 2 and fails == 0, f"{fails} of {tests} cocotb tests failed (see {res})"

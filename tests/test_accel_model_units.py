"""Resources per unit of the accelerator core (accel/model/synth.py --units): each unit alone as Verilog,
Yosys on it, and the recorded per-unit table agreeing with the whole core and with the DSP model."""
import re
import shutil

import pytest

from accel.hw.config import DEFAULT, SMALL
from accel.model import synth as S
from accel.model.resources import dsp


@pytest.mark.parametrize("cfg", [DEFAULT, SMALL], ids=["DEFAULT", "SMALL"])
def test_every_unit_is_a_module_with_ports(cfg):
    v = S.unit_verilog(cfg)
    assert list(v) == [n for n, _ in S.UNITS]
    for name, text in v.items():
        assert re.search(rf"^module {name}\(", text, re.M), name
        assert re.search(r"^\s*input ", text, re.M) and re.search(r"^\s*output ", text, re.M), name


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_small_units_synthesize(tmp_path):
    """The smallest units through the same synth_xilinx call (the big ones take a minute each)."""
    v = S.unit_verilog(SMALL)
    for name in ("comp", "seq"):
        st = S.yosys_stat(v[name], name, nice=0)
        assert st["LUT"] > 50 and st["FF"] > 50 and st["DSP"] == 0 and st["BRAM"] == 0, (name, st)


@pytest.mark.parametrize("cfg", [DEFAULT, SMALL], ids=["DEFAULT", "SMALL"])
def test_recorded_units_add_up_and_match_the_dsp_model(cfg):
    rec = S.load().get("units", {}).get(cfg.key())
    if rec is None:
        pytest.skip("no unit record (python -m accel.model.synth --units)")
    if rec["verilog"] != S.verilog_hash(cfg):
        pytest.fail(f"the unit record of {cfg.key()} is for an older RTL: re-run python -m accel.model.synth --units")
    st = rec["stats"]
    units = [n for n, _ in S.UNITS]
    for q in ("LUT", "FF", "DSP"):
        assert sum(st[n][q] for n in units) + st["glue"][q] == st["core"][q]
    # The derived DSP model (accel/model/resources.py) unit by unit: the array, the post unit's and the
    # fused DW lanes' requant lanes (4 DSP48 each), no DSP anywhere else.
    d = dsp(cfg)
    assert (st["mac"]["DSP"], st["post"]["DSP"], st["fdw"]["DSP"]) == (d["array"], d["requant"], d["dw_requant"])
    assert st["glue"]["DSP"] == 0 and all(st[n]["DSP"] == 0 for n in units if n not in ("mac", "post", "fdw"))
    # the glue (bus read-back muxes of the wide memories, unit muxes, the 15 performance and access counters) is the rest
    assert 0 <= st["glue"]["LUT"] < 0.25 * st["core"]["LUT"], st["glue"]

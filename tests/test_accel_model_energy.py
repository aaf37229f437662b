"""Energy per inference (accel/model/energy.py): the table's interpolation, and per-level energy =
access counts x per-access energy, for the MLPerf DS-CNN on DEFAULT and SMALL."""
import json

import pytest

from accel import compiler as C
from accel.hw.config import DEFAULT, SMALL
from accel.model import program_access
from accel.model.energy import energy, load_table, per_access_pj, sram_pj


def test_sram_interpolation_hits_the_table():
    t = load_table()
    for cap, pj in t["sram_pj_per_64b"]:
        assert sram_pj(cap, 64, t) == pytest.approx(pj)
    assert sram_pj(16384, 64, t) == pytest.approx(10 * 2 ** 0.5)          # half way (log-log) 8 -> 32 KB
    assert sram_pj(8192, 128, t) == pytest.approx(20.0)                    # twice the width
    caps = [2 ** k for k in range(8, 22)]
    e = [sram_pj(c, 64, t) for c in caps]
    assert all(a <= b for a, b in zip(e, e[1:])) and min(e) >= t["sram_floor_pj_per_64b"]


@pytest.mark.parametrize("cfg", [DEFAULT, SMALL], ids=["default", "small"])
def test_energy_is_counts_times_table(cfg, tmp_path):
    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    m = load_tflite(zoo_model("mlperf"))
    prog = C.compile_model(m, cfg)
    _, acc = program_access(prog.descs, cfg)
    t = load_table()
    e = energy(acc, cfg, t)
    pa = per_access_pj(cfg, t)
    assert e["weight_sram"] == pytest.approx((acc["acc_w_rd"] + acc["acc_w_rd_dw"]) * pa["weight"])
    assert e["activation_sram"] == pytest.approx((acc["acc_act_rd"] + acc["acc_act_wr"]) * pa["act"])
    assert e["total"] == pytest.approx(sum(v for k, v in e.items() if k != "total"))
    assert acc["macs"] >= 2_656_768                 # every MAC of the model (plus padded/zero-filled taps)
    # a user's table: doubling every SRAM energy doubles exactly the SRAM levels
    t2 = dict(t, sram_pj_per_64b=[[c, 2 * p] for c, p in t["sram_pj_per_64b"]], sram_floor_pj_per_64b=2.0)
    f = tmp_path / "t.json"
    f.write_text(json.dumps(t2))
    e2 = energy(acc, cfg, load_table(str(f)))
    for k in ("tap_buffer", "activation_sram", "weight_sram", "quant_sram"):
        assert e2[k] == pytest.approx(2 * e[k])
    assert e2["mac_accumulators"] == e["mac_accumulators"]
    print(f"\n{cfg.key()}: " + ", ".join(f"{k} {v / 1e6:.3f} uJ" for k, v in e.items()))

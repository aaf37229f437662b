"""python -m accel.dse: the sweep (>= 1,000 configurations in < 60 s), the Pareto set, its outputs and
errors, and RTL validation of sweep points as Ray tasks on a local Ray (1 CPU, two small layers)."""
import json
import time

import numpy as np
import pytest

from accel.dse.__main__ import main
from accel.hw.config import DEFAULT, SMALL, load_config


def _need_fit():
    from accel.model.resources import FIT_JSON
    if not FIT_JSON.exists():
        pytest.skip(f"{FIT_JSON.name} missing: the Yosys fit points (python -m accel.model.synth) were not run")


def _mlperf():
    from training.zoo import zoo_model
    return str(zoo_model("mlperf"))


def test_dse_sweep_mlperf(capsys, tmp_path):
    _need_fit()
    t = time.time()
    assert main([_mlperf(), "--device", "xc7a100t", "--out", str(tmp_path)]) == 0
    dt = time.time() - t
    out = capsys.readouterr().out
    n = int(out.split(" configurations")[0].split()[-1])
    print(out)
    assert n >= 1000 and dt < 60, (n, dt)
    assert "does not fit: model: SRAM too small" in out and "Pareto set" in out
    doc = json.loads((tmp_path / "accel_config.json").read_text())
    cfg = load_config(tmp_path / "accel_config.json")
    assert doc["device"] == "xc7a100t" and doc["predicted"]["cycles"] > 0
    front = json.loads((tmp_path / "pareto.json").read_text())
    assert front and all(p["fits"] for p in front) and cfg.key() in {p["key"] for p in front}
    # nothing on the front is dominated by another front point
    vec = [(p["cycles"], p["energy_pj"], *(p["resources"][k] for k in ("LUT", "BRAM", "DSP"))) for p in front]
    for a in vec:
        assert not any(all(x <= y for x, y in zip(b, a)) and b != a for b in vec)
    assert (tmp_path / "pareto.png").stat().st_size > 10_000


def test_dse_errors(capsys, tmp_path):
    _need_fit()
    # the Arty SoC leaves too little of an XC7A35T for any configuration: one error line, with the reason
    assert main([_mlperf(), "--device", "xc7a35t", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no configuration fits xc7a35t") and "--reserve" in err[0]
    with pytest.raises(SystemExit) as e:
        main([_mlperf(), "--device", "xc7a1t"])
    assert e.value.code == 2
    capsys.readouterr()
    bad = tmp_path / "t.json"
    bad.write_text("{}")
    assert main([_mlperf(), "--device", "xc7a100t", "--energy-table", str(bad), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: --energy-table")


def test_validate_on_local_ray():
    """A tiny sweep of a two-layer model (conv + DW/PW block), two of its points validated on the RTL as
    Ray tasks on a local Ray with one CPU: bit-exact, cycles and access counters equal to the model."""
    from accel.dse.space import evaluate, space
    from accel.dse.validate import validate
    from accel.hw.randlayers import random_dwpw_model
    from accel.model.devices import RESERVES, UTIL
    m = random_dwpw_model(3)
    groups = space(rows=(8, 16), lanes=((2, 1), (2, 2)), act=(1024,), w=(256, 512), q=(512,), tap=(512,))
    pts = evaluate(m, None, RESERVES["soc"], UTIL, groups)     # model only: no resource fit needed
    by_key = {p.cfg.key(): p for p in pts}
    assert len(pts) == 8 and all(p.ok for p in pts)
    cfgs = [DEFAULT, SMALL]            # points of this sweep whose Verilator builds the suite already has
    rows = validate(m, cfgs, num_cpus=1, seed=5)
    for c, r in zip(cfgs, rows):
        p = by_key[c.key()]
        print(f"{c.key()}: model {p.cycles}, RTL {r['cycles']}, pid {r['pid']}, {r['seconds']:.1f} s")
        assert r["bit_exact"] and r["access_equal"], r
        assert r["model_cycles"] == p.cycles and abs(p.cycles - r["cycles"]) <= 0.01 * r["cycles"]
    assert len({r["pid"] for r in rows}) >= 1 and all(np.isfinite(r["seconds"]) for r in rows)

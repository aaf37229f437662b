"""Accelerator configuration files (accel.hw.config.load_config, what python -m accel.dse writes) and
soc/build.py --accel-config, which builds the SoC with one."""
import json

import pytest

from accel.hw.config import DEFAULT, SMALL, load_config


def test_config_file_errors(tmp_path):
    p = tmp_path / "c.json"
    for text, msg in (("[1]", "JSON object"), ('{"rows": 12}', "unsupported"), ('{"rowz": 8}', "unknown"),
                      ('{"act_depth": 0}', "positive"), ("{", "not JSON")):
        p.write_text(text)
        with pytest.raises(ValueError, match=msg):
            load_config(p)
    p.write_text(json.dumps({"accel_config": {"rows": 8, "rq_lanes": 2, "dw_rq_lanes": 1, "w_depth": 512}}))
    assert load_config(p) == SMALL


def test_soc_build_accel_config_option(tmp_path, capsys):
    """soc/build.py --accel-config FILE: checked at parse time (one error line), carried into the plan
    (gateware and the compiled model); without it the board's accel_config, else DEFAULT."""
    from boards import get_board
    from soc.build import parse_args
    from soc.flow import BuildError
    from soc.flow.plan import make_plan
    f = tmp_path / "cfg.json"
    f.write_text(json.dumps({"accel_config": {"rows": 8, "rq_lanes": 2, "dw_rq_lanes": 1, "w_depth": 512}}))
    board = get_board("sim")
    assert make_plan(parse_args(["--accel-config", str(f)]), board).accel_config == SMALL
    assert make_plan(parse_args([]), board).accel_config == DEFAULT
    big = get_board("sim")
    big.accel_config = SMALL                                              # a board whose default is SMALL
    assert make_plan(parse_args([]), big).accel_config == SMALL           # the board's default
    f2 = tmp_path / "cfg2.json"
    f2.write_text(json.dumps({"rows": 16, "rq_lanes": 4, "dw_rq_lanes": 2}))
    assert make_plan(parse_args(["--accel-config", str(f2)]), big).accel_config.rq_lanes == 4   # overrides it
    with pytest.raises(BuildError, match="--cpu-only"):
        make_plan(parse_args(["--accel-config", str(f), "--cpu-only", "--app", "infer", "--model", str(f),
                              "--input", str(f)]), board)
    f.write_text('{"rows": 12}')
    with pytest.raises(SystemExit) as e:
        parse_args(["--accel-config", str(f)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unsupported accelerator configuration" in err[0]


def test_model_cli_takes_a_config_file(tmp_path, capsys):
    from accel.model.__main__ import main
    from training.zoo import zoo_model
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"accel_config": {"rows": 8, "rq_lanes": 2, "dw_rq_lanes": 1, "w_depth": 512}}))
    assert main([str(zoo_model("mlperf")), "--config", str(f)]) == 0
    assert f"core {SMALL.key()}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main([str(zoo_model("mlperf")), "--config", "huge"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


def test_rq_lanes_beyond_the_quant_stride_are_refused():
    """8 requant lanes need 24 quant words per entry, the host's address map gives each entry 16
    (accel/descriptor.py QUANT_STRIDE): lanes 5-7 were never loaded and the RTL requantized them with
    garbage (found by the DSE's target check). The configuration is refused, and the sweep never
    offers it."""
    import pytest

    from accel.dse.space import space
    from accel.hw.config import AccelConfig, config_from_dict
    with pytest.raises(ValueError, match="quant stride"):
        config_from_dict({"rq_lanes": 8, "dw_rq_lanes": 2})
    with pytest.raises(AssertionError):
        AccelConfig(rq_lanes=8)
    assert max(rq for (_, rq, _, _) in space()) == 4


def test_core_without_fused_lanes_is_a_config_and_a_sweep_dimension(tmp_path):
    """dw_rq_lanes = 0 builds the core without the fused DW+PW lanes (TINY): a config file may say so,
    the sweep offers it, and only 0 (not a negative count, not one that does not divide rq_lanes) is
    accepted besides the powers of two."""
    from accel.dse.space import space
    from accel.hw.config import TINY, config_from_dict
    f = tmp_path / "tiny.json"
    f.write_text(json.dumps({"accel_config": {"rows": 8, "rq_lanes": 1, "dw_rq_lanes": 0, "w_depth": 512,
                                              "q_depth": 1024}}))
    assert load_config(f) == TINY and not TINY.fused_dw and SMALL.fused_dw
    for bad in ({"dw_rq_lanes": -1}, {"rq_lanes": 1, "dw_rq_lanes": 2}, {"dw_rq_lanes": 3}):
        with pytest.raises(ValueError):
            config_from_dict(bad)
    assert {dq for (_, _, dq, _) in space()} == {0, 1, 2, 4}

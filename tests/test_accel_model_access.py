"""Access counts: the model's (accel/model/access.py) equal the RTL counters (accel/hw/counters.py) on
every path: zoo layers (CONV byte mode on 1 channel, fused DW+PW, pooling, FC) and random single layers
of every kind (CONV word/byte mode, PW, DW on the tap buffer, AVG/MAX pool, FC) and DW+PW blocks, on
DEFAULT (16x8), SMALL (8x8) and TINY (8x8 without the fused DW lanes: every DW on the sliding-window
path)."""
import numpy as np
import pytest

from accel import compiler as C
from accel.hw.config import DEFAULT, SMALL, TINY
from accel.hw.counters import ACCESS_COUNTERS
from accel.hw.randlayers import KINDS, random_dwpw_model, random_input, random_layer_model
from accel.hw.rtl_engine import RtlCore, run_program
from accel.model.access import layer_access, program_access
from accel.model.cycles import layer_cycles

SEEDS = range(7)
ZOO = ("mlperf", "maxpool", "dw_stride2")


def _compare(tag, d, cfg, st, paths):
    x = layer_cycles(d, cfg)
    a = layer_access(d, cfg, x)
    paths.add(x.path)
    for n in ACCESS_COUNTERS:
        assert a[n] == st[n], f"{tag} ({x.path}): model {n} {a[n]} != RTL {st[n]}"


@pytest.mark.parametrize("cname,cfg", [("default", DEFAULT), ("small", SMALL), ("tiny", TINY)])
def test_access_counts_vs_rtl(cname, cfg):
    from accel.tflite_import import load_tflite
    from training.zoo import zoo_model
    paths = set()
    with RtlCore(cfg) as core:
        for name in ZOO:
            m = load_tflite(zoo_model(name))
            prog = C.compile_model(m, cfg)
            core.load(prog)
            _, step, _ = run_program(core, prog, np.zeros(m.input.shape, np.int8), step=True)
            for i, (d, st) in enumerate(zip(prog.descs, step["per_layer"])):
                _compare(f"{cname} {name} desc {i}", d, cfg, st, paths)
            # a whole-list run counts the same accesses as the per-layer runs together
            _, full, _ = run_program(core, prog, np.zeros(m.input.shape, np.int8))
            _, tot = program_access(prog.descs, cfg)
            for n in ACCESS_COUNTERS:
                assert tot[n] == full[n], f"{cname} {name}: whole run {n} model {tot[n]} != RTL {full[n]}"
        for kind in list(KINDS) + ["dwpw"]:
            for s in SEEDS:
                m = random_dwpw_model(s, config=cfg) if kind == "dwpw" else random_layer_model(s, kind, config=cfg)
                prog = C.compile_model(m, cfg)
                core.load(prog)
                _, step, _ = run_program(core, prog, random_input(m, s), step=True)
                for i, (d, st) in enumerate(zip(prog.descs, step["per_layer"])):
                    _compare(f"{cname} random {kind} seed {s} desc {i}", d, cfg, st, paths)
    print(f"\n[{cname}] access counters equal on paths {sorted(paths)}")
    assert {"conv_word", "conv_byte1", "dw_tap", "pool"} <= paths
    assert ("dwpw" in paths) == cfg.fused_dw and ("dw_win" in paths or cfg.fused_dw)

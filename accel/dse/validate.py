"""RTL validation of design points as parallel Ray tasks: each task builds (or reuses) the Verilator
model of one AccelConfig (accel/hw/rtl_engine.py, cached in build/accel_rtl/), runs the model on a
random int8 input, and compares the output with the golden model (bit-exact), the cycles and the
access counters with the analytical model.

Local Ray by default (``ray.init(num_cpus=...)`` on this machine); ``address`` points it at a cluster
(``ray://HEAD:10001`` through Ray Client, or ``auto`` on a cluster node): every worker needs this
repository at the same path (or as its ``runtime_env`` working_dir), Verilator and the venv. docs/dse.md.
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict
from pathlib import Path

from accel.hw.config import AccelConfig, config_from_dict

ROOT = Path(__file__).resolve().parents[2]


def validate_point(model, cfg_dict: dict, seed: int = 0) -> dict:
    """One point on the RTL (runs in a Ray worker or inline); ``model``: a .tflite path or an IR Model."""
    import numpy as np

    from accel import compiler as C
    from accel import golden
    from accel.hw.counters import ACCESS_COUNTERS
    from accel.hw.rtl_engine import RtlCore, run_program
    from accel.model.access import program_access
    from accel.model.cycles import program_cycles
    from accel.tflite_import import load_tflite
    t0 = time.time()
    cfg = config_from_dict(cfg_dict)
    m = load_tflite(model) if isinstance(model, (str, Path)) else model
    prog = C.compile_model(m, cfg)
    x = np.random.default_rng(seed).integers(-128, 128, m.input.shape).astype(np.int8)
    ref = golden.run(m, x, return_all=True)
    n_acc = len(m.layers) - len(prog.cpu_tail)
    with RtlCore(cfg) as core:
        core.load(prog)
        y, st, _ = run_program(core, prog, x)
    per, total = program_cycles(prog.descs, cfg)
    _, acc = program_access(prog.descs, cfg, per)
    return dict(key=cfg.key(), config=asdict(cfg), cycles=st["cycles"], model_cycles=total,
                bit_exact=bool(np.array_equal(y.reshape(ref[n_acc - 1].shape), ref[n_acc - 1])),
                access_equal=all(acc[n] == st[n] for n in ACCESS_COUNTERS),
                access={n: st[n] for n in ACCESS_COUNTERS}, seconds=time.time() - t0, host=socket.gethostname(),
                pid=os.getpid())


def validate(model, cfgs: list[AccelConfig], address: str | None = None, num_cpus: int | None = None,
             seed: int = 0) -> list[dict]:
    """Validate ``cfgs`` as parallel Ray tasks; results in the order of ``cfgs``."""
    import ray
    started = False
    if not ray.is_initialized():
        kw = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
        if address:
            ray.init(address=address, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}}, **kw)
        else:
            ray.init(num_cpus=num_cpus or min(2, os.cpu_count() or 1),
                     runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}}, **kw)
        started = True
    try:
        task = ray.remote(num_cpus=1)(validate_point)
        if isinstance(model, (str, Path)):
            model = str(Path(model).resolve())
        refs = [task.remote(model, asdict(c), seed) for c in cfgs]
        return ray.get(refs)
    finally:
        if started:
            ray.shutdown()

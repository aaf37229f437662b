"""RTL engine: runs the generated Verilog of AccelCore in Verilator through a standalone C++ harness
(no CPU). One build per core configuration, cached in ``build/accel_rtl/<config key>-<hash>/``;
models and layers are only data (descriptors and memory images), so they never trigger a rebuild.

``run(model_path, x_int8_batch) -> (outputs, cycles)`` is what ``python -m accel run --engine rtl``
uses; :class:`RtlCore` and :func:`run_program` are the lower-level API the tests use.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from accel import compiler as C
from accel.hw.config import CONFIGS, DEFAULT, AccelConfig

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "accel_rtl"
HARNESS = Path(__file__).resolve().parent / "harness" / "tb.cpp"
LOCK = "/tmp/kws-verilator.lock"
MAX_CYCLES = 5_000_000


def _verilog_text(cfg: AccelConfig) -> str:
    from migen.fhdl.verilog import convert

    from accel.hw.core import AccelCore
    from accel.hw.verilog import core_ios
    core = AccelCore(cfg)
    return str(convert(core, ios=core_ios(core), name="accel_core"))


def _counters_h() -> str:
    """The harness's counter printout, generated from the one list (accel.hw.core.COUNTERS)."""
    from accel.hw.core import COUNTERS
    return ("#define PRINT_COUNTERS(t) do { "
            + " ".join(f'printf(" %u", (unsigned)(t)->{n});' for n in COUNTERS) + " } while (0)\n")


def build(cfg: AccelConfig = DEFAULT, quiet: bool = True) -> Path:
    """Verilate the core for ``cfg`` (cached); returns the harness executable."""
    text = _verilog_text(cfg)
    h = hashlib.sha256((text + HARNESS.read_text() + _counters_h()).encode()).hexdigest()[:12]
    d = BUILD / f"{cfg.key()}-{h}"
    exe = d / "obj" / "Vaccel_core"
    if exe.exists():
        return exe
    import fcntl
    with open(LOCK, "a") as lock:            # the machine-wide Verilator lock (same file as `flock`)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if exe.exists():                 # built by another process while we waited
                return exe
            d.mkdir(parents=True, exist_ok=True)
            (d / "accel_core.v").write_text(text)
            shutil.copy(HARNESS, d / "tb.cpp")
            (d / "counters.h").write_text(_counters_h())
            cmd = ["verilator", "--cc", "accel_core.v", "--exe", "tb.cpp", "--top-module", "accel_core",
                   "-Mdir", "obj.tmp", "-O2", "--build", "-j", "2", "-Wno-fatal", "-Wno-WIDTH",
                   "-Wno-CASEINCOMPLETE", "--x-assign", "0", "--x-initial", "0", "-CFLAGS", "-O1"]
            shutil.rmtree(d / "obj.tmp", ignore_errors=True)
            r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
            if r.returncode != 0 or not (d / "obj.tmp" / "Vaccel_core").exists():
                raise RuntimeError(f"verilator build failed in {d}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            (d / "obj.tmp").rename(d / "obj")      # atomic publish: readers only ever see a complete build
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return exe


class RtlCore:
    """A running harness process: host writes/reads and layer runs over pipes."""

    def __init__(self, cfg: AccelConfig = DEFAULT):
        self.cfg = cfg
        self.exe = build(cfg)
        self.p = subprocess.Popen([str(self.exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  bufsize=1 << 16)

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.write("Q\n")
            self.p.stdin.flush()
            self.p.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _cmd(self, s: str, reply: bool):
        self.p.stdin.write(s)
        self.p.stdin.flush()
        if reply:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("RTL harness died")
            return line.strip()

    def write(self, addr: int, values):
        values = [int(v) & 0xFFFFFFFF for v in values]
        for i in range(0, len(values), 4096):
            chunk = values[i:i + 4096]
            self._cmd(f"B {addr + i:x} {len(chunk):x} " + " ".join(f"{v:x}" for v in chunk) + "\n", False)

    def write_pairs(self, pairs):
        """(addr, value) pairs, grouped into bursts of consecutive addresses."""
        run_a, run_v = None, []
        for a, v in pairs:
            if run_a is not None and a == run_a + len(run_v):
                run_v.append(v)
                continue
            if run_v:
                self.write(run_a, run_v)
            run_a, run_v = a, [v]
        if run_v:
            self.write(run_a, run_v)

    def read(self, addr: int, n: int) -> np.ndarray:
        line = self._cmd(f"R {addr:x} {n:x}\n", True)
        return np.array([int(t, 16) for t in line.split()], np.uint32)

    def start(self, desc_base: int = 0, n_layers: int = 0, max_cycles: int = MAX_CYCLES) -> dict:
        line = self._cmd(f"S {desc_base:x} {n_layers:x} {max_cycles}\n", True).split()
        assert line[0] == "S", line
        v = [int(t) for t in line[1:]]
        from accel.hw.core import COUNTERS
        out = dict(cycles=v[0], error=v[1], done=v[2], layers=v[3])
        out.update(zip(COUNTERS, v[4:]))
        return out

    # -- program helpers
    def load(self, prog: C.Program):
        self.write_pairs(C.image_writes(prog))

    def write_tensor(self, loc: C.TensorLoc, x):
        self.write(C.bus_addr(f"act{loc.buf}", 2 * loc.base), C.pack_tensor(np.asarray(x).reshape(loc.shape)))

    def read_tensor(self, loc: C.TensorLoc) -> np.ndarray:
        return C.unpack_tensor(self.read(C.bus_addr(f"act{loc.buf}", 2 * loc.base), 2 * loc.words), loc.shape)


def pick_config(model) -> AccelConfig:
    from accel.ir import ModelError
    last = None
    for cfg in CONFIGS:
        try:
            C.compile_model(model, cfg)
            return cfg
        except ModelError as e:
            last = e
    raise last


def run_program(core: RtlCore, prog: C.Program, x, step: bool = False):
    """Run one input. Returns (output HWC int8, stats, per-descriptor outputs if ``step``).

    With ``step`` the layers run one at a time (n_layers=1) and every intermediate tensor is read back;
    the cycle count is then the sum of the per-layer runs.
    """
    core.write_tensor(prog.input, x)
    from accel import descriptor as D
    if not step:
        st = core.start(0, 0)
        if st["error"] or not st["done"]:
            raise RuntimeError(f"accelerator stopped with error {st['error']} ({D.ERR_NAMES.get(st['error'])})")
        return core.read_tensor(prog.output), st, None
    inter, per = [], []
    for i in range(len(prog.descs)):
        st = core.start(i * D.DESC_WORDS, 1)
        if st["error"] or not st["done"]:
            raise RuntimeError(f"layer {i}: accelerator stopped with error {st['error']}")
        loc = prog.layer_out[prog.desc_layer[i]]
        inter.append(core.read_tensor(loc))
        per.append(st)
    tot = {k: sum(p[k] for p in per) for k in per[0]}
    tot["per_layer"] = per
    return inter[-1], tot, inter


def run_model(model, x_batch, cfg: AccelConfig | None = None, step: bool = False):
    """Run an IR model on a batch (or one input). Returns (outputs, cycles per input, stats list)."""
    from accel import golden
    cfg = cfg or pick_config(model)
    prog = C.compile_model(model, cfg)
    x = np.asarray(x_batch, np.int8)
    single = x.shape == tuple(model.input.shape)
    xs = x[None] if single else x
    outs, cycles, stats = [], [], []
    with RtlCore(cfg) as core:
        core.load(prog)
        for xi in xs:
            y, st, inter = run_program(core, prog, xi, step=step)
            y = y.reshape(tuple(model.layers[len(model.layers) - 1 - len(prog.cpu_tail)].output.shape))
            for layer in prog.cpu_tail:
                y = golden.run_layer(layer, y)
            outs.append(y.reshape(model.output.shape))
            cycles.append(st["cycles"])
            st["intermediate"] = inter
            stats.append(st)
    outs = np.stack(outs)
    return (outs[0] if single else outs), (cycles[0] if single else cycles), stats


def run(model_path, x_int8_batch):
    """CLI entry: run a .tflite model on the RTL; returns (int8 outputs, cycles per inference)."""
    from accel.tflite_import import load_tflite
    model = load_tflite(model_path)
    outs, cycles, _ = run_model(model, x_int8_batch)
    return outs, cycles

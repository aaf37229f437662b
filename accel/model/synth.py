"""Yosys ``synth_xilinx`` runs of the core for the resource model's fit and check points (issue 18).

``python -m accel.model.synth --units [KEY ...]`` synthesizes each unit of the core alone (DEFAULT and
SMALL by default) and prints where the LUTs, FFs and DSPs go (docs/dse.md, "Resources per unit").

``python -m accel.model.synth [--only KEY ...]`` synthesizes every configuration of FIT_POINTS and
CHECK_POINTS not yet in ``accel/model/yosys_fit.json`` (keyed by the configuration and the hash of its
Verilog, so a changed RTL re-runs) and records LUT/LUTRAM/FF/RAMB36/RAMB18/DSP48E1 and the run time.
Each run takes minutes; the batch holds the machine-wide heavy lock (``/tmp/kws-heavy.lock``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from accel.hw.config import DEFAULT, LARGE, SMALL, AccelConfig

JSON = Path(__file__).resolve().parent / "yosys_fit.json"
HEAVY_LOCK = "/tmp/kws-heavy.lock"

# (role, config) in the order they are synthesized: the fit points (the resource model's coefficients
# come from these) and the check points, never used to fit.
POINTS = (
    ("fit", DEFAULT),
    ("fit", SMALL),
    ("fit", AccelConfig(rows=8, rq_lanes=1, dw_rq_lanes=1)),
    ("check", LARGE),
    ("check", AccelConfig(rows=16, rq_lanes=1, dw_rq_lanes=1, act_depth=512, w_depth=128)),
    ("check", AccelConfig(rows=8, rq_lanes=4, dw_rq_lanes=4, act_depth=512, tap_depth=256)),
    ("fit", AccelConfig(rows=16, rq_lanes=4, dw_rq_lanes=2)),
    ("check", AccelConfig(rows=8, rq_lanes=2, dw_rq_lanes=2, act_depth=2048)),
    ("check", AccelConfig(rows=16, rq_lanes=4, dw_rq_lanes=4, w_depth=512, q_depth=256)),
    # without the fused DW lanes (dw_rq_lanes = 0: the small-FPGA design point)
    ("fit", AccelConfig(rows=8, rq_lanes=1, dw_rq_lanes=0, w_depth=512, q_depth=1024)),
    ("check", AccelConfig(rows=8, rq_lanes=2, dw_rq_lanes=0, w_depth=512)),
    ("check", AccelConfig(rows=16, rq_lanes=2, dw_rq_lanes=0)),
    # the DSE's XC7A35T pick for the MLPerf DS-CNN (accelerator alone, tests/test_accel_dse_targets.py)
    ("check", AccelConfig(rows=8, rq_lanes=4, dw_rq_lanes=0, w_depth=512, q_depth=256, tap_depth=128)),
)
FIT_POINTS = tuple(c for r, c in POINTS if r == "fit")
CHECK_POINTS = tuple(c for r, c in POINTS if r == "check")


def parse_stat(text: str) -> dict:
    """Cell counts of a Yosys ``stat`` report -> LUT, LUTRAM, FF, B36, B18, BRAM (RAMB36-eq.), DSP."""
    cells = {k: int(v) for v, k in re.findall(r"^\s+(\d+)\s+(\S+)\s*$", text, re.M) if not k.startswith("$")} \
        or {k: int(v) for k, v in re.findall(r"^\s+(\S+)\s+(\d+)\s*$", text, re.M)}
    lut = sum(v for k, v in cells.items() if re.fullmatch(r"LUT\d", k))
    lutram = sum(v * (4 if k in ("RAM64M", "RAM32M", "RAM128X1D") else 2 if k in ("RAM64X1D", "RAM32X1D") else 1)
                 for k, v in cells.items() if k.startswith("RAM") and not k.startswith("RAMB"))
    ff = sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]*", k))
    b36, b18 = cells.get("RAMB36E1", 0), cells.get("RAMB18E1", 0)
    return dict(LUT=lut, LUTRAM=lutram, FF=ff, B36=b36, B18=b18, BRAM=b36 + b18 / 2, DSP=cells.get("DSP48E1", 0))


def verilog(cfg: AccelConfig) -> str:
    from accel.hw.rtl_engine import _verilog_text
    return _verilog_text(cfg)


def verilog_hash(cfg: AccelConfig) -> str:
    """The key of a Yosys record: the first 12 hex digits of the core's Verilog's sha256."""
    return hashlib.sha256(verilog(cfg).encode()).hexdigest()[:12]


def yosys_stat(text: str, top: str, nice: int = 10) -> dict:
    """Yosys ``synth_xilinx -family xc7`` of Verilog ``text`` with top module ``top``: parse_stat's
    counts and the run's ``seconds``; RuntimeError with Yosys' message when it fails."""
    with tempfile.TemporaryDirectory(prefix="kws-synth-") as d:
        (Path(d) / f"{top}.v").write_text(text)
        t = time.time()
        r = subprocess.run(["nice", "-n", str(nice), "yosys", "-q", "-p",
                            f"read_verilog {top}.v; synth_xilinx -top {top} -family xc7; tee -o stat.txt stat"],
                           cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"yosys failed on {top}: {r.stderr[-2000:]}")
        res = parse_stat((Path(d) / "stat.txt").read_text())
    res["seconds"] = round(time.time() - t)
    return res


def synth(cfg: AccelConfig) -> dict:
    try:
        return yosys_stat(verilog(cfg), "accel_core")
    except RuntimeError as e:
        raise RuntimeError(f"{cfg.key()}: {e}") from None


# The core's units (attributes of accel.hw.core.AccelCore), in data-flow order, with what each one is.
UNITS = (
    ("seq", "sequencer: descriptor fetch and layer FSM"),
    ("gen", "window generator: implicit-GEMM taps (word mode)"),
    ("bg2", "byte-mode taps, two kernel positions per cycle (1-channel first layer, feature ring)"),
    ("fdw", "fused depthwise lanes: 16 LUT multipliers, 8 accumulators, DW requant lanes"),
    ("dww", "sliding-window depthwise on the array (unfused DW)"),
    ("comp", "compute unit: tap buffer -> array schedule"),
    ("mac", "MAC array: products (DSP48), row adder trees, accumulators"),
    ("post", "post unit: requant lanes, pooling, output packing"),
)


def unit_verilog(cfg: AccelConfig) -> dict:
    """{unit: Verilog of that unit alone}. Its ports: every signal it reads but does not drive (inputs)
    and every interface signal (a public attribute) it drives (outputs), so Yosys keeps exactly the
    logic that reaches an output; the core's own glue (memory ports, bus, muxes between units, access
    counters) is the whole core minus the units."""
    from migen import Array, Signal
    from migen.fhdl.tools import list_signals, list_targets
    from migen.fhdl.verilog import convert

    from accel.hw.core import AccelCore
    core = AccelCore(cfg)
    core.get_fragment()          # finalizes every unit (Migen allows one get_fragment per module)

    def iface(u):
        out = set()

        def add(v):
            if isinstance(v, Signal):
                out.add(v)
            elif isinstance(v, (list, tuple, Array)):
                for x in v:
                    add(x)
            elif isinstance(v, dict):           # the sequencer's decoded descriptor fields
                for x in v.values():
                    add(x)
        for k, v in vars(u).items():
            if not k.startswith("_"):
                add(v)
        return out
    out = {}
    for name, _ in UNITS:
        u = getattr(core, name)
        f = u._fragment
        ins = list_signals(f) - list_targets(f)
        outs = list_targets(f) & iface(u)
        out[name] = str(convert(f, ios=ins | outs, name=name))
    return out


def synth_units(cfg: AccelConfig, h: str, log=print) -> dict:
    """{unit: Yosys synth_xilinx stats} of every unit of ``cfg`` and ``glue`` = whole core - units
    (whole core from the fit/check record when it is for Verilog hash ``h``, else synthesized)."""
    res = {}
    for name, text in unit_verilog(cfg).items():
        try:
            res[name] = yosys_stat(text, name)
        except RuntimeError as e:
            raise RuntimeError(f"unit of {cfg.key()}: {e}") from None
        log(f"  {name}: {res[name]['LUT']} LUT, {res[name]['FF']} FF, {res[name]['DSP']} DSP ({res[name]['seconds']} s)")
    whole = load()["points"].get(cfg.key())
    if not whole or whole.get("verilog") != h:
        log(f"  whole core {cfg.key()} (not in the fit record for this RTL): synthesizing")
        whole = synth(cfg)
    res["glue"] = {q: whole[q] - sum(r[q] for r in res.values()) for q in ("LUT", "LUTRAM", "FF", "DSP")}
    res["glue"]["BRAM"] = whole["BRAM"]          # the memories are the core's (no unit owns one)
    res["core"] = {q: whole[q] for q in ("LUT", "LUTRAM", "FF", "BRAM", "DSP")}
    return res


def units_table(db: dict) -> str:
    """Markdown: LUT / FF / DSP per unit for every configuration with a unit record."""
    recs = db.get("units", {})
    if not recs:
        return "(no unit records: python -m accel.model.synth --units)"
    keys = sorted(recs)
    head = "| unit | " + " | ".join(f"`{k.split('_ad')[0]}` LUT / FF / DSP" for k in keys) + " |"
    lines = [head, "|---|" + "---|" * len(keys)]
    for name, what in UNITS + (("glue", "core glue: memory ports, bus, unit muxes, access counters"),
                               ("core", "whole core (BRAM in the memories)")):
        cells = []
        for k in keys:
            r = recs[k]["stats"][name]
            share = f" ({100 * r['LUT'] / recs[k]['stats']['core']['LUT']:.0f}%)" if name != "core" else ""
            cells.append(f"{r['LUT']:,}{share} / {r['FF']:,} / {r['DSP']}")
        lines.append(f"| `{name}`: {what} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load() -> dict:
    return json.loads(JSON.read_text()) if JSON.exists() else {"yosys": "", "points": {}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m accel.model.synth", description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="configuration keys to (re)run")
    ap.add_argument("--max-runs", type=int, default=None, help="stop after this many Yosys runs")
    ap.add_argument("--jobs", type=int, default=2, help="Yosys runs in parallel while the lock is held")
    ap.add_argument("--no-lock", action="store_true", help="the caller already holds the heavy lock")
    ap.add_argument("--units", nargs="*", metavar="KEY", default=None,
                    help="synthesize each unit of these configurations alone (default: DEFAULT and SMALL) and "
                         "print the per-unit table (docs/dse.md)")
    a = ap.parse_args(argv)
    import fcntl
    if a.units is not None:
        from accel.model.resources import config_from_key
        cfgs = [config_from_key(k) for k in a.units] or [DEFAULT, SMALL]
        if not a.no_lock:
            lock = open(HEAVY_LOCK, "a")
            fcntl.flock(lock, fcntl.LOCK_EX)
        for cfg in cfgs:
            print(f"units of {cfg.key()}:", flush=True)
            h = verilog_hash(cfg)
            stats = synth_units(cfg, h, log=lambda m: print(m, flush=True))
            db = load()
            db.setdefault("units", {})[cfg.key()] = {"verilog": h, "stats": stats}
            JSON.write_text(json.dumps(db, indent=1, sort_keys=True) + "\n")
        print(units_table(load()))
        return 0
    from concurrent.futures import ThreadPoolExecutor
    todo = []
    db = load()
    for role, cfg in POINTS:
        key = cfg.key()
        if a.only and key not in a.only:
            continue
        h = verilog_hash(cfg)
        if db["points"].get(key, {}).get("verilog") == h and not a.only:
            continue
        todo.append((role, cfg, h))
    todo = todo[:a.max_runs] if a.max_runs is not None else todo
    if not a.no_lock:
        lock = open(HEAVY_LOCK, "a")
        fcntl.flock(lock, fcntl.LOCK_EX)     # one heavy job at a time machine-wide: held for the batch
    version = subprocess.run(["yosys", "-V"], capture_output=True, text=True).stdout.strip()

    def one(item):
        role, cfg, h = item
        res = synth(cfg)
        return role, cfg, h, res
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        for role, cfg, h, res in ex.map(one, todo):
            db = load()                   # re-read: another run may have added points meanwhile
            db["yosys"] = version
            db["points"][cfg.key()] = dict(role=role, verilog=h, **res)
            JSON.write_text(json.dumps(db, indent=1, sort_keys=True) + "\n")
            print(f"{role} {cfg.key()}: {res}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

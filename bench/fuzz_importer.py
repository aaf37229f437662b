#!/usr/bin/env python3
"""Fuzz the .tflite importer: mutate zoo models (truncation, bit flips, overwritten ranges, swapped words,
bumped offsets, inserted bytes) and import each. Anything but success or accel.ir.ModelError, or a case
over the time limit, is a crash. A mutated file that still imports is also run through the golden model
(one input): an exception there counts as a golden crash (the importer let through something it should
have refused). Prints the counts; exit status 1 if any crash.

    python bench/fuzz_importer.py [-n 1000] [--seed 0] [--limit 5]
"""
import argparse
import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from accel import golden  # noqa: E402
from accel.tflite_import import load_tflite_bytes  # noqa: E402
from test_accel_import import fuzz_one, mutate  # noqa: E402
from training.zoo import zoo_model  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1000, help="number of mutated files (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=float, default=5.0, help="seconds per case before it counts as a hang")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    sources = [zoo_model(n).read_bytes() for n in ("mlperf", "narrow", "wide", "maxpool", "mean", "valid")]
    counts = Counter()
    crashes = []
    slowest = 0.0
    t0 = time.perf_counter()
    for case in range(args.n):
        data = mutate(sources[case % len(sources)], rng)
        t = time.perf_counter()
        try:
            result = fuzz_one(data, args.limit)
            counts[result] += 1
        except Exception as err:  # noqa: BLE001 - that is what we count
            counts["crash"] += 1
            crashes.append((case, f"{type(err).__name__}: {err}", traceback.format_exc(limit=3)))
            result = "crash"
        if result == "ok":
            try:
                model = load_tflite_bytes(data)
                golden.run(model, rng.integers(-128, 128, model.input.shape, dtype=np.int8))
            except Exception as err:  # noqa: BLE001
                counts["golden_crash"] += 1
                crashes.append((case, f"golden: {type(err).__name__}: {err}", traceback.format_exc(limit=3)))
        slowest = max(slowest, time.perf_counter() - t)
    total = time.perf_counter() - t0
    print(f"cases: {args.n}  imported: {counts['ok']}  refused (ModelError): {counts['refused']}  "
          f"crashes: {counts['crash']}  golden crashes on imported files: {counts['golden_crash']}  slowest case: {slowest * 1e3:.1f} ms  total {total:.1f} s")
    for case, msg, tb in crashes[:10]:
        print(f"crash in case {case}: {msg}\n{tb}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())

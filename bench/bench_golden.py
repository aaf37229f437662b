#!/usr/bin/env python3
"""Golden-model speed: median time of one MLPerf-shaped DS-CNN inference (and a batch), plus the MACs
that `python -m accel inspect` reports.

    python bench/bench_golden.py [--model MODEL.tflite] [-n 50]
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from accel import golden  # noqa: E402
from accel.cli import layer_rows  # noqa: E402
from accel.tflite_import import load_tflite  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="int8 .tflite (default: the zoo's MLPerf-shaped DS-CNN)")
    ap.add_argument("-n", type=int, default=50, help="timed single inferences (default 50)")
    args = ap.parse_args()
    if args.model:
        path = Path(args.model)
    else:
        from training.zoo import zoo_model
        path = zoo_model("mlperf")
    model = load_tflite(path)
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, model.input.shape, dtype=np.int8)
    golden.run(model, x)
    times = []
    for _ in range(args.n):
        t = time.perf_counter()
        golden.run(model, x)
        times.append(time.perf_counter() - t)
    batch = rng.integers(-128, 128, (200,) + tuple(model.input.shape), dtype=np.int8)
    t = time.perf_counter()
    golden.run(model, batch)
    per_batched = (time.perf_counter() - t) / len(batch)
    macs = sum(r["macs"] for r in layer_rows(model))
    print(f"model: {path.name}  layers: {len(model.layers)}  MACs (inspect): {macs} ({macs / 1e6:.2f} M)")
    print(f"golden single inference: median {np.median(times) * 1e3:.2f} ms, min {min(times) * 1e3:.2f} ms "
          f"over {args.n}")
    print(f"golden batched (200 inputs): {per_batched * 1e3:.2f} ms per inference")
    return 0


if __name__ == "__main__":
    sys.exit(main())

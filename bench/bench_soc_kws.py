#!/usr/bin/env python3
"""End-to-end SoC benchmark (a script, not a test), all figures measured in the Verilator SoC:

* cycles per inference, accelerated vs CPU-only (int8 C kernels on the VexRiscv), for the bundled
  model and the MLPerf-shaped DS-CNN (one random input each; cycles from the firmware's timer);
* the KWS app on a bundled clip: mean front-end / accelerator / CPU cycles per 20 ms hop and the share
  of a hop they use at 100 MHz (the app's path is printed: zero-copy = audio by DMA from main RAM into
  the front-end, features written by the front-end into the accelerator's ring, so the CPU only starts
  the DMA and the accelerator, reads the 12 scores and runs softmax + detector);
* simulated cycles per wall-clock second.

  python bench/bench_soc_kws.py [--skip-cpu-only]
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOP_CYCLES_100MHZ = 2_000_000   # 20 ms at 100 MHz


def build(*args):
    t0 = time.time()
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--timeout", "3600", *args],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"error: soc/build.py {' '.join(args)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    sim_s = float(re.search(r"sim ([\d.]+) s", r.stdout).group(1))
    return r.stdout, sim_s, time.time() - t0


def inference_cycles(model, cpu_only):
    from accel.tflite_import import load_tflite
    m = load_tflite(model)
    x = np.random.default_rng(0).integers(-128, 128, tuple(m.input.shape), dtype=np.int8)
    with tempfile.TemporaryDirectory() as d:
        np.save(Path(d) / "x.npy", x)
        out, sim_s, _ = build("--model", str(model), "--input", str(Path(d) / "x.npy"),
                              *(["--cpu-only"] if cpu_only else []))
    cycles = int(re.search(r"^output\[0\]: .* cycles=(\d+)$", out, re.M).group(1))
    return cycles, sim_s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-cpu-only", action="store_true", help="skip the (slow) CPU-only inferences")
    args = ap.parse_args()
    from training.zoo import zoo_model
    models = {}
    bundled = sorted((ROOT / "models").glob("*.tflite"))
    if bundled:
        models["bundled"] = bundled[0]
    models["mlperf"] = zoo_model("mlperf")

    print("== cycles per inference in the SoC (input write + run + output read + softmax)")
    for name, path in models.items():
        acc, _ = inference_cycles(path, cpu_only=False)
        line = f"{name:8s} accelerated {acc:>12,d}"
        if not args.skip_cpu_only:
            cpu, sim_s = inference_cycles(path, cpu_only=True)
            line += f"   CPU-only {cpu:>13,d}   speedup {cpu / acc:7.1f}x   ({cpu / sim_s:,.0f} sim cycles/s)"
        print(line, flush=True)

    clips = sorted((ROOT / "models" / "clips").glob("*.wav"))
    if bundled and clips:
        out, sim_s, _ = build("--app", "kws", "--wav", str(clips[0]))
        m = re.search(r"kws: \d+ detection\(s\) in (\d+) frames; mean cycles per hop: front-end (\d+), "
                      r"accelerator (\d+), cpu (\d+)", out)
        frames, fe, acc, cpu = map(int, m.groups())
        total = fe + acc + cpu
        path = re.search(r"^kws: front-end mode \d+ \((.*)\), \d+ classes", out, re.M).group(1)
        print(f"== KWS app on {clips[0].name}: {frames} hops ({path})")
        print(f"per hop: front-end {fe:,d} + accelerator {acc:,d} + CPU {cpu:,d} = {total:,d} cycles "
              f"= {100 * total / HOP_CYCLES_100MHZ:.2f}% of a 20 ms hop at 100 MHz")
        print(f"simulation speed: {frames * total / sim_s:,.0f} simulated cycles per wall second "
              f"({sim_s:.1f} s for {frames * 0.02:.2f} s of audio)")


if __name__ == "__main__":
    main()

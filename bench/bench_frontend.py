"""Front-end benchmark: RTL cycles per 320-sample hop (Icarus simulation of the generated Verilog) per
mode, and the golden model's time per 1 s clip (single clip and batched).

    python bench/bench_frontend.py [--seconds 1.0] [--batch 256]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from frontend import format as F  # noqa: E402
from frontend import golden as G  # noqa: E402
from frontend import signals as S  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=1.0, help="audio simulated per mode in the RTL")
    ap.add_argument("--batch", type=int, default=256, help="clips in the batched golden timing")
    ap.add_argument("--no-rtl", action="store_true")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    clip = S.noise(1.0, -20.0, rng)
    print("golden model (numpy, single thread), 1 s clip -> 49 frames; process CPU time (the machine is\n"
          "shared: wall time mostly measures the neighbours), single clip best/median of 30, batch best of 3:")
    for mode in F.MODES:
        G.features(clip, mode)
        ts = []
        for _ in range(30):
            t = time.process_time()
            G.features(clip, mode)
            ts.append(time.process_time() - t)
        batch = np.stack([S.noise(1.0, -20.0, rng) for _ in range(args.batch)])
        tbs = []
        for _ in range(3):
            t = time.process_time()
            G.features(batch, mode)
            tbs.append((time.process_time() - t) / args.batch)
        tb = min(tbs)
        print(f"  {mode:7s} single: best {min(ts) * 1e3:6.2f} ms  median {np.median(ts) * 1e3:6.2f} ms   "
              f"batch of {args.batch}: {tb * 1e3:6.2f} ms/clip")

    if args.no_rtl:
        return 0
    from frontend.hw import sim
    if not sim.have_icarus():
        print("RTL: iverilog not installed, skipped")
        return 0
    n = int(args.seconds * F.SAMPLE_RATE) // F.HOP * F.HOP
    audio = np.concatenate([S.speech()[: n // 2] if S.have_espeak() else S.noise(0.5), S.stress_mix(0.1, rng)])[:n]
    print(f"RTL (Icarus, generated Verilog), {n / F.SAMPLE_RATE:.2f} s of audio per mode, input at full rate:")
    for mode in F.MODES:
        t = time.perf_counter()
        frames, cycles = sim.run_icarus(audio, mode)
        wall = time.perf_counter() - t
        ok = np.array_equal(frames, G.features(audio, mode))
        print(f"  {mode:7s} cycles per hop: min {cycles.min()} max {cycles.max()}  "
              f"(required <= 100000, goal <= 5000)  frames {len(frames)}  bit-exact {ok}  [{wall:.1f} s wall]")
    print("  (cycles counted from the hop's last sample to the frame's last feature write; the 320 sample\n"
          "   writes themselves take 320 cycles and overlap the previous frame's processing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

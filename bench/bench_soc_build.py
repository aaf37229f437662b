#!/usr/bin/env python3
"""Time `soc/build.py --board sim` from scratch vs after a firmware-only change.

Prints both wall times, their ratio and build.py's own phase times. Uses a fresh output directory
(default: a temporary one) so the first run really generates and verilates the SoC.

  python bench/bench_soc_build.py [--output-dir DIR]
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_build(out, *extra):
    t0 = time.time()
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim",
                        "--output-dir", str(out), *extra], capture_output=True, text=True)
    dt = time.time() - t0
    phases = re.findall(r"phase times: (.*)", r.stdout)
    return dt, r.returncode, phases[-1] if phases else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output-dir", default=None)
    args = ap.parse_args()
    out = Path(args.output_dir or tempfile.mkdtemp(prefix="kws-bench-"))
    shutil.rmtree(out, ignore_errors=True)
    first, rc1, ph1 = timed_build(out)
    # Firmware-only change: the selftest is rebuilt with other defines, so the ROM image differs.
    second, rc2, ph2 = timed_build(out, "--selftest-mode", "fail")
    print(f"first build + run (generate + verilate + firmware + sim): {first:.1f} s  [{ph1}]  exit {rc1}")
    print(f"after a firmware-only change (no re-verilation):          {second:.1f} s  [{ph2}]  exit {rc2}")
    print(f"ratio: {100 * second / first:.1f}% of the first run")
    if not args.output_dir:
        shutil.rmtree(out, ignore_errors=True)
    return 0 if rc1 == 0 and rc2 == 1 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build the KWS SoC and its firmware; on the simulated board, run it in Verilator.

  python soc/build.py --board sim [--app kws]     # gateware (cached) + firmware + Verilator run
  python soc/build.py --board arty [--variant a7-35] [--build] [--load]
  python soc/build.py --board nexys_a7 [--build] [--load]  # on-board PDM microphone
  python soc/build.py --board ulx3s [--variant 45f] [--build] [--load]   # open ECP5 flow (YoWASP)

The phases live in soc/flow/ (one module each; each returns what the next one takes):
  gateware  LiteX SoC -> Verilog (+ Verilator model on sim), cached on a hash of the design sources.
  firmware  firmware/ for rv32im with the app's generated headers, written into the ROM's .init file
            (read when the simulation or Vivado starts: a firmware change never re-verilates).
  sim       obj_dir/Vsim with the UART on the terminal (or a TCP socket the clip is streamed into,
            --audio uart); exits with the firmware's status. --timeout bounds it.
"""
from __future__ import annotations

import sys
import time

# The repo is installed (editable) in the venv by scripts/setup.sh: no sys.path edits needed.
from kws.cli import (ArgumentParser, accel_config_file, float_range, int_range, positive_float, positive_int,
                     pow2_bytes, run_main)

from boards import BOARDS  # noqa: E402


def parse_args(argv=None):
    p = ArgumentParser(description="Build the KWS SoC + firmware; run it in Verilator (--board sim) or write "
                                   "the FPGA project (--board arty, nexys_a7, ulx3s). Options an app or board does not use are "
                                   "refused. Defaults in parentheses.")
    p.add_argument("--board", default="sim", help=f"target board: {', '.join(BOARDS)}")
    p.add_argument("--variant", default=None,
                   help="FPGA board variant (arty: a7-100, the default, or a7-35; see reports/arty/resources-*.md; "
                        "ulx3s: 85f, the default, or 45f/25f/12f; sim: ulx3s or a7-35, the simulated SoC with "
                        "that board's accelerator and memory sizes)")
    p.add_argument("--sys-clk-freq", type=float_range(1e6, 1e9), default=None,
                   help="system clock frequency (Hz; the board's: sim and arty 100 MHz, nexys_a7 75 MHz, ulx3s 25 MHz)")
    p.add_argument("--toolchain", default=None, help="FPGA toolchain (arty): vivado (default) or yosys+nextpnr; "
                                                      "ulx3s: trellis (the only one)")
    p.add_argument("--build", action="store_true", help="FPGA: run the toolchain to make a bitstream")
    p.add_argument("--load", action="store_true", help="FPGA: program the board with openFPGALoader")
    p.add_argument("--output-dir", default=None, help="build directory (default build/<board>)")
    p.add_argument("--integrated-rom-size", type=pow2_bytes(16 * 1024, 1024 * 1024), default=None, metavar="BYTES",
                   help="on-chip ROM for firmware + model (power of two, 16 KiB..1 MiB, e.g. 131072 or 128k; "
                        "FPGA boards 64k, sim 256k): raise it for a larger model, lower it to save block RAM")
    p.add_argument("--accel-config", type=accel_config_file, default=None,
                   help="accelerator configuration JSON (python -m accel.dse writes one; default: the board's "
                        "accel_config, else accel.hw.config.DEFAULT)")
    g = p.add_argument_group("firmware application")
    g.add_argument("--app", default=None, help="firmware/src/app_<name>.c: selftest (sim default), features, "
                                               "infer (default with --input), kws (FPGA default)")
    g.add_argument("--selftest-mode", choices=["pass", "fail", "hang"], default=None,
                   help="selftest: normal (default), report a wrong answer, or never finish (to test the flow)")
    g.add_argument("--wav", nargs="+", default=None,
                   help="features/kws on sim: audio clip(s), in main RAM or streamed (--audio uart), played one "
                        "after the other with --gap s of silence between; kws default: six bundled clips")
    g.add_argument("--gap", type=float_range(0, 60), default=None,
                   help="features/kws: seconds of silence between the clips and after the last (kws 0.5, else 0)")
    g.add_argument("--audio", choices=["mem", "uart", "i2s"], default=None,
                   help="features/kws audio source: mem (sim: clips in main RAM; default), uart (frames over the "
                        "console UART: soc/stream_wav.py on a board, this script on sim), i2s (microphone; FPGA default)")
    g.add_argument("--mode", choices=["logmel", "pcen", "mfcc"], default=None,
                   help="features: front-end mode (logmel); kws takes it from the model")
    g.add_argument("--model", default=None, help="infer/kws: int8 .tflite model (kws: the bundled one)")
    g.add_argument("--input", default=None, help="infer: int8 .npy input tensor(s) fed straight to the model; "
                                                 "prints outputs like `python -m accel run`")
    g.add_argument("--cpu-only", action="store_true", help="infer/kws: the CPU's int8 kernels (and front-end C port)")
    g.add_argument("--threshold", type=float_range(0, 1, lo_open=True), default=None,
                   help="kws: smoothed probability to report a keyword (0.7)")
    g.add_argument("--smooth-hops", type=int_range(1, 32), default=None,
                   help="kws: posterior averaging window in 20 ms hops (25: a word stays ~0.5 s in the window)")
    g.add_argument("--refractory", type=float_range(0, 60), default=None,
                   help="kws: seconds after a detection with no other (1.0)")
    g.add_argument("--trace-outputs", action="store_true", help="kws: print every inference's int8 outputs")
    g.add_argument("--inject-fault", choices=["bad-desc", "timeout", "stuck"], default=None,
                   help="kws, for tests: make the accelerator fail at inference 3 (firmware KWS_INJECT_FAULT)")
    s = p.add_argument_group("simulation")
    s.add_argument("--timeout", type=positive_float, default=None, help="sim: wall-clock seconds before giving up (600)")
    s.add_argument("--jobs", type=positive_int, default=None, help="sim: parallel jobs for the Verilator build (2)")
    s.add_argument("--no-run", action="store_true", help="sim: build everything but do not simulate")
    p.add_argument("--rebuild-gateware", action="store_true", help="ignore the gateware cache")
    p.add_argument("--verbose", action="store_true", help="full LiteX/compiler output; tracebacks on errors")
    return p.parse_args(argv)


def run(args) -> int:
    from boards import get_board
    from soc.flow import BuildError, log
    from soc.flow.app_headers import app_headers
    from soc.flow.clips import default_clips, load_clips, summarize_detections
    from soc.flow.firmware import build_firmware, write_main_ram
    from soc.flow.gateware import gateware
    from soc.flow.plan import make_plan
    from soc.flow.tools import check_tools, venv_tools_on_path

    def check_main_ram(n_samples, ram_bytes):
        from soc.audio import check_fits
        try:
            check_fits(n_samples, ram_bytes)
        except ValueError as e:
            raise BuildError(str(e))
    try:
        board = get_board(args.board, variant=args.variant, toolchain=args.toolchain)
    except ValueError as e:
        raise BuildError(str(e))
    if args.integrated_rom_size is not None:
        board.rom_size = args.integrated_rom_size
    plan = make_plan(args, board)            # every option checked before anything is touched
    venv_tools_on_path()
    check_tools(board.name)
    audio = None
    if plan.is_sim and plan.app in ("features", "kws"):
        audio = load_clips(plan.wavs or default_clips(), plan.gap)
        where = "to stream over the UART" if plan.audio == "uart" else "loaded into main RAM"
        if plan.audio == "mem":
            check_main_ram(len(audio.samples), board.main_ram_size)
        log(f"audio: {len(audio.spans)} clip(s), {audio.seconds:.2f} s {where}")
    fw_dir = plan.out / "firmware"
    appb = app_headers(plan, fw_dir / "gen")  # the model and --input are checked here, before the long phases

    times, t0 = {}, time.time()
    gw = gateware(plan, board)
    times["gateware"], t0 = time.time() - t0, time.time()
    build_firmware(plan, appb, gw, fw_dir)
    write_main_ram(gw, audio if plan.audio == "mem" else None)
    times["firmware"], t0 = time.time() - t0, time.time()
    code = 0
    if plan.run:
        from soc.flow.sim import run_sim
        log("sim: running (UART follows)")
        try:
            res = run_sim(gw, plan.timeout, plan.verbose, stream=audio.samples if plan.audio == "uart" else None)
        finally:
            times["sim"] = time.time() - t0
        if plan.app == "kws" and audio is not None:
            summarize_detections(res.detections, audio.spans)
        code = res.code
    elif not plan.is_sim:
        from soc.flow.fpga import fpga_steps
        fpga_steps(plan, board, gw)
    log("phase times: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    if plan.run:
        log(f"firmware exit status: {code}")
    return code


def main(argv=None):
    args = parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())

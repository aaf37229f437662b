"""Options -> Plan: every default and every check of ``soc/build.py``'s options, before any work.

An option the chosen app or board does not use is an error, never silently ignored (``--wav`` with
the self-test, ``--toolchain`` on the simulator, ...). The Plan is what the phases read; nothing is
written back onto the argparse namespace.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from kws import pipeline as P
from soc.audio import AUDIO_SOURCES  # noqa: F401  (re-exported for the firmware phase)
from soc.c_headers import DETECT_MAX_WINDOW as KWS_MAX_WINDOW
from soc.flow import ROOT, BuildError

APPS = ("selftest", "features", "infer", "kws")
FPGA_BOARDS = ("arty", "nexys_a7", "ulx3s")
CLIP_GAP_S = 0.5

# The options each app reads (argparse dest names). Everything else app-specific is refused.
APP_OPTIONS = {
    "selftest": {"selftest_mode"},
    "features": {"wav", "gap", "audio", "mode"},
    "infer": {"model", "input", "cpu_only"},
    "kws": {"wav", "gap", "audio", "model", "cpu_only", "threshold", "smooth_hops", "refractory", "trace_outputs",
            "inject_fault"},
}
APP_SPECIFIC = set().union(*APP_OPTIONS.values())
SIM_ONLY = {"timeout", "no_run", "jobs"}
FPGA_ONLY = {"toolchain", "build", "load"}   # --variant on sim: an FPGA board's configuration (boards/sim.py)
# The detector's defaults are kws.pipeline's, which `python -m kws listen` uses too.
DETECTOR_DEFAULTS = {"threshold": P.DEFAULT_THRESHOLD, "smooth_hops": P.DEFAULT_SMOOTH_HOPS,
                     "refractory": P.DEFAULT_REFRACTORY}


def flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class Detector:
    threshold: float
    smooth_hops: int
    refractory: float


@dataclasses.dataclass(frozen=True)
class Plan:
    board: str
    variant: str | None
    sys_clk_freq: float         # --sys-clk-freq, else the board's default_sys_clk_freq
    toolchain: str | None
    out: Path
    app: str
    selftest_mode: str
    wavs: tuple
    gap: float
    audio: str
    mode: str | None            # features app; kws takes it from the model
    model: Path | None          # infer/kws (kws: the bundled model by default)
    input: Path | None
    cpu_only: bool
    detector: Detector
    trace_outputs: bool
    inject_fault: str | None    # kws, tests only: bad-desc | timeout | stuck (-DKWS_INJECT_FAULT=1|2|3)
    timeout: float
    jobs: int
    run: bool
    build: bool
    load: bool
    rebuild_gateware: bool
    verbose: bool
    # the accelerator built into the SoC and compiled for: --accel-config, else the board's
    # ``accel_config`` attribute, else accel.hw.config.DEFAULT
    accel_config: object = None

    @property
    def is_sim(self) -> bool:
        return self.board == "sim"


def _given(args, dest) -> bool:
    v = getattr(args, dest)
    return v not in (None, False)


def make_plan(args, board) -> Plan:
    """Resolve defaults and refuse every combination that would be ignored or cannot work
    (``board``: the object boards.get_board made for --board/--variant)."""
    sim = board.name == "sim"
    app = args.app or ("infer" if args.input else ("selftest" if sim else "kws"))
    if app not in APPS:
        apps = sorted(p.stem[4:] for p in (ROOT / "firmware" / "src").glob("app_*.c"))
        raise BuildError(f"unknown firmware app {app!r}; available: {', '.join(apps)}")

    # The audio source first: whether a board can have it at all says more than which app ignores it.
    audio = args.audio or ("mem" if sim else "i2s")
    if audio == "mem" and not sim:
        raise BuildError("--audio mem is the simulation's clip in main RAM; on a board use --audio i2s or uart")
    if audio == "i2s" and sim:
        raise BuildError("the simulated board has no microphone; use --audio mem or uart")
    if audio == "i2s" and args.cpu_only:
        raise BuildError("the microphone (I2S or PDM) feeds the hardware front-end; --cpu-only takes --audio uart")
    unused = sorted(d for d in APP_SPECIFIC - APP_OPTIONS[app] if _given(args, d))
    if unused:
        hint = {"wav": "; --wav is for the audio apps: add --app kws or --app features",
                "input": "; --input is for the infer app (--app infer)",
                "mode": "; --mode is for the features app (kws takes the front-end mode from the model)"}
        why = next((hint[d] for d in unused if d in hint), "")
        default = " (the default on this board)" if args.app is None else ""
        raise BuildError(f"{', '.join(flag(d) for d in unused)}: not used by the {app} app{default}{why}")
    wrong_board = sorted(d for d in (FPGA_ONLY if sim else SIM_ONLY) if _given(args, d))
    if wrong_board:
        where = f"FPGA boards (--board {' or '.join(FPGA_BOARDS)})" if sim else "the simulator (--board sim)"
        raise BuildError(f"{', '.join(flag(d) for d in wrong_board)}: only used on {where}")

    if app in ("features", "kws"):
        if args.wav and not sim:
            raise BuildError("--wav loads clips into the simulated SoC; on a board stream them with "
                             "soc/stream_wav.py (--audio uart)")
        if app == "features" and not args.wav and sim:
            raise BuildError("the features app needs --wav CLIP.wav")
    if args.inject_fault and args.cpu_only:
        raise BuildError("--inject-fault makes the accelerator fail; it is not used with --cpu-only")
    if app == "infer" and (not args.model or not args.input):
        raise BuildError("the infer app needs --model MODEL.tflite and --input X.npy")
    for dest in ("model", "input"):
        p = getattr(args, dest)
        if p and not Path(p).is_file():
            raise BuildError(f"{flag(dest)} {p}: " + ("is a directory, not a file" if Path(p).is_dir() else "no such file"))
    for w in args.wav or ():
        if not Path(w).is_file():
            raise BuildError(f"--wav {w}: " + ("is a directory, not a file" if Path(w).is_dir() else "no such file"))
    det = Detector(*(getattr(args, k) if getattr(args, k) is not None else v for k, v in DETECTOR_DEFAULTS.items()))
    if det.smooth_hops > KWS_MAX_WINDOW:
        raise BuildError(f"--smooth-hops {det.smooth_hops}: the firmware's detector averages at most "
                         f"{KWS_MAX_WINDOW} hops (KWS_MAX_WINDOW, soc/c_headers.py)")
    name = board.name if board.variant is None else f"{board.name}-{board.variant}"
    out = Path(args.output_dir).resolve() if args.output_dir else ROOT / "build" / name
    if out.exists() and not out.is_dir():
        raise BuildError(f"--output-dir {args.output_dir} exists and is not a directory")
    if args.build and getattr(board, "toolchain", None) == "trellis":
        _check_yowasp_can_read(out)
    sys_clk_freq = float(args.sys_clk_freq if args.sys_clk_freq is not None else board.default_sys_clk_freq)
    return Plan(board=board.name, variant=getattr(board, 'variant', None), sys_clk_freq=sys_clk_freq,
                toolchain=args.toolchain, out=out, app=app, selftest_mode=args.selftest_mode or "pass",
                wavs=tuple(args.wav or ()), gap=args.gap if args.gap is not None else (CLIP_GAP_S if app == "kws" else 0.0),
                audio=audio, mode=(args.mode or "logmel") if app == "features" else None,
                model=Path(args.model) if args.model else None, input=Path(args.input) if args.input else None,
                cpu_only=bool(args.cpu_only), detector=det, trace_outputs=bool(args.trace_outputs),
                inject_fault=args.inject_fault,
                timeout=args.timeout if args.timeout is not None else 600.0,
                jobs=args.jobs if args.jobs is not None else 2, run=sim and not args.no_run,
                build=bool(args.build), load=bool(args.load), rebuild_gateware=bool(args.rebuild_gateware),
                verbose=bool(args.verbose), accel_config=_accel_config(args, board))


def _accel_config(args, board):
    from accel.hw.config import DEFAULT
    cfg = getattr(args, "accel_config", None) or getattr(board, "accel_config", None) or DEFAULT
    if getattr(args, "accel_config", None) and args.cpu_only:
        raise BuildError("--accel-config sizes the accelerator; it is not used with --cpu-only")
    return cfg


def _check_yowasp_can_read(out: Path):
    """The YoWASP tools (WebAssembly) mount a private temporary directory of their own at /tmp, so a
    project, a checkout or a venv under /tmp is invisible to them: Yosys would stop with 'file not
    found' after the gateware phase. Refused here instead, in one line."""
    import sys
    for what, p in (("--output-dir", out), ("the checkout", ROOT), ("the venv", Path(sys.prefix))):
        parts = Path(p).resolve().parts
        if len(parts) > 1 and parts[1] == "tmp":
            raise BuildError(f"{what} {p} is under /tmp, which the YoWASP tools (Yosys, nextpnr) replace with "
                             f"a private /tmp of their own: build outside /tmp (e.g. --output-dir build/ulx3s)")

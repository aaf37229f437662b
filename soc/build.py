#!/usr/bin/env python3
"""Build the KWS SoC and its firmware; on the simulated board, run it in Verilator.

  python soc/build.py --board sim                  # gateware (cached) + firmware + Verilator run
  python soc/build.py --board arty [--variant a7-35] [--build] [--load]

Phases and what they cache (in --output-dir, default build/<board>):
  gateware  LiteX SoC -> Verilog (+ Verilator model on sim). Skipped when the options and the repo
            modules the SoC imported are unchanged (recorded in .gateware-meta.json). The firmware
            lives in the ROM's .init file, which the simulation (and Vivado) read when they start,
            so a firmware-only change never re-verilates.
  firmware  firmware/ built with LiteX's generated headers for rv32im, written into the ROM .init.
  sim       obj_dir/Vsim, UART streamed to the terminal; ends when the firmware writes sim_finish
            and exits with the firmware's status (its "KWS_EXIT=<n>" line). --timeout bounds it.
            With --audio uart the UART is a TCP socket instead (soc/sim_modules/serial2tcp_fc): this
            script streams the clip(s) into it as soc/stream_wav.py does to a board, and prints what
            the firmware sends back.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from boards import BOARDS  # noqa: E402

VERILATOR_LOCK = "/tmp/kws-verilator.lock"
EXIT_MARK = "KWS_EXIT="
EXIT_RE = re.compile(re.escape(EXIT_MARK) + r"(-?\d+)")
DETECT_RE = re.compile(r"^detect: (\S+) conf=(\d+)/255 t=(\d+)ms")
# Lines the Verilator harness prints itself (module loading, $finish): shown only with --verbose.
SIM_BANNER_RE = re.compile(r"^\[\w+\] (loaded|sys_clk:)|Verilog \$finish|^\[warn\] Epoll")
CLIP_GAP_S = 0.5
AUDIO_SOURCES = ("mem", "uart", "i2s")   # firmware/src/audio_src.h AUDIO_SRC_* in this order
SELFTEST_BYTES = 4096
SELFTEST_SEED = 20261123


class BuildError(Exception):
    """One line: what went wrong and what to do."""


def log(msg):
    print(f"[build] {msg}", flush=True)


# Arguments ---------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + traceback
        print(f"error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def parse_args(argv=None):
    p = _Parser(description="Build the KWS SoC + firmware; run it in Verilator (--board sim) or write "
                            "the Vivado project (--board arty).",
                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--board", default="sim", help=f"target board: {', '.join(BOARDS)}")
    p.add_argument("--variant", default=None,
                   help="board variant (arty: a7-100, the default, or a7-35, which the default accelerator "
                        "does not fit: see reports/arty/resources.md)")
    p.add_argument("--sys-clk-freq", type=float, default=100e6, help="system clock frequency (Hz)")
    p.add_argument("--toolchain", default="vivado", help="FPGA toolchain (arty): vivado or yosys+nextpnr")
    p.add_argument("--build", action="store_true", help="arty: run the FPGA toolchain to make a bitstream")
    p.add_argument("--load", action="store_true", help="arty: program the board with openFPGALoader")
    p.add_argument("--output-dir", default=None, help="build directory (default build/<board>)")
    p.add_argument("--app", default=None,
                   help="firmware application (firmware/src/app_<name>.c); default: selftest on sim, kws on arty")
    p.add_argument("--selftest-mode", choices=["pass", "fail", "hang"], default="pass",
                   help="selftest app: normal, report a wrong answer, or never finish (to test the flow)")
    p.add_argument("--wav", nargs="+", default=None,
                   help="sim: audio clip(s) for the firmware, in main RAM or streamed (--audio uart); several "
                        "play one after the other with --gap seconds of silence between; kws default: the "
                        "bundled clips")
    p.add_argument("--gap", type=float, default=None,
                   help=f"sim: seconds of silence between the --wav clips and after the last one (a word at "
                        f"the end of a clip needs some hops in the model's window to be detected); default "
                        f"{CLIP_GAP_S} for the kws app, else 0")
    p.add_argument("--audio", choices=AUDIO_SOURCES, default=None,
                   help="where the firmware's audio comes from: mem (sim: the --wav clips in main RAM), uart "
                        "(frames streamed over the console UART: soc/stream_wav.py on a board; in sim this "
                        "script streams --wav), i2s (the board's I2S microphone). Default: sim mem, arty i2s")
    p.add_argument("--mode", choices=["logmel", "pcen", "mfcc"], default="logmel",
                   help="front-end feature mode used by the firmware")
    p.add_argument("--model", default=None, help="int8 .tflite model for the firmware (default: the bundled one)")
    p.add_argument("--input", default=None,
                   help="int8 .npy input tensor(s) fed straight to the model (bypassing the front-end); "
                        "prints outputs like `python -m accel run`")
    p.add_argument("--cpu-only", action="store_true", help="run the model with the CPU's int8 kernels only")
    p.add_argument("--threshold", type=float, default=0.7, help="kws: smoothed probability to report a keyword")
    p.add_argument("--smooth-hops", type=int, default=25,
                   help="kws: posterior averaging window in 20 ms hops (a word stays visible to the model for "
                        "~0.5 s as it slides through the 1 s window; brief partial-word confusions average out)")
    p.add_argument("--refractory", type=float, default=1.0, help="kws: seconds after a detection with no other")
    p.add_argument("--trace-outputs", action="store_true",
                   help="kws: print every inference's int8 output vector (to compare builds)")
    p.add_argument("--timeout", type=float, default=600.0, help="sim: wall-clock seconds before giving up")
    p.add_argument("--jobs", type=int, default=2, help="parallel jobs for the Verilator build")
    p.add_argument("--no-run", action="store_true", help="sim: build everything but do not simulate")
    p.add_argument("--rebuild-gateware", action="store_true", help="ignore the gateware cache")
    p.add_argument("--verbose", action="store_true", help="show LiteX's and the compilers' full output")
    args = p.parse_args(argv)
    if args.app is None:
        args.app = "infer" if args.input else ("kws" if args.board == "arty" else "selftest")
    if args.gap is None:
        args.gap = CLIP_GAP_S if args.app == "kws" else 0.0
    if args.board not in BOARDS:
        p.error(f"unknown board {args.board!r}; choose one of: {', '.join(BOARDS)}")
    if args.board != "arty" and (args.build or args.load):
        p.error("--build/--load apply to FPGA boards (--board arty); --board sim always builds and runs")
    if args.audio is None:
        args.audio = "mem" if args.board == "sim" else "i2s"
    if args.audio == "mem" and args.board != "sim":
        p.error("--audio mem is the simulation's clip in main RAM; on a board use --audio i2s or uart")
    if args.audio == "i2s" and args.board == "sim":
        p.error("the simulated board has no microphone; use --audio mem or uart")
    if args.audio == "i2s" and args.cpu_only:
        p.error("the I2S microphone feeds the hardware front-end; --cpu-only takes --audio uart")
    return args


# Toolchain checks ---------------------------------------------------------------------------------

def check_tools(board_name):
    need = {"make": "make", "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf"}
    if board_name == "sim":
        need.update({"verilator": "verilator", "g++": "g++"})
    missing = [f"{tool} (Debian: {pkg})" for tool, pkg in need.items() if shutil.which(tool) is None]
    if missing:
        raise BuildError(f"missing toolchain: {', '.join(missing)}; run scripts/setup.sh to install it")


# Gateware -----------------------------------------------------------------------------------------

def gateware_stamp(args, board, sources):
    """Hash of the options and of every repo source the SoC construction imported."""
    h = hashlib.sha256()
    import litex
    h.update(json.dumps({"board": board.name, "variant": getattr(board, "variant", None),
                         "sys_clk_freq": args.sys_clk_freq, "toolchain": args.toolchain,
                         "litex": str(Path(litex.__file__).parent)}, sort_keys=True).encode())
    for rel in sorted(sources):
        f = ROOT / rel
        h.update(rel.encode())
        h.update(f.read_bytes() if f.exists() else b"<missing>")
    return h.hexdigest()[:16]


def _repo_modules():
    """Repo Python files currently imported (the gateware's design sources), build.py excluded."""
    files = set()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if not f:
            continue
        p = Path(f).resolve()
        if p.is_relative_to(ROOT) and ".venv" not in p.parts and p != Path(__file__).resolve():
            files.add(str(p.relative_to(ROOT)))
    return sorted(files)


def build_gateware(args, board, out):
    """Generate the SoC (Verilog, headers, LiteX software libraries) and, on sim, the Verilator model."""
    from litex.soc.integration.builder import Builder

    from soc.soc import KWSSoC

    def generate():
        soc = KWSSoC(board, sys_clk_freq=args.sys_clk_freq)
        builder = Builder(soc, output_dir=str(out), compile_gateware=False, compile_software=True,
                          csr_json=str(out / "csr.json"))
        if board.name == "sim":
            builder.build(sim_config=board.sim_config(int(args.sys_clk_freq)), run=False,
                          jobs=args.jobs, opt_level="O3", interactive=False)
        else:
            builder.build(run=False)
        return soc

    log(f"gateware: generating the LiteX SoC for {board.name} (log: {out / 'gateware.log'})")
    soc = _quiet_call(generate, args.verbose, out / "gateware.log")
    (out / "memory-map.md").write_text(memory_map_markdown(json.loads((out / "csr.json").read_text()), board.name))
    meta = {"build_name": "sim" if board.name == "sim" else soc.platform.name,
            "rom_size": soc.integrated_rom_size,
            "main_ram_size": soc.integrated_main_ram_size,
            "sources": _repo_modules()}
    if board.name == "sim":
        gw = out / "gateware"
        log("verilating the SoC (one-time per design change)...")
        cmd = ["flock", VERILATOR_LOCK, "bash", "build_sim.sh"]
        r = subprocess.run(cmd, cwd=gw, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            tail = "\n".join(r.stdout.splitlines()[-30:])
            print(tail, file=sys.stderr)
            raise BuildError(f"Verilator build failed (log above; full script: {gw / 'build_sim.sh'})")
        if args.verbose:
            print(r.stdout)
    return meta


def _quiet_call(fn, verbose, log_path: Path, **kwargs):
    """Run a LiteX step with its output (Python and the make/meson children) in ``log_path``."""
    if verbose:
        return fn(**kwargs)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "w") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            return fn(**kwargs)
        except Exception as e:
            print(f"{type(e).__name__}: {e}", flush=True)
            raise BuildError(f"LiteX gateware generation failed; see {log_path}") from None
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def memory_map_markdown(csr: dict, board: str) -> str:
    """docs/memory-map.md from LiteX's csr.json: bus regions, CSR registers, interrupts."""
    lines = [f"# Memory map ({board} board)", "",
             f"Generated from the SoC by `python soc/build.py --board {board}` (build/{board}/memory-map.md);",
             "tests/test_soc_sim.py checks that this copy is current.", "", "## Bus regions", "",
             "| region | base | size | cached |", "| --- | --- | --- | --- |"]
    for name, m in sorted(csr.get("memories", {}).items(), key=lambda kv: kv[1]["base"]):
        lines.append(f"| {name} | 0x{m['base']:08x} | 0x{m['size']:x} | {'no' if m.get('type') == 'io' else 'yes'} |")
    lines += ["", "## Interrupts", "", "| irq | source |", "| --- | --- |"]
    irqs = {k[:-len("_interrupt")]: v for k, v in csr.get("constants", {}).items()
            if k.endswith("_interrupt") and not k.startswith("config_") and isinstance(v, int)}
    lines += [f"| {v} | {k} |" for k, v in sorted(irqs.items(), key=lambda kv: kv[1])]
    lines += ["", "## CSR registers", "", "| register | address | words | access |", "| --- | --- | --- | --- |"]
    for name, r in sorted(csr.get("csr_registers", {}).items(), key=lambda kv: kv[1]["addr"]):
        lines.append(f"| {name} | 0x{r['addr']:08x} | {r['size']} | {r['type']} |")
    return "\n".join(lines) + "\n"


# Firmware -----------------------------------------------------------------------------------------

def selftest_table():
    """The host-side known answer: a pseudo-random table, its CRC-32 and a signed-byte MAC."""
    import random
    rnd = random.Random(SELFTEST_SEED)
    data = bytes(rnd.randrange(256) for _ in range(SELFTEST_BYTES))
    crc = zlib.crc32(data) & 0xFFFFFFFF
    sb = [b - 256 if b > 127 else b for b in data]
    mac = sum(sb[i] * sb[i + 1] for i in range(0, len(sb) - 1, 2))
    return data, crc, mac


def write_selftest_header(gen_dir: Path):
    data, crc, mac = selftest_table()
    rows = ",\n".join("\t" + ", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16))
    text = (f"/* Generated by soc/build.py: do not edit. Seed {SELFTEST_SEED}. */\n"
            f"#include <stdint.h>\n#define SELFTEST_CRC32 0x{crc:08x}u\n#define SELFTEST_MAC ({mac})\n"
            f"static const uint8_t selftest_data[{len(data)}] = {{\n{rows}\n}};\n")
    _write_if_changed(gen_dir / "selftest_data.h", text)


def _write_if_changed(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def build_firmware(args, out, meta):
    fw_out = out / "firmware"
    gen = fw_out / "gen"
    fw_out.mkdir(parents=True, exist_ok=True)
    app_src = ROOT / "firmware" / "src" / f"app_{args.app}.c"
    if not app_src.exists():
        apps = sorted(p.stem[4:] for p in (ROOT / "firmware" / "src").glob("app_*.c"))
        raise BuildError(f"unknown firmware app {args.app!r}; available: {', '.join(apps)}")
    write_selftest_header(gen)
    with_model = prepare_model(args, gen)
    from soc.audio import c_header
    _write_if_changed(gen / "audio_image.h", c_header())
    mode = {"pass": 0, "fail": 1, "hang": 2}[args.selftest_mode]
    fe_mode = {"logmel": 0, "pcen": 1, "mfcc": 2}[args.mode]
    defines = (f"-DSELFTEST_MODE={mode} -DFEATURE_MODE={fe_mode} -DAUDIO_SRC={AUDIO_SOURCES.index(args.audio)}"
               + (" -DCPU_ONLY" if args.cpu_only else "")
               + (" -DKWS_TRACE_OUTPUTS" if args.trace_outputs else ""))
    # Objects depend on the defines: rebuild when they change.
    stamp = fw_out / ".defines"
    if not stamp.exists() or stamp.read_text() != defines + args.app:
        for o in fw_out.glob("*.o"):
            o.unlink()
        stamp.write_text(defines + args.app)
    cmd = ["make", "-C", str(fw_out), "-f", str(ROOT / "firmware" / "Makefile"), f"BUILD_DIR={out}",
           f"OUT_DIR={fw_out}", f"GEN_DIR={gen}", f"APP={args.app}", f"FW_DEFINES={defines}",
           f"WITH_MODEL={int(with_model)}", f"WITH_FE_C={int(args.app == 'kws' and args.cpu_only)}", "-j2"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print("\n".join(r.stdout.splitlines()[-40:]), file=sys.stderr)
        raise BuildError("firmware build failed (compiler output above)")
    if args.verbose:
        print(r.stdout)
    binary = fw_out / "firmware.bin"
    size = binary.stat().st_size
    if size > meta["rom_size"]:
        raise BuildError(f"firmware is {size} bytes but the ROM holds {meta['rom_size']}; "
                         f"shrink the firmware/model or raise the board's rom_size")
    write_rom_init(binary, out / "gateware" / f"{meta['build_name']}_rom.init")
    if meta.get("main_ram_size"):
        write_audio(args, out / "gateware" / f"{meta['build_name']}_main_ram.init", meta["main_ram_size"])
    log(f"firmware: {binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary} "
        f"({size} bytes, {100 * size / meta['rom_size']:.0f}% of ROM)")
    return binary


def prepare_model(args, gen: Path) -> bool:
    """Apps that run a model (infer, kws): its C layer table, the accelerator image, app headers."""
    if args.app not in ("infer", "kws"):
        return False
    if args.app == "infer" and (not args.model or not args.input):
        raise BuildError("the infer app needs --model MODEL.tflite and --input X.npy")
    model, prog, tail_first = _model_artifacts(args, gen)
    if args.app == "infer":
        _write_infer_inputs(args, gen, model, prog, tail_first)
    else:
        _write_kws_header(args, gen, model, tail_first)
    log(f"model: {args.model} ({model.summary()}), {'CPU only' if args.cpu_only else 'accelerator'}")
    return True


def _model_artifacts(args, gen: Path):
    from accel.compiler import compile_model
    from accel.ir import ModelError
    from accel.tflite_import import load_tflite
    sys.path.insert(0, str(ROOT / "firmware" / "nn"))
    from nn_table import emit_c
    if not args.model:
        args.model = str(default_model())
    if not Path(args.model).is_file():
        raise BuildError(f"model file not found: {args.model}")
    try:
        model = load_tflite(args.model)
    except ModelError as e:
        raise BuildError(str(e))
    _write_if_changed(gen / "kws_model_table.c", emit_c(model, "kws"))
    if args.cpu_only:
        return model, None, len(model.layers)
    try:
        prog = compile_model(model)
    except ModelError as e:
        raise BuildError(f"{e} (or run it on the CPU with --cpu-only)")
    from accel.compiler import c_header
    _write_if_changed(gen / "accel_model.h", c_header(prog))
    tail_first = model.layers.index(prog.cpu_tail[0]) if prog.cpu_tail else len(model.layers)
    return model, prog, tail_first


def default_model() -> Path:
    found = sorted((ROOT / "models").glob("*.tflite"))
    if not found:
        raise BuildError("no bundled model in models/; train one (python training/train.py) or pass --model")
    return found[0]


def _write_infer_inputs(args, gen, model, prog, tail_first):
    import numpy as np

    from accel.compiler import pack_tensor
    sys.path.insert(0, str(ROOT / "firmware" / "nn"))
    from nn_table import buf_bytes
    x = _load_input(args.input, model)
    if prog is not None:
        packed = [pack_tensor(xi.reshape(prog.input.shape)) for xi in x]
    else:
        packed = [np.zeros(1, np.uint32) for _ in x]
    out_bytes = int(np.prod(model.output.shape))
    lines = ["/* Generated by soc/build.py from --input: do not edit. */", "#include <stdint.h>",
             f"#define INFER_N_INPUTS {len(x)}", f"#define INFER_BUF_BYTES {max(buf_bytes(model), out_bytes)}",
             f"#define INFER_OUTPUT_BYTES {out_bytes}", f"#define INFER_TAIL_FIRST {tail_first}",
             f"#define INFER_PACKED_WORDS {len(packed[0])}",
             f"static const int8_t infer_inputs[{len(x)}][{x[0].size}] = {{"]
    lines += ["  {" + ",".join(str(int(v)) for v in xi.reshape(-1)) + "}," for xi in x]
    lines += ["};", f"static const uint32_t infer_inputs_packed[{len(x)}][{len(packed[0])}] = {{"]
    lines += ["  {" + ",".join(f"0x{int(v):08x}" for v in p) + "}," for p in packed]
    lines += ["};", ""]
    _write_if_changed(gen / "infer_inputs.h", "\n".join(lines))


def feature_mode_for(model):
    """The front-end mode whose int8 output quantization is the model's input quantization."""
    from frontend import golden as G
    shape = tuple(model.input.shape)
    for mode in ("mfcc", "logmel", "pcen"):
        scale, zp = G.output_quant(mode)
        if (len(shape) == 3 and shape[0] == 49 and shape[1] == G.FEATURES[mode] and shape[2] == 1
                and int(model.input.zero_point) == zp and abs(model.input.scale - scale) <= 1e-6 * scale):
            return mode
    raise BuildError(f"model input {shape} with scale {model.input.scale:.6g} / zero point "
                     f"{model.input.zero_point} matches no front-end mode's features "
                     f"(see frontend.golden.output_quant); train it on the front-end's features")


def _write_kws_header(args, gen, model, tail_first):
    import numpy as np

    from frontend import golden as G
    sys.path.insert(0, str(ROOT / "firmware" / "nn"))
    from nn_table import buf_bytes
    from training.labels import KEYWORDS, LABELS
    mode = feature_mode_for(model)
    n_classes = int(np.prod(model.output.shape))
    labels = list(LABELS) if n_classes == len(LABELS) else [f"class{i}" for i in range(n_classes)]
    first_kw = len(LABELS) - len(KEYWORDS) if n_classes == len(LABELS) else 0
    silence = G.features(np.zeros(16000, np.int16), mode)[0]
    lines = ["/* Generated by soc/build.py for the kws app: do not edit. */", "#include <stdint.h>",
             f"#define KWS_IN_H {model.input.shape[0]}", f"#define KWS_IN_W {model.input.shape[1]}",
             f"#define KWS_N_CLASSES {n_classes}", f"#define KWS_BUF_BYTES {max(buf_bytes(model), n_classes)}",
             f"#define KWS_TAIL_FIRST {tail_first}", f"#define KWS_FE_MODE {('logmel', 'pcen', 'mfcc').index(mode)}",
             f"#define KWS_FIRST_KEYWORD {first_kw}", f"#define KWS_SMOOTH_HOPS {args.smooth_hops}",
             f"#define KWS_THRESHOLD {int(round(args.threshold * 255))}",
             f"#define KWS_REFRACTORY_HOPS {int(round(args.refractory * 50))}",
             "#define KWS_PCEN_Q {" + ", ".join(str(int(v)) for v in G.PcenParams().quantized().values()) + "}",
             "static const int8_t kws_silence_frame[KWS_IN_W] = {" + ",".join(str(int(v)) for v in silence) + "};",
             "static const char *const kws_labels[KWS_N_CLASSES] = {" + ",".join(f'"{l}"' for l in labels) + "};",
             ""]
    _write_if_changed(gen / "kws_app.h", "\n".join(lines))
    log(f"kws: front-end mode {mode} (matches the model's input quantization), labels {', '.join(labels)}")


def _load_input(path, model):
    from accel.tensor_io import InputError, load_input
    try:
        return load_input(path, model)[0]
    except InputError as e:
        raise BuildError(str(e))


def write_rom_init(binary: Path, init_path: Path):
    """Firmware image -> the ROM's $readmemh file (32-bit little-endian words, one per line)."""
    data = binary.read_bytes()
    data += b"\0" * (-len(data) % 4)
    words = [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]
    init_path.write_text("".join(f"{w:08x}\n" for w in words))


def write_audio(args, init_path: Path, ram_bytes: int):
    """The --wav clip(s) (or nothing) into the main RAM's init file, read when the simulation starts
    (with --audio uart the clips are streamed instead and main RAM holds no clip)."""
    from soc.audio import write_main_ram_init
    samples = load_clips(args)
    if args.audio == "uart":
        if samples is None:
            raise BuildError("--audio uart needs a clip to stream: pass --wav CLIP.wav")
        args.stream_samples, samples = samples, None
        log(f"audio: {len(args.clip_spans)} clip(s), {len(args.stream_samples) / 16000:.2f} s to stream over the UART")
    if samples is not None:
        log(f"audio: {len(args.clip_spans)} clip(s), {len(samples) / 16000:.2f} s loaded into main RAM")
    try:
        write_main_ram_init(init_path, samples, ram_bytes)
    except ValueError as e:
        raise BuildError(str(e))


def load_clips(args):
    """The --wav clip(s) (kws default: the bundled ones) as one int16 array, or None.

    Several clips are joined with --gap seconds of silence between and after them; args.clip_spans records each
    clip's (name, start s, end s) so detections can be attributed to a clip afterwards.
    """
    import numpy as np

    samples = None
    args.clip_spans = []
    wavs = args.wav or ([str(p) for p in default_clips()] if args.app == "kws" else [])
    if wavs:
        from frontend import AudioError
        from frontend.wav import read_wav
        parts, t = [], 0.0
        for w in wavs:
            try:
                clip, note = read_wav(w)
            except AudioError as e:
                raise BuildError(str(e))
            if note:
                log(f"note: {note}")
            if parts:
                parts.append(np.zeros(int(args.gap * 16000), np.int16))
                t += args.gap
            parts.append(clip)
            args.clip_spans.append((Path(w).name, t, t + len(clip) / 16000))
            t += len(clip) / 16000
        # ... and after the last one, so a word at the very end of a clip still slides through the
        # model's window (the detector needs some of its hops) before the audio ends.
        parts.append(np.zeros(int(args.gap * 16000), np.int16))
        samples = np.concatenate(parts)
    return samples


def default_clips():
    """The demo's clips: the first silence clip, the first unknown word and the first four keywords of
    models/clips/clips.json (all 14: --wav models/clips/*.wav; each second of audio costs ~4.4 M cycles)."""
    meta = ROOT / "models" / "clips" / "clips.json"
    if not meta.exists():
        raise BuildError("no bundled clips in models/clips/; pass --wav CLIP.wav")
    clips = json.loads(meta.read_text())
    clips = clips["clips"] if isinstance(clips, dict) else clips
    pick = ([c for c in clips if c["label"] == "_silence_"][:1] + [c for c in clips if c["label"] == "_unknown_"][:1]
            + [c for c in clips if not c["label"].startswith("_")][:4])
    return [ROOT / "models" / "clips" / c["file"] for c in pick]


MODEL_WINDOW_S = 0.98   # 49 feature frames: the audio an inference (and so a detection) depends on


def attribute(t, spans):
    """The clip a detection at time t (s) belongs to: the one with the most audio in the model's
    window [t - MODEL_WINDOW_S, t] (latest on a tie), else the last clip that started before t."""
    best, best_overlap = None, 0.0
    for i, (_, t0, t1) in enumerate(spans):
        overlap = min(t, t1) - max(t - MODEL_WINDOW_S, t0)
        if overlap > 0 and overlap >= best_overlap:
            best, best_overlap = i, overlap
    if best is None:
        started = [i for i, (_, t0, _) in enumerate(spans) if t0 <= t]
        best = started[-1] if started else 0
    return best


def summarize_detections(args, lines):
    """kws: print, per clip, what the firmware detected in it (attributed by the audio in the model's
    window when the detection fired, since a detection comes 0.2-1 s after its word)."""
    spans = getattr(args, "clip_spans", [])
    if args.app != "kws" or not spans:
        return
    per_clip = [[] for _ in spans]
    for m in (DETECT_RE.search(l) for l in lines):
        if m:
            t = int(m.group(3)) / 1000.0
            per_clip[attribute(t, spans)].append(f"{m.group(1)} ({int(m.group(2))}/255 at {t:.2f} s)")
    log("detections per clip:")
    for (name, _, _), found in zip(spans, per_clip):
        print(f"  {name:28s} -> {', '.join(found) if found else 'nothing'}")


# Simulation ---------------------------------------------------------------------------------------

class ConsoleLines:
    """The firmware's console, line by line: printed (Verilator banners only with --verbose), kept,
    and scanned for the KWS_EXIT=<n> status."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.lines = []
        self.code = None
        self.buf = b""
        self.lock = threading.Lock()

    def feed(self, chunk: bytes):
        with self.lock:
            self.buf += chunk
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                self._line(raw.decode("utf-8", "replace").strip("\r"))

    def flush(self):
        with self.lock:
            if self.buf:
                self._line(self.buf.decode("utf-8", "replace").strip("\r"))
                self.buf = b""

    def _line(self, line):
        self.lines.append(line)
        m = EXIT_RE.search(line)
        if m:
            self.code = int(m.group(1))
        if self.verbose or not SIM_BANNER_RE.search(line):
            print(line, flush=True)

    def last(self):
        return next((l for l in reversed(self.lines) if l.strip()), "(no output)")


def run_sim(args, out):
    gw = out / "gateware"
    vsim = gw / "obj_dir" / "Vsim"
    if not vsim.exists():
        raise BuildError(f"no Verilator model at {vsim}; rerun with --rebuild-gateware")
    uart = args.audio == "uart"
    cwd, port = (uart_run_dir(gw) if uart else (gw, None))
    proc = subprocess.Popen([str(vsim)], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    console = ConsoleLines(args.verbose)
    sim_out = console if not uart else ConsoleLines(args.verbose)   # with uart: Verilator's own lines

    def pump():
        while True:
            chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(1)
            if not chunk:
                break
            sim_out.feed(chunk)
        sim_out.flush()

    threads = [threading.Thread(target=pump, daemon=True)]
    if uart:
        threads.append(threading.Thread(target=stream_uart, args=(args, port, proc, console), daemon=True))
    for t in threads:
        t.start()
    try:
        proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        for t in threads:
            t.join(2)
        raise BuildError(f"firmware did not finish within {args.timeout:g} s of simulation "
                         f"(last output: {console.last().strip()[:100]!r}); it may hang, or raise --timeout")
    for t in threads:
        t.join(5)
    console.flush()
    summarize_detections(args, console.lines)
    if console.code is None:
        if uart and sim_out.lines:
            print("\n".join(l for l in sim_out.lines if not SIM_BANNER_RE.search(l))[-2000:], file=sys.stderr)
        raise BuildError(f"simulation ended (Vsim status {proc.returncode}) without the firmware "
                         f"reporting {EXIT_MARK}<status>")
    return console.code


SIM_MODULES = ROOT / "soc" / "sim_modules"
UART_READY = "audio: waiting for a UART stream"   # firmware/src/audio_src.c


def uart_run_dir(gw: Path):
    """A run directory for the UART-streaming simulation: the gateware's files (linked), our
    flow-controlled serial2tcp_fc module, and a sim_config.js that puts the UART on a TCP port."""
    import socket

    import litex.build.sim as litex_sim
    mods = gw / "modules"
    so = mods / "serial2tcp_fc.so"
    src = SIM_MODULES / "serial2tcp_fc" / "serial2tcp_fc.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        core = Path(litex_sim.__file__).parent / "core"
        cmd = ["gcc", "-Wall", "-O2", "-fPIC", "-shared", f"-I{core}", "-o", str(so), str(src), "-levent"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout, file=sys.stderr)
            raise BuildError("could not build the serial2tcp_fc simulation module (gcc output above; "
                             "it needs libevent-dev and libjson-c-dev: run scripts/setup.sh)")
    run = gw / "uart-run"
    if run.exists():
        shutil.rmtree(run)
    run.mkdir()
    for f in gw.iterdir():
        if f.name not in ("sim_config.js", "uart-run"):
            (run / f.name).symlink_to(f)
    with socket.socket() as sk:                 # a free port on this machine
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    config = json.loads((gw / "sim_config.js").read_text())
    for entry in config:
        if entry.get("module") == "serial2console":
            entry["module"] = "serial2tcp_fc"
            entry["args"] = {"port": port}
    (run / "sim_config.js").write_text(json.dumps(config, indent=2))
    return run, port


def stream_uart(args, port, proc, console):
    """Connect to the simulated UART, stream the clip(s) as soc/stream_wav.py does (frames, then the
    end-of-stream frame; TCP flow control paces it to the simulation), and feed the firmware's
    output to the console."""
    import socket

    from soc.stream_wav import send_clip
    deadline = time.time() + 120
    while True:
        try:
            sk = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                console.feed(b"stream: could not connect to the simulated UART\n")
                return
            time.sleep(0.2)
    sk.settimeout(None)
    x = args.stream_samples

    def sender():
        # Like a user starting soc/stream_wav.py: once the firmware says it listens (bytes sent
        # before the UART is initialised would be lost at its FIFO reset).
        t_end = time.time() + 120
        while not any(l.startswith(UART_READY) for l in list(console.lines)):
            if time.time() > t_end or proc.poll() is not None:
                return
            time.sleep(0.05)
        try:
            sent, frames = send_clip(sk.sendall, x)
            log(f"stream: sent {sent} samples ({sent / 16000:.2f} s) in {frames} frames + end of stream")
        except OSError:
            pass

    threading.Thread(target=sender, daemon=True).start()
    try:
        while True:
            chunk = sk.recv(4096)
            if not chunk:
                break
            console.feed(chunk)
    except OSError:
        pass
    finally:
        sk.close()


def _kill(proc):
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


# FPGA boards --------------------------------------------------------------------------------------

def fpga_steps(args, board, out, meta):
    gw = out / "gateware"
    written = sorted(p for p in gw.iterdir() if p.suffix in (".v", ".xdc", ".tcl", ".init", ".sdc"))
    log("wrote the Vivado project:")
    for p in written:
        print(f"  {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
    build_tcl = gw / f"{meta['build_name']}.tcl"
    if args.build:
        tool = "vivado" if args.toolchain == "vivado" else "nextpnr-xilinx"
        if shutil.which(tool) is None:
            raise BuildError(f"--build needs {tool} on PATH (source Vivado's settings64.sh, or install the "
                             f"open flow); the project above is ready to build by hand")
        t0 = time.time()
        r = subprocess.run(["bash", f"build_{meta['build_name']}.sh"], cwd=gw)
        if r.returncode != 0:
            raise BuildError(f"{tool} failed (see its log in {gw})")
        log(f"bitstream: {time.time() - t0:.1f} s")
    else:
        log(f"to build: vivado -mode batch -source {build_tcl.name} (in {gw}), or rerun with --build")
    if args.load:
        if shutil.which("openFPGALoader") is None:
            raise BuildError("--load needs openFPGALoader on PATH (Debian: openfpgaloader)")
        bit = gw / f"{meta['build_name']}.bit"
        if not bit.exists():
            raise BuildError(f"no bitstream at {bit}; build it first (--build)")
        r = subprocess.run(["openFPGALoader", "-b", "arty", str(bit)])
        if r.returncode != 0:
            raise BuildError("openFPGALoader failed (is the board connected?)")


# Main ---------------------------------------------------------------------------------------------

def run(args):
    from boards import get_board
    # Tools installed in the venv (meson, ninja) must be found by LiteX's make steps.
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
    try:
        board = get_board(args.board, variant=args.variant, toolchain=args.toolchain)
    except ValueError as e:
        raise BuildError(str(e))
    check_tools(board.name)
    name = board.name if board.name == "sim" else f"{board.name}-{board.variant}"
    out = Path(args.output_dir).resolve() if args.output_dir else ROOT / "build" / name
    out.mkdir(parents=True, exist_ok=True)

    times = {}
    t0 = time.time()
    stamp_file = out / ".gateware-stamp"
    meta_file = out / ".gateware-meta.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else None
    ready = (meta is not None and stamp_file.exists()
             and stamp_file.read_text() == gateware_stamp(args, board, meta.get("sources", []))
             and (board.name != "sim" or (out / "gateware" / "obj_dir" / "Vsim").exists()))
    if ready and not args.rebuild_gateware:
        log("gateware: up to date (design sources unchanged), reusing it")
    else:
        stamp_file.unlink(missing_ok=True)
        meta = build_gateware(args, board, out)
        meta_file.write_text(json.dumps(meta))
        stamp_file.write_text(gateware_stamp(args, board, meta["sources"]))
    times["gateware"] = time.time() - t0

    t0 = time.time()
    build_firmware(args, out, meta)
    times["firmware"] = time.time() - t0

    code = 0
    if board.name == "sim" and not args.no_run:
        t0 = time.time()
        log("sim: running (UART follows)")
        try:
            code = run_sim(args, out)
        finally:
            times["sim"] = time.time() - t0
            log("phase times: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
        log(f"firmware exit status: {code}")
    else:
        if board.name != "sim":
            fpga_steps(args, board, out, meta)
        log("phase times: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    return code


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

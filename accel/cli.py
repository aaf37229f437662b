"""Command line: ``python -m accel inspect MODEL.tflite`` / ``python -m accel run MODEL.tflite --input X.npy``.

Engines are looked up in :data:`ENGINES` (name -> callable ``(model_path, x) -> (outputs, cycles|None)``):
``golden`` (accel.golden), ``tflm`` (the tflite-micro oracle) and, when ``accel/hw/rtl_engine.py`` exists
and imports, ``rtl`` (its ``run(model_path, x) -> (outputs, cycles)``).

Errors (unsupported model, bad input file, missing file) print one line ``error: ...`` to stderr and exit 2.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from accel.ir import Model, ModelError

EXIT_ERROR = 2


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _engine_golden(model_path, x):
    from accel import golden
    from accel.tflite_import import load_tflite
    return golden.run(load_tflite(model_path), x), None


def _engine_tflm(model_path, x):
    from accel.tflm import run_tflm
    return run_tflm(model_path, x), None


def _engine_rtl(model_path, x):
    mod = importlib.import_module("accel.hw.rtl_engine")
    return mod.run(model_path, x)


ENGINES = {"golden": _engine_golden, "tflm": _engine_tflm}


def available_engines() -> dict:
    """ENGINES plus ``rtl`` when accel/hw/rtl_engine.py is present and imports."""
    engines = dict(ENGINES)
    try:
        if importlib.util.find_spec("accel.hw.rtl_engine") is not None:
            importlib.import_module("accel.hw.rtl_engine")
            engines["rtl"] = _engine_rtl
    except Exception:  # noqa: BLE001 - a broken optional engine is simply not offered
        pass
    return engines


def _shape(s) -> str:
    return "x".join(str(d) for d in s)


def layer_rows(model: Model) -> list[dict]:
    rows = []
    for L in model.layers:
        geom = L.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN")
        if L.weights is None:
            gran = "-"
        else:
            gran = "per-channel" if L.per_channel else "per-tensor"
        act_bytes = int(np.prod(L.input.shape)) + int(np.prod(L.output.shape))
        rows.append({
            "index": L.index, "op": L.op, "input": _shape(L.input.shape), "output": _shape(L.output.shape),
            "kernel": f"{L.kernel[0]}x{L.kernel[1]}" if geom else "-",
            "stride": f"{L.stride[0]}x{L.stride[1]}" if geom and L.op != "MEAN" else "-",
            "padding": L.padding if geom and L.op != "MEAN" else "-",
            "quant": gran, "params": L.param_bytes, "macs": L.macs, "sram": L.param_bytes + act_bytes,
        })
    return rows


def format_inspect(model: Model) -> str:
    rows = layer_rows(model)
    cols = [("index", "#", ">"), ("op", "op", "<"), ("input", "input", "<"), ("output", "output", "<"),
            ("kernel", "kernel", "<"), ("stride", "stride", "<"), ("padding", "pad", "<"),
            ("quant", "weights", "<"), ("params", "params B", ">"), ("macs", "MACs", ">"),
            ("sram", "SRAM B", ">")]
    width = {k: max(len(h), *(len(str(r[k])) for r in rows)) for k, h, _ in cols}
    lines = [f"model: {model.source}",
             f"input {_shape(model.input.shape)} int8 (scale {model.input.scale:.6g}, zero point "
             f"{model.input.zero_point}); output {_shape(model.output.shape)} int8 (scale "
             f"{model.output.scale:.6g}, zero point {model.output.zero_point})",
             "  ".join(f"{h:{a}{width[k]}}" for k, h, a in cols)]
    for r in rows:
        lines.append("  ".join(f"{str(r[k]):{a}{width[k]}}" for k, _, a in cols))
    params = sum(r["params"] for r in rows)
    macs = sum(r["macs"] for r in rows)
    peak_act = max(int(np.prod(L.input.shape)) + int(np.prod(L.output.shape)) for L in model.layers)
    lines.append(f"total: {len(rows)} layers, {macs} MACs ({macs / 1e6:.2f} M), {params} parameter bytes, "
                 f"peak activations {peak_act} B (in+out), SRAM for all weights + peak activations "
                 f"{params + peak_act} B")
    return "\n".join(lines)


def format_output(i: int, y: np.ndarray, cycles=None) -> str:
    flat = np.asarray(y).reshape(-1).astype(np.int64)
    vec = " ".join(f"{int(v):4d}" for v in flat)
    extra = f" cycles={int(cycles)}" if cycles is not None else ""
    return f"output[{i}]: [{vec} ] argmax={int(np.argmax(flat))}{extra}"


def _load_model(path) -> Model:
    from accel.tflite_import import load_tflite
    if not Path(path).is_file():
        raise CliError(f"model file not found: {path}")
    return load_tflite(path)


def cmd_inspect(args) -> int:
    print(format_inspect(_load_model(args.model)))
    return 0


def cmd_run(args) -> int:
    engines = available_engines()
    if args.engine not in engines:
        raise CliError(f"unknown engine {args.engine!r}; available: {', '.join(engines)}")
    model = _load_model(args.model)
    from accel.tensor_io import InputError, load_input
    try:
        batch, single = load_input(args.input, model)
    except InputError as err:
        raise CliError(str(err)) from None
    outputs, cycles = engines[args.engine](args.model, batch)
    outputs = np.asarray(outputs).reshape((batch.shape[0],) + tuple(model.output.shape))
    for i, y in enumerate(outputs):
        c = None
        if cycles is not None:
            c = cycles[i] if np.ndim(cycles) else cycles
        print(format_output(i, y, c))
    if args.output:
        np.save(args.output, outputs[0] if single else outputs)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (``error: ...``, exit 2), like every other error here."""

    def error(self, message):
        print(f"error: {' '.join(message.split())} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    engines = ", ".join(available_engines())
    p = _Parser(
        prog="python -m accel",
        description="Inspect and run int8 TFLite keyword-spotting models with the project's integer model.",
        epilog="Errors print one line 'error: ...' on stderr and exit with status 2. "
               "See docs/integer-model.md.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    pi = sub.add_parser("inspect", help="print the layer table of a model",
                        description="Print every layer (op, shapes, kernel/stride/padding, weight quantization "
                                    "granularity, parameter bytes, MACs, SRAM bytes = parameters + input and "
                                    "output activations) and totals.")
    pi.add_argument("model", metavar="MODEL.tflite", help="int8 .tflite model")
    pi.set_defaults(func=cmd_inspect)
    pr = sub.add_parser("run", help="run a model on int8 inputs",
                        description="Run MODEL on X (.npy, int8, the model's input shape, optionally with a "
                                    "leading batch axis); print one line per input: "
                                    "'output[i]: [ v0 v1 ... ] argmax=k'.")
    pr.add_argument("model", metavar="MODEL.tflite", help="int8 .tflite model")
    pr.add_argument("--input", "-i", required=True, metavar="X.npy", help="int8 input array")
    pr.add_argument("--engine", "-e", default="golden", metavar="ENGINE",
                    help=f"golden (numpy integer model, default), tflm (tflite-micro oracle); available: {engines}")
    pr.add_argument("--output", "-o", metavar="Y.npy", help="also save the int8 outputs here")
    pr.set_defaults(func=cmd_run)
    return p


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ModelError, CliError) as err:
        msg = " ".join(str(err).split())
        print(f"error: {msg}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as err:
        print(f"error: {err.strerror or err}: {getattr(err, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # noqa: BLE001 - never a traceback for the user
        msg = " ".join(str(err).split())
        print(f"error: {type(err).__name__}: {msg}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

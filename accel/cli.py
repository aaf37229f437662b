"""Command line: ``python -m accel inspect MODEL.tflite`` / ``python -m accel run MODEL.tflite --input X.npy``.

Engines are looked up in :data:`ENGINES` (name -> callable ``(model_path, x) -> (outputs, cycles|None)``):
``golden`` (accel.golden), ``tflm`` (the tflite-micro oracle) and, when ``accel/hw/rtl_engine.py`` exists
and imports, ``rtl`` (its ``run(model_path, x) -> (outputs, cycles)``).

``run`` prints one line per input, ``output[i]: [ v0 v1 ... ] argmax=k``, followed by `` (label)`` when the
model has a labels sidecar (:mod:`accel.labels`) and `` cycles=n`` when the engine counts cycles.

Errors follow :mod:`kws.cli`: a known error (unsupported model, bad input file, missing file, bad usage)
prints one line ``error: ...`` to stderr and exits 2; an unexpected one prints one line and exits 3.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from accel.ir import Model
from kws.cli import EXIT_ERROR, ArgumentParser, UserError, check_writable, run_main  # noqa: F401


class CliError(UserError):
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


def format_output(i: int, y: np.ndarray, cycles=None, labels=None) -> str:
    """``output[i]: [ v0 v1 ... ] argmax=k`` + `` (label)`` when ``labels`` + `` cycles=n`` when ``cycles``."""
    flat = np.asarray(y).reshape(-1).astype(np.int64)
    vec = " ".join(f"{int(v):4d}" for v in flat)
    k = int(np.argmax(flat))
    name = f" ({labels[k]})" if labels is not None else ""
    extra = f" cycles={int(cycles)}" if cycles is not None else ""
    return f"output[{i}]: [{vec} ] argmax={k}{name}{extra}"


def _load_model(path) -> Model:
    from accel.tflite_import import load_tflite
    if Path(path).is_dir():
        raise CliError(f"{path} is a directory, not a .tflite model file")
    if not Path(path).is_file():
        raise CliError(f"model file not found: {path}")
    return load_tflite(path)


def cmd_inspect(args) -> int:
    print(format_inspect(_load_model(args.model)))
    return 0


def _npy_path(path) -> Path:
    """The file ``numpy.save(path, ...)`` writes (it appends .npy to any other name)."""
    p = str(path)
    return Path(p if p.endswith(".npy") else p + ".npy")


def cmd_run(args) -> int:
    engines = available_engines()
    if args.engine not in engines:
        raise CliError(f"unknown engine {args.engine!r}; available: {', '.join(engines)}")
    out_path = None
    if args.output:
        out_path = _npy_path(args.output)
        check_writable(out_path, inputs=[args.input, args.model])
        if not str(args.output).endswith(".npy"):
            raise CliError(f"--output {args.output}: the outputs are written as .npy; give a file name ending "
                           f"in .npy (numpy would silently write {out_path.name})")
    model = _load_model(args.model)
    labels = None
    if not args.no_labels:
        from accel.labels import model_labels
        labels = model_labels(args.model, int(np.prod(model.output.shape)))
    from accel.tensor_io import load_input
    batch, single = load_input(args.input, model)
    outputs, cycles = engines[args.engine](args.model, batch)
    outputs = np.asarray(outputs).reshape((batch.shape[0],) + tuple(model.output.shape))
    for i, y in enumerate(outputs):
        c = None
        if cycles is not None:
            c = cycles[i] if np.ndim(cycles) else cycles
        print(format_output(i, y, c, labels))
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        np.save(out_path, outputs[0] if single else outputs)
    return 0


def build_parser() -> ArgumentParser:
    engines = ", ".join(available_engines())
    p = ArgumentParser(
        prog="python -m accel",
        description="Inspect and run int8 TFLite keyword-spotting models with the project's integer model.",
        epilog="Errors print one line 'error: ...' on stderr and exit with status 2 (3 for an unexpected "
               "error; add --verbose after the command for its traceback). See docs/integer-model.md.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=ArgumentParser)
    pi = sub.add_parser("inspect", help="print the layer table of a model",
                        description="Print every layer (op, shapes, kernel/stride/padding, weight quantization "
                                    "granularity, parameter bytes, MACs, SRAM bytes = parameters + input and "
                                    "output activations) and totals.")
    pi.add_argument("model", metavar="MODEL.tflite", help="int8 .tflite model")
    pi.add_argument("--verbose", action="store_true", help="print the traceback of an unexpected error")
    pi.set_defaults(func=cmd_inspect)
    pr = sub.add_parser("run", help="run a model on int8 inputs",
                        description="Run MODEL on X (.npy, int8, the model's input shape or that shape without "
                                    "its size-1 dimensions, e.g. the (49, 10) features of 'python -m frontend "
                                    "features', optionally with a leading batch axis); print one line per "
                                    "input: 'output[i]: [ v0 v1 ... ] argmax=k', followed by ' (label)' when "
                                    "MODEL has a labels file (MODEL without .tflite + .labels.txt, one label "
                                    "per line).")
    pr.add_argument("model", metavar="MODEL.tflite", help="int8 .tflite model")
    pr.add_argument("--input", "-i", required=True, metavar="X.npy", help="int8 input array")
    pr.add_argument("--engine", "-e", default="golden", metavar="ENGINE",
                    help=f"golden (numpy integer model, default), tflm (tflite-micro oracle); available: {engines}")
    pr.add_argument("--output", "-o", metavar="Y.npy", help="also save the int8 outputs here (not the input)")
    pr.add_argument("--no-labels", action="store_true",
                    help="print the argmax index only, even when the model has a labels file")
    pr.add_argument("--verbose", action="store_true", help="print the traceback of an unexpected error")
    pr.set_defaults(func=cmd_run)
    return p


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    return run_main(args.func, args)


if __name__ == "__main__":
    sys.exit(main())

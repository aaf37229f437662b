"""python -m accel.model MODEL.tflite [--config default|small|large|FILE.json]: the analytical cycle table."""
from __future__ import annotations

import sys

import argparse

from kws.cli import ArgumentParser, UserError, accel_config_file, input_file, run_main

CONFIGS = ("default", "small", "large")


def config_arg(text):
    """default | small | large, or an accelerator configuration JSON (python -m accel.dse writes one)."""
    from accel.hw import config as HC
    named = {"default": HC.DEFAULT, "small": HC.SMALL, "large": HC.LARGE}
    if text in named:
        return named[text]
    if not text.endswith(".json"):
        raise argparse.ArgumentTypeError(f"{text!r}: not one of {', '.join(CONFIGS)} nor a .json file")
    return accel_config_file(text)


def build_parser():
    p = ArgumentParser(prog="python -m accel.model",
                       description="Analytical per-layer cycles of the accelerator (no simulation).")
    p.add_argument("model", type=input_file, help="int8 .tflite model")
    p.add_argument("--config", type=config_arg, default="default",
                   help=f"accelerator configuration: {', '.join(CONFIGS)} or a config JSON file")
    p.add_argument("--verbose", action="store_true", help="print the traceback of an unexpected error")
    return p


def body(args) -> int:
    from accel.ir import ModelError
    from accel.model.report import format_report, model_report
    from accel.tflite_import import load_tflite
    cfg = args.config
    try:
        m = load_tflite(args.model)
        rep = model_report(m, cfg)
    except ModelError as e:
        raise UserError(str(e)) from None
    print(format_report(rep))
    return 0


def main(argv=None) -> int:
    return run_main(body, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

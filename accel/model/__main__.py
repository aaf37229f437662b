"""python -m accel.model MODEL.tflite [--config default|small|large]: the analytical cycle table."""
from __future__ import annotations

import sys

from kws.cli import ArgumentParser, UserError, input_file, run_main

CONFIGS = ("default", "small", "large")


def build_parser():
    p = ArgumentParser(prog="python -m accel.model",
                       description="Analytical per-layer cycles of the accelerator (no simulation).")
    p.add_argument("model", type=input_file, help="int8 .tflite model")
    p.add_argument("--config", choices=CONFIGS, default="default", help="accelerator configuration")
    p.add_argument("--verbose", action="store_true", help="print the traceback of an unexpected error")
    return p


def body(args) -> int:
    from accel.hw import config as HC
    from accel.ir import ModelError
    from accel.model.report import format_report, model_report
    from accel.tflite_import import load_tflite
    cfg = {"default": HC.DEFAULT, "small": HC.SMALL, "large": HC.LARGE}[args.config]
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

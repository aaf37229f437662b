"""python -m frontend features CLIP.wav --mode logmel|pcen|mfcc [--out F.npy] [--png F.png]
   python -m frontend tables [--out DIR]      (write every constant table as .npy)
   python -m frontend headers [--check]       (regenerate / check the generated C headers)"""
from __future__ import annotations

import os
import sys

from kws.cli import ArgumentParser, UserError, check_writable, check_writable_dir, input_file, run_main

from . import format as F


def _npy_path(text):
    """--out of features: a .npy file name, written exactly as given (np.save would append .npy)."""
    if not text.lower().endswith(".npy"):
        import argparse
        raise argparse.ArgumentTypeError(f"{text}: the features are written as .npy; give a file name ending in .npy")
    return text


def _png_path(text):
    if not text.lower().endswith(".png"):
        import argparse
        raise argparse.ArgumentTypeError(f"{text}: give a file name ending in .png")
    return text


def _features(args) -> int:
    import numpy as np

    from . import golden, wav
    outs = [(p, what) for p, what in ((args.out, "--out"), (args.png, "--png")) if p]
    if args.out and args.png and os.path.abspath(args.out) == os.path.abspath(args.png):
        raise UserError(f"--out and --png name the same file {args.out}: choose two paths")
    for p, what in outs:                 # before any work: a bad output path fails in a second, not after it
        check_writable(p, inputs=[args.clip], what=f"{what} file")
    audio, note = wav.read_wav(args.clip)
    if note:
        print(note)
    if audio.shape[0] < F.WIN:
        raise UserError(f"{args.clip}: {audio.shape[0]} samples, need at least {F.WIN} for one frame")
    q = golden.features(audio, args.mode)
    scale, zp = F.output_quant(args.mode)
    print(f"{args.clip}: {audio.shape[0] / F.SAMPLE_RATE:.3f} s -> {q.shape[0]} frames x {q.shape[1]} int8 "
          f"({args.mode}, scale {scale:.6g}, zero point {zp}), min {q.min()} max {q.max()}")
    if args.out:
        with open(args.out, "wb") as f:       # a file object: np.save writes exactly this name
            np.save(f, q)
        print(f"wrote {args.out} ({q.shape[0]}, {q.shape[1]}) int8")
    if args.png:
        from . import reference
        from .plot import plot_compare
        ref = reference.features(audio, args.mode)
        plot_compare(reference.dequant(q, args.mode), ref, args.mode, args.png, title=os.path.basename(args.clip))
        print(f"wrote {args.png}")
    return 0


def _tables(args) -> int:
    import numpy as np

    from . import tables
    check_writable_dir(args.out)
    os.makedirs(args.out, exist_ok=True)
    for name, arr in tables.all_tables().items():
        np.save(os.path.join(args.out, name + ".npy"), arr)
        print(f"{name}: {arr.shape} min {arr.min()} max {arr.max()}")
    return 0


def _headers(args) -> int:
    from . import c_headers
    return c_headers.write(check=args.check)


def main(argv=None) -> int:
    ap = ArgumentParser(prog="python -m frontend", description="fixed-point KWS audio front-end")
    ap.add_argument("--verbose", action="store_true", help="show the traceback of an unexpected error")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features", help="featurize a WAV file with the fixed-point golden model")
    f.add_argument("clip", type=input_file)
    f.add_argument("--mode", choices=F.MODES, default="logmel")
    f.add_argument("--out", type=_npy_path,
                   help="write the int8 features (frames x F) to this .npy file (python -m accel run --input takes it)")
    f.add_argument("--png", type=_png_path, help="plot the fixed-point features beside the librosa reference")
    t = sub.add_parser("tables", help="write every constant table")
    t.add_argument("--out", default="build/frontend_tables")
    h = sub.add_parser("headers", help="regenerate the C headers (firmware/include/frontend_format.h, "
                                       "firmware/fe/fe_tables.h) from frontend/format.py and frontend/tables.py")
    h.add_argument("--check", action="store_true", help="only compare with the committed headers (exit 1 if stale)")
    args = ap.parse_args(argv)
    body = {"features": _features, "tables": _tables, "headers": _headers}[args.cmd]
    return run_main(body, args)


if __name__ == "__main__":
    sys.exit(main())

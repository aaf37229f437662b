"""python -m frontend features CLIP.wav --mode logmel|pcen|mfcc [--out F.npy] [--png F.png]
   python -m frontend tables [--out DIR]      (write every constant table as .npy / .hex)"""
from __future__ import annotations

import argparse
import os
import sys


def _features(args) -> int:
    import numpy as np

    from . import AudioError, golden, wav
    try:
        audio, note = wav.read_wav(args.clip)
    except AudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if note:
        print(note)
    if audio.shape[0] < 480:
        print(f"error: {args.clip}: {audio.shape[0]} samples, need at least 480 for one frame", file=sys.stderr)
        return 2
    q = golden.features(audio, args.mode)
    scale, zp = golden.output_quant(args.mode)
    print(f"{args.clip}: {audio.shape[0] / 16000:.3f} s -> {q.shape[0]} frames x {q.shape[1]} int8 "
          f"({args.mode}, scale {scale:.6g}, zero point {zp}), min {q.min()} max {q.max()}")
    if args.out:
        np.save(args.out, q)
        print(f"wrote {args.out}")
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
    os.makedirs(args.out, exist_ok=True)
    for name, arr in tables.all_tables().items():
        np.save(os.path.join(args.out, name + ".npy"), arr)
        print(f"{name}: {arr.shape} min {arr.min()} max {arr.max()}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m frontend", description="fixed-point KWS audio front-end")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features", help="featurize a WAV file with the fixed-point golden model")
    f.add_argument("clip")
    f.add_argument("--mode", choices=("logmel", "pcen", "mfcc"), default="logmel")
    f.add_argument("--out", help="write the int8 features (frames x F) as .npy")
    f.add_argument("--png", help="plot the fixed-point features beside the librosa reference")
    t = sub.add_parser("tables", help="write every constant table")
    t.add_argument("--out", default="build/frontend_tables")
    args = ap.parse_args(argv)
    return _features(args) if args.cmd == "features" else _tables(args)


if __name__ == "__main__":
    sys.exit(main())

"""How many int8 steps each MFCC coefficient spreads over: the measurement behind the front-end's
lifter (frontend/format.py MFCC_LIFTER, docs/frontend.md).

For the bundled clips (models/clips/*.wav) it prints, per coefficient, the standard deviation in
int8 steps and the share of saturated frames with the front-end's table (lifter) and with the
un-liftered DCT (every gain 1); with --features, the same for the int8 MFCC features of a training
run's cache (.cache/training/features-*-mfcc-*.npz, the front-end's own output, its "train" set).

    python bench/bench_mfcc_spread.py [--clips models/clips] [--features FILE.npz]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from frontend import format as F  # noqa: E402
from frontend import golden as G  # noqa: E402
from frontend import tables as T  # noqa: E402
from frontend.wav import read_wav  # noqa: E402
from kws.cli import ArgumentParser, UserError, run_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def quantize(L: np.ndarray, dq: np.ndarray) -> np.ndarray:
    """golden.mfcc_q with the DCT table ``dq`` (the front-end's arithmetic, another table)."""
    Lc = np.clip(L - (T.MEL_SHIFT << T.LOG_FRAC), F.LM_LO << T.LOG_FRAC, F.LM_HI << T.LOG_FRAC)
    return G.sat(((Lc @ dq.T + (1 << (F.MFCC_SHIFT - 1))) >> F.MFCC_SHIFT) + F.MFCC_ZP, 8)


def spread_rows(name: str, q: np.ndarray) -> list[str]:
    q = q.reshape(-1, F.NMFCC).astype(np.float64)
    return [f"{name:24s} std   " + " ".join(f"{v:5.1f}" for v in q.std(0)),
            f"{'':24s} sat % " + " ".join(f"{v:5.1f}" for v in 100 * ((q == -128) | (q == 127)).mean(0))]


def main(argv=None):
    ap = ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=Path, default=ROOT / "models" / "clips", help="folder of 16 kHz WAV clips")
    ap.add_argument("--features", type=Path, default=None,
                    help="a training run's cached MFCC features (.npz with a 'train' array)")
    args = ap.parse_args(argv)

    def body(a):
        wavs = sorted(a.clips.glob("*.wav")) if a.clips.is_dir() else []
        if not wavs:
            raise UserError(f"--clips {a.clips}: no .wav files there")
        L = np.concatenate([G.log2_q10(G.mel_energy(read_wav(w)[0])) for w in wavs])
        plain = F.dct_q(lifter=(1,) * F.NMFCC)
        print(f"MFCC int8 spread per coefficient c0..c{F.NMFCC - 1} (lifter {F.MFCC_LIFTER}), "
              f"{len(wavs)} clips, {len(L)} frames:")
        for line in spread_rows("without lifter", quantize(L, plain)) + spread_rows("front-end (lifter)",
                                                                                   quantize(L, F.dct_q())):
            print("  " + line)
        if a.features is not None:
            if not a.features.is_file():
                raise UserError(f"--features {a.features}: no such file")
            try:
                z = np.load(a.features)
                ok = isinstance(z, np.lib.npyio.NpzFile) and "train" in z.files and z["train"].shape[-1] == F.NMFCC
            except (ValueError, OSError, EOFError):
                ok = False
            if not ok:
                raise UserError(f"--features {a.features}: not a cache of MFCC features (no 'train' array of "
                                f"{F.NMFCC} coefficients)")
            x = z["train"]
            print(f"training features {a.features.name}: {x.shape[0]} clips, {x.shape[0] * x.shape[1]} frames:")
            for line in spread_rows("front-end (as cached)", x):
                print("  " + line)
        return 0
    return run_main(body, args)


if __name__ == "__main__":
    sys.exit(main())

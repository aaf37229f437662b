"""Side-by-side plot of fixed-point features and the librosa reference."""
from __future__ import annotations

import numpy as np


def plot_compare(fixed: np.ndarray, ref: np.ndarray, mode: str, path: str, title: str = "") -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    corr = np.corrcoef(fixed.ravel(), ref.ravel())[0, 1] if fixed.std() > 0 and ref.std() > 0 else float("nan")
    vmin, vmax = min(fixed.min(), ref.min()), max(fixed.max(), ref.max())
    fig, ax = plt.subplots(1, 3, figsize=(14, 3.6), constrained_layout=True)
    for a, img, name in ((ax[0], fixed, "fixed point (golden, dequantised)"), (ax[1], ref, "librosa reference")):
        im = a.imshow(img.T, origin="lower", aspect="auto", vmin=vmin, vmax=vmax, interpolation="nearest")
        a.set_title(name)
        a.set_xlabel("frame (20 ms)")
        a.set_ylabel("band" if mode != "mfcc" else "coefficient")
        fig.colorbar(im, ax=a)
    err = fixed - ref
    lim = max(1e-9, np.abs(err).max())
    im = ax[2].imshow(err.T, origin="lower", aspect="auto", cmap="coolwarm", vmin=-lim, vmax=lim,
                      interpolation="nearest")
    ax[2].set_title(f"difference (corr {corr:.4f})")
    ax[2].set_xlabel("frame (20 ms)")
    fig.colorbar(im, ax=ax[2])
    fig.suptitle(f"{title} — {mode}")
    fig.savefig(path, dpi=90)
    plt.close(fig)

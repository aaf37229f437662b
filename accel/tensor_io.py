"""Reading int8 input tensors for a model (the CLI's `run --input` and soc/build.py's `--input`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class InputError(Exception):
    """An input file the model cannot take; ``str(err)`` is one line saying what to do."""


def load_input(path, model) -> tuple[np.ndarray, bool]:
    """Load X.npy for ``model``: int8 in the model's input shape, optionally with a leading batch axis.

    Returns (batch of shape (N, *input_shape), whether the file held a single tensor without batch axis).
    """
    if not Path(path).is_file():
        raise InputError(f"input file not found: {path}")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as err:  # noqa: BLE001
        raise InputError(f"cannot read {path} as .npy ({type(err).__name__}: {err})") from None
    if x.dtype != np.int8:
        raise InputError(f"input {path} is {x.dtype}, expected int8 (quantize with the model's input "
                         f"scale {model.input.scale:.6g} and zero point {model.input.zero_point})")
    shape = tuple(model.input.shape)
    if x.shape == shape:
        return x[None], True
    if x.shape[1:] == shape and x.shape[0] >= 1:
        return x, False
    raise InputError(f"input shape {x.shape} does not match the model input {shape} (optionally with a "
                     "leading batch axis)")

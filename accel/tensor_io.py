"""Reading int8 input tensors for a model (the CLI's `run --input` and soc/build.py's `--input`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kws.cli import UserError

_ZIP_MAGIC = b"PK\x03\x04"


class InputError(UserError):
    """An input file the model cannot take; ``str(err)`` is one line saying what to do."""


def _squeezed(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in shape if int(d) != 1)


def load_input(path, model) -> tuple[np.ndarray, bool]:
    """Load X.npy for ``model``: int8 in the model's input shape, optionally with a leading batch axis.

    The model's input shape with its size-1 dimensions dropped is accepted too (one tensor, e.g. the
    (49, 10) features of ``python -m frontend features`` for a (49, 10, 1) model), and a batch of those
    (N, 49, 10); such arrays are reshaped (never reordered) to the model's shape.

    Returns (batch of shape (N, *input_shape), whether the file held a single tensor without batch axis).
    """
    if Path(path).is_dir():
        raise InputError(f"{path} is a directory, not an .npy input file")
    if not Path(path).is_file():
        raise InputError(f"input file not found: {path}")
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    if magic == _ZIP_MAGIC:
        raise InputError(f"input {path} is an .npz archive, not an .npy array: save one array with "
                         "numpy.save (or pass the archive's array, e.g. np.load(f)['x'], saved as .npy)")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as err:  # noqa: BLE001
        raise InputError(f"cannot read {path} as .npy ({type(err).__name__}: {err})") from None
    if not isinstance(x, np.ndarray):
        raise InputError(f"cannot read {path} as .npy (not a single array)")
    if x.dtype != np.int8:
        raise InputError(f"input {path} is {x.dtype}, expected int8 (quantize with the model's input "
                         f"scale {model.input.scale:.6g} and zero point {model.input.zero_point})")
    shape = tuple(model.input.shape)
    if x.shape == shape:
        return x[None], True
    if x.shape[1:] == shape and x.shape[0] >= 1:
        return x, False
    squeezed = _squeezed(shape)
    if squeezed != shape:
        if x.shape == squeezed:
            return x.reshape((1,) + shape), True
        if x.ndim == len(squeezed) + 1 and x.shape[1:] == squeezed and x.shape[0] >= 1:
            return x.reshape((x.shape[0],) + shape), False
    also = f", or {squeezed} without its size-1 dimensions" if squeezed != shape else ""
    raise InputError(f"input shape {x.shape} does not match the model input {shape} (optionally with a "
                     f"leading batch axis{also})")

"""Class names of a model: a sidecar text file next to it, ``<model without .tflite>.labels.txt``.

One label per line, in the order of the model's outputs (``models/dscnn_int8.labels.txt`` for the
bundled model, written by ``training/export.py export_int8(..., labels=...)``). Blank lines at the end
are ignored; a label is stripped of surrounding whitespace and may not be empty.
"""
from __future__ import annotations

import os
from pathlib import Path

from kws.cli import UserError

SUFFIX = ".labels.txt"
MAX_BYTES = 1 << 20


class LabelsError(UserError):
    """A labels file that does not fit its model; ``str(err)`` is one line saying what to do."""


def labels_path(model_path) -> Path:
    """The sidecar of ``model_path``: ``m.tflite`` -> ``m.labels.txt`` (any other name gets the suffix appended)."""
    p = Path(model_path)
    stem = p.name[:-len(".tflite")] if p.name.endswith(".tflite") else p.name
    return p.with_name(stem + SUFFIX)


def read_labels(path) -> list[str]:
    """The labels of a sidecar file (refuses empty labels and oversized or undecodable files)."""
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise LabelsError(f"labels file {path} is larger than {MAX_BYTES} bytes; expected one label per line")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LabelsError(f"labels file {path} is not UTF-8 text; write one label per line") from None
    lines = [ln.strip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    for i, ln in enumerate(lines):
        if not ln:
            raise LabelsError(f"labels file {path} line {i + 1} is empty; write one label per line")
    return lines


def model_labels(model_path, n_classes: int) -> list[str] | None:
    """The labels of the model at ``model_path`` from its sidecar, or None when there is none.

    Raises :class:`LabelsError` when the sidecar does not hold exactly ``n_classes`` labels."""
    path = labels_path(model_path)
    if not path.is_file():
        return None
    labels = read_labels(path)
    if len(labels) != int(n_classes):
        raise LabelsError(f"labels file {path} has {len(labels)} labels but the model has {int(n_classes)} "
                          f"outputs; fix or delete {path.name}")
    return labels


def write_labels(model_path, labels) -> Path:
    """Write the sidecar of ``model_path`` (temporary name + rename); returns its path."""
    labels = [str(l) for l in labels]
    for l in labels:
        if not l.strip() or "\n" in l or "\r" in l or l != l.strip():
            raise LabelsError(f"label {l!r} cannot be written one per line (empty, surrounding blanks or a newline)")
    path = labels_path(model_path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("".join(l + "\n" for l in labels), encoding="utf-8")
    os.replace(tmp, path)
    return path

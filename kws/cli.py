"""The one error path and the argument types of every command line in the project.

Every CLI (``python -m accel``, ``python -m frontend``, ``soc/build.py``, ``training/train.py``,
``soc/stream_wav.py``) builds its parser with :class:`ArgumentParser` and runs its body through
:func:`run_main`:

- a known error (:class:`UserError` or a subclass: ModelError, AudioError, BuildError, ...) prints one
  line ``error: <what is wrong and what to do>`` on stderr and exits 2;
- a usage error prints one line ``error: <argparse's message> (see --help)`` and exits 2;
- an unexpected exception prints one line naming it and pointing at ``--verbose`` for the traceback
  (exit 3), or the traceback itself when the command ran with ``--verbose``;
- Ctrl-C / SIGTERM print ``error: interrupted`` and exit 130 / 143.

This module imports nothing from the project, so any package can use it without an import cycle.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import traceback
from pathlib import Path

EXIT_ERROR = 2
EXIT_INTERNAL = 3


class UserError(Exception):
    """A known error: its message is one line saying what is wrong and what to do."""


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so ``finally`` blocks (child processes) clean up."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line usage errors and defaults shown in --help."""

    def __init__(self, *a, **kw):
        kw.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*a, **kw)

    def error(self, message):
        print(f"error: {one_line(message)} (see --help)", file=sys.stderr)
        sys.exit(EXIT_ERROR)


def one_line(msg) -> str:
    return " ".join(str(msg).split())


def _end_progress_line():
    """On a terminal, a progress bar may own the current line: start the error on a fresh one."""
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
    except (OSError, ValueError):
        pass


def _on_sigterm(signum, frame):
    raise Terminated()


def run_main(body, args=None, verbose: bool | None = None) -> int:
    """Run ``body(args)`` (or ``body()`` when args is None) under the project's error conventions;
    returns the exit status. ``verbose`` defaults to ``args.verbose`` when the parser has it."""
    if verbose is None:
        verbose = bool(getattr(args, "verbose", False))
    old = None
    try:
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:          # not the main thread (a test calling main() from a worker)
        pass
    try:
        rc = body(args) if args is not None else body()
        return rc if isinstance(rc, int) else 0     # a body may return its result (train.py: the report)
    except UserError as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _end_progress_line()
        print("error: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        _end_progress_line()
        print("error: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:     # `... | head`: not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as e:
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        print(f"error: {one_line(e.strerror or e)}{where}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - never a bare traceback for the user
        if verbose:
            traceback.print_exc()
        print(f"error: unexpected {type(e).__name__}: {one_line(e)[:300]}"
              + ("" if verbose else " (rerun with --verbose for the traceback)"), file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if old is not None:
            try:
                signal.signal(signal.SIGTERM, old)
            except ValueError:
                pass


# Argument types: each rejects a bad value with a one-line reason (argparse adds the option name).

def _number(kind, lo=None, hi=None, lo_open=False, hi_open=False):
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}")
        if isinstance(v, float) and not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {'>' if lo_open else '>='} {lo:g}"
                                             + (f" and {'<' if hi_open else '<='} {hi:g}" if hi is not None else ""))
        if hi is not None and (v > hi or (hi_open and v == hi)):
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {'<' if hi_open else '<='} {hi:g}"
                                             + (f" and {'>' if lo_open else '>='} {lo:g}" if lo is not None else ""))
        return v
    parse.__name__ = kind.__name__        # argparse names the type in its messages
    return parse


def int_range(lo=None, hi=None):
    """An int in [lo, hi]."""
    return _number(int, lo, hi)


def float_range(lo=None, hi=None, lo_open=False, hi_open=False):
    """A finite float in [lo, hi] (open ends on request)."""
    return _number(float, lo, hi, lo_open, hi_open)


positive_int = int_range(1)
nonneg_int = int_range(0)
positive_float = float_range(0, lo_open=True)
nonneg_float = float_range(0)


def pow2_bytes(lo: int, hi: int):
    """A power-of-two byte count in [lo, hi], written as bytes (131072, 0x20000) or KiB (128k)."""
    def parse(text):
        t = text.strip().lower()
        try:
            n = int(t[:-1]) * 1024 if t.endswith("k") else int(t, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a size in bytes (e.g. 131072, 0x20000 or 128k)")
        if n < lo or n > hi or n & (n - 1):
            raise argparse.ArgumentTypeError(f"{text}: a power of two from {lo // 1024}k to {hi // 1024}k bytes")
        return n
    parse.__name__ = "size"
    return parse


def input_file(text):
    """An existing, readable regular file."""
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not a file")
    if not os.access(p, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: not readable")
    return text


def accel_config_file(text):
    """An accelerator configuration JSON file (``python -m accel.dse`` writes one): the AccelConfig."""
    from accel.hw.config import load_config
    input_file(text)
    try:
        return load_config(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def check_writable(path, inputs=(), what="output") -> Path:
    """Refuse, before any work, an output path that cannot be written or that names an input."""
    p = Path(path)
    for i in inputs:
        if i is not None and Path(i).exists() and p.exists() and p.resolve() == Path(i).resolve():
            raise UserError(f"{what} {path} is also an input; writing it would destroy the input: choose another path")
    if p.is_dir():
        raise UserError(f"{what} {path} is a directory; give a file name")
    if p.exists():
        if not _can_open_for_append(p):
            raise UserError(f"cannot write {what} {path}: the file is not writable")
        return p
    probe = _nearest_existing(p.parent if str(p.parent) else Path("."))
    if not _can_create_in(probe):
        raise UserError(f"cannot write {what} {path}: {probe} is not a writable directory")
    return p


def check_writable_dir(path, what="output directory") -> Path:
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UserError(f"{what} {path} exists and is not a directory")
    probe = _nearest_existing(p)
    if not _can_create_in(probe):
        raise UserError(f"cannot write {what} {path}: {probe} is not a writable directory")
    return p


def _nearest_existing(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _can_create_in(d: Path) -> bool:
    """Whether a file can be created in directory ``d``, found by creating (and removing) one: permission
    bits alone say yes to root everywhere, also on /proc or a read-only mount."""
    import tempfile
    if not d.is_dir():
        return False
    try:
        fd, name = tempfile.mkstemp(dir=d, prefix=".kws-write-check-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def _can_open_for_append(p: Path) -> bool:
    """Whether an existing file can be written: opened for append (its contents and mtime untouched)."""
    try:
        with open(p, "ab"):
            return True
    except OSError:
        return False

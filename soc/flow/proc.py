"""Child processes of the build, each in its own process group so that it dies with the build.

A simulator started with ``start_new_session`` does not get the terminal's Ctrl-C, and a SIGTERM to
the build reaches only the build: without this, ``Vsim`` (or make's compilers) would run on at 100%
CPU after the build is gone. ``kws.cli.run_main`` turns SIGTERM into an exception, so the ``finally``
below runs on Ctrl-C, SIGTERM, a timeout and any error alike.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def kill_group(proc: subprocess.Popen):
    """SIGKILL the child's whole process group and reap the child."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


@contextlib.contextmanager
def group(cmd, **kw):
    """``Popen(cmd)`` in a new process group, killed (with everything it started) when the block
    exits before it has finished."""
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    try:
        yield proc
    finally:
        kill_group(proc)


def run(cmd, timeout=None, **kw) -> subprocess.CompletedProcess:
    """``subprocess.run`` with stdout+stderr captured as text, in a process group killed on any exit."""
    with group(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw) as p:
        out, _ = p.communicate(timeout=timeout)
        return subprocess.CompletedProcess(cmd, p.returncode, out, None)

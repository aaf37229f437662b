"""The firmware's console protocol: lines it prints that the host reads.

  KWS_CYCLES=<hex>   the cycle counter at exit (firmware/src/platform.c), for the simulation speed
  KWS_EXIT=<n>       the run's exit status (the firmware's main() return value)
  detect: <label> conf=<c>/255 t=<ms>ms ...   a kws detection
"""
from __future__ import annotations

import re
import threading

EXIT_MARK = "KWS_EXIT="
EXIT_RE = re.compile(re.escape(EXIT_MARK) + r"(-?\d+)")
CYCLES_RE = re.compile(r"^KWS_CYCLES=0x([0-9a-f]+)")
DETECT_RE = re.compile(r"^detect: (\S+) conf=(\d+)/255 t=(\d+)ms")
# Lines the Verilator harness prints itself (module loading, $finish): shown only with --verbose.
SIM_BANNER_RE = re.compile(r"^\[\w+\] (loaded|sys_clk:)|Verilog \$finish|^\[warn\] Epoll")


class ConsoleLines:
    """The firmware's console, line by line: printed (Verilator banners only with --verbose), kept,
    and scanned for the exit status and the cycle count."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.lines = []
        self.code = None
        self.cycles = None
        self.buf = b""
        self.lock = threading.Lock()

    def feed(self, chunk: bytes):
        with self.lock:
            self.buf += chunk
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                self._line(raw.decode("utf-8", "replace").strip("\r"))

    def flush(self):
        with self.lock:
            if self.buf:
                self._line(self.buf.decode("utf-8", "replace").strip("\r"))
                self.buf = b""

    def _line(self, line):
        self.lines.append(line)
        m = CYCLES_RE.search(line)
        if m:
            self.cycles = int(m.group(1), 16)
            if not self.verbose:
                return
        m = EXIT_RE.search(line)
        if m:
            self.code = int(m.group(1))
        if self.verbose or not SIM_BANNER_RE.search(line):
            print(line, flush=True)

    def last(self):
        return next((l for l in reversed(self.lines) if l.strip()), "(no output)")

    def detections(self):
        """[(label, confidence 0..255, time s)] of every detect line."""
        return [(m.group(1), int(m.group(2)), int(m.group(3)) / 1000.0)
                for m in (DETECT_RE.search(l) for l in self.lines) if m]

"""The phases of ``soc/build.py``, one module each; every phase takes what the previous one returned.

  plan        options -> Plan (the app, audio source, clips, detector settings; every check of the options)
  tools       the host tools a board needs
  proc        child processes in their own process group, killed with the build (Ctrl-C, SIGTERM, timeout)
  gateware    LiteX SoC -> Verilog (+ Verilator model on sim), cached -> Gateware
  memory_map  docs/memory-map.md from LiteX's csr.json
  app_headers the C headers an app needs (selftest table, model tables, infer inputs, kws settings) -> AppBuild
  clips       WAV clips -> Audio (samples + per-clip spans), detection attribution
  firmware    firmware/ with LiteX's headers -> ROM image (+ audio in main RAM) -> Firmware
  console     the firmware's UART lines (exit status, detections, cycle count)
  sim         the Verilator run -> SimResult
  uart_stream the simulated UART on a TCP socket, streaming the clip(s) as soc/stream_wav.py does
  fpga        FPGA project steps (Vivado build, openFPGALoader)
"""
from __future__ import annotations

from pathlib import Path

from kws.cli import UserError

ROOT = Path(__file__).resolve().parents[2]


class BuildError(UserError):
    """One line: what went wrong and what to do."""


def log(msg):
    print(f"[build] {msg}", flush=True)


def rel(p: Path) -> Path:
    """A path as the user reads it: relative to the repo root when inside it."""
    p = Path(p)
    return p.relative_to(ROOT) if p.is_relative_to(ROOT) else p


def write_if_changed(path: Path, text: str):
    """Write a generated file only when its text changes (make's timestamps stay meaningful)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)

"""Audio image in main RAM: how the simulated SoC gets a WAV without re-verilation.

soc/build.py --wav writes the clip into the main RAM's $readmemh file (``sim_main_ram.init``), which
the simulation reads when it starts. Layout at the start of main RAM (little-endian 32-bit words):

  word 0  magic   AUDIO_MAGIC ("KWSA")
  word 1  number of samples
  word 2  sample rate (Hz)
  word 3  reserved (0)
  then    the int16 samples, two per word (first sample in the low half)

The firmware reads it through the same constants (generated into firmware/include/soc_format.h by
soc/c_headers.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from frontend.format import SAMPLE_RATE

AUDIO_MAGIC = 0x4153574B  # "KWSA" little-endian
HEADER_WORDS = 4
# Where the firmware's audio comes from (soc/build.py --audio), in the order of the C codes AUDIO_SRC_*.
AUDIO_SOURCES = ("mem", "uart", "i2s")


def image_words(samples: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    s = np.asarray(samples, dtype=np.int16)
    if s.size % 2:
        s = np.concatenate([s, np.zeros(1, np.int16)])
    u = s.view(np.uint16).astype(np.uint32)
    words = u[0::2] | (u[1::2] << 16)
    head = np.array([AUDIO_MAGIC, len(samples), rate, 0], dtype=np.uint32)
    return np.concatenate([head, words])


def check_fits(n_samples: int, ram_bytes: int, rate: int = SAMPLE_RATE):
    """ValueError (one line) when n_samples of audio do not fit a main RAM of ram_bytes."""
    if 4 * (HEADER_WORDS + (n_samples + 1) // 2) > ram_bytes:
        secs = (ram_bytes // 4 - HEADER_WORDS) * 2 / rate
        raise ValueError(f"audio of {n_samples / rate:.1f} s does not fit the {ram_bytes // 1024} KiB "
                         f"main RAM (at most {secs:.1f} s); cut the clip, or stream it with --audio uart")


def write_main_ram_init(path: Path, samples, ram_bytes: int, rate: int = SAMPLE_RATE):
    if samples is not None:
        check_fits(len(samples), ram_bytes, rate)
    words = image_words(samples, rate) if samples is not None else np.zeros(0, np.uint32)
    Path(path).write_text("".join(f"{int(w):08x}\n" for w in words))

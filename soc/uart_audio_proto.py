"""UART audio framing, defined once (Python side); firmware/src/uart_audio.h mirrors the constants and
tests/test_soc_uart_audio.py asserts they are equal.

Frame (little-endian):
    0xA5 0x5A | seq u16 | n u8 (0..MAX_SAMPLES) | n x int16 samples | crc u16
crc = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over seq, n and
samples (== binascii.crc_hqx(data, 0xFFFF)).  seq increments by one per frame (mod 65536), so the
receiver counts missing frames exactly.  n = 0 is the end-of-stream frame: the firmware finishes
the clip (prints its detections and stream counters; in simulation it then exits).

Rate: 16 kHz int16 = 32,000 payload bytes/s; with 64-sample frames (135 bytes per 128 payload bytes)
33,750 bytes/s, i.e. 337,500 baud on 8N1 (10 bits per byte).  The default 1,000,000 baud gives a
2.96x margin; 2,000,000 baud (FT2232H on the Arty) 5.9x.
"""
from __future__ import annotations

import binascii
import struct

from frontend.format import SAMPLE_RATE

SYNC = b"\xA5\x5A"
MAX_SAMPLES = 64
HEADER_BYTES = 5                  # sync(2) + seq(2) + n(1)
CRC_BYTES = 2
MAX_FRAME_BYTES = HEADER_BYTES + 2 * MAX_SAMPLES + CRC_BYTES
FS = SAMPLE_RATE                  # the front-end's sample rate (frontend/format.py)
DEFAULT_BAUD = 1_000_000


def crc16(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def frame(seq: int, samples) -> bytes:
    n = len(samples)
    if not 0 <= n <= MAX_SAMPLES:
        raise ValueError(f"a frame holds 0..{MAX_SAMPLES} samples, not {n}")
    body = struct.pack(f"<HB{n}h", seq & 0xFFFF, n, *[int(s) for s in samples])
    return SYNC + body + struct.pack("<H", crc16(body))


def end_frame(seq: int) -> bytes:
    """The end-of-stream frame (no samples)."""
    return frame(seq, [])


def frames(samples, n: int = MAX_SAMPLES, seq0: int = 0):
    """Split int16 samples into frames of n (the last may be shorter): yields (seq, chunk, bytes)."""
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"frames carry 1..{MAX_SAMPLES} samples, not {n}")
    for i, k in enumerate(range(0, len(samples), n)):
        chunk = [int(s) for s in samples[k:k + n]]
        seq = (seq0 + i) & 0xFFFF
        yield seq, chunk, frame(seq, chunk)


def required_baud(n: int = MAX_SAMPLES, fs: int = FS, bits_per_byte: int = 10) -> float:
    """Line rate that sustains fs int16 samples in frames of n samples (8N1: 10 bits per byte)."""
    frame_bytes = HEADER_BYTES + 2 * n + CRC_BYTES
    return fs / n * frame_bytes * bits_per_byte

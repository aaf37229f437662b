#!/usr/bin/env python3
"""Stream a WAV clip to the Arty over the UART (for a board without a microphone).

    python soc/stream_wav.py --port /dev/ttyUSB1 CLIP.wav [--baud 1000000] [--no-pace] [--loop N]

The clip is read with frontend.wav.read_wav (mixed to mono and resampled to 16 kHz with a note when
needed), cut into frames of soc/uart_audio_proto.py (sync, sequence number, up to 64 int16 samples,
CRC-16) and sent paced at real time (16 kHz; --no-pace sends as fast as the line allows), then the
end-of-stream frame, after which the firmware prints its stream counters (frames, samples, errors)
and waits for the next stream.  Whatever the board prints (detection lines, counters) is shown as it
arrives.  The firmware side is firmware/src/uart_audio.c + audio_src.c; soc/build.py --board sim
--audio uart runs the same exchange against the simulated SoC (send_clip below).
"""
from __future__ import annotations

import sys
import threading
import time

# The repo is installed (editable) in the venv by scripts/setup.sh: no sys.path edits needed.
from kws.cli import ArgumentParser, UserError, input_file, int_range, nonneg_float, run_main
from soc import uart_audio_proto as P


def send_clip(write, samples, n: int = P.MAX_SAMPLES, seq0: int = 0, pace: bool = False, end: bool = True,
              t0: float | None = None):
    """Frame int16 samples and hand the bytes to ``write`` (pyserial's write, a socket's sendall);
    ``pace``: no faster than 16 kHz real time; ``end``: finish with the end-of-stream frame.
    Returns (samples sent, frames sent including the end frame)."""
    seq, sent, frames = seq0, 0, 0
    t0 = time.monotonic() if t0 is None else t0
    for s, chunk, frame in P.frames(samples, n, seq0=seq0):
        write(frame)
        sent += len(chunk)
        frames += 1
        seq = (s + 1) & 0xFFFF
        if pace:
            ahead = t0 + sent / P.FS - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    if end:
        write(P.end_frame(seq))
        frames += 1
    return sent, frames


def parse_args(argv=None):
    ap = ArgumentParser(description="Stream a WAV file to the KWS SoC over the UART and print what the board says.")
    ap.add_argument("wav", type=input_file, help="the clip (any rate/channels: mixed to mono, resampled to 16 kHz)")
    ap.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB1 (the Arty's second FTDI port)")
    ap.add_argument("--baud", type=int_range(9600, 12_000_000), default=P.DEFAULT_BAUD,
                    help="must match the firmware's UART")
    ap.add_argument("--samples-per-frame", type=int_range(1, P.MAX_SAMPLES), default=P.MAX_SAMPLES)
    ap.add_argument("--no-pace", action="store_true", help="send as fast as the line allows")
    ap.add_argument("--loop", type=int_range(1, 100_000), default=1, help="send the clip N times")
    ap.add_argument("--tail", type=nonneg_float, default=2.0,
                    help="seconds to keep printing the board's output at the end")
    ap.add_argument("--verbose", action="store_true", help="tracebacks on unexpected errors")
    return ap.parse_args(argv)


def stream(a):
    from frontend.wav import read_wav
    x, note = read_wav(a.wav)          # AudioError is a UserError: one line
    if note:
        print(note)
    n = a.samples_per_frame
    need = P.required_baud(n)
    print(f"{a.wav}: {len(x) / P.FS:.2f} s, {len(x)} samples; frames of {n} samples need {need:,.0f} baud "
          f"(8N1) for 16 kHz real time; line {a.baud:,} baud = {a.baud / need:.2f}x margin")
    if a.baud < need:
        raise UserError(f"{a.baud} baud cannot sustain 16 kHz with {n}-sample frames; use --baud >= {need:,.0f}")
    try:
        import serial
        ser = serial.serial_for_url(a.port, a.baud, timeout=0.05)  # also loop:// for tests
    except Exception as e:  # noqa: BLE001 (pyserial raises SerialException/OSError/ValueError)
        raise UserError(f"cannot open {a.port}: {e}")

    stop = threading.Event()

    def reader():
        buf = b""
        while not stop.is_set():
            try:
                chunk = ser.read(256)
            except Exception as e:  # noqa: BLE001 - the board went away mid-stream
                print(f"board: serial port closed ({type(e).__name__})", flush=True)
                return
            if chunk:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    print("board:", line.decode("utf-8", "replace").rstrip("\r"), flush=True)
        if buf:
            print("board:", buf.decode("utf-8", "replace"), flush=True)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    import numpy as np
    t0 = time.monotonic()
    try:
        sent, frames = send_clip(ser.write, np.tile(x, a.loop), n, pace=not a.no_pace, t0=t0)
        ser.flush()
        el = time.monotonic() - t0
        print(f"sent {sent} samples ({sent / P.FS:.2f} s of audio) in {el:.2f} s, {frames} frames "
              "(the last: end of stream)")
        time.sleep(a.tail)
    finally:
        stop.set()
        t.join(1)
        ser.close()
    return 0


def main(argv=None):
    a = parse_args(argv)
    return run_main(stream, a)


if __name__ == "__main__":
    sys.exit(main())

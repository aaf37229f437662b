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

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soc import uart_audio_proto as P  # noqa: E402


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


def main(argv=None):
    ap = argparse.ArgumentParser(description="Stream a WAV file to the KWS SoC over the UART.")
    ap.add_argument("wav")
    ap.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB1 (the Arty's second FTDI port)")
    ap.add_argument("--baud", type=int, default=P.DEFAULT_BAUD, help="must match the firmware's UART")
    ap.add_argument("--samples-per-frame", type=int, default=P.MAX_SAMPLES)
    ap.add_argument("--no-pace", action="store_true", help="send as fast as the line allows")
    ap.add_argument("--loop", type=int, default=1, help="send the clip N times")
    ap.add_argument("--tail", type=float, default=2.0, help="seconds to keep printing the board's output at the end")
    a = ap.parse_args(argv)

    from frontend import AudioError
    from frontend.wav import read_wav
    try:
        x, note = read_wav(a.wav)
    except AudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if note:
        print(note)
    n = a.samples_per_frame
    if not 1 <= n <= P.MAX_SAMPLES:
        print(f"error: --samples-per-frame must be 1..{P.MAX_SAMPLES}", file=sys.stderr)
        return 2
    need = P.required_baud(n)
    print(f"{a.wav}: {len(x) / P.FS:.2f} s, {len(x)} samples; frames of {n} samples need {need:,.0f} baud "
          f"(8N1) for 16 kHz real time; line {a.baud:,} baud = {a.baud / need:.2f}x margin")
    if a.baud < need:
        print(f"error: {a.baud} baud cannot sustain 16 kHz; use >= {need:,.0f}", file=sys.stderr)
        return 2

    try:
        import serial
        ser = serial.serial_for_url(a.port, a.baud, timeout=0.05)  # also loop:// for tests
    except Exception as e:  # noqa: BLE001 (pyserial raises SerialException/OSError/ValueError)
        print(f"error: cannot open {a.port}: {e}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def reader():
        buf = b""
        while not stop.is_set():
            chunk = ser.read(256)
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
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        stop.set()
        t.join(1)
        ser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

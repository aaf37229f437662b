"""UART audio framing: the firmware's C parser (firmware/src/uart_audio.c, built natively) against
streams made by the host's framing code (soc/uart_audio_proto.py, used by soc/stream_wav.py), with
framing errors, truncated frames, garbage and bit flips injected."""
import ctypes
import random
import re
import shutil
import struct
import subprocess

import pytest

from soc import uart_audio_proto as P
from tests.conftest import ROOT

SRC = ROOT / "firmware" / "src"

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")


class Stats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in
                ("frames_ok", "samples", "crc_errors", "len_errors", "skipped_bytes", "seq_gaps", "short_frames")]


DELIVER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint16, ctypes.POINTER(ctypes.c_int16), ctypes.c_uint)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    so = tmp_path_factory.mktemp("ua") / "libuart_audio.so"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c99", "-shared", "-fPIC", "-o", str(so),
                    str(SRC / "uart_audio.c")], check=True)
    return ctypes.CDLL(str(so))


class Parser:
    def __init__(self, lib):
        self.lib = lib
        self.mem = ctypes.create_string_buffer(lib.ua_sizeof_parser())
        self.frames = []
        self.cb = DELIVER(lambda ctx, seq, s, n: self.frames.append((seq, [s[i] for i in range(n)])))
        lib.ua_init(self.mem, self.cb, None)

    def feed(self, data: bytes):
        self.lib.ua_feed_buf(self.mem, data, len(data))

    @property
    def stats(self):
        st = Stats()
        self.lib.ua_get_stats(self.mem, ctypes.byref(st))
        return st


def test_constants_match_c_header():
    h = (SRC / "uart_audio.h").read_text()
    d = {m.group(1): m.group(2) for m in re.finditer(r"#define (UA_\w+) (\S+)", h)}
    assert int(d["UA_SYNC0"], 16) == P.SYNC[0] and int(d["UA_SYNC1"], 16) == P.SYNC[1]
    assert int(d["UA_MAX_SAMPLES"]) == P.MAX_SAMPLES
    assert int(d["UA_HEADER_BYTES"]) == P.HEADER_BYTES and int(d["UA_CRC_BYTES"]) == P.CRC_BYTES


def test_crc_and_frame_layout(lib):
    lib.ua_crc16.restype = ctypes.c_uint16
    data = bytes(range(200))
    assert lib.ua_crc16(data, len(data)) == P.crc16(data)
    assert P.crc16(b"123456789") == 0x29B1          # CRC-16/CCITT-FALSE check value
    f = P.frame(0x1234, [1, -1, -32768])
    assert f[:2] == P.SYNC and f[2:5] == b"\x34\x12\x03" and len(f) == 5 + 6 + 2
    assert struct.unpack("<3h", f[5:11]) == (1, -1, -32768)
    assert P.required_baud() == 337_500 and P.DEFAULT_BAUD / P.required_baud() > 2.5


def _samples(rng, n):
    return [rng.randrange(-32768, 32768) for _ in range(n)]


def test_clean_stream_split_anywhere(lib, seed):
    rng = random.Random(seed)
    x = _samples(rng, 5000) + [-32768, 32767, 0, -1]
    stream = b"".join(b for _, _, b in P.frames(x, 64, seq0=65500))   # sequence wraps at 65536
    p = Parser(lib)
    i = 0
    while i < len(stream):                          # arbitrary chunking
        k = rng.randrange(1, 300)
        p.feed(stream[i:i + k])
        i += k
    got = [s for _, f in p.frames for s in f]
    assert got == x
    st = p.stats
    assert st.frames_ok == len(p.frames) == -(-len(x) // 64) and st.samples == len(x)
    assert (st.crc_errors, st.len_errors, st.skipped_bytes, st.seq_gaps) == (0, 0, 0, 0)


def _corrupt(rng, kind, b):
    if kind == "flip":        # one bit flipped outside the sync bytes (CRC-16 catches every single-bit error)
        i = rng.randrange(2, len(b))
        return b[:i] + bytes([b[i] ^ (1 << rng.randrange(8))]) + b[i + 1:]
    if kind == "flip2":       # two bit flips
        b = bytearray(b)
        for i in rng.sample(range(2, len(b)), 2):
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == "trunc":       # cut short (sync kept): the next frame follows at once
        return b[:rng.randrange(2, len(b))]
    if kind == "badlen":      # length field > max (0 is the end-of-stream frame)
        return b[:4] + bytes([rng.choice([P.MAX_SAMPLES + 1, 255])]) + b[5:]
    if kind == "badsync":     # second sync byte wrong: the whole frame is garbage to the parser
        return b[:1] + bytes([b[1] ^ 0xFF]) + b[2:]
    raise ValueError(kind)


@pytest.mark.parametrize("kinds,garbage", [
    (("flip",), False), (("flip2",), False), (("trunc",), False), (("badlen",), False), (("badsync",), False),
    (("flip", "flip2", "trunc", "badlen", "badsync"), True),
])
def test_injected_errors(lib, seed, kinds, garbage):
    rng = random.Random(seed)
    n_frames = 400
    good, stream, bad = [], bytearray(), {k: 0 for k in kinds}
    trunc_runs, prev_trunc = 0, False
    x = _samples(rng, 64 * n_frames)
    for i, (seq, chunk, b) in enumerate(P.frames(x, 64)):
        n = rng.randrange(1, 65)                      # variable frame sizes
        chunk = chunk[:n]
        b = P.frame(seq, chunk)
        if 0 < i < n_frames - 1 and rng.random() < 0.2:
            kind = rng.choice(kinds)
            bad[kind] += 1
            b = _corrupt(rng, kind, b)
            trunc_runs += kind == "trunc" and not prev_trunc
            prev_trunc = kind == "trunc"
        else:
            good.append((seq, chunk))
            prev_trunc = False
        stream += b
        if garbage and rng.random() < 0.3:
            g = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
            if rng.random() < 0.3:
                g += P.SYNC                            # a false sync right before a real frame
            stream += g
    p = Parser(lib)
    p.feed(bytes(stream))
    st = p.stats
    n_bad = sum(bad.values())
    assert n_bad > 40
    # every good frame exactly once, in order; nothing else delivered
    assert p.frames == good
    assert st.frames_ok == len(good) and st.samples == sum(len(c) for _, c in good)
    # every bad frame is accounted for: one missing sequence number each
    assert st.seq_gaps == n_bad
    counted = bad.get("flip", 0) + bad.get("flip2", 0) + bad.get("trunc", 0) + bad.get("badlen", 0)
    assert st.crc_errors + st.len_errors >= counted
    if not garbage:
        assert st.len_errors >= bad.get("badlen", 0)
        if kinds == ("trunc",):
            # a run of back-to-back truncated frames ends in one good frame starting inside a failed one
            assert st.short_frames == trunc_runs
        if kinds in (("flip",), ("flip2",)):
            assert st.crc_errors == n_bad and st.len_errors == 0 or st.crc_errors + st.len_errors >= n_bad
        if kinds == ("badsync",):
            assert st.crc_errors + st.len_errors == 0 or st.skipped_bytes > 0
            assert st.skipped_bytes >= sum(1 for _ in range(n_bad))


def test_end_of_stream_frame(lib):
    """n = 0 is a good frame without samples (end of stream); its sequence number counts like any other."""
    p = Parser(lib)
    f0, end, f2 = P.frame(1, [10, 11]), P.end_frame(2), P.frame(3, [12])
    assert len(end) == P.HEADER_BYTES + P.CRC_BYTES and end[4] == 0
    p.feed(f0 + end + f2)
    assert p.frames == [(1, [10, 11]), (2, []), (3, [12])]
    bad = bytearray(P.end_frame(4))
    bad[-1] ^= 1                                       # a corrupted end frame is not an end
    p.feed(bytes(bad) + P.end_frame(5))
    assert p.frames[-1] == (5, []) and len(p.frames) == 4
    st = p.stats
    assert st.frames_ok == 4 and st.samples == 3 and st.crc_errors == 1 and st.seq_gaps == 1
    with pytest.raises(ValueError):
        list(P.frames([1, 2], 0))


def test_truncated_tail_and_resume(lib):
    """A frame cut off at the end of a burst is not delivered; the next burst resumes cleanly."""
    p = Parser(lib)
    f0, f1, f2 = P.frame(7, [1, 2, 3]), P.frame(8, [4, 5]), P.frame(9, [6])
    p.feed(f0 + f1[:6])
    assert p.frames == [(7, [1, 2, 3])]
    p.feed(f2)
    assert p.frames == [(7, [1, 2, 3]), (9, [6])]
    st = p.stats
    assert st.seq_gaps == 1 and st.short_frames == 1 and st.crc_errors + st.len_errors == 1


def test_stream_wav_bytes_parse_back(lib, tmp_path, monkeypatch, capsys):
    """soc/stream_wav.py's actual output, captured from a fake port, parses back to the clip."""
    import numpy as np
    import serial
    import soundfile as sf

    from frontend.wav import read_wav
    from soc import stream_wav

    rng = np.random.default_rng(3)
    y = (rng.standard_normal(22050 // 4) * 0.2).clip(-1, 1)
    wav = tmp_path / "clip.wav"
    sf.write(wav, y, 22050)                             # 22.05 kHz: resampled with a note
    written = bytearray()

    class FakePort:
        def __init__(self, *a, **k):
            pass

        def write(self, b):
            written.extend(b)

        def read(self, n):
            return b""

        def flush(self):
            pass

        def close(self):
            pass

    monkeypatch.setattr(serial, "serial_for_url", FakePort)
    assert stream_wav.main([str(wav), "--port", "fake", "--no-pace", "--tail", "0"]) == 0
    out = capsys.readouterr().out
    assert "resampled 22050 Hz -> 16000 Hz" in out and "337,500 baud" in out
    x, _ = read_wav(wav)
    p = Parser(lib)
    p.feed(bytes(written))
    assert [s for _, f in p.frames for s in f] == x.tolist()
    assert p.frames[-1][1] == [] and all(f for _, f in p.frames[:-1])     # ends with the end-of-stream frame
    assert p.stats.seq_gaps == 0 and p.stats.crc_errors == 0

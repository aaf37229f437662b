"""C port of the front-end (firmware/fe): bit-exact with frontend.golden in every mode, frame by frame,
against both the batch API (golden.features) and golden.Streaming; the generated table header is
current; the source compiles for rv32im (freestanding, no libc)."""
import ctypes
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from frontend import c_headers as C, format as F, golden as G, signals as S, tables as T
from frontend.wav import read_wav

ROOT = Path(__file__).resolve().parents[1]
FE = ROOT / "firmware" / "fe"
INCLUDE = ROOT / "firmware" / "include"          # frontend_format.h (generated from frontend/format.py)
CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", f"-I{INCLUDE}"]
MODE_ID = F.MODE_CODES
RV_CC = "riscv64-unknown-elf-gcc"
# libgcc helpers an rv32im build may call (64-bit shifts); the firmware links libgcc
LIBGCC_OK = {"__ashrdi3", "__ashldi3", "__lshrdi3", "__muldi3"}

PCEN_FIELDS = F.PCEN_FIELDS
NON_DEFAULT_PCEN = [
    G.PcenParams(time_constant=0.06, gain=0.8, bias=10.0, power=0.25, eps=1e-3),
    G.PcenParams(time_constant=1.5, gain=0.5, bias=0.5, power=0.9, eps=1e-6),   # low gain: int8 saturation
    G.PcenParams(time_constant=0.2, gain=1.2, bias=1.0, power=0.33, eps=1e-4),  # alpha > 1: c(alpha) < 0
]


class PcenQ(ctypes.Structure):
    _fields_ = [(f, ctypes.c_int32) for f in PCEN_FIELDS]


class FeC:
    def __init__(self, lib_path):
        lib = ctypes.CDLL(str(lib_path))
        lib.fe_c_init.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(PcenQ)]
        lib.fe_c_init.restype = ctypes.c_int
        lib.fe_c_push.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        lib.fe_c_push.restype = ctypes.c_int
        lib.fe_c_features.argtypes = [ctypes.c_int]
        lib.fe_c_features.restype = ctypes.c_int
        lib.fe_c_state_size.restype = ctypes.c_size_t
        self.lib = lib
        self.size = lib.fe_c_state_size()

    def new(self, mode, params=None):
        st = (ctypes.c_int64 * (self.size // 8 + 1))()      # 8-byte aligned state
        q = None
        if params is not None:
            qd = params.quantized()
            assert all(-(1 << 31) <= qd[f] < (1 << 31) for f in PCEN_FIELDS)
            q = ctypes.byref(PcenQ(*[qd[f] for f in PCEN_FIELDS]))
        assert self.lib.fe_c_init(st, MODE_ID[mode], q) == 0
        return st

    def run(self, audio, mode, params=None):
        """Push audio (length a multiple of 320) hop by hop -> (list of frames or None per hop)."""
        a = np.ascontiguousarray(audio, dtype=np.int16)
        assert a.shape[0] % T.HOP == 0
        st = self.new(mode, params)
        nf = self.lib.fe_c_features(MODE_ID[mode])
        out = np.zeros(nf, dtype=np.int8)
        res = []
        for i in range(0, a.shape[0], T.HOP):
            hop = a[i:i + T.HOP]
            got = self.lib.fe_c_push(st, hop.ctypes.data, out.ctypes.data)
            res.append(out.copy() if got else None)
        return res


@pytest.fixture(scope="module")
def fec(tmp_path_factory):
    d = tmp_path_factory.mktemp("fe_c")
    so = d / "libfe.so"
    subprocess.run(["cc", *CFLAGS, "-shared", "-fPIC", "-o", str(so), str(FE / "fe.c")], check=True)
    return FeC(so)


def _fit(a):
    """Pad to a whole number of hops."""
    a = np.asarray(a, dtype=np.int16)
    return np.concatenate([a, np.zeros((-a.shape[0]) % T.HOP, np.int16)])


def _espeak(tmp, word, *args):
    p = Path(tmp) / f"{abs(hash((word,) + args))}.wav"
    subprocess.run(["espeak-ng", *args, "-w", str(p), word], check=True, capture_output=True)
    a, _ = read_wav(p)
    return a


@pytest.fixture(scope="module")
def signals(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    tmp = tmp_path_factory.mktemp("speech")
    rng = np.random.default_rng(1234)
    quiet = _espeak(tmp, "yes no stop go", "-v", "en", "-s", "170")
    sig = {
        "speech": _espeak(tmp, "turn on the lights, left, right, up, down", "-v", "en", "-s", "150"),
        "speech_f_loud": np.clip(_espeak(tmp, "marvin, sheila, house", "-v", "en+f3", "-p", "70").astype(np.int32) * 4,
                                 -32768, 32767).astype(np.int16),
        "speech_quiet": np.round(quiet * 10 ** (-30 / 20)).astype(np.int16),
        "white_noise_0dBFS": S.noise(1.0, 0.0, rng),
        "white_noise_-40dBFS": S.noise(1.0, -40.0, rng),
        "square_fullscale": S.square(1.0, 437.0),
        "square_3k": S.square(0.5, 3000.0, 0.3),
        "dc_offset_noise": (S.dc(1.0, 12000).astype(np.int32) + S.noise(1.0, -50.0, rng)).clip(-32768, 32767)
        .astype(np.int16),
        "dc_-32768": S.dc(0.5, -32768),
        "dc_+32767": S.dc(0.5, 32767),
        "silence": S.silence(1.0),
        "nyquist": np.tile(np.array([32767, -32768], np.int16), 4000),
        "stress_mix": S.stress_mix(0.1, rng),
    }
    return {k: _fit(v) for k, v in sig.items()}


def _check(fec, audio, mode, params=None):
    """Compare the C stream with the batch rows; returns (mismatching values, frames)."""
    got = fec.run(audio, mode, params)
    assert got[0] is None and all(g is not None for g in got[1:])
    c = np.stack(got[1:])
    ref = G.features(audio, mode, params)
    assert c.shape == ref.shape
    return int(np.count_nonzero(c != ref)), c


@pytest.mark.parametrize("mode", G.MODES)
def test_bit_exact_every_signal(fec, signals, mode):
    total, secs = 0, 0.0
    for name, a in signals.items():
        bad, c = _check(fec, a, mode)
        print(f"  {mode:6s} {name:22s} {a.shape[0] / T.SR:5.2f} s {c.shape[0]:4d} frames, {bad} mismatches")
        assert bad == 0, f"{mode} {name}: {bad} mismatching values"
        total += bad
        secs += a.shape[0] / T.SR
    print(f"[fe_c] {mode}: {secs:.2f} s of audio, {total} mismatches")


@pytest.mark.parametrize("mode", G.MODES)
def test_streaming_concatenated(fec, signals, mode):
    """One stream through every signal back to back (PCEN state carried across the transitions), against
    golden.Streaming hop by hop."""
    a = np.concatenate(list(signals.values()))
    got = fec.run(a, mode)
    st = G.Streaming(mode)
    bad = 0
    for i, g in enumerate(got):
        ref = st.push(a[i * T.HOP:(i + 1) * T.HOP])
        assert (g is None) == (ref is None), i
        if ref is not None:
            bad += int(np.count_nonzero(g != ref))
    print(f"[fe_c] {mode} streaming: {a.shape[0] / T.SR:.2f} s, {len(got) - 1} frames, {bad} mismatches")
    assert bad == 0


@pytest.mark.parametrize("params", NON_DEFAULT_PCEN, ids=["fast", "lowgain", "alpha>1"])
def test_pcen_non_default_params(fec, signals, params):
    a = np.concatenate([signals[k] for k in ("silence", "speech", "square_fullscale", "speech_quiet",
                                             "white_noise_-40dBFS", "dc_offset_noise", "stress_mix")])
    bad, c = _check(fec, a, "pcen", params)
    print(f"[fe_c] pcen {params}: {a.shape[0] / T.SR:.2f} s, {bad} mismatches, "
          f"range {int(c.min())}..{int(c.max())}")
    assert bad == 0
    st = G.Streaming("pcen", params)
    got = fec.run(a, "pcen", params)
    for i, g in enumerate(got):
        ref = st.push(a[i * T.HOP:(i + 1) * T.HOP])
        if ref is not None:
            np.testing.assert_array_equal(g, ref)
    if params is NON_DEFAULT_PCEN[1]:
        assert c.max() == 127, "the low-gain set must drive PCEN into int8 saturation"


def test_api_edges(fec):
    assert fec.lib.fe_c_features(0) == 40 and fec.lib.fe_c_features(1) == 40 and fec.lib.fe_c_features(2) == 10
    assert fec.lib.fe_c_features(3) == 0
    st = (ctypes.c_int64 * (fec.size // 8 + 1))()
    assert fec.lib.fe_c_init(st, 3, None) == -1 and fec.lib.fe_c_init(st, -1, None) == -1
    # explicit default parameters == NULL
    rng = np.random.default_rng(7)
    a = _fit(S.noise(0.5, -20.0, rng))
    x = np.stack(fec.run(a, "pcen")[1:])
    y = np.stack(fec.run(a, "pcen", G.PcenParams())[1:])
    np.testing.assert_array_equal(x, y)
    # re-init resets the stream (history and PCEN state)
    np.testing.assert_array_equal(np.stack(fec.run(a, "pcen")[1:]), x)
    assert fec.size < 8 * 1024, f"fe_c_t is {fec.size} bytes"


def test_native_speed(fec):
    rng = np.random.default_rng(3)
    a = _fit(S.noise(2.0, -20.0, rng))
    for mode in G.MODES:
        st = fec.new(mode)
        out = np.zeros(40, np.int8)
        hops = [np.ascontiguousarray(a[i:i + T.HOP]) for i in range(0, a.shape[0], T.HOP)]
        ptrs = [h.ctypes.data for h in hops]
        best = 1e9
        for _ in range(3):
            t0 = time.perf_counter()
            for p in ptrs:
                fec.lib.fe_c_push(st, p, out.ctypes.data)
            best = min(best, (time.perf_counter() - t0) / len(ptrs))
        print(f"[fe_c] native {mode}: {best * 1e6:.1f} us per hop (ctypes call included; a hop is 20 ms)")
        assert best < 2e-3


def test_tables_header_is_current():
    assert (FE / "fe_tables.h").read_text() == C.render_tables(), \
        "firmware/fe/fe_tables.h is stale: run python -m frontend headers"


def test_format_header_is_current():
    """firmware/include/frontend_format.h (modes, sizes, ring layout, register bits) is generated from
    frontend/format.py, as firmware/include/accel_desc.h is from accel/descriptor.py."""
    assert (INCLUDE / "frontend_format.h").read_text() == C.render_format(), \
        "firmware/include/frontend_format.h is stale: run python -m frontend headers"
    assert C.stale() == []


def test_format_header_values():
    """The generated defines carry the values of frontend.format (and of the LiteX wrapper)."""
    from frontend.hw.litex_core import Frontend
    text = C.render_format()
    defs = {}
    for line in text.splitlines():
        p = line.split(None, 2)
        if len(p) == 3 and p[0] == "#define" and "(" not in p[1]:
            defs[p[1]] = p[2]
    for m in F.MODES:
        assert defs[f"FE_MODE_{m.upper()}"] == f"({F.MODE_CODES[m]})"
        assert defs[f"FE_FEATURES_{m.upper()}"] == f"({F.FEATURES[m]})"
    assert defs["FE_FRAMES_PER_WINDOW"] == "(49)" and defs["FE_SAMPLE_RATE"] == f"({F.SAMPLE_RATE})"
    assert defs["FE_HOP"] == f"({T.HOP})"
    assert defs["FE_RING_SLOTS"] == f"({Frontend.N_SLOTS})" and defs["FE_SLOT_BYTES"] == f"({Frontend.SLOT_BYTES})"
    for k, v in F.PcenParams().quantized().items():
        assert defs[f"FE_PCEN_DEFAULT_{k.upper()}"] == f"({v})"


def test_headers_cli_check():
    r = subprocess.run([sys.executable, "-m", "frontend", "headers", "--check"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "frontend_format.h: up to date" in r.stdout and "fe_tables.h: up to date" in r.stdout


@pytest.mark.skipif(shutil.which(RV_CC) is None, reason=f"{RV_CC} not installed")
def test_rv32im_compiles(tmp_path):
    obj = tmp_path / "fe.o"
    subprocess.run([RV_CC, "-march=rv32im", "-mabi=ilp32", "-O2", "-ffreestanding", *CFLAGS, "-c",
                    str(FE / "fe.c"), "-o", str(obj)], check=True)
    size = subprocess.run(["riscv64-unknown-elf-size", str(obj)], check=True, capture_output=True,
                          text=True).stdout
    print("[fe_c] rv32im -O2:\n" + size)
    undef = subprocess.run(["riscv64-unknown-elf-nm", "-u", str(obj)], check=True, capture_output=True,
                           text=True).stdout.split()
    syms = {s for s in undef if s != "U"}
    assert syms <= LIBGCC_OK, f"unexpected external symbols (no libc/libm allowed): {syms - LIBGCC_OK}"
    # no floating point anywhere: the object must not reference soft-float helpers either (checked above)


DRV_STUB = """
#include <stdint.h>
#define CSR_FRONTEND_BASE 0xf0000000L
#define FRONTEND_MEM_BASE 0x90000000L
static uint32_t stub_status, stub_count;
static inline void frontend_control_write(uint32_t v) { stub_status = v; }
static inline uint32_t frontend_status_read(void) { return stub_status; }
static inline void frontend_sample_write(uint32_t v) { stub_status = v; }
static inline uint32_t frontend_frame_count_read(void) { return stub_count; }
static inline uint32_t frontend_last_cycles_read(void) { return stub_count; }
static inline uint32_t frontend_samples_read(void) { return stub_count; }
"""


@pytest.mark.parametrize("cc", ["cc", RV_CC])
def test_driver_and_c_port_headers_compile(tmp_path, cc):
    """firmware/src/frontend_drv.c against stub LiteX headers, and one unit including both frontend_drv.h
    and fe.h (as app_kws.c does in the CPU-only build): the shared defines come from frontend_format.h."""
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed")
    gen = tmp_path / "generated"
    gen.mkdir()
    (gen / "csr.h").write_text(DRV_STUB)
    (gen / "mem.h").write_text("")
    both = tmp_path / "both.c"
    both.write_text('#include "frontend_drv.h"\n#include "fe.h"\n'
                    "int modes[FE_N_MODES] = {FE_MODE_LOGMEL, FE_MODE_PCEN, FE_MODE_MFCC};\n"
                    "int8_t ring[FE_FRAMES_PER_WINDOW][FE_MAX_FEATURES];\n"
                    "int f(void) { return fe_bins(FE_MODE_MFCC) + fe_c_features(FE_MODE_PCEN) + FE_HOP; }\n")
    arch = ["-march=rv32im", "-mabi=ilp32", "-ffreestanding"] if cc == RV_CC else []
    src = ROOT / "firmware" / "src"
    for c in (src / "frontend_drv.c", both):
        subprocess.run([cc, *arch, *CFLAGS, f"-I{tmp_path}", f"-I{src}", f"-I{FE}", "-fsyntax-only", str(c)],
                       check=True)

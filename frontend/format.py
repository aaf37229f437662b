"""The feature format of the front-end, defined once: what the int8 features are and how to read them.

Everything a consumer of the features needs (training, the model importer, the SoC build, the
firmware, the C port, the RTL wrapper) comes from here: the audio format (sample rate, window, hop,
FFT size), the framing (49 frames per 1 s inference window), the modes and their numeric codes,
the features per mode, the output quantization (``output_quant``), the PCEN parameters and their
CSR integers (``PcenParams().quantized()``), the DCT of the MFCC mode, the feature ring of the LiteX
wrapper and the bits of its control/status registers.

The C headers take these values from here: ``python -m frontend headers`` writes
``firmware/include/frontend_format.h`` (and the C port's ``firmware/fe/fe_tables.h``).

This module imports nothing from the project (frontend.tables imports it, frontend.golden imports
both), so there is no import cycle.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

# ---- audio and framing ----
SAMPLE_RATE = 16000      # Hz, int16 mono
WIN = 480                # samples per analysis window (30 ms), periodic Hann
HOP = 320                # samples per hop (20 ms): one feature frame per hop
NFFT = 512               # FFT size (the 480 windowed samples, 32 zeros)
NBINS = NFFT // 2 + 1
FRAMES_PER_WINDOW = 49   # frames of one 1 s inference window: 1 + (16000 - 480) // 320
WINDOW_SAMPLES = SAMPLE_RATE   # samples of one inference window (1 s)
assert FRAMES_PER_WINDOW == 1 + (WINDOW_SAMPLES - WIN) // HOP

# ---- bands ----
NMELS = 40
FMIN = 20.0
FMAX = 7500.0            # upper mel edge (TFLM micro_speech's); 4000 Hz lost /f/ and /s/: docs/frontend.md
NMFCC = 10

# ---- modes ----
MODES = ("logmel", "pcen", "mfcc")
MODE_LOGMEL, MODE_PCEN, MODE_MFCC = 0, 1, 2
MODE_CODES = {"logmel": MODE_LOGMEL, "pcen": MODE_PCEN, "mfcc": MODE_MFCC}   # control register / C code
assert tuple(MODE_CODES) == MODES and list(MODE_CODES.values()) == list(range(len(MODES)))
FEATURES = {"logmel": NMELS, "pcen": NMELS, "mfcc": NMFCC}                    # int8 features per frame
MAX_FEATURES = max(FEATURES.values())


def mode_code(mode: str) -> int:
    """Numeric code of a mode name (0 logmel, 1 pcen, 2 mfcc)."""
    if mode not in MODE_CODES:
        raise ValueError(f"unknown mode {mode!r} (one of {MODES})")
    return MODE_CODES[mode]


# ---- scale of the mel energy (defines the units of the outputs) ----
MEL_FRAC = 15            # mel weight scale 2^15 (slaney-normalised triangles)
MEL_SHIFT = 30 + MEL_FRAC   # E_int = librosa_mel * 2^(30 + MEL_FRAC): 30 = int16 scale squared

# ---- output quantisation (fixed; a model's input scale/zero point is checked against these) ----
LM_LO = -24              # log-mel int8 -128 <-> log2(mel) = -24 (-72.2 dB; librosa mel power, audio in [-1, 1])
LM_HI = 8                # log-mel int8 +127 <-> log2(mel) = 8 - 1/8 (+23.7 dB)
LM_STEP_SHIFT = 7        # Q10 -> steps of 1/8 log2
PCEN_OUT_SHIFT = 11      # PCEN Q16 -> steps of 1/32 (range 0 .. 7.97)
PCEN_ZP = -128
MFCC_SCALE_DB = 3.0      # MFCC (liftered DCT-II ortho of log-mel in dB): dB per int8 step
MFCC_ZP = 24
MFCC_SHIFT = 25          # D_q = round(D * 10log10(2) / MFCC_SCALE_DB * 2^15); Lc is Q10
DCT_FRAC = 15            # the quantized DCT is Q15 (before the dB and output-scale factor)
DB_PER_LOG2 = 10 * np.log10(2.0)

# ---- PCEN smoother units (what the PCEN CSR integers mean) ----
E_PCEN_SHIFT = 12        # PCEN smoother input: E >> 12  (units: S_int16 * 8)
M_FRAC = 16              # smoother state fraction bits
PCEN_E_LOG2_UNITS = MEL_SHIFT - 30 - E_PCEN_SHIFT   # = 3: E_s = S_int16 * 2^3


def output_quant(mode: str) -> tuple[float, int]:
    """(scale, zero_point) of the int8 features: real = scale * (q - zero_point).
    Units: logmel -> dB of librosa's mel power (audio in [-1, 1]); pcen -> librosa.pcen units;
    mfcc -> DCT-II (ortho) of the log-mel in dB, coefficient k times MFCC_LIFTER[k]."""
    if mode == "logmel":
        return float(DB_PER_LOG2 / 8), int(-128 - 8 * LM_LO)
    if mode == "pcen":
        return float(2.0 ** (PCEN_OUT_SHIFT - 16)), int(PCEN_ZP)
    if mode == "mfcc":
        return float(MFCC_SCALE_DB), int(MFCC_ZP)
    raise ValueError(f"unknown mode {mode!r} (one of {MODES})")


@dataclasses.dataclass(frozen=True)
class PcenParams:
    """PCEN parameters, librosa.pcen's defaults.  PCEN is applied to the mel power of int16-scaled
    audio (librosa mel power * 2^30)."""
    time_constant: float = 0.4
    gain: float = 0.98      # alpha
    bias: float = 2.0       # delta
    power: float = 0.5      # r
    eps: float = 1e-6

    def b(self) -> float:
        t_frames = self.time_constant * SAMPLE_RATE / HOP
        return (np.sqrt(1 + 4 * t_frames ** 2) - 1) / (2 * t_frames ** 2)

    def quantized(self) -> dict:
        """The integer values the hardware holds in its CSRs."""
        return {
            "b_q16": int(round(self.b() * 65536)),
            "alpha_q14": int(round(self.gain * 16384)),
            "delta_q16": int(round(self.bias * 65536)),
            "r_q14": int(round(self.power * 16384)),
            # eps in smoother-state units (S_int16 * 2^3 * 2^16), at least 1
            "eps_q": max(1, int(round(self.eps * 2 ** (PCEN_E_LOG2_UNITS + M_FRAC)))),
            # initial smoother state: librosa's lfilter_zi starts from M = 1 (S units)
            "m_init": int(2 ** (PCEN_E_LOG2_UNITS + M_FRAC)),
        }


PCEN_FIELDS = ("b_q16", "alpha_q14", "delta_q16", "r_q14", "eps_q", "m_init")   # order of the C struct


def pcen_params(params) -> PcenParams:
    """None -> PcenParams(), a dict -> PcenParams(**dict), a PcenParams as is."""
    if params is None:
        return PcenParams()
    if isinstance(params, dict):
        return PcenParams(**params)
    return params


# ---- DCT of the MFCC mode ----
@functools.lru_cache(None)
def dct_matrix() -> np.ndarray:
    """Float orthonormal DCT-II (10 x 40), the definition used by librosa.feature.mfcc."""
    n = np.arange(NMELS)
    k = np.arange(NMFCC)[:, None]
    D = np.cos(np.pi * k * (2 * n + 1) / (2 * NMELS)) * np.sqrt(2.0 / NMELS)
    D[0] *= 1 / np.sqrt(2)
    return D


# MFCC lifter: a gain per coefficient, folded into the DCT table (no hardware cost). With one 3 dB
# output step for all ten coefficients, c5..c9 of speech spread over only ~2-4 int8 steps (std) and
# c1..c4 over 5-12, while c0 spans ~100: the higher cepstra, which carry the spectral detail that
# separates "up"/"off"/"on" or "cup"/"up", were quantized to a handful of levels. The gains give every
# coefficient k >= 1 a spread closer to c1's (HTK-style liftering; the int8 tensor keeps one scale).
# |D_q| < 2^15 (16-bit table) bounds a gain to 4.4.
MFCC_LIFTER = (1, 1, 2, 2, 2, 3, 3, 4, 4, 4)


def mfcc_matrix(lifter=MFCC_LIFTER) -> np.ndarray:
    """The MFCC transform: the orthonormal DCT-II rows scaled by the lifter (10 x 40)."""
    return np.asarray(lifter, float)[:, None] * dct_matrix()


def dct_q(lifter=MFCC_LIFTER) -> np.ndarray:
    """The quantized MFCC transform the hardware uses: round(lifter * D * 10log10(2) / MFCC_SCALE_DB * 2^15),
    int64 (10 x 40); another ``lifter`` (e.g. all ones) only for measurements."""
    q = np.round(mfcc_matrix(lifter) * DB_PER_LOG2 / MFCC_SCALE_DB * (1 << DCT_FRAC)).astype(np.int64)
    assert np.abs(q).max() < (1 << 15), "a lifter gain overflows the 16-bit DCT table"
    return q


# ---- LiteX wrapper (frontend.hw.litex_core.Frontend): feature ring and register bits ----
RING_SLOTS = 64          # feature memory: frame c is in slot c % RING_SLOTS ...
SLOT_BYTES = 64          # ... at byte offset SLOT_BYTES * slot; bytes 0..F-1 = int8 features
MEM_BYTES = RING_SLOTS * SLOT_BYTES
assert SLOT_BYTES >= MAX_FEATURES and RING_SLOTS & (RING_SLOTS - 1) == 0 and SLOT_BYTES % 4 == 0
CONTROL_CLEAR_BIT = 0    # control: bit 0 clear (pulse)
CONTROL_MODE_LSB = 1     # control: bits 2:1 mode (MODE_CODES)
CONTROL_MODE_BITS = 2
assert len(MODES) <= 1 << CONTROL_MODE_BITS
STATUS_BUSY_BIT = 0      # status: bit 0 busy
STATUS_FIFO_FULL_BIT = 1     # bit 1 fifo_full (a sample write now is dropped)
STATUS_FIFO_EMPTY_BIT = 2    # bit 2 fifo_empty
STATUS_DROPPED_BIT = 3       # bit 3 dropped (sticky, cleared by clear)

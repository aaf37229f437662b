"""PDM microphone receiver: the one definition of its parameters and its bit-accurate model.

soc/pdm_rx.py (the Migen RTL) takes every constant from here, and tests/test_soc_pdm_rx.py checks the
RTL against ``receive()`` bit for bit.  ``modulate()`` is a 2nd-order sigma-delta modulator that makes
PDM test input (it stands in for the microphone; it is not part of the receiver).

Signal chain (per enabled run; every state starts at zero when the receiver is enabled)
  1. PDM bits b[n] at the PDM clock (``MODES``: 1.024 MHz with R = 64, or 2.048 MHz with R = 128;
     fs = PDM clock / R = 16 kHz), mapped to +1 (bit 1) / -1 (bit 0).
  2. CIC decimator, order ``CIC_ORDER`` = 5, differential delay 1, decimation R: five integrators at
     the PDM rate, registered in a chain (I_k <= I_k + I_(k-1), using the previous cycle's I_(k-1)),
     then five combs at fs.  Arithmetic is modulo 2**CIC_WIDTH (two's complement wraparound is exact
     for a CIC as long as the width holds the output range); the output c lies in [-R**5, R**5].
     The combs take I_5 after bits R, 2R, 3R, ... (the first output is the state after R bits).
  3. Alignment to one full-scale format for both modes: x = c * 2**(FS_BITS - 5 * log2(R)), so
     +-full scale (all ones / all zeros) is x = +-2**FS_BITS.
  4. DC removal (optional, on by default): y[m] = x[m] - x[m-1] + y[m-1] - floor(y[m-1] / 2**DC_SHIFT),
     a first-order high-pass at fs / (2 pi 2**DC_SHIFT) = 2.5 Hz (x[-1] = y[-1] = 0).  The ADMP421's
     output carries a DC offset of a few percent of full scale; the floor in the feedback leaves at
     most 2**DC_SHIFT units of Q(FS_BITS) (1/32 of an int16 LSB) of residual DC.
  5. Gain and conversion to int16: s = sat16(floor((v * 2**gain + 2**(OUT_SHIFT-1)) / 2**OUT_SHIFT))
     (round half up, saturate), OUT_SHIFT = FS_BITS - 15, gain 0..GAIN_MAX (6 dB steps).  At gain 0
     full scale maps to +-32768 (saturated to 32767), the same scale as the I2S path (soc/i2s_rx.py:
     the top 16 of the INMP441's 24 bits; both microphones have -26 dBFS sensitivity).

Frequency response: the CIC's sinc^5 droops -0.3 dB at 1 kHz, -1.1 dB at 2 kHz, -4.6 dB at 4 kHz and
-17 dB at 7.5 kHz (``cic_gain_db``, the same in both modes); images near multiples of 16 kHz fold into the band attenuated
by the same sinc^5.  There is no compensation filter: see docs/boards/nexys_a7.md.
"""
from __future__ import annotations

import dataclasses
from math import gcd, log2, pi, sin

import numpy as np

from frontend.format import SAMPLE_RATE

CIC_ORDER = 5
FS_BITS = 35                 # full scale = 2**FS_BITS after alignment (5 * log2(128))
OUT_SHIFT = FS_BITS - 15     # Q(FS_BITS) -> int16
DC_SHIFT = 10                # DC blocker pole 1 - 2**-10
GAIN_MAX = 7                 # gain field: 0..7 -> x1 .. x128
MIN_HALF_PERIOD = 4          # system cycles per PDM clock half period, at least (2-FF synchroniser + mic delay)


@dataclasses.dataclass(frozen=True)
class Mode:
    name: str
    decimation: int          # R: PDM clock = decimation * fs

    @property
    def pdm_clk_hz(self) -> int:
        return self.decimation * SAMPLE_RATE

    @property
    def growth(self) -> int:  # log2(R**CIC_ORDER)
        return CIC_ORDER * int(log2(self.decimation))


# Mode index = the RTL's `rate` selector value (CSR control.slow: 0 -> MODES[0], 1 -> MODES[1]).
MODES = (Mode("2m048", 128), Mode("1m024", 64))
for _m in MODES:
    assert 1 << int(log2(_m.decimation)) == _m.decimation and _m.growth <= FS_BITS
CIC_WIDTH = max(m.growth for m in MODES) + 2     # holds [-R**5, R**5] for the largest R
DC_WIDTH = FS_BITS + 4                           # |y| <= 2 * 2**FS_BITS (+ margin)


def mode_by_name(name: str) -> Mode:
    for m in MODES:
        if m.name == name:
            return m
    raise ValueError(f"unknown PDM mode {name!r} (one of {', '.join(m.name for m in MODES)})")


def divider(sys_clk_freq: int, pdm_clk_hz: int) -> tuple[int, int]:
    """(num, den): PDM clock edges per system cycle in lowest terms (a fractional divider adds num
    per cycle and toggles the clock each time the accumulator passes den)."""
    edges = 2 * pdm_clk_hz
    g = gcd(edges, int(sys_clk_freq))
    num, den = edges // g, int(sys_clk_freq) // g
    if MIN_HALF_PERIOD * num > den:
        raise ValueError(f"system clock {sys_clk_freq} Hz too slow for a {pdm_clk_hz} Hz PDM clock "
                         f"(need >= {MIN_HALF_PERIOD} system cycles per half period)")
    return num, den


def cic(bits, decimation: int) -> np.ndarray:
    """CIC5 outputs (int64, in [-R**5, R**5]) of a PDM bit sequence, as the RTL computes them."""
    mask = (1 << CIC_WIDTH) - 1
    b = 2 * (np.asarray(bits, dtype=np.int64) & 1) - 1
    n = len(b)
    # a[k] = integrator state after k bits (k = 0..n); each stage adds the previous stage's *old* state
    a = np.concatenate([[0], np.cumsum(b)]) & mask
    for _ in range(CIC_ORDER - 1):
        a = np.concatenate([[0], np.cumsum(a[:-1]) & mask])
    m = n // decimation
    s = a[decimation:m * decimation + 1:decimation]
    for _ in range(CIC_ORDER):
        s = (s - np.concatenate([[0], s[:-1]])) & mask
    return np.where(s >> (CIC_WIDTH - 1), s - (1 << CIC_WIDTH), s)


def receive(bits, mode: Mode | str = MODES[0], dc_block: bool = True, gain: int = 0) -> np.ndarray:
    """int16 samples the receiver delivers for the PDM bits it sampled since it was enabled."""
    mode = mode_by_name(mode) if isinstance(mode, str) else mode
    if not 0 <= gain <= GAIN_MAX:
        raise ValueError(f"gain {gain}: 0..{GAIN_MAX}")
    x = cic(bits, mode.decimation) << (FS_BITS - mode.growth)
    if dc_block:
        y = np.empty_like(x)
        xp = yp = 0
        for i, v in enumerate(x.tolist()):
            yp = v - xp + yp - (yp >> DC_SHIFT)
            xp = v
            y[i] = yp
        x = y
    s = ((x << gain) + (1 << (OUT_SHIFT - 1))) >> OUT_SHIFT
    return np.clip(s, -32768, 32767).astype(np.int16)


def cic_gain_db(f_hz: float, mode: Mode | str = MODES[0]) -> float:
    """The CIC's magnitude response at f (dB, 0 at DC)."""
    mode = mode_by_name(mode) if isinstance(mode, str) else mode
    if f_hz == 0:
        return 0.0
    r, fp = mode.decimation, mode.pdm_clk_hz
    h = sin(pi * f_hz * r / fp) / (r * sin(pi * f_hz / fp))
    return 20 * CIC_ORDER * np.log10(abs(h))


def modulate(x) -> np.ndarray:
    """2nd-order sigma-delta modulator (two delay-free integrators, 1-bit quantiser with feedback to
    both): x in [-1, 1] per PDM clock -> bits (uint8 0/1).  Stable for |x| up to about 0.8."""
    i1 = i2 = 0.0
    fb = -1.0
    out = bytearray(len(x))
    for k, v in enumerate(np.asarray(x, dtype=np.float64).tolist()):
        i1 += v - fb
        i2 += i1 - fb
        if i2 >= 0:
            fb = 1.0
            out[k] = 1
        else:
            fb = -1.0
    return np.frombuffer(bytes(out), dtype=np.uint8)


def tone(seconds: float, mode: Mode | str, freq: float, amp: float, phase: float = 0.0) -> np.ndarray:
    """A sine at the PDM rate of ``mode`` (input for ``modulate``)."""
    mode = mode_by_name(mode) if isinstance(mode, str) else mode
    n = int(round(seconds * mode.pdm_clk_hz))
    return amp * np.sin(2 * np.pi * freq * np.arange(n) / mode.pdm_clk_hz + phase)

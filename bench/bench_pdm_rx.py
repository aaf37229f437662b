#!/usr/bin/env python3
"""PDM receiver figures (soc/pdm_rx.py, soc/pdm_model.py): clocking per mode and system clock, the
CIC5's frequency response, and the model's SNR for a sine through a 2nd-order sigma-delta modulator.

    python bench/bench_pdm_rx.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soc import pdm_model as M  # noqa: E402
from soc.pdm_rx import PDMRxCore  # noqa: E402


def snr(mode, f=1000.0, amp=0.5, seconds=0.5):
    s = M.receive(M.modulate(M.tone(seconds, mode, f, amp)), mode).astype(float)[400:]
    n = np.arange(len(s))
    a = np.stack([np.sin(2 * np.pi * f * n / 16000), np.cos(2 * np.pi * f * n / 16000), np.ones(len(s))], 1)
    c, *_ = np.linalg.lstsq(a, s, rcond=None)
    res = s - a @ c
    return 10 * np.log10(np.hypot(c[0], c[1]) ** 2 / 2 / np.mean(res ** 2))


def main():
    print("| sys clock | mode | PDM clock | R | fs | CLK half period (cycles) |")
    print("|---|---|---:|---:|---:|---|")
    for sys_clk in (75_000_000, 100_000_000):
        for name, r in PDMRxCore(sys_clk).rates().items():
            print(f"| {sys_clk / 1e6:g} MHz | {name} | {r['pdm_clk_hz'] / 1e6:.3f} MHz | {r['decimation']} | "
                  f"{r['fs_hz']:.3f} Hz | {r['half_period_cycles'][0]}-{r['half_period_cycles'][1]} |")
    freqs = (100, 1000, 2000, 3000, 4000, 6000, 7500)
    print("\nCIC5 response (dB):", ", ".join(f"{f} Hz {M.cic_gain_db(f, M.MODES[0]):.1f}" for f in freqs))
    for m in M.MODES:
        print(f"SNR, 1 kHz sine at -6 dBFS, 2nd-order modulator, mode {m.name}: {snr(m):.1f} dB")


if __name__ == "__main__":
    main()

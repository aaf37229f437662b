"""Closed form of the core's two-stage, double-buffered producer/consumer pipeline.

Every op runs as ``u`` work units (a pixel, or a pixel-group in column mode). A producer (window
generator, byte generator or fused depthwise lanes) fills one half of the tap buffer in ``P`` cycles;
the consumer (compute unit) holds that half for ``O`` cycles (first issue to last issue, inclusive) and
may start the next unit no sooner than ``Cu`` cycles after this one (the requant spacing). A half is
refilled only after the consumer released it, so two consecutive units share one round trip
``Pf + O + K`` (``Pf``: producer fill time of one unit, ``K``: hand-over latency, release -> refill ->
publish -> load). Unit intervals therefore alternate ``m = max(P, Cu)`` and ``pair - m`` with
``pair = max(2m, Pf + O + K)`` -- exact for the RTL, see docs/dse.md.
"""
from __future__ import annotations


def pipeline_cycles(u: int, P: int, Pf: int, Cu: int, O: int, K: int, first: int) -> int:
    """Cycles of ``u`` units: ``first`` = the single-unit latency (start to done), plus the
    ``u - 1`` intervals (``ceil((u-1)/2)`` of ``m`` and ``floor((u-1)/2)`` of ``pair - m``)."""
    m = max(P, Cu)
    pair = max(2 * m, Pf + O + K)
    return first + (u // 2) * m + ((u - 1) // 2) * (pair - m)

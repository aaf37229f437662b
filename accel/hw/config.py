"""Configuration of one accelerator core (pure Python: the compiler and the RTL both read it).

A build of the RTL is keyed by ``AccelConfig.key()``; models and layers are data (descriptors and
memory contents), so a new model never needs a new build.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from accel.descriptor import QUANT_STRIDE


@dataclass(frozen=True)
class AccelConfig:
    rows: int = 16           # MAC array rows = output channels per pass: 8 or 16 (16: rows r, r+8 share a DSP)
    cols: int = 8            # MAC array columns = reduction taps per cycle = channels per activation word; fixed 8
    rq_lanes: int = 2        # requant lanes (channels requantized per cycle): 1, 2 or 4
    dw_rq_lanes: int = 2     # requant lanes of the fused depthwise lanes (8 channels in 8/dw_rq_lanes cycles);
                             # 0 = no fused DW+PW lanes (DW layers run on the MAC array, PW on their own descriptor)
    act_depth: int = 1024    # words of 8 bytes in EACH of the two ping-pong activation memories
    w_depth: int = 256       # weight words of rows*cols bytes
    q_depth: int = 512       # quant words (rq_lanes channels of bias, multiplier, shift)
    tap_depth: int = 512     # tap-buffer words (of 8 taps) per half (double buffered)
    desc_depth: int = 512    # 32-bit words of descriptor memory
    ring_depth: int = 2048   # bytes of the feature ring (zero-copy input: 49 frames x 40 features fit)

    def __post_init__(self):
        assert self.rows in (8, 16) and self.cols == 8, "rows 8 or 16, cols 8 (activation word = 8 channels)"
        assert 8 % self.rq_lanes == 0 and self.rq_lanes & (self.rq_lanes - 1) == 0
        # a quant word holds 3 32-bit words (bias, multiplier, shift) per lane in a QUANT_STRIDE-word slot
        # of the host's address map (accel/hw/core.py): 16 words -> at most 4 lanes
        assert 3 * self.rq_lanes <= QUANT_STRIDE, f"rq_lanes {self.rq_lanes}: 1, 2 or 4 (3 quant words per " \
            f"lane in the {QUANT_STRIDE}-word quant stride)"
        assert self.dw_rq_lanes == 0 or (self.rq_lanes % self.dw_rq_lanes == 0
                                         and self.dw_rq_lanes & (self.dw_rq_lanes - 1) == 0), \
            f"dw_rq_lanes {self.dw_rq_lanes}: 0 (no fused lanes) or a power of two dividing rq_lanes"
        for name in ("act_depth", "w_depth", "q_depth", "tap_depth", "desc_depth", "ring_depth"):
            v = getattr(self, name)
            assert v & (v - 1) == 0, f"{name} must be a power of two"

    @property
    def fused_dw(self) -> bool:
        """The fused DW+PW lanes (accel/hw/dwlanes.py) are built; without them the compiler never emits
        DWPW descriptors and the sequencer rejects one (``ERR_OP``)."""
        return self.dw_rq_lanes > 0

    @property
    def rq_cycles(self) -> int:
        """Cycles (and quant words) the requant unit needs per GEMM result vector of `rows` channels."""
        return self.rows // self.rq_lanes

    @property
    def q_per_group(self) -> int:
        """Quant words (and requant cycles) per 8-channel group (DW / pooling vectors, one output word)."""
        return 8 // self.rq_lanes

    @property
    def row_words(self) -> int:
        """Activation words (of 8 channels) per GEMM result vector."""
        return self.rows // 8

    @property
    def w_bytes(self) -> int:
        return self.rows * self.cols

    @property
    def macs(self) -> int:
        return self.rows * self.cols

    def key(self) -> str:
        d = asdict(self)
        return "_".join(f"{k[0]}{k.split('_')[-1][0]}{v}" for k, v in d.items())

    def sram_bytes(self) -> dict:
        return {"act": 2 * self.act_depth * 8, "weight": self.w_depth * self.rows * self.cols,
                "quant": self.q_depth * self.rq_lanes * 12, "tap": 2 * self.tap_depth * 9,
                "desc": self.desc_depth * 4, "ring": self.ring_depth}


# 16x8 array = 128 int8 MACs/cycle on 64 DSP48E1 (two products per DSP) + 2 + 2 requant lanes (16 DSP).
DEFAULT = AccelConfig()
# A larger core for wider models (same RTL, deeper memories).
LARGE = AccelConfig(act_depth=4096, w_depth=1024, q_depth=512, tap_depth=1024, desc_depth=1024)
# A small core for small FPGAs: the 8x8 array (64 MACs/cycle), 2 + 1 requant lanes, same memories as v1.
SMALL = AccelConfig(rows=8, rq_lanes=2, dw_rq_lanes=1, w_depth=512, q_depth=512)
# The smallest core (small FPGAs): the 8x8 array, one requant lane, no fused DW+PW lanes -- DW layers run
# on the array's sliding-window path, PW on their own descriptors (Yosys: 10.2 k LUT / 68 DSP against
# SMALL's 17.6 k / 76; MLPerf DS-CNN 73.6 k cycles against 46.7 k; docs/dse.md).
TINY = AccelConfig(rows=8, rq_lanes=1, dw_rq_lanes=0, w_depth=512, q_depth=1024)
CONFIGS = (DEFAULT, LARGE)


def config_from_dict(d: dict) -> AccelConfig:
    """An AccelConfig from a dict of its fields (or a DSE config file's ``accel_config``); ValueError
    with the reason on unknown fields or values the RTL does not support."""
    from dataclasses import fields
    d = d.get("accel_config", d) if isinstance(d, dict) else d
    if not isinstance(d, dict):
        raise ValueError("an accelerator configuration is a JSON object of AccelConfig fields")
    names = {f.name for f in fields(AccelConfig)}
    bad = sorted(set(d) - names)
    if bad:
        raise ValueError(f"unknown AccelConfig field(s) {', '.join(bad)} (fields: {', '.join(sorted(names))})")
    if not all(isinstance(v, int) and not isinstance(v, bool) and (v > 0 or (k == "dw_rq_lanes" and v == 0))
               for k, v in d.items()):
        raise ValueError("AccelConfig fields are positive integers (dw_rq_lanes: 0 leaves the fused DW+PW lanes out)")
    try:
        return AccelConfig(**d)
    except AssertionError as e:
        raise ValueError(f"unsupported accelerator configuration {d}: {e or 'a field is out of range'}") from None


def load_config(path) -> AccelConfig:
    """Read an accelerator configuration JSON file (``python -m accel.dse`` writes one)."""
    import json
    from pathlib import Path
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: {e.strerror if isinstance(e, OSError) else e}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None
    try:
        return config_from_dict(d)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None

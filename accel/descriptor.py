"""Layer descriptor of the DS-CNN accelerator: defined once here, generated into the RTL decoder
(:func:`accel.hw.sequencer`), the C header (``firmware/include/accel_desc.h``) and ``docs/descriptor.md``.

A descriptor is ``DESC_WORDS`` little-endian 32-bit words. Fields are packed in table order into
32-bit words, LSB first, never straddling a word. Regenerate the header and doc after a change with
``python -m accel.descriptor``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Operations understood by the sequencer.
OP_END = 0       # end of the descriptor list: the core stops with status done
OP_CONV = 1      # dense KxK conv / pointwise / fully connected, implicit GEMM on the MAC array
OP_DW = 2        # depthwise conv on the array's DW lanes (L = 8 channels per cycle)
OP_AVGPOOL = 3   # average pool (TFLM rounding), no requantization
OP_MAXPOOL = 4   # max pool
OP_DWPW = 5      # fused depthwise (<= 3x3, own lanes) -> pointwise (GEMM on the array), no SRAM round trip
OP_NAMES = {OP_END: "END", OP_CONV: "CONV", OP_DW: "DW", OP_AVGPOOL: "AVGPOOL", OP_MAXPOOL: "MAXPOOL",
            OP_DWPW: "DWPW"}
OP_LAST = OP_DWPW

# Error codes (CSR ``error``); the core stops at the first one.
ERR_NONE = 0
ERR_OP = 1        # unknown op
ERR_RANGE = 2     # a base + size exceeds its memory
ERR_ZERO = 3      # a zero size / dimension
ERR_LIST = 4      # ran off the end of the descriptor memory without an END
ERR_NAMES = {ERR_NONE: "none", ERR_OP: "unknown op", ERR_RANGE: "address out of range",
             ERR_ZERO: "zero size", ERR_LIST: "descriptor list runs past memory"}

# Host view of the core's memories: region << REGION_BITS | 32-bit word (byte offset = 4x that).
REGION_BITS = 16
REGIONS = {"desc": 0, "weight": 1, "quant": 2, "act0": 3, "act1": 4, "ring": 5, "ring_ctl": 6}
# Feature ring (zero-copy input of the first layer; AccelConfig.ring_depth bytes): region ``ring`` holds
# one byte per 32-bit bus word (the low byte); region ``ring_ctl`` holds three registers (32-bit words):
RING_CTL_WP = 0       # byte address where the next frame is written (= the window's oldest frame); write to set
RING_CTL_LEN = 1      # ring length in bytes (frames * step); the write pointer wraps to 0 there
RING_CTL_STEP = 2     # bytes per frame (features per frame)
QUANT_STRIDE = 16     # 32-bit words between quant words on the bus (3 * rq_lanes used)
STATUS_BUSY, STATUS_DONE, STATUS_ERROR_LSB = 0, 1, 4   # LiteX ``status`` CSR bits

# Flag bits.
FLAG_BYTE_MODE = 1   # window generator packs taps byte by byte (small Cin) instead of word by word
FLAG_DW_WINDOW = 2   # depthwise runs on the sliding-window register (kernel <= 3x3)
FLAG_RING = 4        # byte-mode CONV on one channel reads its input from the feature ring, circularly


@dataclass(frozen=True)
class Field:
    name: str
    bits: int
    signed: bool
    doc: str


FIELDS = (
    Field("op", 4, False, "operation (OP_*)"),
    Field("flags", 4, False, "FLAG_* bits"),
    Field("src", 1, False, "input activation buffer (0 = A, 1 = B)"),
    Field("dst", 1, False, "output activation buffer (0 = A, 1 = B)"),
    Field("kh", 8, False, "kernel height (taps)"),
    Field("kw", 8, False, "kernel width (taps)"),
    Field("ih", 12, False, "input height"),
    Field("iw", 12, False, "input width"),
    Field("ig", 8, False, "input channel groups of 8 (words per input pixel)"),
    Field("oh", 12, False, "output height"),
    Field("ow", 12, False, "output width"),
    Field("og", 8, False, "output channel groups of 8 (words per output pixel)"),
    Field("sh", 8, False, "stride along H"),
    Field("sw", 8, False, "stride along W"),
    Field("pt", 8, False, "padding rows above the input"),
    Field("pl", 8, False, "padding columns left of the input"),
    Field("cin", 12, False, "input channels (taps per kernel position in byte mode)"),
    Field("in_zp", 9, True, "input zero point, subtracted from every tap (0 for pooling)"),
    Field("out_zp", 9, True, "output zero point"),
    Field("pad_val", 9, True, "value of a padded tap after zero-point subtraction (0, or -128 for max pool)"),
    Field("act_min", 9, True, "output clamp low"),
    Field("act_max", 9, True, "output clamp high"),
    Field("nk", 16, False, "reduction length in tap words per output (conv) / taps (DW, pool)"),
    Field("in_base", 16, False, "input tensor base (activation words)"),
    Field("in_size", 16, False, "input tensor size (activation words)"),
    Field("out_base", 16, False, "output tensor base (activation words)"),
    Field("out_size", 16, False, "output tensor size (activation words)"),
    Field("w_base", 16, False, "weight base (weight words of rows*8 bytes: 128 on the default 16x8 core)"),
    Field("w_size", 16, False, "weight size (weight words)"),
    Field("q_base", 16, False, "quant base (quant words: bias, multiplier, shift of Q channels)"),
    Field("q_size", 16, False, "quant size (quant words)"),
    Field("line", 20, False, "input words per row = iw * ig"),
    Field("row_step", 20, False, "input words between output rows = sh * iw * ig"),
    Field("col_step", 12, False, "input words between output columns = sw * ig"),
    Field("org", 24, True, "word address of input pixel (-pt, -pl) = in_base - pt*line - pl*ig"),
    # DWPW only: the depthwise half (its geometry is kh..org above; the pointwise half uses og, nk = ig,
    # w_base/q_base, out_zp, act_min/act_max).
    Field("dw_w_base", 16, False, "DWPW: depthwise weight base (2 weight words per 8-channel group)"),
    Field("dw_q_base", 16, False, "DWPW: depthwise quant base (8/rq_lanes quant words per group)"),
    Field("mid_zp", 9, True, "DWPW: zero point of the depthwise output (= the pointwise input)"),
    Field("dw_act_min", 9, True, "DWPW: depthwise output clamp low"),
    Field("dw_act_max", 9, True, "DWPW: depthwise output clamp high"),
)

FIELD_BY_NAME = {f.name: f for f in FIELDS}


def _layout():
    """(word, lsb) of every field, packed in order without straddling 32-bit words."""
    pos = {}
    word, lsb = 0, 0
    for f in FIELDS:
        assert f.bits <= 32
        if lsb + f.bits > 32:
            word, lsb = word + 1, 0
        pos[f.name] = (word, lsb)
        lsb += f.bits
    return pos, word + 1


LAYOUT, DESC_WORDS = _layout()


def pack(values: dict) -> list[int]:
    """Field values -> DESC_WORDS 32-bit words. Missing fields are 0; out-of-range values raise."""
    unknown = set(values) - set(FIELD_BY_NAME)
    if unknown:
        raise KeyError(f"unknown descriptor fields {sorted(unknown)}")
    words = [0] * DESC_WORDS
    for f in FIELDS:
        v = int(values.get(f.name, 0))
        lo, hi = (-(1 << (f.bits - 1)), (1 << (f.bits - 1)) - 1) if f.signed else (0, (1 << f.bits) - 1)
        if not lo <= v <= hi:
            raise ValueError(f"descriptor field {f.name}={v} outside [{lo}, {hi}] ({f.bits} bits)")
        w, lsb = LAYOUT[f.name]
        words[w] |= (v & ((1 << f.bits) - 1)) << lsb
    return words


def unpack(words) -> dict:
    out = {}
    for f in FIELDS:
        w, lsb = LAYOUT[f.name]
        v = (int(words[w]) >> lsb) & ((1 << f.bits) - 1)
        if f.signed and v >> (f.bits - 1):
            v -= 1 << f.bits
        out[f.name] = v
    return out


def c_header() -> str:
    lines = ["/* Generated by accel/descriptor.py -- do not edit. Layer descriptor of the KWS accelerator. */",
             "#ifndef ACCEL_DESC_H", "#define ACCEL_DESC_H", "", "#include <stdint.h>", "",
             f"#define ACCEL_DESC_WORDS {DESC_WORDS}", ""]
    for k, v in OP_NAMES.items():
        lines.append(f"#define ACCEL_OP_{v} {k}")
    lines.append("")
    for k, v in ERR_NAMES.items():
        name = {ERR_NONE: "NONE", ERR_OP: "OP", ERR_RANGE: "RANGE", ERR_ZERO: "ZERO", ERR_LIST: "LIST"}[k]
        lines.append(f"#define ACCEL_ERR_{name} {k} /* {v} */")
    lines += ["", f"#define ACCEL_FLAG_BYTE_MODE {FLAG_BYTE_MODE}", f"#define ACCEL_FLAG_DW_WINDOW {FLAG_DW_WINDOW}",
              f"#define ACCEL_FLAG_RING {FLAG_RING}", "",
              "/* Feature ring control registers (32-bit words in the ring_ctl window). */",
              f"#define ACCEL_RING_WP {RING_CTL_WP}", f"#define ACCEL_RING_LEN {RING_CTL_LEN}",
              f"#define ACCEL_RING_STEP {RING_CTL_STEP}", "",
              "/* Byte offsets of the memories in the accelerator's bus window. */"]
    for k, v in REGIONS.items():
        lines.append(f"#define ACCEL_WIN_{k.upper()} 0x{(v << REGION_BITS) * 4:06x}")
    lines += [f"#define ACCEL_QUANT_STRIDE_WORDS {QUANT_STRIDE}",
              f"#define ACCEL_STATUS_BUSY (1u << {STATUS_BUSY})", f"#define ACCEL_STATUS_DONE (1u << {STATUS_DONE})",
              f"#define ACCEL_STATUS_ERROR(s) (((s) >> {STATUS_ERROR_LSB}) & 7u)", ""]
    for f in FIELDS:
        w, lsb = LAYOUT[f.name]
        n = f.name.upper()
        lines.append(f"#define ACCEL_DESC_{n}_WORD {w}")
        lines.append(f"#define ACCEL_DESC_{n}_LSB {lsb}")
        lines.append(f"#define ACCEL_DESC_{n}_BITS {f.bits} /* {'signed' if f.signed else 'unsigned'}: {f.doc} */")
    lines += ["", "/* Read one field (sign-extended where signed). */",
              "static inline int32_t accel_desc_get(const uint32_t *d, int word, int lsb, int bits, int is_signed) {",
              "    uint32_t v = (d[word] >> lsb) & (bits == 32 ? 0xffffffffu : ((1u << bits) - 1u));",
              "    if (is_signed && bits < 32 && (v >> (bits - 1))) v |= ~((1u << bits) - 1u);",
              "    return (int32_t)v;", "}", "", "#endif", ""]
    return "\n".join(lines)


def markdown() -> str:
    lines = ["# Accelerator layer descriptor", "",
             "Generated by `python -m accel.descriptor` from `accel/descriptor.py` (the single definition; the RTL",
             "decoder and `firmware/include/accel_desc.h` are generated from the same table).", "",
             f"A descriptor is {DESC_WORDS} little-endian 32-bit words; fields are packed LSB first and never straddle",
             "a word. The sequencer walks descriptors from the `desc_base` CSR until an `END` op (or `n_layers`).", "",
             "| field | word | lsb | bits | signed | meaning |", "|---|---|---|---|---|---|"]
    for f in FIELDS:
        w, lsb = LAYOUT[f.name]
        lines.append(f"| `{f.name}` | {w} | {lsb} | {f.bits} | {'yes' if f.signed else 'no'} | {f.doc} |")
    lines += ["", "## Ops", ""] + [f"- `{k}` {v}" for k, v in OP_NAMES.items()]
    lines += ["", "## Error codes", ""] + [f"- `{k}` {v}" for k, v in ERR_NAMES.items()]
    lines += ["", "## Flags", "", "- bit 0 `BYTE_MODE`: the window generator packs the taps of one output pixel",
              "  byte by byte (kernel-position-major, `cin` channels each) into tap words; used when",
              "  `kh*kw*cin` is small (first layer). Otherwise it copies one 8-channel word per tap.",
              "- bit 1 `DW_WINDOW`: depthwise on the sliding 3x3 window register (1 new column per output).",
              "- bit 2 `RING`: zero-copy input (only a byte-mode `CONV` with `cin` = 1, the first layer of a",
              "  KWS model): the taps come from the feature ring, which the front-end fills one frame per hop,",
              "  not from activation memory `src`. `in_base`/`in_size` address the ring (bytes: `line` = `iw`);",
              "  logical word `a` of the window is read at `a + wp` minus `in_size` when that reaches",
              "  `in_base + in_size`, where `wp` is the ring's write pointer when the run started (the oldest",
              "  frame). The window is the `ih` frames ending with the latest; no copy, no CPU work.", "",
              "## Feature ring", "",
              f"Bus region `ring` ({REGIONS['ring']}): one byte per 32-bit word (low byte). Region `ring_ctl` "
              f"({REGIONS['ring_ctl']}):",
              f"word {RING_CTL_WP} `wp` (next frame's byte address; written by the host to restart the ring, "
              "advanced by `step`",
              f"after every front-end frame, back to 0 at `len`), word {RING_CTL_LEN} `len` (bytes), word "
              f"{RING_CTL_STEP} `step` (bytes per frame).",
              "The front-end's feature writes land at `wp + index`. Host writes win over a front-end write in",
              "the same cycle: write the ring only while the front-end is stopped.", "",
              "## Fused depthwise + pointwise (`DWPW`)", "",
              "One descriptor runs a depthwise conv (kernel <= 3x3, any stride, SAME/VALID, depth multiplier 1)",
              "and the 1x1 stride-1 conv that consumes its output. Fields `kh kw ih iw ig oh ow sh sw pt pl",
              "line row_step col_step org in_base in_size in_zp` describe the depthwise input and window; the",
              "depthwise lanes requantize with `dw_q_base`, `mid_zp`, `dw_act_min/max` and write `y - mid_zp`",
              "straight into the tap buffer (tap word g = channel group g of one pixel); the array then runs the",
              "pointwise part with `og`, `nk` (= `ig`), `w_base`, `q_base`, `out_zp`, `act_min/max` into",
              "`out_base`. Depthwise weights: word `dw_w_base + 2*g + p//8`, byte `r*8 + p%8` = weight of",
              "channel `8g+r` at kernel position `p = ky*kw + kx`; quant as for any layer (`dw_q_base`).", ""]
    lines += ["## Checks", "",
              "Before a layer runs the sequencer checks: op known; `kh kw ih iw ig oh ow og sh sw nk` nonzero;",
              "`in_base+in_size`, `out_base+out_size` <= activation depth, `w_base+w_size` <= weight depth,",
              "`q_base+q_size` <= quant depth, and `nk` <= tap buffer depth; for `DWPW` also",
              "(with `RING`, `in_base+in_size` <= ring depth and the op must be a byte-mode `CONV` with `cin` = 1),",
              "`dw_w_base + 2*ig` <= weight depth, `dw_q_base + ig*8/rq_lanes` <= quant depth and `kh, kw` <= 3.",
              "A failure sets `error` and stops.", ""]
    return "\n".join(lines)


def write_generated():
    (ROOT / "firmware" / "include").mkdir(parents=True, exist_ok=True)
    (ROOT / "firmware" / "include" / "accel_desc.h").write_text(c_header())
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "descriptor.md").write_text(markdown())


if __name__ == "__main__":
    write_generated()
    print(f"descriptor: {DESC_WORDS} words; wrote firmware/include/accel_desc.h and docs/descriptor.md")

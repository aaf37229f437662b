"""Integer IR of a quantized network: the contract between importer, golden model, compiler and RTL.

Layout conventions (batch dimension dropped; the project runs batch 1):
* activations are HWC int8 (``shape = (H, W, C)``); FULLY_CONNECTED / SOFTMAX tensors are ``(N,)``;
* CONV_2D weights ``(Cout, KH, KW, Cin)`` int8 (TFLite's OHWI);
* DEPTHWISE_CONV_2D weights ``(KH, KW, C)`` int8 (depth multiplier 1 only);
* FULLY_CONNECTED weights ``(Cout, Cin)`` int8;
* biases int32 ``(Cout,)``; ``multiplier``/``shift`` int32 ``(Cout,)`` (per-tensor layers repeat the value)
  computed by :mod:`accel.quant` exactly as TFLite-Micro does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kws.cli import UserError

OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "FULLY_CONNECTED",
       "RESHAPE", "SOFTMAX", "MEAN")
# MEAN (added by the importer): TFLM's int8 mean over H and W of an HWC tensor (GlobalAveragePooling2D),
# ``kernel`` = (H, W) of the input; output (C,) or (1, 1, C) with keep_dims. out = clamp(MBQM(sum(x) -
# in_zp*H*W, multiplier, shift) + out_zp) with 1/(H*W) folded into multiplier/shift as TFLM does.


class ModelError(UserError):
    """A model the project cannot take. ``str(err)`` is one line: what is wrong and what to do."""


@dataclass
class QTensor:
    """Quantization of one activation tensor (per-tensor: activations are never per-channel)."""
    shape: tuple
    scale: float
    zero_point: int
    name: str = ""


@dataclass
class Layer:
    index: int
    op: str
    input: QTensor
    output: QTensor
    name: str = ""
    # Convolution / pooling geometry (unused fields stay at their defaults).
    kernel: tuple = (1, 1)          # (KH, KW)
    stride: tuple = (1, 1)          # (SH, SW)
    padding: str = "VALID"          # "SAME" | "VALID" as in the .tflite
    pad: tuple = (0, 0, 0, 0)       # (top, left, bottom, right) in input pixels, derived from padding
    # Parameters.
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    weight_scale: np.ndarray | None = None   # float32 (Cout,) or (1,)
    per_channel: bool = False
    multiplier: np.ndarray | None = None     # int32 (Cout,)
    shift: np.ndarray | None = None          # int32 (Cout,)
    act_min: int = -128
    act_max: int = 127
    # SOFTMAX only (TFLM's int8 softmax parameters).
    softmax: dict = field(default_factory=dict)

    @property
    def macs(self) -> int:
        oh = ow = 1
        if len(self.output.shape) == 3:
            oh, ow = self.output.shape[0], self.output.shape[1]
        if self.op == "CONV_2D":
            cout, kh, kw, cin = self.weights.shape
            return oh * ow * cout * kh * kw * cin
        if self.op == "DEPTHWISE_CONV_2D":
            kh, kw, c = self.weights.shape
            return oh * ow * c * kh * kw
        if self.op == "FULLY_CONNECTED":
            return int(np.prod(self.weights.shape))
        return 0

    @property
    def param_bytes(self) -> int:
        n = 0
        if self.weights is not None:
            n += self.weights.size
        if self.bias is not None:
            n += 4 * self.bias.size
        if self.multiplier is not None:
            n += 4 * self.multiplier.size + 4 * self.shift.size
        return n


@dataclass
class Model:
    layers: list
    input: QTensor
    output: QTensor
    source: str = ""

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def summary(self) -> str:
        return f"{len(self.layers)} layers, {self.macs / 1e6:.2f} M MACs, input {self.input.shape}, output {self.output.shape}"


def same_padding(in_size: int, k: int, stride: int) -> tuple[int, int]:
    """TFLite SAME padding (before, after) for one spatial axis."""
    out = (in_size + stride - 1) // stride
    total = max((out - 1) * stride + k - in_size, 0)
    return total // 2, total - total // 2


def out_size(in_size: int, k: int, stride: int, padding: str) -> int:
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size - k) // stride + 1

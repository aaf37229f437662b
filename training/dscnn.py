"""DS-CNN keyword-spotting model builder (MLPerf-Tiny KWS shape by default).

``build_dscnn()`` with its defaults is the MLPerf-Tiny KWS DS-CNN: 49x10x1 features ->
Conv2D 10x4 stride 2 SAME x64 (25x5x64) -> 4 x [DepthwiseConv2D 3x3 + Conv2D 1x1 x64] ->
AveragePooling2D over the whole remaining map -> Dense 12 -> Softmax: 2.66 M MACs.

Every convolution is bias-free, followed by BatchNormalization and ReLU, so the converter folds BN
into per-channel weights and a bias and fuses the ReLU into the int8 kernel's activation range.
The pooling layer covers the whole map so the converter emits AVERAGE_POOL_2D (GlobalAveragePooling2D
would become MEAN). Pass ``batch_size=1`` for export: a fixed batch turns Flatten into a plain RESHAPE
(no SHAPE/STRIDED_SLICE/PACK ops).
"""
from __future__ import annotations

import keras
from keras import layers


def build_dscnn(input_shape=(49, 10, 1), num_classes=12, first_filters=64, first_kernel=(10, 4),
                first_stride=(2, 2), blocks=4, block_filters=64, dw_kernel=(3, 3), dw_strides=None,
                padding="same", pool="avg", batch_size=None, dropout=0.0, name="dscnn",
                pre_pool=None, relu_max=None) -> keras.Model:
    """Build a DS-CNN. ``pool``: "avg" (AVERAGE_POOL_2D), "max" (MAX_POOL_2D) or "mean"
    (GlobalAveragePooling2D, which converts to MEAN). ``dw_strides`` is a list (one entry per block, int or (sh, sw)); default 1.

    ``block_filters`` may be an int (all blocks) or a list with one entry per block.
    ``pre_pool`` = (kind "avg"|"max", pool_size, strides, padding) inserts a pooling layer after the first
    convolution (test coverage of partial pooling windows at SAME borders); None (default) for none.
    ``relu_max=6.0`` makes every ReLU a ReLU6 (fused as RELU6 by the converter).
    """
    if pool not in ("avg", "max", "mean"):
        raise ValueError(f"pool must be 'avg', 'max' or 'mean', not {pool!r}")
    if dw_strides is None:
        dw_strides = [1] * blocks
    if len(dw_strides) != blocks:
        raise ValueError(f"dw_strides needs {blocks} entries, got {len(dw_strides)}")
    if isinstance(block_filters, int):
        block_filters = [block_filters] * blocks
    if len(block_filters) != blocks:
        raise ValueError(f"block_filters needs {blocks} entries, got {len(block_filters)}")

    inp = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="features")
    x = layers.Conv2D(first_filters, tuple(first_kernel), strides=tuple(first_stride), padding=padding,
                      use_bias=False, name="conv0")(inp)
    x = layers.BatchNormalization(name="conv0_bn")(x)
    x = layers.ReLU(max_value=relu_max, name="conv0_relu")(x)
    if pre_pool is not None:
        kind, size, strides, pad = pre_pool
        cls = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
        x = cls(pool_size=size, strides=strides, padding=pad, name="pre_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="conv0_drop")(x)
    for i in range(blocks):
        x = layers.DepthwiseConv2D(tuple(dw_kernel), strides=dw_strides[i], padding=padding, use_bias=False,
                                   name=f"dw{i + 1}")(x)
        x = layers.BatchNormalization(name=f"dw{i + 1}_bn")(x)
        x = layers.ReLU(max_value=relu_max, name=f"dw{i + 1}_relu")(x)
        x = layers.Conv2D(block_filters[i], (1, 1), padding="same", use_bias=False, name=f"pw{i + 1}")(x)
        x = layers.BatchNormalization(name=f"pw{i + 1}_bn")(x)
        x = layers.ReLU(max_value=relu_max, name=f"pw{i + 1}_relu")(x)
    if dropout:
        x = layers.Dropout(dropout, name="pool_drop")(x)
    pool_size = tuple(int(d) for d in x.shape[1:3])
    if pool == "avg":
        x = layers.AveragePooling2D(pool_size=pool_size, name="pool")(x)
    elif pool == "max":
        x = layers.MaxPooling2D(pool_size=pool_size, name="pool")(x)
    else:   # GlobalAveragePooling2D: the converter emits MEAN over H, W
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, name="fc")(x)
    out = layers.Softmax(name="softmax")(x)
    return keras.Model(inp, out, name=name)


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one inference (conv, depthwise, dense), from the Keras layer shapes."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.DepthwiseConv2D):
            oh, ow, c = layer.output.shape[1:]
            kh, kw = layer.kernel_size
            total += oh * ow * c * kh * kw
        elif isinstance(layer, layers.Conv2D):
            oh, ow, co = layer.output.shape[1:]
            kh, kw = layer.kernel_size
            total += oh * ow * co * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)

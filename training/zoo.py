"""Named test networks: random-weight DS-CNN variants converted to int8 .tflite once per machine.

``zoo_model(name)`` returns the path of a cached converted model. Each configuration is built with
random weights and randomized BatchNorm statistics and calibrated with a random representative dataset,
all from a fixed seed, so the file only depends on the configuration and the TensorFlow version.
Files live in ``<repo>/.cache/models/<name>-<hash>.tflite`` (gitignored); they are written to a
temporary file and renamed, under a lock, so parallel test processes convert each model once.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "models"
ZOO_VERSION = 1   # bump when the builder, randomization or export changes what a name produces

# name -> (build_dscnn keyword arguments, seed). Input 49x10x1 unless said otherwise.
ZOO = {
    # MLPerf-Tiny KWS DS-CNN: conv 10x4/2 x64 -> 4 x (DW3x3 + PW64) -> avgpool -> FC12 (2.66 M MACs).
    "mlperf": (dict(), 1),
    # Few channels (less than one 8-lane group of the PW array in some layers).
    "narrow": (dict(first_filters=16, block_filters=16, blocks=3), 2),
    # More channels than the 8x8 array and the 64-channel default: tiling over input and output.
    "wide": (dict(first_filters=96, block_filters=[128, 96], blocks=2), 3),
    # Stride-2 depthwise layers (SAME padding with an odd map).
    "dw_stride2": (dict(first_filters=32, block_filters=32, blocks=3, dw_strides=[2, 1, 2]), 4),
    # VALID padding everywhere (maps shrink; no padded taps).
    "valid": (dict(first_filters=32, first_kernel=(4, 3), first_stride=(2, 1), block_filters=32, blocks=3,
                   padding="valid"), 5),
    # Non-square first kernel other than 10x4, stride 1; uneven padding on both axes.
    "nonsquare": (dict(first_filters=24, first_kernel=(5, 3), first_stride=(1, 1), block_filters=24, blocks=2), 6),
    # Max pooling instead of average pooling (and a 3x3/2 SAME max pool with partial border windows).
    "maxpool": (dict(first_filters=32, block_filters=32, blocks=2, pool="max", pre_pool=("max", 3, 2, "same")), 7),
    # A 3x3/2 SAME average pool: border windows count only their in-bounds taps.
    "avgpool_same": (dict(first_filters=32, first_stride=(1, 1), block_filters=32, blocks=2,
                          pre_pool=("avg", (3, 3), (2, 2), "same")), 10),
    # GlobalAveragePooling2D -> MEAN over H, W (common in users' models).
    "mean": (dict(first_filters=32, block_filters=32, blocks=2, pool="mean"), 8),
    # ReLU6 everywhere: fused RELU6 activation ranges.
    "relu6": (dict(first_filters=24, block_filters=24, blocks=2, relu_max=6.0), 11),
    # 5x5 depthwise kernels and a 40-bin (log-mel) input.
    "dw5x5": (dict(input_shape=(49, 40, 1), first_filters=32, first_kernel=(10, 8), first_stride=(2, 4),
                   block_filters=32, blocks=2, dw_kernel=(5, 5)), 9),
    # A tiny network fed the front-end's MFCC features, quantized exactly as the front-end emits them
    # (see FRONTEND_INPUT): small enough that the CPU-only KWS build runs it every hop in simulation.
    "tiny_mfcc": (dict(first_filters=8, block_filters=8, blocks=1), 12),
}

# Models whose int8 input must equal a front-end mode's output quantization: the representative data
# spans exactly that mode's int8 range, so the converter picks the front-end's (scale, zero point).
FRONTEND_INPUT = {"tiny_mfcc": "mfcc"}

N_REPRESENTATIVE = 32

# Models the importer must refuse (tests of its error messages): name -> builder in _bad_keras().
BAD = ("float", "hybrid", "float_io", "tanh", "add", "depth_mult2", "dilation2")


def zoo_names() -> list[str]:
    """The names ``zoo_model`` accepts."""
    return list(ZOO)


def _tf_version() -> str:
    try:
        return metadata.version("tensorflow-cpu")
    except metadata.PackageNotFoundError:
        return metadata.version("tensorflow")


def zoo_config(name: str) -> dict:
    if name not in ZOO:
        raise KeyError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    kwargs, seed = ZOO[name]
    return {"name": name, "kwargs": kwargs, "seed": seed, "version": ZOO_VERSION,
            "representative": N_REPRESENTATIVE, "frontend_input": FRONTEND_INPUT.get(name)}


def zoo_path(name: str) -> Path:
    cfg = zoo_config(name)
    key = json.dumps(cfg, sort_keys=True) + "|tf=" + _tf_version()
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return CACHE / f"{name}-{digest}.tflite"


def build_zoo_keras(name: str):
    """The random-weight Keras model of ``name`` (batch 1) and its representative data."""
    import numpy as np

    from training.dscnn import build_dscnn
    from training.export import randomize_bn

    cfg = zoo_config(name)
    rng = np.random.default_rng(cfg["seed"])
    model = build_dscnn(batch_size=1, name=name, **cfg["kwargs"])
    randomize_bn(model, rng)
    shape = tuple(model.inputs[0].shape[1:])
    data = rng.normal(0.0, 1.0, (N_REPRESENTATIVE,) + shape).astype(np.float32)
    if cfg["frontend_input"]:
        from frontend.format import output_quant
        scale, zp = output_quant(cfg["frontend_input"])
        q = rng.integers(-128, 128, (N_REPRESENTATIVE,) + shape)
        q.reshape(N_REPRESENTATIVE, -1)[0, :2] = (-128, 127)      # reach both ends of the int8 range
        data = ((q - zp) * scale).astype(np.float32)
    return model, data


def zoo_model(name: str) -> Path:
    """Path of the cached int8 .tflite of the named configuration, converting it on first use."""
    path = zoo_path(name)
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.exists():          # another process converted it while we waited
                return path
            import tensorflow as tf

            from training.export import export_int8
            tf.keras.utils.set_random_seed(zoo_config(name)["seed"])
            model, data = build_zoo_keras(name)
            export_int8(model, data, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


def _bad_keras(name: str):
    """Small Keras models, each with one thing the importer refuses, and how to convert them."""
    import keras
    from keras import layers
    inp = keras.Input((49, 10, 1), batch_size=1)
    quantize = True
    if name in ("float", "hybrid", "float_io"):
        x = layers.Conv2D(8, (3, 3), padding="same", activation="relu")(inp)
        quantize = name
    elif name == "tanh":
        x = layers.Conv2D(8, (3, 3), padding="same", activation="tanh")(inp)
    elif name == "add":
        a = layers.Conv2D(8, (3, 3), padding="same", activation="relu")(inp)
        b = layers.Conv2D(8, (1, 1), padding="same", activation="relu")(a)
        x = layers.Add()([a, b])
    elif name == "depth_mult2":
        x = layers.Conv2D(8, (3, 3), padding="same", activation="relu")(inp)
        x = layers.DepthwiseConv2D((3, 3), depth_multiplier=2, padding="same", activation="relu")(x)
    elif name == "dilation2":
        x = layers.Conv2D(8, (3, 3), padding="same", dilation_rate=2, activation="relu")(inp)
    else:
        raise KeyError(f"unknown bad model {name!r}; known: {', '.join(BAD)}")
    x = layers.AveragePooling2D(pool_size=tuple(int(d) for d in x.shape[1:3]))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(4)(x)
    return keras.Model(inp, x, name=f"bad_{name}"), quantize


def bad_model(name: str) -> Path:
    """Path of a cached .tflite that the importer must refuse (see BAD): float, hybrid (dynamic-range),
    float_io (int8 inside, float interface), tanh activation, ADD (residual), depth multiplier 2, dilation 2."""
    if name not in BAD:
        raise KeyError(f"unknown bad model {name!r}; known: {', '.join(BAD)}")
    key = f"bad|{name}|{ZOO_VERSION}|tf={_tf_version()}"
    path = CACHE / f"bad_{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.tflite"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".bad_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.exists():
                return path
            import numpy as np
            import tensorflow as tf

            from training.export import convert_int8, randomize_bn
            tf.keras.utils.set_random_seed(100)
            model, quantize = _bad_keras(name)
            rng = np.random.default_rng(100)
            randomize_bn(model, rng)
            data = rng.normal(0.0, 1.0, (8, 49, 10, 1)).astype(np.float32)
            if quantize == "float":
                flat = convert_int8(model, data, quantize=False)
            elif quantize == "float_io":     # int8 inside, float32 interface: QUANTIZE/DEQUANTIZE ops
                converter = tf.lite.TFLiteConverter.from_keras_model(model)
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
                converter.representative_dataset = lambda: ([d[None]] for d in data)
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                flat = converter.convert()
            elif quantize == "hybrid":
                converter = tf.lite.TFLiteConverter.from_keras_model(model)
                converter.optimizations = [tf.lite.Optimize.DEFAULT]   # weights only: dynamic range
                flat = converter.convert()
            else:
                flat = convert_int8(model, data)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(flat)
            os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


if __name__ == "__main__":
    import sys
    for n in sys.argv[1:] or zoo_names() + list(BAD):
        print(bad_model(n) if n in BAD else zoo_model(n))

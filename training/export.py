"""Int8 TFLite export (per-channel weights, int8 input and output) for the accelerator and TFLM."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def _with_batch_1(model: keras.Model) -> keras.Model:
    """The same network with a fixed batch of 1 (so Flatten converts to a plain RESHAPE)."""
    if model.inputs[0].shape[0] == 1:
        return model
    config = model.get_config()
    for layer_cfg in config["layers"]:
        if layer_cfg["class_name"] == "InputLayer":
            cfg = layer_cfg["config"]
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            key = "batch_shape" if "batch_shape" in cfg else "batch_input_shape"
            cfg[key] = [1] + list(shape[1:])
    clone = model.__class__.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def randomize_bn(model: keras.Model, rng: np.random.Generator) -> keras.Model:
    """Give every weight a random value and BatchNorm random statistics, so BN folding is exercised.

    Kernels get He-style random values; BatchNorm gets gamma in [0.5, 1.5], beta ~ N(0, 0.2^2),
    moving mean ~ N(0, 0.3^2) and moving variance in [0.3, 2]. Returns ``model`` (changed in place).
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape[0]
            layer.set_weights([
                rng.uniform(0.5, 1.5, n).astype(np.float32),
                rng.normal(0.0, 0.2, n).astype(np.float32),
                rng.normal(0.0, 0.3, n).astype(np.float32),
                rng.uniform(0.3, 2.0, n).astype(np.float32),
            ])
        else:
            new = []
            for w in layer.get_weights():
                if w.ndim >= 2:
                    fan_in = int(np.prod(w.shape[:-1])) if not isinstance(
                        layer, keras.layers.DepthwiseConv2D) else int(np.prod(w.shape[:2]))
                    new.append(rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), w.shape).astype(np.float32))
                else:
                    new.append(rng.normal(0.0, 0.1, w.shape).astype(np.float32))
            if new:
                layer.set_weights(new)
    return model


def convert_int8(model: keras.Model, representative_data: np.ndarray, quantize: bool = True) -> bytes:
    """Convert to a .tflite flatbuffer: int8 per-channel with int8 I/O, or float when not ``quantize``."""
    model = _with_batch_1(model)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        data = np.asarray(representative_data, dtype=np.float32)

        def representative():
            for sample in data:
                yield [sample[None, ...]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        converter._experimental_disable_per_channel = False
    return converter.convert()


def export_int8(model: keras.Model, representative_data: np.ndarray, path, labels=None) -> Path:
    """Write ``model`` as an int8 .tflite (per-channel weights, int8 input/output) to ``path``.

    ``representative_data`` is a float32 array (N, *input_shape) used to calibrate activation ranges.
    The file is written to a temporary name and renamed, so concurrent readers never see half a file.
    With ``labels`` (one name per model output, in output order) the labels sidecar
    ``<path without .tflite>.labels.txt`` (:mod:`accel.labels`) is written beside it; without, a sidecar
    left there by an earlier export is removed (it described another model).
    """
    from accel.labels import labels_path, write_labels
    path = Path(path)
    if labels is not None:
        n_out = int(np.prod(model.outputs[0].shape[1:]))
        if len(labels) != n_out:
            raise ValueError(f"{len(labels)} labels for a model with {n_out} outputs")
    path.parent.mkdir(parents=True, exist_ok=True)
    flat = convert_int8(model, representative_data)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(flat)
    os.replace(tmp, path)
    if labels is not None:
        write_labels(path, labels)
    else:
        labels_path(path).unlink(missing_ok=True)
    return path

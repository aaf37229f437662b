"""Oracle wrappers: TFLite-Micro (the reference) and LiteRT's reference kernels (for intermediates).

* :func:`run_tflm` uses the ``tflite_micro`` PyPI package (``runtime.Interpreter``) — TFLM itself, the
  project's definition of correct. It is built with ``InterpreterConfig.kPreserveAllTensors`` so every
  intermediate tensor can be read back after ``invoke()`` (``GetTensor(index, 0)``): this is what the
  tests compare the golden model against, layer by layer.
* :func:`run_tflite_ref` uses ``tf.lite.Interpreter`` with ``OpResolverType.BUILTIN_REF`` and
  ``experimental_preserve_all_tensors=True``: LiteRT's reference kernels, bit-identical to TFLM on the
  project's ops (design.md section 8). Kept as a second oracle; the default (XNNPACK) interpreter is NOT
  a valid oracle because its kernels round differently.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from accel import tflite_import


def _tensor_indices(path) -> tuple[list[int], int]:
    """Output tensor index of every operator (in order) and the model input tensor index."""
    import tflite
    m = tflite.Model.GetRootAsModel(Path(path).read_bytes(), 0)
    sg = m.Subgraphs(0)
    outs = [int(sg.Operators(i).Outputs(0)) for i in range(sg.OperatorsLength())]
    return outs, int(sg.Inputs(0))


class TFLM:
    """A TFLite-Micro interpreter that keeps every tensor, for layer-by-layer comparisons."""

    def __init__(self, path, arena_size: int | None = None):
        from tflite_micro import runtime
        path = str(path)
        size = os.path.getsize(path)
        self.interp = runtime.Interpreter.from_file(
            path, arena_size=arena_size or max(16 * size, 4 << 20),
            intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
        self.op_outputs, self.input_index = _tensor_indices(path)
        self.out_shape = tuple(self.interp.get_output_details(0)["shape"])
        self.in_shape = tuple(self.interp.get_input_details(0)["shape"])

    def invoke(self, x_int8, return_all: bool = False):
        """One inference on an input without batch axis; the output (or all layer outputs) without batch axis."""
        x = np.asarray(x_int8, np.int8).reshape(self.in_shape)
        self.interp.set_input(x, 0)
        self.interp.invoke()
        if not return_all:
            return np.array(self.interp.get_output(0)).reshape(self.out_shape)[0]
        return [np.array(self.interp.GetTensor(t, 0)["tensor_data"]) for t in self.op_outputs]


def predict_tflm(path, xs_int8, progress=None) -> np.ndarray:
    """Outputs of TFLM for a batch (N, ...) of int8 inputs, each reshaped to the model's input: (N, *output).

    The fast path for evaluating thousands of inputs: one interpreter without kPreserveAllTensors (only
    the output is read). ``progress`` optionally wraps the index iterator (e.g. a tqdm factory)."""
    from tflite_micro import runtime
    interp = runtime.Interpreter.from_file(str(path))
    in_shape = tuple(interp.get_input_details(0)["shape"])
    out_shape = tuple(interp.get_output_details(0)["shape"])[1:]
    xs = np.asarray(xs_int8, np.int8)
    out = np.empty((len(xs),) + out_shape, np.int8)
    it = range(len(xs))
    if progress is not None:
        it = progress(it)
    for i in it:
        interp.set_input(xs[i].reshape(in_shape), 0)
        interp.invoke()
        out[i] = np.asarray(interp.get_output(0)).reshape(out_shape)
    return out


def run_tflm(path, x_int8, return_all: bool = False):
    """Run TFLM on one input or a batch (leading axis). Returns the output(s) like :func:`accel.golden.run`.

    With ``return_all`` returns, per layer, the layer outputs stacked over the batch (shapes as in the IR).
    """
    model = tflite_import.load_tflite(path)
    tflm = TFLM(path)
    x = np.asarray(x_int8, np.int8)
    batched = x.shape != tuple(model.input.shape)
    xs = x if batched else x[None]
    results = []
    for xi in xs:
        r = tflm.invoke(xi, return_all=return_all)
        results.append(r)
    if return_all:
        layers = [np.stack([np.asarray(r[k]).reshape(model.layers[k].output.shape) for r in results])
                  for k in range(len(model.layers))]
        return layers if batched else [a[0] for a in layers]
    out = np.stack([np.asarray(r).reshape(model.output.shape) for r in results])
    return out if batched else out[0]


def run_tflite_ref(path, x_int8, return_all: bool = False):
    """Same as :func:`run_tflm` with tf.lite.Interpreter(BUILTIN_REF, preserve all tensors)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    model = tflite_import.load_tflite(path)
    interp = tf.lite.Interpreter(
        model_path=str(path), num_threads=1,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    op_outputs, _ = _tensor_indices(path)
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    x = np.asarray(x_int8, np.int8)
    batched = x.shape != tuple(model.input.shape)
    xs = x if batched else x[None]
    results = []
    for xi in xs:
        interp.set_tensor(inp["index"], xi.reshape(inp["shape"]))
        interp.invoke()
        if return_all:
            results.append([interp.get_tensor(t).copy() for t in op_outputs])
        else:
            results.append(interp.get_tensor(out["index"]).copy())
    if return_all:
        layers = [np.stack([r[k].reshape(model.layers[k].output.shape) for r in results])
                  for k in range(len(model.layers))]
        return layers if batched else [a[0] for a in layers]
    o = np.stack([r.reshape(model.output.shape) for r in results])
    return o if batched else o[0]

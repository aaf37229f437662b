"""Import an int8 .tflite flatbuffer into the project's integer IR (:mod:`accel.ir`).

``load_tflite(path)`` reads the file with the ``tflite`` package (the generated flatbuffer reader; no
hand parsing), checks that the network is something the golden model, the C kernels and the accelerator
can run bit-exactly like TFLite-Micro, and returns an :class:`accel.ir.Model`: a linear chain of layers
with int8 weights, int32 biases and TFLM's requantization parameters (:mod:`accel.quant`).

Everything it cannot take raises :class:`accel.ir.ModelError` with a one-line message naming the layer
(index and op) and what to do. Any exception from the flatbuffer reader (truncated or corrupted file)
becomes a ModelError too, and sizes are bounded so a corrupt file can not make the importer allocate
large arrays or loop for long.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from accel import quant
from accel.ir import Layer, Model, ModelError, QTensor, out_size, same_padding

# Bounds that no keyword-spotting network comes near; a file beyond them is corrupt or not for us.
MAX_FILE_BYTES = 64 << 20
MAX_OPERATORS = 1024
MAX_TENSORS = 1 << 16
MAX_DIM = 1 << 16
MAX_ELEMENTS = 1 << 24

_TENSOR_TYPES = {0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING", 6: "BOOL",
                 7: "INT16", 8: "COMPLEX64", 9: "INT8", 10: "FLOAT64", 11: "COMPLEX128", 12: "UINT64",
                 13: "RESOURCE", 14: "VARIANT", 15: "UINT32", 16: "UINT16", 17: "INT4"}
_INT8, _INT32, _FLOAT32, _UINT8 = 9, 2, 0, 3
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT", 6: "SIGN_BIT"}

SUPPORTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "FULLY_CONNECTED",
             "RESHAPE", "SOFTMAX", "MEAN")

_op_names = None


def _builtin_names() -> dict:
    global _op_names
    if _op_names is None:
        from tflite.BuiltinOperator import BuiltinOperator
        _op_names = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}
    return _op_names


def load_tflite(path) -> Model:
    """Read ``path`` (an int8 .tflite) into an :class:`accel.ir.Model`; raise ModelError if unsupported."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ModelError(one_line(f"{path}: cannot read the model file ({err.strerror or err}); check the path")) \
            from None
    if size > MAX_FILE_BYTES:
        raise ModelError(one_line(f"{path}: file is {size} bytes, over the {MAX_FILE_BYTES} byte limit for a KWS "
                                  "model; check that this is the right file"))
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelError(one_line(f"{path}: cannot read the model file ({err.strerror or err}); check the path")) \
            from None
    return load_tflite_bytes(data, source=str(path))


def load_tflite_bytes(data: bytes, source: str = "<bytes>") -> Model:
    """Like :func:`load_tflite` on the bytes of a .tflite file."""
    if len(data) < 16 or data[4:8] != b"TFL3":
        raise ModelError(one_line(f"{source}: not a TFLite flatbuffer (no 'TFL3' identifier; file truncated or "
                                  "corrupt); re-export it with training/export.py"))
    try:
        return _Importer(data, source).run()
    except ModelError:
        raise
    except RecursionError:
        raise ModelError(one_line(f"{source}: corrupt TFLite flatbuffer (nested too deep); re-export the model")) \
            from None
    except Exception as err:  # noqa: BLE001 - any parser failure on a corrupt file is a model error
        msg = one_line(str(err))[:120] or type(err).__name__
        raise ModelError(one_line(f"{source}: corrupt or truncated TFLite flatbuffer ({type(err).__name__}: "
                                  f"{msg}); re-export the model")) from None


class _Importer:
    def __init__(self, data: bytes, source: str):
        import tflite
        self.tfl = tflite
        self.data = data
        self.source = source
        self.model = tflite.Model.GetRootAsModel(data, 0)

    # --- helpers -------------------------------------------------------------------------------------
    def fail(self, where: str, what: str):
        raise ModelError(one_line(f"{self.source}: {where}: {what}"))

    def tensor(self, idx: int):
        if not 0 <= idx < self.n_tensors:
            self.fail(self.where, f"tensor index {idx} out of range (corrupt file); re-export the model")
        return self.sg.Tensors(idx)

    def shape(self, t) -> tuple:
        n = t.ShapeLength()
        if n > 8:
            self.fail(self.where, f"tensor of rank {n} (corrupt file?); KWS models use rank <= 4")
        shape = tuple(int(t.Shape(i)) for i in range(n))
        if any(d < 0 or d > MAX_DIM for d in shape) or math.prod(shape) > MAX_ELEMENTS:
            self.fail(self.where, f"tensor '{_name(t)}' has shape {shape}, which is absurd for a KWS model "
                      "(corrupt file or dynamic shape); export with a fixed batch of 1")
        return shape

    def type_name(self, t) -> str:
        return _TENSOR_TYPES.get(t.Type(), f"type {t.Type()}")

    def quant(self, t):
        q = t.Quantization()
        if q is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        ns, nz = q.ScaleLength(), q.ZeroPointLength()
        if ns > MAX_DIM or nz > MAX_DIM:
            self.fail(self.where, "absurd quantization parameter count (corrupt file); re-export the model")
        scales = np.array([q.Scale(i) for i in range(ns)], dtype=np.float32)
        zps = np.array([q.ZeroPoint(i) for i in range(nz)], dtype=np.int64)
        return scales, zps, int(q.QuantizedDimension())

    def buffer(self, t, dtype, shape):
        """Constant data of tensor ``t`` as ``dtype`` with ``shape``, bounds-checked (None if absent)."""
        b = t.Buffer()
        if not 0 <= b < self.model.BuffersLength():
            self.fail(self.where, f"buffer index {b} out of range (corrupt file); re-export the model")
        buf = self.model.Buffers(b)
        offset, size = int(buf.Offset()), int(buf.Size())
        if offset > 1:   # data stored after the flatbuffer (models over 2 GB)
            if offset + size > len(self.data):
                self.fail(self.where, "buffer outside the file (truncated file); re-export the model")
            raw = self.data[offset:offset + size]
        else:
            n = buf.DataLength()
            if n == 0:
                return None
            if n > len(self.data):
                self.fail(self.where, "buffer larger than the file (corrupt file); re-export the model")
            raw = buf.DataAsNumpy().tobytes()
        want = math.prod(shape) * np.dtype(dtype).itemsize
        if len(raw) != want:
            self.fail(self.where, f"tensor '{_name(t)}' holds {len(raw)} bytes, its shape {shape} needs {want} "
                      "(corrupt file); re-export the model")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    def act(self, idx: int, role: str) -> tuple[QTensor, object]:
        """An int8 activation tensor as a QTensor (batch dimension dropped)."""
        t = self.tensor(idx)
        ty = t.Type()
        if ty == _FLOAT32:
            self.fail(self.where, f"{role} tensor '{_name(t)}' is float32: this is a float model; export it with "
                      "int8 quantization (training/export.py export_int8)")
        if ty == _UINT8:
            self.fail(self.where, f"{role} tensor '{_name(t)}' is uint8 (asymmetric legacy quantization); "
                      "re-export with int8 per-channel quantization (training/export.py export_int8)")
        if ty != _INT8:
            self.fail(self.where, f"{role} tensor '{_name(t)}' is {self.type_name(t)}, only int8 activations are "
                      "supported; re-export with int8 input/output (training/export.py export_int8)")
        shape = self.shape(t)
        if len(shape) >= 2:
            if shape[0] != 1:
                self.fail(self.where, f"{role} tensor '{_name(t)}' has batch {shape[0]}; export with "
                          "keras.Input(..., batch_size=1)")
            shape = shape[1:]
        scales, zps, _ = self.quant(t)
        if scales.size != 1 or zps.size != 1:
            self.fail(self.where, f"{role} tensor '{_name(t)}' needs one scale and zero point, has "
                      f"{scales.size}/{zps.size}; re-export with int8 quantization")
        scale, zp = float(scales[0]), int(zps[0])
        if not (math.isfinite(scale) and scale > 0) or not -128 <= zp <= 127:
            self.fail(self.where, f"{role} tensor '{_name(t)}' has invalid quantization (scale {scale}, zero "
                      f"point {zp}); re-export the model")
        return QTensor(shape=tuple(shape), scale=scale, zero_point=zp, name=_name(t)), t

    def act_range(self, fused: int, out: QTensor) -> tuple[int, int]:
        """TFLM CalculateActivationRangeQuantized (scale in float32, std::round)."""
        name = _ACTIVATIONS.get(fused, str(fused))
        scale = np.float32(out.scale)

        def q(f):
            return out.zero_point + quant._round_half_away(float(np.float32(f) / scale))
        if name == "NONE":
            return -128, 127
        if name == "RELU":
            return max(-128, q(0.0)), 127
        if name == "RELU6":
            return max(-128, q(0.0)), min(127, q(6.0))
        if name == "RELU_N1_TO_1":
            return max(-128, q(-1.0)), min(127, q(1.0))
        self.fail(self.where, f"fused activation {name} is not supported; use ReLU, ReLU6 or none")

    def options(self, op, cls_name: str):
        table = op.BuiltinOptions()
        if table is None:
            self.fail(self.where, "missing builtin options (corrupt file); re-export the model")
        opts = getattr(self.tfl, cls_name)()
        opts.Init(table.Bytes, table.Pos)
        return opts

    # --- the walk ------------------------------------------------------------------------------------
    def run(self) -> Model:
        m = self.model
        self.where = "model"
        if m.SubgraphsLength() != 1:
            self.fail("model", f"{m.SubgraphsLength()} subgraphs; only single-subgraph models (no control flow) "
                      "are supported")
        self.sg = sg = m.Subgraphs(0)
        self.n_tensors = sg.TensorsLength()
        n_ops = sg.OperatorsLength()
        if self.n_tensors > MAX_TENSORS or n_ops > MAX_OPERATORS:
            self.fail("model", f"{n_ops} operators / {self.n_tensors} tensors is absurd for a KWS model "
                      "(corrupt file?)")
        if n_ops == 0:
            self.fail("model", "no operators; re-export the model")
        if sg.InputsLength() != 1 or sg.OutputsLength() != 1:
            self.fail("model", f"{sg.InputsLength()} inputs and {sg.OutputsLength()} outputs; a KWS network has "
                      "exactly one of each")
        n_codes = m.OperatorCodesLength()
        if n_codes > MAX_OPERATORS:
            self.fail("model", "absurd operator code count (corrupt file); re-export the model")

        # Ops first: an unsupported op is the most useful message, before any type complaint.
        ops = []
        for i in range(n_ops):
            op = sg.Operators(i)
            code_idx = op.OpcodeIndex()
            if not 0 <= code_idx < n_codes:
                self.fail(f"layer {i}", f"operator code {code_idx} out of range (corrupt file); re-export the model")
            oc = m.OperatorCodes(code_idx)
            code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
            name = _builtin_names().get(code, f"BUILTIN_{code}")
            if name == "CUSTOM":
                cname = oc.CustomCode()
                name = f"CUSTOM({cname.decode(errors='replace') if cname else '?'})"
            if name in ("QUANTIZE", "DEQUANTIZE"):
                self.fail(f"layer {i} ({name})", "the model has a float input/output interface (QUANTIZE/DEQUANTIZE "
                          "ops); export with int8 input and output (inference_input_type = inference_output_type "
                          "= tf.int8, as training/export.py export_int8 does)")
            if name not in SUPPORTED:
                self.fail(f"layer {i} ({name})", f"unsupported op {name}; supported: {', '.join(SUPPORTED)} "
                          "- replace it in the Keras model (e.g. no ADD/residuals, ReLU/ReLU6 only) and re-export")
            ops.append((op, name))

        self.where = "model input"
        model_in, _ = self.act(int(sg.Inputs(0)), "input")
        layers = []
        prev_out_idx = int(sg.Inputs(0))
        prev_out = model_in
        for i, (op, name) in enumerate(ops):
            self.where = f"layer {i} ({name})"
            n_in, n_out = op.InputsLength(), op.OutputsLength()
            if n_in > 8 or n_out != 1:
                self.fail(self.where, f"{n_in} inputs / {n_out} outputs (corrupt file?); re-export the model")
            ins = [int(op.Inputs(k)) for k in range(n_in)]
            if not ins or ins[0] != prev_out_idx:
                self.fail(self.where, "input is not the previous layer's output: only a linear chain of layers is "
                          "supported (no branches or skip connections)")
            inp, _ = self.act(ins[0], "input")
            out_idx = int(op.Outputs(0))
            out, _ = self.act(out_idx, "output")
            layer = Layer(index=i, op=name, input=inp, output=out, name=out.name)
            getattr(self, "_" + name.lower())(layer, op, ins)
            self._check_chain(layer, prev_out)
            layers.append(layer)
            prev_out_idx, prev_out = out_idx, out
        if prev_out_idx != int(sg.Outputs(0)):
            self.fail("model output", "the model output is not the last layer's output; only a linear chain of "
                      "layers is supported")
        return Model(layers=layers, input=model_in, output=prev_out, source=self.source)

    def _check_chain(self, layer: Layer, prev: QTensor):
        a, b = tuple(prev.shape), tuple(layer.input.shape)
        flattening = layer.op in ("FULLY_CONNECTED", "RESHAPE", "SOFTMAX")
        if (a != b and not flattening) or math.prod(a) != math.prod(b):
            self.fail(self.where, f"input shape {b} does not chain with the previous output {a}; "
                      "re-export the model")

    def _const(self, idx: int, role: str, dtype_code: int, dtype, allow_missing=False):
        if idx < 0:
            if allow_missing:
                return None, None
            self.fail(self.where, f"missing {role} tensor; re-export the model")
        t = self.tensor(idx)
        if t.Type() != dtype_code:
            extra = ""
            if t.Type() == _FLOAT32:
                extra = ": this is a float (or dynamic-range) model; export with full int8 quantization " \
                        "(training/export.py export_int8)"
            elif t.Type() == _UINT8:
                extra = ": uint8 weights (legacy asymmetric quantization); re-export with int8 per-channel " \
                        "quantization (training/export.py export_int8)"
            else:
                extra = f" (expected {_TENSOR_TYPES[dtype_code]}); re-export with int8 quantization"
            self.fail(self.where, f"{role} tensor '{_name(t)}' is {self.type_name(t)}{extra}")
        shape = self.shape(t)
        arr = self.buffer(t, dtype, shape)
        if arr is None:
            self.fail(self.where, f"{role} tensor '{_name(t)}' is not a constant; weights must be constants")
        return arr, t

    def _weights(self, layer: Layer, idx: int, axis: int, channels: int, allow_per_channel=True):
        w, t = self._const(idx, "weight", _INT8, np.int8)
        scales, zps, qdim = self.quant(t)
        if scales.size == 0:
            self.fail(self.where, "weights carry no quantization; re-export with int8 quantization")
        if np.any(zps != 0):
            self.fail(self.where, "weights have a non-zero zero point (asymmetric quantization); re-export with "
                      "symmetric int8 weights (training/export.py export_int8)")
        if not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            self.fail(self.where, "weights have a non-positive or non-finite scale; re-export the model")
        if scales.size == 1:
            layer.per_channel = False
        else:
            if not allow_per_channel:
                self.fail(self.where, f"per-channel weights ({scales.size} scales) are not supported for this op; "
                          "export FULLY_CONNECTED with per-tensor weights (the TFLiteConverter default)")
            if scales.size != channels or qdim != axis:
                self.fail(self.where, f"{scales.size} weight scales on axis {qdim}, expected {channels} on axis "
                          f"{axis}; re-export the model")
            layer.per_channel = True
        layer.weight_scale = scales.astype(np.float32)
        return w

    def _bias(self, layer: Layer, idx: int, channels: int):
        if idx < 0:
            return np.zeros(channels, np.int32)
        b, _ = self._const(idx, "bias", _INT32, np.int32)
        if b.shape != (channels,):
            self.fail(self.where, f"bias shape {b.shape}, expected ({channels},); re-export the model")
        return b.astype(np.int32)

    def _requant(self, layer: Layer, fc=False):
        c = layer.weights.shape[0] if layer.op != "DEPTHWISE_CONV_2D" else layer.weights.shape[-1]
        scales = np.broadcast_to(layer.weight_scale, (c,))
        fn = quant.fc_multiplier if fc else quant.conv_multiplier
        pairs = [fn(layer.input.scale, float(s), layer.output.scale) for s in scales]
        layer.multiplier = np.array([p[0] for p in pairs], np.int32)
        layer.shift = np.array([p[1] for p in pairs], np.int32)
        if int(layer.shift.max()) > 30:
            # TFLM would compute x * (1 << shift) with shift >= 31: undefined in C. No sane model gets here.
            self.fail(self.where, f"requantization scale {2.0 ** (int(layer.shift.max()) - 1):.3g} is too large "
                      "(output scale tiny compared with input x weight scale); re-export the model")

    def _geometry(self, layer: Layer, opts, kh: int, kw: int, dilation=True):
        pad = {0: "SAME", 1: "VALID"}.get(opts.Padding())
        if pad is None:
            self.fail(self.where, f"padding type {opts.Padding()} unknown (corrupt file); re-export the model")
        sh, sw = int(opts.StrideH()), int(opts.StrideW())
        if not (1 <= sh <= MAX_DIM and 1 <= sw <= MAX_DIM):
            self.fail(self.where, f"stride {sh}x{sw} is invalid (corrupt file?); re-export the model")
        if dilation and (opts.DilationHFactor() != 1 or opts.DilationWFactor() != 1):
            self.fail(self.where, f"dilation {opts.DilationHFactor()}x{opts.DilationWFactor()} is not supported; "
                      "use dilation_rate=1")
        if len(layer.input.shape) != 3 or len(layer.output.shape) != 3:
            self.fail(self.where, f"expects 4-D NHWC tensors, got input {layer.input.shape} and output "
                      f"{layer.output.shape}; re-export the model")
        ih, iw, _ = layer.input.shape
        oh, ow = out_size(ih, kh, sh, pad), out_size(iw, kw, sw, pad)
        if (oh, ow) != tuple(layer.output.shape[:2]) or oh < 1 or ow < 1:
            self.fail(self.where, f"output shape {layer.output.shape} does not follow from input {layer.input.shape}"
                      f" with kernel {kh}x{kw}, stride {sh}x{sw}, {pad}; re-export the model")
        if pad == "SAME":
            pt, pb = same_padding(ih, kh, sh)
            pl, pr = same_padding(iw, kw, sw)
        else:
            pt = pb = pl = pr = 0
        layer.kernel, layer.stride, layer.padding, layer.pad = (kh, kw), (sh, sw), pad, (pt, pl, pb, pr)

    # --- ops -----------------------------------------------------------------------------------------
    def _conv_2d(self, layer: Layer, op, ins):
        if len(ins) < 2:
            self.fail(self.where, "missing weights; re-export the model")
        opts = self.options(op, "Conv2DOptions")
        cin = layer.input.shape[-1] if len(layer.input.shape) == 3 else -1
        cout = layer.output.shape[-1]
        w = self._weights(layer, ins[1], 0, cout)
        if w.ndim != 4 or w.shape[0] != cout or w.shape[3] != cin:
            self.fail(self.where, f"weight shape {w.shape} does not match input {layer.input.shape} / output "
                      f"{layer.output.shape} (grouped convolution?); re-export the model")
        layer.weights = w
        self._geometry(layer, opts, w.shape[1], w.shape[2])
        layer.bias = self._bias(layer, ins[2] if len(ins) > 2 else -1, cout)
        self._requant(layer)
        layer.act_min, layer.act_max = self.act_range(opts.FusedActivationFunction(), layer.output)

    def _depthwise_conv_2d(self, layer: Layer, op, ins):
        if len(ins) < 2:
            self.fail(self.where, "missing weights; re-export the model")
        opts = self.options(op, "DepthwiseConv2DOptions")
        cin = layer.input.shape[-1] if len(layer.input.shape) == 3 else -1
        cout = layer.output.shape[-1]
        mult = int(opts.DepthMultiplier())
        if cout != cin or mult not in (0, 1):
            self.fail(self.where, f"depth multiplier {max(mult, cout // max(cin, 1))} ({cin} -> {cout} channels) is "
                      "not supported; use DepthwiseConv2D(depth_multiplier=1) followed by a 1x1 Conv2D")
        w = self._weights(layer, ins[1], 3, cout)
        if w.ndim != 4 or w.shape[0] != 1 or w.shape[3] != cout:
            self.fail(self.where, f"weight shape {w.shape} does not match {cout} channels; re-export the model")
        layer.weights = w[0]
        self._geometry(layer, opts, w.shape[1], w.shape[2])
        layer.bias = self._bias(layer, ins[2] if len(ins) > 2 else -1, cout)
        self._requant(layer)
        layer.act_min, layer.act_max = self.act_range(opts.FusedActivationFunction(), layer.output)

    def _pool(self, layer: Layer, op):
        opts = self.options(op, "Pool2DOptions")
        kh, kw = int(opts.FilterHeight()), int(opts.FilterWidth())
        if not (1 <= kh <= MAX_DIM and 1 <= kw <= MAX_DIM):
            self.fail(self.where, f"pool size {kh}x{kw} is invalid (corrupt file); re-export the model")
        self._geometry(layer, opts, kh, kw, dilation=False)
        if layer.input.shape[-1] != layer.output.shape[-1]:
            self.fail(self.where, f"channels change from {layer.input.shape[-1]} to {layer.output.shape[-1]}; "
                      "re-export the model")
        if layer.input.scale != layer.output.scale or layer.input.zero_point != layer.output.zero_point:
            self.fail(self.where, "input and output quantization differ (pooling does not requantize in TFLM); "
                      "re-export with the TFLiteConverter")
        layer.act_min, layer.act_max = self.act_range(opts.FusedActivationFunction(), layer.output)

    def _average_pool_2d(self, layer: Layer, op, ins):
        self._pool(layer, op)

    def _max_pool_2d(self, layer: Layer, op, ins):
        self._pool(layer, op)

    def _fully_connected(self, layer: Layer, op, ins):
        if len(ins) < 2:
            self.fail(self.where, "missing weights; re-export the model")
        opts = self.options(op, "FullyConnectedOptions")
        if opts.WeightsFormat() != 0:
            self.fail(self.where, "shuffled FULLY_CONNECTED weights are not supported; re-export the model")
        cout = layer.output.shape[-1] if layer.output.shape else -1
        w = self._weights(layer, ins[1], 0, cout)
        cin = math.prod(layer.input.shape)
        if w.ndim != 2 or w.shape != (cout, cin):
            self.fail(self.where, f"weight shape {w.shape} does not match input {layer.input.shape} -> {cout} "
                      "outputs; re-export the model")
        if math.prod(layer.output.shape) != cout:
            self.fail(self.where, f"output shape {layer.output.shape} is not a single vector; export with batch 1")
        layer.weights = w
        layer.input = QTensor((cin,), layer.input.scale, layer.input.zero_point, layer.input.name)
        layer.bias = self._bias(layer, ins[2] if len(ins) > 2 else -1, cout)
        self._requant(layer, fc=True)
        layer.act_min, layer.act_max = self.act_range(opts.FusedActivationFunction(), layer.output)

    def _reshape(self, layer: Layer, op, ins):
        if math.prod(layer.input.shape) != math.prod(layer.output.shape):
            self.fail(self.where, f"reshape from {layer.input.shape} to {layer.output.shape} changes the element "
                      "count; re-export the model")

    def _softmax(self, layer: Layer, op, ins):
        opts = self.options(op, "SoftmaxOptions")
        beta = float(opts.Beta())
        if layer.input.shape != layer.output.shape:
            self.fail(self.where, f"output shape {layer.output.shape} differs from input {layer.input.shape}")
        if layer.output.zero_point != -128 or np.float32(layer.output.scale) != np.float32(1.0 / 256):
            self.fail(self.where, f"int8 softmax output must have scale 1/256 and zero point -128 (TFLM), got "
                      f"{layer.output.scale} / {layer.output.zero_point}; re-export with the TFLiteConverter")
        from accel.softmax import softmax_params
        try:
            layer.softmax = softmax_params(beta, layer.input.scale)
        except ValueError as err:
            self.fail(self.where, f"{err}; re-export the model")

    def _mean(self, layer: Layer, op, ins):
        if len(ins) != 2:
            self.fail(self.where, "MEAN needs an input and an axis tensor; re-export the model")
        axis, _ = self._const(ins[1], "axis", _INT32, np.int32)
        axes = sorted(int(a) for a in axis.reshape(-1))
        opts = self.options(op, "ReducerOptions")
        if len(layer.input.shape) != 3 or axes not in ([1, 2],):
            self.fail(self.where, f"MEAN over axes {axes} of a {len(layer.input.shape) + 1}-D tensor is not "
                      "supported; only the mean over H and W (GlobalAveragePooling2D) is")
        h, w, c = layer.input.shape
        want = (1, 1, c) if opts.KeepDims() else (c,)
        if tuple(layer.output.shape) != want:
            self.fail(self.where, f"output shape {layer.output.shape}, expected {want}; re-export the model")
        layer.kernel = (h, w)
        layer.stride = (h, w)
        # TFLM: QuantizeMultiplier(double(in_s) / double(out_s)) in Prepare; reference_ops::QuantizedMeanOrSum
        # then folds the division by n = H*W into the multiplier (shift = floor(log2 n), clamped).
        n = h * w
        base_mult, base_shift = quant.quantize_multiplier(float(layer.input.scale) / float(layer.output.scale))
        sh = min(n.bit_length() - 1, 32, 31 + base_shift)
        layer.multiplier = np.full(c, (base_mult << sh) // n, np.int32)
        layer.shift = np.full(c, base_shift - sh, np.int32)


def one_line(text: str) -> str:
    """Collapse whitespace and replace control characters: error messages are exactly one line."""
    text = "".join(ch if ch.isprintable() else "?" for ch in " ".join(str(text).split()))
    return text


def _name(t) -> str:
    try:
        n = t.Name()
        return one_line(n.decode("utf-8", errors="replace")[:80]) if n else ""
    except Exception:  # noqa: BLE001 - a name is only used in messages
        return "?"

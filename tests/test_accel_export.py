"""training/dscnn.py + training/export.py produce what the importer expects."""
import numpy as np

from accel import golden
from accel.tflite_import import load_tflite


def test_mlperf_builder_macs():
    from training.dscnn import build_dscnn, count_macs
    model = build_dscnn()
    assert count_macs(model) == 2_656_768
    assert tuple(model.output.shape[1:]) == (12,)


def test_export_unbatched_model_becomes_plain_chain(tmp_path, seed):
    """A model built without batch_size is rebuilt with batch 1: no SHAPE/STRIDED_SLICE/PACK ops."""
    import tflite
    from training.dscnn import build_dscnn
    from training.export import export_int8, randomize_bn
    rng = np.random.default_rng(seed)
    model = build_dscnn(first_filters=8, block_filters=8, blocks=1, batch_size=None)
    randomize_bn(model, rng)
    data = rng.normal(0, 1, (8, 49, 10, 1)).astype(np.float32)
    path = export_int8(model, data, tmp_path / "m.tflite")
    m = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    codes = {max(m.OperatorCodes(i).BuiltinCode(), m.OperatorCodes(i).DeprecatedBuiltinCode())
             for i in range(m.OperatorCodesLength())}
    from tflite.BuiltinOperator import BuiltinOperator as B
    assert not codes & {B.SHAPE, B.STRIDED_SLICE, B.PACK}
    ir = load_tflite(path)
    assert [l.op for l in ir.layers][-3:] == ["AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert all(l.per_channel for l in ir.layers if l.op in ("CONV_2D", "DEPTHWISE_CONV_2D"))
    # The quantized model tracks the float one (argmax agreement on calibration-like inputs).
    q = ir.input
    xq = np.clip(np.rint(data / q.scale) + q.zero_point, -128, 127).astype(np.int8)
    y = golden.run(ir, xq).astype(np.float64)
    prob = (y - ir.output.zero_point) * ir.output.scale
    ref = model.predict(data, verbose=0)
    assert np.abs(prob - ref).max() < 0.1

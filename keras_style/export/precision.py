"""Reduced precisions of exported files: float16 and int8 weights.

Both keep float32 inputs, outputs and arithmetic where the runtime has no
fast float16 kernels (CPUs), so they shrink the file (2x, 4x) and, for int8,
let the runtime use integer kernels:

- LiteRT: the TFLite converter's float16 weights and dynamic-range int8
  quantisation (int8 weights, float activations).
- ONNX: float16 initializers cast back to float32 at load (`Cast` nodes),
  and onnxruntime's dynamic quantisation (`ConvInteger` with uint8
  activations quantised per image at run time).
"""

# Initializers with fewer elements (epsilons, shapes) stay float32.
_MIN_FLOAT16_SIZE = 64


def litert_converter_options(precision):
    """Settings of `tf.lite.TFLiteConverter` for `precision`.

    Only built-in TFLite ops: a file that needs TensorFlow's "Flex" ops does
    not run in the stand-alone LiteRT interpreter or on most phones.
    """
    import tensorflow as tf

    target_spec = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    options = {"target_spec": target_spec}
    if precision == "float16":
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
        target_spec["supported_types"] = [tf.float16]
    elif precision == "int8":
        # Without a representative dataset the converter quantises weights
        # to int8 and picks hybrid kernels for the activations.
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    return options


def convert_onnx(path, precision):
    """Rewrites the float32 ONNX file at `path` in `precision`."""
    if precision == "float16":
        _onnx_float16_weights(path)
    elif precision == "int8":
        _onnx_int8(path)


def _onnx_float16_weights(path):
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT:
            continue
        value = numpy_helper.to_array(init)
        if value.size < _MIN_FLOAT16_SIZE:
            continue
        name = init.name
        half = numpy_helper.from_array(value.astype(np.float16), name + "_float16")
        init.CopyFrom(half)
        casts.append(
            helper.make_node(
                "Cast",
                [name + "_float16"],
                [name],
                to=onnx.TensorProto.FLOAT,
                name=name + "_to_float32",
            )
        )
    # Nodes must stay topologically sorted: the casts come first.
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def _onnx_int8(path):
    import logging
    import os

    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = f"{path}.int8"
    # The quantiser logs advice and the tensors it skips (shapes) through
    # the root logger; the user asked for neither.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        # uint8 weights: onnxruntime's CPU ConvInteger takes uint8 x uint8.
        quantize_dynamic(path, tmp, weight_type=QuantType.QUInt8)
        os.replace(tmp, path)
    finally:
        root.setLevel(level)
        if os.path.exists(tmp):
            os.remove(tmp)

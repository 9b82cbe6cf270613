"""Reading ONNX graphs for the converters: loading, dropping activation
quantisation, and the constants and convolutions of a graph in Keras layouts.
Uses the `onnx` package only (`pip install onnx`); no onnxruntime is needed.
"""

import pathlib

import numpy as np

from keras_style.convert.lengstrom import ConversionError


def onnx_module():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "Converting Magenta's ONNX files needs the `onnx` package: "
            'pip install onnx (or pip install "keras-style[export]").'
        ) from None
    return onnx


def load_onnx(path):
    onnx = onnx_module()
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ONNX file not found. Received: path={str(path)!r}")
    try:
        return onnx.load(str(path))
    except Exception as e:  # protobuf raises its own DecodeError
        raise ConversionError(
            f"Not a readable ONNX file ({type(e).__name__}: {e}). "
            f"Received: path={str(path)!r}"
        ) from None


def strip_activation_quantization(model):
    """The same ONNX graph with weights dequantised and activations in float.

    Every `DequantizeLinear` of a weight becomes a float32 initializer;
    every activation `QuantizeLinear` / `DequantizeLinear` is removed (its
    output renamed to its input). The inputs' height and width become
    dynamic where the graph allows it. This is the reference the Keras
    networks are checked against with onnxruntime (`tests/test_convert_magenta.py`).

    Args:
        model: an `onnx.ModelProto` or the path of an ONNX file.

    Returns:
        A new `onnx.ModelProto` (the argument is not changed).

    Example:

    >>> onnx.save(strip_activation_quantization("arbitrary_predict.onnx"), "f.onnx")
    """
    onnx = onnx_module()
    from onnx import numpy_helper

    if not isinstance(model, onnx.ModelProto):
        model = load_onnx(model)
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    rename, dropped, weights = {}, set(), {}
    # By index: protobuf hands out a new Python wrapper on every access.
    for index, node in enumerate(graph.node):
        if node.op_type == "DequantizeLinear" and node.input[0] in inits:
            weights[node.output[0]] = _dequantize(node, inits)
            dropped.add(index)
        elif node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            rename[node.output[0]] = node.input[0]
            dropped.add(index)

    def resolve(name):
        while name in rename:
            name = rename[name]
        return name

    nodes = [
        onnx.NodeProto.FromString(n.SerializeToString())
        for i, n in enumerate(graph.node)
        if i not in dropped
    ]
    for node in nodes:
        for k, name in enumerate(node.input):
            node.input[k] = resolve(name)
    for output in graph.output:
        output.name = resolve(output.name)
    used = {name for n in nodes for name in n.input}
    kept = [i for i in graph.initializer if i.name in used and i.name not in weights]
    kept += [numpy_helper.from_array(v, k) for k, v in weights.items() if k in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.value_info[:]  # int8 activation types no longer hold
    for value in graph.output:
        value.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    return model


def _dequantize(node, inits):
    q = inits[node.input[0]].astype(np.float32)
    scale = inits[node.input[1]].astype(np.float32)
    zero = (
        inits[node.input[2]].astype(np.float32)
        if len(node.input) > 2 and node.input[2]
        else np.zeros_like(scale)
    )
    if scale.ndim == 1 and scale.size > 1:
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((q - zero) * scale).astype(np.float32)


def conv_nodes(model):
    """`[(output name, kernel OIHW, bias, attributes)]` of every Conv, in order."""
    from onnx import helper, numpy_helper

    graph = strip_activation_quantization(model).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    convs = []
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        if node.input[1] not in inits or len(node.input) < 3:
            raise ConversionError(
                f"Conv {node.output[0]!r} has no constant kernel and bias."
            )
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        convs.append(
            (node.output[0], inits[node.input[1]], inits[node.input[2]], attrs)
        )
    return convs


def conv_kernel(kernel):
    return np.transpose(kernel, (2, 3, 1, 0))  # OIHW -> HWIO


def dense_kernel(kernel):
    return kernel[:, :, 0, 0].T  # 1x1 conv (out, in) -> Dense (in, out)


def assign_weights(layer, values, label):
    expected = [tuple(w.shape) for w in layer.weights]
    got = [tuple(v.shape) for v in values]
    if expected != got:
        raise ConversionError(
            f"{label}: the ONNX weights do not fit the network. "
            f"Expected shapes: {expected}. Received: {got}"
        )
    for v in values:
        if not np.all(np.isfinite(v)):
            raise ConversionError(f"{label}: the ONNX weights hold NaN or inf.")
    layer.set_weights(values)


def graph_constants(graph):
    """`{name: array}` of the graph's initializers and Constant nodes."""
    from onnx import numpy_helper

    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute:
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    return values

"""Instance normalisation as one ONNX op.

tf2onnx writes Keras' instance norm as a dozen element-wise ops: the moments
(`GlobalAveragePool`, `Sub`, `Mul`, `GlobalAveragePool`), `Sqrt`,
`Reciprocal`, and the affine part, several passes over each feature map.
ONNX Runtime's `InstanceNormalization` does it in one op.
"""

import numpy as np

from keras_style.export.onnx_passes.graph import (
    Graph,
    attributes,
    orders,
    replace,
    two_inputs,
)


def _spatial_mean(graph, name):
    """`(x, layout)` when `name` is the per-channel mean of `x` over height
    and width: `GlobalAveragePool` (NCHW) or `ReduceMean` over axes 1 and 2
    keeping them (NHWC, where tf2onnx left a tensor in TensorFlow's layout);
    else None."""

    node = graph.node(name, "GlobalAveragePool", "ReduceMean")
    if node is None:
        return None
    if node.op_type == "GlobalAveragePool":
        return node.input[0], "NCHW"
    attrs = attributes(node)
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1:  # opset 18: axes as an input
        axes = graph.constants.get(node.input[1])
    if axes is None or sorted(int(a) for a in np.reshape(axes, -1)) != [1, 2]:
        return None
    if attrs.get("keepdims", 1) != 1:
        return None
    return node.input[0], "NHWC"


def _affine_part(graph, add):
    """`(x, factor, beta, mean)` of the `Add` ending an instance norm, in
    either form Keras writes: `(x - mean) * factor + beta`, or
    `x * factor + (beta - mean * factor)` with the offset computed on the
    statistics; `beta` is a constant. Else None."""
    for a, b in orders(add.input):
        mul = graph.node(a, "Mul")
        if mul is None:
            continue
        if b in graph.constants:  # (x - mean) * factor + beta
            for centred, factor in orders(mul.input):
                sub = graph.node(centred, "Sub")
                if sub is not None and graph.node(factor, "Mul") is not None:
                    return sub.input[0], factor, b, sub.input[1]
        offset = graph.node(b, "Sub")  # x * factor + (beta - mean * factor)
        if offset is None or offset.input[0] not in graph.constants:
            continue
        mean_times = graph.node(offset.input[1], "Mul")
        if mean_times is None:
            continue
        for x, factor in orders(mul.input):
            if graph.node(factor, "Mul") is not None and factor in mean_times.input:
                mean = [i for i in mean_times.input if i != factor]
                if len(mean) == 1:
                    return x, factor, offset.input[0], mean[0]
    return None


def _match_instance_normalization(graph, out):
    """`(x, layout, gamma, beta, epsilon)` when `out` is an instance norm of
    `x` (`_affine_part`, with `factor = gamma / sqrt(var(x) + eps)`) with
    per-channel statistics and constant `gamma`, `beta` and `eps`; else
    None."""
    add = graph.node(out, "Add")
    affine = add and _affine_part(graph, add)
    if affine is None:
        return None
    x, factor, beta, mean = affine
    inv_std, gamma = two_inputs(graph, graph.node(factor, "Mul"), "Reciprocal")
    if inv_std is None or gamma not in graph.constants:
        return None
    reciprocal = graph.node(inv_std, "Reciprocal")
    sqrt = graph.node(reciprocal.input[0], "Sqrt")
    plus_eps = sqrt and graph.node(sqrt.input[0], "Add")
    if plus_eps is None:
        return None
    eps = next((i for i in plus_eps.input if i in graph.constants), None)
    variance = next((i for i in plus_eps.input if i != eps), None)
    var_mean = variance and _spatial_mean(graph, variance)
    if eps is None or var_mean is None:
        return None
    square = graph.node(var_mean[0], "Mul")
    if square is None or square.input[0] != square.input[1]:
        return None
    var_sub = graph.node(square.input[0], "Sub")
    layout = var_mean[1]
    if var_sub is None or var_sub.input[0] != x:
        return None
    for m in (mean, var_sub.input[1]):
        if _spatial_mean(graph, graph.unwrap(m, layout)) != (x, layout):
            return None
    gamma, beta, eps = (graph.constants[n] for n in (gamma, beta, eps))
    channels = gamma.size
    per_channel = {
        "NCHW": ((channels,), (1, channels, 1, 1)),
        "NHWC": ((channels,), (1, 1, 1, channels)),
    }[layout]
    if gamma.shape not in per_channel or beta.shape not in per_channel:
        return None
    if eps.size != 1:
        return None
    return x, layout, gamma.reshape(-1), beta.reshape(-1), float(eps.reshape(()))


def fuse_instance_normalization(model):
    """Replaces decomposed instance normalisations with constant scale and
    shift by `InstanceNormalization` (between two transposes where the
    tensor is NHWC); returns how many. The nodes they leave unused are
    removed by `optimize`."""
    graph = Graph(model.graph)
    fused = 0
    for node in list(model.graph.node):
        if node.op_type != "Add":
            continue
        match = _match_instance_normalization(graph, node.output[0])
        if match is None:
            continue
        x, layout, gamma, beta, eps = match
        base = node.name or node.output[0]
        scale = graph.add_constant(base + "_scale", gamma.astype(np.float32))
        shift = graph.add_constant(base + "_shift", beta.astype(np.float32))
        nodes = []
        if layout == "NHWC":  # ONNX's norm takes NCHW
            nodes.append(graph.new_node("Transpose", [x], base, perm=[0, 3, 1, 2]))
            x = nodes[-1].output[0]
        nodes.append(
            graph.new_node(
                "InstanceNormalization",
                [x, scale, shift],
                base,
                node.output if layout == "NCHW" else None,
                epsilon=eps,
            )
        )
        if layout == "NHWC":
            nodes.append(
                graph.new_node(
                    "Transpose", nodes[-1].output, base, node.output, perm=[0, 2, 3, 1]
                )
            )
        replace(model.graph, node, nodes)
        graph.producer[node.output[0]] = nodes[-1]
        fused += 1
    return fused

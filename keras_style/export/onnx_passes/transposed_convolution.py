"""TensorFlow's "same" transposed convolutions without their crop."""

import numpy as np

from keras_style.export.onnx_passes.graph import Graph, attributes, replace


def crop_transposed_convolutions(model):
    """Gives TensorFlow's "same" transposed convolutions (stride 2, 3x3) their
    output size directly; returns how many.

    tf2onnx writes one as a `ConvTranspose` to `2H + 1` rows, then a `Slice`
    and a `Pad` computed from the shapes at run time, which keep the first
    `2H` rows and columns (TensorFlow pads 0 before and 1 after): two more
    passes over the largest feature maps. A `ConvTranspose` with
    `pads=[0, 0, 1, 1]` computes those rows alone. The match trusts the
    crop to be that one (it does not evaluate the shape arithmetic);
    `optimize_file` checks the result against the unrewritten graph.
    """
    graph = Graph(model.graph)
    rewritten = 0
    for node in list(model.graph.node):
        if node.op_type != "ConvTranspose" or node.input[1] not in graph.constants:
            continue
        attrs = attributes(node)
        kernel = graph.constants[node.input[1]]
        if (
            kernel.ndim != 4
            or kernel.shape[2:] != (3, 3)
            or list(attrs.get("strides", [])) != [2, 2]
            or any(attrs.get("pads", [0]))
            or any(attrs.get("output_padding", [0]))
            or "output_shape" in attrs
            or attrs.get("group", 1) != 1
            or any(d != 1 for d in attrs.get("dilations", [1, 1]))
        ):
            continue
        # Besides the `Slice`, only the `Shape` ops computing the crop.
        users = [
            user
            for user in graph.consumers.get(node.output[0], [])
            if user.op_type != "Shape"
        ]
        if len(users) != 1 or users[0].op_type != "Slice":
            continue
        crop = users[0]
        axes = crop.input[3] if len(crop.input) > 3 else ""
        if list(graph.constants.get(axes, np.array([])).reshape(-1)) != [2, 3]:
            continue
        pad_users = graph.consumers.get(crop.output[0], [])
        if len(pad_users) != 1 or pad_users[0].op_type != "Pad":
            continue
        pad = pad_users[0]
        replacement = graph.new_node(
            "ConvTranspose",
            list(node.input),
            node.name or node.output[0],
            pad.output,
            strides=[2, 2],
            kernel_shape=[3, 3],
            pads=[0, 0, 1, 1],
        )
        replace(model.graph, pad, [replacement])
        rewritten += 1
    return rewritten

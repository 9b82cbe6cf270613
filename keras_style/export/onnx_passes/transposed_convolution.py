"""TensorFlow's "same" transposed convolutions: without their crop, then as
convolutions on the four output parities."""

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
        if _stride_2_kernel(graph, node, pads=[0, 0, 0, 0]) is None:
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


def _stride_2_kernel(graph, node, pads):
    """The constant `(in, out, 3, 3)` kernel of `node` if it is a plain 3x3
    stride-2 `ConvTranspose` with `pads` (absent counts as zeros): one
    group, no dilation, no output padding, shape or automatic padding;
    else None."""
    if node.op_type != "ConvTranspose" or node.input[1] not in graph.constants:
        return None
    attrs = attributes(node)
    kernel = graph.constants[node.input[1]]
    if (
        kernel.ndim != 4
        or kernel.shape[2:] != (3, 3)
        or list(attrs.get("strides", [])) != [2, 2]
        or list(attrs.get("pads", [0, 0, 0, 0])) != pads
        or any(attrs.get("output_padding", [0]))
        or "output_shape" in attrs
        or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET")
        or attrs.get("group", 1) != 1
        or any(d != 1 for d in attrs.get("dilations", [1, 1]))
    ):
        return None
    return kernel


# Sub-pixel form of a 3x3 stride-2 transposed convolution cropped to 2H x 2W:
# output row 2m + a reads input rows m - 1 + d (d = 0, 1) through kernel row
# `_TAP[a][d]`, or nothing where it is None (the same for columns).
_TAP = ((2, 0), (None, 1))


def subpixel_transposed_convolutions(model):
    """Runs 3x3 stride-2 transposed convolutions to `2H x 2W` (as
    `crop_transposed_convolutions` writes them) as a 2x2 `Conv` to four
    times the channels and a `DepthToSpace`; returns how many.

    Each output pixel of such a transposed convolution reads at most 2x2
    input pixels, through a kernel tap chosen by the pixel's row and column
    parity. As one convolution per parity, stacked on the channel axis, the
    whole layer runs in ONNX Runtime's blocked convolution kernels, which
    its `ConvTranspose` does not use.

    Example (after `crop_transposed_convolutions`, on a wave export):

    >>> subpixel_transposed_convolutions(model)
    2
    """
    graph = Graph(model.graph)
    rewritten = 0
    for node in list(model.graph.node):
        kernel = _stride_2_kernel(graph, node, pads=[0, 0, 1, 1])
        if kernel is None:
            continue
        bias = None
        if len(node.input) > 2 and node.input[2]:
            if node.input[2] not in graph.constants:
                continue  # a bias computed in the graph
            bias = graph.constants[node.input[2]].astype(np.float32)
        base = node.name or node.output[0]
        inputs = [
            node.input[0],
            graph.add_constant(base + "_subpixel", _phases(kernel)),
        ]
        if bias is not None:
            # Channels are (row parity, column parity, channel): DCR order.
            inputs.append(graph.add_constant(base + "_subpixel_bias", np.tile(bias, 4)))
        conv = graph.new_node(
            "Conv", inputs, base, kernel_shape=[2, 2], pads=[1, 1, 0, 0]
        )
        pixels = graph.new_node(
            "DepthToSpace", conv.output, base, node.output, blocksize=2, mode="DCR"
        )
        replace(model.graph, node, [conv, pixels])
        rewritten += 1
    return rewritten


def _phases(kernel):
    """`(in, out, 3, 3)` transposed-convolution kernel -> `(4 * out, in, 2, 2)`
    kernel of its four output parities (DCR order: row, column, channel).

    Example:

    >>> _phases(np.ones((5, 7, 3, 3), "float32")).shape
    (28, 5, 2, 2)
    """
    in_ch, out_ch = kernel.shape[:2]
    result = np.zeros((2, 2, out_ch, in_ch, 2, 2), np.float32)
    for a in range(2):
        for b in range(2):
            for dy in range(2):
                for dx in range(2):
                    ky, kx = _TAP[a][dy], _TAP[b][dx]
                    if ky is not None and kx is not None:
                        result[a, b, :, :, dy, dx] = kernel[:, :, ky, kx].T
    return result.reshape(4 * out_ch, in_ch, 2, 2)

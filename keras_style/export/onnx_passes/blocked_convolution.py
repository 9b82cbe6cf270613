"""Convolutions with few outputs and a large kernel, run on pixel blocks.

A 9x9 convolution to 3 channels (the last layer of every style network)
leaves ONNX Runtime's blocked kernels idle: they compute 8 or 16 output
channels at a time. On 4x4 pixel blocks (`SpaceToDepth`, a convolution to
48 channels, `DepthToSpace`) the same arithmetic fills them.
"""

import numpy as np

from keras_style.export.onnx_passes.graph import Graph, attributes, replace

# 4x4 blocks turn 3 output channels into 48, a multiple of the 16 an
# AVX-512 kernel fills.
_BLOCK = 4
# Which convolutions are rewritten: few outputs and a large kernel.
_MAX_OUT_CHANNELS = 4
_MIN_KERNEL = 5


def _block_kernel(kernel, pad_begin, block):
    """The kernel of a convolution run on `block`x`block` pixel blocks.

    Output pixel `block*q + o` (o < block) reads input pixels
    `block*q + o + d`, d in [-pad_begin, k - 1 - pad_begin]; input pixel
    `block*(q + t) + i` is channel `i` of block `q + t`. So the block
    convolution's tap `t - t_min` maps (input phase i, output phase o) to the
    original tap `block*t + i - o + pad_begin`, and is zero where that falls
    outside the kernel. Channels follow ONNX's DCR order: (row phase,
    column phase, channel).

    Returns:
        `(block_kernel, t_min)`: `(block²·out, block²·in, K, K)` and the
        block offset of its first tap.
    """
    out_ch, in_ch, k, _ = kernel.shape
    t_min = (-pad_begin) // block
    t_max = (block - 1 + k - 1 - pad_begin) // block
    size = t_max - t_min + 1
    result = np.zeros((block, block, out_ch, block, block, in_ch, size, size), "f4")
    for oy in range(block):
        for ox in range(block):
            for iy in range(block):
                for ix in range(block):
                    for ty in range(size):
                        dy = block * (ty + t_min) + iy - oy + pad_begin
                        if not 0 <= dy < k:
                            continue
                        for tx in range(size):
                            dx = block * (tx + t_min) + ix - ox + pad_begin
                            if 0 <= dx < k:
                                result[oy, ox, :, iy, ix, :, ty, tx] = kernel[
                                    :, :, dy, dx
                                ]
    shape = (block * block * out_ch, block * block * in_ch, size, size)
    return result.reshape(shape), t_min


def _conv_padding(node, k):
    """`(pad_begin, pad_end)` of a square stride-1 `Conv`, when both axes
    agree and the output is no larger than the input; else None."""

    attrs = attributes(node)
    if any(s != 1 for s in attrs.get("strides", [1, 1])):
        return None
    if any(d != 1 for d in attrs.get("dilations", [1, 1])):
        return None
    if attrs.get("group", 1) != 1:
        return None
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if k % 2 == 0:
            return None
        return (k - 1) // 2, (k - 1) // 2
    if auto_pad == "VALID":
        return 0, 0
    if auto_pad != "NOTSET":
        return None
    pads = attrs.get("pads", [0, 0, 0, 0])
    if pads[0] != pads[1] or pads[2] != pads[3]:
        return None
    if pads[2] > pads[0] or pads[0] >= k:
        return None  # the output would outgrow the padded blocks
    return pads[0], pads[2]


def space_to_depth_convolutions(model):
    """Runs stride-1 convolutions with few output channels and a large
    kernel on pixel blocks; returns how many were rewritten.

    `x` (N, C, H, W) is zero-padded at the bottom and right to a multiple of
    the block, rearranged by `SpaceToDepth`, convolved with the block kernel
    (zero block padding: `t_min` blocks before, `t_max` after), rearranged
    back by `DepthToSpace` and cropped to the original output size, so any
    height and width give the original result.
    """
    graph = Graph(model.graph)
    rewritten = 0
    for node in list(model.graph.node):
        if node.op_type != "Conv" or node.input[1] not in graph.constants:
            continue
        kernel = graph.constants[node.input[1]]
        if kernel.ndim != 4 or kernel.shape[2] != kernel.shape[3]:
            continue
        out_ch, _, k, _ = kernel.shape
        if out_ch > _MAX_OUT_CHANNELS or k < _MIN_KERNEL:
            continue
        if len(node.input) > 2 and node.input[2] not in ("", *graph.constants):
            continue  # a bias computed in the graph
        padding = _conv_padding(node, k)
        if padding is None:
            continue
        replace(model.graph, node, _block_convolution(graph, node, kernel, padding))
        rewritten += 1
    return rewritten


def _block_convolution(graph, node, kernel, padding):
    """The nodes computing `node` (a `Conv`) on pixel blocks."""
    pad_begin, pad_end = padding
    block = _BLOCK
    block_kernel, t_min = _block_kernel(kernel.astype(np.float32), pad_begin, block)
    before, after = -t_min, block_kernel.shape[-1] - 1 + t_min
    base = node.name or node.output[0]
    nodes = []

    def add(op, inputs, outputs=None, **attrs):
        nodes.append(graph.new_node(op, inputs, base, outputs, **attrs))
        return nodes[-1].output[0]

    def constant(suffix, value):
        return graph.add_constant(f"{base}_{suffix}", np.asarray(value, np.int64))

    hw = add(
        "Slice",
        [add("Shape", [node.input[0]]), constant("from", [2]), constant("to", [4])],
    )
    # Padding to a multiple of the block, (-hw) mod block, at the bottom and
    # right (Pad's order: every axis' start, then every axis' end).
    to_block = add("Mod", [add("Neg", [hw]), constant("block", block)])
    pads = add("Concat", [constant("zeros", [0] * 6), to_block], axis=0)
    blocks = add("SpaceToDepth", [add("Pad", [node.input[0], pads])], blocksize=block)
    conv_inputs = [blocks, graph.add_constant(base + "_block_kernel", block_kernel)]
    if len(node.input) > 2 and node.input[2]:
        # Outputs are (phase, channel): the bias repeats once per phase.
        bias = graph.constants[node.input[2]].astype(np.float32)
        conv_inputs.append(
            graph.add_constant(base + "_block_bias", np.tile(bias, block * block))
        )
    conv = add("Conv", conv_inputs, pads=[before, before, after, after])
    pixels = add("DepthToSpace", [conv], blocksize=block, mode="DCR")
    # The original output size: H + pad_begin + pad_end - k + 1 (<= H).
    shrink = kernel.shape[-1] - 1 - pad_begin - pad_end
    out_hw = add("Sub", [hw, constant("shrink", shrink)])
    crop = [pixels, constant("crop_start", [0, 0]), out_hw, constant("axes", [2, 3])]
    add("Slice", crop, outputs=list(node.output))
    return nodes

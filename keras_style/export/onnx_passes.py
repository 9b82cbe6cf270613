"""Rewrites of exported ONNX graphs into forms ONNX Runtime runs faster.

tf2onnx translates each TensorFlow op on its own, so two shapes that style
networks are full of reach ONNX Runtime in a slow form:

- instance normalisation arrives as a dozen elementwise ops (moments,
  `Sub`, `Mul`, `Sqrt`, `Reciprocal`, ...), six passes over each feature
  map; `fuse_instance_normalization` replaces each with ONNX's own
  `InstanceNormalization`, when its scale and shift are constants;
- the last convolution (a 9x9 kernel to 3 channels) leaves ONNX Runtime's
  blocked kernels idle: they compute 8 or 16 output channels at a time. `space_to_depth_convolutions` runs it on 4x4 pixel blocks instead
  (`SpaceToDepth`, a smaller convolution to 48 channels, `DepthToSpace`),
  the same arithmetic in a shape the blocked kernels fill.

All compute the same function as the graph they replace, to float32
rounding. `optimize_file`, which the ONNX export runs, also checks that on
two image sizes with ONNX Runtime when it is installed, and keeps the
unrewritten graph if the two disagree.
"""

import warnings

import numpy as np

from keras_style.export.formats import INPUT_NAME, STYLE_INPUT_NAME

# The pixel block of `space_to_depth_convolutions`: 4x4 blocks turn 3
# output channels into 48, a multiple of the 16 an AVX-512 kernel fills.
_BLOCK = 4
# Which convolutions it rewrites: few outputs and a large kernel.
_MAX_OUT_CHANNELS = 4
_MIN_KERNEL = 5


# How far (in 0..255 levels) the rewritten graph may drift from the original.
_TOLERANCE = 0.5
# Image sizes of the check: odd and even, and a batch of two.
_CHECK_SHAPES = ((1, 37, 45, 3), (2, 64, 48, 3))


def optimize_file(path):
    """Rewrites the float32 ONNX file of a style network at `path`.

    Returns:
        What `optimize` returns, or None when the check failed and the file
        was left as exported.
    """
    import onnx

    model = onnx.load(str(path))
    original = model.SerializeToString()
    counts = optimize(model)
    if not any(counts.values()):
        return counts
    onnx.checker.check_model(model)
    optimized = model.SerializeToString()
    drift = _drift(original, optimized)
    if drift is not None and drift > _TOLERANCE:
        warnings.warn(
            "The ONNX graph rewrites changed the network's output by "
            f"{drift:.3g} levels; the file is left as exported (slower). "
            "Please report this with your network.",
            stacklevel=2,
        )
        return None
    with open(path, "wb") as f:
        f.write(optimized)
    return counts


def _drift(original, optimized):
    """The largest output difference of two serialized graphs of a style
    network (inputs named as `formats.write` names them) on random images,
    or None when onnxruntime is not installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    sessions = [
        onnxruntime.InferenceSession(graph, providers=["CPUExecutionProvider"])
        for graph in (original, optimized)
    ]
    rng = np.random.default_rng(0)
    drift = 0.0
    specs = {spec.name: spec for spec in sessions[0].get_inputs()}
    for shape in _CHECK_SHAPES:
        # A file exported with a fixed `input_size` takes only that size.
        shape = [
            fixed if isinstance(fixed, int) else n
            for n, fixed in zip(shape, specs[INPUT_NAME].shape)
        ]
        feeds = {INPUT_NAME: rng.uniform(0, 255, shape).astype(np.float32)}
        for spec in specs.values():
            if spec.name == STYLE_INPUT_NAME:  # a random blend of the styles
                weights = rng.uniform(0.1, 1, (shape[0], spec.shape[-1]))
                feeds[spec.name] = weights / weights.sum(-1, keepdims=True)
                feeds[spec.name] = feeds[spec.name].astype(np.float32)
        a, b = (session.run(None, feeds)[0] for session in sessions)
        drift = max(drift, float(np.max(np.abs(a - b))))
    return drift


def optimize(model):
    """Applies every pass to the `onnx.ModelProto` `model`, in place.

    Returns:
        A dict: pass name -> how many places it rewrote.
    """
    counts = {
        "instance_normalization": fuse_instance_normalization(model),
        "space_to_depth": space_to_depth_convolutions(model),
        "transposed_convolution": crop_transposed_convolutions(model),
    }
    _remove_unused(model.graph)
    return counts


class _Graph:
    """Producers, consumers and constants of a graph, for matching."""

    def __init__(self, graph):
        from onnx import numpy_helper

        self.graph = graph
        self.producer = {out: node for node in graph.node for out in node.output}
        self.consumers = {}
        for node in graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.constants = {
            init.name: numpy_helper.to_array(init) for init in graph.initializer
        }
        for node in graph.node:
            if node.op_type == "Constant" and node.attribute[0].name == "value":
                self.constants[node.output[0]] = numpy_helper.to_array(
                    node.attribute[0].t
                )
        self.taken = {out for node in graph.node for out in node.output}
        self.taken |= set(self.constants)

    def node(self, name, *op_types):
        """The node producing `name` if it is one of `op_types`, else None."""
        node = self.producer.get(name)
        return node if node is not None and node.op_type in op_types else None

    def unwrap(self, name):
        """`name` seen through reshapes, identities and transposes (of the
        per-channel statistics, where they change no value)."""
        node = self.producer.get(name)
        while node is not None and node.op_type in ("Reshape", "Identity", "Transpose"):
            name = node.input[0]
            node = self.producer.get(name)
        return name

    def fresh(self, base):
        """A tensor or node name not in the graph yet."""
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def add_constant(self, base, value):
        from onnx import numpy_helper

        name = self.fresh(base)
        self.graph.initializer.append(numpy_helper.from_array(value, name))
        self.constants[name] = value
        return name


def _two_inputs(graph, node, op_type):
    """Of a commutative `node`'s inputs, (the one made by `op_type`, the other)."""
    for a, b in (node.input, reversed(node.input)):
        if graph.node(a, op_type) is not None:
            return a, b
    return None, None


def _spatial_mean(graph, name):
    """`(x, layout)` when `name` is the per-channel mean of `x` over height
    and width: `GlobalAveragePool` (NCHW) or `ReduceMean` over axes 1 and 2
    keeping them (NHWC, where tf2onnx left a tensor in TensorFlow's layout);
    else None."""
    from onnx import helper

    node = graph.node(name, "GlobalAveragePool", "ReduceMean")
    if node is None:
        return None
    if node.op_type == "GlobalAveragePool":
        return node.input[0], "NCHW"
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1:  # opset 18: axes as an input
        axes = graph.constants.get(node.input[1])
    if axes is None or sorted(int(a) for a in np.reshape(axes, -1)) != [1, 2]:
        return None
    if attrs.get("keepdims", 1) != 1:
        return None
    return node.input[0], "NHWC"


def _orders(pair):
    a, b = pair
    return ((a, b), (b, a))


def _affine_part(graph, add):
    """`(x, factor, beta, mean)` of the `Add` ending an instance norm, in
    either form Keras writes: `(x - mean) * factor + beta`, or
    `x * factor + (beta - mean * factor)` with the offset computed on the
    statistics; `beta` is a constant. Else None."""
    for a, b in _orders(add.input):
        mul = graph.node(a, "Mul")
        if mul is None:
            continue
        if b in graph.constants:  # (x - mean) * factor + beta
            for centred, factor in _orders(mul.input):
                sub = graph.node(centred, "Sub")
                if sub is not None and graph.node(factor, "Mul") is not None:
                    return sub.input[0], factor, b, sub.input[1]
        offset = graph.node(b, "Sub")  # x * factor + (beta - mean * factor)
        if offset is None or offset.input[0] not in graph.constants:
            continue
        mean_times = graph.node(offset.input[1], "Mul")
        if mean_times is None:
            continue
        for x, factor in _orders(mul.input):
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
    inv_std, gamma = _two_inputs(graph, graph.node(factor, "Mul"), "Reciprocal")
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
        if _spatial_mean(graph, graph.unwrap(m)) != (x, layout):
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
    from onnx import helper

    graph = _Graph(model.graph)
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
        if layout == "NHWC":
            nchw = graph.fresh(base + "_nchw")
            nodes.append(
                helper.make_node("Transpose", [x], [nchw], name=nchw, perm=[0, 3, 1, 2])
            )
            x = nchw
        normalized = (
            list(node.output)
            if layout == "NCHW"
            else [graph.fresh(base + "_normalized")]
        )
        nodes.append(
            helper.make_node(
                "InstanceNormalization",
                [x, scale, shift],
                normalized,
                name=graph.fresh(base + "_instance_norm"),
                epsilon=eps,
            )
        )
        if layout == "NHWC":
            nodes.append(
                helper.make_node(
                    "Transpose",
                    normalized,
                    list(node.output),
                    name=graph.fresh(base + "_nhwc"),
                    perm=[0, 2, 3, 1],
                )
            )
        _replace(model.graph, node, nodes)
        graph.producer[node.output[0]] = nodes[-1]
        fused += 1
    return fused


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
    from onnx import helper

    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
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
    if pads[2] > pads[0]:
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
    graph = _Graph(model.graph)
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
        _replace(model.graph, node, _block_convolution(graph, node, kernel, padding))
        rewritten += 1
    return rewritten


def _block_convolution(graph, node, kernel, padding):
    """The nodes computing `node` (a `Conv`) on pixel blocks."""
    from onnx import helper

    pad_begin, pad_end = padding
    block = _BLOCK
    block_kernel, t_min = _block_kernel(kernel.astype(np.float32), pad_begin, block)
    before, after = -t_min, block_kernel.shape[-1] - 1 + t_min
    base = node.name or node.output[0]
    nodes = []

    def add(op, inputs, outputs=None, **attrs):
        outputs = outputs or [graph.fresh(f"{base}_{op.lower()}")]
        nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0], **attrs))
        return outputs[0]

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


def _replace(graph, node, nodes):
    """Puts `nodes` where `node` was (keeping the graph sorted)."""
    position = list(graph.node).index(node)
    graph.node.remove(node)
    for offset, new in enumerate(nodes):
        graph.node.insert(position + offset, new)


def crop_transposed_convolutions(model):
    """Gives TensorFlow's "same" transposed convolutions (stride 2, 3x3) their
    output size directly; returns how many.

    tf2onnx writes one as a `ConvTranspose` to `2H + 1` rows, then a `Slice`
    and a `Pad` computed from the shapes at run time, which keep the first
    `2H` rows and columns (TensorFlow pads 0 before and 1 after): two more
    passes over the largest feature maps. A `ConvTranspose` with
    `pads=[0, 0, 1, 1]` computes those rows alone. `verified_optimize`
    checks the result against the unrewritten graph.
    """
    from onnx import helper

    graph = _Graph(model.graph)
    rewritten = 0
    for node in list(model.graph.node):
        if node.op_type != "ConvTranspose" or node.input[1] not in graph.constants:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
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
        replacement = helper.make_node(
            "ConvTranspose",
            list(node.input),
            list(pad.output),
            name=graph.fresh(node.name + "_cropped"),
            strides=[2, 2],
            kernel_shape=[3, 3],
            pads=[0, 0, 1, 1],
        )
        _replace(model.graph, pad, [replacement])
        rewritten += 1
    return rewritten


def _remove_unused(graph):
    """Drops nodes and initializers no graph output depends on."""
    needed = {out.name for out in graph.output}
    keep = []
    for node in reversed(list(graph.node)):
        if any(out in needed for out in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)
    inits = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    infos = [info for info in graph.value_info if info.name in needed]
    del graph.value_info[:]
    graph.value_info.extend(infos)

"""The ONNX graph rewrites of exported style networks (`onnx_passes`).

Each pass is run on a small graph written here in the form tf2onnx gives
the ops (the real exports are covered in tests/test_export.py) and must
compute what the unrewritten graph computes, in ONNX Runtime, at odd and
even sizes; graphs a pass cannot handle are left alone.
"""

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from keras_style.export import onnx_passes  # noqa: E402


def make_model(nodes, constants, channels, *, extra_inputs=()):
    """A model with input `x` (N, channels, H, W) and output `y`."""
    any_size = ["N", "C", "H", "W"]  # or NHWC: only the rank is fixed
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, any_size)]
    inputs += [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, channels, 1, 1])
        for name in extra_inputs
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def run(model, feeds):
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, feeds)[0]


def op_types(model):
    return [node.op_type for node in model.graph.node]


def rewritten(model):
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    counts = onnx_passes.optimize(copy)
    onnx.checker.check_model(copy)
    return copy, counts


def conv_model(rng, out_ch, in_ch, k, *, bias=True, **attrs):
    kernel = rng.normal(0, 0.1, (out_ch, in_ch, k, k)).astype("float32")
    constants = {"w": kernel}
    inputs = ["x", "w"]
    if bias:
        constants["b"] = rng.normal(0, 1, out_ch).astype("float32")
        inputs.append("b")
    return make_model(
        [helper.make_node("Conv", inputs, ["y"], **attrs)], constants, in_ch
    )


@pytest.mark.parametrize(
    "in_ch, k, attrs",
    [
        (32, 9, {"auto_pad": "SAME_UPPER"}),  # tf2onnx's "same" (lengstrom)
        (32, 9, {"pads": [4, 4, 4, 4]}),
        (4, 9, {}),  # "valid" after a reflection pad (Magenta's last layer)
        (32, 7, {"pads": [3, 3, 1, 1]}),  # more padding before than after
        (32, 5, {"auto_pad": "VALID"}),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_space_to_depth_convolution_matches_at_any_size(rng, in_ch, k, attrs, bias):
    model = conv_model(rng, 3, in_ch, k, bias=bias, **attrs)
    fast, counts = rewritten(model)
    assert counts["space_to_depth"] == 1
    assert "SpaceToDepth" in op_types(fast) and "DepthToSpace" in op_types(fast)
    # Sizes that are and are not multiples of the 4-pixel block.
    for height, width in [(16, 16), (23, 30), (13, 9)]:
        x = rng.normal(0, 1, (1 + height % 2, in_ch, height, width)).astype("float32")
        expected = run(model, {"x": x})
        result = run(fast, {"x": x})
        assert result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "out_ch, in_ch, k, attrs",
    [
        (32, 32, 9, {"pads": [4, 4, 4, 4]}),  # many outputs: already fast
        (3, 32, 3, {"pads": [1, 1, 1, 1]}),  # small kernel
        (3, 32, 9, {"pads": [4, 4, 4, 4], "strides": [2, 2]}),
        (3, 32, 9, {"pads": [2, 4, 2, 4]}),  # rows and columns differ
        (3, 32, 9, {"pads": [3, 3, 5, 5]}),  # output larger than the input
    ],
)
def test_space_to_depth_leaves_other_convolutions_alone(rng, out_ch, in_ch, k, attrs):
    model = conv_model(rng, out_ch, in_ch, k, **attrs)
    fast, counts = rewritten(model)
    assert counts["space_to_depth"] == 0
    assert op_types(fast) == ["Conv"]


def instance_norm_nodes(x, out, gamma, beta, eps, layout="NCHW", form="offset"):
    """Instance normalisation as tf2onnx writes Keras' `ops.moments` form:
    `GlobalAveragePool` statistics on NCHW tensors, `ReduceMean` over axes
    1 and 2 where it left a tensor NHWC; the affine part as
    `x * factor + (beta - mean * factor)` (keras-style's layers) or
    `(x - mean) * factor + beta`."""
    n = helper.make_node

    def mean(inputs, outputs):
        if layout == "NCHW":
            return n("GlobalAveragePool", inputs, outputs)
        return n("ReduceMean", inputs, outputs, axes=[1, 2], keepdims=1)

    statistics = [
        mean([x], ["mean"]),
        n("Reshape", ["mean", "same_shape"], ["mean_again"]),
        n("Sub", [x, "mean_again"], ["diff"]),
        n("Mul", ["diff", "diff"], ["squared"]),
        mean(["squared"], ["variance"]),
        n("Add", ["variance", eps], ["plus_eps"]),
        n("Sqrt", ["plus_eps"], ["std"]),
        n("Reciprocal", ["std"], ["inv_std"]),
        n("Mul", ["inv_std", gamma], ["factor"]),
    ]
    if form == "offset":
        return statistics + [
            n("Mul", [x, "factor"], ["scaled"]),
            n("Mul", ["mean", "factor"], ["mean_scaled"]),
            n("Sub", [beta, "mean_scaled"], ["offset"]),
            n("Add", ["scaled", "offset"], [out]),
        ]
    return statistics + [
        n("Sub", [x, "mean"], ["centred"]),
        n("Mul", ["centred", "factor"], ["scaled"]),
        n("Add", ["scaled", beta], [out]),
    ]


@pytest.mark.parametrize("form", ["offset", "centred"])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_instance_normalization_is_fused(rng, layout, form):
    channels = 6
    per_channel = (1, channels, 1, 1) if layout == "NCHW" else (1, 1, 1, channels)
    constants = {
        "gamma": rng.uniform(0.5, 2, per_channel).astype("float32"),
        "beta": rng.normal(0, 1, per_channel).astype("float32"),
        "eps": np.full((1, 1, 1, 1), 1e-3, "float32"),
        "same_shape": np.array([-1, *per_channel[1:]], np.int64),
    }
    model = make_model(
        instance_norm_nodes("x", "y", "gamma", "beta", "eps", layout, form),
        constants,
        channels,
    )
    fast, counts = rewritten(model)
    assert counts["instance_normalization"] == 1
    if layout == "NCHW":
        assert op_types(fast) == ["InstanceNormalization"]
    else:
        assert op_types(fast) == ["Transpose", "InstanceNormalization", "Transpose"]
    assert [i.name for i in fast.graph.initializer if i.name in constants] == []
    for shape in [(1, 7, 9), (2, 16, 16)]:
        batch, height, width = shape
        dims = (batch, channels, height, width)
        if layout == "NHWC":
            dims = (batch, height, width, channels)
        x = rng.normal(3, 2, dims).astype("float32")
        np.testing.assert_allclose(
            run(fast, {"x": x}), run(model, {"x": x}), rtol=1e-4, atol=1e-4
        )


def test_a_mean_broadcast_across_the_wrong_axis_is_not_fused(rng):
    # The same ops, but the mean is reshaped to (N, 1, 1, C) on an NCHW
    # tensor: it broadcasts along the width, so this is no instance norm.
    channels = 6
    constants = {
        "gamma": np.ones((1, channels, 1, 1), "float32"),
        "beta": np.zeros((1, channels, 1, 1), "float32"),
        "eps": np.full((1, 1, 1, 1), 1e-3, "float32"),
        "same_shape": np.array([-1, 1, 1, channels], np.int64),
    }
    model = make_model(
        instance_norm_nodes("x", "y", "gamma", "beta", "eps"), constants, channels
    )
    fast, counts = rewritten(model)
    assert counts["instance_normalization"] == 0
    assert "InstanceNormalization" not in op_types(fast)


def test_instance_normalization_with_a_computed_scale_is_left_alone(rng):
    # A multi-style network's scale comes from its style input.
    channels = 4
    constants = {
        "beta": np.zeros((1, channels, 1, 1), "float32"),
        "eps": np.full((1, 1, 1, 1), 1e-5, "float32"),
        "same_shape": np.array([-1, channels, 1, 1], np.int64),
    }
    model = make_model(
        instance_norm_nodes("x", "y", "gamma", "beta", "eps"),
        constants,
        channels,
        extra_inputs=["gamma"],
    )
    fast, counts = rewritten(model)
    assert counts["instance_normalization"] == 0
    assert "InstanceNormalization" not in op_types(fast)


def transposed_convolution_model(rng, in_ch, out_ch):
    """TensorFlow's "same" stride-2 transposed convolution as tf2onnx writes
    it: `2H + 1` rows, then a crop and a pad computed from the shapes."""
    n = helper.make_node
    kernel = rng.normal(0, 0.1, (in_ch, out_ch, 3, 3)).astype("float32")
    nodes = [
        n("ConvTranspose", ["x", "w"], ["full"], strides=[2, 2], kernel_shape=[3, 3]),
        n("Shape", ["x"], ["in_shape"]),
        n("Slice", ["in_shape", "two", "four"], ["in_hw"]),
        n("Mul", ["in_hw", "two"], ["out_hw"]),
        n("Shape", ["full"], ["full_shape"]),
        n("Slice", ["full_shape", "two", "four"], ["full_hw"]),
        n("Sub", ["full_hw", "out_hw"], ["excess"]),
        n("Div", ["excess", "two"], ["start"]),
        n("Add", ["start", "out_hw"], ["end"]),
        n("Slice", ["full", "start", "end", "axes"], ["cropped"]),
        n("Pad", ["cropped", "zero_pads"], ["y"]),
    ]
    constants = {
        "w": kernel,
        "two": np.array([2], np.int64),
        "four": np.array([4], np.int64),
        "axes": np.array([2, 3], np.int64),
        "zero_pads": np.zeros(8, np.int64),
    }
    return make_model(nodes, constants, in_ch)


def test_transposed_convolution_gets_its_output_size_directly(rng):
    model = transposed_convolution_model(rng, 8, 4)
    fast, counts = rewritten(model)
    assert counts["transposed_convolution"] == 1
    # ... and then runs as a convolution on its four output parities.
    assert counts["subpixel_convolution"] == 1
    assert op_types(fast) == ["Conv", "DepthToSpace"]
    for shape in [(1, 8, 5, 7), (2, 8, 12, 12)]:
        x = rng.normal(0, 1, shape).astype("float32")
        expected = run(model, {"x": x})
        assert expected.shape == (shape[0], 4, 2 * shape[2], 2 * shape[3])
        np.testing.assert_allclose(run(fast, {"x": x}), expected, rtol=1e-5, atol=1e-5)


def cropped_transposed_convolution(rng, in_ch, out_ch, *, bias=True, **attrs):
    kernel = rng.normal(0, 0.1, (in_ch, out_ch, 3, 3)).astype("float32")
    constants = {"w": kernel}
    if bias:
        constants["b"] = rng.normal(0, 1, out_ch).astype("float32")
    attrs = {"strides": [2, 2], "kernel_shape": [3, 3], "pads": [0, 0, 1, 1], **attrs}
    node = helper.make_node("ConvTranspose", ["x", *constants], ["y"], **attrs)
    return make_model([node], constants, in_ch)


@pytest.mark.parametrize("bias", [True, False])
def test_transposed_convolution_runs_on_its_output_parities(rng, bias):
    model = cropped_transposed_convolution(rng, 6, 5, bias=bias)
    fast, counts = rewritten(model)
    assert counts["subpixel_convolution"] == 1
    assert op_types(fast) == ["Conv", "DepthToSpace"]
    for shape in [(1, 6, 1, 1), (1, 6, 5, 8), (2, 6, 9, 4)]:
        x = rng.normal(0, 1, shape).astype("float32")
        expected = run(model, {"x": x})
        assert expected.shape == (shape[0], 5, 2 * shape[2], 2 * shape[3])
        np.testing.assert_allclose(run(fast, {"x": x}), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "attrs",
    [
        {"pads": [1, 1, 1, 1]},  # another output size
        {"pads": [0, 0, 0, 0]},  # uncropped: 2H + 1 rows
        {"strides": [1, 1]},
        {"output_padding": [1, 1]},
        {"dilations": [2, 2]},
    ],
)
def test_other_transposed_convolutions_stay_as_they_are(rng, attrs):
    model = cropped_transposed_convolution(rng, 4, 3, **attrs)
    fast, counts = rewritten(model)
    assert counts["subpixel_convolution"] == 0
    assert op_types(fast) == ["ConvTranspose"]


def exported_model(rng):
    """A photo-to-photo network as `formats.write` writes one: NHWC `image`
    in, NHWC out, NCHW inside; its last convolution can be rewritten."""
    n = helper.make_node
    nodes = [
        n("Transpose", ["image"], ["x"], perm=[0, 3, 1, 2]),
        n("Conv", ["x", "w1"], ["h"]),
        n("Conv", ["h", "w2"], ["z"], pads=[4, 4, 4, 4]),
        n("Transpose", ["z"], ["y"], perm=[0, 2, 3, 1]),
    ]
    constants = {
        "w1": rng.normal(0, 0.5, (32, 3, 1, 1)).astype("float32"),
        "w2": rng.normal(0, 0.1, (3, 32, 9, 9)).astype("float32"),
    }
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info(
                "image", TensorProto.FLOAT, [None, None, None, 3]
            )
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)],
        [numpy_helper.from_array(v, k) for k, v in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_optimize_file_rewrites_and_checks(rng, tmp_path):
    path = tmp_path / "net.onnx"
    model = exported_model(rng)
    onnx.save(model, path)
    counts = onnx_passes.optimize_file(path, "image")
    assert counts["space_to_depth"] == 1
    fast = onnx.load(path)
    assert "SpaceToDepth" in op_types(fast)
    image = rng.uniform(0, 255, (1, 21, 26, 3)).astype("float32")
    np.testing.assert_allclose(
        run(fast, {"image": image}), run(model, {"image": image}), rtol=1e-4, atol=1e-3
    )


def test_optimize_file_keeps_the_export_when_the_check_fails(
    rng, tmp_path, monkeypatch
):
    path = tmp_path / "net.onnx"
    onnx.save(exported_model(rng), path)
    before = path.read_bytes()

    def wrong(model):  # a rewrite that changes the result
        weights = model.graph.initializer[0]
        value = numpy_helper.to_array(weights) * 2
        weights.CopyFrom(numpy_helper.from_array(value, weights.name))
        return {"broken": 1}

    monkeypatch.setattr(onnx_passes, "optimize", wrong)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert onnx_passes.optimize_file(path, "image") is None
    assert any("left as exported" in str(w.message) for w in caught)
    assert path.read_bytes() == before


def test_optimize_file_without_onnxruntime_keeps_the_export(rng, tmp_path, monkeypatch):
    # Nothing could check the rewrites: the file stays as exported.
    from keras_style.export import requirements

    path = tmp_path / "net.onnx"
    onnx.save(exported_model(rng), path)
    before = path.read_bytes()
    monkeypatch.setattr(requirements, "installed", lambda name: name != "onnxruntime")
    assert onnx_passes.optimize_file(path, "image") is None
    assert path.read_bytes() == before

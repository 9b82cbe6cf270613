"""VGG feature taps: names, shapes, pooling, truncation, preprocessing."""

import keras
import numpy as np
import pytest

from keras_style.losses import vgg as features


def test_layer_names():
    assert len(features.vgg_layer_names("vgg16")) == 13
    assert len(features.vgg_layer_names("vgg19")) == 16
    assert features.vgg_layer_names("vgg19")[-1] == "relu5_4"
    with pytest.raises(ValueError, match="Received: network='vgg11'"):
        features.vgg_layer_names("vgg11")


@pytest.mark.parametrize("network", ["vgg16", "vgg19"])
def test_tap_shapes(network):
    model = features.vgg_feature_extractor(
        ["relu3_1", "relu1_2"], network=network, weights=None
    )
    out = model(np.zeros((2, 36, 20, 3), "float32"))
    # (the dict order follows the request on TensorFlow and JAX, not on torch)
    assert set(out) == {"relu3_1", "relu1_2"}
    assert tuple(out["relu1_2"].shape) == (2, 36, 20, 64)
    assert tuple(out["relu3_1"].shape) == (2, 9, 5, 256)
    assert not model.trainable and not model.trainable_weights


def test_graph_stops_after_deepest_tap():
    model = features.vgg_feature_extractor(["relu2_1"], weights=None)
    convs = [
        layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)
    ]
    assert convs == ["block1_conv1", "block1_conv2", "block2_conv1"]


def test_avg_pooling_replaces_max_pooling():
    model = features.vgg_feature_extractor(["relu3_1"], weights=None, pooling="avg")
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "AveragePooling2D" in kinds and "MaxPooling2D" not in kinds


def test_unknown_layer_lists_valid_names():
    with pytest.raises(ValueError, match=r"relu4_2.*Received: layers=\['relu9_9'\]"):
        features.vgg_feature_extractor(["relu9_9"], weights=None)
    with pytest.raises(ValueError, match="Received: pooling='median'"):
        features.vgg_feature_extractor(["relu1_1"], weights=None, pooling="median")


def test_caffe_preprocessing_values():
    rgb = np.array([[[[10.0, 20.0, 30.0]]]], "float32")
    out = keras.ops.convert_to_numpy(features.CaffePreprocessing()(rgb))
    np.testing.assert_allclose(
        out[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-5
    )


def test_weights_from_file_round_trip(tmp_path):
    base = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )
    path = tmp_path / "vgg16.weights.h5"
    base.save_weights(path)
    model = features.vgg_feature_extractor(
        ["relu1_1"], network="vgg16", weights=str(path)
    )
    got = keras.ops.convert_to_numpy(model.get_layer("block1_conv1").kernel)
    np.testing.assert_array_equal(
        got, keras.ops.convert_to_numpy(base.get_layer("block1_conv1").kernel)
    )


def test_vgg19_deep_tap_shapes():
    taps = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
    model = features.vgg_feature_extractor(taps, weights=None)
    x = np.random.default_rng(0).uniform(0, 255, (1, 32, 48, 3)).astype("float32")
    out = model(x)
    expected = {
        "relu1_1": (1, 32, 48, 64),
        "relu2_1": (1, 16, 24, 128),
        "relu3_1": (1, 8, 12, 256),
        "relu4_1": (1, 4, 6, 512),
        "relu4_2": (1, 4, 6, 512),
        "relu5_1": (1, 2, 3, 512),
    }
    assert {k: tuple(v.shape) for k, v in out.items()} == expected
    assert min(float(keras.ops.min(v)) for v in out.values()) >= 0.0  # post-ReLU


@pytest.mark.parametrize(
    "taps, n_layers",
    [
        (["relu1_1"], 3),  # input, preprocessing, block1_conv1
        (["relu2_1", "relu1_1"], 6),  # + block1_conv2, block1_pool, block2_conv1
        # input, preprocessing, 2 + pool, 2 + pool, 4 + pool, 4 + pool, 1
        (["relu5_1", "relu4_2"], 2 + 3 + 3 + 5 + 5 + 1),
    ],
)
def test_graph_layer_count(taps, n_layers):
    model = features.vgg_feature_extractor(taps, weights=None)
    assert len(model.layers) == n_layers
    assert len(model.non_trainable_weights) == 2 * sum(
        isinstance(layer, keras.layers.Conv2D) for layer in model.layers
    )


def test_avg_pooling_is_a_2x2_mean():
    model = features.vgg_feature_extractor(
        ["relu1_2", "relu2_1"], weights=None, pooling="avg"
    )
    x = np.random.default_rng(2).uniform(0, 255, (1, 8, 6, 3)).astype("float32")
    out = model(x)
    relu1_2 = keras.ops.convert_to_numpy(out["relu1_2"])
    pooled = relu1_2.reshape(1, 4, 2, 3, 2, 64).mean(axis=(2, 4))
    expected = model.get_layer("block2_conv1")(pooled)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out["relu2_1"]),
        keras.ops.convert_to_numpy(expected),
        rtol=1e-4,
        atol=1e-4,
    )
    # Max pooling with the same weights gives something else.
    max_model = features.vgg_feature_extractor(["relu1_2", "relu2_1"], weights=None)
    max_model.set_weights(model.get_weights())
    assert not np.allclose(
        keras.ops.convert_to_numpy(max_model(x)["relu2_1"]),
        keras.ops.convert_to_numpy(out["relu2_1"]),
    )


def test_unknown_layer_for_the_network():
    # relu5_4 exists in VGG19 only.
    with pytest.raises(ValueError, match=r"VGG16.*relu5_3.*Received: layers="):
        features.vgg_feature_extractor(["relu5_4"], network="vgg16", weights=None)
    with pytest.raises(ValueError, match=r"Received: layers=\(\)"):
        features.vgg_feature_extractor([], weights=None)


def test_caffe_preprocessing_matches_keras_applications():
    x = np.random.default_rng(3).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    expected = keras.applications.vgg19.preprocess_input(x.copy())
    out = keras.ops.convert_to_numpy(features.CaffePreprocessing()(x))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("network", ["vgg16", "vgg19"])
def test_description_matches_keras_applications(network):
    """The extractor built from the description has the layers and weight
    shapes of `keras.applications` (so its weight files load) and the tap
    names of `vgg_layer_names`."""
    constructor = {"vgg16": keras.applications.VGG16, "vgg19": keras.applications.VGG19}
    base = constructor[network](include_top=False, weights=None)
    taps = features.vgg_layer_names(network)
    model = features.vgg_feature_extractor(taps[-1], network=network, weights=None)

    def layers(m):
        return [
            (layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights])
            for layer in m.layers
            if not isinstance(
                layer, (keras.layers.InputLayer, features.CaffePreprocessing)
            )
        ]

    # keras.applications ends with block5_pool; the extractor at its deepest tap.
    assert layers(model) == layers(base)[:-1]
    assert [layer.name for layer in features.vgg_layers(network)] == [
        layer.name for layer in base.layers[1:]
    ]
    sequence = features.vgg_sequence(model)
    assert [step.tap for step in sequence if step.kind == "conv"] == taps
    assert [step.kind for step in sequence][:4] == [
        "preprocess",
        "conv",
        "conv",
        "max_pool",
    ]


def test_vgg_sequence_reads_the_description_by_name():
    model = features.vgg_feature_extractor(["relu2_1"], weights=None, pooling="avg")
    steps = features.vgg_sequence(model)
    assert [(s.kind, s.layer.name, s.tap) for s in steps] == [
        ("preprocess", "caffe_preprocessing", None),
        ("conv", "block1_conv1", "relu1_1"),
        ("conv", "block1_conv2", "relu1_2"),
        ("avg_pool", "block1_pool", None),
        ("conv", "block2_conv1", "relu2_1"),
    ]
    # A prefix common to both networks fits both; VGG19's block 3 does not.
    assert len(features.vgg_sequence(model, "vgg16")) == 5
    deep = features.vgg_feature_extractor(["relu4_1"], weights=None)
    assert features.vgg_sequence(deep)[-1].tap == "relu4_1"
    with pytest.raises(ValueError, match="Received: extractor with layers"):
        features.vgg_sequence(deep, "vgg16")
    inputs = keras.Input((8, 8, 3))
    other = keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))
    with pytest.raises(ValueError, match="vgg_feature_extractor"):
        features.vgg_sequence(other)


def test_check_layers():
    assert features.check_layers("relu4_2") == ("relu4_2",)
    assert features.check_layers(["relu1_1", "relu1_1"], "vgg16") == (
        "relu1_1",
        "relu1_1",
    )
    with pytest.raises(ValueError, match=r"Received: style_layers=\['relu5_4'\]"):
        features.check_layers(["relu5_4"], "vgg16", name="style_layers")
    with pytest.raises(TypeError, match="Received: content_layers=3"):
        features.check_layers(3, name="content_layers")

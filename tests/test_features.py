"""VGG feature taps: names, shapes, pooling, truncation, preprocessing."""

import keras
import numpy as np
import pytest

from keras_style import features


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
    assert list(out) == ["relu3_1", "relu1_2"]
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

"""Winograd F(2x2, 3x3) convolution of the Gatys VGG passes."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_style.optimize.winograd import winograd_conv3x3, winograd_kernel


@pytest.mark.parametrize("shape", [(1, 8, 8, 4), (2, 7, 10, 4), (1, 5, 3, 4)])
def test_matches_native_convolution(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    kernel = rng.normal(size=(3, 3, shape[-1], 6)).astype("float32")
    expected = ops.convert_to_numpy(ops.conv(x, kernel, padding="same"))
    got = ops.convert_to_numpy(winograd_conv3x3(x, winograd_kernel(kernel)))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="unknown sides: TensorFlow only"
)
def test_unknown_sides_under_tf_function():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(3, 3, 4, 5)).astype("float32")
    conv = tf.function(
        winograd_conv3x3,
        input_signature=[tf.TensorSpec((1, None, None, 4)), tf.TensorSpec((16, 4, 5))],
    )
    for shape in [(1, 6, 9, 4), (1, 11, 4, 4)]:
        x = rng.normal(size=shape).astype("float32")
        expected = tf.nn.conv2d(x, kernel, 1, "SAME").numpy()
        got = conv(x, winograd_kernel(kernel)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)

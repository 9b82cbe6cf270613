"""Winograd F(2x2, 3x3) convolution of the TensorFlow Gatys fast path."""

import numpy as np
import pytest
import tensorflow as tf

from keras_style.optimize.winograd import winograd_conv3x3, winograd_kernel


@pytest.mark.parametrize("shape", [(1, 8, 8, 4), (2, 7, 10, 4), (1, 5, 3, 4)])
def test_matches_tf_conv2d(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    kernel = rng.normal(size=(3, 3, shape[-1], 6)).astype("float32")
    expected = tf.nn.conv2d(x, kernel, 1, "SAME").numpy()
    got = winograd_conv3x3(tf.constant(x), winograd_kernel(kernel)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)

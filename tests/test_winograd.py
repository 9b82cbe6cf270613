"""Winograd F(2x2, 3x3) and F(4x4, 3x3) convolutions of the VGG passes."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_style.optimize.winograd import (
    flipped_kernel,
    jax_winograd_conv3x3_relu,
    winograd_conv3x3,
    winograd_kernel,
)


@pytest.mark.parametrize("output_tile", [2, 4])
@pytest.mark.parametrize(
    "shape", [(1, 8, 8, 4), (2, 7, 10, 4), (1, 5, 3, 4), (1, 13, 6, 4)]
)
def test_matches_native_convolution(shape, output_tile):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    kernel = rng.normal(size=(3, 3, shape[-1], 6)).astype("float32")
    expected = ops.convert_to_numpy(ops.conv(x, kernel, padding="same"))
    u = winograd_kernel(kernel, output_tile)
    assert tuple(u.shape) == ((output_tile + 2) ** 2, 4, 6)
    got = ops.convert_to_numpy(winograd_conv3x3(x, u))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="unknown sides: TensorFlow only"
)
@pytest.mark.parametrize("output_tile", [2, 4])
def test_unknown_sides_under_tf_function(output_tile):
    import tensorflow as tf

    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(3, 3, 4, 5)).astype("float32")
    tiles = (output_tile + 2) ** 2
    conv = tf.function(
        winograd_conv3x3,
        input_signature=[
            tf.TensorSpec((1, None, None, 4)),
            tf.TensorSpec((tiles, 4, 5)),
        ],
    )
    for shape in [(1, 6, 9, 4), (1, 11, 4, 4)]:
        x = rng.normal(size=shape).astype("float32")
        expected = tf.nn.conv2d(x, kernel, 1, "SAME").numpy()
        got = conv(x, winograd_kernel(kernel, output_tile)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_unknown_output_tile_is_refused():
    with pytest.raises(ValueError, match="Received: output_tile=3"):
        winograd_kernel(np.ones((3, 3, 2, 2), "float32"), 3)


def test_flipped_kernel_gives_the_input_gradient():
    # For a "same" 3x3 convolution, d<conv(x, k), g>/dx = conv(g, flipped(k)).
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 6, 7, 3))
    kernel = rng.normal(size=(3, 3, 3, 5))
    g = rng.normal(size=(1, 6, 7, 5))
    dx = ops.convert_to_numpy(ops.conv(g, flipped_kernel(kernel), padding="same"))
    # <conv(x, k), g> is linear in x: its gradient is read off unit vectors.
    expected = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[index] = 1
        expected[index] = np.sum(
            ops.convert_to_numpy(ops.conv(e, kernel, padding="same")) * g
        )
    np.testing.assert_allclose(dx, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="a JAX custom VJP")
def test_jax_conv_relu_gradient_matches_autodiff_of_the_native_convolution():
    import jax
    import jax.numpy as jnp

    conv_relu = jax_winograd_conv3x3_relu()
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(2, 9, 6, 4)).astype("float32"))
    kernel = rng.normal(size=(3, 3, 4, 6)).astype("float32")
    bias = jnp.asarray(rng.normal(size=6).astype("float32"))
    g = jnp.asarray(rng.normal(size=(2, 9, 6, 6)).astype("float32"))
    u, u_flipped = (winograd_kernel(k, 4) for k in (kernel, flipped_kernel(kernel)))

    def native(x):
        return jax.nn.relu(ops.conv(x, kernel, padding="same") + bias)

    y, pullback = jax.vjp(lambda x: conv_relu(x, bias, u, u_flipped), x)
    expected_y, expected_pullback = jax.vjp(native, x)
    np.testing.assert_allclose(y, expected_y, rtol=1e-4, atol=1e-4)
    (dx,) = pullback(g)
    np.testing.assert_allclose(dx, expected_pullback(g)[0], rtol=1e-4, atol=1e-3)
    assert float(jnp.abs(dx).max()) > 0

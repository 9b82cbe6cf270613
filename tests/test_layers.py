"""Layers of the feed-forward style network: numerics and serialization."""

import time

import keras
import numpy as np
import pytest
from testing import run_layer_serialization_test, to_numpy, unbuilt_layers

from keras_style.layers import (
    ConditionalInstanceNormalization,
    InstanceNormalization,
    PaddedConv2D,
    ReflectionPadding2D,
    ResidualBlock,
    UpsampleConv2D,
)

_np = to_numpy


def test_reflection_padding_matches_numpy(rng):
    x = rng.normal(size=(2, 5, 6, 3)).astype("float32")
    out = _np(ReflectionPadding2D(2)(x))
    np.testing.assert_allclose(
        out, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect")
    )


@pytest.mark.parametrize("padding", [-1, 1.5, True, "2"])
def test_reflection_padding_rejects_bad_padding(padding):
    with pytest.raises(ValueError, match="Received: padding="):
        ReflectionPadding2D(padding)


def _group_norm_like(norm, channels, rng):
    group = keras.layers.GroupNormalization(groups=-1, epsilon=norm.epsilon)
    group.build((None, None, None, channels))
    gamma = rng.normal(size=(channels,)).astype("float32")
    beta = rng.normal(size=(channels,)).astype("float32")
    norm.build((None, None, None, channels))
    norm.set_weights([gamma, beta])
    group.set_weights([gamma, beta])
    return group


def test_instance_norm_equals_group_norm_with_one_channel_per_group(rng):
    norm = InstanceNormalization(epsilon=1e-5)
    group = _group_norm_like(norm, 6, rng)
    x = rng.normal(3.0, 2.0, size=(2, 7, 9, 6)).astype("float32")
    np.testing.assert_allclose(_np(norm(x)), _np(group(x)), rtol=1e-4, atol=1e-4)
    # Normalised per image and channel: zero mean, unit variance before affine.
    plain = InstanceNormalization()
    y = _np(plain(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1, atol=1e-3)


def test_instance_norm_vs_group_norm_speed(rng, capsys):
    """Speed note: both on (4, 64, 64, 128); GroupNormalization reshapes into
    groups. Prints the timings (see the report in the PR); asserts equality."""
    norm = InstanceNormalization()
    group = _group_norm_like(norm, 128, rng)
    x = keras.ops.convert_to_tensor(rng.normal(size=(4, 64, 64, 128)).astype("float32"))
    times = {}
    for name, layer in (("instance_norm", norm), ("group_norm", group)):
        _np(layer(x))
        start = time.perf_counter()
        for _ in range(5):
            out = _np(layer(x))
        times[name] = (time.perf_counter() - start) / 5
        times[name + "_out"] = out
    np.testing.assert_allclose(
        times["instance_norm_out"], times["group_norm_out"], rtol=1e-3, atol=1e-3
    )
    with capsys.disabled():
        print(
            f"\n[{keras.backend.backend()}] eager (4,64,64,128): InstanceNormalization "
            f"{times['instance_norm'] * 1e3:.1f} ms, GroupNormalization(groups=-1) "
            f"{times['group_norm'] * 1e3:.1f} ms"
        )


def test_instance_norm_keeps_float32_statistics_under_mixed_precision(rng):
    norm = InstanceNormalization(dtype="mixed_bfloat16")
    x = rng.normal(1000.0, 1.0, size=(1, 8, 8, 4)).astype("float32")
    y = _np(keras.ops.cast(norm(x), "float32"))
    assert np.isfinite(y).all()
    assert abs(y.mean()) < 0.1


def test_padded_conv_shapes_and_padding_modes(rng):
    x = rng.normal(size=(1, 9, 11, 3)).astype("float32")
    for padding in ("reflect", "zero"):
        layer = PaddedConv2D(4, 3, strides=2, padding=padding)
        y = layer(x)
        assert tuple(y.shape) == (1, 5, 6, 4)
        assert layer.compute_output_shape((1, 9, 11, 3)) == (1, 5, 6, 4)
    with pytest.raises(ValueError, match="Received: padding="):
        PaddedConv2D(4, 3, padding="same")


@pytest.mark.parametrize("mode", ["nearest", "transpose"])
def test_upsample_conv_doubles_size(mode, rng):
    x = rng.normal(size=(2, 5, 7, 4)).astype("float32")
    layer = UpsampleConv2D(3, mode=mode)
    y = layer(x)
    assert tuple(y.shape) == (2, 10, 14, 3)
    # The sub-pixel path never calls the upsampling layer; it is built all
    # the same (see unbuilt_layers).
    assert unbuilt_layers(layer) == []
    with pytest.raises(ValueError, match="Received: mode="):
        UpsampleConv2D(3, mode="bilinear")


def test_residual_block_checks_channels(rng):
    block = ResidualBlock(4)
    x = rng.normal(size=(1, 6, 6, 4)).astype("float32")
    assert tuple(block(x).shape) == x.shape
    with pytest.raises(ValueError, match="Received: input_shape="):
        ResidualBlock(8).build((1, 6, 6, 4))


LAYERS = [
    lambda: ReflectionPadding2D(3),
    lambda: InstanceNormalization(epsilon=1e-3),
    lambda: PaddedConv2D(5, 3, strides=2, padding="zero", use_bias=False),
    lambda: UpsampleConv2D(5, mode="nearest", padding="reflect"),
    lambda: UpsampleConv2D(5, mode="transpose", use_bias=False),
    lambda: ResidualBlock(4, padding="zero", epsilon=1e-3),
]


@pytest.mark.parametrize("make", LAYERS, ids=lambda f: f().__class__.__name__)
def test_layer_serialization_round_trip(make, rng, tmp_path):
    x = rng.normal(size=(1, 8, 10, 4)).astype("float32")
    run_layer_serialization_test(make, x, tmp_path)


@pytest.mark.parametrize("padding", ["reflect", "zero"])
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_upsample_conv_fast_path_equals_upsample_then_conv(padding, policy, rng):
    layer = UpsampleConv2D(5, padding=padding, dtype=policy)
    x = rng.normal(size=(2, 6, 9, 4)).astype("float32")
    layer.build(x.shape)
    fast = _np(keras.ops.cast(layer._subpixel_call(x), "float32"))
    naive = _np(keras.ops.cast(layer.conv(layer.upsample(x)), "float32"))
    tol = 1e-4 if policy == "float32" else 5e-2
    np.testing.assert_allclose(fast, naive, rtol=tol, atol=tol)
    # The layer takes the fast path in float32 and the plain one in bfloat16
    # (faster there).
    used = _np(keras.ops.cast(layer(x), "float32"))
    np.testing.assert_array_equal(used, fast if policy == "float32" else naive)


# --- the TensorFlow backend's single-image forms (tensorflow_single_image) ----


@pytest.mark.parametrize("padding", [1, 4])
def test_single_image_reflection_padding_matches_numpy(padding, rng):
    """One image takes the concatenation form on TensorFlow; a batch, the
    pad op. Both are numpy's reflect pad."""
    pad = ReflectionPadding2D(padding)
    batch = rng.normal(size=(2, 7, 9, 3)).astype("float32")
    for x in (batch[:1], batch):
        p = [(0, 0), (padding, padding), (padding, padding), (0, 0)]
        np.testing.assert_array_equal(_np(pad(x)), np.pad(x, p, mode="reflect"))


def test_single_image_norms_equal_the_batch_form(rng):
    """Each image alone (the fused form on TensorFlow) is normalised as in a
    batch of two (the generic form)."""
    x = rng.normal(3.0, 2.0, size=(2, 7, 9, 6)).astype("float32")
    norm = InstanceNormalization()
    norm.build(x.shape)
    norm.set_weights([rng.normal(size=6), rng.normal(size=6)])
    conditional = ConditionalInstanceNormalization()
    scale = rng.normal(size=(1, 6)).astype("float32")
    shift = rng.normal(size=(1, 6)).astype("float32")
    for call in (norm, lambda v: conditional(v, scale, shift)):
        both = _np(call(x))
        for i in range(2):
            np.testing.assert_allclose(_np(call(x[i : i + 1]))[0], both[i], atol=2e-5)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TensorFlow's graph only"
)
def test_tensorflow_single_image_graph_takes_the_fused_ops(rng):
    """With a batch of one known when traced (a photo, `predict_on_batch`),
    the graph holds a fused batch norm and no `MirrorPad`; with a batch size
    unknown (exports), the generic ops. Gradients agree (training on one
    image takes the fused form too)."""
    import tensorflow as tf

    block = ResidualBlock(6)
    block.build((None, None, None, 6))

    def ops_of(batch):
        spec = tf.TensorSpec((batch, None, None, 6), tf.float32)
        graph = tf.function(block).get_concrete_function(spec).graph
        return {op.type for op in graph.get_operations()}

    single, batch = ops_of(1), ops_of(None)
    assert "FusedBatchNormV3" in single and "MirrorPad" not in single
    assert "FusedBatchNormV3" not in batch and "MirrorPad" in batch

    x = tf.constant(rng.normal(size=(2, 8, 10, 6)).astype("float32"))

    def gradients(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(block(inputs) ** 2)
        return tape.gradient(loss, [inputs, *block.trainable_variables])

    both = gradients(x)
    alone = [gradients(x[i : i + 1]) for i in range(2)]
    np.testing.assert_allclose(
        np.concatenate([g[0].numpy() for g in alone]), both[0].numpy(), atol=1e-4
    )
    for k in range(1, len(both)):
        summed = sum(g[k].numpy() for g in alone)
        np.testing.assert_allclose(summed, both[k].numpy(), rtol=1e-4, atol=1e-3)


def test_reflection_padding_of_a_side_too_small_as_for_a_batch(rng):
    """Mirroring 4 pixels of a side of 4: one image behaves as a batch does
    on each backend (TensorFlow raises; JAX reflects again, as numpy), and
    the single-image form never slices past the border silently."""
    x = rng.normal(size=(2, 4, 9, 3)).astype("float32")
    pad = ReflectionPadding2D(4)
    try:
        both = _np(pad(x))
    except Exception as error:  # each backend's own error
        with pytest.raises(type(error)):
            _np(pad(x[:1]))
    else:
        np.testing.assert_array_equal(_np(pad(x[:1])), both[:1])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's form only")
@pytest.mark.parametrize("scale_shape", [(6,), (1, 1, 1, 6), (2, 1, 1, 6)])
def test_jax_instance_norm_matches_the_generic_form_and_its_gradient(scale_shape, rng):
    """The matmul sums and the hand-written gradient give the generic
    `keras.ops` form's values and gradients for `x`, `scale` and `shift`, for
    a per-channel scale (InstanceNormalization) and per-image ones (the
    conditional norm)."""
    import jax
    import jax.numpy as jnp

    from keras_style.layers import jax_instance_norm

    def generic(x, scale, shift):
        mean = jnp.mean(x, axis=(1, 2), keepdims=True)
        variance = jnp.mean(jnp.square(x - mean), axis=(1, 2), keepdims=True)
        return (x - mean) * jax.lax.rsqrt(variance + 1e-5) * scale + shift

    def fast(x, scale, shift):
        return jax_instance_norm.instance_norm(x, scale, shift, 1e-5)

    x = jnp.asarray(rng.normal(3.0, 2.0, size=(2, 7, 9, 6)).astype("float32"))
    scale = jnp.asarray(rng.normal(size=scale_shape).astype("float32"))
    shift = jnp.asarray(rng.normal(size=scale_shape).astype("float32"))
    weights = jnp.asarray(rng.normal(size=(2, 7, 9, 6)).astype("float32"))
    np.testing.assert_allclose(
        fast(x, scale, shift), generic(x, scale, shift), atol=1e-5
    )

    def gradients(norm):
        loss = lambda *a: jnp.sum(jnp.tanh(norm(*a)) * weights)  # noqa: E731
        return jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(x, scale, shift)

    for got, want in zip(gradients(fast), gradients(generic)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_jax_instance_norm_is_none_elsewhere():
    from keras_style.layers import jax_instance_norm

    x = np.ones((1, 4, 4, 2), "float32")
    y = jax_instance_norm.instance_norm(
        x, np.ones(2, "float32"), np.zeros(2, "float32"), 1e-5
    )
    assert (y is None) == (keras.backend.backend() != "jax")

"""Losses against numpy references computed here."""

import keras
import numpy as np
import pytest

from keras_style.losses import perceptual as losses


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _gram_ref(f):
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c).astype(np.float64)
    return np.einsum("bnc,bnd->bcd", flat, flat) / (c * h * w)


def test_gram_matrix_matches_numpy(rng):
    f = rng.normal(size=(2, 5, 7, 4)).astype("float32")
    np.testing.assert_allclose(
        _np(losses.gram_matrix(f)), _gram_ref(f), rtol=1e-5, atol=1e-6
    )
    # Unbatched input gives an unbatched Gram matrix.
    np.testing.assert_allclose(
        _np(losses.gram_matrix(f[0])), _gram_ref(f[:1])[0], rtol=1e-5, atol=1e-6
    )


def test_gram_matrix_is_resolution_independent_for_tiled_features():
    f = np.arange(2 * 3 * 3, dtype="float32").reshape(1, 2, 3, 3)
    tiled = np.tile(f, (1, 2, 2, 1))
    np.testing.assert_allclose(
        _np(losses.gram_matrix(f)), _np(losses.gram_matrix(tiled)), rtol=1e-5
    )


def test_content_and_tv_losses_match_numpy(rng):
    a = rng.normal(size=(2, 4, 6, 3)).astype("float32")
    b = rng.normal(size=(2, 4, 6, 3)).astype("float32")
    np.testing.assert_allclose(
        float(losses.content_loss(a, b)), np.mean((a - b) ** 2), rtol=1e-5
    )
    tv_ref = np.mean(np.diff(a, axis=1) ** 2) + np.mean(np.diff(a, axis=2) ** 2)
    np.testing.assert_allclose(float(losses.total_variation_loss(a)), tv_ref, rtol=1e-5)
    assert (
        float(losses.total_variation_loss(np.full((1, 5, 5, 3), 7.0, "float32"))) == 0.0
    )


def test_style_loss_with_layer_weights(rng):
    feats = {
        k: rng.normal(size=(1, 6, 6, c)).astype("float32")
        for k, c in (("a", 3), ("b", 5))
    }
    targets = {
        k: _gram_ref(rng.normal(size=v.shape)).astype("float32")
        for k, v in feats.items()
    }
    ref = sum(
        w * np.mean((_gram_ref(feats[k]) - targets[k]) ** 2)
        for k, w in (("a", 2.0), ("b", 0.5))
    )
    got = float(losses.style_loss(feats, targets, {"a": 2.0, "b": 0.5}))
    np.testing.assert_allclose(got, ref, rtol=1e-4)


def test_perceptual_loss_total_is_weighted_sum(rng):
    loss = losses.PerceptualLoss(
        content_layers=["a"],
        style_layers=["a", "b"],
        content_weight=2.0,
        style_weight=10.0,
        tv_weight=3.0,
        style_layer_weights=[1.0, 0.25],
    )
    feats = {
        k: rng.normal(size=(2, 6, 6, c)).astype("float32")
        for k, c in (("a", 3), ("b", 5))
    }
    content = {k: rng.normal(size=v.shape).astype("float32") for k, v in feats.items()}
    style = {
        k: rng.normal(size=(1,) + v.shape[1:]).astype("float32")
        for k, v in feats.items()
    }
    images = rng.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
    grams = loss.style_targets(style)
    total, parts = loss(feats, content, grams, images=images)
    ref_c = np.mean((feats["a"] - content["a"]) ** 2)
    ref_s = sum(
        w * np.mean((_gram_ref(feats[k]) - _gram_ref(style[k])) ** 2)
        for k, w in (("a", 1.0), ("b", 0.25))
    )
    ref_tv = np.mean(np.diff(images, axis=1) ** 2) + np.mean(
        np.diff(images, axis=2) ** 2
    )
    np.testing.assert_allclose(float(parts["content"]), ref_c, rtol=1e-4)
    np.testing.assert_allclose(float(parts["style"]), ref_s, rtol=1e-4)
    np.testing.assert_allclose(float(parts["tv"]), ref_tv, rtol=1e-4)
    np.testing.assert_allclose(
        float(total), 2 * ref_c + 10 * ref_s + 3 * ref_tv, rtol=1e-4
    )
    assert (
        losses.PerceptualLoss.from_config(loss.get_config()).get_config()
        == loss.get_config()
    )


def test_style_targets_blend_weights(rng):
    loss = losses.PerceptualLoss(content_layers=["a"], style_layers=["a"])
    two = {"a": rng.normal(size=(2, 4, 4, 3)).astype("float32")}
    g = _gram_ref(two["a"])
    np.testing.assert_allclose(
        _np(loss.style_targets(two, [1, 0])["a"])[0], g[0], rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        _np(loss.style_targets(two, [1, 3])["a"])[0],
        0.25 * g[0] + 0.75 * g[1],
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"content_weight": -1}, "Received: content_weight=-1"),
        ({"style_weight": "lots"}, "Received: style_weight='lots'"),
        (
            {"style_layers": ["a"], "style_layer_weights": [1, 2]},
            "one weight per style layer",
        ),
        (
            {"style_layers": ["a"], "style_layer_weights": {"zz": 1}},
            "Received: style_layer_weights",
        ),
        ({"content_layers": []}, "Received: content_layers=()"),
    ],
)
def test_perceptual_loss_rejects_bad_arguments(kwargs, message):
    with pytest.raises(
        (ValueError, TypeError),
        match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\["),
    ):
        losses.PerceptualLoss(**kwargs)


def test_gram_matrix_is_symmetric_positive_semidefinite(rng):
    g = _np(losses.gram_matrix(rng.normal(size=(1, 6, 6, 8)).astype("float32")))[0]
    np.testing.assert_allclose(g, g.T, rtol=1e-6, atol=1e-7)
    assert np.linalg.eigvalsh(g.astype(np.float64)).min() > -1e-6


def test_style_loss_is_zero_at_target_and_skips_zero_weights(rng):
    f = {"a": rng.normal(size=(1, 5, 5, 4)).astype("float32")}
    target = {"a": losses.gram_matrix(f["a"])}
    assert float(losses.style_loss(f, target)) == pytest.approx(0.0, abs=1e-10)
    far = {"a": target["a"] + 1.0}
    assert float(losses.style_loss(f, far)) == pytest.approx(1.0, rel=1e-5)
    assert float(losses.style_loss(f, far, {"a": 0.0})) == 0.0


def test_perceptual_loss_partial_dict_weights_and_no_images(rng):
    loss = losses.PerceptualLoss(
        ["a"], ["a", "b"], style_layer_weights={"b": 2.0}, tv_weight=5.0
    )
    assert loss.style_layer_weights == {"a": 0.0, "b": 2.0}
    assert loss.layers == ("a", "b")
    feats = {k: rng.normal(size=(1, 4, 4, 3)).astype("float32") for k in "ab"}
    grams = {k: np.zeros((1, 3, 3), "float32") for k in "ab"}
    total, parts = loss(feats, feats, grams)  # no images: no TV term
    assert float(parts["tv"]) == 0.0 and float(parts["content"]) == 0.0
    ref = 2.0 * np.mean(_gram_ref(feats["b"]) ** 2)
    np.testing.assert_allclose(float(total), 1e3 * ref, rtol=1e-4)


def test_style_targets_average_a_batch_by_default(rng):
    loss = losses.PerceptualLoss(content_layers=["a"], style_layers=["a"])
    three = {"a": rng.normal(size=(3, 4, 4, 2)).astype("float32")}
    got = _np(loss.style_targets(three)["a"])
    assert got.shape == (1, 2, 2)
    np.testing.assert_allclose(got[0], _gram_ref(three["a"]).mean(0), rtol=1e-5)


def _grad(fn, x):
    """d fn(x) / dx on the current backend, as numpy."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return tape.gradient(y, x).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(x))
    import torch

    x = torch.tensor(x, requires_grad=True)
    fn(x).backward()
    return x.grad.numpy()


def test_gram_matrix_gradient_matches_finite_differences(rng):
    # gram_matrix has a hand-written gradient (one matmul instead of two).
    f = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    target = rng.normal(size=(2, 5, 5))

    def loss64(x):
        return np.mean((_gram_ref(x) - target) ** 2)

    target32 = keras.ops.convert_to_tensor(target.astype("float32"))
    got = _grad(
        lambda x: keras.ops.mean(keras.ops.square(losses.gram_matrix(x) - target32)),
        f,
    )
    numeric = np.zeros(f.shape)
    for index in np.ndindex(f.shape):
        e = np.zeros(f.shape)
        e[index] = 1e-4
        numeric[index] = (loss64(f + e) - loss64(f - e)) / 2e-4
    np.testing.assert_allclose(
        got, numeric, rtol=1e-4, atol=1e-4 * np.abs(numeric).max()
    )


def test_gram_matrix_of_symbolic_tensors():
    assert losses.gram_matrix(keras.Input((None, None, 8))).shape == (None, 8, 8)
    assert losses.gram_matrix(keras.KerasTensor((5, 6, 8))).shape == (8, 8)

"""Colour helpers: YIQ, luminance transfer, colour and luminance matching."""

import numpy as np
import pytest

from keras_style.utils import colors


def test_yiq_round_trip_and_luminance_transfer(rng):
    # Mid-range colours, so no channel is clipped after the luma swap.
    a = rng.uniform(100, 150, (8, 8, 3)).astype("float32")
    np.testing.assert_allclose(colors.yiq_to_rgb(colors.rgb_to_yiq(a)), a, atol=1e-3)
    mixed = colors.rgb_to_yiq(colors.transfer_luminance(a, np.full_like(a, 128.0)))
    np.testing.assert_allclose(mixed[..., 0], 128.0, atol=1e-3)
    np.testing.assert_allclose(mixed[..., 1:], colors.rgb_to_yiq(a)[..., 1:], atol=1e-3)
    flat = np.full((4, 4, 3), 100.0, "float32")
    out = colors.transfer_luminance(flat, np.full_like(flat, 150.0))
    np.testing.assert_allclose(out, 150.0, atol=1e-3)  # gray stays gray, new luma


def test_match_color_histogram_matches_mean_and_covariance(rng):
    src = rng.normal(100, 20, (64, 64, 3)).clip(0, 255).astype("float32")
    ref = (
        rng.normal(0, 1, (64, 64, 3)) @ np.array([[30, 5, 0], [0, 10, 2], [0, 0, 15]])
        + 120
    ).clip(0, 255)
    out = colors.match_color_histogram(src, ref).reshape(-1, 3)
    np.testing.assert_allclose(out.mean(0), ref.reshape(-1, 3).mean(0), atol=1.0)
    np.testing.assert_allclose(
        np.cov(out, rowvar=False),
        np.cov(ref.reshape(-1, 3), rowvar=False),
        rtol=0.05,
        atol=3,
    )


def test_match_luminance_statistics(rng):
    src = rng.uniform(0, 100, (16, 16)).astype("float32")
    ref = rng.normal(150, 30, (8, 8)).astype("float32")
    out = colors.match_luminance_statistics(src, ref)
    assert out.mean() == pytest.approx(ref.mean(), abs=1e-3)
    assert out.std() == pytest.approx(ref.std(), rel=1e-3)
    # Order is kept: it is an increasing affine map.
    assert np.array_equal(np.argsort(out, axis=None), np.argsort(src, axis=None))


def test_colour_helpers_are_still_importable_from_image():
    from keras_style import image

    for name in (
        "rgb_to_yiq",
        "yiq_to_rgb",
        "luminance",
        "transfer_luminance",
        "match_luminance_statistics",
        "match_color_histogram",
    ):
        assert getattr(image, name) is getattr(colors, name)


def test_gray_image_is_gray_rgb_in_range():
    out = colors.gray_image(np.array([[-5.0, 100.0], [300.0, 7.5]]))
    assert out.shape == (2, 2, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 0], [[0, 100], [255, 7.5]])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])

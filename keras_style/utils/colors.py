"""Colour helpers: YIQ conversion, luminance transfer, colour matching.

Used to keep a photo's colours after stylization and to give a style image
the content photo's palette (Gatys et al. 2017, "Controlling Perceptual
Factors in Neural Style Transfer"). Arrays are RGB with the channel last.
"""

import numpy as np

# ITU-R BT.601 YIQ, the space Gatys et al. (2017) use for luminance-only transfer.
_RGB_TO_YIQ = np.array(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ],
    dtype=np.float32,
)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ).astype(np.float32)


def rgb_to_yiq(image):
    """RGB (any scale) to YIQ on the same scale; the last axis is the channel."""
    return np.asarray(image, np.float32) @ _RGB_TO_YIQ.T


def yiq_to_rgb(image):
    """Inverse of `rgb_to_yiq`."""
    return np.asarray(image, np.float32) @ _YIQ_TO_RGB.T


def luminance(image):
    """The Y (luma) channel of an RGB image, same scale as the input."""
    return rgb_to_yiq(image)[..., 0]


def gray_image(luma):
    """A luma channel `(H, W)` as a gray RGB float32 image in 0..255."""
    return np.repeat(np.clip(luma, 0, 255)[..., None], 3, axis=-1).astype(np.float32)


def transfer_luminance(color_source, luminance_source):
    """Combines the luminance of one image with the colours (I, Q) of another.

    Used to keep a photo's colours after stylization (Gatys et al. 2017,
    "Controlling Perceptual Factors in Neural Style Transfer").

    Args:
        color_source: RGB array whose chroma is kept (e.g. the content photo).
        luminance_source: RGB array of the same height/width whose luminance is
            kept (e.g. the stylized result).

    Returns:
        A float32 RGB array in 0..255.
    """
    yiq = rgb_to_yiq(color_source)
    yiq[..., 0] = luminance(luminance_source)
    return np.clip(yiq_to_rgb(yiq), 0, 255)


def match_luminance_statistics(source_luma, reference_luma):
    """Shifts/scales `source_luma` to the mean and std of `reference_luma`."""
    s_mean, s_std = source_luma.mean(), source_luma.std() + 1e-6
    r_mean, r_std = reference_luma.mean(), reference_luma.std()
    return (source_luma - s_mean) * (r_std / s_std) + r_mean


def match_color_histogram(source, reference):
    """Recolours `source` so its colour mean and covariance match `reference`.

    The linear "colour histogram matching" of Gatys et al. (2017): an affine
    map `x -> A x + b` with `A = C_r^(1/2) C_s^(-1/2)` (symmetric square roots).
    Used to give the style image the content photo's palette before transfer.

    Args:
        source: RGB float array (H, W, 3) in 0..255 to recolour (the style).
        reference: RGB float array with the target palette (the content).

    Returns:
        The recoloured `source`, float32 in 0..255.
    """

    def stats(x):
        flat = np.asarray(x, np.float64).reshape(-1, 3)
        return flat.mean(0), np.cov(flat, rowvar=False) + np.eye(3) * 1e-5

    def sqrtm(c, inverse=False):
        vals, vecs = np.linalg.eigh(c)
        vals = np.clip(vals, 1e-8, None)
        power = -0.5 if inverse else 0.5
        return (vecs * vals**power) @ vecs.T

    mu_s, cov_s = stats(source)
    mu_r, cov_r = stats(reference)
    transform = sqrtm(cov_r) @ sqrtm(cov_s, inverse=True)
    flat = np.asarray(source, np.float64).reshape(-1, 3)
    out = (flat - mu_s) @ transform.T + mu_r
    return np.clip(out, 0, 255).reshape(np.shape(source)).astype(np.float32)

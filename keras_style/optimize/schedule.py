"""The coarse-to-fine schedule of a Gatys run: one output size per scale.

Gatys et al. (CVPR 2017) optimize at increasing sizes, each scale starting
from the upsampled result of the previous one. Here: the sizes and iteration
counts per scale, the size checks made before anything is allocated, and the
content and style images resized for one scale.
"""

import numpy as np

from keras_style import defaults
from keras_style import image as image_lib
from keras_style.utils.checks import check_positive_int

DEFAULT_SIZE = defaults.GATYS_SIZE


def resolve_stages(size, scales):
    """The output's longest side at each scale (the last is the output's)."""
    if scales is None:
        return [DEFAULT_SIZE if size is None else check_positive_int(size, "size")]
    if isinstance(scales, (int, np.integer)) and not isinstance(scales, bool):
        scales = [scales]
    try:
        scales = list(scales)
    except TypeError:
        raise TypeError(
            f"`scales` must be a sequence of sizes. Received: scales={scales!r}"
        ) from None
    if not scales:
        raise ValueError(
            f"`scales` must hold at least one size. Received: scales={scales}"
        )
    for s in scales:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0:
            raise ValueError(
                f"`scales` must be positive integers. Received: scales={scales}"
            )
    if size is not None and check_positive_int(size, "size") != scales[-1]:
        raise ValueError(
            "`size` must equal the last of `scales` (the output size) or be left "
            f"unset. Received: size={size}, scales={scales}"
        )
    return [int(s) for s in scales]


def resolve_iterations(iterations, count):
    """One iteration count per scale, from an int or a sequence of `count`."""
    if isinstance(iterations, (list, tuple)):
        if len(iterations) != count:
            raise ValueError(
                f"`iterations` needs one count per scale ({count}). "
                f"Received: iterations={list(iterations)}"
            )
        return [check_positive_int(i, "iterations") for i in iterations]
    return [check_positive_int(iterations, "iterations")] * count


def check_sizes(content, styles, stages, *, style_scale, max_pixels, deepest, received):
    """Clear errors, before any allocation, for images too small to reach the
    deepest VGG tap or too large for `max_pixels`.

    Args:
        content: the content image.
        styles: the style images.
        stages: the output's longest side per scale.
        style_scale: the style's longest side relative to the output's.
        max_pixels: the most pixels of an output or resized style image.
        deepest: `(tap, downsampling)` of the deepest VGG tap: its name and
            how many pixels per side one of its cells covers.
        received: how the user asked for `stages` (`"size=..."`), for
            the messages.
    """
    tap, minimum = deepest
    for side in stages:
        shape = image_lib.scaled_size(*content.shape[:2], side)
        _check_pixels(shape, max_pixels, "The output", received)
        if min(shape) < minimum:
            raise ValueError(
                f"The output is too small for VGG layer {tap}, which needs at "
                f"least {minimum} px per side; a {side} px output of this "
                f"content is {shape[1]}x{shape[0]}. Received: {received}"
            )
        for style in styles:
            shape = image_lib.scaled_size(
                *style.shape[:2], _style_side(side, style_scale)
            )
            _check_pixels(
                shape, max_pixels, "A style image", f"style_scale={style_scale}"
            )
            if min(shape) < minimum:
                raise ValueError(
                    f"A style image is too small for VGG layer {tap} ({minimum} "
                    f"px per side needed, got {shape[1]}x{shape[0]} at output "
                    f"size {side}). Received: style_scale={style_scale}"
                )


def stage_images(content, styles, side, style_scale):
    """`content` with longest side `side` and `styles` scaled by `style_scale`."""
    height, width = image_lib.scaled_size(*content.shape[:2], side)
    style_side = _style_side(side, style_scale)
    return image_lib.resize(content, height, width), [
        image_lib.resize_longest_side(s, style_side, name="style_scale") for s in styles
    ]


def _style_side(side, style_scale):
    return max(1, round(side * style_scale))


def _check_pixels(shape, max_pixels, what, received):
    pixels = shape[0] * shape[1]
    if pixels > max_pixels:
        raise ValueError(
            f"{what} would be {shape[1]}x{shape[0]} = {pixels:,} pixels, over the "
            f"limit of {max_pixels:,} (VGG19 needs ~3 kB per pixel); lower it, or "
            f"raise `max_pixels` (--max-pixels). Received: {received}"
        )

"""Where a Gatys run starts: colour-controlled images and the initial image.

Colour control (Gatys et al., CVPR 2017) is applied once, at full
resolution, before the coarse-to-fine schedule resizes the images; the
initial image of the first scale is the content, noise, the style or an
image the user gives.
"""

import os
import pathlib

import numpy as np

from keras_style import image as image_lib
from keras_style.utils import colors

INITS = ("content", "noise", "style")


def control_colors(content, styles, *, preserve_colors, color_transfer):
    """`(content, styles)` as the optimization sees them.

    `color_transfer="histogram"` recolours the styles to the content's palette.
    `preserve_colors` is luminance-only transfer (section 5.1 of the paper): a
    grey image is optimized against grey content and grey styles whose
    luminance has the content's mean and spread; the content's chroma is put
    back at the end (YIQ, `progress.Monitor.display`).
    """
    if color_transfer == "histogram":
        styles = [colors.match_color_histogram(s, content) for s in styles]
    if not preserve_colors:
        return content, styles
    content_y = colors.luminance(content)
    return colors.gray_image(content_y), [
        colors.gray_image(
            colors.match_luminance_statistics(colors.luminance(s), content_y)
        )
        for s in styles
    ]


def resolve_init(init):
    """A mode name from INITS, or the loaded initial image."""
    if isinstance(init, str) and init.lower() in INITS:
        return init.lower()
    if isinstance(init, (str, os.PathLike)) and not pathlib.Path(init).exists():
        raise ValueError(
            f"`init` must be one of {list(INITS)}, an image or the path of one. "
            f"Received: init={str(init)!r}"
        )
    return image_lib.load_image(init, name="init")


def initial_image(init, content, styles, gray, rng):
    """The first scale's starting image, float32 `(1, H, W, 3)` in 0..255.

    Args:
        init: what `resolve_init` returned.
        content: the first scale's content image (sets the size).
        styles: the first scale's style images (`init="style"` uses the first).
        gray: whether the run is luminance-only (the image is made grey).
        rng: the numpy generator of the noise initialisation.
    """
    height, width = content.shape[:2]
    if isinstance(init, np.ndarray) or init == "style":
        image = init if isinstance(init, np.ndarray) else styles[0]
        image = image_lib.resize(image, height, width)
        if gray:
            image = colors.gray_image(colors.luminance(image))
    elif init == "content":
        image = content
    elif gray:  # white noise, as in the paper
        image = np.repeat(rng.uniform(0, 255, (height, width, 1)), 3, -1)
    else:
        image = rng.uniform(0, 255, (height, width, 3))
    return np.clip(np.asarray(image, np.float32), 0, 255)[None]

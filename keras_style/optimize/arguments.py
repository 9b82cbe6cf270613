"""Checks and normalisation of `GatysStyleTransfer` arguments.

Each raises a clear error naming the argument and the value received.
"""

import math
import os
import pathlib

import keras
import numpy as np

from keras_style import colors, defaults
from keras_style import image as image_lib

OPTIMIZERS = ("lbfgs", "lbfgs-b", "adam")
INITS = ("content", "noise", "style")
COLOR_TRANSFERS = ("none", "histogram")
DEFAULT_SIZE = defaults.GATYS_SIZE


def load_styles(style):
    if isinstance(style, (list, tuple)):
        if not style:
            raise ValueError("`style` needs at least one image. Received: style=[]")
        return [
            image_lib.load_image(s, name=f"style[{i}]") for i, s in enumerate(style)
        ]
    return [image_lib.load_image(style, name="style")]


def check_blend_weights(weights, count):
    if weights is None:
        return [1.0 / count] * count
    try:
        values = [float(w) for w in weights]
    except (TypeError, ValueError):
        raise TypeError(
            "`style_blend_weights` must be a sequence of numbers. "
            f"Received: style_blend_weights={weights!r}"
        ) from None
    if len(values) != count:
        raise ValueError(
            f"`style_blend_weights` needs one weight per style image ({count}). "
            f"Received: style_blend_weights={list(weights)}"
        )
    if not all(math.isfinite(v) and v >= 0 for v in values) or sum(values) <= 0:
        raise ValueError(
            "`style_blend_weights` must be finite, >= 0 and not all 0. "
            f"Received: style_blend_weights={list(weights)}"
        )
    return [v / sum(values) for v in values]


def resolve_stages(size, scales):
    if scales is None:
        return [
            DEFAULT_SIZE if size is None else image_lib.check_positive_int(size, "size")
        ]
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
    if size is not None and image_lib.check_positive_int(size, "size") != scales[-1]:
        raise ValueError(
            "`size` must equal the last of `scales` (the output size) or be left "
            f"unset. Received: size={size}, scales={scales}"
        )
    return [int(s) for s in scales]


def resolve_iterations(iterations, count):
    if isinstance(iterations, (list, tuple)):
        if len(iterations) != count:
            raise ValueError(
                f"`iterations` needs one count per scale ({count}). "
                f"Received: iterations={list(iterations)}"
            )
        return [image_lib.check_positive_int(i, "iterations") for i in iterations]
    return [image_lib.check_positive_int(iterations, "iterations")] * count


def check_optimizer(optimizer):
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    key = str(optimizer).lower().replace("-", "").replace("_", "")
    names = {"lbfgs": "lbfgs", "lbfgsb": "lbfgs-b", "adam": "adam"}
    if key in names:
        return names[key]
    raise ValueError(
        "`optimizer` must be 'lbfgs', 'lbfgs-b', 'adam' or a "
        "keras.optimizers.Optimizer. "
        f"Received: optimizer={optimizer!r}"
    )


def check_positive_float(value, name):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        ) from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return number


def check_color_transfer(value):
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        return None
    if isinstance(value, str) and value.lower() == "histogram":
        return "histogram"
    raise ValueError(
        f"`color_transfer` must be None, 'none' or 'histogram'. "
        f"Received: color_transfer={value!r}"
    )


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
    height, width = content.shape[:2]
    if isinstance(init, np.ndarray):
        image = image_lib.resize(init, height, width)
    elif init == "content":
        return content
    elif init == "style":
        image = image_lib.resize(styles[0], height, width)
    else:  # white noise, as in the paper
        if gray:
            return np.repeat(rng.uniform(0, 255, (height, width, 1)), 3, -1)
        return rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    return colors.gray_image(colors.luminance(image)) if gray else image

"""Checks and normalisation of `GatysStyleTransfer` arguments.

Each raises a clear error naming the argument and the value received.
"""

import math

import keras

from keras_style import image as image_lib

OPTIMIZERS = ("lbfgs", "lbfgs-b", "adam")
COLOR_TRANSFERS = ("none", "histogram")


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


def check_color_transfer(value, preserve_colors=False):
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        return None
    if isinstance(value, str) and value.lower() == "histogram":
        if preserve_colors:
            raise ValueError(
                "`preserve_colors=True` (luminance-only transfer) and "
                "`color_transfer='histogram'` are alternative ways to keep the "
                "content's colours; pick one. Received: preserve_colors=True, "
                "color_transfer='histogram'"
            )
        return "histogram"
    raise ValueError(
        f"`color_transfer` must be None, 'none' or 'histogram'. "
        f"Received: color_transfer={value!r}"
    )

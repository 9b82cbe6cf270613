"""`MultiStyleStylizer`: the 26 styles of one network (Dumoulin et al. 2017).

A style is an index, a blend (`{3: 0.5, 12: 0.5}`, `"3=0.5,12=0.5"`) or a
full weights vector; it becomes the network's style-weights row once and
drives it over tiles, batches, folders and video (`ConditionedStylizer`).
"""

import numbers

import numpy as np

from keras_style.inference.conditioned_stylizer import ConditionedStylizer
from keras_style.models.multi_style import MultiStyleNet
from keras_style.utils.checks import check_float


def _index(value, count, name):
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValueError(
                f"`{name}` must name styles by index (0 to {count - 1}). "
                f"Received: {name}={value!r}"
            )
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Style indices must be integers. Received: {name}={value!r}")
    if not 0 <= value < count:
        raise ValueError(
            f"Style index out of range: this network has {count} styles (0 to "
            f"{count - 1}). Received: {name}={value!r}"
        )
    return int(value)


def parse_style(style, count):
    """The normalised style-weights vector of a style specification.

    Args:
        style: an index (`7`, `"7"`), a blend (`{3: 0.5, 12: 0.5}` or
            `"3=0.5,12=0.5"`), or `count` weights. Weights must be
            non-negative with a positive sum; they are normalised to sum to 1.
        count: the network's number of styles.

    Returns:
        A float32 numpy array `(count,)`.

    Example:

    >>> parse_style("3=1,12=3", 26)[[3, 12]]
    array([0.25, 0.75], dtype=float32)
    """
    weights = np.zeros(count, np.float64)
    if isinstance(style, str) and ("=" in style or "," in style):
        parts = [p for p in style.split(",") if p.strip()]
        style = {}
        for part in parts:
            index, _, weight = part.partition("=")
            key = _index(index, count, "style")
            style[key] = style.get(key, 0.0) + check_float(
                weight or 1.0, f"style[{key}]"
            )
    if isinstance(style, dict):
        if not style:
            raise ValueError("`style` must not be an empty blend. Received: style={}")
        for key, weight in style.items():
            weights[_index(key, count, "style")] += check_float(weight, f"style[{key}]")
    elif isinstance(style, (str, numbers.Integral)) and not isinstance(style, bool):
        weights[_index(style, count, "style")] = 1.0
    elif isinstance(style, (list, tuple, np.ndarray)):
        if len(style) != count:
            raise ValueError(
                f"A weights list needs one weight per style ({count}). "
                f"Received: {len(style)} weights"
            )
        weights = np.array(
            [check_float(w, f"style[{i}]") for i, w in enumerate(style)], np.float64
        )
    else:
        raise TypeError(
            "`style` must be an index, a {index: weight} blend, a string such "
            f"as '3=0.5,12=0.5' or {count} weights. Received: style={style!r}"
        )
    if weights.sum() <= 0:
        raise ValueError(
            f"Style weights must sum to a positive number. Received: style={style!r}"
        )
    return (weights / weights.sum()).astype(np.float32)


class MultiStyleStylizer(ConditionedStylizer):
    """Stylizes photos with the styles of a `MultiStyleNet`, or blends of them.

    Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style"
    (ICLR 2017). Everything `Stylizer` does (sizes, tiles, batches, colours,
    folders, video, `strength` as a blend with the photo) works here; the
    style is given to `stylize` or bound once with `with_style`.

    Args:
        model: a `MultiStyleNet`.
        dtype, runtime, cache_dir: see `ConditionedStylizer` (an exported
            runtime exports each style or blend once).
        **kwargs: `name`, `metadata`, `preset_dir`, `max_pass_pixels`.

    Example:

    >>> stylizer = keras_style.zoo.load("magenta26")
    >>> stylizer.stylize("photo.jpg", style=7).save("seven.jpg")
    >>> stylizer.stylize("photo.jpg", style={3: 0.5, 12: 0.5})
    """

    model_class = MultiStyleNet
    network_classes = ("MultiStyleNet",)
    style_options = ("style",)

    def __init__(self, model, **kwargs):
        super().__init__(model, model, **kwargs)

    @property
    def num_styles(self):
        return self.model.total_styles

    def _missing_style_message(self):
        return (
            f"{self.name!r} holds {self.num_styles} styles: pass `style=` (an "
            "index, or a blend such as {3: 0.5, 12: 0.5}). Received: style=None"
        )

    def style_vector(self, style=None):
        """The style-weights row of `style` (see `parse_style`)."""
        if style is None:
            raise ValueError(self._missing_style_message())
        return parse_style(style, self.num_styles)

    def stylize(
        self,
        image,
        *,
        style=None,
        strength=1.0,
        preserve_colors=False,
        max_size=None,
        tile_size=None,
        tile_overlap=None,
        batch_size=4,
    ):
        """Stylizes one image or a list of images with a style or a blend.

        Args:
            image: as for `Stylizer.stylize`.
            style: an index, a `{index: weight}` blend, a string such as
                `"3=0.5,12=0.5"`, or one weight per style; may be left out
                on a stylizer bound by `with_style`.
            strength, preserve_colors, max_size, tile_size, tile_overlap,
                batch_size: as for `Stylizer.stylize`.

        Returns:
            A `PIL.Image`, or a list of them for a list input.

        Example:

        >>> stylizer.stylize("photo.jpg", style=7, strength=0.8).size
        (1024, 679)
        """
        return self._stylize_through(
            self._forward_with(self._style_from(dict(style=style))),
            image,
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            tile_size=tile_size,
            tile_overlap=tile_overlap,
            batch_size=batch_size,
        )

"""`ArbitraryStylizer`: any painting, through every feature of `Stylizer`.

The painting is loaded like any image (every mode, EXIF orientation), its
shorter side scaled to `style_size` and the centre square cropped, as in
Magenta's TF Lite example, and turned into an embedding once; the embedding
then drives the transfer network over tiles, batches, folders and video
frames (`ConditionedStylizer`). Embeddings are cached per painting by a hash
of its pixels.
"""

import collections
import hashlib

import numpy as np

from keras_style.image import load_image_with_alpha, resize
from keras_style.inference.conditioned_stylizer import ConditionedStylizer
from keras_style.inference.network_call import load_images
from keras_style.inference.options import check_options
from keras_style.models.arbitrary import (
    DEFAULT_STYLE_SIZE,
    MIN_SIZE,
    ArbitraryStyleNet,
)
from keras_style.utils.checks import check_float, check_int

# Embeddings kept per stylizer (a painting's is 100 floats).
EMBEDDING_CACHE_SIZE = 64


def check_style_weights(style_weights, count):
    """Blend weights of `count` paintings, normalised to sum to 1."""
    if style_weights is None:
        return np.full(count, 1.0 / count)
    if isinstance(style_weights, (str, bytes)) or not hasattr(style_weights, "__len__"):
        raise TypeError(
            "`style_weights` must be a list of numbers, one per painting. "
            f"Received: style_weights={style_weights!r}"
        )
    if len(style_weights) != count:
        raise ValueError(
            f"`style_weights` needs one weight per painting ({count}). "
            f"Received: style_weights={list(style_weights)!r}"
        )
    weights = np.array(
        [check_float(w, f"style_weights[{i}]") for i, w in enumerate(style_weights)]
    )
    if weights.sum() <= 0:
        raise ValueError(
            "`style_weights` must sum to a positive number. "
            f"Received: style_weights={list(style_weights)!r}"
        )
    return weights / weights.sum()


def center_square(rgb, size):
    """`rgb` with its shorter side scaled to `size`, centre `size x size` crop."""
    h, w = rgb.shape[:2]
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    rgb = resize(rgb, nh, nw)
    top, left = (nh - size) // 2, (nw - size) // 2
    return rgb[top : top + size, left : left + size]


class ArbitraryStylizer(ConditionedStylizer):
    """Stylizes photos in the style of any painting (Ghiasi et al. 2017).

    Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a
    real-time, arbitrary neural artistic stylization network" (BMVC 2017).
    Everything `Stylizer` does (sizes, tiles, batches, colours, folders,
    video) works here; the painting is given to `stylize` or bound once
    with `with_style`.

    Args:
        model: an `ArbitraryStyleNet`.
        style_size: side of the square the painting is scaled and cropped to
            for the predictor (default 256, what the network was trained on;
            larger sizes give finer brush strokes).
        dtype: compute dtype of the transfer network (see `Stylizer`).
        runtime: `"keras"` (default), or `"onnx"` / `"litert"`: each
            painting (or blend) is baked into a single-input network
            (`bake`), exported once into the cache (keyed by its weights and
            embedding) and run there. Exporting takes seconds per painting,
            so these pay off when one painting styles many photos or frames.
        cache_dir: cache root of the exported runtimes (see `Stylizer`).
        **kwargs: `name`, `metadata`, `preset_dir`, `max_pass_pixels`.

    Example:

    >>> stylizer = keras_style.zoo.load("arbitrary")
    >>> stylizer.stylize("photo.jpg", style_image="painting.jpg").save("out.jpg")

    Two paintings blended, at 70% strength:

    >>> stylizer.stylize("photo.jpg", style_image=["a.jpg", "b.jpg"],
    ...                  style_weights=[0.7, 0.3], strength=0.7)
    """

    model_class = ArbitraryStyleNet
    network_classes = ("ArbitraryStyleNet",)
    style_options = ("style_image", "style_weights", "style_size")

    def __init__(self, model, *, style_size=DEFAULT_STYLE_SIZE, **kwargs):
        network = model.transfer if isinstance(model, ArbitraryStyleNet) else None
        super().__init__(model, network, **kwargs)
        self.style_size = check_int(style_size, "style_size", minimum=MIN_SIZE)
        self.transfer = self.network
        self._embeddings = collections.OrderedDict()

    def _missing_style_message(self):
        return (
            "The arbitrary-style network needs a painting: pass `style_image=` "
            "(or bind one with `with_style`). Received: style_image=None"
        )

    # --- embeddings -------------------------------------------------------

    def _embed_one(self, image, name, style_size):
        rgb, _ = load_image_with_alpha(image, name=name)
        key = hashlib.sha256(rgb.tobytes()).hexdigest() + f"/{rgb.shape}/{style_size}"
        if key not in self._embeddings:
            square = center_square(rgb, style_size)
            embedding = self.model.predictor.predict_on_batch(square[None])
            self._embeddings[key] = np.asarray(embedding, np.float32)[0]
            while len(self._embeddings) > EMBEDDING_CACHE_SIZE:
                self._embeddings.popitem(last=False)
        self._embeddings.move_to_end(key)
        return self._embeddings[key]

    def embed(self, style_image, style_weights=None, style_size=None):
        """The style embedding of a painting, or the blend of several.

        Args:
            style_image: a painting (path, PIL image or array, any mode) or
                a list of them.
            style_weights: one non-negative weight per painting (normalised
                to sum to 1); equal weights by default.
            style_size: see `ArbitraryStylizer` (default: the stylizer's).

        Returns:
            A float32 numpy array `(embedding_dim,)`.

        Example:

        >>> stylizer.embed(["a.jpg", "b.jpg"], [0.7, 0.3]).shape
        (100,)
        """
        style_size = (
            self.style_size
            if style_size is None
            else check_int(style_size, "style_size", minimum=MIN_SIZE)
        )
        if style_image is None:
            raise ValueError(self._missing_style_message())
        single = not isinstance(style_image, (list, tuple))
        images = [style_image] if single else list(style_image)
        if not images:
            raise ValueError(
                "`style_image` must not be an empty list. Received: style_image=[]"
            )
        if single and style_weights is not None:
            raise ValueError(
                "`style_weights` blends several paintings; pass `style_image` "
                f"as a list. Received: style_weights={style_weights!r}"
            )
        weights = check_style_weights(style_weights, len(images))
        names = [
            "style_image" if single else f"style_image[{i}]" for i in range(len(images))
        ]
        embeddings = [
            self._embed_one(img, n, style_size) for img, n in zip(images, names)
        ]
        return np.tensordot(weights, np.stack(embeddings), axes=1).astype(np.float32)

    style_vector = embed

    # --- stylizing --------------------------------------------------------

    def stylize(
        self,
        image,
        *,
        style_image=None,
        style_weights=None,
        style_size=None,
        strength=1.0,
        preserve_colors=False,
        max_size=None,
        tile_size=None,
        tile_overlap=None,
        batch_size=4,
    ):
        """Stylizes one image or a list of images in a painting's style.

        Args:
            image: as for `Stylizer.stylize`.
            style_image: the painting, or a list of paintings to blend; may be
                left out on a stylizer bound by `with_style`.
            style_weights: blend weights of the paintings (see `embed`).
            style_size: side of the predictor's square (see the class).
            strength: float in [0, 1], Ghiasi et al.'s interpolation between
                the photo's own style embedding (0) and the painting's (1):
                the network always runs, so 0 is not the untouched photo.
            preserve_colors, max_size, tile_size, tile_overlap, batch_size:
                as for `Stylizer.stylize`; all tiles share one embedding.

        Returns:
            A `PIL.Image`, or a list of them for a list input.

        Example:

        >>> stylizer.stylize("photo.jpg", style_image="the_scream.jpg").size
        (1024, 679)
        """
        strength, max_size, tile_size, tile_overlap, batch_size = check_options(
            strength, max_size, tile_size, tile_overlap, batch_size
        )
        style = self._style_from(
            dict(
                style_image=style_image,
                style_weights=style_weights,
                style_size=style_size,
            )
        )
        single, loaded, names = load_images(image)
        options = dict(
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            tile_size=tile_size,
            tile_overlap=tile_overlap,
            batch_size=batch_size,
            blend=False,
        )
        if strength == 1.0:
            results = self._stylize_loaded(
                self._forward_with(style), loaded, names, **options
            )
        else:
            if self.runtime != "keras":
                raise ValueError(
                    "strength < 1 mixes each photo's own embedding in, which an "
                    "exported runtime would export once per photo; use "
                    f"runtime='keras'. Received: strength={strength}, "
                    f"runtime={self.runtime!r}"
                )
            # Each photo mixes the painting's embedding with its own.
            results = []
            for pair, n in zip(loaded, names):
                own = self.embed(pair[0], style_size=style_size)
                mixed = strength * style + (1.0 - strength) * own
                results += self._stylize_loaded(
                    self._forward_with(mixed), [pair], [n], **options
                )
        return results[0] if single else results

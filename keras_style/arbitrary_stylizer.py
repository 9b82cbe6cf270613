"""`ArbitraryStylizer`: any painting, through every feature of `Stylizer`.

The painting is loaded like any image (every mode, EXIF orientation), its
shorter side scaled to `style_size` and the centre square cropped, as in
Magenta's TF Lite example, and turned into an embedding once; the embedding
then drives the transfer network over tiles, batches, folders and video
frames. Embeddings are cached per painting by a hash of its pixels.
"""

import collections
import copy
import hashlib
import json
import pathlib

import numpy as np

from keras_style.checks import check_float, check_int
from keras_style.image import load_image_with_alpha, resize
from keras_style.models.arbitrary import (
    DEFAULT_STYLE_SIZE,
    MIN_SIZE,
    ArbitraryStyleNet,
)
from keras_style.models.fixed_style_network import FixedStyleNetwork
from keras_style.preset_utils import METADATA_FILE
from keras_style.stylize_options import check_options
from keras_style.stylizer import Stylizer, _forward, _load_images, with_compute_dtype

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


class ArbitraryStylizer(Stylizer):
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

    def __init__(
        self,
        model,
        *,
        style_size=DEFAULT_STYLE_SIZE,
        dtype=None,
        runtime="keras",
        cache_dir=None,
        **kwargs,
    ):
        if not isinstance(model, ArbitraryStyleNet):
            raise TypeError(
                "`model` must be an ArbitraryStyleNet. "
                f"Received: model={type(model).__name__}"
            )
        if runtime != "keras":
            # Exported runtimes run one painting's baked network (`bake`).
            from keras_style.export.runtime_cache import check_runtime

            check_runtime(runtime)
            if dtype is not None:
                raise ValueError(
                    "`dtype` applies to the Keras runtime; an exported runtime "
                    "keeps the precision it was exported with. "
                    f"Received: dtype={dtype!r}, runtime={runtime!r}"
                )
        super().__init__(model, **kwargs)
        self.runtime = runtime
        self._cache_dir = cache_dir
        self._runtimes = collections.OrderedDict()  # embedding -> exported
        self.style_size = check_int(style_size, "style_size", minimum=MIN_SIZE)
        self.transfer = with_compute_dtype(model.transfer, dtype)
        self._embeddings = collections.OrderedDict()
        self._style = None  # the embedding bound by `with_style`

    @classmethod
    def from_preset_dir(cls, preset_dir, *, name=None, **kwargs):
        """Loads an `ArbitraryStylizer` from a local preset directory."""
        preset_dir = pathlib.Path(preset_dir)
        model = ArbitraryStyleNet.from_preset_dir(preset_dir)
        metadata = {}
        meta_path = preset_dir / METADATA_FILE
        if meta_path.is_file():
            try:
                metadata = json.loads(meta_path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                metadata = {}
        metadata = metadata if isinstance(metadata, dict) else {}
        return cls(
            model,
            name=name or metadata.get("name") or preset_dir.name,
            metadata=metadata,
            preset_dir=preset_dir,
            **kwargs,
        )

    def __repr__(self):
        bound = "" if self._style is None else " style=bound"
        return f"<ArbitraryStylizer name={self.name!r}{bound}>"

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

    def with_style(self, style_image, style_weights=None, style_size=None):
        """A copy of this stylizer bound to a painting (or a blend).

        The embedding is computed once; `stylize`, `stylize_folder` and
        `stylize_video` of the copy need no `style_image`.

        Example:

        >>> scream = stylizer.with_style("the_scream.jpg")
        >>> scream.stylize_video("clip.mp4", "scream.mp4")
        """
        bound = copy.copy(self)
        bound._style = self.embed(style_image, style_weights, style_size)
        return bound

    # --- stylizing --------------------------------------------------------

    def bake(self, style_image, style_weights=None, style_size=None):
        """A single-input network with the painting's embedding built in.

        Args:
            style_image, style_weights, style_size: see `embed`.

        Returns:
            A `FixedStyleNetwork`: photo in, stylized photo out, like a
            `TransformNet`; `export` it to ONNX or LiteRT, or save it as a
            preset that `--style PRESET_DIR` uses.

        Example:

        >>> stylizer.bake("the_scream.jpg").export("scream.onnx")
        PosixPath('scream.onnx')
        """
        return self._baked(self.embed(style_image, style_weights, style_size))

    def _baked(self, embedding):
        net = FixedStyleNetwork(self.model.transfer, name="fixed_style_network")
        net.build()
        net.style.assign(np.asarray(embedding, np.float32)[None])
        return net

    def _exported_for(self, embedding):
        key = hashlib.sha256(np.asarray(embedding, "<f4").tobytes()).hexdigest()
        if key not in self._runtimes:
            from keras_style.export.runtime_cache import load_runtime

            self._runtimes[key] = load_runtime(
                self._baked(embedding),
                self.runtime,
                cache_dir=self._cache_dir,
                metadata=self.metadata,
            )
            while len(self._runtimes) > 4:  # sessions hold memory
                self._runtimes.popitem(last=False)
        return self._runtimes[key]

    def _forward_with(self, embedding):
        if self.runtime != "keras":
            exported = self._exported_for(embedding)
            return lambda batch: np.clip(exported(batch), 0.0, 255.0)
        embedding = np.asarray(embedding, np.float32)[None]

        def forward(batch):
            tiled = np.repeat(embedding, len(batch), axis=0)
            return _forward(self.transfer, [batch, tiled])

        return forward

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
        if style_image is not None:
            style = self.embed(style_image, style_weights, style_size)
        elif self._style is not None and style_weights is None:
            style = self._style
        else:
            raise ValueError(
                "The arbitrary-style network needs a painting: pass "
                "`style_image=` (or bind one with `with_style`). "
                f"Received: style_image=None, style_weights={style_weights!r}"
            )
        single, loaded, names = _load_images(image)
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

    def stylize_folder(self, input_dir, output_dir, *, style_image=None, **kwargs):
        """`Stylizer.stylize_folder` with one painting for every file.

        Example:

        >>> stylizer.stylize_folder("photos/", "styled/", style_image="a.jpg")
        """
        bound = self._bound(style_image, kwargs)
        return Stylizer.stylize_folder(bound, input_dir, output_dir, **kwargs)

    def stylize_video(self, input, output, *, style_image=None, **kwargs):
        """`Stylizer.stylize_video`; the painting's embedding is computed once.

        Example:

        >>> stylizer.stylize_video("clip.mp4", "out.mp4", style_image="a.jpg")
        """
        bound = self._bound(style_image, kwargs)
        return Stylizer.stylize_video(bound, input, output, **kwargs)

    def _bound(self, style_image, kwargs):
        weights = kwargs.pop("style_weights", None)
        size = kwargs.pop("style_size", None)
        if style_image is None:
            if self._style is None:
                raise ValueError(
                    "The arbitrary-style network needs a painting: pass "
                    "`style_image=` (or bind one with `with_style`). "
                    "Received: style_image=None"
                )
            return self
        return self.with_style(style_image, weights, size)

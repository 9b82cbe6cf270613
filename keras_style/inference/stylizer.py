"""`Stylizer`: apply a feed-forward style network to images of any kind and size.

Handles what a bare `TransformNet` call does not: file paths, PIL images and
arrays of every mode (grayscale, palette, 16-bit, CMYK, EXIF-rotated, alpha),
lists of images, blending with the original (`strength`), keeping the photo's
colours, working at a reduced size, and images too large for one pass, which
are stylized in overlapping tiles blended with smooth weights.
"""

import pathlib
import sys

from keras_style.defaults import MIN_PHOTO_SIDE as MIN_SIZE
from keras_style.image import to_pil, transfer_luminance
from keras_style.inference import batching, network_call
from keras_style.inference.loading import PHOTO_NETWORKS, PresetLoadingMixin
from keras_style.inference.media import MediaMixin
from keras_style.inference.options import check_options
from keras_style.inference.tiling import (
    AUTO_TILE_PIXELS,
    DEFAULT_TILE_SIZE,
    MAX_PASS_PIXELS,
)
from keras_style.utils.checks import check_int

# Re-exported from stylize_options.py and tiling.py, where they moved.
__all__ = [
    "AUTO_TILE_PIXELS",
    "DEFAULT_TILE_SIZE",
    "MAX_PASS_PIXELS",
    "Stylizer",
    "check_options",
]


class Stylizer(PresetLoadingMixin, MediaMixin):
    """Applies a feed-forward style network to photos of any size and format.

    Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer
    and Super-Resolution" (ECCV 2016). Colour preservation follows Gatys et al.,
    "Controlling Perceptual Factors in Neural Style Transfer" (CVPR 2017).

    Output always has the size (after EXIF orientation) of the input. Images
    with more than `AUTO_TILE_PIXELS` pixels are stylized in overlapping tiles
    (`keras_style.inference.tiling`) unless `tile_size` is given. The network's instance normalisation computes
    statistics per tile, so a tiled result is not identical to a one-pass
    result: brush strokes differ at the texture level (wave style, 160x320
    photo, three 160-px tiles: mean absolute difference ~10 and median 7 on
    the 0..255 scale), while overall colours agree and the smooth blending
    leaves no seam (see tests/test_stylizer.py). Larger tiles bring the result
    closer to the one-pass one.

    Args:
        model: a Keras model mapping RGB float32 `(N, H, W, 3)` in 0..255 to
            the same, e.g. a `TransformNet`.
        name: optional label (the zoo passes the style name).
        metadata: optional dict describing the model (licence, source, ...).
        preset_dir: optional path of the preset the model came from.
        max_pass_pixels: most pixels one network call may hold; larger
            batches are split (`keras_style.inference.batching`) and a larger single
            image or tile is an error (default `MAX_PASS_PIXELS`).
        dtype: the network's compute dtype with the Keras runtime: `None`
            (default: the model's own, float32 for the zoo), `"float32"`,
            `"bfloat16"` or `"float16"`. Weights stay float32 (Keras
            `mixed_*` policies); bfloat16 pays off on CPUs with AVX512-BF16
            or AMX and on GPUs, float16 on GPUs only. On a real photo the
            zoo's "wave" in bfloat16 stays within a quarter of a level
            (mean, 0..255) of float32 (tests/test_zoo_embedded.py).
        runtime: what runs the network: `"keras"` (default, any backend),
            or an exported file in its own CPU runtime, `"onnx"`
            (onnxruntime) or `"litert"` (the LiteRT interpreter). The
            network is exported once into the keras-style cache, keyed by
            the sha256 of its weights and verified on reuse; results match
            Keras within one level of 0..255. Needs
            `pip install "keras-style[export]"`. A preset exported before
            loads without importing Keras (`from_preset`, `zoo.load`).
            `"auto"`: `"onnx"` when the extra is installed and the network
            maps photos to photos, else `"keras"` (the command line's
            default); `stylizer.runtime` says which.
        cache_dir: cache root of the exported runtimes (default
            `$KERAS_STYLE_CACHE` or `~/.cache/keras_style`).

    Example:

    >>> stylizer = keras_style.zoo.load("wave")
    >>> stylizer.stylize("photo.jpg", strength=0.8).save("wave.jpg")

    With ONNX Runtime for the network (exported once, then cached):

    >>> stylizer = keras_style.zoo.load("wave", runtime="onnx")
    """

    # The network classes (by registered name) whose presets this stylizer
    # drives. A subclass that sets its own registers itself as the family of
    # those networks, and `Stylizer.from_preset` picks it for their presets.
    network_classes = PHOTO_NETWORKS
    _families = {}  # here only: `from_preset_dir` dispatches from this class

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.__dict__.get("network_classes", ()):
            Stylizer._families[name] = cls

    def __init__(
        self,
        model,
        *,
        name=None,
        metadata=None,
        preset_dir=None,
        max_pass_pixels=MAX_PASS_PIXELS,
        dtype=None,
        runtime="keras",
        cache_dir=None,
        exported=None,
    ):
        if exported is not None:
            # An exported network loaded without Keras (`from_preset_dir`).
            model = None
        elif not network_call.is_keras_model(model):
            raise TypeError(
                "`model` must be a Keras model (e.g. a TransformNet). "
                f"Received: model={type(model).__name__}"
            )
        if dtype is not None and runtime not in ("keras", "auto"):
            raise ValueError(
                "`dtype` applies to the Keras runtime; an exported runtime "
                "keeps the precision it was exported with. "
                f"Received: dtype={dtype!r}, runtime={runtime!r}"
            )
        self.model = model and network_call.with_compute_dtype(model, dtype)
        self.name = name or getattr(model, "name", None)
        self.metadata = dict(metadata or {})
        self.preset_dir = None if preset_dir is None else pathlib.Path(preset_dir)
        # A limit is always needed: None is a TypeError too.
        self.max_pass_pixels = check_int(
            max_pass_pixels, "max_pass_pixels", minimum=MIN_SIZE * MIN_SIZE
        )
        if runtime == "auto" and exported is None:
            from keras_style.export.runtime_cache import auto_runtime

            runtime = auto_runtime(
                dtype is None and type(model).__name__ in PHOTO_NETWORKS
            )
        self.runtime = runtime
        self._exported = exported or self._load_runtime(runtime, cache_dir)

    def _load_runtime(self, runtime, cache_dir):
        """The exported model that runs the network, or None for Keras."""
        if runtime == "keras":
            return None
        if not isinstance(runtime, str):
            raise TypeError(
                "`runtime` must be a string ('keras', 'onnx' or 'litert'). "
                f"Received: runtime={runtime!r}"
            )
        if type(self.model).__name__ not in PHOTO_NETWORKS:
            raise TypeError(
                f"runtime={runtime!r} exports the network, which must be a "
                "TransformNet or a FixedStyleNetwork. "
                f"Received: model={type(self.model).__name__}"
            )
        # Imported on first use: exporting needs the optional `export` extra.
        from keras_style.export.runtime_cache import load_runtime

        return load_runtime(
            self.model,
            runtime,
            cache_dir=cache_dir,
            metadata=self.metadata,
            preset_dir=self.preset_dir,
            on_export=lambda: print(
                f"Exporting {self.name!r} for the {runtime} runtime, once "
                "(cached for the next runs)...",
                file=sys.stderr,
            ),
        )

    def _forward(self, batch):
        if self._exported is None:
            return network_call.run_network(self.model, batch)
        return network_call.to_pixel_range(self._exported(batch))

    def __repr__(self):
        runtime = "" if self.runtime == "keras" else f" runtime={self.runtime!r}"
        return f"<Stylizer name={self.name!r} preset_dir={self.preset_dir}{runtime}>"

    # --- public API ---------------------------------------------------------

    def stylize(
        self,
        image,
        *,
        strength=1.0,
        preserve_colors=False,
        max_size=None,
        tile_size=None,
        tile_overlap=None,
        batch_size=4,
    ):
        """Stylizes one image or a list of images.

        Args:
            image: a path, a `PIL.Image`, a numpy array (`(H, W)`,
                `(H, W, 1|3|4)`, uint8/uint16 or floats in 0..255), or a list
                of these. EXIF orientation is applied; grayscale, palette,
                16-bit and CMYK images are converted to RGB.
            strength: float in [0, 1]; 1 is the full style, 0 returns the
                original, values in between blend linearly.
            preserve_colors: keep the photo's colours and take only the
                luminance from the stylized result (YIQ, Gatys et al. 2017).
            max_size: optional int; when the longest side exceeds it, the
                network runs on a copy downsized to `max_size` (faster,
                coarser brush strokes) and the result is resized back up, so
                the output still has the input's size.
            tile_size: optional int; images larger than this along either side
                are stylized in overlapping `tile_size` tiles. Defaults to
                `DEFAULT_TILE_SIZE` for images over `AUTO_TILE_PIXELS` pixels
                and no tiling otherwise.
            tile_overlap: minimum overlap of neighbouring tiles in pixels;
                defaults to `tile_size // 4`. Must be below `tile_size // 2`.
            batch_size: how many tiles (or same-sized images of a list) go
                through the network at once.

        Returns:
            A `PIL.Image` (`RGBA` when the input had alpha, which is carried
            over unchanged; `RGB` otherwise) with the input's size, or a list
            of them for a list input.

        Example:

        >>> stylizer.stylize(np.zeros((60, 80, 3), "uint8")).size
        (80, 60)
        """
        return self._stylize_through(
            self._forward,
            image,
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            tile_size=tile_size,
            tile_overlap=tile_overlap,
            batch_size=batch_size,
        )

    def _stylize_through(
        self,
        forward,
        image,
        *,
        strength,
        preserve_colors,
        max_size,
        tile_size,
        tile_overlap,
        batch_size,
    ):
        """`stylize` with `forward` as the network: options checked, images
        loaded, one result for one image and a list for a list."""
        strength, max_size, tile_size, tile_overlap, batch_size = check_options(
            strength, max_size, tile_size, tile_overlap, batch_size
        )
        single, loaded, names = network_call.load_images(image)
        results = self._stylize_loaded(
            forward,
            loaded,
            names,
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            tile_size=tile_size,
            tile_overlap=tile_overlap,
            batch_size=batch_size,
        )
        return results[0] if single else results

    def _stylize_loaded(
        self,
        forward,
        loaded,
        names,
        *,
        strength,
        preserve_colors,
        max_size,
        tile_size,
        tile_overlap,
        batch_size,
        blend=True,
    ):
        """`stylize` on loaded `(rgb, alpha)` pairs with checked options.

        `forward` runs the network on a batch; `blend=False` leaves
        `strength` to the caller (a family whose strength is not a pixel
        blend) and only stylizes.
        """
        originals = [rgb for rgb, _ in loaded]
        if strength == 0.0 and blend:
            styled = originals
        else:
            styled = batching.stylize_arrays(
                forward,
                originals,
                names,
                max_size=max_size,
                max_pass_pixels=self.max_pass_pixels,
                tile_size=tile_size,
                tile_overlap=tile_overlap,
                batch_size=batch_size,
            )
        results = []
        for (rgb, alpha), out in zip(loaded, styled):
            if out is not rgb:
                if preserve_colors:
                    out = transfer_luminance(rgb, out)
                if blend and strength < 1.0:
                    out = strength * out + (1.0 - strength) * rgb
            results.append(to_pil(out, alpha))
        return results

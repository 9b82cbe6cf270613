"""`Stylizer`: apply a feed-forward style network to images of any kind and size.

Handles what a bare `TransformNet` call does not: file paths, PIL images and
arrays of every mode (grayscale, palette, 16-bit, CMYK, EXIF-rotated, alpha),
lists of images, blending with the original (`strength`), keeping the photo's
colours, working at a reduced size, and images too large for one pass, which
are stylized in overlapping tiles blended with smooth weights.
"""

import pathlib
import weakref

import keras
import numpy as np

from keras_style import batching
from keras_style.checks import check_int
from keras_style.image import load_image_with_alpha, to_pil, transfer_luminance
from keras_style.models.fixed_style_network import FixedStyleNetwork
from keras_style.preset_utils import preset_class_name, read_metadata
from keras_style.stylize_options import check_options
from keras_style.tiling import AUTO_TILE_PIXELS, DEFAULT_TILE_SIZE, MAX_PASS_PIXELS
from keras_style.transform_net import MIN_SIZE, TransformNet

# Re-exported from stylize_options.py and tiling.py, where they moved.
__all__ = [
    "AUTO_TILE_PIXELS",
    "DEFAULT_TILE_SIZE",
    "MAX_PASS_PIXELS",
    "Stylizer",
    "check_options",
]


def _forward(model, batch):
    """One compiled forward pass: float32 `(N, H, W, 3)` in 0..255 to numpy.

    TensorFlow and PyTorch: `predict_on_batch` (a `tf.function` with relaxed
    shapes, run by TF's oneDNN kernels; eager under `torch.no_grad`). JAX: a
    `jax.jit` of `stateless_call`, which takes half the CPU time of
    `predict_on_batch` (that one donates and re-syncs the whole model state
    on every call). Kept as the single inference entry point, and measured
    as such by `benchmarks/run.py infer`.
    """
    if keras.backend.backend() == "jax":
        out = _jax_forward(model)(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            batch,
        )
    else:
        out = model.predict_on_batch(batch)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 255.0)


_JAX_FORWARD = weakref.WeakKeyDictionary()  # model -> its jitted forward pass


def _jax_forward(model):
    if model not in _JAX_FORWARD:
        import jax

        # A weak reference: the cached function must not keep its key alive.
        ref = weakref.ref(model)

        def forward(trainable, non_trainable, x):
            return ref().stateless_call(trainable, non_trainable, x, training=False)[0]

        _JAX_FORWARD[model] = jax.jit(forward)
    return _JAX_FORWARD[model]


COMPUTE_DTYPES = ("float32", "bfloat16", "float16")


def with_compute_dtype(model, dtype):
    """`model`, or a copy of it computing in `dtype`.

    Works for any style network whose layers take their dtype policy from
    the model's (`TransformNet`, `StyleTransferNetwork`).

    The copy shares nothing with `model` but the weight values; its Keras
    policy is `mixed_{dtype}` (float32 weights, `dtype` activations), the
    output stays float32.

    Example:

    >>> with_compute_dtype(TransformNet(), "bfloat16").compute_dtype
    'bfloat16'
    """
    if dtype is None or dtype == model.compute_dtype:
        return model
    if dtype not in COMPUTE_DTYPES:
        raise ValueError(
            f"`dtype` must be one of {COMPUTE_DTYPES} or None. Received: dtype={dtype!r}"
        )
    if not keras.saving.get_registered_name(type(model)).startswith("keras_style>"):
        # A foreign model's layers may carry their own dtype policies.
        raise TypeError(
            "`dtype` recasts a keras-style network (TransformNet, "
            "StyleTransferNetwork); for another model, build it under the Keras "
            f"dtype policy you want. Received: model={type(model).__name__}"
        )
    policy = "float32" if dtype == "float32" else f"mixed_{dtype}"
    copy = type(model).from_config({**model.get_config(), "dtype": policy})
    copy.build()
    copy.set_weights(model.get_weights())
    return copy


# The photo-in, photo-out networks a preset of this stylizer may hold.
_SINGLE_INPUT_NETWORKS = (TransformNet, FixedStyleNetwork)


def _network_class(preset_dir):
    """The network class a preset's config names (TransformNet by default;
    the loader reports a config that names something else)."""
    name = preset_class_name(preset_dir)
    return next((c for c in _SINGLE_INPUT_NETWORKS if c.__name__ == name), TransformNet)


def _load_images(image):
    """`(single, [(rgb, alpha)], names)` of one image or a list of them."""
    single = not isinstance(image, (list, tuple))
    images = [image] if single else list(image)
    if not images:
        raise ValueError("`image` must not be an empty list. Received: image=[]")
    loaded = [
        load_image_with_alpha(img, name="image" if single else f"image[{i}]")
        for i, img in enumerate(images)
    ]
    names = [
        ("image" if single else f"image[{i}]")
        # A file names itself in errors.
        + (f" ({img})" if isinstance(img, (str, pathlib.PurePath)) else "")
        for i, img in enumerate(images)
    ]
    return single, loaded, names


class Stylizer:
    """Applies a feed-forward style network to photos of any size and format.

    Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer
    and Super-Resolution" (ECCV 2016). Colour preservation follows Gatys et al.,
    "Controlling Perceptual Factors in Neural Style Transfer" (CVPR 2017).

    Output always has the size (after EXIF orientation) of the input. Images
    with more than `AUTO_TILE_PIXELS` pixels are stylized in overlapping tiles
    (`keras_style.tiling`) unless `tile_size` is given. The network's instance normalisation computes
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
            batches are split (`keras_style.batching`) and a larger single
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
            `pip install "keras-style[export]"`.
        cache_dir: cache root of the exported runtimes (default
            `$KERAS_STYLE_CACHE` or `~/.cache/keras_style`).

    Example:

    >>> stylizer = keras_style.zoo.load("wave")
    >>> stylizer.stylize("photo.jpg", strength=0.8).save("wave.jpg")

    With ONNX Runtime for the network (exported once, then cached):

    >>> stylizer = keras_style.zoo.load("wave", runtime="onnx")
    """

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
    ):
        if not isinstance(model, keras.Model):
            raise TypeError(
                "`model` must be a Keras model (e.g. a TransformNet). "
                f"Received: model={type(model).__name__}"
            )
        if dtype is not None and runtime != "keras":
            raise ValueError(
                "`dtype` applies to the Keras runtime; an exported runtime "
                "keeps the precision it was exported with. "
                f"Received: dtype={dtype!r}, runtime={runtime!r}"
            )
        self.model = with_compute_dtype(model, dtype)
        self.name = name or model.name
        self.metadata = dict(metadata or {})
        self.preset_dir = None if preset_dir is None else pathlib.Path(preset_dir)
        # A limit is always needed: None is a TypeError too.
        self.max_pass_pixels = check_int(
            max_pass_pixels, "max_pass_pixels", minimum=MIN_SIZE * MIN_SIZE
        )
        self.runtime = runtime
        self._exported = self._load_runtime(runtime, cache_dir)

    def _load_runtime(self, runtime, cache_dir):
        """The exported model that runs the network, or None for Keras."""
        if runtime == "keras":
            return None
        if not isinstance(runtime, str):
            raise TypeError(
                "`runtime` must be a string ('keras', 'onnx' or 'litert'). "
                f"Received: runtime={runtime!r}"
            )
        if type(self.model) not in _SINGLE_INPUT_NETWORKS:
            raise TypeError(
                f"runtime={runtime!r} exports the network, which must be a "
                "TransformNet or a FixedStyleNetwork. "
                f"Received: model={type(self.model).__name__}"
            )
        # Export sits above the stylizer (like the zoo): imported on demand.
        from keras_style.export.runtime_cache import load_runtime

        return load_runtime(
            self.model, runtime, cache_dir=cache_dir, metadata=self.metadata
        )

    def _forward(self, batch):
        if self._exported is None:
            return _forward(self.model, batch)
        return np.clip(self._exported(batch), 0.0, 255.0)

    def __repr__(self):
        runtime = "" if self.runtime == "keras" else f" runtime={self.runtime!r}"
        return f"<Stylizer name={self.name!r} preset_dir={self.preset_dir}{runtime}>"

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Loads a `Stylizer` from a zoo name, a Hub handle or a folder.

        The same as `keras_style.zoo.load` (the short form).

        Args:
            preset: a zoo name, `"hf://owner/repo[@revision]"` or a preset
                directory.
            **kwargs: forwarded to `keras_style.zoo.load` (`revision`,
                `cache_dir`, `force_download`, ...).

        Returns:
            A `Stylizer`.

        Example:

        >>> Stylizer.from_preset("wave").stylize("photo.jpg").save("wave.jpg")
        """
        from keras_style import zoo  # the zoo sits above the stylizer

        return zoo.load(preset, **kwargs)

    @classmethod
    def from_preset_dir(
        cls, preset_dir, *, name=None, dtype=None, runtime="keras", cache_dir=None
    ):
        """Loads a `Stylizer` from a local preset directory.

        Args:
            preset_dir: a directory with `config.json` and `model.weights.h5`
                (see `TransformNet.save_to_preset`).
            name: optional label; defaults to the directory name.
            dtype, runtime, cache_dir: see `Stylizer`.

        Returns:
            A `Stylizer`.

        Example:

        >>> stylizer = Stylizer.from_preset_dir("presets/wave")
        """
        preset_dir = pathlib.Path(preset_dir)
        model = _network_class(preset_dir).from_preset_dir(preset_dir)
        metadata = read_metadata(preset_dir)
        return cls(
            model,
            name=name or metadata.get("name") or preset_dir.name,
            metadata=metadata,
            preset_dir=preset_dir,
            dtype=dtype,
            runtime=runtime,
            cache_dir=cache_dir,
        )

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
        single, loaded, names = _load_images(image)
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

    def stylize_folder(
        self, input_dir, output_dir, *, verbose=1, video_options=None, **kwargs
    ):
        """Stylizes every image and video under `input_dir` into `output_dir`.

        Sub-folders are mirrored and file names kept (the format follows the
        extension). Images go through `stylize`; with the `video` extra, files
        are probed with FFmpeg and videos (animated GIFs too) go through
        `stylize_video` (`.mp4` is appended to a name FFmpeg cannot write).
        Without the extra, video files are skipped with a reason naming it.
        Outputs are written atomically; files that cannot be read or
        stylized are skipped and reported, never aborting the run.

        Args:
            input_dir: folder searched recursively for images and videos.
            output_dir: destination folder (created; must differ from
                `input_dir`).
            verbose: 1 shows a progress bar and lists skipped files on
                stderr; 2 prints plain progress lines instead of the bar (for
                logs: one every few seconds and one at the end); 0 is silent.
            video_options: optional dict of `stylize_video` options for the
                videos only, e.g. `dict(consistency="flow", start=0, end=10)`
                (`consistency`, `start`, `end`, `blend`, `crf`, `codec`,
                `audio`, ...); images ignore it.
            **kwargs: forwarded to `stylize` for images and to
                `stylize_video` for videos (`strength`, `preserve_colors`,
                `max_size`, `tile_size`, `batch_size`, ...); checked once, up
                front.

        Returns:
            A `FolderResult(written, skipped)`: the list of written paths and a
            dict `{input path: reason}` of skipped files.

        Example:

        >>> result = stylizer.stylize_folder("media/", "styled/",
        ...                                  video_options=dict(end=10))
        >>> len(result.written), result.skipped
        (12, {})
        """
        from keras_style.folders import stylize_folder

        return stylize_folder(
            self,
            input_dir,
            output_dir,
            verbose=verbose,
            video_options=video_options,
            **kwargs,
        )

    def stylize_video(
        self,
        input,
        output,
        *,
        consistency="flow",
        strength=1.0,
        preserve_colors=False,
        max_size=None,
        batch_size=4,
        start=None,
        end=None,
        **kwargs,
    ):
        """Stylizes a video file, keeping its frames, timing and sound.

        Frames are streamed (decoded, stylized in batches, encoded), so memory
        does not depend on the clip's length; with `consistency="flow"`
        flicker is removed with optical flow. Needs the `video` extra
        (`pip install "keras-style[video]"`). See
        `keras_style.video.stylize_video` for all options.

        Args:
            input: path of a video file or animated GIF.
            output: destination (`.mp4` H.264 by default, `.gif`, `.mkv`,
                ...); written to a temporary file and renamed when complete.
            consistency: `"flow"` (steady) or `"none"` (frame by frame).
            strength: float in [0, 1]; blend with the original frames.
            preserve_colors: keep the video's colours.
            max_size: optional int; frames are downscaled so their longest
                side is at most this (the output has that size).
            batch_size: frames per network call.
            start, end: optional times in seconds to cut the clip.
            **kwargs: `crf`, `codec`, `audio`, `blend`, `verbose`, tiling.

        Returns:
            The output path as a `pathlib.Path`.

        Example:

        >>> stylizer = keras_style.zoo.load("wave")
        >>> stylizer.stylize_video("clip.mp4", "wave.mp4", max_size=640)
        PosixPath('wave.mp4')
        """
        # Imported here: PyAV and OpenCV are optional and heavy.
        from keras_style.video import stylize_video

        return stylize_video(
            self,
            input,
            output,
            consistency=consistency,
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            batch_size=batch_size,
            start=start,
            end=end,
            **kwargs,
        )

"""The per-actor side of a distributed run: one stylizer per worker process.

`StyleSpec` says which stylizer to build and with which options; it is what
travels to the workers (a few strings and the paintings' pixels), never a
loaded network. `StylizeWorker` is the callable class Ray Data runs in each
actor: it builds the stylizer once, then stylizes batches of files.
"""

import dataclasses
import hashlib
import posixpath

import numpy as np

from keras_style.inference.folders import VIDEO_EXTENSIONS
from keras_style.presets.names import ARBITRARY, split_style

# The network classes (by registered name) that take a style choice.
MULTI_STYLE = "MultiStyleNet"
ARBITRARY_STYLE = "ArbitraryStyleNet"

# Options of `Stylizer.stylize` that a run forwards.
IMAGE_OPTIONS = (
    "strength",
    "preserve_colors",
    "max_size",
    "tile_size",
    "tile_overlap",
    "batch_size",
)


@dataclasses.dataclass
class StyleSpec:
    """What each worker loads, and how it stylizes.

    Attributes:
        style: a zoo name, `hf://owner/repo[@revision]` or a preset folder
            that every worker can read; `NAME:INDEX` or `NAME:3=0.5,12=0.5`
            picks styles of a multi-style network (`"magenta26:7"`).
        style_images: the paintings for the arbitrary-style network, as
            uint8 arrays (sent to the workers, which need not see the files).
        style_weights, style_size: see `ArbitraryStylizer.embed`.
        runtime, dtype, cache_dir, revision: see `Stylizer` and `zoo.load`.
        options: `Stylizer.stylize` options (`IMAGE_OPTIONS`).
        video_options: `Stylizer.stylize_video` options for videos only.
    """

    style: str
    style_images: list = None
    style_weights: list = None
    style_size: int = None
    runtime: str = "keras"
    dtype: str = None
    cache_dir: str = None
    revision: str = None
    options: dict = dataclasses.field(default_factory=dict)
    video_options: dict = dataclasses.field(default_factory=dict)

    def fetch(self):
        """`(preset directory, name)` of the style, downloaded if needed."""
        from keras_style.convert.resolve import fetch

        preset, _ = split_style(self.style)
        return fetch(preset, revision=self.revision, cache_dir=self.cache_dir)

    def settings(self, preset_dir):
        """Everything that changes the pixels, for `manifest.fingerprint`."""
        from keras_style.presets.preset_utils import CONFIG_FILE, sha256_file

        paintings = [
            hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
            + str(np.shape(a))
            for a in self.style_images or ()
        ]
        files = sorted(p for p in preset_dir.iterdir() if p.is_file())
        return {
            "style": self.style,
            "preset": {
                p.name: sha256_file(p)
                for p in files
                if p.name == CONFIG_FILE or p.name.endswith(".h5")
            },
            "paintings": paintings,
            "style_weights": self.style_weights,
            "style_size": self.style_size,
            "dtype": self.dtype,
            # How many images share a pass changes no pixel.
            "options": {k: v for k, v in self.options.items() if k != "batch_size"},
            "video_options": self.video_options,
        }

    def check(self, preset_dir):
        """Refuses a style choice the preset's network cannot take, before
        any worker starts (a worker's error would surface much later)."""
        from keras_style.presets.preset_utils import preset_class_name

        _, styles = split_style(self.style)
        network = preset_class_name(preset_dir)
        if styles is not None and network != MULTI_STYLE:
            raise ValueError(
                f"':{styles}' picks styles of a multi-style network such as "
                f"magenta26; this preset holds a {network}. "
                f"Received: style={self.style!r}"
            )
        if network == MULTI_STYLE and styles is None:
            raise ValueError(
                "A multi-style network needs a style choice: style='NAME:7' or "
                f"'NAME:3=0.5,12=0.5'. Received: style={self.style!r}"
            )
        if self.style_images and network != ARBITRARY_STYLE:
            raise ValueError(
                "`style_image` needs the arbitrary-style network "
                f"(style={ARBITRARY!r}). Received: style={self.style!r}"
            )
        if network == ARBITRARY_STYLE and not self.style_images:
            raise ValueError(
                "The arbitrary-style network needs a painting: pass "
                "`style_image=`. Received: style_image=None"
            )

    def build(self):
        """The stylizer, loaded and bound to the style."""
        # The package, not its `stylizer` module: importing it registers
        # every family, so the preset's network picks its stylizer class.
        from keras_style.inference import Stylizer

        preset_dir, name = self.fetch()
        stylizer = Stylizer.from_preset_dir(
            preset_dir,
            name=name,
            dtype=self.dtype,
            runtime=self.runtime,
            cache_dir=self.cache_dir,
        )
        _, styles = split_style(self.style)
        if styles is not None:
            return stylizer.with_style(styles)
        if self.style_images:
            return stylizer.with_style(
                list(self.style_images), self.style_weights, self.style_size
            )
        return stylizer


def output_name(relative, kind):
    """The output's relative name: the input's, as `stylize_folder` names it
    (`.mp4` appended to a video name FFmpeg cannot write)."""
    if kind == "video":
        from keras_style.video.writer import check_output_path

        try:
            check_output_path(relative)
        except ValueError:
            return relative + ".mp4"
    return relative


def kind_of(relative):
    """`"image"` or `"video"` by the name, or None for other files."""
    from keras_style.image import IMAGE_EXTENSIONS

    suffix = posixpath.splitext(relative)[1].lower()
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    return None


def probe(batch, *, source):
    """Adds each image's pixel size (`height`, `width`; 0 when unreadable),
    reading only the header, so that the run can sort images by size."""
    from PIL import Image

    heights, widths = [], []
    for relative in batch["input"]:
        try:
            with source.open(str(relative)) as f, Image.open(f) as image:
                width, height = image.size
        except Exception:  # reported by the worker that tries to stylize it
            width = height = 0
        heights.append(height)
        widths.append(width)
    batch["height"] = np.asarray(heights, np.int64)
    batch["width"] = np.asarray(widths, np.int64)
    return batch


class StylizeWorker:
    """Ray Data's callable class: one stylizer per actor, batches of files.

    Each call stylizes the batch's files into `output`, records the batch in
    the run's manifest, and returns one row per file: `input`, `output`,
    `status` (`"written"` or `"failed"`) and `reason`.
    """

    def __init__(self, spec, source, output, run_key):
        self.stylizer = spec.build()
        self.options = dict(spec.options)
        self.video_options = {**spec.options, **spec.video_options}
        self.source, self.output, self.run_key = source, output, run_key

    def __call__(self, batch):
        from keras_style.distributed import manifest

        inputs = [str(r) for r in batch["input"]]
        kinds = [str(k) for k in batch["kind"]]
        pixels = batch.get("image")  # a Ray Dataset of decoded images
        images = {
            r: (None if pixels is None else pixels[i])
            for i, (r, k) in enumerate(zip(inputs, kinds))
            if k == "image"
        }
        rows = self._images(images) if images else {}
        for relative, kind in zip(inputs, kinds):
            if kind == "video":
                rows[relative] = self._video(relative)
        written = [out for out, status, _ in rows.values() if status == "written"]
        manifest.record(self.output, self.run_key, written)
        return {
            "input": np.asarray(inputs, object),
            "output": np.asarray([rows[r][0] for r in inputs], object),
            "status": np.asarray([rows[r][1] for r in inputs], object),
            "reason": np.asarray([rows[r][2] for r in inputs], object),
        }

    def _images(self, images):
        """`{input: (output, status, reason)}` for `{input: pixels or None}`
        (None: read the file from the source)."""
        from keras_style.image import load_image_with_alpha

        rows, loaded = {}, {}
        for relative, pixels in images.items():
            try:
                if pixels is not None:
                    rgb, alpha = load_image_with_alpha(pixels, name="image")
                else:
                    with self.source.local_input(relative) as path:
                        rgb, alpha = load_image_with_alpha(path, name="input")
            except (ValueError, OSError) as e:
                rows[relative] = (relative, "failed", str(e))
            else:
                loaded[relative] = rgb if alpha is None else np.dstack([rgb, alpha])
        names = list(loaded)
        if not names:
            return rows
        try:
            # One call: same-sized images share network passes.
            results = self.stylizer.stylize([loaded[n] for n in names], **self.options)
        except ValueError:
            # One image is unusable (e.g. too small): stylize them one by one.
            results = []
            for relative in names:
                try:
                    results.append(
                        self.stylizer.stylize(loaded[relative], **self.options)
                    )
                except ValueError as e:
                    results.append(e)
        for relative, result in zip(names, results):
            if isinstance(result, Exception):
                rows[relative] = (relative, "failed", str(result))
                continue
            rows[relative] = self._write(relative, result)
        return rows

    def _write(self, relative, image):
        from keras_style.image import save_image

        suffix = posixpath.splitext(relative)[1]
        try:
            with self.output.output(relative, suffix=suffix) as path:
                save_image(image, path, name="output")
        except (ValueError, OSError) as e:
            return (relative, "failed", f"could not write {relative}: {e}")
        return (relative, "written", "")

    def _video(self, relative):
        target = output_name(relative, "video")
        suffix = posixpath.splitext(target)[1]
        try:
            with (
                self.source.local_input(relative) as src,
                self.output.output(target, suffix=suffix) as dst,
            ):
                self.stylizer.stylize_video(src, dst, verbose=0, **self.video_options)
        except (ValueError, OSError, ImportError) as e:
            return (target, "failed", str(e))
        return (target, "written", "")

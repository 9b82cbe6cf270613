"""What the web app does, without the page: styles, photos, Gatys, video and
webcam frames, on top of the public API (`zoo.load`, `Stylizer`,
`stylize_optimize`, `FlowStabilizer`).

Kept apart from Gradio so that it can be tested, and reused, on its own;
`keras_style.app.page` only lays these functions out.
"""

import collections
import contextlib
import pathlib
import queue
import threading
import time

import numpy as np

from keras_style import zoo
from keras_style.image import load_image
from keras_style.presets.names import ARBITRARY, split_style

# Most pixels along the longest side of a Photo-tab result: larger photos are
# stylized at this size and scaled back up (`Stylizer.stylize(max_size=)`).
OUTPUT_SIZES = (256, 512, 1024, 2048)
DEFAULT_OUTPUT_SIZE = 1024
# Longest side webcam frames are stylized at (then scaled back to the
# camera's size): a quarter of 640x480's pixels, for a live frame rate on a
# laptop CPU.
WEBCAM_SIZE = 320
# Styles and paintings kept ready (their style vectors; each network is
# loaded once whatever this says).
MAX_BOUND_STYLES = 64
# The styles listed first, in this order.
HEADLINE_STYLES = ("wave", "rain_princess")


class StyleEngine:
    """The app's work, one instance per served page.

    Args:
        runtime: what runs the fixed-style networks: `"auto"` (default: ONNX
            Runtime when the `export` extra is installed, else Keras),
            `"keras"`, `"onnx"` or `"litert"`, as `Stylizer`.
        cache_dir: keras-style cache root (presets and exported runtimes).
        vgg_weights: VGG19 weights of the Gatys tab: `"imagenet"` (default),
            a weights file, or `None` (random weights; for tests only).

    Example:

    >>> engine = StyleEngine()
    >>> engine.stylize_photo("photo.jpg", "wave").size
    (640, 480)
    """

    def __init__(self, runtime="auto", cache_dir=None, vgg_weights="imagenet"):
        self.runtime = runtime
        self.cache_dir = cache_dir
        self.vgg_weights = vgg_weights
        self._presets = {}  # preset name -> loaded Stylizer
        # (style, painting) -> Stylizer bound to it; the least recently used
        # go first, as every uploaded painting adds one.
        self._bound = collections.OrderedDict()
        # Running Gatys optimizations: their stop events and threads (`close`).
        self._running = {}
        # Loading a preset (and exporting it once) must happen once even when
        # two browser tabs ask for it at the same moment.
        self._lock = threading.Lock()

    # --- styles --------------------------------------------------------------

    def styles(self):
        """The `--style` names the page offers: every style that loads offline.

        Styles that would need a download first (`zoo.source` says
        "hub" or "upstream") are left out; `keras-style zoo download NAME`
        adds them. The arbitrary network is not a name here: the page takes
        a painting for it.
        """
        names = []

        # The pretrained photo networks first (the page's default is the
        # first), then the many styles of the multi-style networks.
        def order(name):
            return HEADLINE_STYLES.index(name) if name in HEADLINE_STYLES else 99

        for name in sorted(zoo.available(), key=order):
            entry = zoo.get_style(name)
            if zoo.source(name, cache_dir=self.cache_dir) not in ("embedded", "cache"):
                continue
            if entry.styles > 1:
                names += [f"{name}:{i}" for i in range(entry.styles)]
            elif entry.styles == 1:
                names.append(name)
        return names

    def stylizer(self, style, painting=None):
        """A loaded `Stylizer` bound to `style` (or to `painting`), cached."""
        key = (style, None if painting is None else str(painting))
        with self._lock:
            if key not in self._bound:
                self._bound[key] = self._load(style, painting)
                while len(self._bound) > MAX_BOUND_STYLES:
                    self._bound.popitem(last=False)
            self._bound.move_to_end(key)
            return self._bound[key]

    def _load(self, style, painting):
        if painting is not None:
            loaded = self._preset(ARBITRARY)
            return loaded.with_style([painting])
        if not isinstance(style, str) or not style:
            raise ValueError(f"Choose a style. Received: style={style!r}")
        preset, styles = split_style(style)
        loaded = self._preset(preset)
        if styles is not None:
            return loaded.with_style(styles)
        if "MultiStyleNet" in loaded.network_classes:
            raise ValueError(
                f"{preset!r} holds several styles: choose one such as "
                f"{preset}:0. Received: style={style!r}"
            )
        return loaded

    def _preset(self, preset):
        if preset not in self._presets:
            self._presets[preset] = zoo.load(
                preset, cache_dir=self.cache_dir, runtime=self.runtime
            )
        return self._presets[preset]

    # --- Photo tab -------------------------------------------------------------

    def stylize_photo(
        self,
        photo,
        style,
        strength=1.0,
        preserve_colors=False,
        output_size=DEFAULT_OUTPUT_SIZE,
        painting=None,
    ):
        """One photo in one style, as `Stylizer.stylize` (a `PIL.Image`).

        `painting` (a path) uses the arbitrary-style network instead of
        `style`. `output_size` caps the longest side the network runs at;
        the result keeps the photo's size.
        """
        if photo is None:
            raise ValueError("Upload a photo first. Received: no photo")
        stylizer = self.stylizer(style, painting)
        return stylizer.stylize(
            photo,
            strength=float(strength),
            preserve_colors=bool(preserve_colors),
            max_size=None if output_size is None else int(output_size),
        )

    def previews(self, photo, size=128):
        """`[(image, style name)]`: the photo, small, in every offline style."""
        if photo is None:
            raise ValueError("Upload a photo first. Received: no photo")
        small = load_image(photo, max_size=size)
        return [(self.stylizer(name).stylize(small), name) for name in self.styles()]

    # --- Gatys tab ---------------------------------------------------------------

    def gatys(self, photo, painting, iterations=100, size=384, every=10, stop=None):
        """Yields `(image, iteration)` while Gatys optimization runs.

        Runs `stylize_optimize` in a thread and hands an intermediate image
        out every `every` iterations and at the end. Setting the `stop`
        event (or closing the generator, as Gradio does when the user
        cancels) ends the optimization at its next iteration.
        """
        from keras_style.optimize import stylize_optimize

        if photo is None or painting is None:
            raise ValueError(
                "Gatys needs a photo and a painting. "
                f"Received: photo={photo!r}, painting={painting!r}"
            )
        iterations, size, every = int(iterations), int(size), max(1, int(every))
        stop = stop or threading.Event()
        images = queue.Queue()
        failure = []

        def callback(iteration, image, losses):
            if iteration % every == 0 or iteration == iterations:
                images.put((np.clip(image, 0, 255).astype(np.uint8), iteration))
            return not stop.is_set()

        def work():
            try:
                stylize_optimize(
                    photo,
                    painting,
                    size=size,
                    iterations=iterations,
                    vgg_weights=self.vgg_weights,
                    callback=callback,
                    verbose=0,
                )
            except Exception as e:  # handed to the caller's thread
                failure.append(e)
            finally:
                images.put(None)

        worker = threading.Thread(target=work, daemon=True)
        self._running[worker] = stop
        worker.start()
        try:
            while (item := images.get()) is not None:
                yield item
        finally:
            stop.set()
            worker.join()
            self._running.pop(worker, None)
        if failure:
            raise failure[0]

    def close(self):
        """Stops every running Gatys optimization and waits for it (a thread
        left running in a framework at interpreter exit can crash it)."""
        for worker, stop in list(self._running.items()):
            stop.set()
            worker.join()

    # --- Video tab -----------------------------------------------------------------

    def stylize_video(
        self, video, style, output, painting=None, max_size=640, progress=None
    ):
        """Stylizes a clip into `output`, keeping its sound, steadied by
        optical flow (`keras_style.video.stylize_video`).

        `progress(done, total)` is called after each frame (`total` is None
        when the container does not say).
        """
        if video is None:
            raise ValueError("Upload a video first. Received: no video")
        return self.stylizer(style, painting).stylize_video(
            video, output, consistency="flow", max_size=max_size, progress=progress
        )

    # --- Webcam tab -------------------------------------------------------------

    def webcam(self, max_size=WEBCAM_SIZE):
        """A `WebcamSession` for one browser tab's stream."""
        return WebcamSession(self, max_size=max_size)


class WebcamSession:
    """Stylizes one camera stream frame by frame, steadied by optical flow.

    Keeps the flow history (a `FlowStabilizer`) and a frames-per-second
    meter; a change of style starts the history afresh.

    Example:

    >>> session = StyleEngine().webcam()
    >>> styled, fps = session(frame, "wave")  # frame: (H, W, 3) uint8
    """

    def __init__(self, engine, max_size=WEBCAM_SIZE):
        from keras_style.video.consistency import FlowStabilizer

        self.engine = engine
        self.max_size = max_size
        self.stabilizer = FlowStabilizer(preset="ultrafast")
        self.style = None
        self._times = []

    def __call__(self, frame, style, painting=None):
        """`(stylized uint8 frame, frames per second over the last 2 s)`."""
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[-1] not in (3, 4):
            raise ValueError(
                "A webcam frame must be an (H, W, 3) RGB image. "
                f"Received: frame with shape {frame.shape}"
            )
        frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
        key = (style, painting)
        if key != self.style:
            self.stabilizer.reset()
            self.style = key
        stylizer = self.engine.stylizer(style, painting)
        styled = stylizer.stylize(frame, max_size=self.max_size)
        styled = np.asarray(styled, np.float32)
        out = self.stabilizer(frame, styled)
        now = time.perf_counter()
        self._times = [t for t in self._times if now - t < 2.0] + [now]
        span = self._times[-1] - self._times[0]
        fps = (len(self._times) - 1) / span if span > 0 else 0.0
        return np.clip(out + 0.5, 0, 255).astype(np.uint8), fps


def temporary_output(folder, suffix, max_age):
    """A fresh file name under `folder` for a result handed to Gradio.

    Gradio copies a returned file into its own cache (which it cleans), so
    the file here is needed only until then: results older than `max_age`
    seconds are deleted first, and the folder itself when the page closes.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.iterdir():
        with contextlib.suppress(OSError):  # another request may remove it too
            if now - old.stat().st_mtime > max_age:
                old.unlink()
    return folder / f"stylized-{time.time_ns()}{suffix}"

"""Per-iteration bookkeeping (progress bar, loss history, snapshots, callback)
and the `StylizeResult` it adds up to."""

import dataclasses
import pathlib

import numpy as np
from keras import ops

from keras_style import image as image_lib
from keras_style.utils import colors
from keras_style.utils.checks import check_positive_int
from keras_style.utils.progbar import Progbar


@dataclasses.dataclass
class StylizeResult:
    """What `stylize_optimize` / `GatysStyleTransfer.run` return.

    Attributes:
        image: the stylized image, float32 numpy array `(H, W, 3)` in 0..255.
        history: one dict per iteration (all scales, in order) with the
            weighted loss terms `"total"`, `"content"`, `"style"` and `"tv"`
            (`total == content + style + tv`), measured at the image the
            iteration started from (Adam) or ended at (L-BFGS).
        evaluations: cumulative count of loss-and-gradient evaluations after
            each iteration (L-BFGS line searches may take more than one).
        stopped_early: `True` when the `callback` returned `False`.
        message: why the last optimization stage stopped.
    """

    image: np.ndarray
    history: list
    evaluations: list
    stopped_early: bool = False
    message: str = ""


def check_monitoring(save_every, save_path, callback):
    """Checks `Monitor`'s snapshot and callback arguments; returns `save_every`.

    Example:

    >>> check_monitoring(10, "step_{iteration}.png", None)
    10
    """
    if save_every is not None:
        save_every = check_positive_int(save_every, "save_every")
        if save_path is None:
            raise ValueError(
                "`save_every` needs `save_path` to know where to write. "
                f"Received: save_every={save_every}, save_path=None"
            )
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable. Received: callback={callback!r}")
    return save_every


class Monitor:
    """Per-iteration bookkeeping shared by all optimizers.

    `verbose`: 0 silent; 1 a progress bar per scale; 2 plain lines (for logs),
    one every few seconds and one at the end of each scale.
    """

    def __init__(self, loss, verbose, save_every, save_path, callback, gray):
        save_every = check_monitoring(save_every, save_path, callback)
        self.loss = loss
        self.verbose = verbose
        self.save_every = save_every
        self.save_path = None if save_path is None else str(save_path)
        self.callback = callback
        self.gray = gray
        self.history = []
        self.evaluations = []
        self.evaluations_so_far = 0
        self.iteration = 0
        self.stopped = False
        self.message = ""
        self.progbar = None
        self.content_full = self.content = None
        self.side = self.shape = None
        self.stage_step = 0

    def start_stage(self, index, count, shape, steps, optimizer, content):
        self.side = max(shape)
        self.content_full = content
        self.content = None  # resized lazily, only when an image is shown
        self.shape = shape
        self.stage_step = 0
        self.progbar = None
        if self.verbose:
            name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__
            print(
                f"Scale {index + 1}/{count}: {shape[1]}x{shape[0]} px, "
                f"{steps} iterations ({name})",
                flush=True,
            )
            self.progbar = Progbar(
                steps,
                verbose=self.verbose,
                stateful_metrics=["total", "content", "style", "tv"],
            )

    def display(self, image):
        """The optimization variable as the user sees it (colours restored)."""
        image = np.clip(np.asarray(image, np.float32), 0, 255)
        if not self.gray:
            return image
        if self.content is None:
            self.content = image_lib.resize(self.content_full, *self.shape)
        return colors.transfer_luminance(self.content, image)

    def step(self, parts, get_image):
        """Records one iteration; returns False to stop."""
        self.iteration += 1
        weights = (
            self.loss.content_weight,
            self.loss.style_weight,
            self.loss.tv_weight,
        )
        values = [
            float(ops.convert_to_numpy(parts[k])) for k in ("content", "style", "tv")
        ]
        losses = dict(
            zip(("content", "style", "tv"), (w * v for w, v in zip(weights, values)))
        )
        losses = {"total": sum(losses.values()), **losses}
        self.history.append(losses)
        self.evaluations.append(self.evaluations_so_far)
        self.stage_step += 1
        if self.progbar is not None:
            self.progbar.update(self.stage_step, list(losses.items()))
        image = None
        if self.save_every and self.iteration % self.save_every == 0:
            image = self.display(get_image())
            image_lib.save_image(image, self._snapshot_path())
        if self.callback is not None:
            if image is None:
                image = self.display(get_image())
            if self.callback(self.iteration, image, dict(losses)) is False:
                self.stopped = True
                self.message = (
                    f"STOP: callback returned False at iteration {self.iteration}"
                )
                if self.progbar is not None and self.verbose == 1:
                    print(flush=True)  # end the unfinished bar's line
                elif self.progbar is not None:
                    self.progbar.update(self.stage_step, finalize=True)
                return False
        return True

    def result(self, image):
        """The `StylizeResult` of the run, `image` being its last iterate."""
        return StylizeResult(
            image=self.display(image),
            history=self.history,
            evaluations=self.evaluations,
            stopped_early=self.stopped,
            message=self.message,
        )

    def _snapshot_path(self):
        path = self.save_path
        if "{" not in path:
            p = pathlib.Path(path)
            return p.with_name(f"{p.stem}_{self.iteration:04d}{p.suffix}")
        return pathlib.Path(path.format(iteration=self.iteration, size=self.side))

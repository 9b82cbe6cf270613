"""Callbacks for training style networks: previews, exact resume, NaN guard.

- `StylePreview` stylizes fixed photos every N steps into a PNG grid (and
  TensorBoard when available).
- `StepBackupAndRestore` (from `keras_style.training.backup_and_restore`) backs up
  atomically and resumes at the exact step of the last backup, mid-epoch
  included, so a run killed at any moment ends after the same number of steps.
- `StopOnNaN` stops training on a NaN/Inf loss with a message naming the
  likely cause.
- `StepLossLog` writes the losses of every step to a CSV file that a resumed
  run continues.
"""

import csv
import logging
import math
import os
import pathlib
import tempfile

import keras
import numpy as np

from keras_style.image import load_image, resize, save_image

# Re-exported: the backup callback has its own module.
from keras_style.training.backup_and_restore import StepBackupAndRestore
from keras_style.utils.checks import check_positive_int

__all__ = ["StepBackupAndRestore", "StepLossLog", "StopOnNaN", "StylePreview"]

logger = logging.getLogger(__name__)


class _StepCounter(keras.callbacks.Callback):
    """Counts optimizer steps across epochs and resumed runs.

    Reads `optimizer.iterations` once at the start of training (touching the
    model every batch would force a JAX state sync each step).
    """

    def __init__(self):
        super().__init__()
        self.step = 0
        self._epoch_start = 0

    def on_train_begin(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and optimizer.built:
            self.step = int(keras.ops.convert_to_numpy(optimizer.iterations))
        self._epoch_start = self.step

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self.step

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last step of the call (steps_per_execution aware).
        self.step = self._epoch_start + batch + 1


def _grid(rows, height):
    """Stacks rows of images, each resized to `height`, into one array."""
    lines = []
    for row in rows:
        tiles = []
        for image in row:
            h, w = image.shape[:2]
            width = max(1, round(w * height / h))
            tiles.append(resize(np.clip(image, 0, 255), height, width))
        lines.append(np.concatenate(tiles, axis=1))
    width = max(line.shape[1] for line in lines)
    lines = [
        np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0))) for line in lines
    ]
    return np.concatenate(lines, axis=0)


class StylePreview(_StepCounter):
    """Stylizes fixed sample images every `every_n_steps` steps.

    Each preview is a PNG grid (one row per sample: photo, stylized) written
    atomically to `output_dir/preview_{step:07d}.png`; with `log_dir`, the
    grid is also logged as a TensorBoard image (needs TensorFlow; skipped with
    a warning otherwise).

    Args:
        images: sample photos (paths, PIL images or arrays).
        every_n_steps: preview interval in optimizer steps.
        output_dir: folder for the PNG grids; `None` writes none.
        log_dir: TensorBoard log folder; `None` logs nothing.
        image_size: longest side the samples are resized to before
            stylizing.
        at_train_end: also write a preview when training ends.

    Example:

    >>> preview = StylePreview(["amber.jpg"], every_n_steps=500,
    ...                        output_dir="out/previews")
    >>> model.fit(dataset, steps_per_epoch=1000, callbacks=[preview])
    """

    def __init__(
        self,
        images,
        every_n_steps=500,
        output_dir=None,
        log_dir=None,
        image_size=256,
        at_train_end=True,
    ):
        super().__init__()
        if isinstance(images, (str, os.PathLike)) or hasattr(images, "shape"):
            images = [images]
        self.images = [
            load_image(img, name=f"images[{i}]", max_size=image_size)
            for i, img in enumerate(images)
        ]
        if not self.images:
            raise ValueError(f"`images` must not be empty. Received: images={images!r}")
        self.every_n_steps = check_positive_int(every_n_steps, "every_n_steps")
        self.output_dir = pathlib.Path(output_dir) if output_dir else None
        self.log_dir = str(log_dir) if log_dir else None
        self.image_size = image_size
        self.at_train_end = at_train_end
        self._writer = None
        self._last = None
        self.written = []

    def stylize(self):
        """Returns the stylized samples (float32 arrays in 0..255)."""
        return [
            np.clip(
                keras.ops.convert_to_numpy(self.model(img[None], training=False))[0],
                0,
                255,
            )
            for img in self.images
        ]

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step % self.every_n_steps == 0:
            self.preview(self.step)

    def on_train_end(self, logs=None):
        if self.at_train_end and self._last != self.step:
            self.preview(self.step)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def preview(self, step):
        """Writes the preview of `step` (PNG and/or TensorBoard)."""
        self._last = step
        outputs = self.stylize()
        grid = _grid(list(zip(self.images, outputs)), self.image_size)
        if self.output_dir is not None:
            path = save_image(grid, self.output_dir / f"preview_{step:07d}.png")
            self.written.append(path)
        if self.log_dir is not None:
            self._log_tensorboard(grid, step)
        return grid

    def _log_tensorboard(self, grid, step):
        try:
            import tensorboard  # noqa: F401  (tf.summary.image needs it)
            import tensorflow as tf
        except ImportError:
            logger.warning(
                "TensorFlow and TensorBoard are needed for TensorBoard previews; "
                "PNG previews only. Received: log_dir=%r",
                self.log_dir,
            )
            self.log_dir = None
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            tf.summary.image("style_preview", grid[None] / 255.0, step=step)
        self._writer.flush()


_NAN_CAUSES = {
    "style_loss": "the style weight is too large for this learning rate",
    "content_loss": "the content weight is too large for this learning rate",
    "tv_loss": "the total-variation weight is too large",
}


class StopOnNaN(keras.callbacks.TerminateOnNaN):
    """Stops training on a NaN/Inf loss and says what probably caused it.

    Raises a `FloatingPointError` naming the step, the last finite loss, the
    loss term that diverged and the usual causes: learning rate too high, a
    loss weight too large, float16 overflow, or a corrupt/extreme input image.
    Raising (rather than only stopping) keeps other callbacks from saving the
    diverged weights at `on_train_end`; resume from the last backup after
    changing the setting.

    Example:

    >>> model.fit(dataset, steps_per_epoch=100, callbacks=[StopOnNaN()])
    """

    def __init__(self):
        super().__init__(raise_error=True)
        self._finite = None
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None:
            return
        if math.isfinite(float(loss)):
            self._finite = float(loss)
            return
        bad = [
            k for k in _NAN_CAUSES if k in logs and not math.isfinite(float(logs[k]))
        ]
        causes = [_NAN_CAUSES[k] for k in bad]
        causes += [
            "the learning rate is too high (try half of it)",
            "float16 overflow under `mixed_float16` (use `mixed_bfloat16` or float32)",
            "a corrupt or extreme input image in the data set",
        ]
        raise FloatingPointError(
            f"Training diverged: loss is {loss} at epoch "
            f"{getattr(self, '_epoch', 0) + 1}, batch {batch + 1}"
            + (f" (non-finite terms: {', '.join(bad)})" if bad else "")
            + f"; last finite loss {self._finite}. Likely causes: "
            + "; ".join(causes)
            + ". Resume from the last backup after changing the setting."
        )


class StepLossLog(_StepCounter):
    """Appends the losses of every training step to a CSV file.

    Keras' `CSVLogger` writes one row per epoch; a loss curve of a style
    network needs steps. Columns: `step` (the global optimizer step, counted
    across epochs and resumed runs), then `loss` and the other logged values
    (`content_loss`, `style_loss`, `tv_loss` for perceptual training).

    A resumed run continues the same file: rows after the step training
    resumes from (written after the last backup of an interrupted run, or a
    half-written last line) are dropped first, so every step appears once.
    Place it after `StepBackupAndRestore` in the callback list, so the
    restored step is known when training begins. Rows are flushed as they
    are written.

    Args:
        filename: path of the CSV file.
        every_n_steps: write every N-th step.

    Example:

    >>> log = StepLossLog("out.ckpt/losses.csv")
    >>> model.fit(dataset, steps_per_epoch=1000, epochs=40,
    ...           callbacks=[StepBackupAndRestore("out.ckpt/backup"), log])
    """

    def __init__(self, filename, every_n_steps=1):
        super().__init__()
        self.filename = pathlib.Path(filename)
        self.every_n_steps = check_positive_int(every_n_steps, "every_n_steps")
        self._file = None
        self._writer = None
        self._columns = None

    def _read_rows(self, up_to_step):
        """Header and complete rows with `step <= up_to_step` of the file."""
        if not self.filename.is_file():
            return None, []
        with open(self.filename, newline="") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] != "":
            lines = lines[:-1]  # half-written last line of a killed run
        rows = list(csv.reader(line for line in lines if line))
        if not rows or not rows[0] or rows[0][0] != "step":
            return None, []
        header, kept = rows[0], []
        for row in rows[1:]:
            try:
                step = int(row[0])
            except (ValueError, IndexError):
                continue
            if len(row) == len(header) and step <= up_to_step:
                kept.append(row)
        return header, kept

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        header, rows = self._read_rows(self.step)
        self._columns = header
        self.filename.parent.mkdir(parents=True, exist_ok=True)
        if header is not None:
            # Rewrite atomically without the rows this run will train again.
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.filename.name}.", dir=self.filename.parent
            )
            with os.fdopen(fd, "w", newline="") as f:
                csv.writer(f, lineterminator="\n").writerows([header, *rows])
            os.replace(tmp, self.filename)
        # Open for the whole run: one flushed row per step.
        self._file = open(self.filename, "a", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, lineterminator="\n")

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self._writer is None or self.step % self.every_n_steps:
            return
        logs = logs or {}
        if self._columns is None:
            keys = sorted(logs, key=lambda k: (k != "loss", k))
            self._columns = ["step", *keys]
            self._writer.writerow(self._columns)
        values = [self.step]
        for key in self._columns[1:]:
            value = logs.get(key)
            values.append("" if value is None else repr(float(value)))
        self._writer.writerow(values)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None

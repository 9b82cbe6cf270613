"""Backups that let an interrupted `fit` resume at the exact step.

`StepBackupAndRestore` keeps its own state and files (the layout of Keras'
`BackupAndRestore`, so either reads the other's backups) and touches one
private Keras attribute, isolated in `_resume_fit_at_epoch`.
"""

import json
import logging
import math
import os
import shutil
import tempfile

import keras

from keras_style.utils.checks import check_positive_int

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "latest.weights.h5"
METADATA_FILE = "training_metadata.json"
PREVIOUS = ".bkp"  # suffix of the previous backup (`double_checkpoint`)


def _resume_fit_at_epoch(model, epoch):
    """Make the running `fit` of `model` start at `epoch`.

    The one private Keras attribute in the package: `fit` reads
    `model._initial_epoch` after `on_train_begin` in place of its
    `initial_epoch` argument, and Keras' own `BackupAndRestore` resumes by
    setting it; there is no public way for a callback to do the same.
    tests/test_callbacks.py fails if Keras stops honouring it.
    """
    model._initial_epoch = epoch


class StepBackupAndRestore(keras.callbacks.Callback):
    """Backs up training and resumes it at the exact step, atomically.

    Keras' `BackupAndRestore` restores weights and optimizer state but
    restarts the interrupted epoch from its first batch, so a run resumed
    mid-epoch trains more steps than an uninterrupted one. This callback
    records the global step and, on resume, ends the first (partial) epoch
    after its remaining steps: the run finishes after exactly
    `epochs * steps_per_epoch` optimizer steps, as if never interrupted.
    Backups are written to temporary files and renamed, the previous backup
    is kept as a fallback (`double_checkpoint=True`), and a non-finite loss is
    never backed up. The data order after a resume is a fresh pass of the
    dataset.

    Exact resume needs a known `steps_per_epoch` (always the case with the
    repeating `image_dataset`); otherwise the interrupted epoch restarts.

    Args:
        backup_dir: folder for the backup (used by nothing else).
        save_freq: `"epoch"`, or a number of steps: a backup is taken each
            time the global step passes a multiple of it.
        double_checkpoint: keep the previous backup as a fallback.
        delete_checkpoint: delete the backup when `fit` completes.

    Example:

    >>> backup = StepBackupAndRestore("out.ckpt/backup", save_freq=500)
    >>> model.fit(dataset, steps_per_epoch=1000, epochs=40, callbacks=[backup])
    >>> # killed? run the same two lines again: training continues.
    """

    def __init__(
        self,
        backup_dir,
        save_freq=500,
        double_checkpoint=True,
        delete_checkpoint=True,
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"`backup_dir` must be a folder. Received: backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch":
            check_positive_int(save_freq, "save_freq")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights = os.path.join(self.backup_dir, WEIGHTS_FILE)
        self._metadata = os.path.join(self.backup_dir, METADATA_FILE)
        self._step = 0  # global optimizer step
        self._epoch = 0  # the epoch running, or the next one after it ends
        self._epoch_start = 0
        self._partial_steps = None
        self._ended_early = False
        self._last_loss = None
        self.restored_step = None

    def on_train_begin(self, logs=None):
        self._partial_steps = None
        self.restored_step = None
        try:
            meta = self._restore()
        except OSError:
            # A damaged latest backup (e.g. killed while the disk was full):
            # fall back to the previous one.
            if not os.path.exists(self._weights + PREVIOUS):
                raise
            for path in (self._weights, self._metadata):
                if os.path.exists(path + PREVIOUS):
                    shutil.copyfile(path + PREVIOUS, path)
                elif os.path.exists(path):
                    os.remove(path)
            meta = self._restore()
        self._step = 0
        if meta is None:
            return
        steps = self.params.get("steps") if self.params else None
        step = meta.get("step")
        self.restored_step = step
        if step is None or not steps:
            # A backup without steps: restart the interrupted epoch (Keras').
            self._epoch = int(meta.get("epoch", 0))
            self._step = self._epoch * (steps or 0)
        else:
            self._step = int(step)
            self._epoch, done = divmod(self._step, steps)
            if done:
                self._partial_steps = steps - done
        _resume_fit_at_epoch(self.model, self._epoch)

    def _restore(self):
        """Loads the backed-up weights and optimizer; returns the metadata."""
        if not self.model.built:
            raise ValueError(
                "StepBackupAndRestore needs a built model: build it (or call it "
                f"on a batch) before `fit`. Received: model={self.model.name!r}"
            )
        if os.path.exists(self._weights):
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and not optimizer.built:
                optimizer.build(self.model.trainable_variables)
            self.model.load_weights(self._weights)
        if not os.path.exists(self._metadata):
            return None
        with open(self._metadata) as f:
            return json.load(f)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._step
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last step of the call (steps_per_execution aware).
        previous, self._step = self._step, self._epoch_start + batch + 1
        self._last_loss = (logs or {}).get("loss")
        if self.save_freq != "epoch" and (
            self._step // self.save_freq > previous // self.save_freq
        ):
            self._save_model()
        if self._partial_steps is not None and batch + 1 >= self._partial_steps:
            # End the resumed epoch here; `on_epoch_end` lets training go on.
            self._partial_steps = None
            self._ended_early = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self._ended_early:
            self._ended_early = False
            self.model.stop_training = False
        self._last_loss = (logs or {}).get("loss", self._last_loss)
        self._epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save_model()

    def _save_model(self):
        if self._last_loss is not None and not math.isfinite(float(self._last_loss)):
            logger.warning("Loss is not finite at step %d: not backed up.", self._step)
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        fd, tmp_weights = tempfile.mkstemp(
            prefix=".latest.", suffix=".weights.h5", dir=self.backup_dir
        )
        os.close(fd)
        tmp_meta = tmp_weights + ".json"
        try:
            self.model.save_weights(tmp_weights, overwrite=True)
            meta = {
                "epoch": self._epoch,
                "batch": self._step - self._epoch_start,
                "step": self._step,
            }
            with open(tmp_meta, "w") as f:
                json.dump(meta, f)
            if self.double_checkpoint and os.path.exists(self._weights):
                os.replace(self._weights, self._weights + PREVIOUS)
                if os.path.exists(self._metadata):
                    os.replace(self._metadata, self._metadata + PREVIOUS)
            # Weights first: metadata never points past the weights on disk.
            os.replace(tmp_weights, self._weights)
            os.replace(tmp_meta, self._metadata)
        finally:
            for leftover in (tmp_weights, tmp_meta):
                if os.path.exists(leftover):
                    os.remove(leftover)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)

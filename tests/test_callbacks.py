"""Callbacks: previews, exact resume after an interruption, NaN guard, loss log."""

import json
import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_style.models.transform_net import TransformNet
from keras_style.training.callbacks import (
    StepBackupAndRestore,
    StepLossLog,
    StopOnNaN,
    StylePreview,
)

# JAX compiles each new shape with full XLA optimisation, which dominates these
# tiny tests (about 1 s per shape on 2 cores); level 0 compiles ~20x faster.
# Set before JAX's first computation, by whichever of test_layers.py and
# test_callbacks.py is collected first (conftest.py would be the better home).
if keras.backend.backend() == "jax" and "xla_backend_optimization_level" not in (
    os.environ.get("XLA_FLAGS", "")
):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0"
    ).strip()


# Tracing costs more than these tiny steps on TensorFlow.
EAGER = keras.backend.backend() == "tensorflow"


class Interrupt(keras.callbacks.Callback):
    """Simulates a crash after `at_step` optimizer steps of this `fit` call."""

    def __init__(self, at_step):
        super().__init__()
        self.at_step = at_step
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at_step:
            raise KeyboardInterrupt("simulated kill")


class Recorder(keras.callbacks.Callback):
    """Weights at train begin, at every `every`-th step, and steps run."""

    def __init__(self, every=None):
        super().__init__()
        self.every = every
        self.steps = 0
        self.at_begin = None
        self.snapshots = {}

    def on_train_begin(self, logs=None):
        self.at_begin = [np.array(w) for w in self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.every:
            step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
            if step % self.every == 0:
                self.snapshots[step] = [np.array(w) for w in self.model.get_weights()]


def _dense_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(1e-2), loss="mse", run_eagerly=EAGER)
    return model


def _iterations(model):
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


@pytest.mark.parametrize("crash_at", [7, 12, 25])
@pytest.mark.slow
def test_interrupted_fit_resumes_to_the_same_final_step(tmp_path, rng, crash_at):
    x = rng.normal(size=(24, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    epochs, steps = 3, 12  # 24 samples / batch 2
    backup_dir = tmp_path / "backup"

    reference = _dense_model(0)
    reference.fit(x, y, batch_size=2, epochs=epochs, verbose=0)
    assert _iterations(reference) == epochs * steps

    first = _dense_model(1)
    recorder = Recorder(every=5)
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            x,
            y,
            batch_size=2,
            epochs=epochs,
            verbose=0,
            callbacks=[
                StepBackupAndRestore(backup_dir, save_freq=5),
                recorder,
                Interrupt(crash_at),
            ],
        )
    last_saved = (crash_at // 5) * 5
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    assert meta["step"] == last_saved

    # A fresh process: new model with other initial weights, same callbacks.
    second = _dense_model(2)
    resumed = Recorder()
    backup = StepBackupAndRestore(backup_dir, save_freq=5)
    history = second.fit(
        x, y, batch_size=2, epochs=epochs, verbose=0, callbacks=[backup, resumed]
    )
    assert backup.restored_step == last_saved
    for a, b in zip(resumed.at_begin, recorder.snapshots[last_saved]):
        np.testing.assert_array_equal(a, b)  # weights continue from the backup
    assert resumed.steps == epochs * steps - last_saved
    assert _iterations(second) == epochs * steps == _iterations(reference)
    assert len(history.history["loss"]) == epochs - last_saved // steps
    assert not backup_dir.exists()  # delete_checkpoint=True after completion


def test_backup_is_atomic_keeps_previous_and_skips_nan(tmp_path, rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = _dense_model(0)
    backup = StepBackupAndRestore(tmp_path / "b", save_freq=1, delete_checkpoint=False)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[backup])
    names = sorted(os.listdir(tmp_path / "b"))
    assert names == [
        "latest.weights.h5",
        "latest.weights.h5.bkp",
        "training_metadata.json",
        "training_metadata.json.bkp",
    ]
    assert (
        json.loads((tmp_path / "b" / "training_metadata.json").read_text())["step"] == 4
    )
    assert (
        json.loads((tmp_path / "b" / "training_metadata.json.bkp").read_text())["step"]
        == 3
    )
    backup._last_loss = float("nan")
    backup._step = 99
    backup._save_model()
    assert (
        json.loads((tmp_path / "b" / "training_metadata.json").read_text())["step"] == 4
    )


def test_damaged_backup_falls_back_to_the_previous_one(tmp_path, rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    backup_dir = tmp_path / "b"
    model = _dense_model(0)
    backup = StepBackupAndRestore(backup_dir, save_freq=1, delete_checkpoint=False)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[backup])
    (backup_dir / "latest.weights.h5").write_bytes(b"killed mid-write")

    resumed = _dense_model(1)
    backup = StepBackupAndRestore(backup_dir, save_freq=1)
    recorder = Recorder()
    resumed.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[backup, recorder])
    assert backup.restored_step == 3  # the previous backup
    assert recorder.steps == 8 - 3
    assert _iterations(resumed) == 8


def test_stop_on_nan_names_the_likely_cause(rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    y = np.full((8, 1), np.inf, "float32")
    model = _dense_model(0)
    with pytest.raises(FloatingPointError, match="learning rate") as info:
        model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[StopOnNaN()])
    assert "epoch 1, batch 1" in str(info.value)
    assert "corrupt" in str(info.value)


def test_stop_on_nan_names_the_diverging_term():
    callback = StopOnNaN()
    callback.on_batch_end(0, {"loss": 3.0, "style_loss": 2.0})
    with pytest.raises(
        FloatingPointError, match="style_loss.*style weight is too large"
    ):
        callback.on_batch_end(1, {"loss": float("inf"), "style_loss": float("inf")})


def test_style_preview_writes_grids_and_tensorboard(tmp_path, rng, caplog):
    photo = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    model = TransformNet(filters=(4, 8, 8), residual_blocks=0)
    model.compile(optimizer="adam", loss="mse", run_eagerly=EAGER)
    x = rng.uniform(0, 255, (8, 16, 16, 3)).astype("float32")
    preview = StylePreview(
        [tmp_path / "photo.png", photo[:16, :16]],
        every_n_steps=2,
        output_dir=tmp_path / "previews",
        log_dir=tmp_path / "logs",
        image_size=24,
    )
    model.fit(x, x, batch_size=2, epochs=2, verbose=0, callbacks=[preview])
    names = sorted(p.name for p in (tmp_path / "previews").iterdir())
    assert names == [f"preview_{s:07d}.png" for s in (2, 4, 6, 8)]
    grid = np.asarray(Image.open(tmp_path / "previews" / names[-1]))
    assert grid.shape[0] == 2 * 24 and grid.shape[2] == 3  # two rows of 24 px
    assert grid.shape[1] == 2 * 36  # photo (24x36) and its stylization
    try:
        import tensorboard  # noqa: F401
        import tensorflow  # noqa: F401

        assert list((tmp_path / "logs").glob("events.out.tfevents*"))
    except ImportError:  # optional: PNGs only, with a warning
        assert preview.log_dir is None


def test_style_preview_rejects_bad_arguments(rng):
    with pytest.raises(ValueError, match="Received: every_n_steps=0"):
        StylePreview([np.zeros((8, 8, 3))], every_n_steps=0)
    with pytest.raises(ValueError, match="images"):
        StylePreview([], every_n_steps=1)


def _log_rows(path):
    lines = path.read_text().split("\n")
    assert lines[-1] == ""  # every row complete
    rows = [line.split(",") for line in lines[:-1]]
    return rows[0], [int(r[0]) for r in rows[1:]], rows[1:]


def test_step_loss_log_continues_across_a_crash_without_duplicates(tmp_path, rng):
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    path = tmp_path / "ckpt" / "losses.csv"

    def callbacks():
        backup = StepBackupAndRestore(
            tmp_path / "backup", save_freq=5, delete_checkpoint=False
        )
        return [backup, StepLossLog(path)]

    model = _dense_model(0)
    with pytest.raises(KeyboardInterrupt):
        model.fit(
            x,
            y,
            batch_size=4,
            epochs=3,
            verbose=0,
            callbacks=[*callbacks(), Interrupt(12)],
        )
    header, steps, rows = _log_rows(path)
    assert header == ["step", "loss"]
    assert steps == list(range(1, 13))  # flushed as written
    with open(path, "a") as f:
        f.write("13,0.5")  # a row half-written when the process died

    # Resumed from the backup of step 10: steps 11-12 are trained again.
    model = _dense_model(0)
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=callbacks())
    header, steps, rows = _log_rows(path)
    assert steps == list(range(1, 25))
    assert all(np.isfinite(float(r[1])) for r in rows)


def test_step_loss_log_columns_and_every_n_steps(tmp_path, rng):
    x = rng.normal(size=(16, 4)).astype("float32")
    model = _dense_model(0)
    model.compile(
        keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"], run_eagerly=EAGER
    )
    path = tmp_path / "log.csv"
    model.fit(
        x,
        x[:, :1],
        batch_size=4,
        epochs=2,
        verbose=0,
        callbacks=[StepLossLog(path, every_n_steps=3)],
    )
    header, steps, _ = _log_rows(path)
    assert header == ["step", "loss", "mae"]
    assert steps == [3, 6]
    with pytest.raises(ValueError, match="Received: every_n_steps=0"):
        StepLossLog(path, every_n_steps=0)


def test_fit_honours_the_resume_epoch():
    """`_resume_fit_at_epoch` sets Keras' private `_initial_epoch`: if a Keras
    release renames it or stops reading it, exact resume breaks, and so does
    this test."""
    from keras_style.training.backup_and_restore import _resume_fit_at_epoch

    class Resume(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            _resume_fit_at_epoch(self.model, 2)

    class Epochs(keras.callbacks.Callback):
        seen = []

        def on_epoch_begin(self, epoch, logs=None):
            self.seen.append(epoch)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", run_eagerly=EAGER)
    assert hasattr(model, "_initial_epoch"), "Keras renamed Model._initial_epoch"
    x = np.zeros((4, 2), "float32")
    history = model.fit(
        x, x[:, :1], epochs=4, verbose=0, callbacks=[Resume(), Epochs()]
    )
    assert Epochs.seen == [2, 3]
    assert history.epoch == [2, 3]

"""Perceptual-loss training through `fit`, its compile config, CLI and example."""

import importlib.util
import json
import math

import keras
import numpy as np
import pytest
from test_data import make_image_folder

from keras_style import cli
from keras_style.data import image_dataset
from keras_style.losses import PerceptualLoss
from keras_style.transform_net import TransformNet

SMALL = dict(filters=(8, 16, 32), residual_blocks=1)
# Tracing the train step takes seconds on TF; most tests run it eagerly (the
# compiled path is covered by test_fit_reduces_the_perceptual_loss and the CLI).
EAGER = {"run_eagerly": True} if keras.backend.backend() == "tensorflow" else {}
PROJECT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root, _ = make_image_folder(tmp_path_factory.mktemp("data") / "photos")
    return root


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("style") / "style.png"
    rng = np.random.default_rng(5)
    stripes = np.zeros((24, 32, 3), np.uint8)
    stripes[::4] = rng.integers(0, 256, (3,), dtype=np.uint8)
    stripes[1::4, :, 2] = 255
    Image.fromarray(stripes).save(path)
    return path


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    """Random VGG16 weights saved once, so reloads see the same loss network."""
    keras.utils.set_random_seed(3)
    vgg = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )
    path = tmp_path_factory.mktemp("vgg") / "vgg16.weights.h5"
    vgg.save_weights(path)
    return path


@pytest.fixture
def no_xla(monkeypatch):
    """XLA compiles the TF train step for seconds: worth it for a real run,
    not for a two-step test (the XLA path is covered by the first test)."""
    from keras_style import training

    monkeypatch.setattr(training, "_xla_pays_off", lambda: False)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _fit(model, folder, epochs=1, steps=2, size=16, **kwargs):
    ds = image_dataset(folder, image_size=size, batch_size=2, seed=0)
    return model.fit(
        ds, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False, **kwargs
    )


def test_fit_reduces_the_perceptual_loss(folder, style, monkeypatch):
    model = TransformNet(**SMALL)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        style_image=style,
        vgg_weights=None,
        tv_weight=1e-3,
        style_size=20,
    )
    grams = model._perceptual.grams
    assert set(grams) == {"relu1_2", "relu2_2", "relu3_3", "relu4_3"}
    assert tuple(grams["relu4_3"].shape) == (1, 512, 512)

    def fail(*args, **kwargs):
        raise AssertionError("style targets recomputed during training")

    # Gram targets are computed once, at compile, never in the train step.
    monkeypatch.setattr(PerceptualLoss, "style_targets", fail)
    history = _fit(model, folder, epochs=4, steps=2).history
    assert set(history) == {"loss", "content_loss", "style_loss", "tv_loss"}
    assert history["loss"][-1] < history["loss"][0]
    for i in range(4):  # the weighted parts add up to the loss
        parts = sum(history[k][i] for k in ("content_loss", "style_loss", "tv_loss"))
        assert math.isclose(parts, history["loss"][i], rel_tol=1e-4)
    assert history["tv_loss"][0] > 0


@pytest.mark.parametrize("upsampling", ["nearest", "transpose"])
def test_variants_train(folder, style, upsampling):
    model = TransformNet(filters=(8, 16, 32), residual_blocks=1, upsampling=upsampling)
    model.compile(style_image=style, vgg_weights=None, style_size=16, **EAGER)
    history = _fit(model, folder, steps=2).history
    assert np.isfinite(history["loss"]).all()
    assert _np(model.optimizer.iterations) == 2


def test_loss_network_is_frozen_and_not_part_of_the_model(style):
    model = TransformNet(**SMALL)
    model.build()
    before = [w.path for w in model.weights]
    trainable = len(model.trainable_weights)
    model.compile(style_image=style, vgg_weights=None)
    assert [w.path for w in model.weights] == before
    assert len(model.trainable_weights) == trainable
    vgg = model._perceptual.network.extractor
    assert not vgg.trainable and not vgg.trainable_weights
    if keras.backend.backend() == "torch":
        assert not any(w.value.requires_grad for w in vgg.weights)


def test_compile_config_round_trip_and_resume_from_keras_file(
    folder, style, vgg_file, tmp_path
):
    model = TransformNet(**SMALL)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        style_image=style,
        vgg_weights=str(vgg_file),
        content_weight=10.0,
        style_weight=100.0,
        style_size=24,
        **EAGER,
    )
    config = model.get_compile_config()
    text = json.dumps(config)  # JSON-serializable, and small
    assert len(text) < 20_000
    assert config["perceptual"]["style_image"]["format"] == "png"
    _fit(model, folder, steps=2)
    model.save(tmp_path / "run.keras")

    loaded = keras.saving.load_model(tmp_path / "run.keras")
    assert loaded.perceptual_config == model.perceptual_config
    assert loaded.perceptual_config["content_weight"] == 10.0
    for key, gram in model._perceptual.grams.items():
        np.testing.assert_allclose(
            _np(loaded._perceptual.grams[key]), _np(gram), rtol=1e-5
        )
    assert int(_np(loaded.optimizer.iterations)) == 2
    assert float(_np(loaded.optimizer.learning_rate)) == pytest.approx(2e-3)
    x = np.random.default_rng(0).uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-5, atol=1e-3)
    _fit(loaded, folder, steps=2)
    assert int(_np(loaded.optimizer.iterations)) == 4


def test_plain_compile_still_trains_supervised(rng):
    model = TransformNet(**SMALL)
    model.compile(optimizer="adam", loss="mse", **EAGER)
    assert model.perceptual_config is None
    x = rng.uniform(0, 255, (4, 16, 16, 3)).astype("float32")
    history = model.fit(x, x, batch_size=2, epochs=1, verbose=0)
    assert set(history.history) == {"loss"}


def test_mixed_precision_training_step(folder, style):
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = TransformNet(**SMALL)
    model.compile(style_image=style, vgg_weights=None, **EAGER)
    assert model._perceptual.network.extractor.compute_dtype == "bfloat16"
    history = _fit(model, folder, steps=1)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(style_image="missing.jpg"), FileNotFoundError, "Received: style_image="),
        (dict(loss="mse"), ValueError, "Received: loss="),
        (dict(style_size=0), ValueError, "Received: style_size=0"),
        (dict(style_size=1.5), TypeError, "Received: style_size=1.5"),
        (dict(style_layers=("relu9_9",)), ValueError, "Unknown VGG16 layer"),
        (dict(loss_network="resnet50"), ValueError, "Received: network="),
        (dict(style_weight=-1), ValueError, "Received: style_weight=-1"),
    ],
)
def test_bad_compile_arguments(style, kwargs, error, match):
    model = TransformNet(**SMALL)
    kwargs = {"style_image": style, "vgg_weights": None, **kwargs}
    with pytest.raises(error, match=match):
        model.compile(**kwargs)


# --- command line and example ------------------------------------------------


def _train_args(style, folder, out, *extra):
    return [
        "train",
        "--style",
        str(style),
        "--data",
        str(folder),
        "-o",
        str(out),
        "--epochs",
        "1",
        "--steps-per-epoch",
        "2",
        "--batch-size",
        "2",
        "--image-size",
        "16",
        "--residual-blocks",
        "1",
        "--vgg-weights",
        "none",
        "--preview-every",
        "2",
        "--checkpoint-every",
        "1",
        "--quiet",
        *extra,
    ]


def test_cli_train_writes_a_loadable_preset_and_resumes(
    style, folder, tmp_path, capsys, no_xla
):
    out = tmp_path / "my_style"
    assert cli.main(_train_args(style, folder, out, "--seed", "1")) == 0
    assert {p.name for p in out.iterdir()} == {
        "config.json",
        "model.weights.h5",
        "metadata.json",
        "README.md",
    }
    model = TransformNet.from_preset_dir(out)
    assert model.residual_blocks == 1
    x = np.zeros((1, 20, 28, 3), "float32")
    assert _np(model(x)).shape == (1, 20, 28, 3)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["training"]["batch_size"] == 2
    assert meta["training"]["style_weight"] == 900.0
    assert meta["steps"] == 2
    assert "| image_size | `16` |" in (out / "README.md").read_text()
    ckpt = tmp_path / "my_style.ckpt"
    assert (ckpt / "previews" / "preview_0000002.png").is_file()
    assert (
        json.loads((ckpt / "backup" / "training_metadata.json").read_text())["step"]
        == 2
    )

    # Without --resume an existing run is protected.
    assert cli.main(_train_args(style, folder, out)) == 2
    assert "--overwrite" in capsys.readouterr().err
    # --resume with more epochs continues from step 2 to step 4.
    assert (
        cli.main(["train", "-o", str(out), "--resume", "--epochs", "2", "--quiet"]) == 0
    )
    assert json.loads((out / "metadata.json").read_text())["steps"] == 4
    assert (
        json.loads((ckpt / "backup" / "training_metadata.json").read_text())["step"]
        == 4
    )
    # Settings that shape the weights cannot change on resume.
    code = cli.main(["train", "-o", str(out), "--resume", "--residual-blocks", "2"])
    assert code == 2
    assert "--residual-blocks" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, match",
    [
        ({"--data": "missing_dir"}, "Received: --data="),
        ({"--style": "missing.jpg"}, "Received: style_image="),
        ({"--batch-size": "0"}, "--batch-size is too small"),
    ],
)
def test_cli_train_errors_are_one_line(style, folder, tmp_path, capsys, change, match):
    args = _train_args(style, folder, tmp_path / "out")
    for flag, value in change.items():
        args[args.index(flag) + 1] = (
            value if flag != "--data" else str(tmp_path / value)
        )
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-style train: error:") and match in err


def test_cli_train_requires_style_and_data(tmp_path, capsys):
    assert cli.main(["train", "-o", str(tmp_path / "x")]) == 2
    assert "--style is required" in capsys.readouterr().err


def test_example_script_runs_end_to_end(style, folder, tmp_path, no_xla):
    spec = importlib.util.spec_from_file_location(
        "train_style_example", PROJECT / "examples" / "train_style.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = example.main(
        [
            "--style",
            str(style),
            "--data",
            str(folder),
            "-o",
            str(tmp_path / "preset"),
            "--steps",
            "2",
            "--steps-per-epoch",
            "2",
            "--batch-size",
            "2",
            "--image-size",
            "16",
            "--residual-blocks",
            "1",
            "--vgg-weights",
            "none",
        ]
    )
    assert TransformNet.from_preset_dir(out).residual_blocks == 1

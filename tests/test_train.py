"""Perceptual-loss training through `fit`, its compile config, CLI and example."""

import importlib.util
import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from test_data import make_image_folder
from test_model_card import run_usage_snippet

from keras_style import cli
from keras_style.losses.perceptual import PerceptualLoss
from keras_style.models.transform_net import TransformNet
from keras_style.training import perceptual as training
from keras_style.training.data import image_dataset

SMALL = dict(filters=(8, 16, 32), residual_blocks=1)
# Where the loss network is not a test's subject: two shallow taps compile and
# run VGG19's first 3 convolutions instead of 13, most of these tests' time on
# JAX. The default taps are checked without training.
SHALLOW = dict(style_layers=("relu1_1", "relu2_1"), content_layers=("relu2_1",))
SHALLOW_VGG16 = dict(style_layers=("relu1_2", "relu2_2"), content_layers=("relu2_2",))
SHALLOW_TAPS = ("--style-layers", "relu1_1,relu2_1", "--content-layers", "relu2_1")
# Tracing the train step takes seconds on TF; most tests run it eagerly (the
# compiled path is covered by test_fit_reduces_the_perceptual_loss and the CLI).
EAGER = {"run_eagerly": True} if keras.backend.backend() == "tensorflow" else {}
PROJECT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root, _ = make_image_folder(tmp_path_factory.mktemp("data") / "photos")
    return root


def write_style(path):
    """A small striped style image (24x32) at `path`."""
    from PIL import Image

    rng = np.random.default_rng(5)
    stripes = np.zeros((24, 32, 3), np.uint8)
    stripes[::4] = rng.integers(0, 256, (3,), dtype=np.uint8)
    stripes[1::4, :, 2] = 255
    Image.fromarray(stripes).save(path)
    return path


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    return write_style(tmp_path_factory.mktemp("style") / "style.png")


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
    from keras_style.training import perceptual as training

    monkeypatch.setattr(training, "_xla_pays_off", lambda model: False)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _fit(model, folder, epochs=1, steps=2, size=16, **kwargs):
    ds = image_dataset(folder, image_size=size, batch_size=2, seed=0)
    return model.fit(
        ds, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False, **kwargs
    )


@pytest.mark.slow
def test_fit_reduces_the_perceptual_loss(folder, style, monkeypatch):
    model = TransformNet(**SMALL)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        style_image=style,
        loss_network="vgg16",
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


@pytest.mark.parametrize("network", ["vgg16", "vgg19"])
@pytest.mark.slow
def test_loss_network_hand_written_pass_trains_as_the_keras_layers(
    style, network, no_xla
):
    """On TensorFlow and PyTorch the loss network runs as the hand-written
    VGG pass (vgg_forward.py; Winograd and custom gradients on CPU): the
    wanted taps only, and one compiled train step (as `fit` runs it, without
    XLA to keep the test quick) gives the loss and the weight update of the
    Keras layers. JAX runs the layers."""
    x = np.random.default_rng(0).uniform(0, 255, (2, 36, 36, 3)).astype("float32")
    losses, updates = [], []
    for hand_written in (True, False):
        keras.utils.set_random_seed(0)
        model = TransformNet(**SMALL)
        model.compile(
            optimizer=keras.optimizers.SGD(1e-3),
            style_image=style,
            loss_network=network,
            vgg_weights=None,
            style_size=36,
        )
        loss_network = model._perceptual.network
        if keras.backend.backend() == "jax":
            assert loss_network.fast is None
            pytest.skip("JAX trains through the Keras layers")
        assert loss_network.fast is not None
        if not hand_written:
            loss_network.fast = None
        content = model._perceptual.loss.content_layers
        taps = loss_network(keras.ops.convert_to_tensor(x), content)
        assert list(taps) == list(content)
        before = [_np(w) for w in model.trainable_weights]
        losses.append(model.train_on_batch(x, return_dict=True)["loss"])
        updates.append([_np(w) - b for w, b in zip(model.trainable_weights, before)])
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    # Built at `compile`, so every weight is compared (before, the network was
    # built inside the first step and this loop compared nothing).
    assert len(updates[0]) == len(updates[1]) == len(model.trainable_weights) > 0
    scale = max(np.abs(u).max() for u in updates[1])
    for fast, keras_layers in zip(*updates):
        if np.abs(keras_layers).max() < 1e-6 * scale:
            # A bias followed by instance normalisation: its gradient is zero,
            # and both paths give rounding noise (~1e-11).
            assert np.abs(fast).max() < 1e-6 * scale
            continue
        np.testing.assert_allclose(
            fast, keras_layers, rtol=0, atol=2e-3 * np.abs(keras_layers).max()
        )


@pytest.mark.parametrize("upsampling", ["nearest", "transpose"])
@pytest.mark.slow
def test_variants_train(folder, style, upsampling):
    model = TransformNet(filters=(8, 16, 32), residual_blocks=1, upsampling=upsampling)
    model.compile(
        style_image=style, vgg_weights=None, style_size=32, **SHALLOW, **EAGER
    )
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


@pytest.mark.slow
def test_compile_config_round_trip_and_resume_from_keras_file(
    folder, style, vgg_file, tmp_path
):
    model = TransformNet(**SMALL)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        style_image=style,
        loss_network="vgg16",
        vgg_weights=str(vgg_file),
        content_weight=10.0,
        style_weight=100.0,
        style_size=24,
        **SHALLOW_VGG16,
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


@pytest.mark.parametrize("network", ["vgg16", "vgg19"])
def test_default_taps_and_weights_follow_the_loss_network(style, network):
    model = TransformNet(**SMALL)
    model.compile(style_image=style, loss_network=network.upper(), vgg_weights=None)
    config = model.perceptual_config
    assert config["loss_network"] == network
    for key, value in training.DEFAULT_LAYERS[network].items():
        assert tuple(config[key]) == value
    for key, value in training.DEFAULT_LOSS_WEIGHTS[network].items():
        assert config[key] == value
    assert set(model._perceptual.grams) == set(
        training.DEFAULT_LAYERS[network]["style_layers"]
    )
    # Explicit taps and weights win over the network's defaults.
    model.compile(
        style_image=style,
        loss_network=network,
        vgg_weights=None,
        content_layers=("relu3_1",),
        style_layers=("relu1_1",),
        style_weight=5.0,
    )
    config = model.perceptual_config
    assert list(config["content_layers"]) == ["relu3_1"]
    assert list(config["style_layers"]) == ["relu1_1"]
    assert config["style_weight"] == 5.0
    assert (
        config["content_weight"]
        == training.DEFAULT_LOSS_WEIGHTS[network]["content_weight"]
    )


def test_default_loss_network_is_vgg19_and_style_size_follows_the_crops():
    assert training.DEFAULT_LOSS_NETWORK == "vgg19"
    assert training.default_style_size(128) == 128 * training.DEFAULT_STYLE_SIZE_RATIO
    with pytest.raises(ValueError, match="Received: image_size=0"):
        training.default_style_size(0)
    with pytest.raises(TypeError, match="Received: image_size=1.5"):
        training.default_style_size(1.5)


@pytest.mark.slow
def test_fit_on_a_dataset_emits_no_warnings(folder, style, recwarn, no_xla):
    model = TransformNet(**SMALL)
    model.compile(style_image=style, vgg_weights=None, style_size=32, **EAGER)
    ds = image_dataset(folder, image_size=16, batch_size=2, seed=0)
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)  # no shuffle=False
    assert [str(w.message) for w in recwarn if w.category is UserWarning] == []


def test_plain_compile_still_trains_supervised(rng):
    model = TransformNet(**SMALL)
    model.compile(optimizer="adam", loss="mse", **EAGER)
    assert model.perceptual_config is None
    x = rng.uniform(0, 255, (4, 16, 16, 3)).astype("float32")
    history = model.fit(x, x, batch_size=2, epochs=1, verbose=0)
    assert set(history.history) == {"loss"}


@pytest.mark.slow
def test_mixed_precision_training_tracks_float32(folder, style):
    """`mixed_bfloat16` (`keras-style train --mixed-precision`): the loss
    network runs in bf16 too, and 8 steps from the same start reach the
    float32 loss within bf16's noise."""
    losses = {}
    for policy in ("float32", "mixed_bfloat16"):
        keras.config.set_dtype_policy(policy)
        keras.utils.set_random_seed(0)
        model = TransformNet(**SMALL)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-2),
            style_image=style,
            loss_network="vgg16",
            vgg_weights=None,
            style_size=20,
            **SHALLOW_VGG16,
            **EAGER,
        )
        if policy != "float32":
            assert model._perceptual.network.extractor.compute_dtype == "bfloat16"
        losses[policy] = _fit(model, folder, epochs=4, steps=2).history["loss"]
    keras.config.set_dtype_policy("float32")
    full, half = losses["float32"], losses["mixed_bfloat16"]
    assert np.isfinite(half).all() and half[-1] < 0.8 * half[0], half
    # Measured: final losses 1.7% (TF), 0.3% (JAX), 1.4% (torch) apart.
    assert half[-1] == pytest.approx(full[-1], rel=0.05), (full, half)


@pytest.mark.parametrize("onednn", [False, True])
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_tensorflow_cpu_train_step_picks_xla_without_onednn(
    style, policy, onednn, monkeypatch
):
    # Without oneDNN, XLA's CPU convolutions beat TF's; with it they do not,
    # and compiling the step only delays the first one. XLA's compute
    # bfloat16 in float32 with casts around; TF's oneDNN kernels use the
    # CPU's bf16 instructions.
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the XLA choice is TensorFlow's")
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU"):
        pytest.skip("on a GPU Keras decides")
    monkeypatch.setattr(training, "tensorflow_uses_onednn", lambda: onednn)
    model = TransformNet(**SMALL, dtype=policy)
    model.compile(style_image=style, vgg_weights=None)
    assert model.jit_compile is (policy == "float32" and not onednn)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(style_image="missing.jpg"), FileNotFoundError, "Received: style_image="),
        (dict(loss="mse"), ValueError, "Received: loss="),
        (dict(style_size=0), ValueError, "Received: style_size=0"),
        (dict(style_size=1.5), TypeError, "Received: style_size=1.5"),
        (dict(style_size=8), ValueError, "too small for the style layer relu"),
        (dict(style_layers=("relu9_9",)), ValueError, "Unknown VGG19 layer"),
        (dict(loss_network="resnet50"), ValueError, "Received: loss_network="),
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
        *SHALLOW_TAPS,
        *extra,
    ]


def test_unset_training_settings_become_the_recorded_defaults(tmp_path):
    from keras_style import defaults
    from keras_style.training.settings import resolve_settings

    def resolve(**given):
        given = {"style": "wave.jpg", "data": "photos/", **given}
        return resolve_settings(given, tmp_path / "none.ckpt", resume=False)

    settings = resolve(image_size=128)
    network = training.DEFAULT_LOSS_NETWORK
    assert settings["loss_network"] == network
    for key, value in training.DEFAULT_LAYERS[network].items():
        assert settings[key] == list(value)
    assert settings["content_layers"] == ["relu4_2"]
    for key, value in training.DEFAULT_LOSS_WEIGHTS[network].items():
        assert settings[key] == value
    assert settings["style_size"] == training.default_style_size(128)
    assert settings["learning_rate"] == defaults.TRAIN_LEARNING_RATE
    assert resolve(base="magenta26")["learning_rate"] == (
        defaults.TRAIN_NEW_STYLE_LEARNING_RATE
    )
    vgg16 = resolve(loss_network="VGG16", style_weight=5.0)
    assert vgg16["loss_network"] == "vgg16"
    assert vgg16["content_layers"] == list(
        training.DEFAULT_LAYERS["vgg16"]["content_layers"]
    )
    assert vgg16["style_weight"] == 5.0


@pytest.mark.slow
def test_cli_train_keeps_the_compiled_step_for_the_next_run(style, folder, tmp_path):
    """`keras-style train` caches XLA's compiled training step in the
    keras-style cache (TensorFlow and JAX; PyTorch compiles nothing)."""
    cache = tmp_path / "cache"
    # Without the suite's own XLA cache (conftest.py), which the command
    # would leave in place as a user's choice.
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env.update(
        KERAS_STYLE_CACHE=str(cache),
        KERAS_STYLE_COMPILATION_CACHE="on",
        # This tiny step compiles in under JAX's default 1 s threshold.
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        # TensorFlow compiles the step with XLA where it does not use oneDNN.
        TF_ENABLE_ONEDNN_OPTS="0",
    )
    args = _train_args(style, folder, tmp_path / "out")
    result = subprocess.run(
        [sys.executable, "-m", "keras_style.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    compiled = sorted(p.name for p in (cache / "compiled").glob("*"))
    backend = keras.backend.backend()
    if backend == "tensorflow":
        assert any(name.startswith("xla_compile_cache") for name in compiled)
    elif backend == "jax":
        assert any("train_step" in name for name in compiled), compiled
    else:
        assert compiled == []


def test_compilation_cache_setting(tmp_path, monkeypatch):
    from keras_style.utils.backend_config import use_compilation_cache

    monkeypatch.setenv("KERAS_STYLE_COMPILATION_CACHE", "off")
    assert use_compilation_cache(tmp_path / "a") is False
    monkeypatch.setenv("KERAS_STYLE_COMPILATION_CACHE", "on")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
        assert use_compilation_cache(tmp_path / "a") is True
        assert os.environ["TF_XLA_FLAGS"] == (
            f"--tf_xla_auto_jit=0 --tf_xla_persistent_cache_directory={tmp_path / 'a'}"
        )
        # The user's (or an earlier) choice stands.
        assert use_compilation_cache(tmp_path / "b") is False
        assert (tmp_path / "a").is_dir() and not (tmp_path / "b").exists()
        # A path with a space would split into an unknown flag: no cache.
        monkeypatch.delenv("TF_XLA_FLAGS")
        assert use_compilation_cache(tmp_path / "my cache") is False
        assert "TF_XLA_FLAGS" not in os.environ
    elif backend == "jax":
        import jax

        before = jax.config.jax_compilation_cache_dir
        try:
            jax.config.update("jax_compilation_cache_dir", None)
            assert use_compilation_cache(tmp_path / "a") is True
            assert jax.config.jax_compilation_cache_dir == str(tmp_path / "a")
            assert use_compilation_cache(tmp_path / "b") is False
        finally:
            jax.config.update("jax_compilation_cache_dir", before)
    else:
        assert use_compilation_cache(tmp_path / "a") is False
        assert not (tmp_path / "a").exists()


def _losses_csv_steps(path):
    lines = path.read_text().splitlines()
    assert lines[0].split(",")[:2] == ["step", "loss"]
    return [int(line.split(",")[0]) for line in lines[1:]]


@pytest.mark.slow
def test_cli_train_writes_a_loadable_preset_and_resumes(
    style, folder, tmp_path, capsys, no_xla, recwarn
):
    out = tmp_path / "my_style"
    assert cli.main(_train_args(style, folder, out, "--seed", "1")) == 0
    # Keras warns about nothing (e.g. its ignored `shuffle=True`). numpy 2's
    # `__array__(copy=)` DeprecationWarning of TensorFlow tensors is not ours.
    assert [str(w.message) for w in recwarn if w.category is UserWarning] == []
    assert {p.name for p in out.iterdir()} >= {
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
    defaults = training.DEFAULT_LOSS_WEIGHTS[training.DEFAULT_LOSS_NETWORK]
    assert meta["training"]["loss_network"] == training.DEFAULT_LOSS_NETWORK
    assert meta["training"]["style_weight"] == defaults["style_weight"]
    assert meta["training"]["style_size"] == training.default_style_size(16)
    assert meta["training"]["content_layers"] == ["relu2_1"]
    assert meta["training"]["style_layers"] == ["relu1_1", "relu2_1"]
    assert meta["steps"] == 2
    assert "| image_size | `16` |" in (out / "README.md").read_text()
    ckpt = tmp_path / "my_style.ckpt"
    assert _losses_csv_steps(ckpt / "losses.csv") == [1, 2]
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
    assert _losses_csv_steps(ckpt / "losses.csv") == [1, 2, 3, 4]
    assert (
        json.loads((ckpt / "backup" / "training_metadata.json").read_text())["step"]
        == 4
    )
    # Settings that shape the weights cannot change on resume.
    code = cli.main(["train", "-o", str(out), "--resume", "--residual-blocks", "2"])
    assert code == 2
    assert "--residual-blocks" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_train_loss_network_and_taps(style, folder, tmp_path, no_xla):
    out = tmp_path / "vgg16_style"
    args = _train_args(style, folder, out, "--preview-every", "0")
    args += ["--loss-network", "VGG16", "--content-layers", "relu3_3"]
    args += ["--style-layers", "relu1_2, relu2_2", "--style-size", "20"]
    assert cli.main(args) == 0
    settings = json.loads((tmp_path / "vgg16_style.ckpt" / "settings.json").read_text())
    assert settings["loss_network"] == "vgg16"
    assert settings["content_layers"] == ["relu3_3"]
    assert settings["style_layers"] == ["relu1_2", "relu2_2"]
    assert settings["style_size"] == 20
    meta = json.loads((out / "metadata.json").read_text())["training"]
    assert (
        meta["style_weight"] == training.DEFAULT_LOSS_WEIGHTS["vgg16"]["style_weight"]
    )
    assert meta["style_layers"] == ["relu1_2", "relu2_2"]
    # The taps shape the weights: fixed on resume.
    code = cli.main(
        ["train", "-o", str(out), "--resume", "--content-layers", "relu2_2"]
    )
    assert code == 2


@pytest.mark.slow
def test_trained_preset_is_the_network_only(
    style, folder, tmp_path, monkeypatch, recwarn, caplog, no_xla
):
    from keras_style.losses import vgg as features

    model = TransformNet(**SMALL)
    model.compile(
        style_image=style, vgg_weights=None, style_size=32, **SHALLOW, **EAGER
    )
    _fit(model, folder, steps=1)
    out = model.save_to_preset(tmp_path / "preset")
    text = (out / "config.json").read_text()
    config = json.loads(text)
    assert "compile_config" not in config and len(text) < 5_000
    assert config["config"]["residual_blocks"] == 1

    def no_vgg(*args, **kwargs):
        raise AssertionError("loading a preset built a VGG")

    for name in ("VGG16", "VGG19"):
        monkeypatch.setattr(keras.applications, name, no_vgg)
    monkeypatch.setattr(features, "vgg_feature_extractor", no_vgg)
    monkeypatch.setattr(training, "vgg_feature_extractor", no_vgg)
    recwarn.clear()
    caplog.clear()  # fit's data warnings
    with caplog.at_level("WARNING"):
        loaded = TransformNet.from_preset_dir(out)
    assert [str(w.message) for w in recwarn] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= 30] == []
    assert getattr(loaded, "optimizer", None) is None
    assert loaded.perceptual_config is None
    x = np.random.default_rng(0).uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-5, atol=1e-3)


@pytest.mark.slow
def test_cli_model_card_shows_working_code(style, folder, tmp_path, no_xla):
    out = tmp_path / "card_style"
    assert cli.main(_train_args(style, folder, out, "--preview-every", "0")) == 0
    card = (out / "README.md").read_text()
    work = tmp_path / "work"
    work.mkdir()
    assert run_usage_snippet(card, work) == {"card_style.jpg": (32, 24)}


@pytest.mark.parametrize(
    "change, match",
    [
        ({"--data": "missing_dir"}, "Received: data="),
        ({"--style": "missing.jpg"}, "Received: style_image="),
        ({"--batch-size": "64", "--image-size": "512"}, "over the limit"),
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


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--steps-per-epoch", "-1"),  # ran forever before
        ("--steps-per-epoch", "0"),  # silently meant "the default" before
        ("--batch-size", "0"),
        ("--epochs", "x"),
        ("--preview-every", "-5"),
    ],
)
def test_cli_train_rejects_bad_numbers(style, folder, tmp_path, capsys, flag, value):
    args = _train_args(style, folder, tmp_path / "out")
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_train_resume_without_backup_says_so(style, folder, tmp_path, capsys):
    args = _train_args(style, folder, tmp_path / "out") + ["--resume"]
    args[args.index("--batch-size") + 1] = "999"
    args += ["--image-size", "512"]
    assert cli.main(args) == 2  # refused by the pixel limit, after the notice
    assert "no backup" in capsys.readouterr().err


def test_cli_train_requires_style_and_data(tmp_path, capsys):
    assert cli.main(["train", "-o", str(tmp_path / "x")]) == 2
    assert "(--style) is required" in capsys.readouterr().err


@pytest.mark.slow
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


def test_stability_weight_is_checked_and_saved(style):
    model = TransformNet(**SMALL)
    with pytest.raises(ValueError, match="stability_weight"):
        model.compile(style_image=style, vgg_weights=None, stability_weight=-1.0)
    model.compile(
        style_image=style, loss_network="vgg16", vgg_weights=None, stability_weight=3.0
    )
    assert model.perceptual_config["stability_weight"] == 3.0
    assert "stability_loss" in [m.name for m in model.metrics]


@pytest.mark.slow
def test_stability_term_is_trained_by_the_step(style):
    """With only the stability term in the loss, the logged term is its
    weight times `stability_loss` of the network before the step, and one
    small step lowers it. Whether training with it cuts a video's flicker
    varies from run to run on tiny networks (README: experimental)."""
    from keras_style.losses.perceptual import stability_loss

    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    model = TransformNet(**SMALL)
    model.compile(
        optimizer=keras.optimizers.SGD(1e-4),
        style_image=style,
        loss_network="vgg16",
        vgg_weights=None,
        content_weight=0.0,
        style_weight=0.0,
        tv_weight=0.0,
        stability_weight=10.0,
        **SHALLOW_VGG16,
        **EAGER,
    )
    # As in the step: unclipped output (`training=True`).
    before = float(_np(stability_loss(model, x, model(x, training=True))))
    logs = model.train_on_batch(x, return_dict=True)
    assert logs["stability_loss"] == pytest.approx(10.0 * before, rel=1e-4)
    assert logs["loss"] == pytest.approx(logs["stability_loss"], rel=1e-6)
    after = float(_np(stability_loss(model, x, model(x, training=True))))
    assert after < before, (before, after)

"""Training an `ArbitraryStyleNet` through `fit` with Ghiasi et al.'s objective."""

import json
import math
import subprocess
import sys

import keras
import numpy as np
import pytest
from test_data import make_image_folder

from keras_style.models.arbitrary import (
    ArbitraryStyleNet,
    StylePredictor,
    StyleTransferNetwork,
)
from keras_style.training.pair_data import ImagePairDataset, image_pair_dataset

pytestmark = pytest.mark.slow  # training

SIZE = 32  # the predictor is a full MobileNetV2: keep images tiny
# Tracing the TF train step of MobileNetV2 + VGG19 takes 20 s (a minute with
# XLA); an eager step takes one. JAX and torch run their usual path.
EAGER = {"run_eagerly": True} if keras.backend.backend() == "tensorflow" else {}
WEIGHTS = dict(content_weight=1.0, style_weight=10.0, tv_weight=1e-3)
TRACKERS = {"loss", "content_loss", "style_loss", "tv_loss"}


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _net():
    return ArbitraryStyleNet(
        StylePredictor(), StyleTransferNetwork(filters=(4, 4, 8), residual_blocks=1)
    )


def _images(seed, n=2, size=SIZE):
    """Smooth random pictures (blurred noise), so VGG features vary."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (n, size // 4, size // 4, 3))
    return np.repeat(np.repeat(small, 4, axis=1), 4, axis=2).astype("float32")


@pytest.fixture(autouse=True)
def no_winograd(monkeypatch):
    """On TF the loss network's Winograd kernels are XLA-compiled for each new
    shape (20 s for the first step here); they are tested with the hand-written
    VGG pass in test_train.py, which the loss network still runs."""
    from keras_style.optimize import vgg_forward

    monkeypatch.setattr(vgg_forward, "_winograd_min_channels", lambda *args: None)


@pytest.fixture(scope="module")
def batch():
    return _images(1), _images(2)


def _weights(layer):
    return [_np(w).copy() for w in layer.trainable_weights]


def test_fit_lowers_the_loss_and_trains_both_networks(batch, tmp_path):
    net = _net()
    net.compile(
        optimizer=keras.optimizers.Adam(1e-3), vgg_weights=None, **WEIGHTS, **EAGER
    )
    predictor, transfer = _weights(net.predictor), _weights(net.transfer)
    # One step per epoch on the same batch: each epoch's loss is the loss of
    # that batch before the epoch's update (the first: the initial weights).
    history = net.fit(batch, batch_size=2, epochs=6, shuffle=False, verbose=0).history
    assert set(history) == TRACKERS
    for i in range(6):  # the weighted parts add up to the loss
        parts = sum(history[k][i] for k in TRACKERS - {"loss"})
        assert math.isclose(parts, history["loss"][i], rel_tol=1e-4)
    before, after = history["loss"][0], history["loss"][-1]
    # Measured after/before: 0.46 (TF), 0.65 (JAX), 0.63 (torch); with a
    # learning rate of 0 this fails (1.0).
    assert after < 0.85 * before, history["loss"]
    for old, part in ((predictor, net.predictor), (transfer, net.transfer)):
        moved = [
            not np.array_equal(a, _np(b)) for a, b in zip(old, part.trainable_weights)
        ]
        assert all(moved), f"{part.name}: {moved.count(False)} weights did not move"

    # The compile config round-trips through a .keras file, with the
    # optimizer's state: training resumes where it stopped.
    net.save(tmp_path / "run.keras")
    loaded = keras.saving.load_model(tmp_path / "run.keras")
    assert loaded.perceptual_config == net.perceptual_config
    assert int(_np(loaded.optimizer.iterations)) == 6
    for a, b in zip(loaded.weights, net.weights):
        np.testing.assert_array_equal(_np(a), _np(b))

    # A dataset of pairs (same shapes: the compiled step is reused).
    folders = [
        make_image_folder(tmp_path / name, np.random.default_rng(i))[0]
        for i, name in enumerate(("photos", "paintings"))
    ]
    pipeline = "tf.data" if keras.backend.backend() == "tensorflow" else "py_dataset"
    pairs = image_pair_dataset(
        *folders, image_size=SIZE, batch_size=2, seed=0, pipeline=pipeline
    )
    history = net.fit(pairs, steps_per_epoch=1, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    if pipeline == "tf.data":  # a user's dataset of plain (photos, paintings)
        net.fit(pairs.map(lambda x: x), steps_per_epoch=1, verbose=0)
    assert int(_np(net.optimizer.iterations)) == 7 + (pipeline == "tf.data")


def test_each_output_is_compared_with_its_own_painting(batch):
    net = _net()
    # Shallow taps: eager VGG passes are slow on JAX (each op compiles).
    net.compile(
        vgg_weights=None, content_layers="relu1_1", style_layers="relu2_1", **WEIGHTS
    )
    task = net._perceptual
    photos, paintings = batch
    y_pred = photos[::-1].copy()  # two different "outputs"

    def style(x):
        task.trackers[1].reset_state()
        net.compute_loss(x, None, y_pred)
        return float(_np(task.trackers[1].result()))

    assert style((photos, paintings)) != pytest.approx(
        style((photos, paintings[::-1].copy())), rel=1e-3
    )
    # One painting for the batch broadcasts, as the painting repeated.
    one = style((photos, paintings[:1]))
    assert one == pytest.approx(style((photos, np.repeat(paintings[:1], 2, 0))))


def test_compile_defaults_and_config_round_trip():
    from keras_style.training import arbitrary as arbitrary_training
    from keras_style.training import perceptual as training

    net = _net()
    net.compile(vgg_weights=None, style_layers=("relu1_1", "relu3_1"))
    config = net.perceptual_config
    defaults = training.DEFAULT_LOSS_WEIGHTS[training.DEFAULT_LOSS_NETWORK]
    assert config["loss_network"] == training.DEFAULT_LOSS_NETWORK == "vgg19"
    assert config["content_layers"] == ["relu4_2"]
    assert config["style_layers"] == ["relu1_1", "relu3_1"]
    assert config["style_weight"] == defaults["style_weight"]
    assert float(_np(net.optimizer.learning_rate)) == pytest.approx(
        arbitrary_training.DEFAULT_LEARNING_RATE
    )
    compile_config = json.loads(json.dumps(net.get_compile_config()))
    again = _net()
    again.compile_from_config(compile_config)
    assert again.perceptual_config == config
    # A supervised loss is plain Keras training (distillation, ...).
    net.compile(optimizer="adam", loss="mse")
    assert net.perceptual_config is None


def test_py_dataset_of_pairs(tmp_path):
    photos, _ = make_image_folder(tmp_path / "photos")
    pairs = image_pair_dataset(
        photos,
        photos,
        image_size=16,
        style_size=24,
        batch_size=2,
        seed=0,
        pipeline="py_dataset",
    )
    assert isinstance(pairs, ImagePairDataset)
    ((x, s),) = pairs[0]
    assert x.shape == (2, 16, 16, 3) and s.shape == (2, 24, 24, 3)
    with pytest.raises(FileNotFoundError, match="Received: painting_directory="):
        image_pair_dataset(photos, tmp_path / "missing")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(loss="mse", style_weight=1.0), ValueError, "Received: loss='mse', "),
        (dict(metrics=["mae"]), ValueError, "only with a supervised `loss`"),
        (dict(loss_network="resnet50"), ValueError, "Received: loss_network="),
        (dict(style_layers=("relu9_9",)), ValueError, "Unknown VGG19 layer"),
        (dict(tv_weight=-1), ValueError, "Received: tv_weight=-1"),
    ],
)
def test_bad_compile_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        _net().compile(**{"vgg_weights": None, **kwargs})


def test_bad_training_inputs(batch):
    net = _net()
    net.compile(vgg_weights=None)
    photos, paintings = batch
    with pytest.raises(ValueError, match=r"x=\(photos, paintings\)"):
        net.compute_loss(photos, None, photos)
    with pytest.raises(ValueError, match=r"x=\(photos, paintings\)"):
        net(photos)  # what fit(photos, paintings) would call
    tiny = paintings[:, :8, :8]
    with pytest.raises(ValueError, match="too small for the VGG layer relu5_1"):
        net.compute_loss((photos, tiny), None, photos)


def test_inference_imports_no_training_code():
    code = (
        "import sys\n"
        "from keras_style.models.arbitrary import ArbitraryStyleNet\n"
        "ArbitraryStyleNet()\n"
        "mods = ('keras_style.training.arbitrary', 'keras_style.training.perceptual',\n"
        "        'keras_style.losses.vgg', 'keras_style.losses.perceptual')\n"
        "print([m for m in mods if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"

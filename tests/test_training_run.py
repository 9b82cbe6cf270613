"""`train_style`, the library entry point of a training run, called directly."""

import json

import keras
import numpy as np
import pytest
from test_data import make_image_folder
from test_model_card import run_usage_snippet
from test_train import write_style

from keras_style import defaults
from keras_style.models.transform_net import TransformNet
from keras_style.training import perceptual as training
from keras_style.training.run import checkpoint_dir, train_style

pytestmark = pytest.mark.slow  # whole training runs


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("data") / "photos")[0]


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    return write_style(tmp_path_factory.mktemp("style") / "style.png")


@pytest.fixture
def no_xla(monkeypatch):  # XLA's compile time is worth it for real runs only
    monkeypatch.setattr(training, "_xla_pays_off", lambda model: False)


TINY = dict(
    epochs=1,
    steps_per_epoch=2,
    batch_size=2,
    image_size=16,
    residual_blocks=1,
    preview_every=0,
    checkpoint_every=1,
    vgg_weights=None,  # random: no download
    # Shallow taps: VGG19's first 3 convolutions (tests/test_train.py).
    style_layers=["relu1_1", "relu2_1"],
    content_layers=["relu2_1"],
    seed=0,
    verbose=0,
)


def test_train_style_writes_a_preset_that_loads(style, folder, tmp_path, no_xla):
    out = train_style(style, folder, tmp_path / "tiny", **TINY)
    assert out == tmp_path / "tiny"
    model = TransformNet.from_preset_dir(out)
    assert model.residual_blocks == 1
    x = np.zeros((1, 20, 28, 3), "float32")
    y = keras.ops.convert_to_numpy(model(x))
    assert y.shape == (1, 20, 28, 3) and np.isfinite(y).all()
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["steps"] == 2 and meta["training"]["vgg_weights"] == "none"
    # Settings left out take the library's defaults.
    assert meta["training"]["learning_rate"] == defaults.TRAIN_LEARNING_RATE
    assert meta["training"]["loss_network"] == training.DEFAULT_LOSS_NETWORK
    assert meta["training"]["style_size"] == training.default_style_size(16)
    assert set(meta["final_losses"]) >= {"loss", "content_loss", "style_loss"}
    settings = json.loads((checkpoint_dir(out) / "settings.json").read_text())
    assert settings["vgg_weights"] == "none" and settings["epochs"] == 1
    work = tmp_path / "work"
    work.mkdir()
    assert run_usage_snippet((out / "README.md").read_text(), work) == {
        "tiny.jpg": (32, 24)
    }


def test_train_style_resumes_with_the_saved_settings(style, folder, tmp_path, no_xla):
    out = train_style(style, folder, tmp_path / "run", **TINY)
    # No style, data or settings: all come from the interrupted run.
    train_style(output=out, resume=True, epochs=2, verbose=0)
    assert json.loads((out / "metadata.json").read_text())["steps"] == 4
    with pytest.raises(ValueError, match="residual_blocks"):
        train_style(output=out, resume=True, residual_blocks=2, verbose=0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "Received: batch_size=0"),
        ({"epochs": 1.5}, TypeError, "Received: epochs=1.5"),
        ({"checkpoint_every": 0}, ValueError, "checkpoint_every"),
        ({"learning_rat": 1e-3}, TypeError, "learning_rat"),
        ({"loss_network": "vgg11"}, ValueError, "loss_network"),
        ({"style": None}, ValueError, "`style`"),
        ({"batch_size": 64, "image_size": 512}, ValueError, "over the limit"),
    ],
)
def test_train_style_refuses_bad_settings_before_any_work(
    style, folder, tmp_path, kwargs, error, match
):
    args = {"style": style, "data": folder, "output": tmp_path / "out", **TINY}
    with pytest.raises(error, match=match):
        train_style(**{**args, **kwargs})
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out.ckpt").exists()


def test_init_starts_from_a_zoo_network(tmp_path):
    # The model a run trains: the zoo network's architecture and weights.
    from PIL import Image

    from keras_style import zoo
    from keras_style.training.run import _compiled_model
    from keras_style.training.settings import resolve_settings

    style = tmp_path / "style.png"
    Image.fromarray(np.full((32, 32, 3), 90, "uint8")).save(style)

    def compiled(**given):
        settings = resolve_settings(
            {"style": str(style), "data": "photos/", **given},
            checkpoint_dir("unused"),
            resume=False,
        )
        return _compiled_model({**settings, "vgg_weights": None})

    model = compiled(init="wave")
    wave = zoo.load("wave").model
    assert model.get_config()["output_activation"] == "tanh"  # lengstrom's
    for a, b in zip(model.get_weights(), wave.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="must be a TransformNet preset"):
        compiled(init="magenta26")
    with pytest.raises(ValueError, match="pass one"):
        compiled(init="wave", base="magenta26")

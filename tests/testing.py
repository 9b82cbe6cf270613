"""Shared checks for the test suite, in the spirit of Keras' `run_layer_test`
and keras-hub's `run_preset_test`: one place for the round trips every layer,
model and preset must survive.
"""

import json

import keras
import numpy as np


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def unbuilt_layers(model):
    """Names of `model`'s layers (nested ones too) that are not built. Keras
    re-traces a model with any on every `train_on_batch` and (on JAX)
    `predict_on_batch`, to build it."""
    return [layer.name for layer in model._flatten_layers() if not layer.built]


def run_layer_serialization_test(make_layer, x, tmp_path, *, atol=1e-5):
    """A registered layer survives `get_config` and a `.keras` file.

    Args:
        make_layer: a callable returning a fresh, unbuilt layer.
        x: an input batch (numpy).
        tmp_path: a folder for the `.keras` file.
        atol: tolerance on the outputs.
    """
    layer = make_layer()
    y = to_numpy(layer(x))
    config = keras.saving.serialize_keras_object(layer)
    assert config["registered_name"].startswith("keras_style>"), config
    clone = keras.saving.deserialize_keras_object(config)
    assert clone.get_config() == layer.get_config()
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x)), y, rtol=1e-5, atol=atol)
    # Inside a functional model, through a .keras file.
    inputs = keras.Input((None, None, x.shape[-1]))
    model = keras.Model(inputs, make_layer()(inputs))
    model.layers[-1].set_weights(layer.get_weights())
    model.save(tmp_path / "layer.keras")
    loaded = keras.saving.load_model(tmp_path / "layer.keras")
    np.testing.assert_allclose(to_numpy(loaded(x)), y, rtol=1e-5, atol=atol)


def run_model_saving_test(model, x, tmp_path, *, atol=1e-3):
    """A model survives `get_config`, a `.keras` file and a weights file.

    Args:
        model: a built Keras model of this package.
        x: an input batch (numpy).
        tmp_path: a folder for the files.
        atol: tolerance on the outputs (0..255 images).

    Returns:
        The model loaded from the `.keras` file.
    """
    y = to_numpy(model(x))
    cls = type(model)
    assert cls.from_config(model.get_config()).get_config() == model.get_config()
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded, cls)
    np.testing.assert_allclose(to_numpy(loaded(x)), y, rtol=1e-5, atol=atol)
    model.save_weights(tmp_path / "model.weights.h5")
    other = cls.from_config(model.get_config())
    other.build()
    other.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_allclose(to_numpy(other(x)), y, rtol=1e-5, atol=atol)
    return loaded


def run_preset_test(model, x, tmp_path, *, metadata=None, atol=1e-3):
    """A model survives `save_to_preset` and every way of loading a preset.

    Checks the keras-hub file layout, that `config.json` describes the network
    only (no compile settings: inference never rebuilds a loss network), and
    that `TransformNet.from_preset_dir`, `Stylizer.from_preset_dir` and
    `keras_style.zoo.load` give the model's output.

    Returns:
        The preset directory.
    """
    from keras_style import zoo
    from keras_style.inference.stylizer import Stylizer

    y = to_numpy(model(x))
    preset = model.save_to_preset(tmp_path / "preset", metadata=metadata)
    assert {p.name for p in preset.iterdir()} == set(zoo.PRESET_FILES)
    config = json.loads((preset / "config.json").read_text())
    assert "compile_config" not in config, sorted(config)
    meta = json.loads((preset / "metadata.json").read_text())
    for key, value in (metadata or {}).items():
        assert meta[key] == value, key
    loaded = [
        type(model).from_preset_dir(preset),
        Stylizer.from_preset_dir(preset).model,
        zoo.load(preset).model,
    ]
    for other in loaded:
        np.testing.assert_allclose(to_numpy(other(x)), y, rtol=1e-5, atol=atol)
    return preset

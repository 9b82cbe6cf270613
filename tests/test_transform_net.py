"""TransformNet: any-size input, serialization, presets, precision policies."""

import h5py
import keras
import numpy as np
import pytest
from testing import run_model_saving_test, run_preset_test, to_numpy, unbuilt_layers

from keras_style.models.transform_net import TransformNet

SMALL = dict(filters=(8, 16, 32), residual_blocks=1)

_np = to_numpy


def _h5_paths(path):
    names = []
    with h5py.File(path) as f:
        f.visit(names.append)
    return sorted(names)


@pytest.mark.parametrize("size", [(8, 9), (11, 13), (17, 23), (33, 18)])
def test_output_size_equals_input_size(size, rng):
    net = TransformNet(**SMALL)
    x = rng.uniform(0, 255, (2, *size, 3)).astype("float32")
    y = _np(net(x))
    assert y.shape == x.shape
    assert y.dtype == np.float32
    assert y.min() >= 0 and y.max() <= 255


def test_too_small_images_are_a_clear_error(rng):
    net = TransformNet(**SMALL)
    with pytest.raises(
        ValueError, match=r"at least 8x8 pixels. Received: .*\(1, 5, 40, 3\)"
    ):
        net(np.zeros((1, 5, 40, 3), "float32"))


@pytest.mark.slow
def test_full_size_odd_photo_474x712(rng):
    net = TransformNet(residual_blocks=1)
    net.compile()  # plain compile: the compiled predict function
    x = rng.uniform(0, 255, (1, 474, 712, 3)).astype("float32")
    y = net.predict_on_batch(x)
    assert y.shape == (1, 474, 712, 3)
    assert np.isfinite(y).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(upsampling="transpose"),
        dict(residual_blocks=0),
        dict(
            padding="zero", use_bias=False, output_activation="tanh", output_norm=True
        ),
    ],
    ids=["transpose", "no_residual", "lengstrom"],
)
def test_variants_build_and_keep_size(kwargs, rng):
    net = TransformNet(filters=(8, 16, 32), **{"residual_blocks": 1, **kwargs})
    x = rng.uniform(0, 255, (1, 13, 21, 3)).astype("float32")
    assert _np(net(x)).shape == x.shape


@pytest.mark.parametrize("upsampling", ["nearest", "transpose"])
def test_every_layer_is_built_after_one_call(upsampling, rng):
    """Else Keras traces the whole model again before every `train_on_batch`
    (about 0.1 s a step on JAX) to build what is left."""
    net = TransformNet(filters=(4, 8, 8), residual_blocks=1, upsampling=upsampling)
    net(rng.uniform(0, 255, (1, 12, 12, 3)).astype("float32"))
    assert unbuilt_layers(net) == []


def test_config_round_trip():
    net = TransformNet(filters=(4, 8, 16), residual_blocks=2, upsampling="transpose")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(net)
    )
    assert isinstance(restored, TransformNet)
    assert restored.get_config() == net.get_config()


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"upsampling": "transpose", "padding": "zero", "output_activation": "tanh"}],
    ids=["default", "lengstrom"],
)
def test_keras_file_weights_and_preset_round_trips(kwargs, tmp_path, rng):
    net = TransformNet(**SMALL, **kwargs)
    x = rng.uniform(0, 255, (1, 19, 25, 3)).astype("float32")
    net(x)
    run_model_saving_test(net, x, tmp_path)
    run_preset_test(net, x, tmp_path, metadata={"style": "noise"})


def test_weight_paths_are_stable(tmp_path):
    """The weight converter relies on these paths: training must not move them."""
    net = TransformNet(filters=(4, 8, 16), residual_blocks=1)
    net.build()
    net.save_weights(tmp_path / "w.weights.h5")
    kernels = [p for p in _h5_paths(tmp_path / "w.weights.h5") if p.endswith("vars/0")]
    assert kernels == [
        "conv_out/conv/vars/0",
        "down_layers/container/instance_normalization/vars/0",
        "down_layers/container/padded_conv2d/conv/vars/0",
        "down_layers/container_1/instance_normalization/vars/0",
        "down_layers/container_1/padded_conv2d/conv/vars/0",
        "down_layers/container_2/instance_normalization/vars/0",
        "down_layers/container_2/padded_conv2d/conv/vars/0",
        "layers/instance_normalization_3/vars/0",
        "layers/instance_normalization_4/vars/0",
        "layers/residual_block/conv1/conv/vars/0",
        "layers/residual_block/conv2/conv/vars/0",
        "layers/residual_block/norm1/vars/0",
        "layers/residual_block/norm2/vars/0",
        "layers/upsample_conv2d/conv/conv/vars/0",
        "layers/upsample_conv2d_1/conv/conv/vars/0",
    ]


def test_preset_of_a_trained_model_holds_only_network_weights(tmp_path, rng):
    net = TransformNet(**SMALL)
    net.build()
    net.save_weights(tmp_path / "plain.weights.h5")
    # Eager on TF (tracing costs more than this step); compiled elsewhere.
    net.compile(
        optimizer="adam",
        loss="mse",
        run_eagerly=keras.backend.backend() == "tensorflow",
    )
    x = rng.uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    net.fit(x, x, epochs=1, verbose=0)
    assert net.optimizer.variables  # a compiled, trained model has Adam slots
    preset = net.save_to_preset(tmp_path / "preset", metadata={"style": "noise"})
    assert _h5_paths(preset / "model.weights.h5") == _h5_paths(
        tmp_path / "plain.weights.h5"
    )
    loaded = TransformNet.from_preset_dir(preset)
    x = rng.uniform(0, 255, (1, 12, 12, 3)).astype("float32")
    np.testing.assert_allclose(_np(loaded(x)), _np(net(x)), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.slow
def test_mixed_precision_by_argument_and_global_policy(policy, rng):
    x = rng.uniform(0, 255, (1, 10, 14, 3)).astype("float32")
    by_arg = TransformNet(dtype=policy, **SMALL)
    y = _np(by_arg(x))
    assert by_arg.compute_dtype == policy.split("_")[1]
    assert y.dtype == np.float32 and y.shape == x.shape and np.isfinite(y).all()
    keras.config.set_dtype_policy(policy)
    by_global = TransformNet(**SMALL)
    by_global.build()
    assert by_global.conv_out.conv.compute_dtype == policy.split("_")[1]
    assert by_global.conv_out.conv.kernel.dtype == "float32"
    y = _np(by_global(x))
    assert y.dtype == np.float32 and np.isfinite(y).all()
    config = by_global.get_config()
    keras.config.set_dtype_policy("float32")
    assert TransformNet.from_config(config).compute_dtype == policy.split("_")[1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(filters=(8, 16)), "Received: filters="),
        (dict(residual_blocks=-1), "Received: residual_blocks="),
        (dict(upsampling="bilinear"), "Received: upsampling="),
        (dict(padding="same"), "Received: padding="),
        (dict(output_activation="sigmoid"), "Received: output_activation="),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransformNet(**kwargs)
    with pytest.raises(TypeError, match="Received: residual_blocks="):
        TransformNet(residual_blocks=1.5)

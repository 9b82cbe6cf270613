"""`TransformNet`'s hand-written PyTorch pass (`models/transform_net_torch.py`)
against the Keras layers it stands in for."""

import keras
import numpy as np
import pytest

from keras_style import zoo
from keras_style.inference import network_call
from keras_style.models.transform_net import TransformNet

TORCH = keras.backend.backend() == "torch"
needs_torch = pytest.mark.skipif(not TORCH, reason="runs under the PyTorch backend")

# The configurations the zoo uses: pytorch/examples (reflection padding,
# nearest upsampling, biases) and lengstrom (zero padding, transposed
# convolutions, no biases, tanh output, a last instance norm).
CONFIGS = {
    "pytorch_examples": {},
    "lengstrom": dict(
        upsampling="transpose",
        padding="zero",
        use_bias=False,
        norm_epsilon=1e-3,
        output_activation="tanh",
        output_norm=True,
    ),
    # The other combinations of padding and upsampling.
    "zero_nearest": dict(padding="zero", use_bias=False),
    "reflect_transpose": dict(upsampling="transpose"),
}


def _randomized(net, seed):
    """`net` with random weights everywhere, norms included (the defaults of
    gamma 1 and beta 0 would hide a swapped scale and shift)."""
    rng = np.random.default_rng(seed)
    net.set_weights(
        [rng.normal(0.0, 0.2, w.shape).astype("float32") for w in net.get_weights()]
    )
    return net


@needs_torch
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("size", [(17, 23), (32, 32), (30, 45)])
def test_torch_pass_matches_keras_layers(config, size):
    from keras_style.models.transform_net_torch import transform_net_forward

    net = TransformNet(residual_blocks=2, **CONFIGS[config])
    net.build()
    _randomized(net, seed=sum(size))
    x = np.random.default_rng(0).uniform(0, 255, (2, *size, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(net(x, training=False))
    got = transform_net_forward(net, x).numpy()
    assert got.shape == expected.shape == (2, *size, 3)
    np.testing.assert_allclose(got, expected, atol=0.02)


@needs_torch
def test_stylizer_runs_the_torch_pass_on_the_wave_preset(monkeypatch):
    import keras_style.models.transform_net_torch as torch_pass

    stylizer = zoo.load("wave")
    calls = []
    forward = torch_pass.transform_net_forward
    monkeypatch.setattr(
        torch_pass,
        "transform_net_forward",
        lambda net, x: calls.append(x.shape) or forward(net, x),
    )
    photo = np.random.default_rng(1).uniform(0, 255, (37, 50, 3)).astype("uint8")
    out = np.asarray(stylizer.stylize(photo))
    assert calls == [(1, 37, 50, 3)]
    expected = stylizer.model.predict_on_batch(photo[None].astype("float32"))[0]
    expected = np.clip(np.round(expected), 0, 255)
    assert out.shape == (37, 50, 3)
    assert np.abs(out.astype(float) - expected).max() <= 1


def test_no_faster_pass_off_torch_or_in_bfloat16():
    net = TransformNet(residual_blocks=1)
    net.build()
    assert (net.backend_forward() is not None) == TORCH
    bf16 = network_call.with_compute_dtype(net, "bfloat16")
    assert bf16.backend_forward() is None

"""Gatys optimization: gradients, optimizers, scales, colours, hooks, errors.

Most tests share one small extractor (VGG19 up to relu2_1, random weights)
and one image size, so each backend compiles the gradient function once.
"""

import keras
import numpy as np
import pytest
from keras import ops
from PIL import Image

from keras_style import image as image_lib
from keras_style.optimize import (
    GatysStyleTransfer,
    StylizeResult,
    lbfgs_minimize,
    stylize_optimize,
)
from keras_style.optimize.gradients import compile_step
from keras_style.utils import colors

SHALLOW = {"content_layers": ["relu2_1"], "style_layers": ["relu1_1", "relu2_1"]}


def _content(h=24, w=32):
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack(
        [60 + 4 * x, 70 + 5 * y, 190 - 2 * (x + y)], axis=-1
    )  # mid-range colours: nothing clips in YIQ round trips
    return np.clip(rgb, 0, 255).astype("float32")


def _style(seed=0, size=40, hue=(1.0, 0.2, 0.6)):
    rng = np.random.default_rng(seed)
    stripes = (np.sin(np.arange(size) / 2.0)[None, :] + 1) * 110
    base = np.repeat(stripes, size, axis=0)[..., None] * np.array(hue)[None, None]
    return np.clip(base + rng.uniform(0, 30, (size, size, 3)), 0, 255).astype("float32")


@pytest.fixture(scope="module")
def gatys():
    keras.utils.set_random_seed(0)
    return GatysStyleTransfer(
        **SHALLOW,
        content_weight=1.0,
        style_weight=1e3,
        tv_weight=1e-3,
        vgg_weights=None,
    )


def _run(gatys, **kwargs):
    kwargs.setdefault("size", 32)
    kwargs.setdefault("iterations", 4)
    kwargs.setdefault("verbose", 0)
    content = kwargs.pop("content", _content())
    style = kwargs.pop("style", _style())
    return gatys.run(content, style, **kwargs)


# --- the backend-specific gradient against a float64 numpy reference ------


def _np_block1(x, kernels, biases):
    """relu1_1, relu1_2 of VGG with Caffe preprocessing, in float64 numpy."""
    y = x[..., ::-1] - np.array([103.939, 116.779, 123.68])
    out = []
    for k, b in zip(kernels, biases):
        h, w = y.shape[1:3]
        p = np.pad(y, ((0, 0), (1, 1), (1, 1), (0, 0)))
        y = sum(
            p[:, i : i + h, j : j + w] @ k[i, j] for i in range(3) for j in range(3)
        )
        y = np.maximum(y + b, 0)
        out.append(y)
    return out


def _np_gram(f):
    _, h, w, c = f.shape
    flat = f.reshape(h * w, c)
    return flat.T @ flat / (h * w * c)


def test_value_and_grad_match_numpy_reference():
    from keras_style.losses.perceptual import PerceptualLoss
    from keras_style.losses.vgg import vgg_feature_extractor

    rng = np.random.default_rng(0)
    model = vgg_feature_extractor(["relu1_1", "relu1_2"], weights=None)
    kernels = [rng.normal(0, 0.02, (3, 3, 3, 64)), rng.normal(0, 0.02, (3, 3, 64, 64))]
    biases = [rng.normal(0, 1, 64), rng.normal(0, 1, 64)]
    model.get_layer("block1_conv1").set_weights([kernels[0], biases[0]])
    model.get_layer("block1_conv2").set_weights([kernels[1], biases[1]])
    loss = PerceptualLoss(
        ["relu1_2"], ["relu1_1", "relu1_2"], 2.0, 5.0, 0.01, style_layer_weights=[1, 3]
    )
    image, content, style = (rng.uniform(20, 235, (1, 6, 7, 3)) for _ in range(3))
    c_np = _np_block1(content, kernels, biases)[1]
    s_np = [_np_gram(f) for f in _np_block1(style, kernels, biases)]

    def np_loss(x):
        f1, f2 = _np_block1(x, kernels, biases)
        tv = np.mean(np.diff(x, axis=1) ** 2) + np.mean(np.diff(x, axis=2) ** 2)
        s = np.mean((_np_gram(f1) - s_np[0]) ** 2) + 3 * np.mean(
            (_np_gram(f2) - s_np[1]) ** 2
        )
        return 2.0 * np.mean((f2 - c_np) ** 2) + 5.0 * s + 0.01 * tv

    f = compile_step(model, loss, use_tv=True)[1]
    targets = ({"relu1_2": c_np.astype("float32")},)
    grams = {
        "relu1_1": s_np[0][None].astype("float32"),
        "relu1_2": s_np[1][None].astype("float32"),
    }
    total, parts, grad = f(
        keras.ops.convert_to_tensor(image.astype("float32")), *targets, grams
    )
    grad = keras.ops.convert_to_numpy(grad)
    assert grad.shape == image.shape
    np.testing.assert_allclose(float(total), np_loss(image), rtol=1e-4)
    assert set(parts) == {"content", "style", "tv"}
    # Central differences at a few pixels (float64, so they are exact enough).
    scale = np.abs(grad).max()
    for index in [(0, 0, 0, 0), (0, 3, 4, 1), (0, 5, 6, 2), (0, 2, 0, 1)]:
        e = np.zeros_like(image)
        e[index] = 1e-3
        numeric = (np_loss(image + e) - np_loss(image - e)) / 2e-3
        assert abs(grad[index] - numeric) <= 2e-3 * scale, (index, grad[index], numeric)


@pytest.mark.parametrize(
    "pooling, border, winograd_min_side", [("max", 0, None), ("avg", 16, 1)]
)
@pytest.mark.slow
def test_hand_written_vgg_forward_matches_keras_model(
    pooling, border, winograd_min_side, monkeypatch
):
    """The hand-written VGG pass of each backend (vgg_forward.py) gives the
    loss and gradient of autodiff through the Keras model, on odd sizes
    through every block, with and without the reflection border; with
    Winograd on every layer it takes on CPU (TF, JAX) in the second case,
    since this image is below the size that turns it on."""
    from keras_style.losses.perceptual import PerceptualLoss
    from keras_style.losses.vgg import vgg_feature_extractor
    from keras_style.optimize import vgg_forward

    if winograd_min_side is not None:
        monkeypatch.setattr(vgg_forward, "WINOGRAD_MIN_SIDE", winograd_min_side)
    keras.utils.set_random_seed(0)
    # Only deep taps, so that every layer's gradient shapes the result.
    model = vgg_feature_extractor(["relu4_2", "relu5_1"], weights=None, pooling=pooling)
    loss = PerceptualLoss(["relu4_2"], ["relu5_1"], 1.0, 1e3)
    rng = np.random.default_rng(0)
    image, content, style = (
        ops.convert_to_tensor(rng.uniform(0, 255, (1, 37, 34, 3)).astype("float32"))
        for _ in range(3)
    )
    assert vgg_forward.vgg_chain(model) is not None
    features, fast = compile_step(model, loss, use_tv=False, border=border)
    # The border is cropped off: the taps keep the unpadded image's grid.
    unpadded = model(content)
    padded = features(content)
    for tap in ("relu4_2", "relu5_1"):
        assert tuple(padded[tap].shape) == tuple(unpadded[tap].shape)
    targets = {"relu4_2": padded["relu4_2"]}
    grams = loss.style_targets(features(style))
    monkeypatch.setattr(vgg_forward, "vgg_chain", lambda model: None)
    keras_model = compile_step(model, loss, use_tv=False, border=border)[1]

    total, _, grad = fast(image, targets, grams)
    expected_total, _, expected = keras_model(image, targets, grams)
    grad, expected = ops.convert_to_numpy(grad), ops.convert_to_numpy(expected)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(float(total), float(expected_total), rtol=1e-4)
    np.testing.assert_allclose(
        grad, expected, rtol=0, atol=1e-3 * np.abs(expected).max()
    )


@pytest.mark.parametrize("network", ["vgg16", "vgg19"])
def test_tap_strides_match_the_feature_maps(network):
    """The reflection border crops each tap by `border // stride` cells, so the
    strides read from the VGG description must be the maps' real ones: those
    of a built model and those of the description alone (the size checks made
    before any network is built)."""
    from keras_style.losses.vgg import (
        vgg_feature_extractor,
        vgg_layer_names,
        vgg_tap_strides,
    )
    from keras_style.optimize.vgg_forward import tap_strides

    taps = vgg_layer_names(network)
    model = vgg_feature_extractor(taps, network=network, weights=None)
    features = model(np.zeros((1, 32, 48, 3), "float32"))
    strides = tap_strides(model)
    assert sorted(strides) == sorted(taps)
    for tap in taps:
        assert tuple(features[tap].shape[1:3]) == (
            32 // strides[tap],
            48 // strides[tap],
        )
    assert strides["relu1_1"] == 1 and strides["relu5_1"] == 16
    assert vgg_tap_strides(network) == strides


def test_vgg_chain_rejects_other_models():
    from keras_style.optimize import vgg_forward

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="valid", activation="relu")(inputs)
    model = keras.Model(inputs, {"relu1_1": x})
    assert vgg_forward.vgg_chain(model) is None


# --- optimizers -------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["lbfgs", "lbfgs-b", "adam"])
def test_loss_decreases(gatys, optimizer):
    result = _run(gatys, optimizer=optimizer, iterations=8)
    assert isinstance(result, StylizeResult)
    assert result.image.shape == (24, 32, 3) and result.image.dtype == np.float32
    assert result.image.min() >= 0 and result.image.max() <= 255
    totals = [h["total"] for h in result.history]
    assert len(totals) == 8 and len(result.evaluations) == 8
    if optimizer.startswith("lbfgs"):  # both refuse uphill steps
        assert all(b <= a * (1 + 1e-6) for a, b in zip(totals, totals[1:])), totals
        assert totals[-1] < 0.75 * totals[0], totals
    else:
        assert totals[-1] < 0.5 * totals[0], totals
    h = result.history[-1]
    assert h["total"] == pytest.approx(h["content"] + h["style"] + h["tv"], rel=1e-6)
    assert not result.stopped_early
    assert np.abs(result.image - _content()).mean() > 1.0  # the picture changed


def test_bfloat16_vgg_pass_tracks_float32(gatys):
    """`dtype="bfloat16"`: the same losses within bfloat16's precision (8
    bits of mantissa) and the same descent; the image stays float32."""
    keras.utils.set_random_seed(0)  # the `gatys` fixture's random weights
    half = GatysStyleTransfer(
        **SHALLOW,
        content_weight=1.0,
        style_weight=1e3,
        tv_weight=1e-3,
        vgg_weights=None,
        dtype="bfloat16",
    )
    assert half.get_config()["dtype"] == "bfloat16"
    full_run = _run(gatys, iterations=6)
    half_run = _run(half, iterations=6)
    assert half_run.image.dtype == np.float32
    # Measured at the first step: 0.006% (TF), 0.04% (JAX), 0.15% (torch)
    # apart; after 6 steps the total is at 0.06-0.18 of its start.
    for key in ("style", "total"):
        assert half_run.history[0][key] == pytest.approx(
            full_run.history[0][key], rel=0.03
        )
    totals = [h["total"] for h in half_run.history]
    assert totals[-1] < 0.5 * totals[0], totals
    with pytest.raises(ValueError, match="Received: dtype='float16'"):
        GatysStyleTransfer(vgg_weights=None, dtype="float16")


@pytest.mark.parametrize("optimizer", ["lbfgs", "lbfgs-b"])
def test_lbfgs_evaluations_are_counted(gatys, optimizer):
    result = _run(gatys, optimizer=optimizer, iterations=5)
    evals = result.evaluations
    assert evals == sorted(evals) and evals[0] >= 1 and evals[-1] >= 5
    assert "ITERATION" in result.message.upper()


def _quadratic(n=60, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    q = a @ a.T / n + np.diag(np.logspace(-1, 1, n))
    b = rng.normal(size=n) * 20
    calls = []

    def fun(x):
        calls.append(1)
        x = x.astype(np.float64)
        return float(0.5 * x @ q @ x - b @ x), (q @ x - b).astype("float32"), None

    return fun, q, b, calls


def test_lbfgs_minimize_matches_scipy_on_a_bounded_quadratic():
    import scipy.optimize

    fun, q, b, calls = _quadratic()
    x, message = lbfgs_minimize(fun, np.zeros(60, "float32"), 60, bounds=(-4, 4))
    reference = scipy.optimize.minimize(
        lambda x: fun(x)[:2],
        np.zeros(60),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-4, 4)] * 60,
        options={"ftol": 0, "gtol": 1e-9, "maxiter": 1000},
    )
    assert message == "STOP: iteration budget reached"
    assert x.dtype == np.float32 and x.min() >= -4 and x.max() <= 4
    assert (np.abs(reference.x) >= 4 - 1e-6).sum() > 5  # some bounds are active
    np.testing.assert_allclose(fun(x)[0], reference.fun, rtol=1e-5)
    np.testing.assert_allclose(x, reference.x, atol=2e-2)


def test_lbfgs_minimize_callback_and_evaluation_count():
    fun, *_, calls = _quadratic()
    seen = []

    def callback(x, aux):
        seen.append(x.copy())
        return len(seen) < 7

    x, message = lbfgs_minimize(fun, np.zeros(60, "float32"), 50, callback=callback)
    assert message == "STOP: callback" and len(seen) == 7
    np.testing.assert_array_equal(x, seen[-1])
    # One evaluation per iteration plus the start, plus rare halvings.
    assert 8 <= len(calls) <= 12
    # The first step, without curvature information, has L1 length 1.
    assert np.abs(seen[0]).sum() == pytest.approx(1.0, rel=1e-4)


def test_keras_optimizer_instance(gatys):
    sgd = keras.optimizers.SGD(learning_rate=1e-3)
    result = _run(gatys, optimizer=sgd, iterations=3)
    assert len(result.history) == 3
    assert not sgd.built  # a copy did the work, the instance is reusable


@pytest.mark.slow
def test_default_layers_full_vgg19():
    # relu5_1 sits after four 2x2 poolings: 16 px per side is the minimum.
    with pytest.raises(ValueError, match=r"relu5_1.*16 px.*Received: size=16"):
        stylize_optimize(_content(12, 16), _style(), size=16, vgg_weights=None)
    result = stylize_optimize(
        _content(16, 20),
        _style(size=16),
        size=20,
        iterations=1,
        optimizer="adam",
        vgg_weights=None,
        verbose=0,
    )
    assert result.image.shape == (16, 20, 3)
    assert len(result.history) == 1 and result.history[0]["content"] == 0.0
    assert result.history[0]["style"] > 0.0


# --- scales, init, style handling ------------------------------------------


def test_multi_scale_final_size(gatys):
    calls = []
    result = _run(
        gatys,
        scales=(16, 32),
        iterations=[2, 3],
        optimizer="adam",
        callback=lambda i, img, losses: calls.append((i, img.shape)),
    )
    assert result.image.shape == (24, 32, 3)
    assert calls == [(1, (12, 16, 3)), (2, (12, 16, 3))] + [
        (i, (24, 32, 3)) for i in (3, 4, 5)
    ]
    # The second scale starts from the upsampled first result, not the photo.
    assert result.history[0]["content"] == 0.0
    assert result.history[2]["content"] > 0.0


def test_size_and_scales_must_agree(gatys):
    with pytest.raises(ValueError, match=r"Received: size=64, scales=\[16, 32\]"):
        _run(gatys, size=64, scales=[16, 32])
    assert _run(gatys, size=32, scales=[32], iterations=1).image.shape == (24, 32, 3)


def test_init_modes(gatys, tmp_path):
    content = np.rint(_content())

    def first(**kw):
        return _run(gatys, content=content, optimizer="adam", iterations=1, **kw)

    assert first(init="content").history[0]["content"] == 0.0
    assert first(init=content).history[0]["content"] == 0.0
    Image.fromarray(content.astype("uint8")).save(tmp_path / "init.png")
    assert first(init=str(tmp_path / "init.png")).history[0]["content"] == 0.0
    assert first(init="style").history[0]["content"] > 0.0
    a = first(init="noise", seed=1)
    b = first(init="noise", seed=1)
    c = first(init="noise", seed=2)
    assert a.history[0]["content"] > 0.0
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.allclose(a.image, c.image)


def test_style_blend_one_zero_equals_single_style(gatys):
    s1, s2 = _style(0), _style(1, size=36, hue=(0.2, 0.9, 0.3))
    single = _run(gatys, style=s1, optimizer="adam")
    blended = _run(gatys, style=[s1, s2], style_blend_weights=[1, 0], optimizer="adam")
    np.testing.assert_allclose(blended.image, single.image, atol=1e-3)
    np.testing.assert_allclose(
        [h["total"] for h in blended.history],
        [h["total"] for h in single.history],
        rtol=1e-5,
    )
    other = _run(gatys, style=[s1, s2], style_blend_weights=[0, 3], optimizer="adam")
    only2 = _run(gatys, style=s2, optimizer="adam")
    np.testing.assert_allclose(other.image, only2.image, atol=1e-3)
    mixed = _run(gatys, style=[s1, s2], optimizer="adam")
    assert np.abs(mixed.image - single.image).mean() > 0.01


def test_style_scale_and_histogram_transfer(gatys, monkeypatch):
    seen = []
    original = gatys._targets

    def spy(content, styles, blend):
        seen.append([s.copy() for s in styles])
        return original(content, styles, blend)

    monkeypatch.setattr(gatys, "_targets", spy)
    _run(gatys, style_scale=0.5, iterations=1)
    assert seen[-1][0].shape == (16, 16, 3)  # 40 px style -> 0.5 * 32
    _run(gatys, color_transfer="histogram", iterations=1)
    recoloured = seen[-1][0].reshape(-1, 3).mean(0)
    np.testing.assert_allclose(recoloured, _content().reshape(-1, 3).mean(0), atol=3)
    assert np.abs(_style().reshape(-1, 3).mean(0) - recoloured).max() > 20


def test_preserve_colors_keeps_content_chroma(gatys):
    content = _content()
    kw = {"optimizer": "adam", "learning_rate": 20.0, "iterations": 6}
    kept = _run(gatys, preserve_colors=True, **kw).image
    free = _run(gatys, preserve_colors=False, **kw).image
    yiq_content, yiq_kept, yiq_free = (
        colors.rgb_to_yiq(x) for x in (content, kept, free)
    )
    chroma = np.abs(yiq_kept[..., 1:] - yiq_content[..., 1:]).mean()
    luma = np.abs(yiq_kept[..., 0] - yiq_content[..., 0]).mean()
    assert chroma < 0.5, chroma  # I and Q are the content's
    assert luma > 2.0, luma  # but the luminance was stylized
    assert np.abs(yiq_free[..., 1:] - yiq_content[..., 1:]).mean() > 4 * chroma + 0.5


# --- progress, snapshots, callback -----------------------------------------


def test_save_every_writes_snapshots(gatys, tmp_path):
    _run(gatys, optimizer="adam", save_every=2, save_path=tmp_path / "snap.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "snap_0002.png",
        "snap_0004.png",
    ]
    img = image_lib.load_image(tmp_path / "snap_0004.png")
    assert img.shape == (24, 32, 3)
    _run(
        gatys,
        optimizer="lbfgs",
        iterations=3,
        save_every=3,
        save_path=str(tmp_path / "it{iteration}_{size}.jpg"),
    )
    assert (tmp_path / "it3_32.jpg").is_file()


@pytest.mark.parametrize("optimizer", ["lbfgs", "lbfgs-b", "adam"])
def test_callback_sees_images_and_can_stop(gatys, optimizer):
    seen = []

    def callback(iteration, image, losses):
        seen.append((iteration, image.shape, image.dtype, sorted(losses)))
        assert image.min() >= 0 and image.max() <= 255
        return iteration < 2

    result = _run(gatys, optimizer=optimizer, iterations=6, callback=callback)
    assert [s[0] for s in seen] == [1, 2]
    assert seen[0][1:] == ((24, 32, 3), np.float32, ["content", "style", "total", "tv"])
    assert result.stopped_early and len(result.history) == 2
    assert "callback" in result.message


def test_verbose_prints_losses(gatys, capsys):
    _run(gatys, iterations=2, verbose=1)
    out = capsys.readouterr().out
    assert "Scale 1/1: 32x24 px, 2 iterations (lbfgs)" in out
    assert "total" in out and "style" in out
    _run(gatys, iterations=1, verbose=0)
    assert capsys.readouterr().out == ""


# --- bad input ----------------------------------------------------------------


BAD_RUN_ARGUMENTS = [
    ({"iterations": 0}, ValueError, "Received: iterations=0"),
    ({"iterations": -3}, ValueError, "Received: iterations=-3"),
    ({"iterations": 2.5}, TypeError, "Received: iterations=2.5"),
    ({"iterations": [1, 2]}, ValueError, r"Received: iterations=\[1, 2\]"),
    ({"size": 0}, ValueError, "Received: size=0"),
    ({"size": -8}, ValueError, "Received: size=-8"),
    ({"scales": [16, 0], "size": None}, ValueError, r"Received: scales=\[16, 0\]"),
    ({"scales": [], "size": None}, ValueError, r"Received: scales=\[\]"),
    ({"optimizer": "sgd"}, ValueError, "Received: optimizer='sgd'"),
    ({"learning_rate": 0}, ValueError, "Received: learning_rate=0"),
    ({"init": "bogus"}, ValueError, "Received: init='bogus'"),
    ({"style_scale": -1}, ValueError, "Received: style_scale=-1"),
    ({"style_scale": 0.01}, ValueError, "Received: style_scale=0.01"),
    ({"size": 1}, ValueError, "relu2_1.*Received: size=1"),
    ({"color_transfer": "lab"}, ValueError, "Received: color_transfer='lab'"),
    (
        {"preserve_colors": True, "color_transfer": "histogram"},
        ValueError,
        "pick one",
    ),
    ({"style_blend_weights": [1, 2]}, ValueError, r"style_blend_weights=\[1, 2\]"),
    ({"style_blend_weights": [0]}, ValueError, r"style_blend_weights=\[0\]"),
    ({"save_every": 2}, ValueError, "save_path=None"),
    ({"save_every": 0, "save_path": "x.png"}, ValueError, "Received: save_every=0"),
    ({"callback": 5}, TypeError, "Received: callback=5"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_RUN_ARGUMENTS)
def test_bad_run_arguments(gatys, kwargs, error, message):
    with pytest.raises(error, match=message):
        _run(gatys, **kwargs)


@pytest.mark.parametrize("kwargs, error, message", BAD_RUN_ARGUMENTS)
def test_stylize_optimize_reports_bad_arguments_before_building_vgg(
    kwargs, error, message, monkeypatch
):
    """Building VGG19 takes seconds (its random initialisation compiles on
    JAX): `stylize_optimize`, and so `keras-style optimize`, checks first."""
    from keras_style.optimize import gatys as gatys_module

    def no_network(*args, **kwargs):
        raise AssertionError("VGG19 was built before the arguments were checked")

    monkeypatch.setattr(gatys_module, "vgg_feature_extractor", no_network)
    kwargs = {"size": 32, "iterations": 4, "verbose": 0, **kwargs}
    with pytest.raises(error, match=message):
        stylize_optimize(_content(), _style(), vgg_weights=None, **SHALLOW, **kwargs)
    # Good arguments get as far as the network.
    with pytest.raises(AssertionError, match="VGG19 was built"):
        stylize_optimize(_content(), _style(), vgg_weights=None, **SHALLOW, size=32)


def test_bad_images(gatys, tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: content="):
        _run(gatys, content=tmp_path / "missing.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    with pytest.raises(ValueError, match="Received: style="):
        _run(gatys, style=str(tmp_path / "bad.jpg"))
    with pytest.raises(ValueError, match=r"Received: style\[1\]="):
        _run(gatys, style=[_style(), str(tmp_path / "bad.jpg")])
    with pytest.raises(ValueError, match="NaN"):
        _run(gatys, content=np.full((8, 8, 3), np.nan, "float32"))
    with pytest.raises(ValueError, match="zero size"):
        _run(gatys, style=np.zeros((0, 8, 3), "uint8"))
    with pytest.raises(ValueError, match="Received: style=\\[\\]"):
        _run(gatys, style=[])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"content_layers": ["relu9_9"]},
            ValueError,
            r"relu5_4.*Received: content_layers=\['relu9_9'\]",
        ),
        ({"style_layers": ["conv1"]}, ValueError, "Received: style_layers="),
        ({"pooling": "median"}, ValueError, "Received: pooling='median'"),
        ({"style_weight": -1}, ValueError, "Received: style_weight=-1"),
        ({"style_layer_weights": [1, 2]}, ValueError, "style_layer_weights"),
        ({"vgg_weights": 3}, TypeError, "Received: vgg_weights=3"),
        ({"border": -1}, ValueError, "Received: border=-1"),
        ({"border": 2.5}, ValueError, "Received: border=2.5"),
    ],
)
def test_bad_configuration(kwargs, error, message):
    with pytest.raises(error, match=message):
        GatysStyleTransfer(**kwargs)


def test_bad_vgg_weights_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: vgg_weights="):
        stylize_optimize(_content(), _style(), vgg_weights=tmp_path / "no.weights.h5")
    (tmp_path / "bad.weights.h5").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="Received: vgg_weights="):
        GatysStyleTransfer(**SHALLOW, vgg_weights=tmp_path / "bad.weights.h5")


def test_vgg_weights_file_is_used(tmp_path):
    keras.utils.set_random_seed(1)
    base = keras.applications.VGG19(include_top=False, weights=None)
    base.save_weights(tmp_path / "vgg19.weights.h5")
    gatys = GatysStyleTransfer(**SHALLOW, vgg_weights=tmp_path / "vgg19.weights.h5")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(gatys.extractor.get_layer("block2_conv1").kernel),
        keras.ops.convert_to_numpy(base.get_layer("block2_conv1").kernel),
    )


def test_real_photos(gatys, shared_data):
    result = _run(
        gatys,
        content=shared_data / "content" / "amber.jpg",
        style=shared_data / "styles" / "wave.jpg",
        optimizer="adam",
        iterations=2,
    )
    assert max(result.image.shape[:2]) == 32


def test_winograd_only_on_feature_maps_large_enough_to_gain():
    from keras_style.optimize import vgg_forward

    side = vgg_forward.WINOGRAD_MIN_SIDE
    shape = type("X", (), {})
    for dims, expected in [
        ((1, side - 1, 4 * side, 256), False),  # the smaller side decides
        ((1, side, side, 256), True),
        ((1, None, None, 256), True),  # unknown sizes: as before
    ]:
        x = shape()
        x.shape = dims
        assert vgg_forward._large_enough_for_winograd(x) == expected, dims

"""Multi-style transfer (Dumoulin et al. 2017): the network, the converter
against onnxruntime, the embedded `magenta26` preset, its stylizer and CLI."""

import json
import pathlib

import keras
import numpy as np
import pytest
from PIL import Image

from keras_style import cli, zoo
from keras_style.image import load_image
from keras_style.inference.multi_style_stylizer import MultiStyleStylizer, parse_style
from keras_style.models.multi_style import MultiStyleNet, StyleTable
from keras_style.presets import registry
from tests.testing import run_model_saving_test, to_numpy, unbuilt_layers

ROOT = pathlib.Path(__file__).resolve().parent.parent


def tiny_net(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    net = MultiStyleNet(
        num_styles=3, filters=(4, 4, 8), expand_filters=(4, 4), residual_blocks=1
    )
    net.build()
    # Random tables, so that styles differ.
    for table in net.style_tables:
        table.set_weights([np.random.uniform(0.5, 1.5, w.shape) for w in table.weights])
    return net


def psnr(a, b):
    return 10 * np.log10(255.0**2 / np.mean((np.float64(a) - np.float64(b)) ** 2))


@pytest.fixture(scope="module")
def magenta26():
    return zoo.load("magenta26")


@pytest.fixture(scope="module")
def photo():
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:45, 0:61]
    base = np.stack([x * 4, y * 5, 128 + 0 * x], -1) + rng.integers(0, 20, (45, 61, 3))
    return np.clip(base, 0, 255).astype("uint8")


# --- the network ----------------------------------------------------------------


def test_style_table_mixes_rows():
    table = StyleTable(3, 2)
    table.build()
    table.set_weights([np.arange(6.0).reshape(3, 2), -np.arange(6.0).reshape(3, 2)])
    scale, shift = table(np.array([[0, 1, 0], [0.5, 0, 0.5]], "f4"))
    np.testing.assert_allclose(to_numpy(scale), [[2, 3], [2, 3]])
    np.testing.assert_allclose(to_numpy(shift), [[-2, -3], [-2, -3]])


@pytest.mark.parametrize("size", [(8, 8), (13, 21), (30, 45)])
def test_any_size_round_trips(size):
    net = tiny_net()
    photos = np.random.default_rng(0).uniform(0, 255, (2, *size, 3)).astype("f4")
    out = to_numpy(net([photos, np.eye(3, dtype="f4")[[1]]]))
    assert out.shape == photos.shape and out.min() >= 0 and out.max() <= 255
    assert unbuilt_layers(net) == []  # else Keras re-traces it every step


def test_styles_differ_and_blend_in_the_normalisation():
    net = tiny_net()
    photos = np.random.default_rng(1).uniform(0, 255, (1, 20, 24, 3)).astype("f4")
    a = to_numpy(net([photos, np.array([[1, 0, 0]], "f4")]))
    b = to_numpy(net([photos, np.array([[0, 1, 0]], "f4")]))
    mix = to_numpy(net([photos, np.array([[0.5, 0.5, 0]], "f4")]))
    assert np.abs(a - b).mean() > 1
    # A blend mixes scales and shifts, not pictures: neither end, nor their mean.
    assert np.abs(mix - a).mean() > 0.1 and np.abs(mix - b).mean() > 0.1


def test_network_round_trips_through_keras_files(tmp_path):
    net = tiny_net()
    photos = np.random.default_rng(2).uniform(0, 255, (1, 20, 28, 3)).astype("f4")
    loaded = run_model_saving_test(net, [photos, np.eye(3, dtype="f4")[[2]]], tmp_path)
    assert loaded.total_styles == 3 and loaded.residual_blocks == 1


def test_tiny_photos_and_bad_configs_are_refused():
    with pytest.raises(ValueError, match="at least 8x8"):
        tiny_net()([np.zeros((1, 5, 9, 3), "f4"), np.eye(3, dtype="f4")[[0]]])
    with pytest.raises(ValueError, match="expand_filters"):
        MultiStyleNet(expand_filters=(8,))


# --- the converter ----------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_file(shared_data):
    path = shared_data / "weights" / "magenta" / "multistyle26.onnx"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.mark.parametrize("style", [0, 7, 19, {3: 0.5, 12: 0.5}])
def test_converter_matches_onnxruntime(onnx_file, shared_data, magenta26, style):
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    # 676 rows: the ONNX graph returns the photo's own size for multiples of 4.
    photo = load_image(shared_data / "content" / "stata.jpg")[:676, :512]
    weights = parse_style(style, 26)
    ref = session.run(
        None, {"image": photo.transpose(2, 0, 1)[None] / 255, "style_weights": weights}
    )[0][0].transpose(1, 2, 0)
    ours = to_numpy(magenta26.model([photo[None], weights[None]]))[0]
    assert psnr(ours, ref * 255) >= 40


def test_embedded_preset_is_the_conversion(onnx_file, magenta26, tmp_path):
    from keras_style.convert.magenta import convert_magenta_multistyle_to_preset

    preset = convert_magenta_multistyle_to_preset(onnx_file.parent, tmp_path / "p")
    converted = MultiStyleNet.from_preset_dir(preset)
    for a, b in zip(converted.get_weights(), magenta26.model.get_weights()):
        np.testing.assert_array_equal(a, b)


# --- the zoo preset and the stylizer ------------------------------------------------


def test_magenta26_loads_offline(magenta26):
    assert isinstance(magenta26, MultiStyleStylizer) and magenta26.num_styles == 26
    assert magenta26.preset_dir == registry.EMBEDDED_DIR / "magenta26"
    assert "Apache" in magenta26.metadata["licence"]


def test_style_specs_are_one_vector(magenta26, photo):
    assert parse_style(7, 26)[7] == 1 and parse_style("7", 26).sum() == 1
    np.testing.assert_allclose(
        parse_style("3=1,12=3", 26), parse_style({3: 0.25, 12: 0.75}, 26)
    )
    blend = magenta26.stylize(photo, style={3: 0.5, 12: 0.5})
    same = magenta26.stylize(photo, style="3=0.5,12=0.5")
    np.testing.assert_array_equal(np.asarray(blend), np.asarray(same))
    seven = np.asarray(magenta26.stylize(photo, style=7), "f4")
    three = np.asarray(magenta26.stylize(photo, style=3), "f4")
    assert seven.shape == photo.shape and np.abs(seven - three).mean() > 5


def test_every_stylizer_feature(magenta26, photo, tmp_path):
    bound = magenta26.with_style(7)
    full = np.asarray(bound.stylize(photo), "f4")
    half = np.asarray(bound.stylize(photo, strength=0.5), "f4")
    np.testing.assert_allclose(half, 0.5 * full + 0.5 * photo, atol=1.0)
    tiled = np.asarray(bound.stylize(photo, tile_size=32, tile_overlap=8), "f4")
    assert tiled.shape == full.shape and np.abs(tiled - full).mean() < 40
    assert bound.stylize([photo, photo[:20, :30]])[1].size == (30, 20)
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo).save(src / "a.png")
    result = magenta26.stylize_folder(src, tmp_path / "out", style=7, verbose=0)
    assert [p.name for p in result.written] == ["a.png"]
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "out" / "a.png")), full.astype("uint8")
    )


def test_bad_styles_are_named(magenta26, photo):
    with pytest.raises(ValueError, match="holds 26 styles"):
        magenta26.stylize(photo)
    with pytest.raises(ValueError, match="out of range.*Received: style=26"):
        magenta26.stylize(photo, style=26)
    with pytest.raises(ValueError, match="sum to a positive"):
        magenta26.stylize(photo, style={3: 0, 4: 0})
    with pytest.raises(ValueError, match=r"style\[3\]"):
        magenta26.stylize(photo, style={3: -1, 4: 1})
    with pytest.raises(ValueError, match="one weight per style"):
        magenta26.stylize(photo, style=[1, 0])
    with pytest.raises(TypeError, match="Received: style=True"):
        magenta26.stylize(photo, style=True)


@pytest.mark.slow
def test_baked_style_exports_and_runs(magenta26, photo, tmp_path):
    pytest.importorskip("onnxruntime")
    fast = zoo.load("magenta26", runtime="onnx", cache_dir=tmp_path)
    ours = np.asarray(fast.stylize(photo, style={3: 0.5, 12: 0.5}), "f4")
    expected = np.asarray(magenta26.stylize(photo, style={3: 0.5, 12: 0.5}), "f4")
    assert np.abs(ours - expected).max() <= 1.0
    # The baked blend's file is rewritten for ONNX Runtime (onnx_passes):
    # its 18 instance norms fused, its 9x9 output convolution on blocks.
    onnx = pytest.importorskip("onnx")
    (exported,) = (tmp_path / "exported").glob("*.onnx")
    ops = [node.op_type for node in onnx.load(exported).graph.node]
    assert ops.count("InstanceNormalization") == 18
    assert ops.count("SpaceToDepth") == 1


def test_bfloat16_stays_close(magenta26):
    # A real photo: on a smooth synthetic gradient the instance-norm variances
    # are tiny and bfloat16's rounding shows several times more.
    photo = load_image(ROOT / "docs" / "images" / "astronaut.jpg", max_size=128)
    bf16 = MultiStyleStylizer(magenta26.model, dtype="bfloat16")
    assert bf16.network.compute_dtype == "bfloat16"
    for style in (7, {3: 0.5, 12: 0.5}):
        a = np.asarray(bf16.stylize(photo, style=style), "f4")
        b = np.asarray(magenta26.stylize(photo, style=style), "f4")
        assert a.shape == b.shape == photo.shape
        assert np.abs(a - b).mean() < 1.5


@pytest.mark.slow
def test_export_with_every_style_takes_the_weights_as_a_second_input(
    magenta26, photo, tmp_path, capsys
):
    """`keras-style export magenta26` keeps the 26 styles (for apps that offer
    them all): the file takes `style_weights`, one row per image."""
    pytest.importorskip("onnxruntime")
    from keras_style.export import load_exported

    whole = tmp_path / "magenta26.onnx"
    assert cli.main(["export", "magenta26", "-o", str(whole), "-q"]) == 0
    sidecar = json.loads((tmp_path / "magenta26.onnx.json").read_text())
    assert sidecar["style_input"]["name"] == "style_weights"
    assert sidecar["style_input"]["shape"] == [None, 26]
    exported = load_exported(whole)
    assert exported.style_size == 26
    # One photo per style choice in one batch: style 7, and a 3/12 blend.
    rows = np.zeros((2, 26), "f4")
    rows[0, 7] = 1.0
    rows[1, [3, 12]] = 0.5
    out = np.clip(
        np.round(exported(np.stack([photo, photo]).astype("f4"), rows)), 0, 255
    )
    for got, style in zip(out, (7, {3: 0.5, 12: 0.5})):
        expected = np.asarray(magenta26.stylize(photo, style=style), "f4")
        assert np.abs(got - expected).max() <= 1.0
    with pytest.raises(ValueError, match="26 weights per image"):
        exported(photo[None].astype("f4"))
    with pytest.raises(ValueError, match="26 weights per image"):
        exported(photo[None].astype("f4"), np.ones(25))

    # The same from Python: `MultiStyleNet.export`.
    api = magenta26.model.export(tmp_path / "api.onnx")
    got = load_exported(api)(photo[None].astype("f4"), rows[1])
    assert np.abs(np.clip(np.round(got[0]), 0, 255) - out[1]).max() <= 1.0

    # `magenta26:3=0.5,12=0.5` builds the blend in: one input, as a zoo style.
    baked = tmp_path / "blend.onnx"
    assert cli.main(["export", "magenta26:3=0.5,12=0.5", "-o", str(baked), "-q"]) == 0
    blend = load_exported(baked)
    assert blend.style_size is None
    got = np.clip(np.round(blend(photo[None].astype("f4"))[0]), 0, 255)
    assert np.abs(got - out[1]).max() <= 1.0
    with pytest.raises(ValueError, match="style built in"):
        blend(photo[None].astype("f4"), rows[:1])

    # A style index on a one-style preset: one line, nothing written.
    capsys.readouterr()
    assert cli.main(["export", "wave:3", "-o", str(tmp_path / "w.onnx")]) == 2
    assert "multi-style network" in capsys.readouterr().err
    assert not (tmp_path / "w.onnx").exists()


# --- command line ----------------------------------------------------------------


def test_cli_picks_and_blends_styles(magenta26, photo, tmp_path, capsys):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    for spec, style in (("7", 7), ("3=0.5,12=0.5", {3: 0.5, 12: 0.5})):
        out = tmp_path / f"out{len(spec)}.png"
        assert (
            cli.main(
                ["stylize", str(src), "--style", f"magenta26:{spec}", "-o", str(out)]
            )
            == 0
        )
        expected = magenta26.stylize(src, style=style)
        np.testing.assert_array_equal(np.asarray(Image.open(out)), np.asarray(expected))
    capsys.readouterr()
    assert cli.main(["zoo", "list"]) == 0
    listed = capsys.readouterr().out.split()
    assert {f"magenta26:{i}" for i in range(26)} <= set(listed)


@pytest.mark.parametrize(
    "style, message",
    [
        ("magenta26", "pick one with --style magenta26:INDEX"),
        ("magenta26:26", "out of range"),
        ("magenta26:3=0,4=0", "positive number"),
        ("wave:3", "has one style"),
    ],
)
def test_cli_bad_styles_are_one_line_and_write_nothing(
    capsys, photo, tmp_path, style, message
):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    out = tmp_path / "out.jpg"
    assert cli.main(["stylize", str(src), "--style", style, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()


@pytest.mark.slow
def test_sheet_shows_every_offline_style(photo, tmp_path, capsys):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    painting = tmp_path / "painting.png"
    Image.fromarray(photo[::-1]).save(painting)
    out = tmp_path / "sheet.png"
    argv = ["sheet", str(src), "-o", str(out), "--size", "32", "--columns", "10"]
    argv += ["--stylize-size", "48"]
    assert cli.main([*argv, "--style-image", str(painting)]) == 0
    printed = capsys.readouterr().out
    # photo + arbitrary + 26 + wave + rain_princess = 30 panels: 3 rows of 10.
    with Image.open(out) as sheet:
        assert sheet.size == (10 * 32, 3 * (32 + 16))
    for name in ("la_muse", "scream", "udnie", "wreck"):
        assert f"left out {name}: not downloaded" in printed
    assert cli.main(argv) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err
    image, skipped = zoo.sheet(src, size=32, columns=10, stylize_size=40)
    assert "arbitrary" in skipped and image.size == (320, 3 * 48)


# --- a new style on the 26 (Dumoulin et al.): only its scales and shifts ----------


def test_add_style_trains_only_the_new_rows(magenta26):
    net, index = magenta26.model.add_style()
    assert index == 26 and net.total_styles == 27
    trainable = sum(int(np.prod(w.shape)) for w in net.trainable_weights)
    assert trainable == 2 * sum(t.channels for t in net.style_tables)
    assert trainable / net.count_params() < 0.01
    photos = np.random.default_rng(0).uniform(0, 255, (1, 24, 24, 3)).astype("f4")
    seven = np.eye(27, dtype="f4")[[7]]
    np.testing.assert_allclose(
        to_numpy(net([photos, seven])),
        to_numpy(magenta26.model([photos, seven[:, :26]])),
        atol=1e-4,
    )


@pytest.mark.slow
def test_train_a_new_style_from_the_command_line(magenta26, photo, tmp_path, capsys):
    data = tmp_path / "photos"
    data.mkdir()
    for i in range(4):
        Image.fromarray(np.roll(photo, 7 * i, axis=1)).save(data / f"{i}.png")
    painting = tmp_path / "painting.png"
    Image.fromarray(photo[::-1, ::-1]).save(painting)
    out = tmp_path / "mine"
    argv = ["train", "--style", str(painting), "--data", str(data), "-o", str(out)]
    argv += ["--base", "magenta26", "--epochs", "1", "--steps-per-epoch", "3"]
    argv += ["--batch-size", "2", "--image-size", "32", "--vgg-weights", "none"]
    argv += ["--preview-every", "0", "-q"]
    # Shallow taps: the subject is what trains, not the loss network's depth.
    argv += ["--style-layers", "relu1_1,relu2_1", "--content-layers", "relu2_1"]
    assert cli.main(argv) == 0
    mine = zoo.load(out)  # used like any other style
    # Only the new scales and shifts train: the swept rate, not TransformNet's.
    assert mine.metadata["training"]["learning_rate"] == 0.1
    assert type(mine.model).__name__ == "FixedStyleNetwork"
    assert np.asarray(mine.stylize(photo)).shape == photo.shape
    trained, base = mine.model.network, magenta26.model
    for new, old in zip(trained.convs, base.convs):  # convolutions frozen
        for a, b in zip(new.get_weights(), old.get_weights()):
            np.testing.assert_array_equal(a, b)
    for new, old in zip(trained.style_tables, base.style_tables):
        gamma, beta, extra_gamma, _ = new.get_weights()
        np.testing.assert_array_equal(gamma, old.get_weights()[0])  # base frozen
        assert not np.allclose(extra_gamma, gamma.mean(0, keepdims=True))  # trained
    bad = list(argv)
    bad[bad.index("--base") + 1] = "wave"
    bad[bad.index("-o") + 1] = str(tmp_path / "other")
    capsys.readouterr()
    assert cli.main(bad) == 2
    assert "multi-style preset such as magenta26" in capsys.readouterr().err

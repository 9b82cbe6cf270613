"""Arbitrary style transfer (Ghiasi et al. 2017): layer, networks, converter
parity against onnxruntime, the embedded `arbitrary` preset, the stylizer and
its command line."""

import hashlib

import keras
import numpy as np
import pytest
from PIL import Image

from keras_style import cli, zoo
from keras_style.image import load_image, transfer_luminance
from keras_style.inference.arbitrary_stylizer import ArbitraryStylizer, center_square
from keras_style.layers import ConditionalInstanceNormalization, InstanceNormalization
from keras_style.models.arbitrary import (
    ArbitraryStyleNet,
    StylePredictor,
    StyleTransferNetwork,
)
from keras_style.presets import registry
from tests.testing import run_model_saving_test, to_numpy, unbuilt_layers


def tiny_net(seed=0):
    keras.utils.set_random_seed(seed)
    net = ArbitraryStyleNet(
        StylePredictor(embedding_dim=6),
        StyleTransferNetwork(filters=(4, 4, 8), residual_blocks=1, embedding_dim=6),
    )
    net.build()
    return net


def psnr(a, b):
    return 10 * np.log10(255.0**2 / np.mean((np.float64(a) - np.float64(b)) ** 2))


@pytest.fixture(scope="module")
def arbitrary():
    return zoo.load("arbitrary")


@pytest.fixture(scope="module")
def painting(tmp_path_factory):
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:96, 0:128]
    stripes = np.stack([(x * 5) % 256, (y * 9) % 256, (x + y) % 256], -1)
    noisy = stripes + rng.integers(0, 40, stripes.shape)
    path = tmp_path_factory.mktemp("paintings") / "painting.png"
    Image.fromarray(np.clip(noisy, 0, 255).astype("uint8")).save(path)
    return path


@pytest.fixture(scope="module")
def photo():
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:45, 0:61]
    base = np.stack([x * 4, y * 5, 128 + 0 * x], -1) + rng.integers(0, 20, (45, 61, 3))
    return np.clip(base, 0, 255).astype("uint8")


# --- the layer and the networks -------------------------------------------------


def test_conditional_norm_is_instance_norm_with_given_scale_and_shift(rng):
    x = rng.normal(3, 2, (2, 5, 7, 4)).astype("float32")
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    plain = InstanceNormalization(epsilon=1e-5)
    plain.build(x.shape)
    plain.set_weights([gamma, beta])
    cin = ConditionalInstanceNormalization(epsilon=1e-5)
    ours = to_numpy(cin(x, gamma[None], beta[None]))  # (1, C) broadcasts
    np.testing.assert_allclose(ours, to_numpy(plain(x)), atol=1e-5)
    # One scale and shift per image.
    scale = np.stack([gamma, 2 * gamma])
    per_image = to_numpy(cin(x, scale, np.stack([beta, beta])))
    np.testing.assert_allclose(per_image[0], ours[0], atol=1e-5)
    assert not np.allclose(per_image[1], ours[1])


def test_conditional_norm_serializes(tmp_path):
    layer = ConditionalInstanceNormalization(epsilon=1e-3)
    config = keras.saving.serialize_keras_object(layer)
    assert config["registered_name"] == "keras_style>ConditionalInstanceNormalization"
    clone = keras.saving.deserialize_keras_object(config)
    assert clone.get_config() == layer.get_config() and clone.epsilon == 1e-3


@pytest.mark.parametrize("size", [(8, 8), (13, 21), (30, 45)])
def test_transfer_network_keeps_any_size(size):
    net = tiny_net().transfer
    photos = np.random.default_rng(0).uniform(0, 255, (2, *size, 3)).astype("f4")
    out = to_numpy(net([photos, np.ones((1, 6), "f4")]))
    assert out.shape == photos.shape
    assert out.min() >= 0 and out.max() <= 255
    assert unbuilt_layers(net) == []  # else Keras re-traces it every step


def test_transfer_network_refuses_tiny_photos():
    with pytest.raises(ValueError, match="at least 8x8"):
        tiny_net().transfer([np.zeros((1, 5, 9, 3), "f4"), np.zeros((1, 6), "f4")])


def test_networks_round_trip_through_keras_files(tmp_path):
    net = tiny_net()
    photos = np.random.default_rng(1).uniform(0, 255, (1, 20, 28, 3)).astype("f4")
    paintings = np.random.default_rng(2).uniform(0, 255, (1, 32, 32, 3)).astype("f4")
    loaded = run_model_saving_test(net, [photos, paintings], tmp_path)
    assert loaded.predictor.embedding_dim == 6
    assert loaded.transfer.filters == (4, 4, 8)


def test_mismatched_embedding_sizes_are_refused():
    with pytest.raises(ValueError, match="embedding_dim"):
        ArbitraryStyleNet(StylePredictor(embedding_dim=5), StyleTransferNetwork())


def test_preset_round_trip_gives_an_arbitrary_stylizer(tmp_path, painting, photo):
    net = tiny_net()
    preset = net.save_to_preset(tmp_path / "mine", metadata={"name": "mine"})
    stylizer = zoo.load(preset)
    assert isinstance(stylizer, ArbitraryStylizer) and stylizer.name == "mine"
    again = ArbitraryStyleNet.from_preset_dir(preset)
    for a, b in zip(again.get_weights(), net.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert stylizer.stylize(photo, style_image=painting).size == (61, 45)


# --- the converter, against onnxruntime -------------------------------------------


@pytest.fixture(scope="module")
def magenta(shared_data):
    folder = shared_data / "weights" / "magenta"
    if not (folder / "arbitrary_predict.onnx").is_file():
        pytest.skip(f"Magenta's ONNX files are not in {folder}")
    return folder


def onnx_session(model):
    ort = pytest.importorskip("onnxruntime")
    data = model if isinstance(model, bytes) else model.SerializeToString()
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def magenta_reference(magenta):
    """onnxruntime sessions of the weights-only graphs (height, width dynamic)."""
    from keras_style.convert import strip_activation_quantization

    transfer = strip_activation_quantization(magenta / "arbitrary_transform.onnx")
    for axis, name in ((1, "height"), (2, "width")):
        transfer.graph.input[0].type.tensor_type.shape.dim[axis].dim_param = name
    return (
        onnx_session(strip_activation_quantization(magenta / "arbitrary_predict.onnx")),
        onnx_session(transfer),
    )


def reference_stylize(sessions, photo, painting):
    predict, transfer = sessions
    embedding = predict.run(None, {"style_image": painting[None] / 255})[0]
    inputs = {"content_image": photo[None] / 255}
    inputs["mobilenet_conv/Conv/BiasAdd"] = embedding
    return transfer.run(None, inputs)[0][0] * 255, embedding.reshape(1, -1)


@pytest.mark.slow
def test_converter_matches_the_weights_only_graphs(
    magenta, magenta_reference, shared_data
):
    from keras_style.convert.magenta import convert_magenta_arbitrary

    net = convert_magenta_arbitrary(magenta)
    # amber.jpg is 1080x1080: the ONNX graph's stride-2 stages need multiples
    # of 4 to give the photo's own size back, and this one is.
    photo = load_image(shared_data / "content" / "amber.jpg")
    painting = center_square(load_image(shared_data / "styles" / "the_scream.jpg"), 256)
    ref, ref_embedding = reference_stylize(magenta_reference, photo, painting)
    embedding = to_numpy(net.predictor(painting[None]))
    np.testing.assert_allclose(embedding, ref_embedding, atol=1e-4)
    ours = to_numpy(net([photo[None], painting[None]]))[0]
    assert ours.shape == photo.shape
    assert psnr(ours, ref) >= 40


def test_int8_graphs_differ_only_by_activation_rounding(magenta, shared_data):
    # The original int8 graphs round every activation to 8 bits: the same
    # picture, measurably different (PSNR reported in benchmarks/README.md).
    from keras_style.convert.magenta import convert_magenta_arbitrary

    net = convert_magenta_arbitrary(magenta)
    photo = center_square(load_image(shared_data / "content" / "stata.jpg"), 384)
    painting = center_square(load_image(shared_data / "styles" / "wave.jpg"), 256)
    predict = onnx_session((magenta / "arbitrary_predict.onnx").read_bytes())
    transfer = onnx_session((magenta / "arbitrary_transform.onnx").read_bytes())
    ref, _ = reference_stylize((predict, transfer), photo, painting)
    ours = to_numpy(net([photo[None], painting[None]]))[0]
    assert 15 < psnr(ours, ref) < 40


def test_converter_errors_name_the_problem(tmp_path, magenta):
    from keras_style.convert.lengstrom import ConversionError
    from keras_style.convert.magenta import (
        convert_magenta_arbitrary,
        convert_magenta_predictor,
    )

    with pytest.raises(FileNotFoundError, match="arbitrary_predict.onnx"):
        convert_magenta_arbitrary(tmp_path)
    (tmp_path / "broken.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(ConversionError, match="Not a readable ONNX file"):
        convert_magenta_predictor(tmp_path / "broken.onnx")
    # The transfer graph is not a predictor.
    with pytest.raises(ConversionError, match="MobileNetV2"):
        convert_magenta_predictor(magenta / "arbitrary_transform.onnx")


def test_cli_convert_writes_the_embedded_network(magenta, tmp_path, capsys):
    out = tmp_path / "preset"
    assert cli.main(["convert", "magenta-arbitrary", str(magenta), "-o", str(out)]) == 0
    converted = ArbitraryStyleNet.from_preset_dir(out)
    embedded = zoo.load("arbitrary").model
    for a, b in zip(converted.get_weights(), embedded.get_weights()):
        # The embedded copy keeps large tensors in float16.
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)
    assert cli.main(["convert", "magenta-arbitrary", str(magenta), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


# --- the embedded preset and the stylizer --------------------------------------


def test_embedded_preset_is_within_half_a_level_of_the_conversion(
    magenta, shared_data, arbitrary
):
    from keras_style.convert.magenta import convert_magenta_arbitrary

    reference = convert_magenta_arbitrary(magenta)
    photo = load_image(shared_data / "content" / "stata.jpg")[:340, :512]
    painting = center_square(load_image(shared_data / "styles" / "udnie.jpg"), 256)
    a = to_numpy(arbitrary.model([photo[None], painting[None]]))
    b = to_numpy(reference([photo[None], painting[None]]))
    assert np.abs(a - b).max() < 0.5


def test_arbitrary_loads_offline_and_names_its_licence(arbitrary):
    assert isinstance(arbitrary, ArbitraryStylizer)
    assert arbitrary.preset_dir == registry.EMBEDDED_DIR / "arbitrary"
    assert "Apache" in arbitrary.metadata["licence"]
    assert zoo.source("arbitrary") == "embedded"


def test_stylize_with_a_painting_keeps_size_and_mode(arbitrary, painting, photo):
    out = arbitrary.stylize(photo, style_image=painting)
    assert out.size == (61, 45) and out.mode == "RGB"
    styled = np.asarray(out, "f4")
    assert np.abs(styled - photo).mean() > 10  # it did something
    rgba = np.dstack([photo, np.full(photo.shape[:2], 200, "uint8")])
    out = arbitrary.stylize(rgba, style_image=painting)
    assert out.mode == "RGBA" and np.all(np.asarray(out)[..., 3] == 200)


def test_paintings_blend_through_their_embeddings(arbitrary, painting, photo):
    other = np.full((40, 40, 3), (200, 30, 30), "uint8")
    a, b = arbitrary.embed(painting), arbitrary.embed(other)
    both = arbitrary.embed([painting, other], [3, 1])  # normalised to 0.75/0.25
    np.testing.assert_allclose(both, 0.75 * a + 0.25 * b, rtol=1e-5, atol=1e-5)
    blended = arbitrary.stylize(
        photo, style_image=[painting, other], style_weights=[0.75, 0.25]
    )
    direct = arbitrary.with_style([painting, other], [3, 1]).stylize(photo)
    np.testing.assert_array_equal(np.asarray(blended), np.asarray(direct))


def test_strength_interpolates_with_the_photos_own_embedding(
    arbitrary, painting, photo
):
    full = np.asarray(arbitrary.stylize(photo, style_image=painting), "f4")
    half = np.asarray(
        arbitrary.stylize(photo, style_image=painting, strength=0.5), "f4"
    )
    own = np.asarray(arbitrary.stylize(photo, style_image=photo), "f4")
    zero = np.asarray(arbitrary.stylize(photo, style_image=painting, strength=0), "f4")
    np.testing.assert_array_equal(zero, own)  # strength 0: the photo's own style
    assert np.abs(half - full).mean() > 1 and np.abs(half - own).mean() > 1


def test_embeddings_are_cached_by_content(arbitrary, painting, monkeypatch):
    calls = []
    predict = arbitrary.model.predictor.predict_on_batch

    def spy(x):
        calls.append(x.shape)
        return predict(x)

    fresh = ArbitraryStylizer(arbitrary.model)
    monkeypatch.setattr(fresh.model.predictor, "predict_on_batch", spy)
    first = fresh.embed(painting)
    again = fresh.embed(np.asarray(Image.open(painting)))  # same pixels
    assert len(calls) == 1 and calls[0] == (1, 256, 256, 3)
    np.testing.assert_array_equal(first, again)
    fresh.embed(painting, style_size=128)  # another size: another embedding
    assert calls[-1] == (1, 128, 128, 3)


def test_tiles_colours_and_batches_work(arbitrary, painting, photo):
    bound = arbitrary.with_style(painting)
    whole = np.asarray(bound.stylize(photo), "f4")
    tiled = np.asarray(bound.stylize(photo, tile_size=32, tile_overlap=8), "f4")
    assert tiled.shape == whole.shape and np.abs(tiled - whole).mean() < 40
    kept = np.asarray(bound.stylize(photo, preserve_colors=True), "f4")
    # The photo's colours with the stylized luminance.
    expected = transfer_luminance(photo.astype("f4"), whole)
    assert np.abs(kept - np.clip(expected, 0, 255)).max() <= 1.0
    batch = bound.stylize([photo, photo[:30, :40]], batch_size=2)
    np.testing.assert_array_equal(
        np.asarray(batch[0]), np.asarray(bound.stylize(photo))
    )
    assert batch[1].size == (40, 30)


def test_folder_with_one_painting(arbitrary, painting, photo, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo).save(src / "a.png")
    Image.fromarray(photo[:20, :30]).save(src / "b.png")
    result = arbitrary.stylize_folder(src, tmp_path / "out", style_image=painting)
    assert sorted(p.name for p in result.written) == ["a.png", "b.png"]
    expected = arbitrary.stylize(photo, style_image=painting)
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "out" / "a.png")), np.asarray(expected)
    )


def test_video_embeds_the_painting_once(arbitrary, painting, tmp_path, monkeypatch):
    av = pytest.importorskip("av")
    frames = [np.full((32, 48, 3), 40 * i, "uint8") for i in range(4)]
    clip = tmp_path / "clip.mp4"
    with av.open(str(clip), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode(None))
    fresh = ArbitraryStylizer(arbitrary.model)
    calls = []
    predict = fresh.model.predictor.predict_on_batch
    monkeypatch.setattr(
        fresh.model.predictor,
        "predict_on_batch",
        lambda x: calls.append(1) or predict(x),
    )
    path = fresh.stylize_video(clip, tmp_path / "out.mp4", style_image=painting)
    with av.open(str(path)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 4
    assert len(calls) == 1


def test_bfloat16_stays_close(arbitrary, painting, photo):
    bf16 = ArbitraryStylizer(arbitrary.model, dtype="bfloat16")
    assert bf16.transfer.compute_dtype == "bfloat16"
    a = np.asarray(bf16.stylize(photo, style_image=painting), "f4")
    b = np.asarray(arbitrary.stylize(photo, style_image=painting), "f4")
    assert np.abs(a - b).mean() < 3


# --- bad input ---------------------------------------------------------------------


def test_bad_paintings_and_weights_are_named(arbitrary, photo, tmp_path):
    with pytest.raises(ValueError, match="needs a painting"):
        arbitrary.stylize(photo)
    (tmp_path / "x.jpg").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="style_image"):
        arbitrary.stylize(photo, style_image=tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="one weight per painting"):
        arbitrary.stylize(photo, style_image=[photo, photo], style_weights=[1])
    with pytest.raises(ValueError, match="sum to a positive number"):
        arbitrary.stylize(photo, style_image=[photo, photo], style_weights=[0, 0])
    with pytest.raises(ValueError, match=r"style_weights\[1\]"):
        arbitrary.stylize(photo, style_image=[photo, photo], style_weights=[1, -1])
    with pytest.raises(ValueError, match="as a list"):
        arbitrary.stylize(photo, style_image=photo, style_weights=[1])
    with pytest.raises(ValueError, match="style_size"):
        arbitrary.stylize(photo, style_image=photo, style_size=2)
    with pytest.raises(ValueError, match="runtime"):
        ArbitraryStylizer(arbitrary.model, runtime="tensorrt")


def test_odd_paintings_are_converted_and_used(arbitrary, photo):
    # 1x1, grayscale and RGBA paintings are converted, not refused.
    for painting in (
        np.full((1, 1, 3), 90, "uint8"),
        np.full((20, 30), 128, "uint8"),
        np.full((20, 30, 4), 77, "uint8"),
    ):
        assert arbitrary.embed(painting).shape == (100,)
    assert arbitrary.stylize(photo, style_image=np.zeros((1, 1), "uint8")).size == (
        61,
        45,
    )


# --- command line ---------------------------------------------------------------


def test_cli_style_image_matches_the_api(arbitrary, painting, photo, tmp_path):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    out = tmp_path / "out.png"
    assert (
        cli.main(["stylize", str(src), "--style-image", str(painting), "-o", str(out)])
        == 0
    )
    expected = arbitrary.stylize(src, style_image=painting)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), np.asarray(expected))
    out2 = tmp_path / "blend.png"
    argv = [
        "stylize",
        str(src),
        "--style-image",
        str(painting),
        "--style-image",
        str(src),
    ]
    assert cli.main([*argv, "--style-weights", "0.7,0.3", "-o", str(out2)]) == 0
    blend = arbitrary.stylize(
        src, style_image=[painting, src], style_weights=[0.7, 0.3]
    )
    np.testing.assert_array_equal(np.asarray(Image.open(out2)), np.asarray(blend))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--style", "wave", "--style-image", "{painting}"], "fixed style"),
        (["--style-image", "{broken}"], "style_image"),
        (["--style-image", "{painting}", "--style-weights", "1,2"], "one weight per"),
        (
            ["--style-image", "{painting}", "--style-image", "{painting}"]
            + ["--style-weights", "0,0"],
            "positive number",
        ),
        (["--style", "arbitrary"], "pass --style-image"),
        ([], "Received: neither"),
    ],
)
def test_cli_bad_paintings_are_one_line_and_write_nothing(
    capsys, painting, photo, tmp_path, extra, message
):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    argv = [a.format(painting=painting, broken=broken) for a in extra]
    out = tmp_path / "out.jpg"
    assert cli.main(["stylize", str(src), *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.jpg", "photo.png"]


def test_embedding_cache_key_is_the_pixels(arbitrary, tmp_path, photo):
    # Two files with the same pixels (PNG and BMP) share one embedding.
    Image.fromarray(photo).save(tmp_path / "a.png")
    Image.fromarray(photo).save(tmp_path / "a.bmp")
    fresh = ArbitraryStylizer(arbitrary.model)
    fresh.embed(tmp_path / "a.png")
    fresh.embed(tmp_path / "a.bmp")
    assert len(fresh._embeddings) == 1
    key = next(iter(fresh._embeddings))
    assert key.startswith(hashlib.sha256(photo.astype("f4").tobytes()).hexdigest())


# --- one painting baked in: export and exported runtimes ---------------------------


@pytest.mark.slow
def test_baked_painting_exports_like_a_zoo_style(arbitrary, painting, photo, tmp_path):
    pytest.importorskip("onnxruntime")
    from keras_style.export import load_exported, read_sidecar

    baked = arbitrary.bake(painting)
    expected = np.asarray(arbitrary.stylize(photo, style_image=painting), "f4")
    np.testing.assert_allclose(
        np.clip(to_numpy(baked(photo[None].astype("f4")))[0], 0, 255),
        expected,
        atol=1.0,
    )
    # As a preset: `--style PRESET_DIR` uses it like any fixed style.
    preset = baked.save_to_preset(tmp_path / "baked")
    assert (
        np.abs(np.asarray(zoo.load(preset).stylize(photo), "f4") - expected).max() <= 1
    )
    # The CLI bakes and exports; ONNX Runtime runs it within a level.
    out = tmp_path / "baked.onnx"
    argv = ["export", "arbitrary", "--style-image", str(painting), "-o", str(out)]
    assert cli.main(argv) == 0
    assert read_sidecar(out)["network"]["class"] == "FixedStyleNetwork"
    exported = np.clip(load_exported(out)(photo[None].astype("f4"))[0], 0, 255)
    assert np.abs(exported - expected).max() <= 1.0


@pytest.mark.slow
def test_onnx_runtime_runs_the_baked_painting(arbitrary, painting, photo, tmp_path):
    pytest.importorskip("onnxruntime")
    fast = zoo.load("arbitrary", runtime="onnx", cache_dir=tmp_path)
    ours = np.asarray(fast.stylize(photo, style_image=painting), "f4")
    expected = np.asarray(arbitrary.stylize(photo, style_image=painting), "f4")
    assert np.abs(ours - expected).max() <= 1.0
    assert len(list((tmp_path / "exported").glob("*.onnx"))) == 1
    with pytest.raises(ValueError, match="runtime='keras'"):
        fast.stylize(photo, style_image=painting, strength=0.5)
    with pytest.raises(ValueError, match="Received: dtype='bfloat16'"):
        ArbitraryStylizer(arbitrary.model, runtime="onnx", dtype="bfloat16")

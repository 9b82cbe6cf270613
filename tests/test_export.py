"""Export to SavedModel, ONNX and LiteRT: parity of each file in its own runtime.

Every exported file is run by its own runtime (TensorFlow's SavedModel
loader, onnxruntime, the LiteRT interpreter of ai-edge-litert) on a real
photo at an odd size and compared with the Keras model on the current
backend. Under JAX and PyTorch the files are written by a TensorFlow
subprocess (the fallback), so these tests cover it too. Each export is
made once per module and shared.
"""

import json
import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_style import cli
from keras_style.export import export_network, load_exported, read_sidecar
from keras_style.models.transform_net import TransformNet

BACKEND = keras.backend.backend()
# Each format's runtime package (all in the `test` extra).
RUNTIME_MODULE = {"onnx": "onnxruntime", "litert": "ai_edge_litert"}
SUFFIX = {"onnx": ".onnx", "litert": ".tflite", "saved_model": ""}


def needs_runtime(format):
    module = RUNTIME_MODULE.get(format)
    if module is not None:
        pytest.importorskip(module, reason=f"{format} runtime not installed")


def psnr(a, b):
    mse = np.mean((np.asarray(a, "float64") - np.asarray(b, "float64")) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture(autouse=True)
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_STYLE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def photo():
    """A real photo at an odd size: 300x451 (height x width), batch of one."""
    from skimage import data

    image = Image.fromarray(data.astronaut()).resize((451, 300), Image.BICUBIC)
    return np.asarray(image, "float32")[None]


@pytest.fixture(scope="module")
def wave():
    return TransformNet.from_preset("wave")


@pytest.fixture(scope="module")
def wave_keras(wave, photo):
    return keras.ops.convert_to_numpy(wave(photo))


def tiny_net(padding, upsampling):
    # tanh output: random weights then give varied values, not a clipped 0.
    keras.utils.set_random_seed(1)
    net = TransformNet(
        filters=(8, 16, 16),
        residual_blocks=1,
        padding=padding,
        upsampling=upsampling,
        output_activation="tanh",
    )
    net.build()
    return net


@pytest.fixture(scope="module")
def exports(tmp_path_factory, wave):
    """`exports(name, format, precision)`: the path of a (cached) export."""
    root = tmp_path_factory.mktemp("exports")
    made = {}

    def get(name, format, precision="float32"):
        key = (name, format, precision)
        if key not in made:
            path = root / f"{name}_{precision}{SUFFIX[format]}"
            if name == "wave" and format == "onnx" and precision == "float32":
                # Through the command line, as a user would.
                code = cli.main(["export", "wave", "-o", str(path), "--quiet"])
                assert code == 0
            elif name == "wave":
                wave.export(path, format=format, precision=precision)
            else:
                padding, upsampling = name.split("_")
                export_network(tiny_net(padding, upsampling), path, format)
            made[key] = path
        return made[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("format", ["saved_model", "onnx", "litert"])
def test_wave_float32_parity_on_a_photo(format, exports, photo, wave_keras):
    needs_runtime(format)
    model = load_exported(exports("wave", format))
    result = model(photo)
    assert result.shape == photo.shape == (1, 300, 451, 3)
    assert result.dtype == np.float32
    # Within one level of 0..255 everywhere, and stylized (not the photo).
    assert np.abs(result - wave_keras).max() <= 1.0
    assert np.abs(result - photo).mean() > 20


@pytest.mark.slow
def test_onnx_export_is_rewritten_for_onnx_runtime(exports):
    # The rewrites of keras_style.export.onnx_passes find tf2onnx's graph:
    # were its form to change, they would silently stop applying.
    onnx = pytest.importorskip("onnx")
    nodes = onnx.load(exports("wave", "onnx")).graph.node
    ops = [node.op_type for node in nodes]
    # 3 after the first convolutions, 2 per residual block, 2 after the
    # upsamplings, 1 on the output.
    assert ops.count("InstanceNormalization") == 3 + 2 * 5 + 2 + 1
    assert "GlobalAveragePool" not in ops and "Reciprocal" not in ops
    assert ops.count("SpaceToDepth") == 1  # the 9x9 output convolution
    # The two transposed convolutions, cropped and then run on their output
    # parities: a 2x2 convolution each, then a DepthToSpace.
    assert "ConvTranspose" not in ops and ops.count("DepthToSpace") == 2 + 1
    parities = [
        node
        for node in nodes
        if node.op_type == "Conv"
        and [list(a.ints) for a in node.attribute if a.name == "kernel_shape"]
        == [[2, 2]]
    ]
    assert len(parities) == 2


@pytest.mark.parametrize("format", ["onnx", "litert"])
@pytest.mark.slow
def test_reflect_padding_survives_export_at_the_borders(format, exports, rng):
    needs_runtime(format)
    net = tiny_net("reflect", "nearest")
    images = rng.uniform(0, 255, (2, 37, 53, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(net(images))
    result = load_exported(exports("reflect_nearest", format))(images)
    frame = np.ones(images.shape[:3], bool)
    frame[:, 8:-8, 8:-8] = False  # the outer 8-pixel frame
    assert np.abs(result - expected)[frame].max() <= 1.0
    # The same weights with zero padding differ there: the check can fail.
    zero = TransformNet.from_config({**net.get_config(), "padding": "zero"})
    zero.build()
    zero.set_weights(net.get_weights())
    zero_out = keras.ops.convert_to_numpy(zero(images))
    assert np.abs(zero_out - expected)[frame].max() > 5.0


@pytest.mark.slow
def test_zero_padding_and_transposed_upsampling_onnx(exports, rng):
    needs_runtime("onnx")
    net = tiny_net("zero", "transpose")
    model = load_exported(exports("zero_transpose", "onnx"))
    # Dynamic batch, height and width: two shapes through one file.
    for shape in [(2, 37, 53, 3), (1, 64, 40, 3)]:
        images = rng.uniform(0, 255, shape).astype("float32")
        expected = keras.ops.convert_to_numpy(net(images))
        result = model(images)
        assert result.shape == shape
        assert np.abs(result - expected).max() <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "format, precision, min_psnr",
    [
        ("onnx", "float16", 60.0),
        ("litert", "float16", 60.0),
        ("onnx", "int8", 32.0),
        ("litert", "int8", 32.0),
    ],
)
def test_reduced_precision_psnr_and_size(
    format, precision, min_psnr, exports, photo, wave_keras
):
    if BACKEND != "tensorflow":
        pytest.skip(
            "reduced precisions are written by the same TensorFlow code on "
            "every backend (a subprocess here); tested under tensorflow"
        )
    needs_runtime(format)
    path = exports("wave", format, precision)
    result = load_exported(path)(photo)
    assert psnr(result, wave_keras) >= min_psnr
    full = os.path.getsize(exports("wave", format))
    ratio = {"float16": 0.6, "int8": 0.4}[precision]
    assert os.path.getsize(path) <= ratio * full
    assert read_sidecar(path)["precision"] == precision


def test_sidecar_describes_the_file(exports):
    pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx")
    path = exports("wave", "onnx")
    assert (path.parent / (path.name + ".json")).is_file()
    meta = read_sidecar(path)
    assert meta["style"] == "wave" and meta["source_preset"] == "wave"
    assert meta["format"] == "onnx" and meta["precision"] == "float32"
    assert "Engstrom" in meta["licence"] and "Engstrom" in meta["attribution"]
    assert meta["input"]["layout"] == "NHWC" and meta["input"]["range"] == [0, 255]
    assert meta["input"]["shape"] == [None, None, None, 3]
    assert meta["keras_style_version"]
    json.dumps(meta)  # plain JSON


@pytest.mark.slow
def test_input_size_fixes_the_shape(tmp_path, rng):
    onnxruntime = pytest.importorskip("onnxruntime")
    net = tiny_net("reflect", "nearest")
    path = net.export(tmp_path / "fixed.onnx", input_size=(37, 53))
    session = onnxruntime.InferenceSession(str(path))
    assert session.get_inputs()[0].shape[1:] == [37, 53, 3]
    images = rng.uniform(0, 255, (1, 37, 53, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(net(images))
    assert np.abs(load_exported(path)(images) - expected).max() <= 1.0
    assert read_sidecar(path)["input"]["shape"] == [None, 37, 53, 3]


# --- bad input: clear errors before any work ---------------------------------


@pytest.fixture
def net():
    return tiny_net("reflect", "nearest")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"format": "tflite"}, ValueError, "Received: format='tflite'"),
        ({"precision": "bfloat16"}, ValueError, "Received: precision='bfloat16'"),
        (
            {"format": "saved_model", "precision": "int8"},
            ValueError,
            "Received: precision='int8'",
        ),
        ({"input_size": (4, 64)}, ValueError, "Received: input_size=\\(4, 64\\)"),
        ({"input_size": 64}, ValueError, "Received: input_size=64"),
    ],
)
def test_bad_arguments(net, tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        net.export(tmp_path / "out", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_suffix_must_match_the_format(net, tmp_path):
    with pytest.raises(ValueError, match="writes a `.tflite` file. Received: path="):
        net.export(tmp_path / "wave.onnx", format="litert")


def test_existing_output_is_kept_without_overwrite(net, tmp_path):
    path = tmp_path / "wave.onnx"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="overwrite.*Received: path="):
        net.export(path)
    assert path.read_bytes() == b"mine"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_folder(net, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="Received: path="):
            net.export(folder / "wave.onnx")
    finally:
        folder.chmod(0o700)


def test_output_folder_that_is_a_file(net, tmp_path):
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(PermissionError, match="Received: path="):
        net.export(tmp_path / "taken" / "wave.onnx")


def without_module(monkeypatch, missing):
    """Makes `missing` unimportable and not found, as when not installed
    (`None` in `sys.modules` blocks its import)."""
    import sys

    monkeypatch.setitem(sys.modules, missing, None)


def test_missing_extra_names_it(net, tmp_path, monkeypatch):
    without_module(monkeypatch, "tf2onnx")
    with pytest.raises(ImportError, match=r'keras-style\[export\]".*format=\'onnx\''):
        net.export(tmp_path / "wave.onnx")
    assert not (tmp_path / "wave.onnx").exists()


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    path = tmp_path / "x_sm"
    code = cli.main(["export", "wave", "-o", str(path), "--precision", "int8"])
    err = capsys.readouterr().err
    assert code == 2
    assert "keras-style export: error:" in err and "precision='int8'" in err
    assert "Traceback" not in err and not path.exists()


def test_load_exported_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: path="):
        load_exported(tmp_path / "none.onnx")


# --- Stylizer(runtime=...): an exported file in its own CPU runtime ----------


@pytest.mark.slow
def test_zoo_load_onnx_runtime_matches_keras_and_is_cached(tmp_path, rng, monkeypatch):
    needs_runtime("onnx")
    from keras_style import zoo
    from keras_style.export import runtime_cache

    preset = tiny_net("reflect", "nearest").save_to_preset(tmp_path / "tiny")
    cache = tmp_path / "cache"
    image = rng.integers(0, 256, (40, 56, 3), dtype="uint8")
    expected = np.asarray(zoo.load(preset).stylize(image), "int16")
    stylizer = zoo.load(preset, runtime="onnx", cache_dir=cache)
    assert stylizer.runtime == "onnx" and "onnx" in repr(stylizer)
    result = np.asarray(stylizer.stylize(image), "int16")
    assert result.shape == expected.shape == (40, 56, 3)
    assert np.abs(result - expected).max() <= 1
    (path,) = (cache / "exported").glob("*.onnx")
    assert read_sidecar(path)["format"] == "onnx"

    calls = []
    real_export = runtime_cache.export_network
    monkeypatch.setattr(
        runtime_cache,
        "export_network",
        lambda *a, **k: calls.append(a) or real_export(*a, **k),
    )
    zoo.load(preset, runtime="onnx", cache_dir=cache)  # reused as is
    assert calls == []
    path.write_bytes(path.read_bytes()[:-100])  # a damaged cache file
    again = zoo.load(preset, runtime="onnx", cache_dir=cache)
    assert len(calls) == 1  # detected and exported again
    assert np.abs(np.asarray(again.stylize(image), "int16") - expected).max() <= 1


@pytest.mark.slow
def test_cli_stylize_runtime_onnx_matches_keras(tmp_path, rng):
    needs_runtime("onnx")
    preset = tiny_net("reflect", "nearest").save_to_preset(tmp_path / "tiny")
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype="uint8")).save(photo)
    outputs = {}
    for runtime in ("keras", "onnx"):
        out = tmp_path / f"{runtime}.png"
        args = ["stylize", str(photo), "-s", str(preset), "-o", str(out)]
        assert cli.main([*args, "--runtime", runtime, "--quiet"]) == 0
        outputs[runtime] = np.asarray(Image.open(out), "int16")
    assert outputs["onnx"].shape == (37, 53, 3)
    assert np.abs(outputs["onnx"] - outputs["keras"]).max() <= 1
    assert list((tmp_path / "cache" / "exported").glob("*.onnx"))


def test_cli_stylize_runtime_without_the_extra_is_one_line(
    tmp_path, rng, capsys, monkeypatch
):
    without_module(monkeypatch, "onnxruntime")
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype="uint8")).save(photo)
    out = tmp_path / "out.png"
    args = ["stylize", str(photo), "-s", "wave", "-o", str(out), "--runtime", "onnx"]
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("keras-style stylize: error:")
    assert "keras-style[export]" in lines[0] and "runtime='onnx'" in lines[0]
    assert not out.exists()


def test_bad_runtime(net):
    from keras_style.inference.stylizer import Stylizer

    with pytest.raises(ValueError, match="Received: runtime='tensorrt'"):
        Stylizer(net, runtime="tensorrt")
    with pytest.raises(TypeError, match="Received: runtime=1"):
        Stylizer(net, runtime=1)

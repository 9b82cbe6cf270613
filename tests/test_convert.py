"""The lengstrom converter reproduces upstream numerically.

The reference below is an independent numpy forward pass of upstream
`src/transform.py`, written from the description in ../shared/data/README.md
(not from keras_style): TensorFlow "SAME" zero padding (asymmetric for
stride 2), `tf.nn.conv2d_transpose` as the adjoint of the strided convolution,
instance norm with epsilon 1e-3 and the biased variance, `tanh(x) * 150 + 127.5`.
"""

import json
import math

import keras
import numpy as np
import pytest
from PIL import Image

from keras_style.convert import lengstrom as convert
from keras_style.convert.lengstrom import ConversionError

STYLES = ("wave", "rain_princess", "la_muse", "scream", "udnie", "wreck")


# --- independent numpy reference ---------------------------------------------------


def same_padding(size, kernel, stride):
    """TensorFlow "SAME": out = ceil(size / stride), extra pixel at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def np_conv(x, w, stride):
    """`tf.nn.conv2d(x, w, strides, "SAME")`; x (N,H,W,C), w (kh,kw,in,out)."""
    kh, kw = w.shape[:2]
    ho, top, bottom = same_padding(x.shape[1], kh, stride)
    wo, left, right = same_padding(x.shape[2], kw, stride)
    xp = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out = np.zeros(x.shape[:1] + (ho, wo, w.shape[3]))
    for a in range(kh):  # shift-and-add im2col: one matmul per kernel tap
        for b in range(kw):
            patch = xp[:, a : a + stride * ho : stride, b : b + stride * wo : stride]
            out += np.einsum("nhwi,io->nhwo", patch, w[a, b])
    return out


def np_conv_transpose(x, w, stride):
    """`tf.nn.conv2d_transpose(x, w, (N, H*s, W*s, out), s, "SAME")`.

    The gradient of the strided SAME convolution of an (H*s, W*s) image: every
    input pixel scatters `w[a, b] @ x` to output position `i*s + a - pad_top`.
    w is (kh, kw, out, in).
    """
    kh, kw = w.shape[:2]
    n, h, wd, _ = x.shape
    ho, wo = h * stride, wd * stride
    _, top, _ = same_padding(ho, kh, stride)
    _, left, _ = same_padding(wo, kw, stride)
    buf = np.zeros((n, (h - 1) * stride + kh, (wd - 1) * stride + kw, w.shape[2]))
    for a in range(kh):
        for b in range(kw):
            contrib = np.einsum("nhwi,oi->nhwo", x, w[a, b])
            buf[:, a : a + stride * h : stride, b : b + stride * wd : stride] += contrib
    return buf[:, top : top + ho, left : left + wo]


def np_instance_norm(x, shift, scale):
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(1, 2), keepdims=True)  # biased
    return scale * (x - mu) / np.sqrt(var + 1e-3) + shift


def upstream_forward(variables, image):
    """Upstream `transform.net(image)` with the 48 variables in creation order."""
    v = [variables["Variable" if i == 0 else f"Variable_{i}"] for i in range(48)]
    v = [np.asarray(a, np.float64) for a in v]
    it = iter(range(0, 48, 3))

    def conv_layer(x, stride, relu=True):
        k = next(it)
        y = np_instance_norm(np_conv(x, v[k], stride), v[k + 1], v[k + 2])
        return np.maximum(y, 0) if relu else y

    def conv_t_layer(x):
        k = next(it)
        y = np_conv_transpose(x, v[k], 2)
        return np.maximum(np_instance_norm(y, v[k + 1], v[k + 2]), 0)

    x = np.asarray(image, np.float64)
    x = conv_layer(x, 1)
    x = conv_layer(x, 2)
    x = conv_layer(x, 2)
    for _ in range(5):
        x = x + conv_layer(conv_layer(x, 1), 1, relu=False)
    x = conv_t_layer(x)
    x = conv_t_layer(x)
    x = conv_layer(x, 1, relu=False)
    return np.tanh(x) * 150 + 255.0 / 2


def test_reference_transpose_is_adjoint_of_strided_conv(rng):
    # <conv_T(x), y> == <x, conv(y)>: pins the transposed-convolution semantics
    # (incl. the asymmetric SAME padding) of the reference itself.
    w = rng.normal(size=(3, 3, 5, 4))  # (kh, kw, out=5, in=4)
    x = rng.normal(size=(1, 3, 4, 4))
    y = rng.normal(size=(1, 6, 8, 5))
    lhs = np.sum(np_conv_transpose(x, w, 2) * y)
    rhs = np.sum(x * np_conv(y, w, 2))  # conv of y: in=5 -> out=4
    assert lhs == pytest.approx(rhs, rel=1e-10)
    # A stride-2 SAME conv of an even size pads only at the end (TF convention).
    assert same_padding(6, 3, 2) == (3, 0, 1)


# --- the converter ----------------------------------------------------------------


@pytest.fixture(scope="module")
def photo(shared_data):
    img = Image.open(shared_data / "content" / "stata.jpg").convert("RGB")
    return np.asarray(img.resize((96, 64), Image.Resampling.BICUBIC), np.float32)[None]


def ml5_dir(shared_data, style):
    return shared_data / "weights" / "lengstrom-ml5" / style


@pytest.mark.parametrize("style", STYLES)
def test_converted_model_matches_upstream(shared_data, photo, style):
    folder = ml5_dir(shared_data, style)
    variables = convert.read_ml5_weights(folder)
    net = convert.convert_lengstrom(folder)

    ours = keras.ops.convert_to_numpy(net(photo))
    ref = upstream_forward(variables, photo)

    diff = np.abs(ours - ref).max()
    print(f"{style}: max abs diff {diff:.4f}")
    assert ours.shape == (1, 64, 96, 3)
    assert diff < 0.5
    assert ref.std() > 10  # a real picture, not a constant


def test_reference_matches_on_odd_quarter_sizes(shared_data, rng):
    # 20x28 -> 10x14 -> 5x7 -> 10x14 -> 20x28: odd intermediate sizes exercise
    # the asymmetric SAME padding of both stride-2 stages.
    folder = ml5_dir(shared_data, "udnie")
    image = rng.uniform(0, 255, size=(1, 20, 28, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(convert.convert_lengstrom(folder)(image))
    ref = upstream_forward(convert.read_ml5_weights(folder), image)
    assert np.abs(ours - ref).max() < 0.5


def test_tf_checkpoint_converts_like_ml5(shared_data, tmp_path):
    tf = pytest.importorskip("tensorflow")
    folder = ml5_dir(shared_data, "wave")
    variables = convert.read_ml5_weights(folder)
    # Name-based checkpoint like upstream's saver, with Adam slots to ignore.
    tf_vars = {name: tf.Variable(value) for name, value in variables.items()}
    tf_vars["Variable/Adam"] = tf.Variable(np.ones((9, 9, 3, 32), "float32"))
    tf_vars["beta1_power"] = tf.Variable(0.9)
    prefix = tf.compat.v1.train.Saver(var_list=tf_vars).save(
        None, str(tmp_path / "v1" / "fns.ckpt")
    )
    # Object-based checkpoint with the same names.
    obj = tf.train.Checkpoint(**{k: v for k, v in tf_vars.items() if "/" not in k})
    obj_prefix = obj.write(str(tmp_path / "v2" / "wave"))

    expected = convert.lengstrom_transform_net(variables).get_weights()
    for source in (prefix, prefix + ".index", tmp_path / "v1", obj_prefix):
        net = convert.convert_lengstrom(source)
        got = net.get_weights()
        assert len(got) == len(expected) == 48
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


def test_preset_round_trip(shared_data, tmp_path, photo):
    folder = ml5_dir(shared_data, "scream")
    preset = convert.convert_lengstrom_to_preset(
        folder, tmp_path / "scream", metadata={"source": "test"}
    )
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["source"] == "test" and meta["converter"].endswith("convert_lengstrom")
    assert meta["parameter_count"] == 1_677_638
    from keras_style.models.transform_net import TransformNet

    loaded = TransformNet.from_preset_dir(preset)
    np.testing.assert_allclose(
        loaded.predict_on_batch(photo),
        upstream_forward(convert.read_ml5_weights(folder), photo),
        atol=0.5,
    )


# --- validation ---------------------------------------------------------------------


def write_ml5(folder, arrays, manifest=None):
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name, array in arrays.items():
        np.asarray(array, "<f4").tofile(folder / name)
        entries[name] = {"filename": name, "shape": list(np.shape(array))}
    (folder / "manifest.json").write_text(json.dumps(manifest or entries))
    return folder


def tiny_variables(rng, filters=(8, 16, 32), blocks=1):
    f1, f2, f3 = filters
    kernels = [(9, 9, 3, f1), (3, 3, f1, f2), (3, 3, f2, f3)]
    kernels += [(3, 3, f3, f3)] * (2 * blocks)
    kernels += [(3, 3, f2, f3), (3, 3, f1, f2), (9, 9, f1, 3)]
    arrays = []
    for shape in kernels:
        arrays += [rng.normal(size=shape) * 0.1, np.zeros(shape[3]), np.ones(shape[3])]
    # Transposed kernels are (kh, kw, out, in): their norm width is shape[2].
    for k in (len(kernels) - 3, len(kernels) - 2):
        arrays[3 * k + 1] = np.zeros(kernels[k][2])
        arrays[3 * k + 2] = np.ones(kernels[k][2])
    return {
        ("Variable" if i == 0 else f"Variable_{i}"): a.astype("float32")
        for i, a in enumerate(arrays)
    }


def tiny_net(seed):
    """A small lengstrom-style TransformNet with random weights, built without
    Keras' random initialisers (which JAX compiles per kernel shape: seconds)."""
    return convert.lengstrom_transform_net(tiny_variables(np.random.default_rng(seed)))


def test_small_variant_infers_widths_and_blocks(tmp_path, rng):
    variables = tiny_variables(rng)
    net = convert.convert_lengstrom(write_ml5(tmp_path / "m", variables))
    assert net.filters == (8, 16, 32) and net.residual_blocks == 1
    assert net.get_config()["norm_epsilon"] == 1e-3
    image = rng.uniform(0, 255, size=(1, 16, 12, 3)).astype("float32")
    assert net.predict_on_batch(image).shape == (1, 16, 12, 3)


def test_missing_manifest(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        convert.read_ml5_weights(tmp_path)
    with pytest.raises(FileNotFoundError, match="source="):
        convert.convert_lengstrom(tmp_path / "nothing")


INVALID_ML5 = [
    ("truncate", ConversionError, "bytes"),
    ("nan", ConversionError, "NaN"),
    ("traversal", ConversionError, "inside the folder"),
    ("bad_json", ConversionError, "not valid JSON"),
    ("bad_shape", ConversionError, "positive ints"),
    ("missing_file", FileNotFoundError, "missing"),
    ("gap", ConversionError, "without gaps"),
    ("wrong_shape", ConversionError, r"Variable_3 \(conv2 kernel\)"),
    ("bad_name", ConversionError, "name='conv1'"),
    ("count", ConversionError, "3 variables"),
]


def _mutated_ml5(folder, variables, mutate):
    write_ml5(folder, variables)
    manifest = json.loads((folder / "manifest.json").read_text())
    if mutate == "truncate":
        (folder / "Variable_4").write_bytes(b"\0" * 4)
    elif mutate == "nan":
        bad = variables["Variable"].copy()
        bad[0, 0, 0, 0] = np.nan
        bad.astype("<f4").tofile(folder / "Variable")
    elif mutate == "traversal":
        manifest["Variable"]["filename"] = "../Variable"
    elif mutate == "bad_json":
        (folder / "manifest.json").write_text("{not json")
    elif mutate == "bad_shape":
        manifest["Variable"]["shape"] = [9, -9, 3]
    elif mutate == "missing_file":
        (folder / "Variable_2").unlink()
    elif mutate == "gap":
        del manifest["Variable_5"]
    elif mutate == "wrong_shape":
        manifest["Variable_3"]["shape"] = [3, 3, 9, 16]
        np.zeros((3, 3, 9, 16), "<f4").tofile(folder / "Variable_3")
    elif mutate == "bad_name":
        manifest["conv1"] = manifest.pop("Variable")
    elif mutate == "count":
        for name in ("Variable_21", "Variable_22", "Variable_23"):
            del manifest[name]
    if mutate not in ("bad_json",):
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_invalid_ml5_folders(tmp_path, rng):
    variables = tiny_variables(rng)
    for mutate, error, match in INVALID_ML5:
        folder = _mutated_ml5(tmp_path / mutate, variables, mutate)
        with pytest.raises(error, match=match):
            convert.convert_lengstrom(folder)


def test_bad_checkpoint(tmp_path):
    pytest.importorskip("tensorflow")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ConversionError, match="TensorFlow checkpoint"):
        convert.convert_lengstrom(junk)
    with pytest.raises(FileNotFoundError):
        convert.read_tf_checkpoint(tmp_path)


def test_parameter_count_is_upstream():
    # Upstream's weights: kernels plus shift/scale, no biases.
    shapes = [(9, 9, 3, 32), (3, 3, 32, 64), (3, 3, 64, 128)] + [(3, 3, 128, 128)] * 10
    shapes += [(3, 3, 64, 128), (3, 3, 32, 64), (9, 9, 32, 3)]
    norms = [32, 64, 128] + [128] * 10 + [64, 32, 3]
    assert sum(math.prod(s) for s in shapes) + 2 * sum(norms) == 1_677_638

"""Importers for third-party style-transfer weights.

`convert_lengstrom` turns the pretrained networks of Logan Engstrom's
`fast-style-transfer` (TensorFlow 1, 2016) into a `TransformNet` configured
exactly like upstream, from either of the two forms they are distributed in:

- the ml5 per-variable layout (`manifest.json` plus one raw little-endian
  float32 file per variable), as republished by ml5js/ml5-data-and-models;
- a TensorFlow checkpoint of the same graph (upstream's own `.ckpt` files).

Upstream creates its 48 variables in network order and never names them, so
they are `Variable`, `Variable_1`, ..., `Variable_47`: for every convolution
its kernel, then the instance-norm `shift` (beta), then `scale` (gamma).
"""

import json
import math
import pathlib
import re

import keras
import numpy as np

from keras_style.models.transform_net import TransformNet

# Upstream `src/transform.py`: zero "SAME" padding, no biases, instance norm
# with epsilon 1e-3 after every convolution (the last one included), 3x3
# stride-2 transposed convolutions and `tanh(x) * 150 + 127.5` at the end.
LENGSTROM_CONFIG = {
    "padding": "zero",
    "upsampling": "transpose",
    "use_bias": False,
    "norm_epsilon": 1e-3,
    "output_activation": "tanh",
    "output_norm": True,
}

ML5_MANIFEST = "manifest.json"
_VARIABLE_NAME = re.compile(r"Variable(?:_([1-9][0-9]*))?")
_CHECKPOINT_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_SAFE_FILENAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class ConversionError(ValueError):
    """Raised when third-party weights are missing, malformed or inconsistent."""


def _variable_index(name):
    match = _VARIABLE_NAME.fullmatch(name)
    if match is None:
        return None
    return int(match.group(1) or 0)


def read_ml5_weights(folder):
    """Reads weights stored in ml5's per-variable layout.

    `manifest.json` maps each variable name to `{"filename": ..., "shape":
    [...]}`; each file holds raw little-endian float32 values in that shape.
    Every file is validated: it must sit inside `folder`, have exactly
    `prod(shape) * 4` bytes and contain only finite values.

    Args:
        folder: the directory holding `manifest.json` and the variable files.

    Returns:
        A dict `{variable_name: float32 numpy array}`.

    Example:

    >>> variables = read_ml5_weights("ml5-data-and-models/models/style-transfer/wave")
    >>> variables["Variable"].shape
    (9, 9, 3, 32)
    """
    folder = pathlib.Path(folder)
    manifest_path = folder / ML5_MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"Expected an ml5 weights folder containing {ML5_MANIFEST}. "
            f"Received: folder={str(folder)!r}"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConversionError(
            f"{ML5_MANIFEST} is not valid JSON ({e}). Received: folder={str(folder)!r}"
        ) from None
    if not isinstance(manifest, dict) or not manifest:
        raise ConversionError(
            f"{ML5_MANIFEST} must map variable names to {{'filename', 'shape'}}. "
            f"Received: manifest of type {type(manifest).__name__}"
        )
    variables = {}
    for name, entry in manifest.items():
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("filename"), str)
            or not isinstance(entry.get("shape"), list)
            or not all(
                isinstance(d, int) and not isinstance(d, bool) and d > 0
                for d in entry["shape"]
            )
        ):
            raise ConversionError(
                f"{ML5_MANIFEST} entry {name!r} must be {{'filename': str, 'shape': "
                f"[positive ints]}}. Received: {name}={entry!r}"
            )
        filename = entry["filename"]
        if not _SAFE_FILENAME.fullmatch(filename):
            # No separators or `..`: a manifest must not reach outside `folder`.
            raise ConversionError(
                f"{ML5_MANIFEST} entry {name!r} must name a file inside the folder. "
                f"Received: filename={filename!r}"
            )
        path = folder / filename
        if not path.is_file():
            raise FileNotFoundError(
                f"Variable {name!r} is listed in {ML5_MANIFEST} but its file is "
                f"missing. Received: path={str(path)!r}"
            )
        shape = tuple(entry["shape"])
        expected = math.prod(shape) * 4
        size = path.stat().st_size
        if size != expected:
            raise ConversionError(
                f"Variable {name!r} of shape {shape} needs {expected} bytes of "
                f"float32. Received: {filename} with {size} bytes"
            )
        array = np.fromfile(path, dtype="<f4").reshape(shape)
        _check_finite(name, array)
        variables[name] = array.astype(np.float32)
    return variables


def read_tf_checkpoint(path):
    """Reads the upstream variables from a TensorFlow checkpoint.

    Accepts name-based checkpoints (`tf.compat.v1.train.Saver`, upstream's
    format, variable keys `Variable`, `Variable_1`, ...) and object-based ones
    (`tf.train.Checkpoint(Variable=..., ...)`). Optimizer slots (`.../Adam`),
    `beta1_power` and the like are ignored. Needs TensorFlow installed.

    Args:
        path: a checkpoint prefix (`.../fns.ckpt`), its `.index` file, a
            single-file V1 checkpoint, or a directory with a `checkpoint` file.

    Returns:
        A dict `{variable_name: float32 numpy array}`.

    Example:

    >>> variables = read_tf_checkpoint("checkpoints/wave.ckpt")
    """
    try:
        import tensorflow as tf  # optional path: only checkpoints need TensorFlow
    except ImportError:
        raise ImportError(
            "Reading TensorFlow checkpoints needs TensorFlow (`pip install "
            "tensorflow`); the ml5 layout does not. "
            f"Received: path={str(path)!r}"
        ) from None
    path = pathlib.Path(path)
    prefix = str(path)
    if path.is_dir():
        prefix = tf.train.latest_checkpoint(str(path))
        if prefix is None:
            raise FileNotFoundError(
                "Expected a TensorFlow checkpoint prefix or a directory with a "
                f"`checkpoint` file. Received: path={str(path)!r}"
            )
    elif path.suffix == ".index":
        prefix = str(path.with_suffix(""))
    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as e:  # tf raises NotFoundError / DataLossError / ...
        raise ConversionError(
            "Could not read a TensorFlow checkpoint (expected a prefix such as "
            f"`model.ckpt` next to `model.ckpt.index`): {type(e).__name__}. "
            f"Received: path={str(path)!r}"
        ) from None
    variables = {}
    keys = sorted(reader.get_variable_to_shape_map())
    for key in keys:
        name = (
            key[: -len(_CHECKPOINT_SUFFIX)] if key.endswith(_CHECKPOINT_SUFFIX) else key
        )
        if _variable_index(name) is None:
            continue
        array = np.asarray(reader.get_tensor(key))
        if not np.issubdtype(array.dtype, np.floating):
            raise ConversionError(
                f"Checkpoint variable {name!r} must be floating point. "
                f"Received: dtype={array.dtype}"
            )
        _check_finite(name, array)
        variables[name] = array.astype(np.float32)
    if not variables:
        raise ConversionError(
            "The checkpoint holds no upstream variables (`Variable`, `Variable_1`, "
            f"...). Received: keys={keys[:8]}{' ...' if len(keys) > 8 else ''}"
        )
    return variables


def read_lengstrom_variables(source):
    """Reads upstream variables from an ml5 folder or a TensorFlow checkpoint.

    Args:
        source: a folder with `manifest.json` (ml5 layout), or anything
            `read_tf_checkpoint` accepts.

    Returns:
        A dict `{variable_name: float32 numpy array}`.
    """
    source = pathlib.Path(source)
    if (source / ML5_MANIFEST).is_file():
        return read_ml5_weights(source)
    if (source.is_dir() and not (source / "checkpoint").is_file()) or not (
        source.exists()
        or source.with_name(source.name + ".index").exists()
        or source.with_name(source.name + ".meta").exists()
    ):
        raise FileNotFoundError(
            "Expected an ml5 weights folder (with manifest.json) or a TensorFlow "
            f"checkpoint. Received: source={str(source)!r}"
        )
    return read_tf_checkpoint(source)


def _check_finite(name, array):
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ConversionError(
            f"Variable {name!r} contains NaN or infinite values. "
            f"Received: {bad} non-finite of {np.size(array)} values"
        )


def _ordered(variables):
    """The variables as a list in creation order, checking the names are contiguous."""
    indexed = {}
    for name, array in variables.items():
        index = _variable_index(name)
        if index is None:
            raise ConversionError(
                "Upstream variables are named `Variable`, `Variable_1`, ... . "
                f"Received: name={name!r}"
            )
        indexed[index] = array
    count = len(indexed)
    missing = [i for i in range(count) if i not in indexed]
    if missing:
        names = ["Variable" if i == 0 else f"Variable_{i}" for i in missing[:5]]
        raise ConversionError(
            f"Upstream variables must be numbered without gaps. Missing: {names}. "
            f"Received: {count} variables"
        )
    return [indexed[i] for i in range(count)]


def _units(net):
    """`(label, keras conv layer, norm layer)` per convolution, in upstream order."""
    units = [
        (f"conv{i + 1}", conv.conv, norm)
        for i, (conv, norm) in enumerate(net.down_layers)
    ]
    for block in net.res_layers:
        units.append((f"{block.name}/conv1", block.conv1.conv, block.norm1))
        units.append((f"{block.name}/conv2", block.conv2.conv, block.norm2))
    units += [
        (f"up{i + 1}", conv.conv, norm) for i, (conv, norm) in enumerate(net.up_layers)
    ]
    units.append(("conv_out", net.conv_out.conv, net.norm_out))
    return units


def _targets(net):
    """`(label, kernel, beta, gamma)` per convolution, in upstream order."""
    return [
        (label, conv.kernel, norm.beta, norm.gamma) for label, conv, norm in _units(net)
    ]


def lengstrom_transform_net(variables):
    """Builds an upstream-equivalent `TransformNet` from upstream variables.

    The widths and the number of residual blocks are read from the shapes
    (upstream: 32/64/128 and 5 blocks), then every shape is checked against
    the network before any weight is assigned.

    Args:
        variables: dict `{name: array}` as returned by `read_ml5_weights` or
            `read_tf_checkpoint`.

    Returns:
        A built `TransformNet` with `LENGSTROM_CONFIG` and the given weights.
    """
    arrays = _ordered(variables)
    if len(arrays) % 3 or len(arrays) < 18 or (len(arrays) // 3 - 6) % 2:
        raise ConversionError(
            "Expected 3 variables (kernel, shift, scale) per convolution and "
            "3 + 2 * residual_blocks + 3 convolutions. "
            f"Received: {len(arrays)} variables"
        )
    residual_blocks = (len(arrays) // 3 - 6) // 2
    shapes = [a.shape for a in arrays]
    if len(shapes[0]) != 4 or len(shapes[3]) != 4 or len(shapes[6]) != 4:
        raise ConversionError(
            "The first three convolution kernels must be 4-D. "
            f"Received: shapes={shapes[0]}, {shapes[3]}, {shapes[6]}"
        )
    filters = (shapes[0][3], shapes[3][3], shapes[6][3])
    # A fixed name: Keras would number it per process ("transform_net_3"),
    # and the name lands in every preset's config.json.
    net = TransformNet(
        filters=filters,
        residual_blocks=residual_blocks,
        name="lengstrom_transform_net",
        **LENGSTROM_CONFIG,
    )
    # Every weight is overwritten below: skip the random initialisation, which
    # on JAX compiles one XLA program per kernel shape (seconds per network).
    for _, conv, _ in _units(net):
        conv.kernel_initializer = keras.initializers.Zeros()
    net.build()
    targets = _targets(net)
    for i, (label, *weights) in enumerate(targets):
        for j, (weight, part) in enumerate(zip(weights, ("kernel", "shift", "scale"))):
            k = 3 * i + j
            if tuple(arrays[k].shape) != tuple(weight.shape):
                name = "Variable" if k == 0 else f"Variable_{k}"
                raise ConversionError(
                    f"{name} ({label} {part}) must have shape {tuple(weight.shape)}. "
                    f"Received: shape={tuple(arrays[k].shape)}"
                )
    for i, (_, *weights) in enumerate(targets):
        for j, weight in enumerate(weights):
            weight.assign(arrays[3 * i + j])
    return net


def convert_lengstrom(source):
    """Converts a lengstrom/fast-style-transfer network to a `TransformNet`.

    Engstrom, "Fast Style Transfer in TensorFlow" (2016),
    https://github.com/lengstrom/fast-style-transfer, an implementation of
    Johnson et al. (2016). The result computes the same function as upstream
    (`tests/test_convert.py` checks it against an independent numpy forward
    pass): input RGB 0..255, output `tanh(x) * 150 + 127.5`.

    Args:
        source: an ml5 weights folder (`manifest.json` + raw float32 files) or
            a TensorFlow checkpoint (see `read_tf_checkpoint`).

    Returns:
        A built `TransformNet`.

    Example:

    >>> net = convert_lengstrom("ml5-data-and-models/models/style-transfer/wave")
    >>> keras_style.inference.stylizer.Stylizer(net).stylize("photo.jpg").save("wave.jpg")
    """
    return lengstrom_transform_net(read_lengstrom_variables(source))


def convert_lengstrom_to_preset(
    source, preset_dir, *, metadata=None, model_card=None, overwrite=False
):
    """Converts upstream lengstrom weights and writes a preset directory.

    Args:
        source: an ml5 weights folder or a TensorFlow checkpoint.
        preset_dir: destination (`config.json`, `model.weights.h5`,
            `metadata.json`, `README.md`), written atomically.
        metadata: extra fields for `metadata.json` (source URL, licence, ...).
        model_card: text of `README.md`.
        overwrite: replace an existing preset directory.

    Returns:
        The preset directory as a `pathlib.Path`.

    Example:

    >>> convert_lengstrom_to_preset("ml5/wave", "presets/wave")
    PosixPath('presets/wave')
    """
    net = convert_lengstrom(source)
    meta = {
        "converter": "keras_style.convert.convert_lengstrom",
        "architecture": "lengstrom",
    }
    meta.update(metadata or {})
    return net.save_to_preset(
        preset_dir, metadata=meta, model_card=model_card, overwrite=overwrite
    )

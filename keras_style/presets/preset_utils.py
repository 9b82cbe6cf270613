"""Preset folders on disk: their files, checksums and safe reading.

A preset folder (keras-hub layout) holds `config.json` (the network's Keras
config), `model.weights.h5`, `metadata.json`, `README.md` (model card) and
`checksums.json`, the sha256 of each of the others, written when the preset is
saved. Loading reads nothing but JSON and HDF5, refuses configs that name
code outside Keras and keras-style, and checks the weights against the config
before and after they are loaded.
"""

import hashlib
import json
import pathlib

from keras_style.presets.model_card import model_card as write_card

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
MODEL_CARD_FILE = "README.md"
CHECKSUMS_FILE = "checksums.json"
# The files `checksums.json` covers, then every file of a preset.
CHECKED_FILES = (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE, MODEL_CARD_FILE)
PRESET_FILES = (*CHECKED_FILES, CHECKSUMS_FILE)
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE)

# Modules a config may name (classes, dtype policies, initializers, ...).
_ALLOWED_MODULES = ("keras", "keras_style")


class ChecksumError(ValueError):
    """A file does not match its pinned or recorded sha256."""


def sha256_file(path):
    """The hex sha256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(folder):
    """Writes `checksums.json`: the sha256 of every preset file present."""
    folder = pathlib.Path(folder)
    sums = {n: sha256_file(folder / n) for n in CHECKED_FILES if (folder / n).is_file()}
    text = json.dumps({"sha256": sums}, indent=2) + "\n"
    (folder / CHECKSUMS_FILE).write_text(text)
    return sums


def verify_checksums(folder, *, required=False, repair=None):
    """Checks a preset folder against its `checksums.json`.

    Args:
        folder: the preset folder.
        required: whether a folder without `checksums.json` is an error
            (caches and the zoo always write one).
        repair: what the user can do about a damaged file, appended to the
            message (e.g. "run `keras-style zoo download wave --force`").

    Returns:
        The checked `{file: sha256}`, or None when there is no
        `checksums.json` and it is not required.

    Raises:
        ChecksumError: a listed file is missing, truncated or changed.
    """
    folder = pathlib.Path(folder)
    hint = f" To repair it, {repair}." if repair else ""
    path = folder / CHECKSUMS_FILE
    if not path.is_file():
        if required:
            raise ChecksumError(
                f"The preset has no {CHECKSUMS_FILE}, so it cannot be verified.{hint} "
                f"Received: preset_dir={str(folder)!r}"
            )
        return None
    try:
        sums = json.loads(path.read_text(encoding="utf-8"))["sha256"]
        if not isinstance(sums, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise ChecksumError(
            f"{path} is not a valid checksum file.{hint} "
            f"Received: preset_dir={str(folder)!r}"
        ) from None
    for name in REQUIRED_FILES:
        if name not in sums:
            raise ChecksumError(
                f"{path} does not list {name}.{hint} Received: preset_dir={str(folder)!r}"
            )
    for name in sums:
        if name not in CHECKED_FILES:
            raise ChecksumError(
                f"{path} lists an unexpected file. Received: file={name!r}"
            )
    mismatch = first_mismatch(folder, sums)
    if mismatch:
        name, expected, actual, file = mismatch
        raise ChecksumError(
            f"{name} of the preset is damaged or was changed after it was "
            f"saved (sha256 mismatch).{hint} Expected: {expected}. Received: "
            f"{actual} at {str(file)!r}"
        )
    return sums


def first_mismatch(folder, pins):
    """The first file of `folder` that differs from its pinned sha256.

    Args:
        folder: a preset folder.
        pins: `{file name: sha256}`.

    Returns:
        `(name, expected, actual, path)`, where `actual` is "a missing file"
        for a file that is not there, or None when every file matches.
    """
    for name, expected in pins.items():
        path = pathlib.Path(folder) / name
        actual = sha256_file(path) if path.is_file() else "a missing file"
        if actual != expected:
            return name, expected, actual, path
    return None


def read_metadata(folder):
    """A preset's `metadata.json` as a dict; `{}` when missing or unreadable
    (metadata describes a preset, it never decides whether it loads)."""
    path = pathlib.Path(folder) / METADATA_FILE
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def preset_class_name(folder):
    """The class a preset's `config.json` names, or None if it names none."""
    try:
        config = json.loads((pathlib.Path(folder) / CONFIG_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None  # the loader reports what is wrong with the file
    name = config.get("class_name") if isinstance(config, dict) else None
    return name if isinstance(name, str) else None


def read_config(folder, class_name):
    """Reads a preset's `config.json` for inference, refusing anything unsafe.

    The compile settings are dropped (loading a network must never build a
    loss network or read the paths they name), and every `module` the config
    names must belong to Keras or keras-style, so deserializing it imports
    nothing else.

    Args:
        folder: the preset folder.
        class_name: the class the config must describe (e.g. "TransformNet").

    Returns:
        The config dict, ready for `keras.saving.deserialize_keras_object`.
    """
    path = pathlib.Path(folder) / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(
            f"{CONFIG_FILE} is not UTF-8 text. Received: file={str(path)!r}"
        ) from None
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{CONFIG_FILE} is not valid JSON ({e}). Received: file={str(path)!r}"
        ) from None
    if not isinstance(config, dict) or config.get("class_name") != class_name:
        got = config.get("class_name") if isinstance(config, dict) else config
        raise ValueError(
            f"{CONFIG_FILE} does not describe a {class_name}. "
            f"Received: class_name={got!r} in {str(path)!r}"
        )
    config = dict(config)
    config.pop("compile_config", None)
    _check_modules(config, path)
    return config


def _check_modules(value, path):
    if isinstance(value, dict):
        module = value.get("module")
        if module is not None and (
            not isinstance(module, str) or module.split(".")[0] not in _ALLOWED_MODULES
        ):
            raise ValueError(
                f"{CONFIG_FILE} names code outside Keras and keras-style, which "
                f"a preset may not load. Received: module={module!r} in {str(path)!r}"
            )
        for item in value.values():
            _check_modules(item, path)
    elif isinstance(value, list):
        for item in value:
            _check_modules(item, path)


def weights_file_shapes(path):
    """Shapes of the tensors in a Keras `.weights.h5` file, in file order.

    Raises a ValueError naming the file when it is not a readable HDF5 file
    (empty, truncated, garbage).
    """
    import h5py

    shapes = []
    try:
        with h5py.File(path, "r") as f:
            f.visititems(
                lambda _, obj: (
                    shapes.append(tuple(obj.shape))
                    if isinstance(obj, h5py.Dataset)
                    else None
                )
            )
    except OSError as e:
        raise ValueError(
            f"{WEIGHTS_FILE} is not a readable weights file (empty, truncated or "
            f"not HDF5: {e}). Received: file={str(path)!r}"
        ) from None
    return shapes


def check_weights_match(model, path):
    """Checks that a weights file holds exactly the tensors `model` has.

    Keras would load a file saved for another configuration (say 5 residual
    blocks into a 2-block network) without a word, or fail with "received 0
    variables"; this names both sides instead.
    """
    have = sorted(weights_file_shapes(path))
    want = sorted(tuple(w.shape) for w in model.weights)
    if have != want:
        raise ValueError(
            f"{WEIGHTS_FILE} does not fit the network described by {CONFIG_FILE} "
            f"(e.g. another number of residual blocks or filters): the file "
            f"holds {len(have)} tensors, the network has {len(want)}"
            + (
                ""
                if len(have) != len(want)
                else f"; first differing shapes: {_first_difference(have, want)}"
            )
            + f". Received: file={str(path)!r}"
        )


def _first_difference(have, want):
    for a, b in zip(have, want):
        if a != b:
            return f"file {a} vs network {b}"
    return "none"


def check_finite_weights(model, path):
    """Raises a ValueError when a loaded weight holds NaN or infinity."""
    import keras
    import numpy as np

    for weight in model.weights:
        if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight))):
            raise ValueError(
                f"{WEIGHTS_FILE} holds NaN or infinite values (in {weight.path}), "
                f"which would give blank images. Received: file={str(path)!r}"
            )


def save_preset(model, preset_dir, *, metadata=None, model_card=None, overwrite=False):
    """Writes `model` as a preset folder; see `TransformNet.save_to_preset`.

    Assembled in a temporary sibling folder and renamed into place, so an
    interrupted save never leaves a half preset. `config.json` holds the
    network's config only, never the training setup of `compile`.
    """
    import datetime
    import shutil
    import tempfile

    import keras

    from keras_style.utils.files import publish_directory
    from keras_style.version import __version__

    preset_dir = pathlib.Path(preset_dir)
    if preset_dir.exists() and not overwrite:
        raise FileExistsError(
            "Preset directory already exists; pass overwrite=True to replace it. "
            f"Received: preset_dir={str(preset_dir)!r}"
        )
    if not model.built:
        model.build()
    preset_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{preset_dir.name}.", dir=preset_dir.parent)
    )
    try:
        config = keras.saving.serialize_keras_object(model)
        # The network only: a compile config (style image, VGG weights path,
        # optimizer) would make loading for inference rebuild the VGG loss
        # network. Training resumes from its checkpoints instead.
        config.pop("compile_config", None)
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        _network_only(model).save_weights(tmp / WEIGHTS_FILE)
        meta = {
            "keras_version": keras.__version__,
            "keras_style_version": __version__,
            "parameter_count": int(model.count_params()),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            **(metadata or {}),
        }
        (tmp / METADATA_FILE).write_text(json.dumps(meta, indent=2))
        if model_card is None:
            model_card = write_card(
                preset_dir,
                description=f"A keras-style `{type(model).__name__}` preset.",
            )
        (tmp / MODEL_CARD_FILE).write_text(model_card)
        write_checksums(tmp)
        publish_directory(tmp, preset_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return preset_dir


def _network_only(model):
    """`model`, or an uncompiled copy when optimizer state would be saved too.

    `save_weights` of a compiled model also writes the optimizer's slots; a
    preset holds only the network's weights (stable paths for loaders).
    """
    if getattr(model, "optimizer", None) is None:
        return model
    clone = model.__class__.from_config(model.get_config())
    clone.build()
    clone.set_weights(model.get_weights())
    return clone


def load_preset(cls, preset_dir):
    """Loads a model of class `cls` from a preset folder; see
    `TransformNet.from_preset_dir` for what is checked."""
    import keras

    preset_dir = pathlib.Path(preset_dir)
    missing = [n for n in REQUIRED_FILES if not (preset_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Not a {cls.__name__} preset directory: missing {missing}. "
            f"Received: preset_dir={str(preset_dir)!r}"
        )
    verify_checksums(preset_dir)
    config = read_config(preset_dir, cls.__name__)
    try:
        model = keras.saving.deserialize_keras_object(
            config, custom_objects={cls.__name__: cls}, safe_mode=True
        )
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        raise ValueError(
            f"{CONFIG_FILE} is not a valid {cls.__name__} config ({e}). "
            f"Received: preset_dir={str(preset_dir)!r}"
        ) from None
    if not model.built:
        model.build()
    weights = preset_dir / WEIGHTS_FILE
    check_weights_match(model, weights)
    model.load_weights(weights)
    check_finite_weights(model, weights)
    return model

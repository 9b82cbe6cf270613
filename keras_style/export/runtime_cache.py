"""Exported runtimes for `Stylizer(runtime=...)`: exported once, cached, verified.

A network is exported into the keras-style cache (`exported/` under
`keras_style.zoo.cache_root`) under the sha256 of its config and weights, so
any preset (zoo, Hub or a user's) maps to one file whatever its name. A stamp
next to it records that key and the file's own sha256; on reuse both are
checked and a file that does not match (corrupted, half-copied, another
network's, or written by an older exporter) is exported again.
"""

import hashlib
import json
import pathlib

from keras_style.export import formats, requirements
from keras_style.export.exporter import export_network
from keras_style.export.runtimes import load_exported
from keras_style.presets.preset_utils import CONFIG_FILE, WEIGHTS_FILE, sha256_file
from keras_style.utils.files import write_text_atomic

# `Stylizer` runtimes backed by an exported file (SavedModel is not faster
# than Keras itself, so it is not offered there).
EXPORTED_RUNTIMES = ("onnx", "litert")
# Bumped when exports get faster or better, so that cached files written by
# an older keras-style are exported again once.
# 2: ONNX graph rewrites (`onnx_passes`); 3: transposed convolutions as
# convolutions on their output parities.
EXPORTER_REVISION = 3

# sha256 of the files this process checked, by their `os.stat` signature:
# the command line asks whether a preset's export is cached (to decide
# whether to import Keras) and then loads it, and each check hashes the
# preset's weights and the exported file.
_HASHED = {}


def _file_sha256(path):
    """`sha256_file(path)`, hashed once per process while the file is
    unchanged: any write moves its change time, a replacement its inode."""
    info = pathlib.Path(path).stat()
    signature = (
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
    )
    key = str(pathlib.Path(path).resolve())
    known = _HASHED.get(key)
    if known is None or known[0] != signature:
        known = _HASHED[key] = (signature, sha256_file(path))
    return known[1]


def network_sha256(net):
    """sha256 of a network's config and float32 weights (its identity)."""
    import keras
    import numpy as np

    digest = hashlib.sha256()
    config = net.get_config()
    config.pop("name", None)  # the same weights under another name
    config.pop("dtype", None)  # exported in float32 whatever the policy
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    for weight in net.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight), "<f4")
        digest.update(str(value.shape).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def auto_runtime(photo_to_photo):
    """What `runtime="auto"` runs: ONNX Runtime (parity with Keras tested,
    and fastest on CPUs) when the `export` extra is installed and the network
    maps photos to photos, so one exported file serves every photo; else
    `"keras"` (a network that takes a style vector would be exported once per
    style).

    Args:
        photo_to_photo: whether the network takes photos only
            (`TransformNet`, `FixedStyleNetwork`).
    """
    needs = requirements.WRITE[("onnx", "float32")] + requirements.RUN["onnx"]
    if photo_to_photo and all(requirements.installed(name) for name in needs):
        return "onnx"
    return "keras"


def _check_runtime_name(runtime):
    if runtime not in EXPORTED_RUNTIMES:
        raise ValueError(
            f"`runtime` must be 'keras' or one of {list(EXPORTED_RUNTIMES)}. "
            f"Received: runtime={runtime!r}"
        )


def check_runtime(runtime):
    """Checks, before any download or export, that `runtime` can be used.

    The packages that export a network for `runtime` and run the file come
    with the `export` extra; a missing one raises an `ImportError` naming it.

    Args:
        runtime: `"onnx"` or `"litert"`.
    """
    _check_runtime_name(runtime)
    modules = requirements.WRITE.get((runtime, "float32"), ())
    requirements.require(
        modules + requirements.RUN[runtime],
        f"The {runtime} runtime",
        f"runtime={runtime!r}",
    )


def cached_export(net, runtime, *, cache_dir=None, metadata=None, on_export=None):
    """The path of `net` exported for `runtime`, exporting it when needed.

    Args:
        net: a `TransformNet`.
        runtime: `"onnx"` or `"litert"`.
        cache_dir: cache root (default `$KERAS_STYLE_CACHE` or
            `~/.cache/keras_style`).
        metadata: preset metadata for the sidecar of a new export.
        on_export: called before a new export starts (to say so).

    Returns:
        A `pathlib.Path` to a verified exported file.
    """
    from keras_style.presets.cache import cache_root  # the zoo's cache location

    _check_runtime_name(runtime)
    key = network_sha256(net)
    folder = cache_root(cache_dir) / "exported"
    path = folder / f"{key[:32]}{formats.SUFFIXES[runtime]}"
    stamp = path.with_name(path.name + ".sha256")
    if _verified(path, stamp, key):
        return path
    if on_export is not None:
        on_export()
    export_network(net, path, runtime, metadata=metadata, overwrite=True)
    record = {
        "network_sha256": key,
        "file_sha256": sha256_file(path),
        "exporter_revision": EXPORTER_REVISION,
    }
    write_text_atomic(stamp, json.dumps(record))
    return path


def _verified(path, stamp, key):
    if not (path.is_file() and stamp.is_file()):
        return False
    try:
        record = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("network_sha256") == key
        and record.get("exporter_revision") == EXPORTER_REVISION
        and record.get("file_sha256") == _file_sha256(path)
    )


def _preset_link(preset_dir, runtime, cache_dir):
    """Where the exported file of a preset folder is recorded: keyed by the
    sha256 of its config and weights files, so no Keras is needed to find it."""
    from keras_style.presets.cache import cache_root

    digest = hashlib.sha256(runtime.encode())
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        digest.update(_file_sha256(pathlib.Path(preset_dir) / name).encode())
    return (
        cache_root(cache_dir)
        / "exported"
        / "presets"
        / f"{digest.hexdigest()[:32]}.json"
    )


def cached_export_of_preset(preset_dir, runtime, *, cache_dir=None):
    """The verified exported file of a preset for `runtime`, or None.

    Found without Keras: through the record `load_runtime` wrote when it
    exported the preset's network, then checked like any cached export.
    """
    _check_runtime_name(runtime)
    try:
        link = _preset_link(preset_dir, runtime, cache_dir)
        record = json.loads(link.read_text())
        path = link.parent.parent / record["file"]
        key = record["network_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    stamp = path.with_name(path.name + ".sha256")
    return path if _verified(path, stamp, key) else None


def load_cached_runtime(preset_dir, runtime, *, cache_dir=None, threads=None):
    """A preset's network in `runtime` from an earlier export, without
    importing Keras; None when it was not exported yet (or fails its check)."""
    path = cached_export_of_preset(preset_dir, runtime, cache_dir=cache_dir)
    if path is None:
        return None
    requirements.require(
        requirements.RUN[runtime], f"The {runtime} runtime", f"runtime={runtime!r}"
    )
    return load_exported(path, runtime, threads=threads)


def load_runtime(
    net,
    runtime,
    *,
    cache_dir=None,
    metadata=None,
    threads=None,
    preset_dir=None,
    on_export=None,
):
    """`net` as an exported runtime model (see `runtimes.load_exported`).

    With `preset_dir` (the folder `net` was loaded from), the export is also
    recorded under that preset's files, so `load_cached_runtime` finds it
    next time without Keras.
    """
    path = cached_export(
        net, runtime, cache_dir=cache_dir, metadata=metadata, on_export=on_export
    )
    if preset_dir is not None:
        link = _preset_link(preset_dir, runtime, cache_dir)
        record = {"file": path.name, "network_sha256": network_sha256(net)}
        link.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(link, json.dumps(record))
    return load_exported(pathlib.Path(path), runtime, threads=threads)

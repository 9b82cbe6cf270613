"""Exported runtimes for `Stylizer(runtime=...)`: exported once, cached, verified.

A network is exported into the keras-style cache (`exported/` under
`keras_style.zoo.cache_root`) under the sha256 of its config and weights, so
any preset (zoo, Hub or a user's) maps to one file whatever its name. A stamp
next to it records that key and the file's own sha256; on reuse both are
checked and a file that does not match (corrupted, half-copied, another
network's) is exported again.
"""

import hashlib
import json
import pathlib

from keras_style.export import formats, requirements
from keras_style.export.exporter import export_network
from keras_style.export.runtimes import load_exported
from keras_style.presets.preset_utils import sha256_file
from keras_style.utils.files import write_text_atomic

# `Stylizer` runtimes backed by an exported file (SavedModel is not faster
# than Keras itself, so it is not offered there).
EXPORTED_RUNTIMES = ("onnx", "litert")


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


def cached_export(net, runtime, *, cache_dir=None, metadata=None):
    """The path of `net` exported for `runtime`, exporting it when needed.

    Args:
        net: a `TransformNet`.
        runtime: `"onnx"` or `"litert"`.
        cache_dir: cache root (default `$KERAS_STYLE_CACHE` or
            `~/.cache/keras_style`).
        metadata: preset metadata for the sidecar of a new export.

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
    export_network(net, path, runtime, metadata=metadata, overwrite=True)
    record = {"network_sha256": key, "file_sha256": sha256_file(path)}
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
        and record.get("file_sha256") == sha256_file(path)
    )


def load_runtime(net, runtime, *, cache_dir=None, metadata=None, threads=None):
    """`net` as an exported runtime model (see `runtimes.load_exported`)."""
    path = cached_export(net, runtime, cache_dir=cache_dir, metadata=metadata)
    return load_exported(pathlib.Path(path), runtime, threads=threads)

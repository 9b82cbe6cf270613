"""`export_network`: a style network to a SavedModel, ONNX or LiteRT file.

Checks the arguments and the destination before any work, writes the file
and its JSON sidecar in a temporary sibling folder and moves them into
place, so an interrupted export never leaves a half-written file. Under the
TensorFlow backend Keras exports in this process; under JAX or PyTorch the
same weights are exported by a TensorFlow subprocess (see `formats`).
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from keras_style.export import formats, requirements, sidecar


def export_network(
    net,
    path,
    format=None,
    *,
    precision="float32",
    input_size=None,
    metadata=None,
    source=None,
    overwrite=False,
):
    """Exports `net` for inference outside Keras; see `TransformNet.export`.

    Args:
        net: a style network: photos to photos (`TransformNet`,
            `FixedStyleNetwork`), or photos and a style vector (a network
            with a `condition_size`, e.g. `MultiStyleNet`: the file then
            takes a second input, `style_weights`).
        path: destination: a `.onnx` or `.tflite` file, or a SavedModel
            directory.
        format: `"saved_model"`, `"onnx"` or `"litert"`; `None` guesses from
            the suffix of `path` (`.onnx`, `.tflite`, else SavedModel).
        precision: `"float32"`, `"float16"` or `"int8"` (the last two for
            ONNX and LiteRT).
        input_size: `None` for any height and width, or `(height, width)`.
        metadata: the preset's metadata (style, licence) for the sidecar.
        source: where `net` came from (zoo name, handle, directory).
        overwrite: replace an existing `path` (refused otherwise).

    Returns:
        The exported path as a `pathlib.Path`; its sidecar is `path + ".json"`.
    """
    import keras

    format = formats.resolve_format(format, path)
    formats.check_precision(precision, format)
    input_size = formats.check_input_size(input_size)
    path = _check_destination(path, overwrite)
    requirements.require(
        requirements.WRITE.get((format, precision), ()),
        f"Exporting to {format} ({precision})",
        f"format={format!r}",
    )
    if not net.built:
        net.build()
    content = sidecar.build_sidecar(
        net,
        format=format,
        precision=precision,
        input_size=input_size,
        metadata=metadata,
        source=source,
    )
    work = pathlib.Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        built = work / path.name
        if keras.backend.backend() == "tensorflow":
            formats.write(net, built, format, precision, input_size)
        else:
            _write_in_tensorflow(net, work, built, format, precision, input_size)
        sidecar.write_sidecar(work / "sidecar.json", content)
        _publish(built, path)
        os.replace(work / "sidecar.json", sidecar.sidecar_path(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


def _check_destination(path, overwrite):
    path = pathlib.Path(path).expanduser()
    targets = [path, sidecar.sidecar_path(path)]
    if not overwrite:
        existing = [str(p) for p in targets if p.exists()]
        if existing:
            raise FileExistsError(
                "The export destination already exists; pass overwrite=True "
                f"(--overwrite) to replace it. Received: path={existing[0]!r}"
            )
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PermissionError(
            f"Cannot create the export's folder ({e.strerror}). "
            f"Received: path={str(path)!r}"
        ) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(
            f"Cannot write to the folder {str(parent)!r}. Received: path={str(path)!r}"
        )
    return path


def _publish(built, path):
    from keras_style.utils.files import current_umask, publish_directory

    if built.is_dir():
        publish_directory(built, path)
        return
    # A plain file's usual mode, not mkdtemp's private one.
    os.chmod(built, 0o666 & ~current_umask())
    if path.is_dir():
        shutil.rmtree(path)
    os.replace(built, path)


def _write_in_tensorflow(net, work, built, format, precision, input_size):
    """Runs `formats.write` on the same weights in a TensorFlow subprocess."""
    preset = work / "preset"
    net.save_to_preset(preset)
    size = [str(n) for n in input_size] if input_size is not None else []
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Exporting is a CPU job: the subprocess must not take the GPU memory
    # the caller's JAX or PyTorch process holds.
    env["CUDA_VISIBLE_DEVICES"] = "-1"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_style.export.worker",
            ",".join(_defining_modules(net)),  # the worker imports them
            str(preset),
            str(built),
            format,
            precision,
            *size,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not built.exists():
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise RuntimeError(
            f"Exporting to {format} in a TensorFlow subprocess failed "
            f"(exit code {result.returncode}):\n{tail}"
        )


def _defining_modules(net):
    """The keras-style modules defining `net`'s class and those of the
    networks and layers inside it, found through Keras' public `layers`
    (the worker imports them so that the preset's config deserializes)."""
    modules, todo = set(), [net]
    while todo:
        layer = todo.pop()
        if type(layer).__module__.split(".")[0] == "keras_style":
            modules.add(type(layer).__module__)
        todo.extend(getattr(layer, "layers", ()))
    return sorted(modules)

"""Export formats and precisions: the checks, and the writer run under TensorFlow.

Keras' own exporters do the work (`keras.Model.export`): TensorFlow writes all
three formats with dynamic height and width (tf2onnx for ONNX, the TFLite
converter for LiteRT). The other backends cannot (JAX has no LiteRT path and
exports ONNX through jax2onnx; PyTorch exports fixed shapes only), so
`keras_style.export.exporter` runs `write` in a TensorFlow subprocess there.
"""

import pathlib
import warnings

from keras_style.defaults import MIN_PHOTO_SIDE as MIN_SIZE

FORMATS = ("saved_model", "onnx", "litert")
PRECISIONS = ("float32", "float16", "int8")
SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}
# Which precisions each format can hold (SavedModel: Keras' float32 graph).
FORMAT_PRECISIONS = {
    "saved_model": ("float32",),
    "onnx": PRECISIONS,
    "litert": PRECISIONS,
}
# The exported graph's input and output: documented in every sidecar.
INPUT_NAME = "image"
# The second input of a network that takes a style vector (`condition_size`,
# e.g. a `MultiStyleNet`'s weights over its styles).
STYLE_INPUT_NAME = "style_weights"


def style_input_size(net):
    """The length of the style vector `net` takes as a second input, or None
    for a network that maps photos to photos."""
    return getattr(net, "condition_size", None)


def resolve_format(format, path):
    """The export format: `format`, or guessed from the suffix of `path`."""
    path = pathlib.Path(path)
    if format is None:
        by_suffix = {s: f for f, s in SUFFIXES.items()}
        format = by_suffix.get(path.suffix.lower(), "saved_model")
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {list(FORMATS)}. Received: format={format!r}"
        )
    suffix = SUFFIXES.get(format)
    if suffix is not None and path.suffix.lower() != suffix:
        raise ValueError(
            f"format={format!r} writes a `{suffix}` file. Received: path={str(path)!r}"
        )
    if format == "saved_model" and path.suffix.lower() in SUFFIXES.values():
        raise ValueError(
            "format='saved_model' writes a directory, not a "
            f"`{path.suffix}` file. Received: path={str(path)!r}"
        )
    return format


def check_precision(precision, format):
    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` must be one of {list(PRECISIONS)}. "
            f"Received: precision={precision!r}"
        )
    if precision not in FORMAT_PRECISIONS[format]:
        raise ValueError(
            f"format={format!r} can only hold "
            f"{list(FORMAT_PRECISIONS[format])}; float16 and int8 are available "
            f"for 'onnx' and 'litert'. Received: precision={precision!r}"
        )
    return precision


def check_input_size(input_size):
    """`None` (any size) or a `(height, width)` pair of ints >= the minimum."""

    if input_size is None:
        return None
    try:
        height, width = (int(n) for n in input_size)
        valid = (
            all(not isinstance(n, bool) and int(n) == n for n in input_size)
            and min(height, width) >= MIN_SIZE
        )
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"`input_size` must be None or (height, width), both ints >= "
            f"{MIN_SIZE}. Received: input_size={input_size!r}"
        )
    return height, width


def float32_network(net):
    """`net`, or a float32 copy: Keras exports only float32 dtype policies."""
    if net.dtype_policy.name == "float32":
        return net
    config = net.get_config()
    config["dtype"] = "float32"
    copy = type(net).from_config(config)
    copy.build()
    copy.set_weights(net.get_weights())
    return copy


def write(net, path, format, precision="float32", input_size=None):
    """Writes `net` to `path` in `format`; needs the TensorFlow backend.

    The graph takes one input, `image`: float32 RGB, 0..255, NHWC, with a
    dynamic batch and (unless `input_size`) dynamic height and width; its
    output has the input's shape. A network with a `condition_size` (a
    `MultiStyleNet`) takes a second input, `style_weights`: float32
    `(batch, condition_size)`, one row per image.
    """
    import keras

    from keras_style.export import onnx_passes
    from keras_style.export import precision as precisions

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "formats.write runs under the TensorFlow backend only; use "
            "keras_style.export.export_network. "
            f"Received: backend={keras.backend.backend()!r}"
        )
    net = float32_network(net)
    if not net.built:
        net.build()
    height, width = input_size if input_size is not None else (None, None)
    spec = [
        keras.InputSpec(
            shape=(None, height, width, 3), dtype="float32", name=INPUT_NAME
        )
    ]
    styles = style_input_size(net)
    if styles is not None:
        # Keras passes a one-element signature as the input itself: two
        # inputs are one list, as the network's call takes them.
        spec = [
            [
                spec[0],
                keras.InputSpec(
                    shape=(None, styles), dtype="float32", name=STYLE_INPUT_NAME
                ),
            ]
        ]
    export = keras.Model.export  # TransformNet.export has another signature
    path = str(path)
    if format == "saved_model":
        export(net, path, format="tf_saved_model", input_signature=spec, verbose=False)
    elif format == "onnx":
        _quiet_tf2onnx()
        with warnings.catch_warnings():
            # Keras' tf2onnx patch probes `np.object` (a NumPy FutureWarning).
            warnings.simplefilter("ignore", FutureWarning)
            export(net, path, format="onnx", input_signature=spec, verbose=False)
        onnx_passes.optimize_file(path, INPUT_NAME, STYLE_INPUT_NAME)
        precisions.convert_onnx(path, precision)
    else:
        export(
            net,
            path,
            format="litert",
            input_signature=spec,
            verbose=False,
            **precisions.litert_converter_options(precision),
        )


def _quiet_tf2onnx():
    import logging

    # tf2onnx logs every conversion step at INFO.
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)

"""The JSON sidecar written next to every exported file (`OUT.json`).

It tells whoever deploys the file (a mobile or web developer, without
Python) what it holds: the style and its licence, the input/output contract,
the format and precision, and the versions that wrote it.
"""

import json
import pathlib

from keras_style.defaults import MIN_PHOTO_SIDE as MIN_SIZE

# Preset metadata fields copied into the sidecar when present.
_PRESET_FIELDS = ("name", "title", "artist", "description", "licence", "attribution")


def sidecar_path(path):
    """`OUT.json` for an exported `OUT` (file or SavedModel directory)."""
    path = pathlib.Path(path)
    return path.with_name(path.name + ".json")


def build_sidecar(
    net, *, format, precision, input_size=None, metadata=None, source=None
):
    """The sidecar's content, a JSON-serializable dict.

    Args:
        net: the exported `TransformNet`.
        format, precision, input_size: as passed to the export.
        metadata: the preset's `metadata.json` (style, licence, ...), if any.
        source: where the network came from (a zoo name, `hf://` handle or
            preset directory), if known.
    """
    import keras

    from keras_style.export.formats import (
        INPUT_NAME,
        STYLE_INPUT_NAME,
        style_input_size,
    )
    from keras_style.version import __version__

    metadata = dict(metadata or {})
    height, width = input_size if input_size is not None else (None, None)
    config = net.get_config()
    style = {k: metadata[k] for k in _PRESET_FIELDS if k in metadata}
    styles = style_input_size(net)
    style_input = (
        {}
        if styles is None
        else {
            "style_input": {
                "name": STYLE_INPUT_NAME,
                "dtype": "float32",
                "shape": [None, styles],
                "meaning": "one row per image: a weight per style (one-hot "
                "for one style; a blend's weights sum to 1)",
            }
        }
    )
    return {
        "style": style.pop("name", None),
        **style,
        "source_preset": None if source is None else str(source),
        "format": format,
        "precision": precision,
        "input": {
            "name": INPUT_NAME,
            "layout": "NHWC",
            "dtype": "float32",
            "channels": "RGB",
            "range": [0, 255],
            "shape": [None, height, width, 3],
            "min_size": MIN_SIZE,
        },
        **style_input,
        "output": {
            "layout": "NHWC",
            "dtype": "float32",
            "channels": "RGB",
            "range": [0, 255],
            "shape": "same as the input",
        },
        "network": {
            "class": type(net).__name__,
            **{
                key: config[key]
                for key in ("residual_blocks", "upsampling", "padding", "filters")
                if key in config
            },
        },
        "keras_style_version": __version__,
        "keras_version": keras.__version__,
    }


def write_sidecar(path, content):
    path = pathlib.Path(path)
    path.write_text(json.dumps(content, indent=2) + "\n")
    return path


def read_sidecar(exported):
    """The sidecar of an exported file as a dict, or `{}` when it has none."""
    path = sidecar_path(exported)
    if not path.is_file():
        return {}
    return json.loads(path.read_text())

"""Importers for published style-transfer weights, and building zoo presets
from them.

- `convert_lengstrom`, `convert_lengstrom_to_preset`: Logan Engstrom's
  fast-style-transfer networks (`lengstrom.py`);
- `convert_magenta_arbitrary(_to_preset)`, `convert_magenta_multistyle(_to_preset)`:
  Magenta's arbitrary-style and 26-style networks from ONNX (`magenta.py`,
  reading graphs with `onnx_graph.py`);
- `upstream.py` builds a zoo style's preset from its pinned upstream files,
  and `resolve.py` resolves any preset handle with that as the last source.

The converters are imported on first use (PEP 562): resolving a preset handle
(`resolve.py`) must not import Keras.
"""

import importlib

# Public name -> the module that defines it.
_LAZY = {
    "ConversionError": "lengstrom",
    "convert_lengstrom": "lengstrom",
    "convert_lengstrom_to_preset": "lengstrom",
    "lengstrom_transform_net": "lengstrom",
    "read_lengstrom_variables": "lengstrom",
    "read_ml5_weights": "lengstrom",
    "read_tf_checkpoint": "lengstrom",
    "convert_magenta_arbitrary": "magenta",
    "convert_magenta_arbitrary_to_preset": "magenta",
    "convert_magenta_multistyle": "magenta",
    "convert_magenta_multistyle_to_preset": "magenta",
    "convert_magenta_predictor": "magenta",
    "convert_magenta_transfer": "magenta",
    "strip_activation_quantization": "onnx_graph",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

"""Importers for published style-transfer weights, and building zoo presets
from them.

- `convert_lengstrom`, `convert_lengstrom_to_preset`: Logan Engstrom's
  fast-style-transfer networks (`lengstrom.py`);
- `convert_magenta_arbitrary(_to_preset)`, `convert_magenta_multistyle(_to_preset)`:
  Magenta's arbitrary-style and 26-style networks from ONNX (`magenta.py`,
  reading graphs with `onnx_graph.py`);
- `upstream.py` builds a zoo style's preset from its pinned upstream files,
  and `resolve.py` resolves any preset handle with that as the last source.
"""

from keras_style.convert.lengstrom import (
    ConversionError,
    convert_lengstrom,
    convert_lengstrom_to_preset,
    lengstrom_transform_net,
    read_lengstrom_variables,
    read_ml5_weights,
    read_tf_checkpoint,
)
from keras_style.convert.magenta import (
    convert_magenta_arbitrary,
    convert_magenta_arbitrary_to_preset,
    convert_magenta_multistyle,
    convert_magenta_multistyle_to_preset,
    convert_magenta_predictor,
    convert_magenta_transfer,
)
from keras_style.convert.onnx_graph import strip_activation_quantization

__all__ = [
    "ConversionError",
    "convert_lengstrom",
    "convert_lengstrom_to_preset",
    "convert_magenta_arbitrary",
    "convert_magenta_arbitrary_to_preset",
    "convert_magenta_multistyle",
    "convert_magenta_multistyle_to_preset",
    "convert_magenta_predictor",
    "convert_magenta_transfer",
    "lengstrom_transform_net",
    "read_lengstrom_variables",
    "read_ml5_weights",
    "read_tf_checkpoint",
    "strip_activation_quantization",
]

"""Arbitrary style transfer (Ghiasi et al. 2017): any painting, one forward pass.

A `StylePredictor` turns a painting into a style embedding; the embedding sets
the scale and shift of every conditional instance normalisation of a
`StyleTransferNetwork`; `ArbitraryStyleNet` ties the two
(`keras_style.models.fixed_style_network` builds one painting in).
"""

from keras_style.models.arbitrary.arbitrary_style_net import (
    DEFAULT_STYLE_SIZE,
    ArbitraryStyleNet,
)
from keras_style.models.arbitrary.style_predictor import StylePredictor
from keras_style.models.arbitrary.style_transfer_network import (
    MIN_SIZE,
    StyleTransferNetwork,
)

__all__ = [
    "DEFAULT_STYLE_SIZE",
    "MIN_SIZE",
    "ArbitraryStyleNet",
    "StylePredictor",
    "StyleTransferNetwork",
]

"""Building blocks of the style networks. All layers are registered,
serializable, and run on every Keras backend."""

from keras_style.layers.convolution import PaddedConv2D, UpsampleConv2D
from keras_style.layers.normalization import (
    ConditionalInstanceNormalization,
    InstanceNormalization,
)
from keras_style.layers.padding import (
    MIN_SIZE,
    ReflectionPadding2D,
    crop_to,
    pad_to_multiple,
)
from keras_style.layers.residual_block import ResidualBlock

__all__ = [
    "MIN_SIZE",
    "ConditionalInstanceNormalization",
    "InstanceNormalization",
    "PaddedConv2D",
    "ReflectionPadding2D",
    "ResidualBlock",
    "UpsampleConv2D",
    "crop_to",
    "pad_to_multiple",
]

"""Every stylizer family, imported together so that `Stylizer.from_preset`
can pick the one a preset's network needs (`Stylizer.network_classes`).

The photo-in, photo-out `Stylizer` itself needs none of them (nor Keras, with
an exported runtime): `keras_style.zoo.load` imports this module only for
presets of the other families.
"""

from keras_style.inference.arbitrary_stylizer import ArbitraryStylizer
from keras_style.inference.conditioned_stylizer import ConditionedStylizer
from keras_style.inference.multi_style_stylizer import MultiStyleStylizer
from keras_style.inference.stylizer import Stylizer

__all__ = [
    "ArbitraryStylizer",
    "ConditionedStylizer",
    "MultiStyleStylizer",
    "Stylizer",
]

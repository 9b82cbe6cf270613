"""Running style networks on photos, folders and videos.

`Stylizer` is the one engine: file and array input of every kind, batches,
tiles for large photos, strength, colour preservation, exported runtimes
(ONNX, LiteRT), folders and videos. A network family plugs in by what it
provides (the protocol):

- a photo-in, photo-out network (`TransformNet`, `FixedStyleNetwork`):
  `Stylizer` runs it as is;
- a network that also takes a style vector (`[photos, vector]`):
  a `ConditionedStylizer` subclass says how options become that vector
  (`style_vector`): `ArbitraryStylizer` embeds paintings,
  `MultiStyleStylizer` mixes the 26 styles. Every other step, exported
  runtimes included (the vector is baked into a photo-in, photo-out network),
  is the engine's.

Each stylizer names the network classes it drives (`network_classes`);
`Stylizer.from_preset` picks the one for a preset's network. The families
are imported here so that the choice is complete.
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

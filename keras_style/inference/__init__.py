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
  is the engine's;
- optionally, `backend_forward()`: a faster pass of its own on the current
  backend, or None (`TransformNet` on PyTorch; see `network_call`).

Each stylizer names the network classes it drives (`network_classes`);
`Stylizer.from_preset` picks the one for a preset's network among those
imported. The names below come from `families.py`, which imports them all
(on first use, PEP 562: `inference.stylizer` alone runs an exported network
without Keras).
"""

import importlib

__all__ = [
    "ArbitraryStylizer",
    "ConditionedStylizer",
    "MultiStyleStylizer",
    "Stylizer",
]


def __getattr__(name):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.families"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))

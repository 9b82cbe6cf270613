"""keras-style: neural style transfer for Keras 3.

- `keras_style.zoo.load("wave").stylize("photo.jpg")`: pretrained styles.
- `keras_style.TransformNet`: train your own style with `model.fit`.
- `keras_style.optimize.stylize_optimize`: Gatys et al. optimization.
- `keras_style.image_dataset`: a folder of photos as training batches.

The public names below are imported on first use (PEP 562), so importing
the package, or its command line for `--help`, does not import Keras and the
backend framework.
"""

import importlib

from keras_style.version import __version__ as __version__

# Public name -> (module, attribute); attribute None means the module itself.
_LAZY = {
    "callbacks": ("keras_style.training.callbacks", None),
    "convert": ("keras_style.convert", None),
    "distributed": ("keras_style.distributed", None),
    "data": ("keras_style.training.data", None),
    "features": ("keras_style.losses.vgg", None),
    "image": ("keras_style.image", None),
    "layers": ("keras_style.layers", None),
    "losses": ("keras_style.losses", None),
    "optimize": ("keras_style.optimize", None),
    "video": ("keras_style.video", None),
    "zoo": ("keras_style.zoo", None),
    "GatysStyleTransfer": ("keras_style.optimize", "GatysStyleTransfer"),
    "stylize_optimize": ("keras_style.optimize", "stylize_optimize"),
    "Stylizer": ("keras_style.inference", "Stylizer"),
    "TransformNet": ("keras_style.models.transform_net", "TransformNet"),
    "image_dataset": ("keras_style.training.data", "image_dataset"),
    "image_pair_dataset": ("keras_style.training.pair_data", "image_pair_dataset"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_style' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    value = importlib.import_module(module_name)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

"""keras-style: neural style transfer for Keras 3."""

from keras_style.version import __version__ as __version__

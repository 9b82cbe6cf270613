"""keras-style: neural style transfer for Keras 3.

- `keras_style.zoo.load("wave").stylize("photo.jpg")`: pretrained styles.
- `keras_style.TransformNet`: train your own style with `model.fit`.
- `keras_style.optimize.stylize_optimize`: Gatys et al. optimization.
"""

from keras_style import callbacks as callbacks
from keras_style import convert as convert
from keras_style import data as data
from keras_style import features as features
from keras_style import image as image
from keras_style import layers as layers
from keras_style import losses as losses
from keras_style import optimize as optimize
from keras_style import zoo as zoo
from keras_style.optimize import GatysStyleTransfer as GatysStyleTransfer
from keras_style.optimize import stylize_optimize as stylize_optimize
from keras_style.stylizer import Stylizer as Stylizer
from keras_style.transform_net import TransformNet as TransformNet
from keras_style.version import __version__ as __version__

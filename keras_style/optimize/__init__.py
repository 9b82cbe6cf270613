"""Optimization-based style transfer (Gatys et al.): the image is the variable.

- `gatys.py`: `GatysStyleTransfer`, the public entry point (multi-scale,
  colour control, style blending); `stylize.py`: `stylize_optimize`, the
  same in one call.
- `gradients.py`: the loss and its gradient with respect to the image,
  compiled once per backend.
- `vgg_forward.py`: hand-written VGG passes per backend, built from the VGG
  description (`keras_style.losses.vgg.vgg_sequence`); `pooling.py`: the
  pooling gradients they share; `winograd.py`: the 3x3 convolution
  they use for 512-channel layers on CPU (TensorFlow and JAX).
- `schedule.py`: the coarse-to-fine sizes and iterations per scale, size
  checks and per-scale images; `initialization.py`: colour control and the
  starting image.
- `minimizers.py`: L-BFGS, SciPy's L-BFGS-B and Keras optimizers on pixels.
- `progress.py`: progress bar, loss history, snapshots, the user callback
  and the `StylizeResult`.
- `arguments.py`: argument checks with clear errors.
"""

from keras_style.optimize.arguments import COLOR_TRANSFERS as COLOR_TRANSFERS
from keras_style.optimize.arguments import OPTIMIZERS as OPTIMIZERS
from keras_style.optimize.gatys import (
    DEFAULT_CONTENT_LAYERS as DEFAULT_CONTENT_LAYERS,
)
from keras_style.optimize.gatys import DEFAULT_STYLE_LAYERS as DEFAULT_STYLE_LAYERS
from keras_style.optimize.gatys import GatysStyleTransfer as GatysStyleTransfer
from keras_style.optimize.gatys import StylizeResult as StylizeResult
from keras_style.optimize.initialization import INITS as INITS
from keras_style.optimize.minimizers import LBFGS_HISTORY as LBFGS_HISTORY
from keras_style.optimize.minimizers import lbfgs_minimize as lbfgs_minimize
from keras_style.optimize.schedule import DEFAULT_SIZE as DEFAULT_SIZE
from keras_style.optimize.stylize import stylize_optimize as stylize_optimize

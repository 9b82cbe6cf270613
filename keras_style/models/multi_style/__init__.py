"""Multi-style transfer (Dumoulin et al. 2017): many styles in one network.

Every conditional instance normalisation holds one scale and shift per style
(`StyleTable`); a style-weights vector picks a style or blends several.
"""

from keras_style.models.multi_style.multi_style_net import MIN_SIZE, MultiStyleNet
from keras_style.models.multi_style.style_table import StyleTable

__all__ = ["MIN_SIZE", "MultiStyleNet", "StyleTable"]

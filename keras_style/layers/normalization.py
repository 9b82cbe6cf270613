"""Instance normalisation (Ulyanov et al. 2016) and its conditional form
(Dumoulin et al. 2017), whose scale and shift come from a style."""

import keras
from keras import ops

from keras_style.layers import jax_instance_norm, tensorflow_single_image

_register = keras.saving.register_keras_serializable(package="keras_style")


def _instance_norm(x, scale, shift, epsilon):
    """float32 `x` normalised per image and channel over height and width,
    then scaled and shifted per channel (`scale` and `shift` broadcast).

    TensorFlow with one image takes one fused op (`tensorflow_single_image`);
    JAX takes its sums as matmuls (`jax_instance_norm`). Otherwise the
    statistics are applied as `x * factor + (shift - mean * factor)`: one
    multiply and one add over the feature map, the per-channel offset
    computed on the small statistics, saving a pass over `x` that op-by-op
    runtimes (TensorFlow's oneDNN kernels, PyTorch eager) do not fuse away.
    """
    y = tensorflow_single_image.fused_instance_norm(x, scale, shift, epsilon)
    if y is None:
        y = jax_instance_norm.instance_norm(x, scale, shift, epsilon)
    if y is not None:
        return y
    mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
    factor = ops.rsqrt(variance + epsilon) * scale
    return x * factor + (shift - mean * factor)


@_register
class InstanceNormalization(keras.layers.Layer):
    """Normalises each channel of each image over height and width.

    Ulyanov et al., "Instance Normalization: The Missing Ingredient for Fast
    Stylization" (2016). Uses the biased variance and a learned per-channel
    scale (`gamma`) and offset (`beta`); statistics are computed in float32 so
    the layer is stable under mixed precision. Numerically the same as
    `keras.layers.GroupNormalization(groups=-1)` (tests/test_layers.py), kept
    because that layer was slower on JAX (benchmarks/README.md) and does not
    keep float32 statistics.

    Args:
        epsilon: added to the variance (1e-5 in PyTorch, 1e-3 upstream
            lengstrom).

    Example:

    >>> InstanceNormalization()(np.ones((2, 4, 4, 3), "float32")).shape
    (2, 4, 4, 3)
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(
            name="gamma", shape=(channels,), initializer="ones"
        )
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        gamma = ops.cast(self.gamma, "float32")
        beta = ops.cast(self.beta, "float32")
        y = _instance_norm(x, gamma, beta, self.epsilon)
        return ops.cast(y, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@_register
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Instance normalisation whose scale and shift are given per image.

    Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style"
    (ICLR 2017); Ghiasi et al., "Exploring the structure of a real-time,
    arbitrary neural artistic stylization network" (BMVC 2017). The layer
    holds no weights: the caller computes `scale` and `shift` from what sets
    the style (a row of a per-style table, or a painting's embedding), so the
    multi-style and arbitrary-style networks share it. Statistics are
    computed in float32, as in `InstanceNormalization`.

    Args:
        epsilon: added to the (biased) variance; 1e-5 in Magenta's networks.

    Call arguments:
        inputs: `(N, H, W, C)` features.
        scale, shift: `(N, C)` or `(1, C)` (broadcast over the batch).

    Example:

    >>> norm = ConditionalInstanceNormalization()
    >>> norm(np.ones((2, 4, 4, 3), "float32"), np.ones((1, 3)), np.zeros((1, 3))).shape
    (2, 4, 4, 3)
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs, scale, shift):
        x = ops.cast(inputs, "float32")
        channels = ops.shape(x)[-1]
        scale = ops.reshape(ops.cast(scale, "float32"), (-1, 1, 1, channels))
        shift = ops.reshape(ops.cast(shift, "float32"), (-1, 1, 1, channels))
        y = _instance_norm(x, scale, shift, self.epsilon)
        return ops.cast(y, self.compute_dtype)

    def compute_output_shape(self, input_shape, scale_shape=None, shift_shape=None):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

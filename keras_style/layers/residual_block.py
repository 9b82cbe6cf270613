"""The residual block of the style networks (Johnson et al. 2016)."""

import keras
from keras import ops

from keras_style.layers.convolution import PaddedConv2D
from keras_style.layers.normalization import InstanceNormalization

_register = keras.saving.register_keras_serializable(package="keras_style")


@_register
class ResidualBlock(keras.layers.Layer):
    """`x + norm(conv(relu(norm(conv(x)))))` with 3x3 convolutions.

    He et al. (2016) residual block as adapted by Johnson et al. (2016):
    no ReLU after the addition, channel count unchanged.

    Args:
        filters: channels of the input and both convolutions.
        padding: `"reflect"` or `"zero"`.
        use_bias: whether the convolutions have biases.
        epsilon: instance-norm epsilon.

    Example:

    >>> ResidualBlock(4)(np.zeros((1, 6, 6, 4), "float32")).shape
    (1, 6, 6, 4)
    """

    def __init__(
        self, filters, padding="reflect", use_bias=True, epsilon=1e-5, **kwargs
    ):
        super().__init__(**kwargs)
        self.filters = filters
        self.padding = padding
        self.use_bias = use_bias
        self.epsilon = epsilon
        common = dict(padding=padding, use_bias=use_bias, dtype=self.dtype_policy)
        self.conv1 = PaddedConv2D(filters, 3, name="conv1", **common)
        self.norm1 = InstanceNormalization(
            epsilon, dtype=self.dtype_policy, name="norm1"
        )
        self.conv2 = PaddedConv2D(filters, 3, name="conv2", **common)
        self.norm2 = InstanceNormalization(
            epsilon, dtype=self.dtype_policy, name="norm2"
        )

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"ResidualBlock({self.filters}) needs inputs with {self.filters} "
                f"channels. Received: input_shape={input_shape}"
            )
        for layer in (self.conv1, self.norm1, self.conv2, self.norm2):
            layer.build(input_shape)

    def call(self, inputs):
        x = ops.relu(self.norm1(self.conv1(inputs)))
        return inputs + self.norm2(self.conv2(x))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "epsilon": self.epsilon,
        }

"""`StyleTable`: one scale and shift per style for a normalisation."""

import keras
from keras import ops

from keras_style.utils.checks import check_int


@keras.saving.register_keras_serializable(package="keras_style")
class StyleTable(keras.layers.Layer):
    """Per-style scales and shifts, mixed by a style-weights vector.

    Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style"
    (ICLR 2017): `scale = weights @ gamma`, `shift = weights @ beta`, with one
    row of `gamma` and `beta` per style, so a one-hot vector picks a style and
    other vectors blend styles. Styles added later (`extra_styles`) live in
    their own variables, so training a new style can update them alone while
    the base table stays frozen.

    Args:
        num_styles: rows of the base table.
        channels: channels of the normalised features.
        extra_styles: rows added after the base (trainable on their own).

    Call arguments:
        weights: `(N, num_styles + extra_styles)` or `(1, ...)`.

    Returns:
        `(scale, shift)`, each `(N, channels)`.

    Example:

    >>> table = StyleTable(26, 32)
    >>> scale, shift = table(np.eye(26)[[7]])
    >>> scale.shape
    (1, 32)
    """

    def __init__(self, num_styles, channels, extra_styles=0, **kwargs):
        super().__init__(**kwargs)
        self.num_styles = check_int(num_styles, "num_styles")
        self.channels = check_int(channels, "channels")
        self.extra_styles = check_int(extra_styles, "extra_styles", minimum=0)

    def build(self, input_shape=None):
        def table(name, rows, init):
            return self.add_weight(
                name=name, shape=(rows, self.channels), initializer=init
            )

        self.gamma = table("gamma", self.num_styles, "ones")
        self.beta = table("beta", self.num_styles, "zeros")
        if self.extra_styles:
            self.extra_gamma = table("extra_gamma", self.extra_styles, "ones")
            self.extra_beta = table("extra_beta", self.extra_styles, "zeros")

    @property
    def total_styles(self):
        return self.num_styles + self.extra_styles

    def call(self, weights):
        weights = ops.cast(weights, "float32")
        gamma, beta = (
            ops.convert_to_tensor(self.gamma),
            ops.convert_to_tensor(self.beta),
        )
        if self.extra_styles:
            gamma = ops.concatenate([gamma, ops.convert_to_tensor(self.extra_gamma)], 0)
            beta = ops.concatenate([beta, ops.convert_to_tensor(self.extra_beta)], 0)
        return ops.matmul(weights, gamma), ops.matmul(weights, beta)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.channels), (input_shape[0], self.channels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_styles": self.num_styles,
            "channels": self.channels,
            "extra_styles": self.extra_styles,
        }

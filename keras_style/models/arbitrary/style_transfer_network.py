"""`StyleTransferNetwork`: a photo and a style embedding to a stylized photo."""

import keras
from keras import ops

from keras_style.layers import (
    MIN_SIZE,
    ConditionalInstanceNormalization,
    PaddedConv2D,
    UpsampleConv2D,
    crop_to,
    pad_to_multiple,
)
from keras_style.utils.checks import check_int

# Smallest height/width: the residual blocks' reflection padding needs 2
# pixels at 1/4 resolution.


@keras.saving.register_keras_serializable(package="keras_style")
class StyleTransferNetwork(keras.Model):
    """Ghiasi et al.'s transfer network, normalised by a style embedding.

    Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a
    real-time, arbitrary neural artistic stylization network" (BMVC 2017).
    Three convolutions (9x9, then two 3x3 with stride 2) with biases and
    ReLU, residual blocks, two nearest 2x upsamplings with 3x3 convolutions
    and a 9x9 convolution to RGB with a sigmoid; reflection padding
    throughout. Every convolution after the first three is followed by a
    `ConditionalInstanceNormalization` whose scale and shift are linear
    functions of the embedding (the paper's "style parameters").

    Inputs: `[photos, embedding]`: RGB floats in 0..255, any height and width
    of at least `MIN_SIZE` (padded internally to a multiple of 4 and cropped
    back), and `(N, embedding_dim)` or `(1, embedding_dim)`. Output: RGB
    floats in 0..255, the photos' size.

    Args:
        filters: channels of the three contracting convolutions (8, 16, 32 in
            Magenta's mobile network; 32, 64, 128 in the paper).
        residual_blocks: number of residual blocks.
        embedding_dim: size of the style embedding.
        norm_epsilon: epsilon of the conditional instance normalisations.

    Example:

    >>> net = StyleTransferNetwork()
    >>> net([np.zeros((1, 30, 45, 3), "float32"), np.zeros((1, 100))]).shape
    (1, 30, 45, 3)
    """

    def __init__(
        self,
        filters=(8, 16, 32),
        residual_blocks=5,
        embedding_dim=100,
        norm_epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(filters, (list, tuple)) or len(filters) != 3:
            raise ValueError(
                "`filters` must be three positive integers. "
                f"Received: filters={filters!r}"
            )
        self.filters = tuple(
            check_int(f, f"filters[{i}]") for i, f in enumerate(filters)
        )
        self.residual_blocks = check_int(residual_blocks, "residual_blocks", minimum=0)
        self.embedding_dim = check_int(embedding_dim, "embedding_dim")
        self.norm_epsilon = float(norm_epsilon)
        f1, f2, f3 = self.filters
        policy = self.dtype_policy
        self.contract = [
            PaddedConv2D(f1, 9, 1, dtype=policy, name="contract1"),
            PaddedConv2D(f2, 3, 2, dtype=policy, name="contract2"),
            PaddedConv2D(f3, 3, 2, dtype=policy, name="contract3"),
        ]
        # (convolution, channels) of every conditionally normalised stage.
        self.residual = [
            (
                PaddedConv2D(f3, 3, dtype=policy, name=f"residual{i + 1}_conv1"),
                PaddedConv2D(f3, 3, dtype=policy, name=f"residual{i + 1}_conv2"),
            )
            for i in range(self.residual_blocks)
        ]
        self.expand = [
            UpsampleConv2D(f2, 3, dtype=policy, name="expand1"),
            UpsampleConv2D(f1, 3, dtype=policy, name="expand2"),
            PaddedConv2D(3, 9, dtype=policy, name="expand3"),
        ]
        channels = [f3] * (2 * self.residual_blocks) + [f2, f1, 3]
        # One scale and one shift per normalisation, linear in the embedding.
        self.norms = []
        for i, c in enumerate(channels):
            self.norms.append(
                (
                    ConditionalInstanceNormalization(
                        self.norm_epsilon, dtype=policy, name=f"norm{i}"
                    ),
                    keras.layers.Dense(c, dtype=policy, name=f"norm{i}_scale"),
                    keras.layers.Dense(c, dtype=policy, name=f"norm{i}_shift"),
                )
            )

    @property
    def condition_size(self):
        """Length of the style vector (the embedding) the network takes."""
        return self.embedding_dim

    @property
    def style_parameter_layers(self):
        """The `(scale, shift)` Dense layers, one pair per normalisation."""
        return [(scale, shift) for _, scale, shift in self.norms]

    def build(self, input_shape=None):
        shape = (None, None, None, 3)
        for conv in self.contract:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
        for conv1, conv2 in self.residual:
            conv1.build(shape)
            conv2.build(shape)
        for conv in self.expand:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
        for _, scale, shift in self.norms:
            scale.build((None, self.embedding_dim))
            shift.build((None, self.embedding_dim))
        self.built = True

    def _normalize(self, index, x, embedding):
        norm, scale, shift = self.norms[index]
        return norm(x, scale(embedding), shift(embedding))

    def call(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "StyleTransferNetwork takes `[photos, embedding]`. "
                f"Received: inputs of type {type(inputs).__name__}"
            )
        images, embedding = inputs
        x = ops.cast(images, self.compute_dtype) / 255.0
        embedding = ops.cast(embedding, self.compute_dtype)
        # Two stride-2 stages: a multiple of 4 crops back to the input size.
        x, height, width = pad_to_multiple(x, 4, MIN_SIZE, "StyleTransferNetwork")
        for conv in self.contract:
            x = ops.relu(conv(x))
        index = 0
        for conv1, conv2 in self.residual:
            y = ops.relu(self._normalize(index, conv1(x), embedding))
            x = x + self._normalize(index + 1, conv2(y), embedding)
            index += 2
        for conv in self.expand[:2]:
            x = ops.relu(self._normalize(index, conv(x), embedding))
            index += 1
        x = self._normalize(index, self.expand[2](x), embedding)
        x = ops.sigmoid(ops.cast(x, "float32")) * 255.0
        return crop_to(x, height, width)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (3,)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": list(self.filters),
            "residual_blocks": self.residual_blocks,
            "embedding_dim": self.embedding_dim,
            "norm_epsilon": self.norm_epsilon,
        }

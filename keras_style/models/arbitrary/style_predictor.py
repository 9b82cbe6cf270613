"""`StylePredictor`: a painting to its style embedding (Ghiasi et al. 2017)."""

import keras
from keras import ops

from keras_style.utils.checks import check_int

# MobileNetV2 (Sandler et al. 2018), width 1.0: (expansion, channels, stride)
# of each inverted residual block after the first 3x3 convolution.
MOBILENET_V2_BLOCKS = (
    (1, 16, 1),
    (6, 24, 2),
    (6, 24, 1),
    (6, 32, 2),
    (6, 32, 1),
    (6, 32, 1),
    (6, 64, 2),
    (6, 64, 1),
    (6, 64, 1),
    (6, 64, 1),
    (6, 96, 1),
    (6, 96, 1),
    (6, 96, 1),
    (6, 160, 2),
    (6, 160, 1),
    (6, 160, 1),
    (6, 320, 1),
)


def _conv(filters, kernel_size, strides, name, policy):
    return keras.layers.Conv2D(
        filters, kernel_size, strides, padding="same", dtype=policy, name=name
    )


@keras.saving.register_keras_serializable(package="keras_style")
class StylePredictor(keras.Model):
    """MobileNetV2 features of a painting, pooled and projected to an embedding.

    Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a
    real-time, arbitrary neural artistic stylization network" (BMVC 2017),
    in the MobileNetV2 form Magenta published for mobile devices. Batch
    normalisation is folded into the convolutions' biases, as in the
    published weights, so every layer is a plain convolution; this is why the
    network is written out here rather than taken from
    `keras.applications.MobileNetV2`, whose batch normalisation layers would
    need fake statistics and would re-estimate them when fine-tuned.

    Input: RGB floats in 0..255, any size (256x256 is what the network was
    trained on). Output: `(N, embedding_dim)`.

    Args:
        embedding_dim: size of the style embedding (100 in the paper).

    Example:

    >>> StylePredictor()(np.zeros((1, 64, 64, 3), "float32")).shape
    (1, 100)
    """

    def __init__(self, embedding_dim=100, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = check_int(embedding_dim, "embedding_dim")
        policy = self.dtype_policy
        self.stem = _conv(32, 3, 2, "stem", policy)
        self.blocks = []
        channels = 32
        for i, (expansion, filters, strides) in enumerate(MOBILENET_V2_BLOCKS):
            expand = (
                _conv(channels * expansion, 1, 1, f"block{i}_expand", policy)
                if expansion != 1
                else None
            )
            depthwise = keras.layers.DepthwiseConv2D(
                3, strides, padding="same", dtype=policy, name=f"block{i}_depthwise"
            )
            project = _conv(filters, 1, 1, f"block{i}_project", policy)
            residual = strides == 1 and channels == filters
            self.blocks.append((expand, depthwise, project, residual))
            channels = filters
        self.head = _conv(1280, 1, 1, "head", policy)
        self.embedding = keras.layers.Dense(
            self.embedding_dim, dtype=policy, name="embedding"
        )

    def build(self, input_shape=None):
        shape = (None, None, None, 3)
        self.stem.build(shape)
        shape = (None, None, None, 32)
        for expand, depthwise, project, _ in self.blocks:
            if expand is not None:
                expand.build(shape)
                shape = expand.compute_output_shape(shape)
            depthwise.build(shape)
            project.build(shape)
            shape = project.compute_output_shape(shape)
        self.head.build(shape)
        self.embedding.build((None, 1280))
        self.built = True

    def call(self, inputs):
        # The published network reads 0..1.
        x = ops.cast(inputs, self.compute_dtype) / 255.0
        x = ops.relu6(self.stem(x))
        for expand, depthwise, project, residual in self.blocks:
            y = x if expand is None else ops.relu6(expand(x))
            y = project(ops.relu6(depthwise(y)))
            x = x + y if residual else y
        x = ops.relu6(self.head(x))
        x = ops.mean(ops.cast(x, "float32"), axis=(1, 2))
        return ops.cast(self.embedding(ops.cast(x, self.compute_dtype)), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.embedding_dim)

    def get_config(self):
        return {**super().get_config(), "embedding_dim": self.embedding_dim}

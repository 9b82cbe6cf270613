"""`FixedStyleNetwork`: a two-input style network with its style built in."""

import keras
from keras import ops

from keras_style.models.perceptual_mixin import PerceptualTrainingMixin
from keras_style.presets.preset_mixin import PresetMixin


@keras.saving.register_keras_serializable(package="keras_style")
class FixedStyleNetwork(PerceptualTrainingMixin, PresetMixin, keras.Model):
    """A conditioned style network whose style vector is a fixed weight.

    The conditioned families take `[photos, style]`: Ghiasi et al.'s
    `StyleTransferNetwork` a painting's embedding, Dumoulin et al.'s
    `MultiStyleNet` a style-weights row. With the style chosen, the network
    is photo in, stylized photo out, like a `TransformNet`: this is what
    `bake` returns and what is exported to ONNX or LiteRT for one painting
    or style mix, a single-input network that behaves like a zoo style.

    Input: RGB floats in 0..255, any height and width of at least 8. Output:
    the stylized photos, same shape, 0..255.

    Like a `TransformNet`, it trains with `compile(style_image=...)` and
    `fit(photos)`; what trains is what is trainable in `network` (after
    `MultiStyleNet.add_style`, only the new style's scales and shifts).

    Args:
        network: a conditioned network with a `condition_size` (the length
            of its style vector).

    Example:

    >>> net = keras_style.zoo.load("arbitrary").bake("the_scream.jpg")
    >>> net(np.zeros((1, 30, 45, 3), "float32")).shape
    (1, 30, 45, 3)
    >>> net.export("scream.onnx")
    """

    def __init__(self, network, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.style = self.add_weight(
            name="style",
            shape=(1, network.condition_size),
            initializer="zeros",
            trainable=False,
        )

    def build(self, input_shape=None):
        if not self.network.built:
            self.network.build()
        self.built = True

    def call(self, inputs, training=False):
        style = ops.convert_to_tensor(self.style)
        return self.network([inputs, style], training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)

    def get_config(self):
        return {
            **super().get_config(),
            "network": keras.saving.serialize_keras_object(self.network),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("network"), dict):
            network = dict(config["network"])
            if "dtype" in config:  # a recast (bfloat16, float32 export) reaches it
                network["config"] = {**network["config"], "dtype": config["dtype"]}
            config["network"] = keras.saving.deserialize_keras_object(network)
        return cls(**config)

    def export(self, filepath, format=None, **kwargs):
        """Exports to SavedModel, ONNX or LiteRT; see `TransformNet.export`."""
        from keras_style.export import export_network  # above the model

        return export_network(self, filepath, format, **kwargs)

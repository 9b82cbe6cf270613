"""`EmbeddedStyleNetwork`: a transfer network with one painting built in."""

import keras
from keras import ops

from keras_style import preset_utils
from keras_style.models.arbitrary.style_transfer_network import StyleTransferNetwork


@keras.saving.register_keras_serializable(package="keras_style")
class EmbeddedStyleNetwork(keras.Model):
    """A `StyleTransferNetwork` whose style embedding is a fixed weight.

    Ghiasi et al. (2017) with one painting (or blend) chosen: photo in,
    stylized photo out, like a `TransformNet`. This is what
    `ArbitraryStylizer.bake` returns and what is exported to ONNX or LiteRT
    for one painting: a single-input network that behaves like a zoo style.

    Input: RGB floats in 0..255, any height and width of at least 8. Output:
    the stylized photos, same shape, 0..255.

    Args:
        transfer: a `StyleTransferNetwork` (a new one if None).

    Example:

    >>> net = keras_style.zoo.load("arbitrary").bake("the_scream.jpg")
    >>> net(np.zeros((1, 30, 45, 3), "float32")).shape
    (1, 30, 45, 3)
    >>> net.export("scream.onnx")
    """

    def __init__(self, transfer=None, **kwargs):
        super().__init__(**kwargs)
        self.transfer = (
            transfer
            if transfer is not None
            else StyleTransferNetwork(dtype=self.dtype_policy)
        )
        self.embedding = self.add_weight(
            name="embedding",
            shape=(1, self.transfer.embedding_dim),
            initializer="zeros",
            trainable=False,
        )

    def build(self, input_shape=None):
        if not self.transfer.built:
            self.transfer.build()
        self.built = True

    def call(self, inputs, training=False):
        embedding = ops.convert_to_tensor(self.embedding)
        return self.transfer([inputs, embedding], training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)

    def get_config(self):
        return {
            **super().get_config(),
            "transfer": keras.saving.serialize_keras_object(self.transfer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("transfer"), dict):
            transfer = dict(config["transfer"])
            if "dtype" in config:  # a recast (bfloat16, float32 export) reaches it
                transfer["config"] = {**transfer["config"], "dtype": config["dtype"]}
            config["transfer"] = keras.saving.deserialize_keras_object(transfer)
        return cls(**config)

    def export(self, filepath, format=None, **kwargs):
        """Exports to SavedModel, ONNX or LiteRT; see `TransformNet.export`."""
        from keras_style.export import export_network  # above the model

        return export_network(self, filepath, format, **kwargs)

    def save_to_preset(self, preset_dir, **kwargs):
        """Writes a preset directory usable as `--style PRESET_DIR`."""
        return preset_utils.save_preset(self, preset_dir, **kwargs)

    @classmethod
    def from_preset_dir(cls, preset_dir):
        """Loads an `EmbeddedStyleNetwork` preset (checked as any preset)."""
        return preset_utils.load_preset(cls, preset_dir)

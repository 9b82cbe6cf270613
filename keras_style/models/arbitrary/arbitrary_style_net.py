"""`ArbitraryStyleNet`: the style predictor and the transfer network together."""

import keras

from keras_style.models.arbitrary.style_predictor import StylePredictor
from keras_style.models.arbitrary.style_transfer_network import StyleTransferNetwork
from keras_style.models.perceptual_mixin import ArbitraryTrainingMixin
from keras_style.presets.preset_mixin import PresetMixin

# Paintings are resized to this square for the predictor by default: the size
# the published network was trained and exported at.
DEFAULT_STYLE_SIZE = 256


@keras.saving.register_keras_serializable(package="keras_style")
class ArbitraryStyleNet(ArbitraryTrainingMixin, PresetMixin, keras.Model):
    """Arbitrary style transfer: any painting, one forward pass.

    Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a
    real-time, arbitrary neural artistic stylization network" (BMVC 2017).
    `predictor` turns a painting into a style embedding; `transfer` stylizes
    a photo with it. Embeddings are vectors: blending paintings, or a
    painting with the photo's own embedding (Ghiasi's strength), is a
    weighted sum of them.

    Inputs: `[photos, paintings]`, RGB floats in 0..255 (paintings
    `(N, s, s, 3)` or `(1, s, s, 3)`, `DEFAULT_STYLE_SIZE` is what the
    network expects). Output: the stylized photos, their size, 0..255.

    Args:
        predictor: a `StylePredictor` (a new one if None).
        transfer: a `StyleTransferNetwork` (a new one if None).

    Example:

    >>> net = ArbitraryStyleNet.from_preset("arbitrary")
    >>> embedding = net.predictor(painting[None])  # (1, 100)
    >>> net.transfer([photo[None], embedding]).shape
    (1, 300, 451, 3)

    Most users go through `keras_style.zoo.load("arbitrary")`, whose
    `stylize(photo, style_image=painting)` handles files, sizes and blends.

    Training (Ghiasi's objective: each photo against its own painting in VGG
    feature space) goes through `compile` and `fit`, which import the loss
    network only then:

    >>> net.compile(optimizer="adam", vgg_weights="imagenet")
    >>> pairs = keras_style.image_pair_dataset(
    ...     "photos/", "paintings/", image_size=256, style_size=256)
    >>> net.fit(pairs, steps_per_epoch=1000, epochs=1)
    """

    def __init__(self, predictor=None, transfer=None, **kwargs):
        super().__init__(**kwargs)
        self.predictor = predictor if predictor is not None else StylePredictor()
        self.transfer = (
            transfer
            if transfer is not None
            else StyleTransferNetwork(embedding_dim=self.predictor.embedding_dim)
        )
        if self.transfer.embedding_dim != self.predictor.embedding_dim:
            raise ValueError(
                "The predictor's embedding must fit the transfer network. "
                f"Received: predictor.embedding_dim={self.predictor.embedding_dim}, "
                f"transfer.embedding_dim={self.transfer.embedding_dim}"
            )

    @property
    def embedding_dim(self):
        return self.predictor.embedding_dim

    def build(self, input_shape=None):
        for part in (self.predictor, self.transfer):
            if not part.built:
                part.build()
        self.built = True

    def call(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            # A batch of two photos would unpack silently.
            raise ValueError(
                "ArbitraryStyleNet takes `[photos, paintings]` (for `fit`: "
                "`x=(photos, paintings)`). Received: inputs of type "
                f"{type(inputs).__name__}"
            )
        photos, paintings = inputs
        embedding = self.predictor(paintings, training=training)
        return self.transfer([photos, embedding], training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (3,)

    def get_config(self):
        return {
            **super().get_config(),
            "predictor": keras.saving.serialize_keras_object(self.predictor),
            "transfer": keras.saving.serialize_keras_object(self.transfer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("predictor", "transfer"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

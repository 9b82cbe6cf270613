"""VGG16/VGG19 feature taps keyed by the style-transfer papers' layer names.

Gatys et al. and Johnson et al. name VGG activations `relu{block}_{conv}`
(`relu4_2` is the ReLU after the second convolution of block 4). Keras names
the same tensors `block4_conv2` (the ReLU is fused into the convolution), so
this module translates between the two and builds a frozen functional model
that returns exactly the requested taps.
"""

import keras
from keras import ops

# Caffe-style preprocessing the ImageNet VGG weights were trained with: BGR
# channel order, per-channel mean subtracted, no scaling.
_CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)

_CONVS_PER_BLOCK = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}


def vgg_layer_names(network="vgg19"):
    """All tap names of a VGG network, in depth order.

    Args:
        network: `"vgg16"` or `"vgg19"`.

    Returns:
        A list like `["relu1_1", "relu1_2", "relu2_1", ...]`.

    Example:

    >>> vgg_layer_names("vgg16")[:3]
    ['relu1_1', 'relu1_2', 'relu2_1']
    """
    network = _check_network(network)
    return [
        f"relu{block}_{conv}"
        for block, convs in enumerate(_CONVS_PER_BLOCK[network], start=1)
        for conv in range(1, convs + 1)
    ]


def _check_network(network):
    key = str(network).lower()
    if key not in _CONVS_PER_BLOCK:
        raise ValueError(
            f"`network` must be 'vgg16' or 'vgg19'. Received: network={network!r}"
        )
    return key


def _keras_layer_name(tap):
    block, conv = tap[len("relu") :].split("_")
    return f"block{block}_conv{conv}"


@keras.saving.register_keras_serializable(package="keras_style")
class CaffePreprocessing(keras.layers.Layer):
    """RGB in 0..255 to the BGR, mean-subtracted input of ImageNet VGG weights.

    Example:

    >>> layer = CaffePreprocessing()
    >>> layer(np.full((1, 2, 2, 3), 128.0, "float32")).shape
    (1, 2, 2, 3)
    """

    def call(self, inputs):
        # ops.flip, not inputs[..., ::-1]: negative strides fail on torch.
        bgr = ops.flip(ops.cast(inputs, self.compute_dtype), axis=-1)
        mean = ops.convert_to_tensor(_CAFFE_BGR_MEAN, dtype=self.compute_dtype)
        return bgr - mean

    def compute_output_shape(self, input_shape):
        return input_shape


def _check_layers(layers, network):
    valid = vgg_layer_names(network)
    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if not layers:
        raise ValueError(
            f"`layers` must name at least one tap. Received: layers={layers}"
        )
    unknown = [name for name in layers if name not in valid]
    if unknown:
        raise ValueError(
            f"Unknown {network.upper()} layer name(s) {unknown}. Valid names: "
            f"{', '.join(valid)}. Received: layers={list(layers)}"
        )
    return tuple(dict.fromkeys(layers))  # de-duplicated, order kept


def vgg_feature_extractor(
    layers, network="vgg19", weights="imagenet", pooling="max", name=None
):
    """A frozen VGG model returning a dict of feature maps keyed by tap name.

    The model accepts RGB floats in 0..255 of any height and width and applies
    the Caffe-style preprocessing of the ImageNet weights internally. The graph
    stops after the deepest requested tap, so unused layers cost nothing.

    Reference: Simonyan & Zisserman, "Very Deep Convolutional Networks for
    Large-Scale Image Recognition" (2014); Gatys et al. (2016) for the
    average-pooling variant.

    Args:
        layers: tap names such as `("relu1_1", "relu4_2")`; see
            `vgg_layer_names(network)` for the valid ones.
        network: `"vgg19"` (Gatys) or `"vgg16"` (Johnson).
        weights: `"imagenet"` (downloaded by `keras.applications`), `None`
            (random initialisation, for tests) or a path to a weights file of
            `keras.applications.VGG16/VGG19(include_top=False)`.
        pooling: `"max"` (as trained) or `"avg"` (Gatys et al. found average
            pooling gives smoother gradients).
        name: optional model name.

    Returns:
        A frozen functional `keras.Model` mapping a `(batch, H, W, 3)` tensor
        to `{tap_name: (batch, h, w, channels)}`.

    Example:

    >>> extractor = vgg_feature_extractor(["relu1_1", "relu2_1"], weights=None)
    >>> feats = extractor(np.zeros((1, 32, 32, 3), "float32"))
    >>> feats["relu2_1"].shape
    (1, 16, 16, 128)
    """
    network = _check_network(network)
    layers = _check_layers(layers, network)
    if pooling not in ("max", "avg"):
        raise ValueError(
            f"`pooling` must be 'max' or 'avg'. Received: pooling={pooling!r}"
        )
    if weights is not None and not isinstance(weights, str):
        weights = str(weights)
    if isinstance(weights, str) and weights.lower() == "none":
        weights = None
    constructor = {
        "vgg16": keras.applications.VGG16,
        "vgg19": keras.applications.VGG19,
    }[network]
    base = constructor(include_top=False, weights=weights, input_shape=(None, None, 3))

    wanted = {_keras_layer_name(tap): tap for tap in layers}
    inputs = keras.Input((None, None, 3), name="image")
    x = CaffePreprocessing(name="caffe_preprocessing")(inputs)
    outputs = {}
    for layer in base.layers[1:]:
        if isinstance(layer, keras.layers.MaxPooling2D) and pooling == "avg":
            x = keras.layers.AveragePooling2D(2, 2, name=layer.name)(x)
        else:
            x = layer(x)
        if layer.name in wanted:
            outputs[wanted[layer.name]] = x
            if len(outputs) == len(wanted):
                break
    outputs = {tap: outputs[tap] for tap in layers}
    model = keras.Model(inputs, outputs, name=name or f"{network}_features")
    model.trainable = False
    return model

"""The VGG16/VGG19 loss network, described once.

Gatys et al. and Johnson et al. name VGG activations `relu{block}_{conv}`
(`relu4_2` is the ReLU after the second convolution of block 4). Keras names
the same tensors `block4_conv2` (the ReLU is fused into the convolution).
`vgg_layers(network)` lists each network's layers with both names; everything
else is built from that list: the Keras feature extractor
(`vgg_feature_extractor`), the layer sequence the training loss network and
the hand-written Gatys passes run (`vgg_sequence`), and the one check of
layer names (`check_layers`).
"""

import collections
import os
import pathlib

import keras
from keras import ops

# Caffe-style preprocessing the ImageNet VGG weights were trained with: BGR
# channel order, per-channel mean subtracted, no scaling.
_CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)

# Convolutions per block and filters per block: Simonyan & Zisserman's
# configurations D (VGG16) and E (VGG19).
_CONVS_PER_BLOCK = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
_FILTERS_PER_BLOCK = (64, 128, 256, 512, 512)

PREPROCESSING_NAME = "caffe_preprocessing"

VGGLayer = collections.namedtuple("VGGLayer", ["kind", "name", "tap", "filters"])
VGGLayer.__doc__ = """One layer of a VGG network, as `vgg_layers` lists it.

`kind` is `"conv"` (3x3 "same" convolution + bias + ReLU) or `"pool"` (2x2,
stride 2); `name` the Keras layer name (`"block4_conv2"`, `"block4_pool"`,
as in `keras.applications`); `tap` the papers' name of a convolution's
output (`"relu4_2"`, `None` for pools); `filters` its output channels.
"""

VGGStep = collections.namedtuple("VGGStep", ["kind", "layer", "tap"])
VGGStep.__doc__ = """One layer of a built extractor, as `vgg_sequence` lists it.

`kind` is `"preprocess"`, `"conv"`, `"max_pool"` or `"avg_pool"`; `layer` the
Keras layer (a conv's weights are `layer.kernel` and `layer.bias`); `tap` the
papers' name of a convolution's output, else `None`.
"""


def vgg_layers(network="vgg19"):
    """The layers of a VGG network without its classifier, in order.

    Args:
        network: `"vgg16"` or `"vgg19"`.

    Returns:
        A tuple of `VGGLayer(kind, name, tap, filters)`: each block's
        convolutions followed by its pooling.

    Example:

    >>> vgg_layers("vgg16")[1]
    VGGLayer(kind='conv', name='block1_conv2', tap='relu1_2', filters=64)
    >>> len(vgg_layers("vgg16")), len(vgg_layers("vgg19"))
    (18, 21)
    """
    network = _check_network(network)
    layers = []
    blocks = zip(_CONVS_PER_BLOCK[network], _FILTERS_PER_BLOCK)
    for block, (convs, filters) in enumerate(blocks, start=1):
        for conv in range(1, convs + 1):
            layers.append(
                VGGLayer(
                    "conv", f"block{block}_conv{conv}", f"relu{block}_{conv}", filters
                )
            )
        layers.append(VGGLayer("pool", f"block{block}_pool", None, None))
    return tuple(layers)


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
    return [layer.tap for layer in vgg_layers(network) if layer.kind == "conv"]


def vgg_tap_strides(network="vgg19"):
    """`{tap: stride}`: one cell of a tap covers `stride x stride` input pixels.

    Counted on the description (2 per pooling before the tap), so no network
    needs to be built to check that an image is large enough for a tap.

    Example:

    >>> vgg_tap_strides()["relu4_2"]
    8
    """
    strides, stride = {}, 1
    for layer in vgg_layers(network):
        if layer.kind == "pool":
            stride *= 2
        else:
            strides[layer.tap] = stride
    return strides


def _check_network(network):
    key = str(network).lower()
    if key not in _CONVS_PER_BLOCK:
        raise ValueError(
            f"`network` must be 'vgg16' or 'vgg19'. Received: network={network!r}"
        )
    return key


def check_layers(layers, network="vgg19", name="layers"):
    """Tap names checked against a VGG network.

    Args:
        layers: a tap name or a sequence of them, e.g. `("relu1_1", "relu4_2")`.
        network: `"vgg16"` or `"vgg19"`.
        name: the argument's name, for error messages.

    Returns:
        The tap names as a tuple, in the order given (duplicates kept).

    Example:

    >>> check_layers("relu4_2")
    ('relu4_2',)
    """
    network = _check_network(network)
    if isinstance(layers, str):
        layers = (layers,)
    try:
        layers = tuple(layers)
    except TypeError:
        raise TypeError(
            f"`{name}` must be a sequence of layer names. Received: {name}={layers!r}"
        ) from None
    if not layers:
        raise ValueError(
            f"`{name}` must name at least one tap. Received: {name}={layers}"
        )
    valid = vgg_layer_names(network)
    unknown = [tap for tap in layers if tap not in valid]
    if unknown:
        raise ValueError(
            f"Unknown {network.upper()} layer name(s) {unknown} in `{name}`. "
            f"Valid names: {', '.join(valid)}. Received: {name}={list(layers)}"
        )
    return layers


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


def vgg_feature_extractor(
    layers, network="vgg19", weights="imagenet", pooling="max", name=None
):
    """A frozen VGG model returning a dict of feature maps keyed by tap name.

    The model accepts RGB floats in 0..255 of any height and width and applies
    the Caffe-style preprocessing of the ImageNet weights internally. The graph
    stops after the deepest requested tap, so unused layers cost nothing. Its
    layers are those of `vgg_layers(network)`, named as in
    `keras.applications`, whose weight files it loads.

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
    layers = tuple(dict.fromkeys(check_layers(layers, network)))  # de-duplicated
    if pooling not in ("max", "avg"):
        raise ValueError(
            f"`pooling` must be 'max' or 'avg'. Received: pooling={pooling!r}"
        )
    weights = check_vgg_weights(weights)
    pool = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}

    inputs = keras.Input((None, None, 3), name="image")
    x = CaffePreprocessing(name=PREPROCESSING_NAME)(inputs)
    outputs = {}
    for spec in vgg_layers(network):
        if spec.kind == "conv":
            x = keras.layers.Conv2D(
                spec.filters, 3, padding="same", activation="relu", name=spec.name
            )(x)
        else:
            x = pool[pooling](2, strides=2, name=spec.name)(x)
        if spec.tap in layers:
            outputs[spec.tap] = x
            if len(outputs) == len(layers):
                break
    outputs = {tap: outputs[tap] for tap in layers}
    model = keras.Model(inputs, outputs, name=name or f"{network}_features")
    if weights is not None:
        # keras.applications downloads (or reads) and checks the weights file;
        # its layers carry the same names as ours.
        constructor = {
            "vgg16": keras.applications.VGG16,
            "vgg19": keras.applications.VGG19,
        }[network]
        base = constructor(
            include_top=False, weights=weights, input_shape=(None, None, 3)
        )
        for step in vgg_sequence(model, network):
            if step.kind == "conv":
                step.layer.set_weights(base.get_layer(step.layer.name).get_weights())
    model.trainable = False
    return model


def vgg_sequence(extractor, network=None):
    """The layers of a `vgg_feature_extractor` model, in `vgg_layers` order.

    The layers are looked up by name, so their order and taps come from the
    description, not from the model's graph: the training loss network and
    the hand-written Gatys passes (`keras_style.optimize.vgg_forward`) run
    them one by one.

    Args:
        extractor: a model built by `vgg_feature_extractor`.
        network: `"vgg16"` or `"vgg19"`; `None` finds it from the layer names
            (a model stopping before the networks differ fits both).

    Returns:
        A list of `VGGStep(kind, layer, tap)`: the preprocessing, then each
        convolution and pooling up to the model's deepest layer.

    Raises:
        ValueError: if `extractor` holds other layers than the description's.

    Example:

    >>> extractor = vgg_feature_extractor(["relu1_2"], weights=None)
    >>> [(step.kind, step.tap) for step in vgg_sequence(extractor)]
    [('preprocess', None), ('conv', 'relu1_1'), ('conv', 'relu1_2')]
    """
    networks = _CONVS_PER_BLOCK if network is None else (_check_network(network),)
    names = [
        layer.name
        for layer in extractor.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    for candidate in networks:
        steps = _sequence(extractor, names, candidate)
        if steps is not None:
            return steps
    raise ValueError(
        "`extractor` must be a model built by `vgg_feature_extractor`"
        f"{'' if network is None else f' for {network!r}'}: its layers are not "
        f"those of the VGG description. Received: extractor with layers {names}"
    )


def _sequence(extractor, names, network):
    """`vgg_sequence` for one network, or `None` where the layers differ."""
    if names[:1] != [PREPROCESSING_NAME]:
        return None
    steps = [VGGStep("preprocess", extractor.get_layer(PREPROCESSING_NAME), None)]
    for spec in vgg_layers(network)[: len(names) - 1]:
        if spec.name not in names:
            return None
        layer = extractor.get_layer(spec.name)
        kind = _kind(layer, spec)
        if kind is None:
            return None
        steps.append(VGGStep(kind, layer, spec.tap))
    return steps if len(steps) == len(names) else None


def _kind(layer, spec):
    """The step kind of `layer` where it is what `spec` describes, else `None`."""
    if spec.kind == "conv":
        plain = (
            type(layer) is keras.layers.Conv2D
            and layer.filters == spec.filters
            and tuple(layer.kernel_size) == (3, 3)
            and tuple(layer.strides) == (1, 1)
            and tuple(layer.dilation_rate) == (1, 1)
            and layer.padding == "same"
            and layer.data_format == "channels_last"
            and layer.groups == 1
            and layer.use_bias
            and layer.activation is keras.activations.relu
        )
        return "conv" if plain else None
    kinds = {
        keras.layers.MaxPooling2D: "max_pool",
        keras.layers.AveragePooling2D: "avg_pool",
    }
    plain = (
        type(layer) in kinds
        and tuple(layer.pool_size) == (2, 2)
        and tuple(layer.strides) == (2, 2)
        and layer.padding == "valid"
        and layer.data_format == "channels_last"
    )
    return kinds[type(layer)] if plain else None


def check_vgg_weights(weights):
    """The one reading of a `vgg_weights` argument (library and CLI).

    Args:
        weights: `"imagenet"`, `None` or `"none"` (random weights, for tests
            and benchmarks), or the path of a `keras.applications` VGG notop
            weights file.

    Returns:
        `"imagenet"`, `None` or the path as a string.

    Example:

    >>> check_vgg_weights("none") is None
    True
    """
    if weights is None:
        return None
    if isinstance(weights, str) and weights.lower() in ("imagenet", "none"):
        return None if weights.lower() == "none" else "imagenet"
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            "`vgg_weights` must be 'imagenet', None or a path. "
            f"Received: vgg_weights={weights!r}"
        )
    path = pathlib.Path(weights)
    if not path.is_file():
        raise FileNotFoundError(
            f"`vgg_weights` file does not exist. Received: vgg_weights={str(path)!r}"
        )
    return str(path)

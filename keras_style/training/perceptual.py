"""Perceptual-loss training of feed-forward style networks through `fit`.

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016). `TransformNet.compile(style_image=...)` builds
a frozen VGG loss network, computes the style's Gram targets once, and
`TransformNet.fit(dataset)` then minimises
`content_weight·content + style_weight·style + tv_weight·tv` on batches of
content images. The loss lives in `compute_loss`, so the same code trains
under TensorFlow, JAX and PyTorch.

Multi-device data-parallel training (`keras.distribution` on JAX,
`tf.distribute` on TensorFlow) needs nothing more: each device gets a slice of
the global batch and the loss is the mean over the global batch, so the step
equals one device's step on the same batch (README, "Multi-device training").
"""

import keras
import numpy as np
from keras import ops

from keras_style import defaults as D
from keras_style.image import load_image
from keras_style.losses.perceptual import PerceptualLoss
from keras_style.losses.vgg import (
    check_vgg_weights,
    vgg_feature_extractor,
)
from keras_style.training.task import (
    STABILITY_TRACKER,
    TRACKERS,
    LossNetwork,
    PerceptualTask,
    decode_png,
    encode_png,
)
from keras_style.utils.backend_config import tensorflow_uses_onednn
from keras_style.utils.checks import check_float, check_int, check_positive_int

DEFAULT_LOSS_NETWORK = D.TRAIN_LOSS_NETWORK

# Per loss network (the reasoning is with the constants in defaults.py).
DEFAULT_LAYERS = D.TRAIN_LAYERS
DEFAULT_LOSS_WEIGHTS = D.TRAIN_LOSS_WEIGHTS
DEFAULT_STYLE_SIZE_RATIO = D.TRAIN_STYLE_SIZE_RATIO
DEFAULT_LEARNING_RATE = D.TRAIN_LEARNING_RATE


def check_loss_network(loss_network):
    """The lower-case name of a known loss network; a ValueError otherwise."""
    key = str(loss_network).lower()
    if key not in DEFAULT_LAYERS:
        raise ValueError(
            f"`loss_network` must be one of {sorted(DEFAULT_LAYERS)}. "
            f"Received: loss_network={loss_network!r}"
        )
    return key


def default_style_size(image_size):
    """Longest side of the style image for training on `image_size` crops.

    `DEFAULT_STYLE_SIZE_RATIO * image_size`: the network reproduces the
    style's motifs at their pixel size, so a style image far larger than the
    crops gives motifs too large to read in them.

    Args:
        image_size: side of the square training crops, in pixels.

    Returns:
        An int, for `compile(style_size=...)`.

    Example:

    >>> keras_style.training.perceptual.default_style_size(256)
    512
    """
    image_size = check_positive_int(image_size, "image_size")
    return DEFAULT_STYLE_SIZE_RATIO * image_size


def _xla_pays_off(model):
    """XLA for the TF train step on CPU, where Keras' "auto" leaves it off.

    Without oneDNN, TF's CPU kernels for the backward pass of the 9x9 and
    upsampling convolutions are slow, and XLA's are faster. Where TF uses
    oneDNN (`tensorflow_uses_onednn`), a step without XLA is as fast, and
    the first one comes sooner by the seconds XLA takes to compile it
    (benchmarks/README.md). Not for bfloat16: XLA's CPU convolutions compute
    it in float32 with casts around, while TF's oneDNN kernels use
    AVX512-BF16 / AMX where the CPU has them. On a GPU, Keras' "auto"
    decides, as it does under tf.distribute.
    """
    if keras.backend.backend() != "tensorflow" or model.compute_dtype == "bfloat16":
        return False
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU") or tensorflow_uses_onednn():
        return False
    return not tf.distribute.has_strategy()


def training_compile_options(
    model,
    optimizer,
    loss,
    kwargs,
    *,
    hint="pass either `style_image` or `loss`/`metrics`, not both",
    learning_rate=DEFAULT_LEARNING_RATE,
):
    """The optimizer and `keras.Model.compile` arguments of perceptual training.

    Shared by every family: perceptual training computes its own loss and
    metrics (so `loss` and `metrics` are refused), `"adam"` means
    `Adam(learning_rate)`, and the TF train step on CPU gets XLA where it
    pays off.

    Args:
        model: the model being compiled.
        optimizer: optimizer or its name.
        loss: must be None.
        kwargs: the other `keras.Model.compile` arguments (not changed).
        hint: what to do instead, for the error message.
        learning_rate: Adam's learning rate for `optimizer="adam"`.

    Returns:
        `(optimizer, kwargs)`.
    """
    if loss is not None or kwargs.get("metrics") is not None:
        raise ValueError(
            f"Perceptual training computes its own loss and metrics; {hint}. "
            f"Received: loss={loss!r}, metrics={kwargs.get('metrics')!r}"
        )
    kwargs = dict(kwargs)
    if isinstance(optimizer, str) and optimizer.lower() == "adam":
        optimizer = keras.optimizers.Adam(learning_rate)
    if (
        kwargs.get("jit_compile", "auto") == "auto"
        and not kwargs.get("run_eagerly")  # Keras would warn and turn XLA off
        and _xla_pays_off(model)
    ):
        kwargs["jit_compile"] = True
    return optimizer, kwargs


def perceptual_loss(
    loss_network,
    *,
    content_layers=None,
    style_layers=None,
    content_weight=None,
    style_weight=None,
    tv_weight=None,
    style_layer_weights=None,
):
    """The `PerceptualLoss` of the given settings, `None` meaning the default
    of `loss_network` (`DEFAULT_LAYERS`, `DEFAULT_LOSS_WEIGHTS`).

    Returns:
        `(loss_network, loss)`: the checked lower-case network name and the
        `PerceptualLoss`.

    Example:

    >>> network, loss = perceptual_loss("VGG19", style_weight=5.0)
    >>> network, loss.content_layers, loss.style_weight
    ('vgg19', ('relu4_2',), 5.0)
    """
    loss_network = check_loss_network(loss_network)
    defaults = {
        **DEFAULT_LAYERS[loss_network],
        **DEFAULT_LOSS_WEIGHTS[loss_network],
    }
    given = {
        "content_layers": content_layers,
        "style_layers": style_layers,
        "content_weight": content_weight,
        "style_weight": style_weight,
        "tv_weight": tv_weight,
    }
    loss = PerceptualLoss(
        **{k: defaults[k] if v is None else v for k, v in given.items()},
        style_layer_weights=style_layer_weights,
    )
    return loss_network, loss


def build_loss_network(model, loss, loss_network, vgg_weights):
    """The frozen VGG loss network of `loss`'s taps, in `model`'s precision
    policy (mixed-precision training runs the VGG in it too).

    Returns:
        A `LossNetwork`: `network(images, taps) -> {tap: features}`.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(model.dtype_policy)
    try:
        extractor = vgg_feature_extractor(
            loss.layers, network=loss_network, weights=vgg_weights
        )
    finally:
        keras.config.set_dtype_policy(previous)
    return LossNetwork(extractor)


def loss_trackers(extra=()):
    """The `content_loss`, `style_loss`, `tv_loss` metrics (then `extra`)."""
    return [keras.metrics.Mean(name=n) for n in TRACKERS + tuple(extra)]


def deepest_tap(layers):
    """The deepest VGG tap of `layers` (by block), e.g. `"relu5_1"`."""
    return max(layers, key=lambda name: int(name[len("relu")]))


def min_image_side(tap):
    """Fewest pixels per side an image needs to reach VGG `tap`: each pooling
    halves it, so a tap of block b needs 2**(b-1).

    Example:

    >>> min_image_side("relu5_1")
    16
    """
    return 2 ** (int(tap[len("relu")]) - 1)


def compile_perceptual(
    model,
    optimizer="adam",
    loss=None,
    *,
    style_image,
    content_layers=None,
    style_layers=None,
    content_weight=None,
    style_weight=None,
    tv_weight=None,
    style_layer_weights=None,
    loss_network=DEFAULT_LOSS_NETWORK,
    vgg_weights="imagenet",
    style_size=None,
    stability_weight=0.0,
    **kwargs,
):
    """Sets up perceptual-loss training (Johnson et al. 2016) for `model`.

    Called by `TransformNet.compile(style_image=...)`, which documents the
    user-facing arguments; `fit(x)` then needs only content images: the
    network's output is compared with them in VGG feature space (content
    loss), with the style image's Gram matrices (style loss) and with itself
    (total variation).

    The style's Gram targets are computed here, once. The style image (after
    `style_size` resizing, as a lossless PNG of ~100-300 KB at 256 px) is kept
    in the compile config, so a model saved with `model.save("x.keras")`
    reloads compiled and resumes training; Gram targets themselves would take
    1.4 MB (VGG16 taps) and are recomputed instead. Loading therefore needs
    the same VGG weights again.

    Args:
        model: the Keras model to train (its dtype policy is used for the
            loss network).
        optimizer: optimizer or its name; `"adam"` is Adam(1e-3), as in
            the paper.
        loss: must be None (the loss is perceptual).
        style_image: path, PIL image or `(H, W, 3)` array in 0..255.
        content_layers: VGG taps of the content loss; `None`: the default of
            `loss_network` (`DEFAULT_LAYERS`).
        style_layers: VGG taps of the style loss; `None`: the default of
            `loss_network`.
        content_weight: weight of the content loss; `None`: the default of
            `loss_network` (`DEFAULT_LOSS_WEIGHTS`, with how they were found).
        style_weight: weight of the style loss; `None`: as above.
        tv_weight: weight of the total-variation loss; `None`: as above.
        style_layer_weights: optional per-style-layer weights.
        loss_network: `"vgg19"` (default; the taps and losses of
            lengstrom/fast-style-transfer) or `"vgg16"` (Johnson et al.).
        vgg_weights: `"imagenet"`, `None` (random; tests and benchmarks only)
            or a path to `keras.applications` VGG weights.
        style_size: resize the style image so its longest side is this many
            pixels; `None` keeps its size. The style's motifs come out at this
            pixel scale, so size it to the training crops:
            `default_style_size(image_size)`.
        stability_weight: weight of the stability term
            (`keras_style.losses.perceptual.stability_loss`): the output must follow
            small shifts of the input, which steadies video; 0 or None
            (default) turns it off. See the README, "Video", for values.
        **kwargs: for `keras.Model.compile` (`jit_compile`,
            `steps_per_execution`, `run_eagerly`, ...).

    Returns:
        `(optimizer, kwargs, task)`: what to pass on to `keras.Model.compile`
        and the `PerceptualTask` that computes the loss.
    """
    optimizer, kwargs = training_compile_options(model, optimizer, loss, kwargs)
    style_size = check_int(style_size, "style_size", allow_none=True)
    if stability_weight is not None:  # None: off, as 0
        stability_weight = check_float(stability_weight, "stability_weight")
    loss_network, perceptual = perceptual_loss(
        loss_network,
        content_layers=content_layers,
        style_layers=style_layers,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        style_layer_weights=style_layer_weights,
    )
    vgg_weights = check_vgg_weights(vgg_weights)
    # Round to uint8 values so targets recomputed from the stored PNG are
    # bit-identical to these.
    style = np.rint(load_image(style_image, name="style_image", max_size=style_size))
    network = build_loss_network(model, perceptual, loss_network, vgg_weights)
    # Checked before the VGG runs, which fails per backend.
    tap = deepest_tap(perceptual.style_layers)
    if min(style.shape[:2]) < min_image_side(tap):
        raise ValueError(
            f"The style image is too small for the style layer {tap} "
            f"(each pooling halves it). Pass a larger `style_size`. "
            f"Received: style_size={style_size!r}, style image of "
            f"{style.shape[1]}x{style.shape[0]} px"
        )
    features = network.layer_by_layer(
        ops.convert_to_tensor(style[None]), perceptual.style_layers
    )
    grams = {
        k: ops.convert_to_tensor(ops.convert_to_numpy(v))
        for k, v in perceptual.style_targets(features).items()
    }
    settings = {
        **perceptual.get_config(),
        "loss_network": loss_network,
        "vgg_weights": vgg_weights,
        "style_size": style_size,
        "stability_weight": stability_weight,
    }
    trackers = loss_trackers((STABILITY_TRACKER,) if stability_weight else ())
    task = PerceptualTask(
        network,
        perceptual,
        grams,
        encode_png(style),
        settings,
        trackers,
        stability_weight=stability_weight,
    )
    return optimizer, kwargs, task


def compile_arguments_from_config(perceptual):
    """`compile` arguments from the `perceptual` entry of a compile config."""
    perceptual = dict(perceptual)
    image = perceptual.pop("style_image")
    if not isinstance(image, dict) or "base64" not in image:
        raise ValueError(
            "The compile config's `style_image` must be "
            f"{{'format': 'png', 'base64': ...}}. Received: {image!r}"
        )
    return {**perceptual, "style_image": decode_png(image["base64"])}

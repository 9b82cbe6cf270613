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

import base64
import io

import keras
import numpy as np
from keras import ops

from keras_style import defaults as D
from keras_style.checks import check_float, check_int, check_positive_int
from keras_style.features import (
    check_vgg_weights,
    vgg_feature_extractor,
    vgg_sequence,
)
from keras_style.image import load_image
from keras_style.losses import PerceptualLoss, stability_loss
from keras_style.optimize.vgg_forward import backend_vgg_forward

DEFAULT_LOSS_NETWORK = D.TRAIN_LOSS_NETWORK

# Per loss network (the reasoning is with the constants in defaults.py).
DEFAULT_LAYERS = D.TRAIN_LAYERS
DEFAULT_LOSS_WEIGHTS = D.TRAIN_LOSS_WEIGHTS
DEFAULT_STYLE_SIZE_RATIO = D.TRAIN_STYLE_SIZE_RATIO
DEFAULT_LEARNING_RATE = D.TRAIN_LEARNING_RATE

_TRACKERS = ("content_loss", "style_loss", "tv_loss")
_STABILITY_TRACKER = "stability_loss"  # logged only when the term is on


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

    >>> keras_style.training.default_style_size(256)
    512
    """
    image_size = check_positive_int(image_size, "image_size")
    return DEFAULT_STYLE_SIZE_RATIO * image_size


class _LossNetwork:
    """Runs the frozen VGG, stopping at the deepest wanted tap.

    The hand-written pass of `optimize/vgg_forward.py` where the extractor is
    the plain VGG chain, on TensorFlow (Winograd convolutions and cheaper
    gradients on CPU) and PyTorch (no per-layer layout copies): a faster
    train step (benchmarks/README.md). Else, and on JAX (see
    `backend_vgg_forward`), the Keras layers one by one.

    Held in a plain object (not a Keras attribute) so the VGG never joins the
    style network's weights, saved files or trainable variables.
    """

    def __init__(self, extractor):
        self.extractor = extractor
        # Layers and tap names from the VGG description, in its order.
        self.steps = vgg_sequence(extractor)
        dtype = extractor.dtype_policy.compute_dtype
        self.fast = backend_vgg_forward(extractor, dtype)

    def __call__(self, images, taps):
        if self.fast is not None:
            return self.fast(images, taps)
        wanted = set(taps)
        out = {}
        x = images
        for step in self.steps:
            x = step.layer(x)
            if step.tap in wanted:
                out[step.tap] = x
                if len(out) == len(wanted):
                    break
        return out


class TrainingTask:
    """What every perceptual-loss training task shares, held by its model.

    A plain object, invisible to Keras tracking and saving, so the VGG never
    joins the style network's weights or files. Subclasses compute the loss
    terms of their family in `compute_loss(model, x, y_pred)` and hand them
    to `finish`.

    Attributes:
        network: the frozen VGG loss network (`_LossNetwork`).
        loss: the `PerceptualLoss` (weights and taps).
        settings: the settings `compile` was given (`perceptual_config`).
        trackers: `content_loss`, `style_loss`, `tv_loss` metrics (and any
            extra terms a subclass logs after them).
    """

    def __init__(self, network, loss, settings, trackers):
        self.network = network
        self.loss = loss
        self.settings = settings
        self.trackers = trackers

    def content_targets(self, images):
        """The content taps of `images`, without gradient."""
        images = ops.stop_gradient(ops.convert_to_tensor(images))
        targets = self.network(images, self.loss.content_layers)
        return images, {k: ops.stop_gradient(v) for k, v in targets.items()}

    def finish(self, model, total, parts):
        """Logs the weighted parts, adds the model's own losses, and scales
        the total for `tf.distribute`."""
        loss = self.loss
        weights = (loss.content_weight, loss.style_weight, loss.tv_weight)
        for tracker, key, w in zip(self.trackers, ("content", "style", "tv"), weights):
            tracker.update_state(parts[key] * w)
        for extra in model.losses:  # regularizers, add_loss
            total = total + ops.cast(ops.sum(extra), "float32")
        return _scale_loss_for_distribution(total)

    def get_config(self):
        """The settings, for the model's compile config."""
        return dict(self.settings)


class PerceptualTask(TrainingTask):
    """Everything perceptual-loss training needs, held by the model it trains.

    Built by `compile_perceptual` when `TransformNet.compile(style_image=...)`
    is called.

    Attributes:
        network: the frozen VGG loss network (`_LossNetwork`).
        loss: the `PerceptualLoss` (weights and taps).
        grams: the style's Gram targets, per style tap.
        style_png: the (resized) style image as base64 PNG, for the config.
        settings: the settings `compile` was given (`perceptual_config`).
        trackers: `content_loss`, `style_loss`, `tv_loss` metrics.
    """

    def __init__(
        self, network, loss, grams, style_png, settings, trackers, stability_weight=0.0
    ):
        super().__init__(network, loss, settings, trackers)
        self.grams = grams
        self.style_png = style_png
        self.stability_weight = stability_weight

    def compute_loss(self, model, x, y_pred):
        """Perceptual loss of `y_pred = model(x)` against content images `x`.

        Updates the trackers (each term already multiplied by its weight, so
        they add up to the loss) and adds the model's own losses.
        """
        loss = self.loss
        features = self.network(y_pred, loss.layers)
        # The content images need only the (shallow) content taps, and no
        # gradient: a second, shorter VGG pass beats one pass on concat([y, x]).
        x, targets = self.content_targets(x)
        total, parts = loss(
            features, targets, self.grams, y_pred if loss.tv_weight else None
        )
        if self.stability_weight:
            stability = self.stability_weight * stability_loss(model, x, y_pred)
            self.trackers[len(_TRACKERS)].update_state(stability)
            total = total + stability
        return self.finish(model, total, parts)

    def get_config(self):
        """The settings and the style image, for the model's compile config."""
        return {
            **self.settings,
            "style_image": {"format": "png", "base64": self.style_png},
        }


def _encode_png(image):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image.astype(np.uint8), "RGB").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _decode_png(text):
    from PIL import Image

    try:
        with Image.open(io.BytesIO(base64.b64decode(text))) as img:
            return np.asarray(img.convert("RGB"), dtype=np.float32)
    except Exception as e:  # corrupt config: say so instead of a PIL trace
        raise ValueError(
            f"The compile config's style image could not be decoded ({e}). "
            f"Received: style_image={text[:40]!r}..."
        ) from None


def _xla_pays_off(model):
    """XLA for the TF train step on CPU, where Keras' "auto" leaves it off.

    TF's CPU kernels for the backward pass of the 9x9 and upsampling
    convolutions are slow, and XLA's are faster (benchmarks/README.md). Not
    for bfloat16: XLA's CPU convolutions compute it in float32 with casts
    around, while TF's oneDNN kernels use AVX512-BF16 / AMX where the CPU
    has them. On a GPU, Keras' "auto" decides, as it does under
    tf.distribute.
    """
    if keras.backend.backend() != "tensorflow" or model.compute_dtype == "bfloat16":
        return False
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU"):
        return False
    return not tf.distribute.has_strategy()


def _scale_loss_for_distribution(loss):
    # Under tf.distribute each replica's gradients are summed, so each replica
    # returns its loss divided by the replica count (what Keras' built-in
    # losses do). JAX and torch see the global batch: nothing to do.
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss * (1.0 / replicas)
    return loss


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
        A `_LossNetwork`: `network(images, taps) -> {tap: features}`.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(model.dtype_policy)
    try:
        extractor = vgg_feature_extractor(
            loss.layers, network=loss_network, weights=vgg_weights
        )
    finally:
        keras.config.set_dtype_policy(previous)
    return _LossNetwork(extractor)


def loss_trackers(extra=()):
    """The `content_loss`, `style_loss`, `tv_loss` metrics (then `extra`)."""
    return [keras.metrics.Mean(name=n) for n in _TRACKERS + tuple(extra)]


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
            (`keras_style.losses.stability_loss`): the output must follow
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
    features = network(ops.convert_to_tensor(style[None]), perceptual.style_layers)
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
    trackers = loss_trackers((_STABILITY_TRACKER,) if stability_weight else ())
    task = PerceptualTask(
        network,
        perceptual,
        grams,
        _encode_png(style),
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
    return {**perceptual, "style_image": _decode_png(image["base64"])}

"""Training an `ArbitraryStyleNet` through `fit`: Ghiasi et al.'s objective.

Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a
real-time, arbitrary neural artistic stylization network" (BMVC 2017).
Every training sample is a (photo, painting) pair: the style predictor turns
the painting into an embedding, the transfer network stylizes the photo with
it, and the result is compared in VGG feature space with the photo (content
loss) and with the Gram matrices of *its own* painting (style loss), plus
total variation. Unlike Johnson's per-style training
(`keras_style.training.perceptual`), the Gram targets change with every batch, so they
are computed in the train step from the paintings.

`ArbitraryStyleNet.compile` imports this module; inference never does. The
loss network, the losses and their defaults are those of
`keras_style.training.perceptual` (VGG19, `relu4_2` content, `relu1_1`..`relu5_1`
style), so the two families log the same numbers.
"""

from keras import ops

from keras_style.losses.perceptual import gram_matrix
from keras_style.losses.vgg import check_vgg_weights
from keras_style.training import perceptual as training
from keras_style.training.task import TrainingTask

# Adam's learning rate for `compile(optimizer="adam")`: the default of
# Magenta's arbitrary_image_stylization_train.py, which trained the published
# network. Most users fine-tune that network, for which Johnson's 1e-3
# (`training.DEFAULT_LEARNING_RATE`, training from scratch) is a large step;
# not measured here.
DEFAULT_LEARNING_RATE = 1e-5


def _pair(x, name="x"):
    """`(photos, paintings)` from what `fit` hands `compute_loss`."""
    if (
        not isinstance(x, (list, tuple))
        or len(x) != 2
        or any(part is None for part in x)
    ):
        raise ValueError(
            "ArbitraryStyleNet training takes `x=(photos, paintings)`: two "
            "batches of RGB images in 0..255 (paintings: one per photo, or "
            "one for the whole batch). "
            f"Received: {name} of type {type(x).__name__}"
            + (f" with {len(x)} elements" if isinstance(x, (list, tuple)) else "")
        )
    return x


def _check_side(images, tap, name):
    # Static shapes only (eager, or traced with known sizes): the VGG itself
    # fails with a per-backend error otherwise.
    side = training.min_image_side(tap)
    shape = tuple(images.shape)
    small = [n for n in shape[1:3] if isinstance(n, int) and n < side]
    if small:
        raise ValueError(
            f"The {name} are too small for the VGG layer {tap} (each pooling "
            f"halves them; {side} px per side at least). "
            f"Received: {name} with shape {shape}"
        )


class ArbitraryTask(TrainingTask):
    """Ghiasi et al.'s loss for `ArbitraryStyleNet`, held by the model.

    Built by `compile_arbitrary` (through `ArbitraryStyleNet.compile`); a
    plain object, so the VGG never joins the network's weights or files.

    Attributes:
        network: the frozen VGG loss network.
        loss: the `PerceptualLoss` (weights and taps).
        settings: the settings `compile` was given (`perceptual_config`).
        trackers: `content_loss`, `style_loss`, `tv_loss` metrics.
    """

    def compute_loss(self, model, x, y_pred):
        """Ghiasi's loss of `y_pred = model([photos, paintings])`.

        `content_weight·content(y_pred, photos) + style_weight·style(y_pred,
        paintings) + tv_weight·tv(y_pred)`; the style term compares each
        output's Gram matrices with those of its own painting (or of the one
        painting, broadcast over the batch). Each weighted term is logged.

        Args:
            model: the `ArbitraryStyleNet` being trained.
            x: `(photos, paintings)`.
            y_pred: the stylized photos.

        Returns:
            A scalar float32 tensor.
        """
        photos, paintings = _pair(x)
        loss = self.loss
        paintings = ops.stop_gradient(ops.convert_to_tensor(paintings))
        _check_side(paintings, training.deepest_tap(loss.style_layers), "paintings")
        features = self.network(y_pred, loss.layers)
        # Three VGG passes: the outputs (every tap, with gradient), the
        # photos (content taps only, no gradient: shorter, as for
        # `PerceptualTask`) and the paintings (style taps only; their size
        # may differ from the photos').
        _, targets = self.content_targets(photos)
        style = self.network(paintings, loss.style_layers)
        grams = {k: ops.stop_gradient(gram_matrix(v)) for k, v in style.items()}
        total, parts = loss(
            features, targets, grams, y_pred if loss.tv_weight else None
        )
        return self.finish(model, total, parts)


def compile_arbitrary(
    model,
    optimizer="adam",
    loss=None,
    *,
    content_layers=None,
    style_layers=None,
    content_weight=None,
    style_weight=None,
    tv_weight=None,
    style_layer_weights=None,
    loss_network=training.DEFAULT_LOSS_NETWORK,
    vgg_weights="imagenet",
    **kwargs,
):
    """Sets up Ghiasi et al.'s training (BMVC 2017) for an `ArbitraryStyleNet`.

    Called by `ArbitraryStyleNet.compile`, which documents the user-facing
    arguments. The defaults of every loss setting are those of
    `keras_style.training.perceptual.compile_perceptual` for the same `loss_network`
    (`training.DEFAULT_LAYERS`, `training.DEFAULT_LOSS_WEIGHTS`). Magenta
    trained the published network with VGG16 taps instead (content `relu3_3`,
    style `relu1_2`..`relu4_3`): `loss_network="vgg16"` comes close.

    Args:
        model: the `ArbitraryStyleNet` to train (its dtype policy is used for
            the loss network).
        optimizer: optimizer or its name; `"adam"` is Adam(1e-5), Magenta's.
        loss: must be None (the loss is perceptual).
        content_layers: VGG taps of the content loss; `None`: the default.
        style_layers: VGG taps of the style loss; `None`: the default.
        content_weight: weight of the content loss; `None`: the default.
        style_weight: weight of the style loss; `None`: the default.
        tv_weight: weight of the total-variation loss; `None`: the default.
        style_layer_weights: optional per-style-layer weights.
        loss_network: `"vgg19"` (default) or `"vgg16"`.
        vgg_weights: `"imagenet"`, `None` (random; tests only) or a path to
            `keras.applications` VGG weights.
        **kwargs: for `keras.Model.compile` (`jit_compile`, `run_eagerly`,
            `steps_per_execution`, ...).

    Returns:
        `(optimizer, kwargs, task)`: what to pass on to `keras.Model.compile`
        and the `ArbitraryTask` that computes the loss.

    Example:

    >>> net = ArbitraryStyleNet()
    >>> optimizer, kwargs, task = compile_arbitrary(net, vgg_weights=None)
    >>> task.settings["content_layers"]
    ['relu4_2']
    """
    optimizer, kwargs = training.training_compile_options(
        model,
        optimizer,
        loss,
        kwargs,
        hint="pass `metrics` only with a supervised `loss`",
        learning_rate=DEFAULT_LEARNING_RATE,
    )
    loss_network, perceptual = training.perceptual_loss(
        loss_network,
        content_layers=content_layers,
        style_layers=style_layers,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        style_layer_weights=style_layer_weights,
    )
    vgg_weights = check_vgg_weights(vgg_weights)
    network = training.build_loss_network(model, perceptual, loss_network, vgg_weights)
    settings = {
        **perceptual.get_config(),
        "loss_network": loss_network,
        "vgg_weights": vgg_weights,
    }
    task = ArbitraryTask(network, perceptual, settings, training.loss_trackers())
    return optimizer, kwargs, task


def compile_arguments_from_config(perceptual):
    """`compile` arguments from the `perceptual` entry of a compile config."""
    if not isinstance(perceptual, dict):
        raise ValueError(
            "The compile config's `perceptual` entry must be a dict of "
            f"settings. Received: perceptual={perceptual!r}"
        )
    return dict(perceptual)


def pair_inputs(data):
    """`data` in the form `fit` reads as `x=(photos, paintings)`.

    Keras reads a dataset element `(a, b)` as `(x, y)`; a `tf.data.Dataset`
    whose elements are two image batches is mapped to `((photos,
    paintings),)`, Keras' form for "x only". Anything else is returned as it
    is (arrays as `x=(photos, paintings)` need nothing; a `PyDataset` or
    generator must yield `((photos, paintings),)` itself, as
    `keras_style.image_pair_dataset` does).

    Example:

    >>> ds = tf.data.Dataset.from_tensors((photos, paintings))
    >>> pair_inputs(ds).element_spec[0][1].shape
    TensorShape([2, 256, 256, 3])
    """
    spec = getattr(data, "element_spec", None)
    if (
        isinstance(spec, tuple)
        and len(spec) == 2
        and all(hasattr(s, "shape") and len(s.shape) == 4 for s in spec)
    ):
        return data.map(lambda photos, paintings: ((photos, paintings),))
    return data

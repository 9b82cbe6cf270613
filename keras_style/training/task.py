"""What a perceptual training step computes: the frozen VGG loss network
(`LossNetwork`), and the tasks (`TrainingTask`, `PerceptualTask`) a model's
`compute_loss` hands the work to."""

import base64
import io

import keras
import numpy as np
from keras import ops

from keras_style.losses.perceptual import stability_loss
from keras_style.losses.vgg import vgg_sequence
from keras_style.optimize.vgg_forward import backend_vgg_forward

TRACKERS = ("content_loss", "style_loss", "tv_loss")
STABILITY_TRACKER = "stability_loss"  # logged only when the term is on


class LossNetwork:
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
        return self.layer_by_layer(images, taps)

    def layer_by_layer(self, images, taps):
        """The taps through the Keras layers: for one-off passes (the style
        targets), where the fast pass's XLA compile of each new shape would
        cost more than it saves."""
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
        network: the frozen VGG loss network (`LossNetwork`).
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
        return scale_loss_for_distribution(total)

    def get_config(self):
        """The settings, for the model's compile config."""
        return dict(self.settings)


class PerceptualTask(TrainingTask):
    """Everything perceptual-loss training needs, held by the model it trains.

    Built by `compile_perceptual` when `TransformNet.compile(style_image=...)`
    is called.

    Attributes:
        network: the frozen VGG loss network (`LossNetwork`).
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
            self.trackers[len(TRACKERS)].update_state(stability)
            total = total + stability
        return self.finish(model, total, parts)

    def get_config(self):
        """The settings and the style image, for the model's compile config."""
        return {
            **self.settings,
            "style_image": {"format": "png", "base64": self.style_png},
        }


def encode_png(image):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image.astype(np.uint8), "RGB").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_png(text):
    from PIL import Image

    try:
        with Image.open(io.BytesIO(base64.b64decode(text))) as img:
            return np.asarray(img.convert("RGB"), dtype=np.float32)
    except Exception as e:  # corrupt config: say so instead of a PIL trace
        raise ValueError(
            f"The compile config's style image could not be decoded ({e}). "
            f"Received: style_image={text[:40]!r}..."
        ) from None


def scale_loss_for_distribution(loss):
    # Under tf.distribute each replica's gradients are summed, so each replica
    # returns its loss divided by the replica count (what Keras' built-in
    # losses do). JAX and torch see the global batch: nothing to do.
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss * (1.0 / replicas)
    return loss

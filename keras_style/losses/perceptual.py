"""Perceptual losses shared by both style-transfer methods.

Content loss compares feature maps, style loss compares their Gram matrices
(Gatys et al. 2015), total variation smooths the output. All functions take
channels-last tensors and work under every Keras backend.
"""

import keras
from keras import ops

from keras_style.utils.checks import check_float


def gram_matrix(features):
    """Batched Gram matrix normalised by `C * H * W`.

    The normalisation makes style weights carry over between image sizes and
    layers of different widths.

    Args:
        features: tensor `(batch, H, W, C)` (or `(H, W, C)`).

    Returns:
        A float32 tensor `(batch, C, C)` (or `(C, C)`).

    Example:

    >>> gram_matrix(np.ones((2, 4, 4, 3), "float32")).shape
    (2, 3, 3)
    """
    features = ops.cast(features, "float32")
    unbatched = len(features.shape) == 3
    if unbatched:
        features = ops.expand_dims(features, 0)
    if isinstance(features, keras.KerasTensor):  # symbolic: only the shape matters
        gram = ops.einsum("bhwc,bhwd->bcd", features, features)
    else:
        gram = _batched_gram(features)
    return gram[0] if unbatched else gram


@ops.custom_gradient
def _batched_gram(features):
    # A hand-written gradient: d(F^T F)/dF contracted with the upstream dG is
    # F (dG + dG^T), one matmul. Autodiff does two, plus transposed copies of
    # F, which made the Gram's backward pass several times slower on CPU.
    shape = ops.shape(features)
    h, w, c = shape[1], shape[2], shape[3]
    flat = ops.reshape(features, (shape[0], -1, c))
    scale = ops.cast(h * w * c, "float32")
    gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat) / scale

    def grad(*args, upstream=None):
        if upstream is None:  # TensorFlow and JAX pass it positionally
            (upstream,) = args
        symmetric = upstream + ops.transpose(upstream, (0, 2, 1))
        return ops.reshape(ops.matmul(flat, symmetric) / scale, shape)

    return gram, grad


def content_loss(features, targets):
    """Mean squared difference of two feature maps (float32)."""
    return ops.mean(
        ops.square(ops.cast(features, "float32") - ops.cast(targets, "float32"))
    )


def style_loss(features, target_grams, layer_weights=None):
    """Weighted sum over layers of the mean squared Gram-matrix difference.

    Args:
        features: dict `{layer: (batch, H, W, C)}` of the generated image.
        target_grams: dict `{layer: (1 or batch, C, C)}` of the style image(s).
        layer_weights: optional dict `{layer: weight}`; default 1 for every
            layer of `target_grams`.

    Returns:
        A scalar float32 tensor.

    Example:

    >>> f = {"relu1_1": np.ones((1, 4, 4, 3), "float32")}
    >>> float(style_loss(f, {"relu1_1": gram_matrix(f["relu1_1"])}))
    0.0
    """
    total = 0.0
    for layer, target in target_grams.items():
        weight = 1.0 if layer_weights is None else layer_weights.get(layer, 0.0)
        if weight == 0:
            continue
        diff = gram_matrix(features[layer]) - ops.cast(target, "float32")
        total = total + weight * ops.mean(ops.square(diff))
    return ops.convert_to_tensor(total, "float32")


def total_variation_loss(images):
    """Mean squared difference between neighbouring pixels (TV, beta=2).

    Args:
        images: tensor `(batch, H, W, C)`.

    Returns:
        A scalar float32 tensor; 0 for a constant image.
    """
    images = ops.cast(images, "float32")
    dy = images[:, 1:, :, :] - images[:, :-1, :, :]
    dx = images[:, :, 1:, :] - images[:, :, :-1, :]
    return ops.mean(ops.square(dy)) + ops.mean(ops.square(dx))


def _check_weight(value, name):
    return check_float(value, name)


# Pixels at each border left out of the stability term: reflection padding
# is not shift-equivariant there.
STABILITY_MARGIN = 4


def shift_down_right(images):
    """`images` moved 1.5 px down and right (bilinear), one row and column
    cropped: the mean of each 2x2 neighbourhood, one pixel in. An odd shift
    exercises both the stride-2 aliasing of the network (whole-pixel motion)
    and resampling (sub-pixel motion).

    Example:

    >>> shift_down_right(np.zeros((1, 16, 16, 3), "float32")).shape
    (1, 14, 14, 3)
    """
    images = images[:, 1:, 1:]
    return 0.25 * (
        images[:, :-1, :-1]
        + images[:, 1:, :-1]
        + images[:, :-1, 1:]
        + images[:, 1:, 1:]
    )


def stability_loss(model, x, y_pred):
    """How much `model` fails to follow small motions of its input.

    Mean squared difference (0..255 scale) between the stylized shifted
    image, `model(shift(x))`, and the shifted stylized image, `shift(y_pred)`,
    for the 1.5 px shift of `shift_down_right`: a network that commutes with
    small motions gives steadier video (less flicker between the frames of a
    moving camera); the single-image form of the temporal losses of Huang et
    al. (CVPR 2017) and Gupta et al. (ICCV 2017). Costs one more pass of the
    style network, no VGG pass.

    Example:

    >>> net = TransformNet(filters=(8, 16, 32), residual_blocks=1)
    >>> x = np.random.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    >>> float(stability_loss(net, x, net(x))) >= 0.0
    True
    """
    shifted = model(shift_down_right(ops.convert_to_tensor(x)), training=True)
    target = shift_down_right(ops.cast(y_pred, "float32"))
    m = STABILITY_MARGIN
    diff = ops.cast(shifted, "float32")[:, m:-m, m:-m] - target[:, m:-m, m:-m]
    return ops.mean(ops.square(diff))


@keras.saving.register_keras_serializable(package="keras_style")
class PerceptualLoss:
    """`content_weight·content + style_weight·style + tv_weight·tv` from features.

    Combines the losses above over named VGG taps and reports each component,
    so both the Gatys optimizer and `TransformNet.fit` log the same numbers.

    Args:
        content_layers: taps compared with the content targets.
        style_layers: taps whose Gram matrices are compared with the style.
        content_weight: alpha in Gatys et al.
        style_weight: beta in Gatys et al.
        tv_weight: weight of the total-variation regulariser.
        style_layer_weights: optional per-layer weights (dict or sequence
            aligned with `style_layers`); default 1 each.

    Example:

    >>> loss = PerceptualLoss(["relu1_1"], ["relu1_1"], style_weight=10.0)
    >>> f = {"relu1_1": np.ones((1, 4, 4, 3), "float32")}
    >>> total, parts = loss(f, f, {"relu1_1": gram_matrix(f["relu1_1"])})
    >>> sorted(parts)
    ['content', 'style', 'tv']
    """

    def __init__(
        self,
        content_layers=("relu4_2",),
        style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        content_weight=1.0,
        style_weight=1e3,
        tv_weight=0.0,
        style_layer_weights=None,
    ):
        self.content_layers = _as_names(content_layers, "content_layers")
        self.style_layers = _as_names(style_layers, "style_layers")
        self.content_weight = _check_weight(content_weight, "content_weight")
        self.style_weight = _check_weight(style_weight, "style_weight")
        self.tv_weight = _check_weight(tv_weight, "tv_weight")
        if style_layer_weights is None:
            weights = {layer: 1.0 for layer in self.style_layers}
        elif isinstance(style_layer_weights, dict):
            unknown = set(style_layer_weights) - set(self.style_layers)
            if unknown:
                raise ValueError(
                    "`style_layer_weights` names layers that are not in "
                    f"style_layers={list(self.style_layers)}. "
                    f"Received: style_layer_weights={style_layer_weights}"
                )
            weights = {
                layer: style_layer_weights.get(layer, 0.0)
                for layer in self.style_layers
            }
        else:
            values = list(style_layer_weights)
            if len(values) != len(self.style_layers):
                raise ValueError(
                    f"`style_layer_weights` needs one weight per style layer "
                    f"({len(self.style_layers)}). "
                    f"Received: style_layer_weights={values}"
                )
            weights = dict(zip(self.style_layers, values))
        self.style_layer_weights = {
            k: _check_weight(v, f"style_layer_weights[{k!r}]")
            for k, v in weights.items()
        }

    @property
    def layers(self):
        """Every tap this loss reads, content layers first."""
        return tuple(dict.fromkeys(self.content_layers + self.style_layers))

    def style_targets(self, style_features, blend_weights=None):
        """Gram targets `{layer: (1, C, C)}`, blended over a batch of styles.

        Args:
            style_features: features of one style image or a batch of several.
            blend_weights: optional per-image weights (normalised to sum 1).
        """
        grams = {}
        for layer in self.style_layers:
            g = gram_matrix(style_features[layer])
            n = g.shape[0]
            if blend_weights is None:
                w = ops.full((n,), 1.0 / n)
            else:
                w = ops.convert_to_tensor(blend_weights, "float32")
                w = w / ops.sum(w)
            grams[layer] = ops.sum(
                g * ops.reshape(w, (-1, 1, 1)), axis=0, keepdims=True
            )
        return grams

    def __call__(self, features, content_features, style_grams, images=None):
        """Returns `(total, {"content": c, "style": s, "tv": tv})` (unweighted parts).

        Args:
            features: taps of the generated images.
            content_features: taps of the content images (same batch size or 1).
            style_grams: output of `style_targets`.
            images: the generated images, needed when `tv_weight > 0`.
        """
        c = 0.0
        for layer in self.content_layers:
            c = c + content_loss(features[layer], content_features[layer])
        s = style_loss(features, style_grams, self.style_layer_weights)
        tv = total_variation_loss(images) if images is not None else 0.0
        parts = {
            "content": ops.convert_to_tensor(c, "float32"),
            "style": s,
            "tv": ops.convert_to_tensor(tv, "float32"),
        }
        total = (
            self.content_weight * parts["content"]
            + self.style_weight * parts["style"]
            + self.tv_weight * parts["tv"]
        )
        return total, parts

    def get_config(self):
        return {
            "content_layers": list(self.content_layers),
            "style_layers": list(self.style_layers),
            "content_weight": self.content_weight,
            "style_weight": self.style_weight,
            "tv_weight": self.tv_weight,
            "style_layer_weights": dict(self.style_layer_weights),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _as_names(layers, name):
    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if not layers or not all(isinstance(x, str) for x in layers):
        raise ValueError(
            f"`{name}` must be a non-empty sequence of layer names. Received: {name}={layers!r}"
        )
    return layers

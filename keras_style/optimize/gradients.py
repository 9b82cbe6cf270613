"""The loss and its gradient with respect to the image, compiled per backend.

The gradient of a loss with respect to the *input image* of a frozen model has
no Keras API outside `fit` (which differentiates trainable weights), so it is
written once per backend here, compiled where that pays off. Training the
image as the only weight of a model with `fit` was far slower
(benchmarks/README.md, "Why these code paths").
"""

import keras
from keras import ops

from keras_style.optimize import vgg_forward


def compile_step(model, loss, use_tv=True, border=0, dtype="float32"):
    """`(features, value_and_grad)` built on one forward pass of `model`.

    `value_and_grad(image, content_targets, style_grams) -> (loss, parts,
    grad)` gives the weighted total loss, the dict of unweighted parts and
    the gradient of the total with respect to the `(1, H, W, 3)` image;
    `features(image) -> dict` is the forward pass it differentiates: the hand-written VGG pass
    of `vgg_forward.py` where the model is the plain chain
    `vgg_feature_extractor` builds, else the Keras model. Targets computed
    with it come from the same kernels as the features of each step (with
    `init="content"` the first content loss is exactly 0), and the kernels
    the pass prepares, as large as the model's own, are made once.

    With `border > 0` the image is reflection-padded by `border` pixels
    before the VGG pass and each tap is cropped by `border // stride` cells
    per side (`vgg_forward.tap_strides`), back to the unpadded image's grid
    (exactly, where that divides). VGG's zero padding then falls on mirrored pixels, not
    on the image's outer rows, which otherwise get gradients unlike the
    interior's and end up as a coloured fringe 1-2 px wide.

    `dtype="bfloat16"` runs the hand-written VGG pass in bfloat16 after its
    float32 preprocessing (the image, losses and gradient stay float32); the
    Keras model, where it is used instead, runs in its own dtype.

    Example:

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> from keras_style.losses.perceptual import PerceptualLoss
    >>> model = vgg_feature_extractor(["relu1_1", "relu2_1"], weights=None)
    >>> loss = PerceptualLoss(["relu2_1"], ["relu1_1"], 1.0, 1e3)
    >>> features, value_and_grad = compile_step(model, loss)
    >>> sorted(features(keras.random.uniform((1, 32, 32, 3))))
    ['relu1_1', 'relu2_1']
    """

    def loss_fn(features, image, content_targets, style_grams):
        return loss(features, content_targets, style_grams, image if use_tv else None)

    backend = keras.backend.backend()
    if backend == "jax":
        forward, weights = _jax_forward(model, dtype)
        forward = _reflect_padded(forward, border, model)
        step = _jax_value_and_grad(forward, weights, loss_fn)
        return (lambda image: forward(image, weights)), step
    if backend == "tensorflow":
        features = vgg_forward.tensorflow_vgg_forward(model, dtype) or _keras_forward(
            model
        )
        features = _reflect_padded(features, border, model)
        # The border needs static image sizes (see `_reflect_padded`): one
        # trace per size rather than one relaxed to unknown sizes.
        return features, _tensorflow_value_and_grad(
            features, loss_fn, reduce_retracing=not border
        )
    if backend == "torch":
        features = vgg_forward.torch_vgg_forward(model, dtype) or _keras_forward(model)
        features = _reflect_padded(features, border, model)
        return features, _torch_value_and_grad(features, loss_fn)
    raise NotImplementedError(
        f"Gatys optimization needs the TensorFlow, JAX or PyTorch backend. "
        f"Received: backend={backend!r}"
    )


def _reflect_padded(forward, border, model):
    """`forward` on the image reflection-padded by `border` px, taps cropped back."""
    if not border:
        return forward
    strides = vgg_forward.tap_strides(model)

    def padded_forward(image, *args):
        # Reflection needs `border` < side: smaller images get a thinner
        # border, a power of two so the crops stay on the taps' grids. (Sizes
        # are static on JAX and torch, and in TensorFlow's step as traced.)
        sides = [s for s in image.shape[1:3] if s is not None]
        pad = min([border] + [s - 1 for s in sides])
        if pad < border:
            pad = 2 ** (pad.bit_length() - 1) if pad > 0 else 0
        if not pad:
            return forward(image, *args)
        x = ops.pad(image, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="reflect")
        features = forward(x, *args)
        cropped = {}
        for tap, value in features.items():
            c = pad // strides[tap]
            cropped[tap] = value[:, c:-c, c:-c, :] if c else value
        return cropped

    return padded_forward


def _keras_forward(model):
    return lambda image: model(image, training=False)


# Plain tf.function: XLA for the whole step was no faster on CPU, and slower
# to compile.
_TF_JIT_COMPILE = False


def _tensorflow_value_and_grad(forward, loss_fn, reduce_retracing=True):
    import tensorflow as tf

    @tf.function(jit_compile=_TF_JIT_COMPILE, reduce_retracing=reduce_retracing)
    def f(image, content_targets, style_grams):
        # Only the image is watched: no gradients for the VGG kernels.
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            features = forward(image)
            total, parts = loss_fn(features, image, content_targets, style_grams)
        return total, parts, tape.gradient(total, image)

    return f


def _jax_value_and_grad(forward, weights, loss_fn):
    import jax

    # The frozen weights are jit arguments (not baked-in constants), so XLA
    # compiles quickly.
    def value(image, weights, content_targets, style_grams):
        features = forward(image, weights)
        return loss_fn(features, image, content_targets, style_grams)

    value_and_grad = jax.jit(jax.value_and_grad(value, has_aux=True))

    def f(image, content_targets, style_grams):
        (total, parts), grad = value_and_grad(
            image, weights, content_targets, style_grams
        )
        return total, parts, grad

    return f


def _jax_forward(model, dtype):
    """`(forward, weights)`, `forward(image, weights) -> features`, for JAX."""
    fast = vgg_forward.jax_vgg_forward(model, dtype)
    if fast is not None:
        return fast
    trainable = [v.value for v in model.trainable_variables]

    def stateless_forward(image, weights):
        features, _ = model.stateless_call(trainable, weights, image, training=False)
        return features

    return stateless_forward, [v.value for v in model.non_trainable_variables]


def _torch_value_and_grad(forward, loss_fn):
    import torch

    # Plain eager autograd: torch.compile's long compile of VGG19 did not pay.
    def f(image, content_targets, style_grams):
        image = image.detach().requires_grad_(True)
        features = forward(image)
        total, parts = loss_fn(features, image, content_targets, style_grams)
        (grad,) = torch.autograd.grad(total, image)
        return total.detach(), {k: v.detach() for k, v in parts.items()}, grad

    return f

"""The loss and its gradient with respect to the image, compiled per backend.

The gradient of a loss with respect to the *input image* of a frozen model has
no Keras API outside `fit` (which differentiates trainable weights), so it is
written once per backend here, compiled where that pays off. Measured on a
2-core CPU against the plain PyTorch reference (../shared/bench/peer_torch.py,
one VGG19 step at 256 px): treating the image as the only weight of a model
trained with `fit` took 2.3x its time; these functions take 0.72-0.81x
(TensorFlow; 0.77x at 512 px), ~1.05x (JAX) and ~1.2x (PyTorch through Keras
layers); see benchmarks/README.md.
"""

import keras

from keras_style.optimize.winograd import winograd_conv3x3, winograd_kernel

# 3x3 convolutions with at least this many input and output channels run as
# Winograd F(2x2, 3x3) on TensorFlow (see winograd.py for the measurements).
WINOGRAD_MIN_CHANNELS = 512


def compile_value_and_grad(model, loss, use_tv=True):
    """A compiled `f(image, content_targets, style_grams) -> (loss, parts, grad)`.

    Args:
        model: the frozen feature extractor (`vgg_feature_extractor`).
        loss: a `PerceptualLoss` reading the extractor's taps.
        use_tv: whether to compute the total-variation term.

    Returns:
        A function of a `(1, H, W, 3)` image tensor and the targets returning
        the weighted total loss, the dict of unweighted parts and the gradient
        of the total with respect to the image (same shape).
    """

    def loss_fn(features, image, content_targets, style_grams):
        return loss(features, content_targets, style_grams, image if use_tv else None)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_value_and_grad(model, loss_fn)
    if backend == "jax":
        return _jax_value_and_grad(model, loss_fn)
    if backend == "torch":
        return _torch_value_and_grad(model, loss_fn)
    raise NotImplementedError(
        f"Gatys optimization needs the TensorFlow, JAX or PyTorch backend. "
        f"Received: backend={backend!r}"
    )


def feature_function(model):
    """`f(image) -> features`: the forward pass `compile_value_and_grad` uses.

    Targets computed with it come from the same kernels as the features of
    each step (on TensorFlow, Winograd for the 512-channel layers), so with
    `init="content"` the first content loss is exactly 0.
    """
    if keras.backend.backend() == "tensorflow":
        forward = _tensorflow_vgg_forward(model)
        if forward is not None:
            return forward
    return lambda image: model(image, training=False)


# XLA (jit_compile=True) measured no faster than graph mode here on CPU and
# compiles twice as long, so plain tf.function.
_TF_JIT_COMPILE = False


def _tensorflow_value_and_grad(model, loss_fn):
    import tensorflow as tf

    forward = feature_function(model)

    @tf.function(jit_compile=_TF_JIT_COMPILE, reduce_retracing=True)
    def f(image, content_targets, style_grams):
        # Only the image is watched: no gradients for the VGG kernels.
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            features = forward(image)
            total, parts = loss_fn(features, image, content_targets, style_grams)
        return total, parts, tape.gradient(total, image)

    return f


def _tensorflow_vgg_forward(model):
    """The VGG chain with faster input gradients, for TensorFlow on CPU.

    Measured per layer on a 2-core CPU (random VGG19, 256 px):
    - `Conv2DBackpropInput` is 1.4-2.9x slower than a forward `Conv2D` of the
      same size. For a stride-1 "same" 3x3 convolution the input gradient *is*
      a forward convolution of the output gradient with the kernel rotated by
      180 degrees and its channels swapped, so each conv+bias+ReLU gets that
      as a custom gradient (and no kernel gradient, which is never needed).
    - The 512-channel convolutions run as Winograd F(2x2, 3x3) (`winograd.py`),
      forward and backward: 0.6x the time of `Conv2D` there.
    - `MaxPoolGrad` takes 14x the forward pool's time (32 ms at 256x256x64);
      a 2x2 pool's gradient is the output gradient repeated 2x2 and masked
      where the input equals its window's maximum (5 ms).
    Together: 0.67x the step time of autodiff through the Keras model
    (0.77 s against 1.15 s per VGG19 step at 256 px, same process).

    Returns `None` when the model is not the plain chain
    `vgg_feature_extractor` builds.
    """
    import tensorflow as tf

    from keras_style.features import CaffePreprocessing

    def with_input_gradient(conv):
        """conv + bias + ReLU whose gradient is `conv` with the flipped kernel."""

        @tf.custom_gradient
        def conv_relu(x, kernel, bias, flipped):
            y = tf.nn.relu(tf.nn.bias_add(conv(x, kernel), bias))

            def grad(dy):
                dz = tf.raw_ops.ReluGrad(gradients=dy, features=y)
                return conv(dz, flipped), None, None, None

            return y, grad

        return conv_relu

    conv_relu = with_input_gradient(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
    winograd_conv_relu = with_input_gradient(winograd_conv3x3)

    def upsample(dy, x):
        """`dy` repeated 2x2, zero-padded to the shape of `x` (odd sides)."""
        up = tf.repeat(tf.repeat(dy, 2, axis=1), 2, axis=2)
        shape, up_shape = tf.shape(x), tf.shape(up)
        pad = [[0, 0], [0, shape[1] - up_shape[1]], [0, shape[2] - up_shape[2]], [0, 0]]
        return tf.pad(up, pad)

    @tf.custom_gradient
    def max_pool(x):
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")

        def grad(dy):
            # To every maximum of its window; ties (other than the zeros the
            # preceding ReLU's gradient discards) are measure-zero.
            return tf.where(x >= upsample(y, x), upsample(dy, x), 0.0)

        return y, grad

    @tf.custom_gradient
    def avg_pool(x):
        return tf.nn.avg_pool2d(x, 2, 2, "VALID"), lambda dy: upsample(dy / 4, x)

    taps = {}
    for tap, tensor in model.output.items():
        taps.setdefault(tensor._keras_history.operation.name, []).append(tap)
    steps = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if _is_plain_conv3x3_relu(layer) and layer.kernel.shape[2] >= 16:
            kernel = tf.convert_to_tensor(layer.kernel.value)
            # rot180 and in/out channels swapped: (3, 3, out, in)
            flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
            bias = tf.convert_to_tensor(layer.bias.value)
            if min(kernel.shape[2:]) >= WINOGRAD_MIN_CHANNELS:
                step = (winograd_conv_relu, winograd_kernel(kernel), bias)
                steps.append((layer.name, step + (winograd_kernel(flipped),)))
            else:
                steps.append((layer.name, (conv_relu, kernel, bias, flipped)))
        elif _is_pool2x2(layer, keras.layers.MaxPooling2D):
            steps.append((layer.name, (max_pool,)))
        elif _is_pool2x2(layer, keras.layers.AveragePooling2D):
            steps.append((layer.name, (avg_pool,)))
        # conv1_1 (3 input channels) keeps its native gradient: measured faster.
        elif _is_plain_conv3x3_relu(layer) or isinstance(layer, CaffePreprocessing):
            steps.append((layer.name, layer))
        else:
            return None

    def forward(x):
        features = {}
        for name, step in steps:
            x = step[0](x, *step[1:]) if isinstance(step, tuple) else step(x)
            for tap in taps.get(name, ()):
                features[tap] = x
        return features

    return forward


def _is_pool2x2(layer, kind):
    return (
        type(layer) is kind
        and tuple(layer.pool_size) == (2, 2)
        and tuple(layer.strides) == (2, 2)
        and layer.padding == "valid"
        and layer.data_format == "channels_last"
    )


def _is_plain_conv3x3_relu(layer):
    return (
        type(layer) is keras.layers.Conv2D
        and tuple(layer.kernel_size) == (3, 3)
        and tuple(layer.strides) == (1, 1)
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.padding == "same"
        and layer.data_format == "channels_last"
        and layer.groups == 1
        and layer.use_bias
        and layer.activation is keras.activations.relu
    )


def _jax_value_and_grad(model, loss_fn):
    import jax

    # The frozen weights are jit arguments (not baked-in constants), so XLA
    # compiles quickly and one compiled function serves every image size.
    weights = [v.value for v in model.non_trainable_variables]
    trainable = [v.value for v in model.trainable_variables]

    def value(image, weights, content_targets, style_grams):
        features, _ = model.stateless_call(trainable, weights, image, training=False)
        return loss_fn(features, image, content_targets, style_grams)

    value_and_grad = jax.jit(jax.value_and_grad(value, has_aux=True))

    def f(image, content_targets, style_grams):
        (total, parts), grad = value_and_grad(
            image, weights, content_targets, style_grams
        )
        return total, parts, grad

    return f


def _torch_value_and_grad(model, loss_fn):
    import torch

    # Plain eager autograd: torch.compile takes minutes to compile VGG19 on a
    # CPU for a few percent at best.
    def f(image, content_targets, style_grams):
        image = image.detach().requires_grad_(True)
        features = model(image, training=False)
        total, parts = loss_fn(features, image, content_targets, style_grams)
        (grad,) = torch.autograd.grad(total, image)
        return total.detach(), {k: v.detach() for k, v in parts.items()}, grad

    return f

"""Hand-written VGG forward passes for the Gatys step, per backend.

`vgg_feature_extractor` builds a plain chain: preprocessing, then 3x3
conv+ReLU layers and 2x2 poolings, listed by `features.vgg_sequence` from the
one VGG description. Each function here walks that chain once
and returns `forward(image, taps=None) -> features` (JAX: the weights as a
second argument), the same values as the Keras model computed with kernels or
gradients chosen for the step (benchmarks/README.md, "Why these code
paths"); or `None` when the model is anything else, and the Keras model is
used instead. The weights are read when the function is built.
"""

import keras

from keras_style.losses.vgg import vgg_sequence
from keras_style.optimize.pooling import max_pool_gradient, upsample
from keras_style.optimize.winograd import (
    flipped_kernel,
    jax_winograd_conv3x3_relu,
    winograd_kernel,
    xla_winograd_conv3x3,
)
from keras_style.utils.backend_config import tensorflow_uses_onednn

# 3x3 convolutions with at least this many input and output channels run as
# Winograd F(4x4, 3x3), per backend and on CPUs only: other devices keep the
# native convolution until it is measured there. Measured per layer shape of
# VGG19 (benchmarks/README.md, "Why these code paths"): TensorFlow's
# XLA-compiled Winograd beats its Eigen and XLA convolutions from 128
# channels, oneDNN's from 256; JAX's beats XLA's convolution from 256.
WINOGRAD_MIN_CHANNELS = {"tensorflow": 128, "tensorflow_onednn": 256, "jax": 256}
# F(4x4, 3x3) rather than F(2x2, 3x3): fewer multiplies and less transform
# traffic per output, measured faster at these widths on both backends.
WINOGRAD_OUTPUT_TILE = 4
# ... and only on feature maps from 32x32: at 16x16 it ties the native
# convolution and at 8x8 it is slower (TF, 128-512 channels), while every new
# shape costs an XLA compile of about 2 s. Unknown sizes use it.
WINOGRAD_MIN_SIDE = 32


def _winograd_min_channels(backend, on_cpu):
    """The channel count from which Winograd is used on this device, or None."""
    if backend == "tensorflow" and on_cpu and tensorflow_uses_onednn():
        backend = "tensorflow_onednn"
    return WINOGRAD_MIN_CHANNELS[backend] if on_cpu else None


def _use_winograd(kernel, min_channels):
    return min_channels is not None and min(kernel.shape[2:]) >= min_channels


def _large_enough_for_winograd(x):
    height, width = x.shape[1], x.shape[2]
    return height is None or width is None or min(height, width) >= WINOGRAD_MIN_SIDE


def vgg_chain(model):
    """`[(kind, layer, taps)]` of a `vgg_feature_extractor` model, or `None`.

    The steps of `features.vgg_sequence` (the VGG description, read by layer
    name), each with the tap names of `model`'s outputs it yields: `kind` is
    "preprocess", "conv" (3x3 "same" conv + bias + ReLU), "max_pool" or
    "avg_pool" (2x2, stride 2, "valid"). `None` for any other model, which
    then runs as it is.

    Example:

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> model = vgg_feature_extractor(["relu1_2"], weights=None)
    >>> [(kind, taps) for kind, _, taps in vgg_chain(model)]
    [('preprocess', ()), ('conv', ()), ('conv', ('relu1_2',))]
    """
    outputs = model.output
    if not isinstance(outputs, dict):
        return None
    try:
        steps = vgg_sequence(model)
    except ValueError:
        return None
    chain = [
        (step.kind, step.layer, (step.tap,) if step.tap in outputs else ())
        for step in steps
    ]
    if sum(len(taps) for _, _, taps in chain) != len(outputs):
        return None  # outputs other than the description's taps
    return chain


def tap_strides(model):
    """`{tap: stride}` for the taps of a `vgg_feature_extractor` model.

    One cell of a tap covers `stride x stride` input pixels: 2 per pooling
    before it, counted on the VGG description (`features.vgg_sequence`), not
    read from layer names.

    Example:

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> model = vgg_feature_extractor(["relu1_1", "relu3_1"], weights=None)
    >>> tap_strides(model)["relu3_1"]
    4
    """
    strides, stride = {}, 1
    for step in vgg_sequence(model):
        if step.kind in ("max_pool", "avg_pool"):
            stride *= 2
        elif step.tap is not None:
            strides[step.tap] = stride
    return strides


def backend_vgg_forward(model, dtype="float32"):
    """The hand-written pass of the current backend as `forward(images,
    taps=None) -> features`, or `None` where `model` is not the plain VGG
    chain (`vgg_chain`), and on JAX: there the weights would become
    constants of the jitted caller (a train step compiled in 19 s instead of
    10, for no measured gain), so JAX callers use `jax_vgg_forward` and pass
    the weights as jit arguments (`gradients.py`) or keep the Keras layers.

    `taps` limits the result to those taps and stops the pass after the
    deepest of them. Used by perceptual-loss training, whose loss network is
    frozen like the Gatys one.

    Example (on the TensorFlow or PyTorch backend):

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> model = vgg_feature_extractor(["relu1_2", "relu2_1"], weights=None)
    >>> forward = backend_vgg_forward(model)
    >>> sorted(forward(keras.random.uniform((2, 32, 32, 3)), taps=["relu1_2"]))
    ['relu1_2']
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return tensorflow_vgg_forward(model, dtype)
    if backend == "torch":
        return torch_vgg_forward(model, dtype)
    return None


def tensorflow_vgg_forward(model, dtype="float32"):
    """The VGG chain with faster input gradients, for TensorFlow on CPU.

    - `Conv2DBackpropInput` is slower than a forward `Conv2D` of the same
      size. For a stride-1 "same" 3x3 convolution the input gradient *is* a
      forward convolution of the output gradient with the kernel rotated by
      180 degrees and its channels swapped, so each conv+bias+ReLU gets that
      as a custom gradient (and no kernel gradient, which is never needed).
    - On CPU the wider convolutions (`WINOGRAD_MIN_CHANNELS`) run as
      Winograd F(4x4, 3x3) (`winograd.py`), forward and backward.
    - `MaxPoolGrad` is many times slower than the forward pool; a 2x2 pool's
      gradient is the output gradient repeated 2x2 and masked where the
      input equals its window's maximum.
    - With `dtype="bfloat16"` everything after the preprocessing runs in
      bfloat16 on oneDNN (AVX512-BF16, AMX); no Winograd: XLA's is float32.

    Example (on the TensorFlow backend):

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> model = vgg_feature_extractor(["relu2_1"], weights=None)
    >>> forward = tensorflow_vgg_forward(model)
    >>> tuple(forward(keras.random.uniform((1, 32, 32, 3)))["relu2_1"].shape)
    (1, 16, 16, 128)
    """
    import tensorflow as tf

    chain = vgg_chain(model)
    if chain is None:
        return None

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
    winograd_conv_relu = with_input_gradient(xla_winograd_conv3x3())

    def conv_or_winograd_relu(x, kernel, bias, flipped, u, u_flipped):
        if _large_enough_for_winograd(x):  # decided when traced
            return winograd_conv_relu(x, u, bias, u_flipped)
        return conv_relu(x, kernel, bias, flipped)

    @tf.custom_gradient
    def max_pool(x):
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
        return y, lambda dy: max_pool_gradient(x, y, dy)

    @tf.custom_gradient
    def avg_pool(x):
        return tf.nn.avg_pool2d(x, 2, 2, "VALID"), lambda dy: upsample(dy / 4, x)

    def native_conv_relu(x, kernel, bias):
        return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))

    low = dtype != "float32"
    on_cpu = not tf.config.list_logical_devices("GPU")
    min_channels = None if low else _winograd_min_channels("tensorflow", on_cpu)
    steps = []  # (function, extra arguments, tap names)
    for kind, layer, taps in chain:
        if kind == "conv":
            kernel = tf.cast(layer.kernel.value, dtype)
            bias = tf.cast(layer.bias.value, dtype)
        # conv1_1 (3 input channels) keeps its native gradient: measured faster.
        if kind == "conv" and layer.kernel.shape[2] < 16:
            steps.append((native_conv_relu, (kernel, bias), taps))
        elif kind == "conv":
            flipped = flipped_kernel(kernel)
            if _use_winograd(kernel, min_channels):
                u = winograd_kernel(kernel, WINOGRAD_OUTPUT_TILE)
                u_flipped = winograd_kernel(flipped, WINOGRAD_OUTPUT_TILE)
                arguments = (kernel, bias, flipped, u, u_flipped)
                steps.append((conv_or_winograd_relu, arguments, taps))
            else:
                steps.append((conv_relu, (kernel, bias, flipped), taps))
        elif kind == "max_pool":
            steps.append((max_pool, (), taps))
        elif kind == "avg_pool":
            steps.append((avg_pool, (), taps))
        else:  # preprocessing, in float32
            steps.append((layer, (), taps))
            steps.append((tf.cast, (dtype,), ()))
    return _run_steps(steps)


def torch_vgg_forward(model, dtype="float32"):
    """The VGG chain as `torch.nn.functional` calls on channels-last tensors.

    Keras' torch backend moves every layer's input to channels-first and its
    output back; here the image is viewed as NCHW once (NHWC memory, which
    PyTorch's CPU convolutions take as `channels_last` without a copy) and the
    taps are viewed back. With `dtype="bfloat16"` everything after the
    preprocessing runs in bfloat16 (oneDNN on CPUs with AVX512-BF16 / AMX).

    Example (on the PyTorch backend):

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> model = vgg_feature_extractor(["relu2_1"], weights=None)
    >>> forward = torch_vgg_forward(model)
    >>> tuple(forward(keras.random.uniform((1, 32, 32, 3)))["relu2_1"].shape)
    (1, 16, 16, 128)
    """
    import torch
    import torch.nn.functional as F

    chain = vgg_chain(model)
    if chain is None:
        return None

    def nchw(x):
        return x.permute(0, 3, 1, 2)

    def nhwc(x):
        return x.permute(0, 2, 3, 1)

    def conv_relu(x, kernel, bias):
        return F.relu(F.conv2d(x, kernel, bias, padding=1))

    to = getattr(torch, dtype)
    steps = []
    for kind, layer, taps in chain:
        if kind == "conv":
            # (3, 3, in, out) -> (out, in, 3, 3), stored channels-last like x.
            kernel = layer.kernel.value.detach().permute(3, 2, 0, 1).to(to)
            kernel = kernel.contiguous(memory_format=torch.channels_last)
            bias = layer.bias.value.detach().to(to)
            steps.append((conv_relu, (kernel, bias), taps))
        elif kind == "max_pool":
            steps.append((F.max_pool2d, (2,), taps))
        elif kind == "avg_pool":
            steps.append((F.avg_pool2d, (2,), taps))
        else:  # preprocessing, in float32
            steps.append((lambda x, layer=layer: nchw(layer(x)).to(to), (), taps))
    return _run_steps(steps, output=nhwc)


def jax_vgg_forward(model, dtype="float32"):
    """The VGG chain with Winograd convolutions from 256 channels and a cheap
    2x2 max-pool gradient, for JAX.

    - Winograd (`winograd.py`, on CPU): cheaper than XLA's convolution from
      256 channels when the kernel transform is done once here (inside the
      step it costs more than the convolution). Its input gradient is a
      Winograd convolution too, with the flipped kernel's transform.
    - XLA's CPU gradient of a max pool (select-and-scatter) is many times
      slower than its forward pass; the output gradient repeated 2x2 and
      masked where the input equals its window's maximum is not.
    - `dtype="bfloat16"`: all after the preprocessing in bfloat16, no Winograd
      (for accelerators: XLA's CPU convolutions compute it in float32).

    Returns `(forward, weights)`, `forward(image, weights, taps=None) ->
    features` (`taps` as in `backend_vgg_forward`), so that the weights can
    be jit arguments rather than 80 MB of constants folded at every compile;
    or `None`.

    Example (on the JAX backend):

    >>> from keras_style.losses.vgg import vgg_feature_extractor
    >>> model = vgg_feature_extractor(["relu2_1"], weights=None)
    >>> forward, weights = jax_vgg_forward(model)
    >>> tuple(forward(keras.random.uniform((1, 32, 32, 3)), weights)["relu2_1"].shape)
    (1, 16, 16, 128)
    """
    import jax
    import jax.numpy as jnp
    from jax import lax

    chain = vgg_chain(model)
    if chain is None:
        return None
    window = ((1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def conv_relu(x, kernel, bias):
        dimensions = ("NHWC", "HWIO", "NHWC")
        y = lax.conv_general_dilated(
            x, kernel, (1, 1), "SAME", dimension_numbers=dimensions
        )
        return jax.nn.relu(y + bias)

    winograd_relu = jax_winograd_conv3x3_relu()

    def conv_or_winograd_relu(x, kernel, bias, u, u_flipped):
        if _large_enough_for_winograd(x):  # decided when traced
            return winograd_relu(x, bias, u, u_flipped)
        return conv_relu(x, kernel, bias)

    @jax.custom_vjp
    def max_pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, *window)

    def max_pool_forward(x):
        y = max_pool(x)
        return y, (x, y)

    def max_pool_backward(residuals, dy):
        return (max_pool_gradient(*residuals, dy),)

    max_pool.defvjp(max_pool_forward, max_pool_backward)

    def avg_pool(x):
        return lax.reduce_window(x, 0.0, lax.add, *window) / 4

    low = dtype != "float32"
    on_cpu = jax.default_backend() == "cpu"
    min_channels = None if low else _winograd_min_channels("jax", on_cpu)
    weights = []
    steps = []  # (function, indices of its weights, tap names)
    for kind, layer, taps in chain:
        if kind == "conv":
            kernel = jnp.asarray(layer.kernel.value, dtype)
            bias = jnp.asarray(layer.bias.value, dtype)
            layer_weights = [kernel, bias]
            function = conv_relu
            if _use_winograd(kernel, min_channels):
                function = conv_or_winograd_relu
                for k in (kernel, flipped_kernel(kernel)):
                    layer_weights.append(winograd_kernel(k, WINOGRAD_OUTPUT_TILE))
            indices = tuple(range(len(weights), len(weights) + len(layer_weights)))
            steps.append((function, indices, taps))
            weights += layer_weights
        elif kind in ("max_pool", "avg_pool"):
            function = {"max_pool": max_pool, "avg_pool": avg_pool}[kind]
            steps.append((function, (), taps))
        else:  # preprocessing, in float32
            steps.append((lambda x, layer=layer: layer(x).astype(dtype), (), taps))

    def forward(image, weights, taps=None):
        return _run_steps(
            [
                (f, tuple(weights[i] for i in indices), step_taps)
                for f, indices, step_taps in steps
            ]
        )(image, taps)

    return forward, weights


def _run_steps(steps, output=lambda x: x):
    def forward(x, taps=None):
        """All taps, or only `taps`, stopping after the deepest of them."""
        wanted = None if taps is None else set(taps)
        features = {}
        for function, arguments, step_taps in steps:
            x = function(x, *arguments)
            for tap in step_taps:
                features[tap] = output(x)
            if wanted is not None and wanted <= features.keys():
                break
        return features if taps is None else {tap: features[tap] for tap in taps}

    return forward

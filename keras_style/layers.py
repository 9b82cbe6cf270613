"""Building blocks of the feed-forward style network (Johnson et al. 2016).

Reflection padding, instance normalisation, nearest-upsample + convolution and
the residual block. All layers are registered, serializable, and run on every
Keras backend.
"""

import keras
from keras import ops

_register = keras.saving.register_keras_serializable(package="keras_style")


def pad_to_multiple(x, multiple, min_size, network):
    """Reflection-pads `x` (NHWC) so height and width are multiples of `multiple`.

    The style networks have `log2(multiple)` stride-2 stages; padding first
    lets their output be cropped back to exactly the input size (odd sizes
    round-trip). Raises when a static side is below `min_size` (reflection
    cannot mirror more pixels than an image has).

    Returns:
        `(padded x, height, width)`; crop the output with `crop_to(y, height,
        width)`.
    """
    shape = ops.shape(x)
    height, width = shape[1], shape[2]
    if any(isinstance(n, int) and n < min_size for n in (height, width)):
        raise ValueError(
            f"{network} needs images of at least {min_size}x{min_size} pixels. "
            f"Received: inputs with shape {tuple(x.shape)}"
        )
    # `(m - n % m) % m`, not `(-n) % m`: tf2onnx turns a floor-mod of a
    # negative symbolic size into a truncating one (wrong ONNX padding).
    pad_h = (multiple - height % multiple) % multiple
    pad_w = (multiple - width % multiple) % multiple
    if isinstance(pad_h, int) and isinstance(pad_w, int) and pad_h == pad_w == 0:
        return x, height, width
    x = ops.pad(x, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="reflect")
    if not isinstance(pad_h, int) or not isinstance(pad_w, int):
        # Symbolic sizes (export with dynamic height and width): padding by
        # computed widths forgets the channel count, and LiteRT's built-in
        # convolutions need it.
        x = ops.reshape(x, (-1, height + pad_h, width + pad_w, shape[3]))
    return x, height, width


def crop_to(x, height, width):
    """`x[:, :height, :width]` unless it already has that static size."""
    static = isinstance(height, int) and isinstance(width, int)
    if static and tuple(x.shape[1:3]) == (height, width):
        return x
    return x[:, :height, :width, :]


def _spatial(size, axis_size):
    return None if axis_size is None else axis_size + 2 * size


@_register
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the border (no edge repetition).

    Reflection padding avoids the dark frame zero padding leaves around
    stylized images.

    Args:
        padding: int, pixels added on each side of both spatial axes.

    Example:

    >>> ReflectionPadding2D(2)(np.zeros((1, 5, 5, 3), "float32")).shape
    (1, 9, 9, 3)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(
                f"`padding` must be a non-negative int. Received: padding={padding!r}"
            )
        self.padding = padding

    def call(self, inputs):
        if self.padding == 0:
            return inputs
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        # Needed for symbolic builds with unknown spatial size (JAX).
        b, h, w, c = input_shape
        return (b, _spatial(self.padding, h), _spatial(self.padding, w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@_register
class InstanceNormalization(keras.layers.Layer):
    """Normalises each channel of each image over height and width.

    Ulyanov et al., "Instance Normalization: The Missing Ingredient for Fast
    Stylization" (2016). Uses the biased variance and a learned per-channel
    scale (`gamma`) and offset (`beta`); statistics are computed in float32 so
    the layer is stable under mixed precision. Numerically the same as
    `keras.layers.GroupNormalization(groups=-1)` (tests/test_layers.py), kept
    because that layer was slower on JAX (benchmarks/README.md) and does not
    keep float32 statistics.

    Args:
        epsilon: added to the variance (1e-5 in PyTorch, 1e-3 upstream
            lengstrom).

    Example:

    >>> InstanceNormalization()(np.ones((2, 4, 4, 3), "float32")).shape
    (2, 4, 4, 3)
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(
            name="gamma", shape=(channels,), initializer="ones"
        )
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        x = (x - mean) * ops.rsqrt(variance + self.epsilon)
        x = x * ops.cast(self.gamma, "float32") + ops.cast(self.beta, "float32")
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@_register
class PaddedConv2D(keras.layers.Layer):
    """A convolution that keeps `ceil(size / strides)` with the chosen padding.

    Args:
        filters: output channels.
        kernel_size: int, square kernel.
        strides: int.
        padding: `"reflect"` (ReflectionPadding2D then a valid convolution,
            pytorch/examples) or `"zero"` (TensorFlow "SAME" zero padding,
            lengstrom/fast-style-transfer).
        use_bias: whether the convolution has a bias.
        kernel_initializer: initializer of the kernel.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="reflect",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if padding not in ("reflect", "zero"):
            raise ValueError(
                f"`padding` must be 'reflect' or 'zero'. Received: padding={padding!r}"
            )
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.pad = (
            ReflectionPadding2D(kernel_size // 2, dtype=self.dtype_policy, name="pad")
            if padding == "reflect"
            else None
        )
        self.conv = keras.layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="valid" if padding == "reflect" else "same",
            use_bias=use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="conv",
        )

    def build(self, input_shape):
        if self.pad is not None:
            self.pad.build(input_shape)
            input_shape = self.pad.compute_output_shape(input_shape)
        self.conv.build(input_shape)

    def call(self, inputs):
        x = self.pad(inputs) if self.pad is not None else inputs
        return self.conv(x)

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape

        def out(n):
            return None if n is None else -(-n // self.strides)

        return (b, out(h), out(w), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@_register
class UpsampleConv2D(keras.layers.Layer):
    """Doubles height and width: nearest-neighbour upsampling then a convolution.

    Odena et al., "Deconvolution and Checkerboard Artifacts" (2016): resizing
    before convolving avoids the checkerboard pattern of strided transposed
    convolutions. `mode="transpose"` gives the transposed convolution of the
    original Johnson / lengstrom networks instead.

    Args:
        filters: output channels.
        kernel_size: int, square kernel (3 in the papers).
        mode: `"nearest"` or `"transpose"`.
        padding: `"reflect"` or `"zero"` (for `"nearest"`).
        use_bias: whether the convolution has a bias.

    Example:

    >>> UpsampleConv2D(8)(np.zeros((1, 5, 7, 4), "float32")).shape
    (1, 10, 14, 8)
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        mode="nearest",
        padding="reflect",
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mode not in ("nearest", "transpose"):
            raise ValueError(
                f"`mode` must be 'nearest' or 'transpose'. Received: mode={mode!r}"
            )
        self.filters = filters
        self.kernel_size = kernel_size
        self.mode = mode
        self.padding = padding
        self.use_bias = use_bias
        if mode == "nearest":
            self.upsample = keras.layers.UpSampling2D(
                2, interpolation="nearest", dtype=self.dtype_policy, name="upsample"
            )
            self.conv = PaddedConv2D(
                filters,
                kernel_size,
                padding=padding,
                use_bias=use_bias,
                dtype=self.dtype_policy,
                name="conv",
            )
        else:
            self.upsample = None
            self.conv = keras.layers.Conv2DTranspose(
                filters,
                kernel_size,
                strides=2,
                padding="same",
                use_bias=use_bias,
                dtype=self.dtype_policy,
                name="conv",
            )

    def build(self, input_shape):
        if self.upsample is not None:
            b, h, w, c = input_shape
            self.conv.build(
                (b, None if h is None else 2 * h, None if w is None else 2 * w, c)
            )
        else:
            self.conv.build(input_shape)

    def call(self, inputs):
        if self.upsample is None:
            return self.conv(inputs)
        # The four small convolutions and their interleave pay off in
        # float32; in bfloat16, one convolution of the upsampled image runs
        # faster on oneDNN's native kernels (benchmarks/README.md).
        if self.kernel_size == 3 and self.compute_dtype != "bfloat16":
            return self._subpixel_call(inputs)
        return self.conv(self.upsample(inputs))

    def _subpixel_call(self, inputs):
        """Nearest 2x upsampling + 3x3 conv, computed at the input resolution.

        Each of the four output phases `(a, b)` (pixel `2i + a, 2j + b`) of
        the upsampled convolution sees only a 2x2 window of the original
        image, with the 3x3 kernel's taps summed accordingly. Four 2x2
        convolutions and an interleave give the same result (same weights)
        with 16 instead of 36 multiply-adds per input pixel and channel pair,
        and no 4x larger upsampled tensor (fix for the slow up-convolutions
        measured on CPU, forward and backward). Reflection padding of the
        upsampled image equals edge padding of the original by one pixel.
        """
        conv = self.conv.conv
        x = ops.cast(inputs, self.compute_dtype)
        if self.padding == "reflect":
            x = ops.concatenate([x[:, :1], x, x[:, -1:]], axis=1)
            x = ops.concatenate([x[:, :, :1], x, x[:, :, -1:]], axis=2)
        else:
            x = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        k = ops.cast(conv.kernel, self.compute_dtype)
        # Row (then column) taps seen by phase 0: [k0, k1 + k2]; phase 1:
        # [k0 + k1, k2].
        rows = (
            ops.stack([k[0], k[1] + k[2]]),
            ops.stack([k[0] + k[1], k[2]]),
        )
        phases = []
        for a, kr in enumerate(rows):
            xa = x[:, 1:] if a else x[:, :-1]
            cols = (
                ops.stack([kr[:, 0], kr[:, 1] + kr[:, 2]], axis=1),
                ops.stack([kr[:, 0] + kr[:, 1], kr[:, 2]], axis=1),
            )
            row = [
                ops.conv(xa[:, :, 1:] if b else xa[:, :, :-1], kab, padding="valid")
                for b, kab in enumerate(cols)
            ]
            phases.append(row)
        shape = ops.shape(phases[0][0])
        batch, height, width = shape[0], shape[1], shape[2]
        out = ops.stack(
            [
                ops.reshape(ops.stack(row, axis=3), (batch, height, 2 * width, -1))
                for row in phases
            ],
            axis=2,
        )
        out = ops.reshape(out, (batch, 2 * height, 2 * width, self.filters))
        if conv.use_bias:
            out = out + ops.cast(conv.bias, self.compute_dtype)
        return out

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        return (
            b,
            None if h is None else 2 * h,
            None if w is None else 2 * w,
            self.filters,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mode": self.mode,
            "padding": self.padding,
            "use_bias": self.use_bias,
        }


@_register
class ResidualBlock(keras.layers.Layer):
    """`x + norm(conv(relu(norm(conv(x)))))` with 3x3 convolutions.

    He et al. (2016) residual block as adapted by Johnson et al. (2016):
    no ReLU after the addition, channel count unchanged.

    Args:
        filters: channels of the input and both convolutions.
        padding: `"reflect"` or `"zero"`.
        use_bias: whether the convolutions have biases.
        epsilon: instance-norm epsilon.

    Example:

    >>> ResidualBlock(4)(np.zeros((1, 6, 6, 4), "float32")).shape
    (1, 6, 6, 4)
    """

    def __init__(
        self, filters, padding="reflect", use_bias=True, epsilon=1e-5, **kwargs
    ):
        super().__init__(**kwargs)
        self.filters = filters
        self.padding = padding
        self.use_bias = use_bias
        self.epsilon = epsilon
        common = dict(padding=padding, use_bias=use_bias, dtype=self.dtype_policy)
        self.conv1 = PaddedConv2D(filters, 3, name="conv1", **common)
        self.norm1 = InstanceNormalization(
            epsilon, dtype=self.dtype_policy, name="norm1"
        )
        self.conv2 = PaddedConv2D(filters, 3, name="conv2", **common)
        self.norm2 = InstanceNormalization(
            epsilon, dtype=self.dtype_policy, name="norm2"
        )

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"ResidualBlock({self.filters}) needs inputs with {self.filters} "
                f"channels. Received: input_shape={input_shape}"
            )
        for layer in (self.conv1, self.norm1, self.conv2, self.norm2):
            layer.build(input_shape)

    def call(self, inputs):
        x = ops.relu(self.norm1(self.conv1(inputs)))
        return inputs + self.norm2(self.conv2(x))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "epsilon": self.epsilon,
        }


@_register
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Instance normalisation whose scale and shift are given per image.

    Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style"
    (ICLR 2017); Ghiasi et al., "Exploring the structure of a real-time,
    arbitrary neural artistic stylization network" (BMVC 2017). The layer
    holds no weights: the caller computes `scale` and `shift` from what sets
    the style (a row of a per-style table, or a painting's embedding), so the
    multi-style and arbitrary-style networks share it. Statistics are
    computed in float32, as in `InstanceNormalization`.

    Args:
        epsilon: added to the (biased) variance; 1e-5 in Magenta's networks.

    Call arguments:
        inputs: `(N, H, W, C)` features.
        scale, shift: `(N, C)` or `(1, C)` (broadcast over the batch).

    Example:

    >>> norm = ConditionalInstanceNormalization()
    >>> norm(np.ones((2, 4, 4, 3), "float32"), np.ones((1, 3)), np.zeros((1, 3))).shape
    (2, 4, 4, 3)
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs, scale, shift):
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        channels = ops.shape(x)[-1]
        scale = ops.reshape(ops.cast(scale, "float32"), (-1, 1, 1, channels))
        shift = ops.reshape(ops.cast(shift, "float32"), (-1, 1, 1, channels))
        x = (x - mean) * (ops.rsqrt(variance + self.epsilon) * scale) + shift
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape, scale_shape=None, shift_shape=None):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

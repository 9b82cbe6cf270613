"""Convolutions of the style networks: reflection-padded, and nearest-upsample
then convolve (no checkerboard artefacts)."""

import keras
from keras import ops

from keras_style.layers.padding import ReflectionPadding2D

_register = keras.saving.register_keras_serializable(package="keras_style")


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
            # Built although the sub-pixel path never calls it: Keras
            # re-traces a model with an unbuilt layer on every
            # `train_on_batch` and `predict_on_batch` to build it.
            self.upsample.build(input_shape)
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

"""`TransformNet`: the feed-forward style network of Johnson et al. (2016).

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016). One network per style; stylizes any photo in a
single forward pass.
"""

import functools

import keras
from keras import ops

from keras_style.layers import (
    MIN_SIZE,
    InstanceNormalization,
    PaddedConv2D,
    ResidualBlock,
    UpsampleConv2D,
    crop_to,
    pad_to_multiple,
)
from keras_style.models.perceptual_mixin import PerceptualTrainingMixin
from keras_style.presets.preset_mixin import PresetMixin
from keras_style.utils.checks import check_int

# Smallest height/width: the residual blocks' reflection padding needs 2 pixels
# at 1/4 resolution.


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}"
        )
    return value


@keras.saving.register_keras_serializable(package="keras_style")
class TransformNet(PerceptualTrainingMixin, PresetMixin, keras.Model):
    """Image transformation network for fast neural style transfer.

    9x9 conv (32) → 3x3/2 conv (64) → 3x3/2 conv (128) → residual blocks →
    two 2x upsamplings (64, 32) → 9x9 conv (3), every convolution followed by
    instance normalisation (Ulyanov et al. 2016) and ReLU except the last.

    Input: RGB floats in 0..255, any height and width (padded internally to a
    multiple of 4 and cropped back, so the output has exactly the input's
    size). Output: RGB floats, roughly 0..255 (float32 under mixed precision).

    Args:
        filters: channels of the three downsampling convolutions.
        residual_blocks: number of residual blocks (5 in the paper; 1 is a
            known lightweight variant).
        upsampling: `"nearest"` (resize + conv, pytorch/examples) or
            `"transpose"` (transposed convolution, Johnson / lengstrom).
        padding: `"reflect"` (pytorch/examples) or `"zero"` (lengstrom).
        use_bias: whether convolutions have biases (lengstrom has none).
        norm_epsilon: instance-norm epsilon (1e-5 PyTorch, 1e-3 lengstrom).
        output_activation: `"tanh"` (`tanh(x) * 150 + 127.5`, lengstrom) or
            `"linear"` (clipped to 0..255 at inference, pytorch/examples).
        output_norm: instance-normalise the last convolution too (lengstrom).

    Training: `compile(style_image=...)` then `fit(content_images)`; the
    perceptual-loss code lives in `keras_style.training.perceptual` and is only imported
    then, so inference never loads a VGG.

    Example:

    >>> net = TransformNet(residual_blocks=1)
    >>> net(np.zeros((1, 30, 45, 3), "float32")).shape
    (1, 30, 45, 3)

    Training on a folder of photos (Johnson et al. defaults):

    >>> net = TransformNet()
    >>> net.compile(style_image="wave.jpg")
    >>> net.fit(keras_style.image_dataset("train2014/"), steps_per_epoch=1000,
    ...         epochs=40)
    """

    def __init__(
        self,
        filters=(32, 64, 128),
        residual_blocks=5,
        upsampling="nearest",
        padding="reflect",
        use_bias=True,
        norm_epsilon=1e-5,
        output_activation="linear",
        output_norm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(filters, (list, tuple)) or len(filters) != 3:
            raise ValueError(
                "`filters` must be three positive integers. "
                f"Received: filters={filters!r}"
            )
        filters = tuple(check_int(f, f"filters[{i}]") for i, f in enumerate(filters))
        residual_blocks = check_int(residual_blocks, "residual_blocks", minimum=0)
        self.filters = filters
        self.residual_blocks = residual_blocks
        self.upsampling = _check_choice(
            upsampling, "upsampling", ("nearest", "transpose")
        )
        self.padding = _check_choice(padding, "padding", ("reflect", "zero"))
        self.use_bias = bool(use_bias)
        self.norm_epsilon = float(norm_epsilon)
        self.output_activation = _check_choice(
            output_activation, "output_activation", ("tanh", "linear")
        )
        self.output_norm = bool(output_norm)

        f1, f2, f3 = filters
        policy = self.dtype_policy
        conv = dict(padding=padding, use_bias=use_bias, dtype=policy)
        norm = dict(epsilon=norm_epsilon, dtype=policy)
        self.down_layers = [
            (
                PaddedConv2D(f1, 9, 1, name="conv1", **conv),
                InstanceNormalization(name="norm1", **norm),
            ),
            (
                PaddedConv2D(f2, 3, 2, name="conv2", **conv),
                InstanceNormalization(name="norm2", **norm),
            ),
            (
                PaddedConv2D(f3, 3, 2, name="conv3", **conv),
                InstanceNormalization(name="norm3", **norm),
            ),
        ]
        self.res_layers = [
            ResidualBlock(
                f3,
                padding=padding,
                use_bias=use_bias,
                epsilon=norm_epsilon,
                dtype=policy,
                name=f"res{i + 1}",
            )
            for i in range(residual_blocks)
        ]
        up = dict(mode=upsampling, padding=padding, use_bias=use_bias, dtype=policy)
        self.up_layers = [
            (
                UpsampleConv2D(f2, 3, name="up1", **up),
                InstanceNormalization(name="up_norm1", **norm),
            ),
            (
                UpsampleConv2D(f1, 3, name="up2", **up),
                InstanceNormalization(name="up_norm2", **norm),
            ),
        ]
        self.conv_out = PaddedConv2D(3, 9, 1, name="conv_out", **conv)
        self.norm_out = (
            InstanceNormalization(name="norm_out", **norm) if output_norm else None
        )

    def build(self, input_shape=None):
        # Spatial size is irrelevant to the weights; build on a symbolic shape.
        shape = (None, None, None, 3)
        for conv, norm in self.down_layers:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)
        for block in self.res_layers:
            block.build(shape)
        for conv, norm in self.up_layers:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)
        self.conv_out.build(shape)
        if self.norm_out is not None:
            self.norm_out.build(self.conv_out.compute_output_shape(shape))
        self.built = True

    def call(self, inputs, training=False):
        x = ops.cast(inputs, self.compute_dtype)
        # Two stride-2 stages: a multiple of 4 crops back to the input size.
        x, height, width = pad_to_multiple(x, 4, MIN_SIZE, "TransformNet")
        for conv, norm in self.down_layers:
            x = ops.relu(norm(conv(x)))
        for block in self.res_layers:
            x = block(x)
        for conv, norm in self.up_layers:
            x = ops.relu(norm(conv(x)))
        x = self.conv_out(x)
        if self.norm_out is not None:
            x = self.norm_out(x)
        x = ops.cast(x, "float32")
        if self.output_activation == "tanh":
            x = ops.tanh(x) * 150.0 + 127.5
        elif not training:
            x = ops.clip(x, 0.0, 255.0)
        return crop_to(x, height, width)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=list(self.filters),
            residual_blocks=self.residual_blocks,
            upsampling=self.upsampling,
            padding=self.padding,
            use_bias=self.use_bias,
            norm_epsilon=self.norm_epsilon,
            output_activation=self.output_activation,
            output_norm=self.output_norm,
        )
        return config

    def backend_forward(self):
        """A faster inference pass for the current backend, or `None`.

        On PyTorch in float32: the same layers as `torch.nn.functional` calls
        on channels-last tensors (`transform_net_torch.py`), which skips the
        layout copies Keras' torch backend makes around every layer. Used by
        `Stylizer`; returns a function of an `(N, H, W, 3)` float32 batch.
        """
        if keras.backend.backend() != "torch" or self.compute_dtype != "float32":
            return None
        from keras_style.models.transform_net_torch import transform_net_forward

        return functools.partial(transform_net_forward, self)

    # --- export -----------------------------------------------------------

    def export(
        self,
        filepath,
        format=None,
        *,
        precision="float32",
        input_size=None,
        metadata=None,
        overwrite=False,
    ):
        """Exports the network to a SavedModel, ONNX or LiteRT file.

        Overrides `keras.Model.export` with the formats a style network is
        deployed in. The exported graph takes one input, `image`: RGB,
        float32 in 0..255, NHWC, any batch, and any height and width of at
        least 8 pixels (or exactly `input_size`); its output is the stylized
        image, same shape and range. TensorFlow writes every format (Keras'
        own exporters); under JAX or PyTorch the same weights are exported
        by a TensorFlow subprocess. A JSON sidecar `filepath + ".json"`
        describes the file (style, licence, contract, precision).

        Args:
            filepath: a `.onnx` or `.tflite` file, or a SavedModel directory.
            format: `"saved_model"`, `"onnx"` or `"litert"`; guessed from the
                suffix of `filepath` when `None`.
            precision: `"float32"`; `"float16"` or `"int8"` weights for ONNX
                and LiteRT (smaller files, small differences).
            input_size: `None` (dynamic height and width) or
                `(height, width)`.
            metadata: preset metadata for the sidecar (style name, licence,
                attribution); `from_preset` networks should pass theirs.
            overwrite: replace an existing file (refused otherwise).

        Returns:
            The exported path as a `pathlib.Path`.

        Example:

        >>> net = TransformNet.from_preset("wave")
        >>> net.export("wave.onnx", format="onnx")
        PosixPath('wave.onnx')
        >>> keras_style.export.load_exported("wave.onnx")(photo[None]).shape
        (1, 300, 451, 3)

        The runtimes are an optional extra: `pip install "keras-style[export]"`.
        """
        from keras_style.export import export_network  # above the model

        return export_network(
            self,
            filepath,
            format,
            precision=precision,
            input_size=input_size,
            metadata=metadata,
            overwrite=overwrite,
        )

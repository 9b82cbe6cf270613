"""`MultiStyleNet`: one network, many styles (Dumoulin et al. 2017)."""

import keras
import numpy as np
from keras import ops

from keras_style.layers import (
    MIN_SIZE,
    ConditionalInstanceNormalization,
    PaddedConv2D,
    UpsampleConv2D,
    crop_to,
    pad_to_multiple,
)
from keras_style.models.multi_style.style_table import StyleTable
from keras_style.presets.preset_mixin import PresetMixin
from keras_style.utils.checks import check_int

# Smallest height/width: reflection padding at 1/4 resolution needs 2 pixels.


def _filters(value, name, count):
    if not isinstance(value, (list, tuple)) or len(value) != count:
        raise ValueError(
            f"`{name}` must be {count} positive integers. Received: {name}={value!r}"
        )
    return tuple(check_int(f, f"{name}[{i}]") for i, f in enumerate(value))


@keras.saving.register_keras_serializable(package="keras_style")
class MultiStyleNet(PresetMixin, keras.Model):
    """A style network for many styles, with conditional instance norm.

    Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style"
    (ICLR 2017). The Johnson et al. architecture without biases (9x9 conv,
    two 3x3 stride-2 convs, residual blocks, two nearest 2x upsamplings with
    3x3 convs, a 9x9 conv to RGB and a sigmoid, reflection padding), where
    every instance normalisation takes its scale and shift from a
    `StyleTable` row per style. The defaults are the 26-style network of the
    TensorFlow Android demo (`zoo.load("magenta26")`).

    Inputs: `[photos, style_weights]`: RGB floats in 0..255, any height and
    width of at least `MIN_SIZE` (padded to a multiple of 4 internally and
    cropped back), and `(N, styles)` or `(1, styles)` weights (a one-hot row
    picks a style, other rows blend styles). Output: RGB in 0..255.

    Args:
        num_styles: styles of the base table.
        filters: channels of the three contracting convolutions.
        expand_filters: channels of the two upsampling convolutions.
        residual_blocks: number of residual blocks.
        norm_epsilon: epsilon of the normalisations.
        extra_styles: styles added after the base (see `add_style`).

    Example:

    >>> net = MultiStyleNet()
    >>> net([np.zeros((1, 30, 45, 3), "float32"), np.eye(26)[[7]]]).shape
    (1, 30, 45, 3)
    """

    def __init__(
        self,
        num_styles=26,
        filters=(32, 32, 32),
        expand_filters=(8, 4),
        residual_blocks=6,
        norm_epsilon=1e-5,
        extra_styles=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_styles = check_int(num_styles, "num_styles")
        self.filters = _filters(filters, "filters", 3)
        self.expand_filters = _filters(expand_filters, "expand_filters", 2)
        self.residual_blocks = check_int(residual_blocks, "residual_blocks", minimum=0)
        self.norm_epsilon = float(norm_epsilon)
        self.extra_styles = check_int(extra_styles, "extra_styles", minimum=0)
        f1, f2, f3 = self.filters
        e1, e2 = self.expand_filters
        policy = self.dtype_policy
        conv = dict(use_bias=False, dtype=policy)
        self.convs = [
            PaddedConv2D(f1, 9, 1, name="contract1", **conv),
            PaddedConv2D(f2, 3, 2, name="contract2", **conv),
            PaddedConv2D(f3, 3, 2, name="contract3", **conv),
        ]
        for i in range(self.residual_blocks):
            self.convs += [
                PaddedConv2D(f3, 3, name=f"residual{i + 1}_conv1", **conv),
                PaddedConv2D(f3, 3, name=f"residual{i + 1}_conv2", **conv),
            ]
        self.convs += [
            UpsampleConv2D(e1, 3, name="expand1", **conv),
            UpsampleConv2D(e2, 3, name="expand2", **conv),
            PaddedConv2D(3, 9, name="expand3", **conv),
        ]
        self.norms = [
            (
                ConditionalInstanceNormalization(
                    self.norm_epsilon, dtype=policy, name=f"norm{i}"
                ),
                StyleTable(
                    self.num_styles,
                    conv.filters,
                    self.extra_styles,
                    dtype=policy,
                    name=f"norm{i}_styles",
                ),
            )
            for i, conv in enumerate(self.convs)
        ]

    @property
    def total_styles(self):
        """Base styles plus added ones: the length of a style-weights row."""
        return self.num_styles + self.extra_styles

    @property
    def condition_size(self):
        """Length of the style vector (style weights) the network takes."""
        return self.total_styles

    @property
    def style_tables(self):
        return [table for _, table in self.norms]

    def build(self, input_shape=None):
        shape = (None, None, None, 3)
        for conv, (_, table) in zip(self.convs, self.norms):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            table.build()
        self.built = True

    def _normalize(self, index, x, weights):
        norm, table = self.norms[index]
        scale, shift = table(weights)
        return norm(x, scale, shift)

    def call(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "MultiStyleNet takes `[photos, style_weights]`. "
                f"Received: inputs of type {type(inputs).__name__}"
            )
        images, weights = inputs
        x = ops.cast(images, self.compute_dtype) / 255.0
        # Two stride-2 stages: a multiple of 4 crops back to the input size.
        x, height, width = pad_to_multiple(x, 4, MIN_SIZE, "MultiStyleNet")
        for i in range(3):
            x = ops.relu(self._normalize(i, self.convs[i](x), weights))
        index = 3
        for _ in range(self.residual_blocks):
            y = ops.relu(self._normalize(index, self.convs[index](x), weights))
            x = x + self._normalize(index + 1, self.convs[index + 1](y), weights)
            index += 2
        for _ in range(2):
            x = ops.relu(self._normalize(index, self.convs[index](x), weights))
            index += 1
        x = self._normalize(index, self.convs[index](x), weights)
        x = ops.sigmoid(ops.cast(x, "float32")) * 255.0
        return crop_to(x, height, width)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (3,)

    def get_config(self):
        return {
            **super().get_config(),
            "num_styles": self.num_styles,
            "filters": list(self.filters),
            "expand_filters": list(self.expand_filters),
            "residual_blocks": self.residual_blocks,
            "norm_epsilon": self.norm_epsilon,
            "extra_styles": self.extra_styles,
        }

    # --- a new style ------------------------------------------------------

    def add_style(self):
        """A copy of this network with room for one more style, to train.

        Dumoulin et al.'s way to learn a style fast: every convolution and
        every existing style stay frozen, and only the new style's scale and
        shift (one row per normalisation, about 0.2% of the weights of the
        26-style network) are trainable. The new row starts as the mean of the
        existing styles. Styles added before are folded into the frozen base.

        Returns:
            `(network, index)`: the new `MultiStyleNet` (this one is not
            changed) and the new style's index.

        Example:

        >>> net, index = MultiStyleNet.from_preset("magenta26").add_style()
        >>> trainer = net.fixed_style(index)   # photo in, photo out
        >>> trainer.compile(style_image="painting.jpg")
        >>> trainer.fit(keras_style.image_dataset("photos/"), epochs=1)
        """
        config = {
            **self.get_config(),
            "num_styles": self.total_styles,
            "extra_styles": 1,
            "name": f"{self.name}_plus_one",
        }
        net = type(self).from_config(config)
        net.build()
        for new, old in zip(net.convs, self.convs):
            new.set_weights(old.get_weights())
            new.trainable = False
        for new, old in zip(net.style_tables, self.style_tables):
            rows = [np.asarray(ops.convert_to_numpy(w)) for w in old.weights]
            gamma = np.concatenate(rows[0::2]) if old.extra_styles else rows[0]
            beta = np.concatenate(rows[1::2]) if old.extra_styles else rows[1]
            new.set_weights(
                [gamma, beta, gamma.mean(0, keepdims=True), beta.mean(0, keepdims=True)]
            )
            new.gamma.trainable = False
            new.beta.trainable = False
        return net, self.total_styles

    def export(self, filepath, format=None, **kwargs):
        """Exports every style: the file takes `image` and `style_weights`
        (one row of `total_styles` weights per image), for apps that offer
        them all. `fixed_style(i).export(...)` builds one style in instead.
        Arguments as `TransformNet.export`.

        Example:

        >>> MultiStyleNet.from_preset("magenta26").export("magenta26.onnx")
        >>> keras_style.export.load_exported("magenta26.onnx")(photos, np.eye(26)[[7]])
        """
        from keras_style.export import export_network  # above the model

        return export_network(self, filepath, format, **kwargs)

    def fixed_style(self, style):
        """This network with one style built in: photo in, photo out.

        A `FixedStyleNetwork` sharing this network's weights (training it
        trains this network's trainable variables, e.g. after `add_style`).

        Args:
            style: a style index, or one weight per style.
        """
        from keras_style.models.fixed_style_network import FixedStyleNetwork

        weights = np.zeros((1, self.total_styles), np.float32)
        if isinstance(style, (int, np.integer)) and not isinstance(style, bool):
            if not 0 <= style < self.total_styles:
                raise ValueError(
                    f"Style index out of range: this network has "
                    f"{self.total_styles} styles. Received: style={style}"
                )
            weights[0, style] = 1.0
        else:
            weights[0] = np.asarray(style, np.float32)
        fixed = FixedStyleNetwork(self, name="fixed_style_network")
        fixed.build()
        fixed.style.assign(weights)
        return fixed

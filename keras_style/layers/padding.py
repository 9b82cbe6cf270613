"""Reflection padding, and padding a photo to the stride of a style network and
cropping the result back, shared by the three network families."""

import keras
from keras import ops

from keras_style.defaults import MIN_PHOTO_SIDE as MIN_SIZE  # noqa: F401 (public)
from keras_style.layers import tensorflow_single_image

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
        padded = tensorflow_single_image.reflection_pad(inputs, p)
        if padded is None:
            padded = ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")
        return padded

    def compute_output_shape(self, input_shape):
        # Needed for symbolic builds with unknown spatial size (JAX).
        b, h, w, c = input_shape
        return (b, _spatial(self.padding, h), _spatial(self.padding, w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}

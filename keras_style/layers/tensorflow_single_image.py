"""Faster forms of two layers for the TensorFlow backend and one image.

Single-image inference is the common call (one photo, one video frame).
For it, with TensorFlow's CPU kernels:

- **Instance norm is batch norm in training mode**: with one image, both
  take per-channel statistics over every pixel. `FusedBatchNormV3` computes
  them and normalises in one kernel, and TensorFlow's graph optimiser folds
  a following ReLU into it. The generic `keras.ops` form runs a reduction,
  a squared difference, a second reduction, a multiply and an add as
  separate passes over the feature map.
- **Reflection padding as slices and a concatenation** beats the `MirrorPad`
  kernel. On JAX (which lowers a reflect pad the same way) it is no faster,
  and on PyTorch slower than its native reflect pad.

Each function returns `None` where its path does not apply (other backends,
batches, and a batch size unknown when the graph is traced, as in exports,
whose ONNX and LiteRT graphs keep one normalisation and one pad op), and
the layers of `normalization.py` and `padding.py` then take the generic
path. Measured in `benchmarks/README.md`.
"""

import keras
from keras import ops


def _applies(x):
    return keras.backend.backend() == "tensorflow" and x.shape[0] == 1


def fused_instance_norm(x, scale, shift, epsilon):
    """`x` instance-normalised, then scaled and shifted per channel; or
    `None` where this path does not apply.

    Args:
        x: float32 `(N, H, W, C)` features.
        scale, shift: float32 tensors of `C` values each (any shape).
        epsilon: added to the biased variance.

    Example (TensorFlow backend; `None` on the others or for a batch):

    >>> y = fused_instance_norm(x[:1], ops.ones(8), ops.zeros(8), 1e-5)
    """
    channels = x.shape[-1]
    if not _applies(x) or not channels:
        return None
    import tensorflow as tf

    y, _, _ = tf.compat.v1.nn.fused_batch_norm(
        x,
        tf.reshape(scale, (channels,)),
        tf.reshape(shift, (channels,)),
        epsilon=epsilon,
        is_training=True,
    )
    return y


def _mirrored(x, padding, axis):
    """`x` with `padding` rows (axis 1) or columns (axis 2) mirrored on each
    side, the border itself not repeated."""

    def rows(start, stop):
        part = x[:, start:stop] if axis == 1 else x[:, :, start:stop]
        return part if padding == 1 else ops.flip(part, axis=axis)

    return ops.concatenate([rows(1, padding + 1), x, rows(-padding - 1, -1)], axis=axis)


def reflection_pad(x, padding):
    """`x` reflection-padded by `padding` on height and width, or `None`
    where this path does not apply.

    Example (TensorFlow backend):

    >>> reflection_pad(np.zeros((1, 5, 6, 3), "float32"), 2).shape
    TensorShape([1, 9, 10, 3])
    """
    too_small = any(n is not None and n <= padding for n in x.shape[1:3])
    if not _applies(x) or too_small:  # MirrorPad raises for a side too small
        return None
    return _mirrored(_mirrored(x, padding, 1), padding, 2)

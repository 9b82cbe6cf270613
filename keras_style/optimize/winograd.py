"""Winograd F(2x2, 3x3) convolution (Lavin & Gray, CVPR 2016), in `keras.ops`.

A stride-1 "same" 3x3 convolution computed on 4x4 input tiles (stride 2):
each tile is transformed (`B^T d B`), multiplied channel-wise by the
transformed kernel (`G g G^T`) in 16 batched matmuls, and transformed back
(`A^T m A`) into a 2x2 output tile. That is 16 instead of 36 multiplies per
2x2 outputs (2.25x fewer); the transforms are additions only.

TensorFlow's and XLA's CPU convolutions (Eigen) have no Winograd path; on
CPU this pays off for VGG's 512-channel layers only (narrower layers lose
the gain to the transforms' memory traffic), so `vgg_forward.py` uses it
there (benchmarks/README.md, "Why these code paths"). Results match the native convolution to float32
round-off (relative error ~1e-6). Sides may be odd and, on TensorFlow,
unknown at trace time.
"""

import numpy as np
from keras import ops

# Kernel transform of F(2x2, 3x3).
_G = np.array(
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]],
    np.float32,
)


def winograd_kernel(kernel):
    """`(3, 3, C, K)` kernel -> `(16, C, K)` transformed kernel `G g G^T`.

    Example:

    >>> tuple(winograd_kernel(np.ones((3, 3, 4, 5), "float32")).shape)
    (16, 4, 5)
    """
    kernel = ops.convert_to_tensor(kernel, "float32")
    u = ops.einsum("ai,ijck,bj->abck", _G, kernel, _G)
    return ops.reshape(u, (16, kernel.shape[2], kernel.shape[3]))


def winograd_conv3x3(x, u):
    """The stride-1 "same" convolution of NHWC `x` with the 3x3 kernel whose
    transform is `u = winograd_kernel(kernel)`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(1, 7, 6, 4)).astype("float32")
    >>> kernel = np.random.default_rng(1).normal(size=(3, 3, 4, 5)).astype("float32")
    >>> y = winograd_conv3x3(x, winograd_kernel(kernel))
    >>> expected = ops.conv(x, kernel, padding="same")
    >>> bool(np.allclose(y, expected, atol=1e-4))
    True
    """
    batch, height, width, channels = ops.shape(x)
    filters = u.shape[2]
    # "same" padding, plus one zero row/column when the side is odd (the
    # extra output row/column is cropped below).
    x = ops.pad(x, [[0, 0], [1, 1 + height % 2], [1, 1 + width % 2], [0, 0]])
    tiles = [t for rows in _input_tiles(x, 1) for t in _input_tiles(rows, 2)]
    v = ops.reshape(ops.stack(tiles), (16, -1, channels))
    m = ops.matmul(v, u)  # (16, tiles, K)
    half_h, half_w = (height + 1) // 2, (width + 1) // 2
    m = ops.reshape(m, (4, 4, batch, half_h, half_w, filters))
    # A^T m A with A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], rows then columns.
    r0, r1 = m[0] + m[1] + m[2], m[1] - m[2] - m[3]
    y = ops.stack(
        [
            r0[0] + r0[1] + r0[2],
            r0[1] - r0[2] - r0[3],
            r1[0] + r1[1] + r1[2],
            r1[1] - r1[2] - r1[3],
        ],
        axis=3,
    )  # (B, H/2, W/2, 4, K): the 2x2 outputs of each tile as (dy, dx)
    y = ops.reshape(y, (batch, half_h, half_w, 2, 2, filters))
    y = ops.transpose(y, (0, 1, 3, 2, 4, 5))
    y = ops.reshape(y, (batch, 2 * half_h, 2 * half_w, filters))
    return y[:, :height, :width]


def _input_tiles(x, axis):
    """`B^T d` along `axis` of a padded tensor: four stride-2 slices."""
    ends = (-2, -1, None, None)  # slice k covers the rows k .. k + size - 1

    def rows(k):
        index = [slice(None)] * 4
        index[axis] = slice(k, ends[k], 2)
        return x[tuple(index)]

    d0, d1, d2, d3 = rows(0), rows(1), rows(2), rows(3)
    return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)

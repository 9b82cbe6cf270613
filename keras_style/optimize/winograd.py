"""Winograd convolution F(m x m, 3x3) (Lavin & Gray, CVPR 2016), in `keras.ops`.

A stride-1 "same" 3x3 convolution computed on overlapping input tiles of
side `n = m + 2` (stride `m`): each tile is transformed (`B^T d B`),
multiplied channel-wise by the transformed kernel (`G g G^T`) in `n * n`
batched matmuls, and transformed back (`A^T M A`) into an `m x m` output
tile. F(2x2, 3x3) does 16 multiplies per 4 outputs instead of 36 (2.25x
fewer), F(4x4, 3x3) 36 per 16 instead of 144 (4x fewer), at the price of
larger transform coefficients (float32 results then differ from the native
convolution by ~1e-5 instead of ~1e-6, relative).

TensorFlow's oneDNN and XLA's CPU convolutions have no Winograd path; on CPU
this pays off for VGG's wider layers (narrower ones lose the gain to the
transforms' memory traffic), so `vgg_forward.py` uses it there
(benchmarks/README.md, "Why these code paths"). Sides may be odd and, on
TensorFlow, unknown at trace time.
"""

import functools
import math

import numpy as np
from keras import ops

# (B^T, G, A^T) of F(m x m, 3x3), by output tile side m; interpolation
# points 0, 1, -1 (m = 2) and 0, 1, -1, 2, -2 (m = 4), plus infinity.
_TRANSFORMS = {
    2: (
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: (
        [
            [4, 0, -5, 0, 1, 0],
            [0, -4, -4, 1, 1, 0],
            [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0],
            [0, 2, -1, -2, 1, 0],
            [0, 4, 0, -5, 0, 1],
        ],
        [
            [1 / 4, 0, 0],
            [-1 / 6, -1 / 6, -1 / 6],
            [-1 / 6, 1 / 6, -1 / 6],
            [1 / 24, 1 / 12, 1 / 6],
            [1 / 24, -1 / 12, 1 / 6],
            [0, 0, 1],
        ],
        [
            [1, 1, 1, 1, 1, 0],
            [0, 1, -1, 2, -2, 0],
            [0, 1, 1, 4, 4, 0],
            [0, 1, -1, 8, -8, 1],
        ],
    ),
}


def winograd_kernel(kernel, output_tile=2):
    """`(3, 3, C, K)` kernel -> `(n * n, C, K)` transformed kernel `G g G^T`
    of F(m x m, 3x3), `m = output_tile` (2 or 4), `n = m + 2`.

    Example:

    >>> tuple(winograd_kernel(np.ones((3, 3, 4, 5), "float32")).shape)
    (16, 4, 5)
    >>> tuple(winograd_kernel(np.ones((3, 3, 4, 5), "float32"), 4).shape)
    (36, 4, 5)
    """
    if output_tile not in _TRANSFORMS:
        raise ValueError(
            f"`output_tile` must be one of {sorted(_TRANSFORMS)}. "
            f"Received: output_tile={output_tile!r}"
        )
    g = np.array(_TRANSFORMS[output_tile][1], np.float32)
    kernel = ops.convert_to_tensor(kernel, "float32")
    u = ops.einsum("ai,ijck,bj->abck", g, kernel, g)
    n = output_tile + 2
    return ops.reshape(u, (n * n, kernel.shape[2], kernel.shape[3]))


def winograd_conv3x3(x, u):
    """The stride-1 "same" convolution of NHWC `x` with the 3x3 kernel whose
    transform is `u = winograd_kernel(kernel, output_tile)` (the tile side
    is read from `u`'s shape).

    Example:

    >>> x = np.random.default_rng(0).normal(size=(1, 7, 6, 4)).astype("float32")
    >>> kernel = np.random.default_rng(1).normal(size=(3, 3, 4, 5)).astype("float32")
    >>> y = winograd_conv3x3(x, winograd_kernel(kernel, 4))
    >>> expected = ops.conv(x, kernel, padding="same")
    >>> bool(np.allclose(y, expected, atol=1e-3))
    True
    """
    n = math.isqrt(u.shape[0])
    m = n - 2
    input_transform, _, output_transform = _TRANSFORMS[m]
    batch, height, width, channels = ops.shape(x)
    filters = u.shape[2]
    # "same" padding, plus zero rows/columns up to whole tiles (their
    # outputs are cropped below).
    x = ops.pad(x, [[0, 0], [1, 1 + (-height) % m], [1, 1 + (-width) % m], [0, 0]])
    rows = _combine(_strided_slices(x, 1, n, m), input_transform)
    tiles = [
        t for r in rows for t in _combine(_strided_slices(r, 2, n, m), input_transform)
    ]
    v = ops.reshape(ops.stack(tiles), (n * n, -1, channels))
    product = ops.matmul(v, u)  # (n * n, tiles, K)
    tiles_h, tiles_w = (height + m - 1) // m, (width + m - 1) // m
    product = ops.reshape(product, (n, n, batch, tiles_h, tiles_w, filters))
    # A^T M A: rows, then columns of each row.
    y = ops.stack(
        [
            column
            for row in _combine([product[i] for i in range(n)], output_transform)
            for column in _combine([row[j] for j in range(n)], output_transform)
        ],
        axis=3,
    )  # (B, H/m, W/m, m * m, K): the m x m outputs of each tile, row-major
    y = ops.reshape(y, (batch, tiles_h, tiles_w, m, m, filters))
    y = ops.transpose(y, (0, 1, 3, 2, 4, 5))
    y = ops.reshape(y, (batch, m * tiles_h, m * tiles_w, filters))
    return y[:, :height, :width]


def _strided_slices(x, axis, n, m):
    """The `n` slices of `x` along `axis` holding element `k` of every tile
    (tiles of side `n` at stride `m`), for `k = 0 .. n - 1`."""
    slices = []
    for k in range(n):
        index = [slice(None)] * 4
        # The last tile ends at the last element: slice k stops n - 1 - k
        # elements before the end.
        index[axis] = slice(k, k - (n - 1) or None, m)
        slices.append(x[tuple(index)])
    return slices


def _combine(parts, matrix):
    """`[sum_k matrix[i][k] * parts[k] for each row i]`, skipping zeros."""
    combined = []
    for coefficients in matrix:
        total = None
        for c, part in zip(coefficients, parts):
            if c == 0:
                continue
            term = part if c == 1 else (-part if c == -1 else part * c)
            total = term if total is None else total + term
        combined.append(total)
    return combined


@functools.cache
def xla_winograd_conv3x3():
    """`winograd_conv3x3` for TensorFlow, XLA-compiled: the transforms need
    fusing. One function for the process, so compiled shapes are reused."""
    import tensorflow as tf

    return tf.function(winograd_conv3x3, jit_compile=True, autograph=False)


def flipped_kernel(kernel):
    """The 3x3 kernel whose "same" convolution is the input gradient of
    `kernel`'s: rotated by 180 degrees, input and output channels swapped.

    Example:

    >>> tuple(flipped_kernel(np.ones((3, 3, 4, 5), "float32")).shape)
    (3, 3, 5, 4)
    """
    return ops.transpose(ops.flip(kernel, axis=(0, 1)), (0, 1, 3, 2))


@functools.cache
def jax_winograd_conv3x3_relu():
    """`f(x, bias, u, u_flipped) = relu(winograd_conv3x3(x, u) + bias)` for
    JAX, for a frozen network: its input gradient is again a Winograd
    convolution (of the output gradient where `f > 0`, with
    `u_flipped = winograd_kernel(flipped_kernel(kernel))`), and the weights
    get zero gradients. Autodiff through the tile transforms made the
    backward pass slower than the native convolution's
    (benchmarks/README.md).

    Example (JAX backend):

    >>> kernel = np.ones((3, 3, 4, 5), "float32")
    >>> u, u_flipped = (winograd_kernel(k, 4) for k in (kernel, flipped_kernel(kernel)))
    >>> conv_relu = jax_winograd_conv3x3_relu()
    >>> dx = jax.grad(lambda x: conv_relu(x, np.zeros(5), u, u_flipped).sum())(x)
    """
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def conv_relu(x, bias, u, u_flipped):
        return jax.nn.relu(winograd_conv3x3(x, u) + bias)

    def forward(x, bias, u, u_flipped):
        y = conv_relu(x, bias, u, u_flipped)
        return y, (y, bias, u, u_flipped)

    def backward(residuals, dy):
        y, bias, u, u_flipped = residuals
        dx = winograd_conv3x3(jnp.where(y > 0, dy, 0), u_flipped)
        return (dx, jnp.zeros_like(bias), jnp.zeros_like(u), jnp.zeros_like(u_flipped))

    conv_relu.defvjp(forward, backward)
    return conv_relu

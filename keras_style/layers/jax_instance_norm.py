"""Instance normalisation for JAX on CPU, with its sums as matmuls.

XLA's CPU backend fuses each per-channel reduction of the generic
`keras.ops` form, forward and backward, into a loop that recomputes the
feature map's producers (the reflection pad's gradient, a residual add) and
walks it one channel at a time: in the style network's training step these
reductions cost more than its convolutions (benchmarks/README.md). Written
as a product with a vector of ones, each sum is one matmul over a feature
map computed once; the hand-written gradient keeps the backward pass to two
such sums. The same numbers as the generic form up to float rounding
(tests/test_layers.py).
"""

import functools

import keras


def instance_norm(x, scale, shift, epsilon):
    """`x` instance-normalised, then scaled and shifted per channel; or
    `None` on backends other than JAX and on JAX's other devices.

    Args:
        x: float32 `(N, H, W, C)` features.
        scale, shift: float32, `(C,)` or `(N or 1, 1, 1, C)`.
        epsilon: added to the biased variance.

    Example (JAX on CPU; `None` elsewhere):

    >>> y = instance_norm(x, ops.ones(8), ops.zeros(8), 1e-5)
    """
    if keras.backend.backend() != "jax":
        return None
    import jax

    if not pays_off(jax.default_backend()):
        return None
    return _custom_vjp()(x, scale, shift, float(epsilon))


def pays_off(platform):
    """Whether this form is taken on JAX's `platform` ("cpu", "gpu", ...).

    Measured on CPUs only: GPUs keep XLA's own reductions until measured
    there.
    """
    return platform == "cpu"


def _sum_over_pixels(z):
    """Per image and channel sums of `(N, H, W, C)` `z`, as `(N, 1, 1, C)`."""
    import jax.numpy as jnp

    n, h, w, c = z.shape
    ones = jnp.ones((h * w,), z.dtype)
    # Full float32 on every device (some default to lower-precision matmuls).
    sums = jnp.einsum("p,npc->nc", ones, z.reshape(n, h * w, c), precision="highest")
    return sums[:, None, None, :]


def _normalized(x, epsilon):
    import jax

    count = x.shape[1] * x.shape[2]
    centred = x - _sum_over_pixels(x) / count
    variance = _sum_over_pixels(centred * centred) / count
    inverse_std = jax.lax.rsqrt(variance + epsilon)
    return centred * inverse_std, inverse_std


def _reduce_to(gradient, shape):
    """`(N, 1, 1, C)` `gradient` summed over what broadcasting to it added to
    a parameter of `shape`."""
    import jax.numpy as jnp

    padded = (1,) * (4 - len(shape)) + tuple(shape)
    axes = tuple(i for i, n in enumerate(padded) if n == 1 and gradient.shape[i] != 1)
    return jnp.sum(gradient, axis=axes, keepdims=True).reshape(shape)


@functools.cache
def _custom_vjp():
    import jax

    @functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
    def normalize(x, scale, shift, epsilon):
        return _normalized(x, epsilon)[0] * scale + shift

    def forward(x, scale, shift, epsilon):
        x_hat, inverse_std = _normalized(x, epsilon)
        return x_hat * scale + shift, (x_hat, inverse_std, scale, shift)

    def backward(epsilon, saved, dy):
        x_hat, inverse_std, scale, shift = saved
        count = x_hat.shape[1] * x_hat.shape[2]
        dy_sum = _sum_over_pixels(dy)
        dy_x_hat_sum = _sum_over_pixels(dy * x_hat)
        dx = (scale * inverse_std) * (
            dy - dy_sum / count - x_hat * (dy_x_hat_sum / count)
        )
        return (
            dx,
            _reduce_to(dy_x_hat_sum, scale.shape),
            _reduce_to(dy_sum, shift.shape),
        )

    normalize.defvjp(forward, backward)
    return normalize

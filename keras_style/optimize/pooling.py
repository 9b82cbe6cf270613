"""Input gradients of the 2x2 poolings of VGG, for the hand-written passes of
`vgg_forward.py`."""

from keras import ops


def max_pool_gradient(x, y, dy):
    """Input gradient of the 2x2 max pool `y` of `x`: `dy` to every maximum of
    its window. Ties, other than the zeros whose gradient the preceding ReLU
    discards, have measure zero."""
    return ops.where(x >= upsample(y, x), upsample(dy, x), 0.0)


def upsample(y, x):
    """`y` repeated 2x2, zero-padded to the shape of `x` (odd sides)."""
    up = ops.repeat(ops.repeat(y, 2, axis=1), 2, axis=2)
    rows = ops.shape(x)[1] - ops.shape(up)[1]
    columns = ops.shape(x)[2] - ops.shape(up)[2]
    return ops.pad(up, [[0, 0], [0, rows], [0, columns], [0, 0]])

"""Overlapping tiles for images too large for one network pass.

The tiles are spread evenly over each axis and blended with raised-cosine
weights that sum to one, so there are no seams; each tile discards the outer
quarter of its overlap, where the network's padding artefacts live.
"""

import math

import numpy as np

# Above this many pixels an image is tiled unless `tile_size` says otherwise:
# the lengstrom network needs ~0.6 kB of activations per pixel (~2.5 GB at 2048²).
AUTO_TILE_PIXELS = 2048 * 2048
DEFAULT_TILE_SIZE = 1024
# Most pixels one forward pass may hold (all images or tiles of a batch,
# ~10 GB of activations): batches are split to stay below it, and a single
# image or tile above it is an error before anything is allocated. Raise it
# with `Stylizer(..., max_pass_pixels=...)` on machines with more memory.
MAX_PASS_PIXELS = 16 * 2**20


def tile_size_for(shape, tile_size):
    """The tile size for an image of `shape`, or `None` when it runs in one pass.

    With `tile_size=None`, images over `AUTO_TILE_PIXELS` pixels get
    `DEFAULT_TILE_SIZE` tiles; otherwise images longer than `tile_size` along
    either side are tiled.
    """
    h, w = shape[:2]
    if tile_size is None:
        return DEFAULT_TILE_SIZE if h * w > AUTO_TILE_PIXELS else None
    return tile_size if max(h, w) > tile_size else None


def tile_overlap_for(tile, tile_overlap):
    """`tile_overlap`, defaulting to a quarter of `tile`; checked below `tile // 2`."""
    overlap = tile // 4 if tile_overlap is None else tile_overlap
    if 2 * overlap >= tile:
        raise ValueError(
            "`tile_overlap` must be less than half of the tile size. "
            f"Received: tile_overlap={overlap}, tile_size={tile}"
        )
    return overlap


def pass_batch_size(shape, batch_size, max_pass_pixels):
    """`batch_size`, lowered so one pass of `shape` images holds at most
    `max_pass_pixels` pixels; raises when a single image is already too big."""
    pixels = shape[0] * shape[1]
    if pixels > max_pass_pixels:
        raise ValueError(
            f"One {shape[1]}x{shape[0]} image or tile exceeds the "
            f"{max_pass_pixels}-pixel limit of one forward pass; pass "
            "a smaller `tile_size` or `max_size`, or raise "
            "`Stylizer(..., max_pass_pixels=...)`. "
            f"Received: {shape[1]}x{shape[0]} = {pixels} pixels"
        )
    return max(1, min(batch_size, max_pass_pixels // pixels))


def tile_starts(length, tile, overlap):
    """Start offsets of tiles of size `tile` covering `length` with >= `overlap`.

    Tiles are spread evenly, so actual overlaps are at least `overlap` and
    differ by at most one pixel.

    Args:
        length: size of the axis.
        tile: tile size along the axis.
        overlap: minimum overlap between neighbouring tiles.

    Returns:
        A list of ints; the first is 0 and the last is `length - tile`.
    """
    if length <= tile:
        return [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def axis_weights(starts, tile, length):
    """Per-tile 1-D blending weights along one axis.

    Where two tiles overlap by `o` pixels, each discards the outer quarter
    (`o // 4`: the part nearest its own edge, where padding artefacts live),
    and a raised-cosine ramp over the middle half hands over from one tile to
    the other (the two ramps sum to 1). Image borders keep weight 1.
    """
    size = min(tile, length)
    weights = []
    for i, start in enumerate(starts):
        w = np.ones(size, np.float64)
        for side, neighbour in ((0, i - 1), (1, i + 1)):
            if not 0 <= neighbour < len(starts):
                continue
            overlap = (
                starts[neighbour] + size - start
                if side == 0
                else start + size - starts[neighbour]
            )
            cut = overlap // 4
            ramp_len = max(overlap - 2 * cut, 1)
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp_len) + 0.5) / ramp_len)
            profile = np.concatenate([np.zeros(cut), ramp, np.ones(size)])[:size]
            w *= profile if side == 0 else profile[::-1]
        weights.append(w)
    return weights


def stylize_tiled(forward, rgb, tile, overlap, batch_size):
    """Runs `forward` on overlapping tiles of `rgb` and blends the results.

    Args:
        forward: maps a float32 batch `(N, th, tw, 3)` to outputs of the
            same shape (numpy).
        rgb: the image, float32 `(H, W, 3)`.
        tile: tile size (tiles are `min(tile, H) x min(tile, W)`).
        overlap: minimum overlap of neighbouring tiles, below `tile // 2`.
        batch_size: tiles per `forward` call.

    Returns:
        The blended float32 `(H, W, 3)` result.
    """
    h, w = rgb.shape[:2]
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    th, tw = min(tile, h), min(tile, w)
    wy, wx = axis_weights(ys, tile, h), axis_weights(xs, tile, w)
    # float32 accumulators: 16 bytes per pixel (268 MB at 4096x4096).
    acc = np.zeros((h, w, 3), np.float32)
    norm = np.zeros((h, w, 1), np.float32)
    boxes = [(i, j) for i in range(len(ys)) for j in range(len(xs))]
    for k in range(0, len(boxes), batch_size):
        chunk = boxes[k : k + batch_size]
        batch = np.stack(
            [rgb[ys[i] : ys[i] + th, xs[j] : xs[j] + tw] for i, j in chunk]
        ).astype(np.float32)
        for (i, j), out in zip(chunk, forward(batch)):
            weight = np.outer(wy[i], wx[j]).astype(np.float32)[..., None]
            acc[ys[i] : ys[i] + th, xs[j] : xs[j] + tw] += out * weight
            norm[ys[i] : ys[i] + th, xs[j] : xs[j] + tw] += weight
    return acc / np.maximum(norm, 1e-12)

"""Running a style network over images of any size in memory-bounded passes.

Images are downscaled to `max_size` when asked, same-sized ones share
batches (e.g. video frames), large ones are split into overlapping tiles
(`keras_style.inference.tiling`), and every pass stays within `max_pass_pixels`.
"""

import collections

import numpy as np

from keras_style.defaults import MIN_PHOTO_SIDE as MIN_SIZE
from keras_style.image import resize, scaled_size
from keras_style.inference import tiling


def _network_input(rgb, max_size, name):
    """`rgb` downscaled to `max_size`; raises when it is below `MIN_SIZE`."""
    h, w = rgb.shape[:2]
    if max_size is not None and max(h, w) > max_size:
        rgb = resize(rgb, *scaled_size(h, w, max_size))
    if min(rgb.shape[:2]) < MIN_SIZE:
        # Checked here, on the real size: the network's own check only
        # sees static shapes, which a compiled function may not have.
        scaled = "" if rgb.shape[:2] == (h, w) else f", {w}x{h} before max_size"
        raise ValueError(
            f"{name} is too small: the network needs at least "
            f"{MIN_SIZE}x{MIN_SIZE} pixels. Received: {name} of "
            f"{rgb.shape[1]}x{rgb.shape[0]} pixels{scaled}"
        )
    return rgb


def stylize_arrays(
    forward,
    images,
    names,
    *,
    max_size=None,
    tile_size=None,
    tile_overlap=None,
    batch_size=4,
    max_pass_pixels=tiling.MAX_PASS_PIXELS,
):
    """Runs `forward` over every image; the outputs have the inputs' sizes.

    Args:
        forward: maps a float32 batch `(N, H, W, 3)` in 0..255 to numpy
            outputs of the same shape.
        images: float32 `(H, W, 3)` arrays.
        names: how each image is called in error messages.
        max_size, tile_size, tile_overlap, batch_size: checked options of
            `Stylizer.stylize` (see `keras_style.inference.options`).
        max_pass_pixels: most pixels one call of `forward` may hold.

    Returns:
        A list of float32 `(H, W, 3)` outputs, one per image.
    """
    inputs = [_network_input(rgb, max_size, n) for rgb, n in zip(images, names)]
    outputs = [None] * len(inputs)
    groups = collections.defaultdict(list)
    for i, rgb in enumerate(inputs):
        tile = tiling.tile_size_for(rgb.shape, tile_size)
        if tile is None:
            groups[rgb.shape].append(i)
            continue
        overlap = tiling.tile_overlap_for(tile, tile_overlap)
        tile_shape = (min(tile, rgb.shape[0]), min(tile, rgb.shape[1]))
        tiles_per_pass = tiling.pass_batch_size(tile_shape, batch_size, max_pass_pixels)
        outputs[i] = tiling.stylize_tiled(forward, rgb, tile, overlap, tiles_per_pass)
    for shape, indices in groups.items():
        per_pass = tiling.pass_batch_size(shape, batch_size, max_pass_pixels)
        for k in range(0, len(indices), per_pass):
            chunk = indices[k : k + per_pass]
            # One image is viewed as a batch, not copied.
            batch = np.asarray(
                inputs[chunk[0]][None]
                if len(chunk) == 1
                else np.stack([inputs[i] for i in chunk]),
                dtype=np.float32,
            )
            for i, out in zip(chunk, forward(batch)):
                outputs[i] = out
    return [
        out if out.shape[:2] == rgb.shape[:2] else resize(out, *rgb.shape[:2])
        for out, rgb in zip(outputs, images)
    ]

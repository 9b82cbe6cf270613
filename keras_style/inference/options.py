"""The options of `Stylizer.stylize`, checked once for every way in.

`Stylizer.stylize`, `Stylizer.stylize_folder` and `stylize_video` check their
options here, so a bad option fails up front rather than once per image.
"""

from keras_style.defaults import MIN_PHOTO_SIDE as MIN_SIZE
from keras_style.inference import tiling
from keras_style.utils.checks import check_fraction, check_int, check_positive_int


def check_options(
    strength=1.0, max_size=None, tile_size=None, tile_overlap=None, batch_size=4
):
    """Checks the options of `Stylizer.stylize`; returns them normalised."""
    strength = check_fraction(strength, "strength")
    max_size = check_int(max_size, "max_size", minimum=MIN_SIZE, allow_none=True)
    tile_size = check_int(tile_size, "tile_size", minimum=16, allow_none=True)
    tile_overlap = check_int(tile_overlap, "tile_overlap", minimum=0, allow_none=True)
    batch_size = check_positive_int(batch_size, "batch_size")
    if tile_overlap is not None and tile_size is None:
        raise ValueError(
            "`tile_overlap` needs `tile_size` (without it, only images over "
            f"{tiling.AUTO_TILE_PIXELS} pixels are tiled, with "
            f"{tiling.DEFAULT_TILE_SIZE}-px tiles). "
            f"Received: tile_overlap={tile_overlap}, tile_size=None"
        )
    if (
        tile_size is not None
        and tile_overlap is not None
        and 2 * tile_overlap >= tile_size
    ):
        raise ValueError(
            "`tile_overlap` must be less than half of `tile_size`. "
            f"Received: tile_overlap={tile_overlap}, tile_size={tile_size}"
        )
    return strength, max_size, tile_size, tile_overlap, batch_size

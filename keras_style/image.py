"""Load, validate, resize and save images.

Every image entering the library passes through `load_image`, so odd inputs
(grayscale, palette, RGBA, 16-bit, CMYK, EXIF-rotated, corrupt files) are
handled in one place and reach the networks as RGB float32 arrays in 0..255.
"""

import functools
import io
import os
import pathlib
import tempfile
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# `check_positive_int` and the colour helpers moved to `keras_style.utils.checks`
# and `keras_style.utils.colors`; they stay importable from here.
from keras_style.utils.checks import check_positive_int  # noqa: F401
from keras_style.utils.colors import (  # noqa: F401
    luminance,
    match_color_histogram,
    match_luminance_statistics,
    rgb_to_yiq,
    transfer_luminance,
    yiq_to_rgb,
)
from keras_style.utils.files import current_umask

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")

# PIL's own bomb guard warns first and errors at 2x; we turn both into a clear
# error because a silent 20k x 20k decode exhausts memory mid-run.
MAX_PIXELS = 1 << 28


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"array(shape={x.shape}, dtype={x.dtype})"
    if isinstance(x, Image.Image):
        return f"PIL.Image(mode={x.mode}, size={x.size})"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def _open_path(path, name):
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"`{name}` does not exist. Received: {name}={path}")
    if path.is_dir():
        raise IsADirectoryError(
            f"`{name}` must be an image file, not a directory. Received: {name}={path}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > 1:
                    warnings.warn(
                        f"`{name}` holds {frames} frames (an animation or a "
                        f"multi-page file); only the first is used. Received: "
                        f"{name}={path}",
                        stacklevel=3,
                    )
                img.load()
                return img.copy()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise ValueError(
            f"`{name}` is too large to decode safely ({e}). Received: {name}={path}"
        ) from None
    except UnidentifiedImageError:
        raise ValueError(
            f"`{name}` is not an image file Pillow can read. Received: {name}={path}"
        ) from None
    except OSError as e:  # truncated or otherwise corrupt data
        raise ValueError(
            f"`{name}` could not be decoded ({e}). Received: {name}={path}"
        ) from None


def _pil_to_rgba_float(img):
    """Converts any PIL mode to (rgb float32 0..255, alpha float32 0..255 or None)."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16/32-bit integer grayscale: scale by the type's range, not clip to 255.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        gray = (arr / top * 255.0).astype(np.float32)
        return np.repeat(gray[..., None], 3, axis=-1), None
    if mode == "F":
        arr = np.asarray(img, dtype=np.float32)
        top = 1.0 if arr.max() <= 1.0 else 255.0
        gray = np.clip(arr / top * 255.0, 0, 255)
        return np.repeat(gray[..., None], 3, axis=-1), None
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        mode == "P" and "transparency" in img.info
    )
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32)
        return rgba[..., :3].copy(), rgba[..., 3].copy()
    # CMYK, YCbCr, L, 1, P and friends all have exact conversions to RGB.
    rgb = img if mode == "RGB" else img.convert("RGB")  # no copy when RGB
    return np.asarray(rgb, dtype=np.float32), None


def _array_to_rgba_float(arr, name):
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"`{name}` must have shape (height, width), (height, width, 1|3|4). "
            f"Received: {name}={_describe(arr)}"
        )
    if arr.dtype == np.uint8:
        data = arr.astype(np.float32)
    elif arr.dtype == np.uint16:
        data = arr.astype(np.float32) / 65535.0 * 255.0
    elif np.issubdtype(arr.dtype, np.floating):
        data = arr.astype(np.float32)
        if not np.all(np.isfinite(data)):
            raise ValueError(
                f"`{name}` contains NaN or infinite values. Received: {name}="
                f"{_describe(arr)}"
            )
        if data.min() < 0 or data.max() > 255:
            raise ValueError(
                f"Float images must hold values in 0..255. Received: {name} with "
                f"range [{data.min():.3g}, {data.max():.3g}]"
            )
    elif np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        data = np.clip(arr, 0, 255).astype(np.float32)
    else:
        raise TypeError(
            f"`{name}` has an unsupported dtype. Received: {name}={_describe(arr)}"
        )
    channels = data.shape[-1]
    if channels == 1:
        return np.repeat(data, 3, axis=-1), None
    if channels == 4:
        return data[..., :3].copy(), data[..., 3].copy()
    return data, None


def load_image_with_alpha(image, *, name="image"):
    """Loads an image as RGB float32 in 0..255 and returns its alpha separately.

    Args:
        image: a path (`str` or `os.PathLike`), a `PIL.Image.Image`, or a numpy
            array of shape `(H, W)`, `(H, W, 1)`, `(H, W, 3)` or `(H, W, 4)`
            (uint8, uint16, or floats in 0..255).
        name: the argument name used in error messages.

    Returns:
        A tuple `(rgb, alpha)`: `rgb` is a float32 array `(H, W, 3)` in 0..255,
        `alpha` a float32 array `(H, W)` in 0..255 or `None`.

    Example:

    >>> rgb, alpha = load_image_with_alpha(np.zeros((4, 5, 4), "uint8"))
    >>> rgb.shape, alpha.shape
    ((4, 5, 3), (4, 5))
    """
    if isinstance(image, (str, os.PathLike)):
        image = _open_path(image, name)
    if isinstance(image, Image.Image):
        rgb, alpha = _pil_to_rgba_float(ImageOps.exif_transpose(image))
    elif isinstance(image, np.ndarray) or hasattr(image, "__array__"):
        rgb, alpha = _array_to_rgba_float(np.asarray(image), name)
    else:
        raise TypeError(
            f"`{name}` must be a file path, a PIL image or a numpy array. "
            f"Received: {name}={_describe(image)}"
        )
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError(
            f"`{name}` has zero size. Received: {name} with shape {rgb.shape}"
        )
    if rgb.shape[0] * rgb.shape[1] > MAX_PIXELS:
        raise ValueError(
            f"`{name}` is too large ({rgb.shape[1]}x{rgb.shape[0]} pixels, limit "
            f"{MAX_PIXELS}). Received: {name} with shape {rgb.shape}"
        )
    return rgb, alpha


def load_image(image, *, name="image", max_size=None):
    """Loads an image as an RGB float32 array `(H, W, 3)` in 0..255.

    Grayscale, palette, RGBA (alpha dropped), 16-bit and CMYK images are
    converted; EXIF orientation is applied.

    Args:
        image: a path, a `PIL.Image.Image` or a numpy array (see
            `load_image_with_alpha`).
        name: the argument name used in error messages.
        max_size: optional int; when given, the image is resized so its longest
            side equals `max_size` (aspect ratio kept).

    Returns:
        A float32 numpy array of shape `(H, W, 3)`.

    Example:

    >>> load_image(np.zeros((10, 20), "uint8"), max_size=8).shape
    (4, 8, 3)
    """
    rgb, _ = load_image_with_alpha(image, name=name)
    if max_size is not None:
        rgb = resize_longest_side(rgb, max_size, name="max_size")
    return rgb


def scaled_size(height, width, longest_side):
    """`(height, width)` rescaled so the longer side equals `longest_side`."""
    scale = longest_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(image, height, width):
    """Resizes a float RGB/gray array with Pillow's bicubic filter (antialiased)."""
    image = np.asarray(image, dtype=np.float32)
    if image.shape[:2] == (height, width):
        return image
    channels = image.reshape(image.shape[0], image.shape[1], -1)
    out = np.stack(
        [
            np.asarray(
                Image.fromarray(channels[..., c]).resize(
                    (width, height), Image.Resampling.BICUBIC
                )
            )
            for c in range(channels.shape[-1])
        ],
        axis=-1,
    )
    out = np.clip(out, 0, 255)
    return out.reshape((height, width) + image.shape[2:])


def resize_longest_side(image, longest_side, *, name="size"):
    """Resizes so the longest side equals `longest_side`, keeping aspect ratio."""
    longest_side = check_positive_int(longest_side, name)
    h, w = image.shape[:2]
    return resize(image, *scaled_size(h, w, longest_side))


def to_uint8(image):
    """Rounds a float image in 0..255 to uint8 (clipping out-of-range values)."""
    rounded = np.rint(np.asarray(image, dtype=np.float32))
    return np.clip(rounded, 0, 255, out=rounded).astype(np.uint8)


def to_pil(image, alpha=None):
    """Converts a float RGB array (and optional alpha) to a `PIL.Image`."""
    rgb = to_uint8(image)
    if alpha is not None:
        return Image.fromarray(np.dstack([rgb, to_uint8(alpha)]), mode="RGBA")
    return Image.fromarray(rgb, mode="RGB")


def _format_of_extension(suffix):
    """Pillow's format name for a file extension, or None. The common formats
    first (`preinit`): loading every plugin costs a photo's run 50 ms."""
    Image.preinit()
    if suffix not in Image.EXTENSION:
        Image.init()
    return Image.EXTENSION.get(suffix)


def check_output_path(path, *, name="path", mode="RGB"):
    """Checks, before any work, that an image can be written to `path`.

    The extension must name a format Pillow can write for `mode` (e.g. not
    `.xbm`, which only holds 1-bit images) and the folder must be writable
    (it is created if missing).

    Args:
        path: the destination file.
        name: the argument name used in error messages (`-o` in the CLI).
        mode: PIL mode of the image to write.

    Returns:
        `(path as pathlib.Path, Pillow format name)`.

    Example:

    >>> check_output_path("out/photo.jpg")
    (PosixPath('out/photo.jpg'), 'JPEG')
    """
    path = pathlib.Path(path)
    fmt = _format_of_extension(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise ValueError(
            f"`{name}` must end in an image extension Pillow can write, e.g. .png "
            f"or .jpg. Received: {name}={str(path)!r}"
        )
    problem = _cannot_write(fmt, mode)
    if problem:
        raise ValueError(
            f"`{name}` names a format that cannot hold {mode} images ({problem}); "
            f"use .png or .jpg. Received: {name}={str(path)!r}"
        )
    if path.is_dir():
        raise IsADirectoryError(
            f"`{name}` is a folder, not an image file. Received: {name}={str(path)!r}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _write_error(e, path, name) from None
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(
            f"`{name}` is in a folder that cannot be written. Received: "
            f"{name}={str(path)!r}"
        )
    return path, fmt


@functools.cache
def _cannot_write(fmt, mode):
    """Why Pillow cannot encode `mode` images as `fmt` (XBM: 1-bit only, ...)."""
    try:
        Image.new(mode, (1, 1)).save(io.BytesIO(), format=fmt)
    except (OSError, ValueError, KeyError) as e:
        return str(e) or type(e).__name__
    return None


def _write_error(error, path, name):
    """An OSError about a temporary file, restated about the destination."""
    reason = error.strerror or str(error)
    message = f"Cannot write `{name}` ({reason}). Received: {name}={str(path)!r}"
    # OSError(errno, message) picks the subclass (PermissionError, ...).
    return OSError(error.errno, message) if error.errno else OSError(message)


def save_image(image, path, alpha=None, *, name="path", **save_kwargs):
    """Saves an image atomically: written to a temp file, then renamed.

    A crash or a failing encoder never leaves a partial file at `path`.

    Args:
        image: float RGB array in 0..255, uint8 array, or `PIL.Image`.
        path: destination; the format follows the extension.
        alpha: optional alpha channel to attach (PNG/WebP/TIFF).
        name: the argument name used in error messages.
        **save_kwargs: forwarded to `PIL.Image.save` (e.g. `quality=95`).

    Returns:
        The destination as a `pathlib.Path`.

    Example:

    >>> save_image(np.zeros((8, 8, 3)), "/tmp/black.png")
    PosixPath('/tmp/black.png')
    """
    pil = image if isinstance(image, Image.Image) else to_pil(image, alpha)
    path, fmt = check_output_path(path, name=name)
    if fmt == "JPEG" and pil.mode != "RGB":
        pil = pil.convert("RGB")
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".part", dir=path.parent
        )
    except OSError as e:
        raise _write_error(e, path, name) from None
    try:
        with os.fdopen(fd, "wb") as f:
            pil.save(f, format=fmt, **save_kwargs)
        # mkstemp creates 0600 files; give the result the usual umask mode.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except OSError as e:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise _write_error(e, path, name) from None
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return path


def list_images(directory, *, name="directory"):
    """Sorted image files (by extension) under `directory`, recursively."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"`{name}` must be an existing directory. Received: {name}={str(directory)!r}"
        )
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )

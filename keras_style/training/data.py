"""Image-folder datasets for `fit`: content photos for `TransformNet` (and
the photo and painting streams of `pair_data.image_pair_dataset`).

Files are decoded with Pillow through `keras_style.image.load_image`, so
grayscale, palette, 16-bit and CMYK images (COCO has a few) are converted to
RGB, EXIF rotation is applied, and unreadable files are skipped with one
logged warning each instead of stopping an epoch.
"""

import logging
import os
import pathlib
import threading

import keras
import numpy as np
from PIL import Image

from keras_style.image import (
    IMAGE_EXTENSIONS,
    check_positive_int,
    list_images,
    load_image,
)

logger = logging.getLogger(__name__)

_CROPS = ("center", "random")
_PIPELINES = ("auto", "tf.data", "py_dataset")


class _SkipLog:
    """Warns once per unreadable file (an infinite dataset meets it every epoch)."""

    def __init__(self):
        self._seen = set()
        self._lock = threading.Lock()

    def warn(self, path, error):
        with self._lock:
            if path in self._seen:
                return
            self._seen.add(path)
        logger.warning("Skipping unreadable image %s: %s", path, error)


def load_square(path, image_size, crop="center", seed=0):
    """Loads one image as a `(image_size, image_size, 3)` float32 RGB crop.

    The largest centred (or, with `crop="random"`, randomly placed) square is
    cut from the image and resized with Pillow's antialiased bicubic filter
    (the same as resizing the shorter side to `image_size` and cropping).

    Args:
        path: image file.
        image_size: side of the output square.
        crop: `"center"` or `"random"`.
        seed: int seeding the random crop position.

    Returns:
        A float32 array in 0..255.

    Raises:
        ValueError: the file cannot be decoded (see `load_image`).

    Example:

    >>> load_square("photo.jpg", 256).shape
    (256, 256, 3)
    """
    rgb = load_image(path, name="path")
    height, width = rgb.shape[:2]
    side = min(height, width)
    if crop == "random":
        rng = np.random.default_rng(seed)
        top = int(rng.integers(0, height - side + 1))
        left = int(rng.integers(0, width - side + 1))
    else:
        top, left = (height - side) // 2, (width - side) // 2
    square = rgb[top : top + side, left : left + side]
    if side != image_size:
        # uint8 RGB resizing is one SIMD pass in Pillow (3 float passes else);
        # exact for 8-bit sources, which is what photo folders hold.
        pil = Image.fromarray(np.clip(np.rint(square), 0, 255).astype(np.uint8))
        pil = pil.resize((image_size, image_size), Image.Resampling.BICUBIC)
        square = np.asarray(pil, dtype=np.float32)
    return np.ascontiguousarray(square, dtype=np.float32)


def _check_args(directory, image_size, batch_size, crop, pipeline, name="directory"):
    if isinstance(directory, (str, os.PathLike)):
        directory = pathlib.Path(directory)
    else:
        raise TypeError(
            f"`{name}` must be a path to a folder of images. "
            f"Received: {name}={directory!r}"
        )
    if not directory.exists():
        raise FileNotFoundError(
            f"`{name}` does not exist. Received: {name}={str(directory)!r}"
        )
    if not directory.is_dir():
        raise ValueError(
            f"`{name}` must be a folder of images, not a file. "
            f"Received: {name}={str(directory)!r}"
        )
    check_positive_int(image_size, "image_size")
    check_positive_int(batch_size, "batch_size")
    if crop not in _CROPS:
        raise ValueError(f"`crop` must be one of {_CROPS}. Received: crop={crop!r}")
    if pipeline not in _PIPELINES:
        raise ValueError(
            f"`pipeline` must be one of {_PIPELINES}. Received: pipeline={pipeline!r}"
        )
    files = list_images(directory, name=name)
    if not files:
        raise ValueError(
            f"No images ({', '.join(IMAGE_EXTENSIONS)}) found under `{name}` "
            f"(searched recursively). Received: {name}={str(directory)!r}"
        )
    return directory, files


def _first_readable(files, image_size, skip_log, name="directory"):
    """Raises unless some file decodes (else a repeating dataset would spin)."""
    for path in files:
        try:
            load_square(path, image_size)
            return
        except (ValueError, OSError) as e:
            skip_log.warn(str(path), e)
    raise ValueError(
        f"None of the {len(files)} image files under `{name}` could be "
        f"decoded. Received: {name}={str(pathlib.Path(files[0]).parent)!r}"
    )


def image_dataset(
    directory,
    image_size=256,
    batch_size=4,
    shuffle=True,
    seed=None,
    repeat=True,
    crop="center",
    num_parallel_calls=None,
    pipeline="auto",
):
    """A dataset of square content-image batches from a folder, for `fit`.

    Johnson et al. (2016) train on COCO 2014 (80k photos, 256x256 crops,
    batch 4): download http://images.cocodataset.org/zips/train2014.zip and
    pass the unzipped folder.

    Images (`.jpg`, `.jpeg`, `.png`, `.webp`, `.bmp`, `.tif`) are found
    recursively, decoded with Pillow in parallel, cropped to a square, resized
    to `image_size` and batched; batches are prefetched. Each batch is a
    float32 `(batch_size, image_size, image_size, 3)` tensor in 0..255 (only
    `x`: perceptual training needs no targets). Unreadable files are skipped
    with a logged warning; grayscale and CMYK files are converted.

    The default pipeline is `tf.data` (parallel decoding in TensorFlow's
    thread pool, prefetching in C++). `fit` accepts it under every Keras
    backend. Without TensorFlow installed, a `keras.utils.PyDataset` with
    worker threads is returned instead (`pipeline="py_dataset"` forces it).

    Args:
        directory: folder of images (searched recursively).
        image_size: side of the square crops, in pixels.
        batch_size: images per batch (the last incomplete batch is dropped).
        shuffle: shuffle the files (again every epoch).
        seed: seed of shuffling and random crops; `None` for a random one.
        repeat: repeat forever (use `fit(..., steps_per_epoch=N)`); with
            `False` one pass over the files makes an epoch.
        crop: `"center"` (pytorch/examples) or `"random"` (augmentation).
        num_parallel_calls: images decoded in parallel; default: the CPU
            count.
        pipeline: `"auto"`, `"tf.data"` or `"py_dataset"`.

    Returns:
        A `tf.data.Dataset`, or an `ImageFolderDataset` (`PyDataset`).

    Example:

    >>> ds = image_dataset("train2014/", image_size=256, batch_size=4, seed=1)
    >>> model.fit(ds, steps_per_epoch=1000, epochs=40)
    """
    return folder_dataset(
        directory,
        image_size,
        batch_size,
        shuffle,
        seed,
        repeat,
        crop,
        num_parallel_calls,
        pipeline,
        name="directory",
    )


def folder_dataset(
    directory,
    image_size,
    batch_size,
    shuffle,
    seed,
    repeat,
    crop,
    num_parallel_calls,
    pipeline,
    name,
):
    _, files = _check_args(directory, image_size, batch_size, crop, pipeline, name)
    skip_log = _SkipLog()
    _first_readable(files, image_size, skip_log, name)
    workers = num_parallel_calls or os.cpu_count() or 1
    if pipeline == "auto":
        try:
            import tensorflow  # noqa: F401

            pipeline = "tf.data"
        except ImportError:
            pipeline = "py_dataset"
    if pipeline == "py_dataset":
        return ImageFolderDataset(
            files,
            image_size=image_size,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            repeat=repeat,
            crop=crop,
            workers=workers,
            skip_log=skip_log,
        )
    return _tf_dataset(
        files, image_size, batch_size, shuffle, seed, repeat, crop, workers, skip_log
    )


def _tf_dataset(
    files, image_size, batch_size, shuffle, seed, repeat, crop, workers, skip_log
):
    import tensorflow as tf

    def load(path, crop_seed):
        path = path.decode() if isinstance(path, bytes) else str(path)
        try:
            return load_square(path, image_size, crop, int(crop_seed)), True
        except (ValueError, OSError) as e:
            skip_log.warn(path, e)
            return np.zeros((image_size, image_size, 3), np.float32), False

    def tf_load(path, crop_seed):
        image, ok = tf.numpy_function(
            load, [path, crop_seed], [tf.float32, tf.bool], stateful=False
        )
        image.set_shape((image_size, image_size, 3))
        ok.set_shape(())
        return image, ok

    paths = tf.data.Dataset.from_tensor_slices([str(p) for p in files])
    if shuffle:
        paths = paths.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        paths = paths.repeat()
    if crop == "random":
        seeds = tf.data.Dataset.random(seed=seed)
    else:
        seeds = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).repeat()
    ds = tf.data.Dataset.zip((paths, seeds))
    ds = ds.map(tf_load, num_parallel_calls=workers, deterministic=True)
    ds = ds.filter(_is_ok).map(_drop_flag)
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def _is_ok(image, ok):
    return ok


def _drop_flag(image, ok):
    return image


class ImageFolderDataset(keras.utils.PyDataset):
    """`PyDataset` of square image batches; see `image_dataset`.

    Batches are decoded by `workers` threads (Pillow releases the GIL while
    decoding and resizing). With `repeat=True` the dataset is infinite and each
    pass over the files uses a new permutation.

    Args:
        files: image paths.
        image_size: side of the square crops.
        batch_size: images per batch.
        shuffle: shuffle the files every pass.
        seed: seed of the permutations and crops.
        repeat: infinite dataset.
        crop: `"center"` or `"random"`.
        workers: decoding threads.
        skip_log: internal.

    Example:

    >>> ds = ImageFolderDataset(list_images("photos/"), image_size=64)
    >>> ds[0].shape
    (4, 64, 64, 3)
    """

    def __init__(
        self,
        files,
        image_size=256,
        batch_size=4,
        shuffle=True,
        seed=None,
        repeat=True,
        crop="center",
        workers=1,
        skip_log=None,
    ):
        super().__init__(workers=workers, use_multiprocessing=False)
        self.files = [str(f) for f in files]
        if len(self.files) < 1:
            raise ValueError(f"`files` must not be empty. Received: files={files!r}")
        self.image_size = image_size
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = (
            int(seed)
            if seed is not None
            else int(np.random.SeedSequence().entropy % 2**31)
        )
        self.repeat = repeat
        self.crop = crop
        self._skip_log = skip_log or _SkipLog()
        self._orders = {}
        self._lock = threading.Lock()

    @property
    def num_batches(self):
        if self.repeat:
            return None
        return max(1, len(self.files) // self.batch_size)

    def _order(self, epoch):
        with self._lock:
            order = self._orders.get(epoch)
            if order is None:
                n = len(self.files)
                order = (
                    np.random.default_rng([self.seed, epoch]).permutation(n)
                    if self.shuffle
                    else np.arange(n)
                )
                if len(self._orders) > 4:
                    self._orders.pop(min(self._orders))
                self._orders[epoch] = order
            return order

    def __getitem__(self, index):
        n = len(self.files)
        images = []
        position = index * self.batch_size
        attempts = 0
        while len(images) < self.batch_size:
            epoch, i = divmod(position, n)
            path = self.files[self._order(epoch)[i]]
            position += 1
            try:
                images.append(
                    load_square(path, self.image_size, self.crop, self.seed + position)
                )
            except (ValueError, OSError) as e:
                self._skip_log.warn(path, e)
                attempts += 1
                if attempts >= n:
                    raise ValueError(
                        f"No readable image among {n} files. Received: "
                        f"files[0]={self.files[0]!r}"
                    ) from None
        return np.stack(images)

"""(photo, painting) pairs from two folders, for training `ArbitraryStyleNet`:
two streams of `data.image_dataset` zipped, shuffled independently."""

import keras

from keras_style.image import check_positive_int
from keras_style.training.data import ImageFolderDataset, folder_dataset


def image_pair_dataset(
    photo_directory,
    painting_directory,
    image_size=256,
    style_size=None,
    batch_size=4,
    shuffle=True,
    seed=None,
    repeat=True,
    crop="center",
    num_parallel_calls=None,
    pipeline="auto",
):
    """Batches of (photo, painting) pairs from two folders, for
    `ArbitraryStyleNet.fit`.

    Ghiasi et al. (BMVC 2017) train on ImageNet photos paired with paintings
    (Painter by Numbers, ~80k): every photo meets a different painting. Both
    folders are read as by `image_dataset` (square crops, odd files
    converted, unreadable ones skipped) and shuffled independently; the two
    streams are zipped batch by batch. Each element is `((photos,
    paintings),)`, the form Keras reads as `x=(photos, paintings)` with no
    targets: `(batch_size, image_size, image_size, 3)` and `(batch_size,
    style_size, style_size, 3)` float32 tensors in 0..255.

    Args:
        photo_directory: folder of content photos (searched recursively).
        painting_directory: folder of style paintings (searched recursively).
        image_size: side of the square photo crops, in pixels.
        style_size: side of the square painting crops; `None`: `image_size`
            (256 for both in Magenta's training).
        batch_size: pairs per batch.
        shuffle: shuffle both folders (again every epoch).
        seed: seed of shuffling and random crops (the paintings use
            `seed + 1`); `None` for a random one.
        repeat: repeat forever (use `fit(..., steps_per_epoch=N)`); with
            `False` an epoch ends with the smaller folder.
        crop: `"center"` or `"random"`, for both folders.
        num_parallel_calls: images decoded in parallel per folder.
        pipeline: `"auto"`, `"tf.data"` or `"py_dataset"` (see
            `image_dataset`).

    Returns:
        A `tf.data.Dataset`, or an `ImagePairDataset` (`PyDataset`).

    Example:

    >>> pairs = image_pair_dataset("train2014/", "paintings/", image_size=256)
    >>> net = keras_style.models.arbitrary.ArbitraryStyleNet.from_preset(
    ...     "arbitrary")
    >>> net.compile(optimizer="adam")
    >>> net.fit(pairs, steps_per_epoch=1000, epochs=1)
    """
    style_size = image_size if style_size is None else style_size
    check_positive_int(style_size, "style_size")
    datasets = [
        folder_dataset(
            directory,
            size,
            batch_size,
            shuffle,
            None if seed is None else int(seed) + offset,
            repeat,
            crop,
            num_parallel_calls,
            pipeline,
            name=name,
        )
        for offset, (directory, size, name) in enumerate(
            [
                (photo_directory, image_size, "photo_directory"),
                (painting_directory, style_size, "painting_directory"),
            ]
        )
    ]
    if isinstance(datasets[0], ImageFolderDataset):
        return ImagePairDataset(*datasets)
    import tensorflow as tf

    pairs = tf.data.Dataset.zip(tuple(datasets))
    return pairs.map(_as_x_only).prefetch(tf.data.AUTOTUNE)


def _as_x_only(photos, paintings):
    return ((photos, paintings),)


class ImagePairDataset(keras.utils.PyDataset):
    """`PyDataset` of `((photos, paintings),)` batches; see `image_pair_dataset`.

    Args:
        photos: an `ImageFolderDataset` of photos.
        paintings: an `ImageFolderDataset` of paintings (same batch size).

    Example:

    >>> pairs = ImagePairDataset(
    ...     ImageFolderDataset(list_images("photos/"), image_size=64),
    ...     ImageFolderDataset(list_images("paintings/"), image_size=64))
    >>> [x.shape for x in pairs[0][0]]
    [(4, 64, 64, 3), (4, 64, 64, 3)]
    """

    def __init__(self, photos, paintings):
        super().__init__(workers=photos.workers, use_multiprocessing=False)
        if photos.batch_size != paintings.batch_size:
            raise ValueError(
                "Photos and paintings need the same batch size. Received: "
                f"photos.batch_size={photos.batch_size}, "
                f"paintings.batch_size={paintings.batch_size}"
            )
        self.photos = photos
        self.paintings = paintings

    @property
    def num_batches(self):
        counts = [d.num_batches for d in (self.photos, self.paintings)]
        counts = [n for n in counts if n is not None]
        return min(counts) if counts else None

    def __getitem__(self, index):
        return ((self.photos[index], self.paintings[index]),)

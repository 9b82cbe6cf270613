"""Image-folder datasets: decoding odd files, skipping bad ones, clear errors."""

import logging

import numpy as np
import pytest
from PIL import Image

from keras_style.image import list_images
from keras_style.training.data import ImageFolderDataset, image_dataset, load_square


def make_image_folder(root, rng=None, size=(30, 40)):
    """Writes a small photo folder: JPEG, PNG (nested), WebP, grayscale, CMYK,
    a corrupt JPEG and a non-image file. Returns (root, number of good images).
    """
    rng = rng or np.random.default_rng(0)
    h, w = size
    (root / "nested").mkdir(parents=True, exist_ok=True)

    def rgb(hh, ww):
        return rng.integers(0, 256, (hh, ww, 3), dtype=np.uint8)

    Image.fromarray(rgb(h, w)).save(root / "photo1.jpg", quality=95)
    Image.fromarray(rgb(w, h)).save(root / "nested" / "photo2.png")
    Image.fromarray(rgb(h, h)).save(root / "photo3.webp", lossless=True)
    Image.fromarray(rgb(h + 5, w)).save(root / "photo4.png")
    Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8), "L").save(
        root / "gray.png"
    )
    Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), "CMYK").save(
        root / "cmyk.jpg"
    )
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    (root / "notes.txt").write_text("not an image")
    return root, 6


@pytest.fixture
def folder(tmp_path):
    return make_image_folder(tmp_path / "photos")


@pytest.mark.parametrize("pipeline", ["tf.data", "py_dataset"])
def test_batches_have_the_right_shape_and_range(folder, pipeline):
    root, _ = folder
    ds = image_dataset(root, image_size=16, batch_size=2, seed=0, pipeline=pipeline)
    batches = (
        [np.asarray(b) for _, b in zip(range(7), ds)]
        if pipeline == "tf.data"
        else [ds[i] for i in range(7)]
    )
    for batch in batches:
        assert batch.shape == (2, 16, 16, 3)
        assert batch.dtype == np.float32
        assert batch.min() >= 0 and batch.max() <= 255
    # The grayscale image yields equal channels somewhere in the stream.
    images = np.concatenate(batches)
    gray = [
        img
        for img in images
        if np.allclose(img[..., 0], img[..., 1])
        and np.allclose(img[..., 1], img[..., 2])
    ]
    assert gray


@pytest.mark.parametrize("pipeline", ["tf.data", "py_dataset"])
def test_corrupt_file_is_skipped_with_one_warning(folder, pipeline, caplog):
    root, good = folder
    caplog.set_level(logging.WARNING, logger="keras_style.training.data")
    ds = image_dataset(
        root, image_size=8, batch_size=1, shuffle=False, repeat=False, pipeline=pipeline
    )
    if pipeline == "tf.data":
        n = sum(1 for _ in ds)
    else:
        n = 0
        for i in range(good):
            ds[i]
            n += 1
    assert n == good
    messages = [
        r.getMessage() for r in caplog.records if "corrupt.jpg" in r.getMessage()
    ]
    assert len(messages) == 1 and "Skipping unreadable image" in messages[0]


def test_repeat_false_is_one_pass_and_repeat_true_goes_on(folder):
    root, good = folder
    once = image_dataset(root, image_size=8, batch_size=2, repeat=False, seed=1)
    assert sum(1 for _ in once) == good // 2
    forever = image_dataset(root, image_size=8, batch_size=2, seed=1)
    assert sum(1 for _ in zip(range(10), forever)) == 10


def test_seed_makes_shuffling_reproducible(folder):
    root, _ = folder

    def first(seed):
        ds = image_dataset(root, image_size=8, batch_size=6, seed=seed)
        return np.asarray(next(iter(ds)))

    np.testing.assert_array_equal(first(3), first(3))
    assert not np.array_equal(first(3), first(4))


def test_random_crop_differs_from_center_crop(tmp_path):
    img = np.zeros((10, 40, 3), np.uint8)
    img[:, :, 0] = np.arange(40, dtype=np.uint8)[None, :] * 6
    Image.fromarray(img).save(tmp_path / "wide.png")
    center = load_square(tmp_path / "wide.png", 10)
    np.testing.assert_allclose(center[..., 0], img[:, 15:25, 0])
    crops = {
        float(load_square(tmp_path / "wide.png", 10, "random", s)[0, 0, 0])
        for s in range(8)
    }
    assert len(crops) > 1


def test_py_dataset_is_infinite_and_reshuffles(folder):
    root, _ = folder
    ds = ImageFolderDataset(list_images(root), image_size=8, batch_size=3, seed=0)
    assert ds.num_batches is None
    assert ds[100].shape == (3, 8, 8, 3)


def test_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: directory="):
        image_dataset(tmp_path / "nope")


def test_empty_directory_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images")
    with pytest.raises(ValueError, match="No images .* Received: directory="):
        image_dataset(tmp_path / "empty")


def test_file_instead_of_directory(folder):
    root, _ = folder
    with pytest.raises(ValueError, match="not a file. Received: directory="):
        image_dataset(root / "photo1.jpg")


def test_folder_of_only_corrupt_files_fails_fast(tmp_path):
    for i in range(3):
        (tmp_path / f"bad{i}.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="None of the 3 image files"):
        image_dataset(tmp_path)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"image_size": 0}, "image_size"),
        ({"batch_size": -1}, "batch_size"),
        ({"crop": "left"}, "crop"),
        ({"pipeline": "torch"}, "pipeline"),
    ],
)
def test_bad_arguments_name_the_argument(folder, kwargs, error):
    root, _ = folder
    with pytest.raises(ValueError, match=f"Received: {error}="):
        image_dataset(root, **kwargs)


def test_directory_must_be_a_path():
    with pytest.raises(TypeError, match="Received: directory=3"):
        image_dataset(3)

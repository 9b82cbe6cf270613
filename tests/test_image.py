"""Image loading, validation, resizing and atomic saving."""

import os

import numpy as np
import pytest
from PIL import Image

from keras_style import image as image_lib


def _gradient(h=12, w=20):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 12, y * 20, (x + y) * 6], axis=-1).astype("uint8")


def test_rgb_png_round_trip(tmp_path):
    arr = _gradient()
    Image.fromarray(arr).save(tmp_path / "a.png")
    out = image_lib.load_image(tmp_path / "a.png")
    assert out.dtype == np.float32 and out.shape == (12, 20, 3)
    np.testing.assert_array_equal(out, arr.astype("float32"))


def test_grayscale_becomes_rgb(tmp_path):
    Image.fromarray(_gradient()[..., 0]).save(tmp_path / "g.png")
    out = image_lib.load_image(tmp_path / "g.png")
    assert out.shape == (12, 20, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_rgba_keeps_alpha_separately(tmp_path):
    rgba = np.dstack([_gradient(), np.full((12, 20), 77, "uint8")])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    rgb, alpha = image_lib.load_image_with_alpha(tmp_path / "a.png")
    np.testing.assert_array_equal(rgb, rgba[..., :3])
    np.testing.assert_array_equal(alpha, 77)


def test_palette_image(tmp_path):
    Image.fromarray(_gradient()).convert("P", palette=Image.Palette.ADAPTIVE).save(
        tmp_path / "p.png"
    )
    out = image_lib.load_image(tmp_path / "p.png")
    assert out.shape == (12, 20, 3)
    assert np.abs(out - _gradient()).mean() < 10


def test_16bit_png_is_scaled_not_clipped(tmp_path):
    arr = (np.linspace(0, 65535, 12 * 20).reshape(12, 20)).astype("uint16")
    Image.fromarray(arr).save(tmp_path / "d.png")
    out = image_lib.load_image(tmp_path / "d.png")
    assert out.max() == pytest.approx(255, abs=0.01)
    assert out[6, 10, 0] == pytest.approx(arr[6, 10] / 65535 * 255, abs=0.01)


def test_cmyk_jpeg(tmp_path):
    Image.fromarray(_gradient()).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    out = image_lib.load_image(tmp_path / "c.jpg")
    assert out.shape == (12, 20, 3)
    assert np.abs(out - _gradient()).mean() < 20


def test_exif_rotation_is_applied(tmp_path):
    img = Image.fromarray(_gradient(12, 20))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    img.save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = image_lib.load_image(tmp_path / "r.jpg")
    assert out.shape == (20, 12, 3)
    # The top-left of the displayed image is the original's bottom-left.
    assert np.abs(out[0, 0] - _gradient()[-1, 0]).max() < 25


def test_arrays_uint8_uint16_float():
    assert image_lib.load_image(_gradient()).shape == (12, 20, 3)
    assert image_lib.load_image(np.full((4, 4), 65535, "uint16")).max() == 255
    assert image_lib.load_image(np.full((4, 4, 3), 12.5, "float32"))[0, 0, 0] == 12.5


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (np.zeros((0, 5, 3), "uint8"), ValueError, "zero size"),
        (np.full((4, 4, 3), np.nan, "float32"), ValueError, "NaN"),
        (np.full((4, 4, 3), 300.0, "float32"), ValueError, "0..255"),
        (np.zeros((4, 4, 2), "uint8"), ValueError, "Received: image=array"),
        (42, TypeError, "Received: image=42"),
    ],
)
def test_bad_arrays(bad, error, message):
    with pytest.raises(error, match=message):
        image_lib.load_image(bad)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: content="):
        image_lib.load_image(tmp_path / "missing.jpg", name="content")
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match="not an image file"):
        image_lib.load_image(tmp_path / "notes.txt")
    Image.fromarray(_gradient()).save(tmp_path / "t.jpg")
    data = (tmp_path / "t.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"could not be decoded.*Received: image="):
        image_lib.load_image(tmp_path / "t.jpg")
    with pytest.raises(IsADirectoryError):
        image_lib.load_image(tmp_path)


def test_max_size_keeps_aspect():
    assert image_lib.load_image(_gradient(12, 20), max_size=10).shape == (6, 10, 3)
    with pytest.raises(ValueError, match="Received: max_size=0"):
        image_lib.load_image(_gradient(), max_size=0)


def test_save_is_atomic(tmp_path, monkeypatch):
    dest = tmp_path / "out.png"
    image_lib.save_image(_gradient().astype("float32"), dest)
    before = dest.read_bytes()

    def failing_save(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        image_lib.save_image(np.zeros((4, 4, 3)), dest)
    with pytest.raises(OSError, match="disk full"):
        image_lib.save_image(np.zeros((4, 4, 3)), tmp_path / "new.png")
    assert dest.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temp files


def test_save_rejects_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match="Received: path="):
        image_lib.save_image(np.zeros((4, 4, 3)), tmp_path / "out.xyz")


@pytest.mark.parametrize(
    "name, error, match",
    [
        ("x.xbm", ValueError, "cannot hold RGB images"),
        ("x.xyz", ValueError, "image extension"),
        ("noext", ValueError, "image extension"),
        ("folder.png", IsADirectoryError, "is a folder"),
    ],
)
def test_output_path_is_checked_before_any_work(tmp_path, name, error, match):
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(error, match=match) as info:
        image_lib.check_output_path(tmp_path / name, name="-o")
    assert "Received: -o=" in str(info.value)
    assert image_lib.check_output_path(tmp_path / "new" / "x.webp") == (
        tmp_path / "new" / "x.webp",
        "WEBP",
    )


def test_unwritable_destinations_name_the_output_not_a_temp_file(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(PermissionError, match="Received: -o=") as info:
            image_lib.save_image(np.zeros((4, 4, 3)), locked / "x.png", name="-o")
        assert ".part" not in str(info.value)
    finally:
        locked.chmod(0o700)
    with pytest.raises(
        OSError, match=r"Cannot write `path`.*Received: path='/proc/x.jpg'"
    ):
        image_lib.save_image(np.zeros((4, 4, 3)), "/proc/x.jpg")


def test_multi_frame_files_warn_that_one_frame_is_used(tmp_path):
    frames = [Image.fromarray(_gradient()), Image.fromarray(_gradient()[::-1].copy())]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "b.tif", save_all=True, append_images=frames[1:])
    for file in ("a.gif", "b.tif"):
        with pytest.warns(UserWarning, match="holds 2 frames.*first"):
            out = image_lib.load_image(tmp_path / file, name="photo")
        assert out.shape == (12, 20, 3)


def test_saved_files_get_umask_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = image_lib.save_image(np.zeros((4, 4, 3)), tmp_path / "perm.png")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    "orientation, corner",
    [
        (3, lambda g: g[-1, -1]),  # rotated 180: top-left shows bottom-right
        (6, lambda g: g[-1, 0]),  # rotated 90 CW: top-left shows bottom-left
        (8, lambda g: g[0, -1]),  # rotated 90 CCW: top-left shows top-right
    ],
)
def test_exif_orientations(tmp_path, orientation, corner):
    img = Image.fromarray(_gradient(12, 20))
    exif = img.getexif()
    exif[0x0112] = orientation
    img.save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = image_lib.load_image(str(tmp_path / "r.jpg"))
    assert out.shape == ((12, 20, 3) if orientation == 3 else (20, 12, 3))
    assert np.abs(out[0, 0] - corner(_gradient()).astype("float32")).max() < 25
    # PIL images carrying the tag are rotated too.
    with Image.open(tmp_path / "r.jpg") as pil:
        assert image_lib.load_image(pil).shape == out.shape


def test_random_bytes_with_image_extension(tmp_path):
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(ValueError, match=r"not an image file.*Received: style="):
        image_lib.load_image(tmp_path / "noise.png", name="style")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="Received: image="):
        image_lib.load_image(tmp_path / "empty.jpg")


def test_palette_with_transparency_has_alpha(tmp_path):
    img = Image.fromarray(_gradient()).convert("P", palette=Image.Palette.ADAPTIVE)
    img.info["transparency"] = 0
    img.save(tmp_path / "t.png", transparency=0)
    rgb, alpha = image_lib.load_image_with_alpha(tmp_path / "t.png")
    assert rgb.shape == (12, 20, 3) and alpha is not None
    assert set(np.unique(alpha)) <= {0.0, 255.0} and alpha.max() == 255


def test_real_photos_load(shared_data):
    for path in sorted((shared_data / "styles").glob("*.jpg"))[:3]:
        img = image_lib.load_image(path, max_size=64)
        assert img.dtype == np.float32 and max(img.shape[:2]) == 64
        assert img.shape[2] == 3 and img.min() >= 0 and img.max() <= 255


def test_resize_helpers():
    assert image_lib.scaled_size(300, 400, 200) == (150, 200)
    assert image_lib.scaled_size(1, 1000, 10) == (1, 10)
    out = image_lib.resize_longest_side(_gradient(12, 20).astype("float32"), 40)
    assert out.shape == (24, 40, 3) and out.dtype == np.float32
    with pytest.raises(ValueError, match="Received: size=0"):
        image_lib.resize_longest_side(_gradient(), 0)
    with pytest.raises(TypeError, match="Received: size=2.5"):
        image_lib.resize_longest_side(_gradient(), 2.5)

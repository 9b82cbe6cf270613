"""Stylizer: any input kind and size, alpha, strength, colours, tiles, folders."""

import numpy as np
import pytest
from PIL import Image
from test_convert import tiny_net

from keras_style.image import rgb_to_yiq
from keras_style.inference import network_call, tiling
from keras_style.inference.stylizer import Stylizer
from keras_style.inference.tiling import axis_weights, tile_starts

H, W = 40, 56  # one shape for most tests: JAX compiles once per input shape


@pytest.fixture(scope="module")
def tiny():
    return Stylizer(tiny_net(1), name="tiny")


@pytest.fixture(scope="module")
def wave(shared_data):
    from keras_style.convert.lengstrom import convert_lengstrom

    return Stylizer(
        convert_lengstrom(shared_data / "weights" / "lengstrom-ml5" / "wave")
    )


@pytest.fixture
def photo(rng):
    # Smooth mid-range content: colour ramps plus a little noise.
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([x * 3 + 40, y * 4 + 30, (x + y) * 2 + 60], -1).astype("float32")
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype("uint8")


def as_array(pil):
    return np.asarray(pil, dtype=np.float32)


def test_output_size_equals_input_for_odd_sizes(tiny, rng):
    img = rng.integers(0, 256, (37, 53, 3), dtype="uint8")
    out = tiny.stylize(img)
    assert isinstance(out, Image.Image) and out.mode == "RGB"
    assert out.size == (53, 37)
    assert as_array(out).std() > 1  # not a blank picture


def test_path_pil_float_and_list_inputs_agree(tiny, photo, tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    expected = as_array(tiny.stylize(photo))
    for variant in (str(path), path, Image.fromarray(photo), photo.astype("float32")):
        np.testing.assert_allclose(as_array(tiny.stylize(variant)), expected, atol=1)
    # A list returns a list; same-sized images are batched, results unchanged.
    outs = tiny.stylize([photo, path, photo[::-1].copy()], batch_size=2)
    assert isinstance(outs, list) and len(outs) == 3
    np.testing.assert_allclose(as_array(outs[0]), expected, atol=1)
    np.testing.assert_allclose(as_array(outs[1]), expected, atol=1)


def test_alpha_is_carried_through_unchanged(tiny, photo, rng):
    alpha = rng.integers(0, 256, (H, W), dtype="uint8")
    out = tiny.stylize(np.dstack([photo, alpha]))
    assert out.mode == "RGBA" and out.size == (W, H)
    np.testing.assert_array_equal(np.asarray(out)[..., 3], alpha)
    # Palette images with transparency keep it too.
    pal = Image.fromarray(photo).convert("P")
    pal.info["transparency"] = 0
    assert tiny.stylize(pal).mode == "RGBA"


def test_other_image_modes(tiny, photo):
    for mode in ("L", "P", "I;16", "CMYK", "LA"):
        pil = Image.fromarray(photo)
        if mode == "I;16":
            pil = Image.fromarray(np.asarray(pil.convert("L"), np.uint16) * 257)
            assert pil.mode.startswith("I;16")
        else:
            pil = pil.convert(mode)
        out = tiny.stylize(pil)
        assert out.size == (W, H), mode
        assert out.mode == ("RGBA" if mode == "LA" else "RGB"), mode


def test_exif_orientation_is_honoured(tiny, photo, tmp_path):
    # Stored portrait (W x H transposed) with "rotate 90 CW" in EXIF:
    # displayed (and returned) as H x W.
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(photo, k=1)))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    stored.save(path, exif=exif, quality=95)
    assert Image.open(path).size == (H, W)
    out = tiny.stylize(path)
    assert out.size == (W, H)


def test_strength_zero_returns_the_original(tiny, photo):
    np.testing.assert_array_equal(np.asarray(tiny.stylize(photo, strength=0)), photo)


def test_strength_blends_linearly(tiny, photo):
    full = as_array(tiny.stylize(photo))
    half = as_array(tiny.stylize(photo, strength=0.5))
    np.testing.assert_allclose(half, 0.5 * full + 0.5 * photo, atol=1.01)


def test_preserve_colors_keeps_the_photos_chroma(tiny, photo):
    styled = as_array(tiny.stylize(photo))
    kept = as_array(tiny.stylize(photo, preserve_colors=True))
    yiq_kept, yiq_photo, yiq_styled = map(rgb_to_yiq, (kept, photo, styled))
    # Chroma (I, Q) from the photo, luminance from the stylized result; pixels
    # clipped to 0..255 by the conversion back to RGB are excluded.
    inside = np.all((kept > 1) & (kept < 254), axis=-1)
    assert inside.mean() > 0.5
    np.testing.assert_allclose(
        yiq_kept[inside][:, 1:], yiq_photo[inside][:, 1:], atol=1.5
    )
    np.testing.assert_allclose(
        yiq_kept[inside][:, 0], yiq_styled[inside][:, 0], atol=1.5
    )
    assert np.abs(yiq_styled[..., 1:] - yiq_photo[..., 1:]).mean() > 2  # it did change


@pytest.fixture
def pass_shapes(monkeypatch):
    """The batch shape of every forward pass the stylizer makes."""
    shapes = []
    original = network_call.run_network

    def spy(model, batch):
        shapes.append(batch.shape)
        return original(model, batch)

    monkeypatch.setattr(network_call, "run_network", spy)
    return shapes


def test_max_size_runs_smaller_and_returns_full_size(tiny, photo, pass_shapes):
    shapes = pass_shapes
    out = tiny.stylize(photo, max_size=28)
    assert shapes == [(1, 20, 28, 3)]
    assert out.size == (W, H)
    tiny.stylize(photo, max_size=100)  # no upscaling of small images
    assert shapes[-1] == (1, H, W, 3)


def test_auto_tiling_of_large_images(tiny, rng, monkeypatch, pass_shapes):
    shapes = pass_shapes
    monkeypatch.setattr(tiling, "AUTO_TILE_PIXELS", 40 * 56 - 1)
    monkeypatch.setattr(tiling, "DEFAULT_TILE_SIZE", 32)
    img = rng.integers(0, 256, (H, W, 3), dtype="uint8")
    out = tiny.stylize(img, batch_size=3)
    assert out.size == (W, H)
    # 2 x 2 tiles of 32 x 32 (overlap >= 8), in batches of at most 3.
    assert [s[0] for s in shapes] == [3, 1] and all(
        s[1:] == (32, 32, 3) for s in shapes
    )


def test_tile_weights_cover_every_pixel_smoothly():
    for length, tile, overlap in [
        (100, 40, 10),
        (1000, 256, 64),
        (41, 40, 4),
        (97, 32, 15),
    ]:
        starts = tile_starts(length, tile, overlap)
        assert starts[0] == 0 and starts[-1] == length - tile
        assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:]))
        total = np.zeros(length)
        for start, w in zip(starts, axis_weights(starts, tile, length)):
            total[start : start + tile] += w
            assert w.min() >= 0 and w.max() <= 1
        # Every pixel fully covered; neighbours' ramps sum to one.
        assert total.min() > 0.99, (length, tile, overlap)
        assert np.abs(np.diff(total)).max() < 1e-9 or len(starts) > 2


def column_gradient(img):
    """Mean absolute horizontal gradient of each column boundary."""
    return np.abs(np.diff(np.asarray(img, np.float32).mean(-1), axis=1)).mean(0)


def test_tiling_matches_untiled_without_seams(wave, shared_data):
    # Tolerance documented in Stylizer: tiles have their own instance-norm
    # statistics, so values differ from one pass at the texture level; blending
    # leaves no seam. Measured (wave, 160x320 photo, three 160-px tiles):
    # interior mean absolute difference 10.2, median 7 (0..255 scale).
    photo = Image.open(shared_data / "content" / "stata.jpg").convert("RGB")
    photo = photo.resize((320, 160), Image.Resampling.BICUBIC)
    full = as_array(wave.stylize(photo))
    tiled = as_array(wave.stylize(photo, tile_size=160, tile_overlap=48))
    hard = as_array(wave.stylize(photo, tile_size=160, tile_overlap=0))
    interior = np.abs(tiled - full)[16:-16, 16:-16]
    assert interior.mean() < 13, interior.mean()
    assert np.median(interior) <= 9
    # Same global look: per-channel means agree closely.
    np.testing.assert_allclose(tiled.mean((0, 1)), full.mean((0, 1)), atol=4)

    # Tile boundaries: columns where tiles start/end or hand over.
    starts = tile_starts(320, 160, 48)
    boundaries = sorted({s - 1 for s in starts[1:]} | {s + 159 for s in starts[:-1]})
    seam_cols = [c for b in boundaries for c in range(b - 2, b + 3) if 0 <= c < 319]
    g_full, g_tiled = column_gradient(full), column_gradient(tiled)
    ratio = g_tiled[seam_cols].max() / np.median(g_tiled)
    natural = g_full[seam_cols].max() / np.median(g_full)
    assert ratio < max(1.5 * natural, 1.6), (ratio, natural)
    # The same metric does see the seam of unblended tiles (the control).
    hard_starts = tile_starts(320, 160, 0)
    g_hard = column_gradient(hard)
    assert g_hard[hard_starts[1] - 1] / np.median(g_hard) > 1.5 * ratio


def test_stylize_folder_skips_and_reports_unreadable_files(
    tiny, photo, tmp_path, capsys
):
    src, dst = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(photo).save(src / "a.jpg", quality=95)
    Image.fromarray(np.dstack([photo, photo[..., 0]])).save(src / "sub" / "b.png")
    (src / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (src / "notes.txt").write_text("not an image")

    result = tiny.stylize_folder(src, dst, verbose=1)

    assert sorted(p.relative_to(dst).as_posix() for p in result.written) == [
        "a.jpg",
        "sub/b.png",
    ]
    assert list(result.skipped) == [src / "broken.jpg"]
    assert Image.open(dst / "a.jpg").size == (W, H)
    assert Image.open(dst / "sub" / "b.png").mode == "RGBA"
    assert not list(dst.rglob("*.part")) and not (dst / "broken.jpg").exists()
    assert "broken.jpg" in capsys.readouterr().err
    with pytest.raises(ValueError, match="output_dir"):
        tiny.stylize_folder(src, src)
    with pytest.raises(FileNotFoundError, match="input_dir"):
        tiny.stylize_folder(tmp_path / "missing", dst)


INVALID_ARGUMENTS = [
    ({"strength": 1.5}, ValueError, "strength=1.5"),
    ({"strength": "a"}, TypeError, "strength='a'"),
    ({"max_size": 0}, ValueError, "max_size=0"),
    ({"tile_size": 64, "tile_overlap": 32}, ValueError, "tile_overlap"),
    ({"tile_size": 4}, ValueError, "tile_size=4"),
    ({"batch_size": 0}, ValueError, "batch_size=0"),
]


def test_invalid_arguments(tiny, photo):
    for kwargs, error, match in INVALID_ARGUMENTS:
        with pytest.raises(error, match=match):
            tiny.stylize(photo, **kwargs)


def test_invalid_inputs(tiny, tmp_path):
    with pytest.raises(TypeError, match="model"):
        Stylizer(lambda x: x)
    with pytest.raises(ValueError, match="empty"):
        tiny.stylize([])
    with pytest.raises(TypeError, match="image"):
        tiny.stylize(object())
    with pytest.raises(FileNotFoundError, match="image"):
        tiny.stylize(tmp_path / "missing.jpg")
    with pytest.raises(ValueError, match=r"image\[1\]"):
        tiny.stylize([np.zeros((8, 8, 3), "uint8"), np.zeros((8, 8, 5), "uint8")])


def test_from_preset_dir(tiny, photo, tmp_path):
    tiny.model.save_to_preset(tmp_path / "p", metadata={"name": "tiny-preset"})
    loaded = Stylizer.from_preset_dir(tmp_path / "p")
    assert loaded.name == "tiny-preset" and loaded.metadata["parameter_count"] > 0
    np.testing.assert_allclose(
        as_array(loaded.stylize(photo)), as_array(tiny.stylize(photo)), atol=1
    )


def test_names_that_moved_out_of_stylizer_still_import_from_it():
    from keras_style.inference import options as stylize_options
    from keras_style.inference.stylizer import (
        AUTO_TILE_PIXELS,
        DEFAULT_TILE_SIZE,
        MAX_PASS_PIXELS,
        check_options,
    )

    assert check_options is stylize_options.check_options
    assert (AUTO_TILE_PIXELS, DEFAULT_TILE_SIZE, MAX_PASS_PIXELS) == (
        tiling.AUTO_TILE_PIXELS,
        tiling.DEFAULT_TILE_SIZE,
        tiling.MAX_PASS_PIXELS,
    )
    with pytest.raises(ValueError, match="Received: tile_overlap=8, tile_size=16"):
        check_options(tile_size=16, tile_overlap=8)


def test_a_stylizer_does_not_keep_its_network_alive(photo):
    # JAX caches one jitted forward pass per network; the cache must not
    # hold a network that nothing else uses.
    import gc
    import weakref

    stylizer = Stylizer(tiny_net(1))
    stylizer.stylize(photo)
    network = weakref.ref(stylizer.model)
    del stylizer
    gc.collect()
    assert network() is None

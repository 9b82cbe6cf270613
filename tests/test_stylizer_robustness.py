"""Stylizer against careless input: every size and mode, mixed folders, limits."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from test_convert import tiny_net

from keras_style.inference import network_call
from keras_style.inference.stylizer import Stylizer
from keras_style.models.transform_net import MIN_SIZE


@pytest.fixture(scope="module")
def tiny():
    return Stylizer(tiny_net(1), name="tiny")


def _image(kind, h, w, rng):
    if kind == "rgb":
        return rng.integers(0, 256, (h, w, 3), dtype="uint8")
    if kind == "gray":
        return rng.integers(0, 256, (h, w), dtype="uint8")
    if kind == "rgba":
        return rng.integers(0, 256, (h, w, 4), dtype="uint8")
    if kind == "uint16":
        return rng.integers(0, 65536, (h, w), dtype="uint16")
    if kind == "float":
        return rng.uniform(0, 255, (h, w, 3)).astype("float32")
    if kind == "palette":
        return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype="uint8")).convert(
            "P"
        )
    raise AssertionError(kind)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    kind=st.sampled_from(["rgb", "gray", "rgba", "uint16", "float", "palette"]),
)
def test_any_size_and_mode_gives_the_same_size_or_the_documented_error(
    tiny, h, w, kind
):
    image = _image(kind, h, w, np.random.default_rng(h * 100 + w))
    if min(h, w) < MIN_SIZE:
        with pytest.raises(ValueError, match=r"too small.*Received: image of"):
            tiny.stylize(image)
        return
    out = tiny.stylize(image)
    assert out.size == (w, h)
    assert out.mode == ("RGBA" if kind == "rgba" else "RGB")


def test_too_small_is_an_error_whatever_came_before(tiny, rng):
    # The network's own check sees only static shapes; after a compiled call
    # on a good size it would be skipped and the backend would crash.
    tiny.stylize(rng.integers(0, 256, (16, 16, 3), dtype="uint8"))
    with pytest.raises(ValueError, match="3x3 pixels"):
        tiny.stylize(rng.integers(0, 256, (3, 3, 3), dtype="uint8"))
    with pytest.raises(ValueError, match=r"8x4 pixels, 40x20 before max_size"):
        tiny.stylize(rng.integers(0, 256, (20, 40, 3), dtype="uint8"), max_size=8)
    with pytest.raises(ValueError, match="Received: max_size=4"):
        tiny.stylize(rng.integers(0, 256, (20, 40, 3), dtype="uint8"), max_size=4)


def test_folder_with_every_kind_of_bad_file_writes_every_good_one(tiny, rng, tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    good = {
        "a_rgb.png": rng.integers(0, 256, (20, 24, 3), dtype="uint8"),
        "c_gray.jpg": rng.integers(0, 256, (18, 22), dtype="uint8"),
        "sub/e_rgba.png": rng.integers(0, 256, (16, 20, 4), dtype="uint8"),
        "g_16bit.png": rng.integers(0, 65536, (20, 20), dtype="uint16"),
    }
    for name, array in good.items():
        Image.fromarray(array).save(src / name)
    frames = [Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype="uint8"))] * 2
    frames[0].save(src / "h_anim.gif", save_all=True, append_images=frames[1:])
    Image.fromarray(rng.integers(0, 256, (3, 3, 3), dtype="uint8")).save(
        src / "b_tiny.png"
    )
    Image.fromarray(rng.integers(0, 256, (1, 1, 3), dtype="uint8")).save(
        src / "d_one_pixel.png"
    )
    (src / "f_garbage.png").write_bytes(b"\x89PNG not really")
    (src / "sub" / "i_empty.jpg").write_bytes(b"")
    jpeg = src / "j_truncated.jpg"
    Image.fromarray(rng.integers(0, 256, (30, 30, 3), dtype="uint8")).save(jpeg)
    jpeg.write_bytes(jpeg.read_bytes()[:200])
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the animated GIF's "first frame" notice
        result = tiny.stylize_folder(src, tmp_path / "out", verbose=0)

    expected = {*good, "h_anim.gif"}
    assert {str(p.relative_to(tmp_path / "out")) for p in result.written} == expected
    for name in expected:
        with Image.open(tmp_path / "out" / name) as out, Image.open(src / name) as im:
            assert out.size == im.size
    assert {p.name for p in result.skipped} == {
        "b_tiny.png",
        "d_one_pixel.png",
        "f_garbage.png",
        "i_empty.jpg",
        "j_truncated.jpg",
    }
    assert "too small" in result.skipped[src / "b_tiny.png"]
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before


def test_outputs_inside_the_input_folder_are_never_inputs(tiny, rng, tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype="uint8")).save(
        src / "a.png"
    )
    first = tiny.stylize_folder(src, src / "styled", verbose=0)
    again = tiny.stylize_folder(src, src / "styled", verbose=0)
    assert first.written == again.written == [src / "styled" / "a.png"]
    assert not (src / "styled" / "styled").exists()


def test_bad_options_fail_once_before_the_folder_run(tiny, rng, tmp_path):
    Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype="uint8")).save(
        tmp_path / "a.png"
    )
    with pytest.raises(ValueError, match="Received: strength=2"):
        tiny.stylize_folder(tmp_path, tmp_path / "out", strength=2, verbose=0)
    with pytest.raises(ValueError, match="needs `tile_size`"):
        tiny.stylize_folder(tmp_path, tmp_path / "out", tile_overlap=8, verbose=0)
    assert not (tmp_path / "out").exists()


def test_passes_stay_within_the_pixel_limit(rng, monkeypatch):
    stylizer = Stylizer(tiny_net(1), max_pass_pixels=2 * 24 * 24)
    seen = []
    forward = network_call.run_network  # every network pass goes through it
    monkeypatch.setattr(
        network_call,
        "run_network",
        lambda model, batch: seen.append(batch.shape) or forward(model, batch),
    )
    images = [rng.integers(0, 256, (24, 24, 3), dtype="uint8") for _ in range(5)]
    assert len(stylizer.stylize(images, batch_size=4)) == 5
    assert [s[0] for s in seen] == [2, 2, 1]  # batches split to 2 x 24x24
    with pytest.raises(ValueError, match="exceeds the 1152-pixel limit"):
        stylizer.stylize(rng.integers(0, 256, (40, 40, 3), dtype="uint8"))
    with pytest.raises(ValueError, match="max_pass_pixels"):
        Stylizer(tiny_net(1), max_pass_pixels=0)
    with pytest.raises(TypeError, match="max_pass_pixels=None"):
        Stylizer(tiny_net(1), max_pass_pixels=None)

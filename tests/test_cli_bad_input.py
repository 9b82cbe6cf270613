"""The command line against careless input: exit code 2, one line naming the
argument, no traceback, nothing written, inputs unchanged."""

import numpy as np
import pytest
from PIL import Image
from test_convert import tiny_net

from keras_style import cli


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    return tiny_net(1).save_to_preset(tmp_path_factory.mktemp("p") / "tiny")


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype="uint8")).save(
        tmp_path / "photo.png"
    )
    Image.fromarray(rng.integers(0, 256, (3, 3, 3), dtype="uint8")).save(
        tmp_path / "tiny.png"
    )
    (tmp_path / "folder").mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype="uint8")).save(
        tmp_path / "folder" / "a.png"
    )
    return tmp_path


# (arguments after `stylize`, text the error must contain)
STYLIZE_CASES = [
    (["{t}/photo.png", "-o", "{t}/photo.png"], "-o would overwrite an input"),
    (["{t}/photo.png", "-o", "{t}/out.xbm"], "cannot hold RGB images"),
    (["{t}/photo.png", "-o", "{t}/out.xyz"], "Received: -o="),
    (["{t}/photo.png", "-o", "/proc/x.jpg"], "Received: -o='/proc/x.jpg'"),
    (["{t}/folder", "-o", "{t}/out.jpg"], "-o must be a folder"),
    (["{t}/photo.png", "-o", "{t}/o.png", "--tile-overlap", "8"], "needs `tile_size`"),
    (["{t}/photo.png", "-o", "{t}/o.png", "--max-size", "4"], "max_size"),
    (["{t}/photo.png", "-o", "{t}/o.png", "--strength", "2"], "strength=2"),
    (["{t}/tiny.png", "-o", "{t}/o.png"], "tiny.png) is too small"),
    (["{t}/missing.png", "-o", "{t}/o.png"], "INPUT="),
    (["{t}/photo.png", "-o", "{t}/o.png", "--ray-actors", "2"], "add --ray"),
]


def _snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "argv, message", STYLIZE_CASES, ids=[m for _, m in STYLIZE_CASES]
)
def test_stylize_bad_input(argv, message, files, preset, capsys):
    before = _snapshot(files)
    argv = [a.format(t=files) for a in argv]

    code = cli.main(["stylize", *argv, "-s", str(preset)])

    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert message in err and "Traceback" not in err, err
    assert err.count("\n") == 1  # one line
    assert _snapshot(files) == before  # nothing written, nothing changed


def test_overwrite_lets_the_user_replace_an_input(files, preset, capsys):
    photo = files / "photo.png"
    before = photo.read_bytes()
    code = cli.main(["stylize", str(photo), "-o", str(photo), "-s", str(preset)])
    assert code == 2 and photo.read_bytes() == before
    code = cli.main(
        ["stylize", str(photo), "-o", str(photo), "-s", str(preset), "--overwrite"]
    )
    assert code == 0 and photo.read_bytes() != before


def test_several_files_skip_the_bad_one_like_a_folder_run(files, preset, capsys):
    code = cli.main(
        ["stylize", str(files / "tiny.png"), str(files / "photo.png")]
        + ["-o", str(files / "out"), "-s", str(preset)]
    )
    _, err = capsys.readouterr()
    assert code == 1
    assert "skipped" in err and "tiny.png" in err and "Traceback" not in err
    assert sorted(p.name for p in (files / "out").iterdir()) == ["photo.png"]


def test_debug_shows_the_traceback(files, preset):
    with pytest.raises(ValueError, match="overwrite an input"):
        cli.main(
            ["stylize", str(files / "photo.png"), "-o", str(files / "photo.png")]
            + ["-s", str(preset), "--debug"]
        )


# (arguments after `optimize CONTENT STYLE`, text the error must contain)
OPTIMIZE_CASES = [
    (["-o", "{t}/photo.png"], "-o would overwrite an input"),
    (["-o", "{t}/out.xbm"], "cannot hold RGB images"),
    (["-o", "{t}/o.png", "--style-scale", "1000"], "Received: style_scale=1000"),
    (["-o", "{t}/o.png", "--size", "100000"], "Received: size=100000"),
    (["-o", "{t}/o.png", "--scales", "64,99999"], "Received: scales=[64, 99999]"),
    (["-o", "{t}/o.png", "--size", "16"], "too small for VGG layer"),
]


@pytest.mark.parametrize(
    "argv, message", OPTIMIZE_CASES, ids=[m for _, m in OPTIMIZE_CASES]
)
def test_optimize_bad_input(argv, message, files, capsys):
    before = _snapshot(files)
    argv = [a.format(t=files) for a in argv]

    code = cli.main(
        ["optimize", str(files / "photo.png"), str(files / "folder" / "a.png")]
        + [*argv, "--vgg-weights", "none", "--iterations", "1", "-q"]
    )

    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert message in err and "Traceback" not in err, err
    assert err.count("\n") == 1
    assert _snapshot(files) == before


def test_optimize_refuses_huge_sizes_before_allocating(files):
    # The limit is checked before any resize: 32 px content with a 1000x
    # style scale would otherwise allocate a 32000-px style image.
    import resource

    from keras_style.optimize import stylize_optimize

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="over the limit"):
        stylize_optimize(
            files / "photo.png",
            files / "folder" / "a.png",
            size=32,
            style_scale=1000,
            vgg_weights=None,
            verbose=0,
        )
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    assert grown_mb < 500

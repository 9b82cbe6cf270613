"""`keras-style stylize`, `keras-style zoo ...` and `keras-style convert lengstrom`."""

import numpy as np
import pytest
from PIL import Image
from test_convert import tiny_net
from test_zoo import Upstream

from keras_style import cli
from keras_style.models.transform_net import TransformNet


@pytest.fixture(autouse=True)
def zoo_env(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("KERAS_STYLE_HUB_OWNER", raising=False)
    monkeypatch.setenv("KERAS_STYLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(
        "KERAS_STYLE_UPSTREAM_URL", "http://127.0.0.1:9"
    )  # never the internet


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    return tiny_net(3).save_to_preset(tmp_path_factory.mktemp("p") / "tiny")


@pytest.fixture
def photos(tmp_path, rng):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    img = rng.integers(0, 256, (40, 56, 3), dtype="uint8")
    Image.fromarray(img).save(folder / "a.png")
    Image.fromarray(img[::-1].copy()).save(folder / "sub" / "b.jpg")
    return folder


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_zoo_list(capsys):
    code, out, _ = run(capsys, "zoo", "list")
    assert code == 0
    for name in ("wave", "rain_princess", "la_muse", "scream", "udnie", "wreck"):
        assert name in out
    assert "Hokusai" in out and "non-commercial" in out
    code, quiet, _ = run(capsys, "zoo", "list", "--quiet")
    assert code == 0 and "Licence" not in quiet and "wave" in quiet


def test_stylize_one_file(capsys, preset, photos, tmp_path):
    out_file = tmp_path / "out" / "a_styled.jpg"
    code, out, err = run(
        capsys, "stylize", photos / "a.png", "--style", preset, "-o", out_file,
        "--strength", "0.7", "--preserve-colors", "--max-size", "32",
    )  # fmt: skip
    assert code == 0, err
    assert Image.open(out_file).size == (56, 40)
    # An existing folder as -o receives the file under its own name.
    code, _, err = run(
        capsys, "stylize", photos / "a.png", "-s", preset, "-o", tmp_path / "out"
    )
    assert code == 0, err
    assert (tmp_path / "out" / "a.png").is_file()


def test_stylize_folder_reports_skipped_files(capsys, preset, photos, tmp_path):
    (photos / "broken.png").write_bytes(b"\x89PNG garbage")
    code, out, err = run(
        capsys, "stylize", photos, "--style", preset, "-o", tmp_path / "styled",
        "--tile-size", "32", "--tile-overlap", "8",
    )  # fmt: skip
    assert code == 1  # partial success is not success
    assert "2 written, 1 skipped" in out and "broken.png" in err
    assert Image.open(tmp_path / "styled" / "sub" / "b.jpg").size == (56, 40)


def test_stylize_several_inputs_into_a_folder(capsys, preset, photos, tmp_path):
    code, _, err = run(
        capsys, "stylize", photos / "a.png", photos / "sub" / "b.jpg", "-s", preset,
        "-o", tmp_path / "many", "-q",
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == ["a.png", "b.jpg"]


CLI_ERRORS = [
    (
        ["stylize", "{photo}", "-s", "vawe", "-o", "{tmp}/x.png"],
        "Available styles: arbitrary, la_muse, magenta26",
    ),
    (["stylize", "{tmp}/nope.png", "-s", "wave", "-o", "{tmp}/x.png"], "INPUT="),
    (
        [
            "stylize",
            "{photo}",
            "-s",
            "{preset}",
            "-o",
            "{tmp}/x.png",
            "--strength",
            "2",
        ],
        "strength=2.0",
    ),
    (
        ["stylize", "{photo}", "-s", "https://x.org/m", "-o", "{tmp}/x.png"],
        "arbitrary URLs",
    ),
    (
        ["stylize", "{photo}", "-s", "{preset}", "-o", "{tmp}/x.unknown"],
        "extension",
    ),
    (["convert", "lengstrom", "{tmp}", "-o", "{tmp}/p"], "ml5 weights folder"),
    (["zoo", "download", "hf://a/../b"], "hf://owner/repo"),
]


def test_errors_are_one_line_with_exit_2(capsys, preset, photos, tmp_path):
    subst = {"photo": photos / "a.png", "tmp": tmp_path, "preset": preset}
    for argv, message in CLI_ERRORS:
        code, _, err = run(capsys, *[a.format(**subst) for a in argv])
        assert code == 2, argv
        assert message in err and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err


def test_argparse_rejects_bad_numbers(capsys, preset, photos, tmp_path):
    with pytest.raises(SystemExit) as info:
        cli.main(
            [
                "stylize",
                str(photos),
                "-s",
                str(preset),
                "-o",
                str(tmp_path),
                "--max-size",
                "0",
            ]
        )
    assert info.value.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_convert_lengstrom_and_zoo_download(capsys, shared_data, tmp_path, monkeypatch):
    src = shared_data / "weights" / "lengstrom-ml5" / "la_muse"
    code, out, err = run(
        capsys,
        "convert",
        "lengstrom",
        src,
        "-o",
        tmp_path / "la_muse",
        "--name",
        "la_muse",
    )
    assert code == 0, err
    converted = TransformNet.from_preset_dir(out.strip())
    code, _, err = run(capsys, "convert", "lengstrom", src, "-o", tmp_path / "la_muse")
    assert code == 2 and "--overwrite" in err  # refuses to replace silently

    server = Upstream(shared_data / "weights" / "lengstrom-ml5")
    monkeypatch.setenv("KERAS_STYLE_UPSTREAM_URL", server.url)
    try:
        code, out, err = run(
            capsys, "zoo", "download", "la_muse", "--cache-dir", tmp_path / "c"
        )
    finally:
        server.stop()
    assert code == 0, err
    downloaded = TransformNet.from_preset_dir(out.strip())
    for a, b in zip(converted.get_weights(), downloaded.get_weights()):
        np.testing.assert_array_equal(a, b)

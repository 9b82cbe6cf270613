"""`keras-style optimize`: end to end, help text, bad input."""

import numpy as np
import pytest
from PIL import Image

from keras_style import cli
from keras_style.image import load_image

FAST = [
    "--vgg-weights",
    "none",
    "--content-layers",
    "relu2_1",
    "--style-layers",
    "relu1_1,relu2_1",
    "--size",
    "32",
    "--iterations",
    "2",
]


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:24, 0:32]
    content = np.stack([x * 6, y * 8, 255 - x * 6], -1).astype("uint8")
    Image.fromarray(content).save(tmp_path / "content.png")
    for name in ("style1.jpg", "style2.jpg"):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype="uint8")).save(
            tmp_path / name
        )
    return tmp_path


def test_optimize_end_to_end(images, capsys):
    out = images / "out" / "result.png"
    code = cli.main(
        [
            "optimize",
            str(images / "content.png"),
            str(images / "style1.jpg"),
            str(images / "style2.jpg"),
            "--style-blend-weights",
            "3,1",
            "-o",
            str(out),
            "--optimizer",
            "adam",
            "--save-every",
            "1",
            "--seed",
            "0",
            *FAST,
        ]
    )
    assert code == 0
    result = load_image(out)
    assert result.shape == (24, 32, 3)
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.out
    assert "Scale 1/1" in captured.out and "total" in captured.out
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "result.png",
        "result_0001.png",
        "result_0002.png",
    ]


def test_optimize_scales_quiet_preserve_colors(images, capsys):
    out = images / "small.jpg"
    code = cli.main(
        [
            "optimize",
            str(images / "content.png"),
            str(images / "style1.jpg"),
            "-o",
            str(out),
            "--scales",
            "16,32",
            "--preserve-colors",
            "--init",
            "noise",
            "--quiet",
            *FAST[:6],
            "--iterations",
            "1",
        ]
    )
    assert code == 0
    assert load_image(out).shape == (24, 32, 3)
    assert capsys.readouterr().out == ""  # --quiet: not even "wrote OUT"


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["optimize", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in [
        "--output",
        "--size",
        "--scales",
        "--iterations",
        "--optimizer",
        "--learning-rate",
        "--content-weight",
        "--style-weight",
        "--tv-weight",
        "--style-layer-weights",
        "--content-layers",
        "--style-layers",
        "--init",
        "--preserve-colors",
        "--color-transfer",
        "--style-scale",
        "--style-blend-weights",
        "--pooling",
        "--save-every",
        "--vgg-weights",
        "--seed",
        "--quiet",
    ]:
        assert option in text, option
    assert "(default: 500)" in text and "(default: lbfgs)" in text
    assert "(default: relu1_1,relu2_1,relu3_1,relu4_1,relu5_1)" in text


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--iterations", "0"], "Received: iterations=0"),
        (["--size", "-5"], "Received: size=-5"),
        (["--init", "bogus"], "Received: init='bogus'"),
        (["--style-layers", "relu9_9"], "relu9_9"),
        (["--style-blend-weights", "1,2"], "style_blend_weights"),
        (["--vgg-weights", "missing.weights.h5"], "Received: vgg_weights="),
    ],
)
def test_bad_input_exits_2_with_one_line(images, capsys, extra, message):
    args = ["optimize", str(images / "content.png"), str(images / "style1.jpg")]
    args += ["-o", str(images / "o.png"), "--vgg-weights", "none", "--quiet"]
    code = cli.main(args + extra)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("keras-style optimize: error:")
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (images / "o.png").exists()


def test_bad_files_exit_2(images, capsys):
    (images / "broken.jpg").write_bytes(b"not a jpeg at all")
    for content, style, out in [
        (images / "missing.png", images / "style1.jpg", images / "o.png"),
        (images / "content.png", images / "broken.jpg", images / "o.png"),
        (images / "content.png", images / "style1.jpg", images / "o.unknown"),
    ]:
        args = ["optimize", str(content), str(style), "-o", str(out), "--quiet"]
        code = cli.main(args + ["--vgg-weights", "none"])
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Received:" in err, err


def test_argparse_rejects_malformed_lists(images, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["optimize", "c.png", "s.png", "-o", "o.png", "--scales", "256,big"])
    assert info.value.code == 2
    assert "comma-separated list of sizes" in capsys.readouterr().err

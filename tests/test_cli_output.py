"""What the `keras-style` command writes: quiet, log-friendly, fast `--help`."""

import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import PROJECT_ROOT
from PIL import Image
from test_convert import tiny_net

import keras_style
from keras_style import cli

FAST = [
    "--vgg-weights", "none", "--content-layers", "relu2_1",
    "--style-layers", "relu1_1,relu2_1", "--size", "32",
]  # fmt: skip
# C++ log lines of TensorFlow / XLA (absl format) and absl's pre-init notice.
NATIVE_LOG = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog|oneDNN|cuda", re.M)
# Runs `keras_style.cli.main(argv)` and reports the log level it left set.
MAIN = (
    "import os, sys\n"
    "from keras_style.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('TF_CPP_MIN_LOG_LEVEL=' + os.environ.get('TF_CPP_MIN_LOG_LEVEL', '-'))\n"
    "sys.exit(code)\n"
)


def run_cli(args, cwd, **env):
    """The command line in a fresh process, stdout and stderr piped."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TF_CPP_MIN_LOG_LEVEL", "HF_HUB_DISABLE_PROGRESS_BARS")
    }
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT), environ.get("PYTHONPATH", "")]
    )
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", MAIN, *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:24, 0:32]
    content = np.stack([x * 6, y * 8, 255 - x * 6], -1).astype("uint8")
    Image.fromarray(content).save(tmp_path / "content.png")
    style = rng.integers(0, 255, (40, 40, 3), dtype="uint8")
    Image.fromarray(style).save(tmp_path / "style.png")
    return tmp_path


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    return tiny_net(3).save_to_preset(tmp_path_factory.mktemp("p") / "tiny")


@pytest.fixture
def photos(tmp_path, rng):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        img = rng.integers(0, 256, (40, 56, 3), dtype="uint8")
        Image.fromarray(img).save(folder / f"{i}.png")
    return folder


@pytest.mark.slow
def test_optimize_output_to_a_file_is_short_plain_lines(images):
    # A pipe, not a terminal: periodic lines instead of a redrawn bar, and no
    # TensorFlow / XLA start-up chatter on stderr.
    result = run_cli(
        ["optimize", "content.png", "style.png", "-o", "out.png",
         "--iterations", "50", *FAST],
        cwd=images,
    )  # fmt: skip
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, err
    assert (images / "out.png").is_file()
    # The Keras bar wrote ~5 KB (one `\r` update per iteration) plus ~0.9 KB
    # of C++ log lines for this run; periodic lines are ~0.3 KB.
    assert len(out) + len(err) < 2000, out + err
    assert "\r" not in out + err and "\b" not in out + err
    assert not NATIVE_LOG.search(err), err
    assert "Scale 1/1" in out and "50/50" in out and "wrote out.png" in out


@pytest.mark.slow
def test_verbose_or_the_users_log_level_keeps_backend_logs(tmp_path):
    missing = tmp_path / "missing"
    args = ["convert", "lengstrom", missing, "-o", tmp_path / "preset"]
    result = run_cli([*args, "--verbose"], cwd=tmp_path)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 2 and "missing" in err, err  # ran, then failed
    # Not the CLI's "3" (importing JAX sets "1" when unset).
    assert "TF_CPP_MIN_LOG_LEVEL=" in out and "TF_CPP_MIN_LOG_LEVEL=3" not in out
    result = run_cli(args, cwd=tmp_path, TF_CPP_MIN_LOG_LEVEL="0")
    assert result.returncode == 2, result.stderr.decode()
    assert "TF_CPP_MIN_LOG_LEVEL=0" in result.stdout.decode()
    # The error itself is never hidden.
    assert "missing" in result.stderr.decode()


def test_quiet_prints_nothing_on_stdout(images, preset, photos, capsys):
    code = cli.main(
        ["optimize", str(images / "content.png"), str(images / "style.png"),
         "-o", str(images / "out.png"), "--iterations", "2", "-q", *FAST]
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out == ""
    (photos / "broken.png").write_bytes(b"not an image")
    code = cli.main(
        ["stylize", str(photos), "-s", str(preset), "-o", str(images / "styled"),
         "--quiet"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1  # a file was skipped
    assert out == ""
    assert "broken.png" in err  # skipped files are errors: still reported
    assert len(list((images / "styled").iterdir())) == 3


def test_stylize_folder_to_a_file_prints_lines(preset, photos, tmp_path, capsys):
    # capsys' stdout is not a terminal, like a pipe.
    code = cli.main(
        ["stylize", str(photos), "-s", str(preset), "-o", str(tmp_path / "o")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "\r" not in out and "\b" not in out
    assert out.splitlines()[0].startswith("3/3 - ")
    assert "3 written, 0 skipped" in out


def test_progress_verbosity():
    from keras_style.cli.arguments import progress_verbosity

    class Stream:
        def __init__(self, tty):
            self.isatty = lambda: tty

    class Args:
        quiet = False

    assert progress_verbosity(Args(), Stream(True)) == 1
    assert progress_verbosity(Args(), Stream(False)) == 2
    Args.quiet = True
    assert progress_verbosity(Args(), Stream(True)) == 0


def test_progbar_lines(capsys):
    from keras_style.utils.progbar import Progbar

    bar = Progbar(4, verbose=2, line_interval=0.0, stateful_metrics=["loss"])
    for step in range(1, 5):
        bar.update(step, [("loss", float(step))])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["1/4", "2/4", "3/4", "4/4"]
    assert lines[-1].endswith("loss: 4.0000")
    bar = Progbar(4, verbose=2)  # default interval: only the last step
    for step in range(1, 5):
        bar.update(step)
    assert capsys.readouterr().out.count("\n") == 1


def test_progress_lines_callback(capsys):
    from keras_style.utils.progbar import ProgressLines

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 3), "float32")
    model.fit(
        x, x[:, :1], batch_size=2, epochs=2, verbose=0,
        callbacks=[ProgressLines(line_interval=0.0)],
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and "Epoch 2/2" in lines
    assert lines[1].startswith("1/4 - ") and "loss: " in lines[1]
    assert len(lines) == 2 * (1 + 4 + 1)  # header, each step, end of epoch


def test_help_imports_no_framework():
    # `--help` of every command answers without importing Keras or a backend.
    code = (
        "import sys\n"
        "from keras_style.cli import main\n"
        "for argv in ([], ['optimize'], ['train'], ['stylize'], ['zoo'],\n"
        "             ['zoo', 'list'], ['zoo', 'download'], ['convert'],\n"
        "             ['convert', 'lengstrom']):\n"
        "    try:\n"
        "        main(argv + ['--help'])\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, (argv, e.code)\n"
        "    else:\n"
        "        raise AssertionError(argv)\n"
        "heavy = {'keras', 'tensorflow', 'jax', 'torch'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT), environ.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "usage: keras-style" in result.stdout.decode()


def test_package_names_resolve_lazily():
    from keras_style import GatysStyleTransfer, Stylizer, TransformNet, zoo

    assert keras_style.TransformNet is TransformNet
    assert keras_style.Stylizer is Stylizer
    assert keras_style.GatysStyleTransfer is GatysStyleTransfer
    assert keras_style.stylize_optimize is keras_style.optimize.stylize_optimize
    assert keras_style.zoo is zoo and callable(zoo.load)
    assert set(keras_style.__all__) <= set(dir(keras_style))
    assert {"callbacks", "image", "layers", "losses", "data"} <= set(dir(keras_style))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        keras_style.nope  # noqa: B018

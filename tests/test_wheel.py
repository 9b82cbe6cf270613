"""The README's first command, run as a new user would: the package installed
from its wheel into a fresh virtual environment, no network, an empty cache."""

import os
import pathlib
import re
import shutil
import site
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
from conftest import PROJECT_ROOT
from PIL import Image

from keras_style import zoo
from keras_style.image import save_image

pytestmark = pytest.mark.slow

# TensorFlow/XLA C++ log lines that a normal run must not print.
LOG_NOISE = re.compile(r"oneDNN|cuda|absl|^[IWE]\d{4} ", re.M)


def _readme_command():
    readme = (PROJECT_ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    command = re.findall(r"```bash\n(.*?)```", quickstart, flags=re.S)[0].strip()
    install, _, rest = command.partition(" && ")
    assert install == "pip install . scikit-image", install
    return rest  # the package comes from the wheel below instead


def _without_network():
    """`unshare -n` (a network namespace with no interfaces) where allowed."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"]).returncode == 0:
        return [unshare, "-n"]
    if unshare and subprocess.run([unshare, "-rn", "true"]).returncode == 0:
        return [unshare, "-rn"]
    return []


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtual environment holding keras-style from its wheel only.

    The dependencies come from this test environment's site-packages (a .pth
    file), so no download is needed; keras-style itself does not, because a
    .pth line only adds a folder and the editable install's hook is not run.
    """
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(PROJECT_ROOT), "--no-deps"]
        + ["--no-build-isolation", "-q", "-w", str(root / "dist")],
        check=True,
    )
    wheel = next((root / "dist").glob("keras_style-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    # Installed before the dependencies are linked in: pip must not take the
    # test environment's (editable) keras-style for this one.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install"]
        + ["--no-deps", "--no-index", "--ignore-installed", "-q", str(wheel)],
        check=True,
    )
    purelib = sysconfig.get_path("purelib", vars={"base": venv, "platbase": venv})
    pathlib.Path(purelib, "test_env_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    return venv, wheel


def test_wheel_holds_the_embedded_presets(fresh_venv):
    _, wheel = fresh_venv
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for style in zoo.EMBEDDED_STYLES:
        for file in zoo.PRESET_FILES:
            assert f"keras_style/presets/embedded/{style}/{file}" in names
    assert not any(n.startswith(("tests/", "keras_style/tests")) for n in names)
    # Three embedded presets (wave and rain_princess 3.6 MB, arbitrary 7 MB).
    assert wheel.stat().st_size < 20 * 2**20


def _offline_env(venv, tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KERAS_STYLE_", "HF_", "PYTHON", "TF_CPP"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path / "home"),
        HF_HUB_OFFLINE="1",
        KERAS_STYLE_CACHE=str(tmp_path / "empty_cache"),
    )
    return env


def test_readme_command_works_offline_from_the_wheel(fresh_venv, tmp_path):
    venv, _ = fresh_venv
    env = _offline_env(venv, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    where = subprocess.run(
        ["python", "-c", "import keras_style; print(keras_style.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert pathlib.Path(where.stdout.strip()).is_relative_to(venv), where

    run = subprocess.run(
        [*_without_network(), "bash", "-c", _readme_command()],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert not LOG_NOISE.search(run.stderr), run.stderr[-3000:]
    photo = np.asarray(Image.open(work / "astronaut.png").convert("RGB"), np.float32)
    with Image.open(work / "astronaut_wave.jpg") as out:
        assert out.size == (512, 512) and out.mode == "RGB"
        result = np.asarray(out, np.float32)
    # The same picture as this process makes, through the same JPEG encoder.
    save_image(zoo.load("wave").stylize(photo.astype("uint8")), tmp_path / "ref.jpg")
    with Image.open(tmp_path / "ref.jpg") as ref:
        expected = np.asarray(ref, np.float32)
    assert np.abs(result - expected).mean() < 1
    assert np.abs(result - photo).mean() > 20  # and stylized
    # Nothing downloaded or built; with the export extra (visible to this
    # venv) the default runtime exported wave once for ONNX Runtime.
    cache = tmp_path / "empty_cache"
    assert not (cache / "presets").exists() and not (cache / "hub").exists()
    assert (cache / "exported").exists() == ("runtime: onnx" in _runtime(env, work))


def _runtime(env, work):
    """What `keras-style stylize --verbose` says ran, in the wheel's venv."""
    run = subprocess.run(
        [*_without_network(), "keras-style", "stylize", "astronaut.png"]
        + ["--style", "wave", "-o", "again.jpg", "--verbose"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stderr


def test_any_painting_works_offline_from_the_wheel(fresh_venv, tmp_path):
    # Issue 20's "done when": the wheel's CLI, no network, an empty cache, a
    # painting of the user's: a full-resolution result equal to this process's.
    venv, _ = fresh_venv
    env = _offline_env(venv, tmp_path)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:300, 0:451]
    photo = np.stack([x % 256, y % 256, (x + y) % 256], -1).astype("uint8")
    Image.fromarray(photo).save(tmp_path / "photo.png")
    painting = rng.integers(0, 256, (200, 260, 3), dtype=np.uint8)
    Image.fromarray(painting).save(tmp_path / "painting.png")
    run = subprocess.run(
        [*_without_network(), "keras-style", "stylize", "photo.png"]
        + ["--style-image", "painting.png", "-o", "out.png"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    with Image.open(tmp_path / "out.png") as out:
        result = np.asarray(out, np.float32)
    expected = zoo.load("arbitrary").stylize(photo, style_image=painting)
    assert result.shape == (300, 451, 3)
    assert np.abs(result - np.asarray(expected, np.float32)).max() <= 1
    assert not (tmp_path / "empty_cache").exists()

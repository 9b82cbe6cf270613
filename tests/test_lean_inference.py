"""Time to first image: an exported network in the cache runs without Keras.

Once a preset's network has been exported for ONNX Runtime (by its first use,
or `keras-style zoo download STYLE --runtime onnx`), loading it again, from
Python or the command line, imports no backend framework at all.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from test_convert import tiny_net

from keras_style import cli, zoo

FRAMEWORKS = ("keras", "tensorflow", "jax", "torch")

# Slow: each test starts a fresh interpreter or exports.
pytestmark = [pytest.mark.default_runtime, pytest.mark.slow]

pytest.importorskip("onnxruntime", reason="the onnx runtime is not installed")
pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx")


def _fresh_python(code, *args):
    """Runs `code` in a new interpreter; returns its last stdout line as JSON."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", f"FRAMEWORKS = {FRAMEWORKS!r}\n{code}", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.fixture(scope="module")
def _exported_once(tmp_path_factory):
    """A small preset, its Keras result on a photo, and a cache holding its
    ONNX export (made by a first load, which says so on stderr). Exporting
    takes seconds, so the module shares one."""
    root = tmp_path_factory.mktemp("lean")
    preset = tiny_net(0).save_to_preset(root / "tiny")
    photo = root / "photo.png"
    pixels = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype="uint8")
    Image.fromarray(pixels).save(photo)
    expected = np.asarray(zoo.load(preset).stylize(photo), "int16")
    cache = root / "cache"
    first = zoo.load(preset, runtime="onnx", cache_dir=cache)
    assert first.runtime == "onnx" and first.model is not None  # Keras exported it
    return preset, photo, expected, cache


@pytest.fixture
def exported_preset(_exported_once, tmp_path):
    """`_exported_once`, with a cache of this test's own (tests damage it)."""
    preset, photo, expected, cache = _exported_once
    own_cache = tmp_path / "cache"
    shutil.copytree(cache, own_cache)
    return preset, photo, expected, own_cache


# Children define FRAMEWORKS first (see _fresh_python).
LEAN_LOAD = """
import json, sys
import numpy as np
from keras_style import zoo
preset, photo, cache, out = sys.argv[1:]
stylizer = zoo.load(preset, runtime="onnx", cache_dir=cache)
np.save(out, np.asarray(stylizer.stylize(photo)))
print(json.dumps({
    "runtime": stylizer.runtime,
    "model": stylizer.model is None,
    "frameworks": [m for m in FRAMEWORKS if m in sys.modules],
}))
"""


def test_a_cached_export_loads_and_runs_without_any_framework(
    exported_preset, tmp_path
):
    preset, photo, expected, cache = exported_preset
    out = tmp_path / "lean.npy"
    result, _ = _fresh_python(LEAN_LOAD, preset, photo, cache, out)
    assert result == {"runtime": "onnx", "model": True, "frameworks": []}
    lean = np.load(out).astype("int16")
    assert lean.shape == expected.shape == (37, 53, 3)
    assert np.abs(lean - expected).max() <= 1


def test_a_damaged_export_is_not_used_without_keras(exported_preset, tmp_path):
    preset, photo, expected, cache = exported_preset
    (path,) = (cache / "exported").glob("*.onnx")
    path.write_bytes(path.read_bytes()[:-100])
    result, stderr = _fresh_python(LEAN_LOAD, preset, photo, cache, tmp_path / "o.npy")
    # Checked against its recorded sha256, refused, and exported again.
    assert "keras" in result["frameworks"] and result["model"] is False
    assert "Exporting 'tiny" in stderr
    assert np.abs(np.load(tmp_path / "o.npy").astype("int16") - expected).max() <= 1


def test_one_process_hashes_an_unchanged_file_once(exported_preset, monkeypatch):
    """The command line looks up a preset's export, then loads it: the
    weights and the exported file are hashed once. A file damaged in place,
    even to the same size and modification time, is hashed and refused."""
    from keras_style.export import runtime_cache

    preset, _, _, cache = exported_preset
    hashed = []

    def counting(path):
        hashed.append(pathlib.Path(path).name)
        return sha256_file(path)

    sha256_file = runtime_cache.sha256_file
    monkeypatch.setattr(runtime_cache, "sha256_file", counting)
    monkeypatch.setattr(runtime_cache, "_HASHED", {})
    found = runtime_cache.cached_export_of_preset(preset, "onnx", cache_dir=cache)
    assert found is not None
    first = sorted(hashed)
    assert len(first) == 3 and found.name in first  # config, weights, export
    assert (
        runtime_cache.cached_export_of_preset(preset, "onnx", cache_dir=cache) == found
    )
    assert sorted(hashed) == first  # nothing hashed twice

    info = found.stat()
    data = bytearray(found.read_bytes())
    data[-1] ^= 0xFF
    with open(found, "r+b") as f:  # in place: same inode and size
        f.write(data)
    os.utime(found, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (
        runtime_cache.cached_export_of_preset(preset, "onnx", cache_dir=cache) is None
    )


@pytest.mark.parametrize("revision", [None, "previous"])
def test_an_export_by_an_older_exporter_is_not_used(exported_preset, revision):
    # Files cached by an older exporter are correct but slower: their stamp
    # has no `exporter_revision` (before the ONNX rewrites of
    # keras_style.export.onnx_passes) or an older one, so the lean path does
    # not take them and Keras exports again (the path the damaged-file test
    # above runs end to end).
    from keras_style.export.runtime_cache import (
        EXPORTER_REVISION,
        cached_export_of_preset,
    )

    preset, _, _, cache = exported_preset
    assert cached_export_of_preset(preset, "onnx", cache_dir=cache) is not None
    (stamp,) = (cache / "exported").glob("*.onnx.sha256")
    record = json.loads(stamp.read_text())
    if revision is None:
        del record["exporter_revision"]
    else:
        record["exporter_revision"] = EXPORTER_REVISION - 1
    stamp.write_text(json.dumps(record))
    assert cached_export_of_preset(preset, "onnx", cache_dir=cache) is None


CLI_RUN = """
import json, sys
from keras_style.cli import main
code = main(sys.argv[1:])
frameworks = [m for m in FRAMEWORKS if m in sys.modules]
# A photo needs neither PyAV (video probing) nor the upstream builder's HTTP
# client: each cost a single photo's run about 50 ms.
unneeded = [m for m in ("av", "cv2", "http.client") if m in sys.modules]
print(json.dumps({"code": code, "frameworks": frameworks, "unneeded": unneeded}))
"""


def test_cli_default_runtime_is_onnx_and_lean_once_exported(exported_preset, tmp_path):
    preset, photo, expected, cache = exported_preset
    out = tmp_path / "out.png"
    args = ["stylize", photo, "--style", preset, "-o", out, "--cache-dir", cache]
    result, stderr = _fresh_python(CLI_RUN, *args, "--verbose")
    assert result == {"code": 0, "frameworks": [], "unneeded": []}
    assert "runtime: onnx" in stderr
    styled = np.asarray(Image.open(out), "int16")
    assert np.abs(styled - expected).max() <= 1


def test_cli_keras_runtime_still_imports_keras(exported_preset, tmp_path):
    preset, photo, _, cache = exported_preset
    out = tmp_path / "out.png"
    args = ["stylize", photo, "--style", preset, "-o", out, "--cache-dir", cache]
    result, stderr = _fresh_python(CLI_RUN, *args, "--runtime", "keras", "--verbose")
    assert result["code"] == 0 and "keras" in result["frameworks"]
    assert "runtime: keras" in stderr


def test_zoo_download_with_runtime_prepares_the_lean_path(tmp_path, capsys):
    preset = tiny_net(0).save_to_preset(tmp_path / "tiny")
    cache = tmp_path / "cache"
    args = ["zoo", "download", str(preset), "--runtime", "onnx"]
    assert cli.main([*args, "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [str(preset), "onnx: ready"]
    assert "Exporting 'tiny" in out.err  # the one line of the first export
    from keras_style.inference.stylizer import Stylizer

    assert Stylizer.cached_runtime(preset, "onnx", cache_dir=cache) == "onnx"
    assert Stylizer.cached_runtime(preset, "litert", cache_dir=cache) is None
    assert Stylizer.cached_runtime(preset, "keras", cache_dir=cache) is None


def test_zoo_download_runtime_refuses_a_network_that_takes_a_style_vector(
    tmp_path, capsys
):
    code = cli.main(["zoo", "download", "magenta26", "--runtime", "onnx", "-q"])
    assert code == 2
    assert "takes a style vector" in capsys.readouterr().err


def test_auto_runtime_follows_the_installed_extra(monkeypatch):
    from keras_style.export import requirements
    from keras_style.export.runtime_cache import auto_runtime

    assert auto_runtime(photo_to_photo=True) == "onnx"
    assert auto_runtime(photo_to_photo=False) == "keras"
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    assert not requirements.installed("onnxruntime")
    assert auto_runtime(photo_to_photo=True) == "keras"


def test_importing_the_package_and_the_zoo_imports_no_framework():
    result, _ = _fresh_python(
        "import json, sys\n"
        "import keras_style, keras_style.zoo, keras_style.cli\n"
        "from keras_style.inference.stylizer import Stylizer\n"
        "print(json.dumps([m for m in FRAMEWORKS if m in sys.modules]))\n"
    )
    assert result == []


def test_listing_the_zoo_imports_no_framework(tmp_path):
    result, _ = _fresh_python(
        "import contextlib, io, json, sys\n"
        "from keras_style.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(['zoo', 'list', '--cache-dir', sys.argv[1]])\n"
        "listed = 'magenta26:25' in out.getvalue()\n"
        "print(json.dumps([code, listed, [m for m in FRAMEWORKS if m in sys.modules]]))\n",
        tmp_path,
    )
    assert result == [0, True, []]

"""Preset folders that were damaged, edited or crafted: every load is checked,
nothing is fetched or built, and the message says which file and how to repair."""

import json
import shutil

import h5py
import numpy as np
import pytest
from test_convert import tiny_net

from keras_style import cli, zoo
from keras_style.models.transform_net import TransformNet
from keras_style.presets import cache as preset_cache
from keras_style.presets import preset_utils


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return tiny_net(1).save_to_preset(tmp_path_factory.mktemp("p") / "tiny")


@pytest.fixture
def preset(saved, tmp_path):
    return pathlib_copy(saved, tmp_path / "preset")


def pathlib_copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def flip(path, offset=None):
    data = bytearray(path.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    for i in range(offset, min(offset + 4096, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_config(preset, change):
    path = preset / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))
    # A hand-edited preset: no checksums.
    (preset / "checksums.json").unlink(missing_ok=True)


def test_saved_presets_carry_checksums(preset):
    sums = json.loads((preset / "checksums.json").read_text())["sha256"]
    assert set(sums) == set(preset_utils.CHECKED_FILES)
    assert preset_utils.verify_checksums(preset, required=True) == sums


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_damaged_files_are_named(preset, damage):
    weights = preset / "model.weights.h5"
    if damage == "flip":
        flip(weights)
    elif damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:1000])
    else:
        (preset / "README.md").unlink()
    with pytest.raises(zoo.ChecksumError, match="damaged or was changed"):
        TransformNet.from_preset_dir(preset)


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, None])
def test_unreadable_weights_are_a_clear_error(preset, content):
    weights = preset / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:5000] if content is None else content)
    (preset / "checksums.json").unlink()
    with pytest.raises(ValueError, match="not a readable weights file") as info:
        TransformNet.from_preset_dir(preset)
    assert "model.weights.h5" in str(info.value)


def test_loading_never_builds_a_loss_network_or_reads_config_paths(preset, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a VGG was built while loading for inference")

    import keras

    monkeypatch.setattr(keras.applications, "VGG16", forbidden)
    monkeypatch.setattr(keras.applications, "VGG19", forbidden)
    for weights in ("imagenet", "/etc/passwd"):
        edit_config(
            preset,
            lambda c, w=weights: c.update(
                compile_config={
                    "optimizer": "adam",
                    "perceptual": {"vgg_weights": w, "loss_network": "vgg16"},
                }
            ),
        )
        model = TransformNet.from_preset_dir(preset)
        assert getattr(model, "optimizer", None) is None


def test_config_that_names_other_code_is_refused(preset):
    edit_config(
        preset,
        lambda c: c["config"].update(
            dtype={"module": "os", "class_name": "function", "config": {}}
        ),
    )
    with pytest.raises(ValueError, match="names code outside.*module='os'"):
        TransformNet.from_preset_dir(preset)


def test_non_utf8_config_names_the_file(preset):
    (preset / "config.json").write_bytes(b"\xff\xfe{not utf8}")
    (preset / "checksums.json").unlink()
    with pytest.raises(ValueError, match="config.json is not UTF-8.*Received: file="):
        TransformNet.from_preset_dir(preset)


def test_config_and_weights_that_do_not_match(preset):
    edit_config(preset, lambda c: c["config"].update(residual_blocks=2))
    with pytest.raises(ValueError, match="does not fit the network"):
        TransformNet.from_preset_dir(preset)


def test_non_finite_weights_are_an_error(preset):
    with h5py.File(preset / "model.weights.h5", "r+") as f:
        datasets = []
        f.visititems(
            lambda _, o: datasets.append(o) if isinstance(o, h5py.Dataset) else None
        )
        data = datasets[0][()]
        data.flat[0] = np.nan
        datasets[0][...] = data
    (preset / "checksums.json").unlink()
    with pytest.raises(ValueError, match="NaN or infinite"):
        TransformNet.from_preset_dir(preset)


def test_cached_preset_is_verified_and_repaired_with_force(
    tmp_path, shared_data, capsys, monkeypatch
):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    cache = tmp_path / "cache"
    built = preset_cache.built_dir(zoo.get_style("udnie"), cache)
    zoo.build_preset(
        "udnie", built, source_dir=shared_data / "weights" / "lengstrom-ml5" / "udnie"
    )
    flip(built / "model.weights.h5")

    code = cli.main(["zoo", "download", "udnie", "--cache-dir", str(cache)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "model.weights.h5" in err and "zoo download udnie --force" in err
    with pytest.raises(zoo.ChecksumError):
        zoo.load("udnie", cache_dir=cache)

    # --force rebuilds from the (local) upstream files.
    from test_zoo import Upstream

    server = Upstream(shared_data / "weights" / "lengstrom-ml5")
    try:
        monkeypatch.setenv("KERAS_STYLE_UPSTREAM_URL", server.url)
        code = cli.main(
            ["zoo", "download", "udnie", "--cache-dir", str(cache), "--force"]
        )
    finally:
        server.stop()
    assert code == 0
    assert zoo.load("udnie", cache_dir=cache).stylize(np.zeros((16, 16, 3))).size == (
        16,
        16,
    )

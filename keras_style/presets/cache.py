"""The keras-style cache: where Hub files and upstream-built presets live."""

import os
import pathlib
import shutil

from keras_style.presets.registry import get_style


def cache_root(cache_dir=None):
    """The keras-style cache: `cache_dir`, `$KERAS_STYLE_CACHE` or `~/.cache/keras_style`."""
    if cache_dir is not None:
        return pathlib.Path(cache_dir).expanduser()
    env = os.environ.get("KERAS_STYLE_CACHE")
    return (
        pathlib.Path(env).expanduser()
        if env
        else pathlib.Path.home() / ".cache" / "keras_style"
    )


def hub_cache_dir(cache_dir):
    # An explicit cache_dir holds everything (Hub files under hub/); otherwise
    # Hub files go to huggingface_hub's own cache (HF_HUB_CACHE).
    return None if cache_dir is None else str(cache_root(cache_dir) / "hub")


def built_dir(entry, cache_dir):
    return cache_root(cache_dir) / "presets" / f"{entry.name}-{entry.source.key()}"


def is_offline():
    import huggingface_hub.constants

    value = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return value in ("1", "ON", "YES", "TRUE") or bool(
        huggingface_hub.constants.HF_HUB_OFFLINE
    )


def clear_cache(style=None, *, cache_dir=None):
    """Deletes built presets from the keras-style cache (all, or one style's)."""
    root = cache_root(cache_dir) / "presets"
    pattern = "*" if style is None else f"{get_style(style).name}-*"
    for path in root.glob(pattern):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)

"""`zoo.load`: a style name, Hub handle or preset directory to a ready
`Stylizer` (`Stylizer.from_preset` in short); `download` and `source` are
`keras_style.convert.resolve.download` and `keras_style.presets.download.source`.
"""

from keras_style.convert.resolve import download, fetch
from keras_style.inference.stylizer import Stylizer
from keras_style.presets.download import source
from keras_style.presets.preset_utils import preset_class_name

__all__ = ["download", "load", "source"]


def load(
    style,
    *,
    revision=None,
    cache_dir=None,
    force_download=False,
    endpoint=None,
    upstream_url=None,
    dtype=None,
    runtime="keras",
):
    """Loads a pretrained style as a ready-to-use `Stylizer`.

    Args:
        style: a registry name (see `available()`), a Hub handle
            `"hf://owner/repo[@revision]"`, or a local preset directory.
        revision, cache_dir, force_download, endpoint, upstream_url: see
            `keras_style.zoo.download`.
        dtype: the compute dtype, e.g. `"bfloat16"`: see `Stylizer`.
        runtime: `"keras"` (default), `"onnx"` or `"litert"`: see `Stylizer`
            (an exported file is cached under `cache_dir` too).

    Returns:
        A `Stylizer` of the preset network's family (`ArbitraryStylizer`,
        `MultiStyleStylizer`, ...); its `metadata` holds the preset's licence
        and source.

    Example:

    >>> stylizer = keras_style.zoo.load("wave")
    >>> stylizer.stylize("photo.jpg").save("wave.jpg")
    """
    preset_dir, name = fetch(
        style,
        revision=revision,
        cache_dir=cache_dir,
        force_download=force_download,
        endpoint=endpoint,
        upstream_url=upstream_url,
    )
    if preset_class_name(preset_dir) not in Stylizer.network_classes:
        # The other families (and Keras) only for their presets: a photo-in,
        # photo-out network with an exported runtime runs without Keras.
        from keras_style.inference import families  # noqa: F401 (registers them)
    return Stylizer.from_preset_dir(
        preset_dir, name=name, dtype=dtype, runtime=runtime, cache_dir=cache_dir
    )

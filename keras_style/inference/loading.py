"""Loading a stylizer from a preset: `from_preset` (any handle),
`from_preset_dir` (the family of the preset's network; an exported runtime
from the cache without Keras when there is one) and `cached_runtime`."""

import pathlib

from keras_style.presets.preset_utils import preset_class_name, read_metadata

# The networks that map photos to photos: `Stylizer` runs them as they are,
# and only they are exported once for every photo.
PHOTO_NETWORKS = ("TransformNet", "FixedStyleNetwork")


def _resolve_runtime(class_name, runtime, dtype):
    """`runtime`, with `"auto"` resolved for a preset of `class_name`."""
    if runtime != "auto":
        return runtime
    from keras_style.export.runtime_cache import auto_runtime

    return auto_runtime(dtype is None and class_name in PHOTO_NETWORKS)


class PresetLoadingMixin:
    """The preset constructors of `Stylizer` and its families."""

    @classmethod
    def from_preset(
        cls,
        preset,
        *,
        revision=None,
        cache_dir=None,
        force_download=False,
        endpoint=None,
        upstream_url=None,
        **kwargs,
    ):
        """Loads the stylizer of a zoo name, a Hub handle or a preset folder.

        `keras_style.zoo.load` is the short form. Called on `Stylizer`, the
        stylizer class follows the network the preset holds (e.g. a
        `MultiStyleStylizer` for `"magenta26"`).

        Args:
            preset: a zoo name, `"hf://owner/repo[@revision]"` or a preset
                directory.
            revision, cache_dir, force_download, endpoint, upstream_url: see
                `keras_style.zoo.download`.
            **kwargs: `dtype`, `runtime` (see `Stylizer`).

        Returns:
            A `Stylizer`.

        Example:

        >>> Stylizer.from_preset("wave").stylize("photo.jpg").save("wave.jpg")
        """
        from keras_style.convert.resolve import fetch  # converters: only to build

        preset_dir, name = fetch(
            preset,
            revision=revision,
            cache_dir=cache_dir,
            force_download=force_download,
            endpoint=endpoint,
            upstream_url=upstream_url,
        )
        return cls.from_preset_dir(preset_dir, name=name, cache_dir=cache_dir, **kwargs)

    @classmethod
    def from_preset_dir(cls, preset_dir, *, name=None, **kwargs):
        """Loads the stylizer from a local preset directory.

        Args:
            preset_dir: a directory with `config.json` and `model.weights.h5`
                (see `TransformNet.save_to_preset`).
            name: optional label; defaults to the preset's name or the
                directory's.
            **kwargs: `dtype`, `runtime`, `cache_dir` (see `Stylizer`).

        Returns:
            A `Stylizer` (of the preset network's family when called on
            `Stylizer` itself).

        Example:

        >>> stylizer = Stylizer.from_preset_dir("presets/wave")
        """
        preset_dir = pathlib.Path(preset_dir)
        class_name = preset_class_name(preset_dir)
        if "_families" in cls.__dict__ and class_name in cls._families:
            cls = cls._families[class_name]  # called on Stylizer: the family
        kwargs["runtime"] = _resolve_runtime(
            class_name, kwargs.get("runtime", "keras"), kwargs.get("dtype")
        )
        metadata = read_metadata(preset_dir)
        options = dict(
            name=name or metadata.get("name") or preset_dir.name,
            metadata=metadata,
            preset_dir=preset_dir,
            **kwargs,
        )
        exported = cls._exported_from_cache(preset_dir, class_name, kwargs)
        if exported is not None:  # no Keras needed
            return cls(None, exported=exported, **options)
        return cls(cls.network_class(class_name).from_preset_dir(preset_dir), **options)

    @staticmethod
    def runtime_for(preset_dir, runtime="auto", *, dtype=None):
        """The runtime a stylizer of this preset runs in: `runtime`, with
        `"auto"` resolved as in `Stylizer`."""
        return _resolve_runtime(preset_class_name(preset_dir), runtime, dtype)

    @staticmethod
    def cached_runtime(preset_dir, runtime="auto", *, dtype=None, cache_dir=None):
        """The exported runtime this preset would run in without importing
        Keras, or None.

        That is `runtime` (`"auto"` resolved as in `Stylizer`) when it is
        `"onnx"` or `"litert"`, the preset's network maps photos to photos,
        and it was exported before (`from_preset_dir` then loads that file).
        The command line uses it to import Keras only when needed.
        """
        class_name = preset_class_name(preset_dir)
        runtime = _resolve_runtime(class_name, runtime, dtype)
        if runtime == "keras" or class_name not in PHOTO_NETWORKS:
            return None
        from keras_style.export.runtime_cache import cached_export_of_preset

        found = cached_export_of_preset(preset_dir, runtime, cache_dir=cache_dir)
        return runtime if found is not None else None

    @classmethod
    def _exported_from_cache(cls, preset_dir, class_name, kwargs):
        """This preset's network, exported before for the requested runtime
        and verified, loaded without Keras; None when there is none."""
        runtime = kwargs.get("runtime", "keras")
        if (
            runtime == "keras"
            or class_name not in PHOTO_NETWORKS
            or kwargs.get("dtype") is not None
        ):
            return None
        from keras_style.export.runtime_cache import load_cached_runtime

        return load_cached_runtime(
            preset_dir, runtime, cache_dir=kwargs.get("cache_dir")
        )

    @classmethod
    def network_class(cls, class_name):
        """The network class of a preset whose config names `class_name`
        (TransformNet when it names none of this stylizer's networks: the
        loader then reports the mismatch)."""
        import keras

        # Every family registers its classes here, only to build a Keras
        # network: a FixedStyleNetwork preset holds another family's network.
        from keras_style.models import (  # noqa: F401
            arbitrary,
            fixed_style_network,
            multi_style,
            transform_net,
        )

        if class_name not in cls.network_classes:
            class_name = cls.network_classes[0]
        return keras.saving.get_registered_object(f"keras_style>{class_name}")

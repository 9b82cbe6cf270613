"""`PresetMixin`: keras-hub's preset methods (`save_to_preset`, `from_preset`,
`from_preset_dir`), written once for every keras-style network."""

from keras_style.presets.download import download
from keras_style.presets.preset_utils import load_preset, save_preset


class PresetMixin:
    """`save_to_preset`, `from_preset` and `from_preset_dir` for a network.

    keras-hub's preset methods, written once for every keras-style network
    (`TransformNet`, `ArbitraryStyleNet`, `MultiStyleNet`,
    `FixedStyleNetwork`): a preset is a folder with `config.json`,
    `model.weights.h5`, `metadata.json`, a model card and checksums.
    """

    def save_to_preset(
        self, preset_dir, *, metadata=None, model_card=None, overwrite=False
    ):
        """Writes a preset directory: config, weights, metadata and model card.

        The directory (keras-hub layout) is assembled in a temporary sibling and
        renamed into place, so an interrupted save never leaves a half preset.

        `config.json` holds the network's config only, never the training
        setup of `compile`, so loading a preset needs no loss network.

        Args:
            preset_dir: destination directory.
            metadata: extra JSON-serializable fields for `metadata.json`
                (source, licence, training settings, ...).
            model_card: text of `README.md`; a minimal card is written if None.
            overwrite: replace an existing preset directory.

        Returns:
            The preset directory as a `pathlib.Path`.

        Example:

        >>> TransformNet(residual_blocks=1).save_to_preset("/tmp/my_style")
        PosixPath('/tmp/my_style')
        """
        return save_preset(
            self,
            preset_dir,
            metadata=metadata,
            model_card=model_card,
            overwrite=overwrite,
        )

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Loads the network from a zoo name, a Hub handle or a folder.

        Args:
            preset: a zoo name (`keras_style.zoo.available()`),
                `"hf://owner/repo[@revision]"` or a preset directory. A zoo
                style built from upstream files is built once by
                `keras_style.zoo.download(name)` (or `zoo.load`), which the
                error says; then this finds it in the cache.
            **kwargs: forwarded to `keras_style.presets.download.download`
                (`revision`, `cache_dir`, `force_download`, `endpoint`).

        Returns:
            The built network with the preset's weights.

        Example:

        >>> net = TransformNet.from_preset("wave")
        >>> net(np.zeros((1, 64, 64, 3), "float32")).shape
        (1, 64, 64, 3)
        """
        return cls.from_preset_dir(download(preset, **kwargs))

    @classmethod
    def from_preset_dir(cls, preset_dir):
        """Loads the network from a local preset directory.

        Only `config.json` (plain JSON naming Keras and keras-style classes
        only, deserialized with Keras `safe_mode`; compile settings ignored)
        and `model.weights.h5` are read: no code from the directory runs, no
        loss network is built and nothing is downloaded. The files are
        checked against `checksums.json` when the preset has one, and the
        weights against the config (tensor count and shapes) and for NaN.

        Args:
            preset_dir: a directory written by `save_to_preset`.

        Returns:
            The built network with the preset's weights.
        """
        return load_preset(cls, preset_dir)

"""The zoo's exceptions (re-exported as `keras_style.zoo.ChecksumError`, ...)."""

from keras_style.preset_utils import ChecksumError

__all__ = ["ChecksumError", "StyleNotFoundError", "StyleUnavailableError"]


class StyleUnavailableError(FileNotFoundError):
    """A style could not be downloaded and is not in any cache."""


class StyleNotFoundError(FileNotFoundError):
    """The Hub has no such repo, revision or preset file (cause: the Hub error)."""

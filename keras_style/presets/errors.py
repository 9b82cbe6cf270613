"""The zoo's exceptions (re-exported as `keras_style.zoo.ChecksumError`, ...)."""

from keras_style.presets.preset_utils import ChecksumError

__all__ = [
    "ChecksumError",
    "StyleNotFoundError",
    "StyleUnavailableError",
    "UpstreamUnreachable",
]


class StyleUnavailableError(FileNotFoundError):
    """A style could not be downloaded and is not in any cache."""


class StyleNotFoundError(FileNotFoundError):
    """The Hub has no such repo, revision or preset file (cause: the Hub error)."""


class UpstreamUnreachable(Exception):
    """A style's upstream files could not be reached (the caller reports it
    with the other sources it tried)."""

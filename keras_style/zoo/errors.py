"""The zoo's exceptions (re-exported as `keras_style.zoo.ChecksumError`, ...)."""


class ChecksumError(ValueError):
    """A downloaded file does not match its pinned checksum (it was deleted)."""


class StyleUnavailableError(FileNotFoundError):
    """A style could not be downloaded and is not in any cache."""


class StyleNotFoundError(FileNotFoundError):
    """The Hub has no such repo, revision or preset file (cause: the Hub error)."""

"""Resolving any preset handle, building registry styles from their upstream
files when no other source has them: `keras_style.zoo.download` and what
`Stylizer.from_preset` uses. The handle itself is resolved by
`keras_style.presets.download`, below the models; the upstream build step
(`keras_style.convert.upstream`) is passed in from here, above them.
"""

from keras_style.presets import download as presets_download


def download(
    style,
    *,
    revision=None,
    cache_dir=None,
    force_download=False,
    endpoint=None,
    upstream_url=None,
):
    """Makes a style's preset available locally and returns its directory.

    Order for a registry name: the copy embedded in the package, the caches,
    the Hub at the pinned commit, then the style's upstream files (downloaded,
    verified and converted once into the cache).

    Args:
        style: a registry name (`keras_style.zoo.available()`),
            `"hf://owner/repo[@revision]"`, or a local preset directory
            (returned as is).
        revision, cache_dir, force_download, endpoint, upstream_url: see
            `keras_style.presets.download.download`.

    Returns:
        The preset directory as a `pathlib.Path`.

    Example:

    >>> keras_style.zoo.download("la_muse")
    PosixPath('/home/me/.cache/keras_style/presets/la_muse-...')
    """
    return fetch(
        style,
        revision=revision,
        cache_dir=cache_dir,
        force_download=force_download,
        endpoint=endpoint,
        upstream_url=upstream_url,
    )[0]


def fetch(style, **kwargs):
    """`download`'s work: `(preset directory, the style's name or None)`; the
    name labels the stylizer (None: the preset's own name or its folder's)."""
    return presets_download.fetch(style, build=_build_cached, **kwargs)


def _build_cached(*args, **kwargs):
    # The HTTP client and converters load only when a style is built.
    from keras_style.convert.upstream import build_cached

    return build_cached(*args, **kwargs)

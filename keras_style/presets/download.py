"""Resolving a preset handle (a registry name, `hf://owner/repo[@revision]` or
a folder) to a verified local preset directory: the copy embedded in the
package, the caches, the Hub at a pinned commit, and (through a `build` step
the caller passes in) the style's upstream files.
"""

import logging

from keras_style.presets.cache import built_dir, hub_cache_dir, is_offline
from keras_style.presets.errors import (
    ChecksumError,
    StyleUnavailableError,
    UpstreamUnreachable,
)
from keras_style.presets.hub import (
    classify_hub_error,
    describe_error,
    hub_fetch,
    not_found_error,
)
from keras_style.presets.preset_utils import (
    CHECKSUMS_FILE,
    METADATA_FILE,
    MODEL_CARD_FILE,
    WEIGHTS_FILE,
    first_mismatch,
    verify_checksums,
)
from keras_style.presets.registry import (
    PRESET_FILES,
    check_revision,
    get_style,
    resolve_handle,
)

logger = logging.getLogger(__name__)


def download(
    style,
    *,
    revision=None,
    cache_dir=None,
    force_download=False,
    endpoint=None,
    upstream_url=None,
    build=None,
):
    """Makes a style's preset available locally and returns its directory.

    The handle is resolved here, below the models, so that every network's
    `from_preset` can use it; building a preset from a style's upstream files
    needs the converters, which sit above the models, so the caller passes
    that step in as `build` (`keras_style.zoo.download` does).

    Args:
        style: a registry name (`available()`), `"hf://owner/repo[@revision]"`,
            or a local preset directory (returned as is).
        revision: Hub branch, tag or commit. For a registry name it replaces
            the pinned commit (files are then checked against the Hub's
            checksums instead of the pinned ones, and there is no upstream
            fallback).
        cache_dir: root of every cache used (Hub files under `hub/`, built
            presets under `presets/`); default `$KERAS_STYLE_CACHE` or
            `~/.cache/keras_style` for built presets and huggingface_hub's
            cache for Hub files.
        force_download: download (and rebuild) even if cached.
        endpoint: Hub URL (default: huggingface_hub's, i.e. `HF_ENDPOINT`).
        upstream_url: base URL replacing the upstream mirror of registry
            styles (also `$KERAS_STYLE_UPSTREAM_URL`).
        build: `build(entry, cache_dir, upstream_url, force_download)`
            returning a preset directory built from a registry style's
            upstream files, tried last; None: such a style must have been
            built before (`keras_style.zoo.download(name)`).

    Returns:
        The preset directory as a `pathlib.Path`.

    Example:

    >>> download("wave")
    PosixPath('.../keras_style/presets/embedded/wave')
    """
    return fetch(
        style,
        revision=revision,
        cache_dir=cache_dir,
        force_download=force_download,
        endpoint=endpoint,
        upstream_url=upstream_url,
        build=build,
    )[0]


def fetch(
    style,
    *,
    revision=None,
    cache_dir=None,
    force_download=False,
    endpoint=None,
    upstream_url=None,
    build=None,
):
    """`download`'s work; returns `(preset dir, name for the Stylizer or None)`."""
    kind, target = resolve_handle(style)
    revision = check_revision(revision)
    if kind == "dir":
        if revision is not None:
            raise ValueError(
                "`revision` applies to Hub styles, not to a local directory. "
                f"Received: style={style!r}, revision={revision!r}"
            )
        if not target.is_dir():
            raise FileNotFoundError(
                f"Preset directory does not exist. Received: style={str(target)!r}"
            )
        return target, None  # metadata.json's name, else the folder's
    if kind == "name" and revision is not None:
        return (
            _fetch_hub(
                style, target.repo_id, revision, cache_dir, force_download, endpoint
            ),
            target.name,
        )
    if kind == "hub":
        repo_id, rev = target
        if revision is not None and rev is not None and revision != rev:
            raise ValueError(
                "Pass the revision either in the handle or as `revision=`, not both. "
                f"Received: style={style!r}, revision={revision!r}"
            )
        return (
            _fetch_hub(
                style, repo_id, rev or revision, cache_dir, force_download, endpoint
            ),
            f"hf://{repo_id}",
        )
    return (
        _download_registered(
            target, cache_dir, force_download, endpoint, upstream_url, build
        ),
        target.name,
    )


def _fetch_hub(style, repo_id, revision, cache_dir, force_download, endpoint):
    """A Hub preset at `revision` (None: main), checked against the Hub's hashes."""
    try:
        return hub_fetch(
            repo_id,
            revision,
            dict.fromkeys(PRESET_FILES),
            cache_dir=cache_dir,
            endpoint=endpoint,
            force_download=force_download,
            optional=(METADATA_FILE, MODEL_CARD_FILE, CHECKSUMS_FILE),
        )
    except Exception as e:
        kind = classify_hub_error(e)
        if kind in ("repo", "entry"):
            raise not_found_error(style, repo_id, revision or "main", e) from e
        if kind == "unreachable":
            raise _unavailable(
                f"hf://{repo_id}", [f"the Hub: {describe_error(e)}"]
            ) from None
        raise


def _embedded(entry):
    """The preset shipped inside the package, after checking its pinned sha256s."""
    folder = entry.embedded_dir
    mismatch = first_mismatch(folder, entry.embedded)
    if mismatch:
        file, expected, actual, path = mismatch
        raise ChecksumError(
            f"The {entry.name!r} preset inside the keras-style package is "
            f"damaged ({file}); reinstall keras-style, e.g. `pip install "
            "--force-reinstall keras-style`. "
            f"Expected: {expected}. Received: {actual} at {str(path)!r}"
        )
    return folder


def _download_registered(
    entry, cache_dir, force_download, endpoint, upstream_url, build
):
    # Order: embedded in the package, then the caches, then the Hub at the
    # pinned commit, then the upstream files. `force_download` skips the
    # embedded copy and the caches.
    if entry.embedded and not force_download:
        return _embedded(entry)
    problems = []
    if entry.published:
        try:
            return hub_fetch(
                entry.repo_id,
                entry.revision,
                dict(entry.sha256),
                cache_dir=cache_dir,
                endpoint=endpoint,
                force_download=force_download,
            )
        except Exception as e:
            kind = classify_hub_error(e)
            if kind == "repo":  # not published there (yet): build from upstream
                logger.info("%s: %s; building from upstream.", entry.repo_id, e)
            elif kind == "entry":  # an optional file: not reached in practice
                raise not_found_error(
                    entry.name, entry.repo_id, entry.revision, e
                ) from e
            elif kind == "unreachable":
                problems.append(f"the Hub repo {entry.repo_id}: {describe_error(e)}")
            else:
                raise
    built = built_dir(entry, cache_dir)
    if (built / WEIGHTS_FILE).is_file() and not force_download:
        verify_checksums(
            built,
            required=True,
            repair=f"run `keras-style zoo download {entry.name} --force`",
        )
        return built
    if build is None:
        raise StyleUnavailableError(
            f"Style {entry.name!r} is built from its upstream files "
            f"({entry.source.homepage}), and has not been built yet. Run "
            f"`keras_style.zoo.download({entry.name!r})` (or `keras-style zoo "
            f"download {entry.name}`) once; loading then finds it in the cache. "
            f"Received: style={entry.name!r}"
        )
    if is_offline():
        raise _unavailable(
            entry.name, problems + ["HF_HUB_OFFLINE is set"], entry=entry
        )
    try:
        return build(entry, cache_dir, upstream_url, force_download)
    except UpstreamUnreachable as e:
        problems.append(f"upstream {e}")
        raise _unavailable(entry.name, problems, entry=entry) from None


def source(name, *, cache_dir=None):
    """Where `load(name)` takes a registry style from, without fetching anything.

    Args:
        name: a registry name.
        cache_dir: as for `download`.

    Returns:
        `"embedded"` (inside the package), `"cache"` (downloaded or built
        before), `"hub"` (the pinned Hub commit, downloaded on first use) or
        `"upstream"` (the original files, downloaded and converted on first
        use).

    Example:

    >>> keras_style.zoo.source("wave")
    'embedded'
    """
    from huggingface_hub import try_to_load_from_cache

    entry = get_style(name)
    if entry.embedded:
        return "embedded"
    if entry.published and all(
        isinstance(
            try_to_load_from_cache(
                entry.repo_id,
                file,
                cache_dir=hub_cache_dir(cache_dir),
                revision=entry.revision,
            ),
            str,
        )
        for file in entry.sha256
    ):
        return "cache"
    if (built_dir(entry, cache_dir) / WEIGHTS_FILE).is_file():
        return "cache"
    return "hub" if entry.published else "upstream"


def _unavailable(label, problems, entry=None):
    name = entry.name if entry else label
    return StyleUnavailableError(
        f"Style {label!r} is not cached and could not be downloaded ("
        + "; ".join(problems)
        + f"). Check your connection and retry; to work offline, run "
        f"`keras-style zoo download {name}` once while online (and keep the same "
        "cache_dir / KERAS_STYLE_CACHE), or pass a local preset directory. "
        f"Received: style={label!r}"
    )

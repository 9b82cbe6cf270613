"""Hugging Face Hub fetching: download into the Hub cache, verify every file
against its pinned sha256 (or the Hub's ETag), and map Hub errors to the zoo's.
"""

import contextlib
import hashlib
import logging
import os
import pathlib
import sys

from keras_style.presets.cache import hub_cache_dir, is_offline
from keras_style.presets.errors import ChecksumError, StyleNotFoundError
from keras_style.presets.preset_utils import sha256_file
from keras_style.presets.registry import COMMIT_SHA, REQUIRED_FILES, SHA256_HEX

logger = logging.getLogger(__name__)


def _git_blob_sha1(path):
    digest = hashlib.sha1(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _discard_cached(path):
    """Deletes a Hub cache entry: the snapshot link and the blob it points to."""
    blob = os.path.realpath(path)
    for p in {blob, os.fspath(path)}:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)


def _verify_hub_file(path, label, expected_sha256=None):
    """Checks a Hub download against its pinned sha256, or else the Hub's ETag.

    The cache names each blob after the ETag the Hub sent: the sha256 for LFS
    files, the git blob sha1 for small ones. A mismatch deletes the file.
    """
    if expected_sha256 is not None:
        kind, expected, actual = "sha256", expected_sha256, sha256_file(path)
    else:
        blob = pathlib.Path(os.path.realpath(path))
        if blob.parent.name != "blobs":
            logger.warning(
                "Cannot verify %s: the Hub cache holds no blob names.", label
            )
            return
        expected = blob.name
        if SHA256_HEX.fullmatch(expected):
            kind, actual = "sha256", sha256_file(path)
        elif COMMIT_SHA.fullmatch(expected):
            kind, actual = "git sha1", _git_blob_sha1(path)
        else:
            return
    if actual != expected:
        _discard_cached(path)
        raise ChecksumError(
            f"Downloaded {label} does not match its {kind} (deleted from the cache; "
            f"retry, or report it if it persists). Expected: {expected}. Received: {actual}"
        )


def hub_fetch(
    repo_id, revision, files, *, cache_dir, endpoint, force_download, optional=()
):
    """Downloads `files` ({name: sha256 or None}) of a Hub repo; returns the folder."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    offline = is_offline()
    folder = None
    for filename, sha in files.items():
        try:
            path = hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                cache_dir=hub_cache_dir(cache_dir),
                endpoint=endpoint,
                force_download=force_download,
                local_files_only=offline,
            )
        except EntryNotFoundError as e:
            if filename in optional:
                continue
            if classify_hub_error(e) != "entry":  # e.g. offline and not cached
                raise
            raise StyleNotFoundError(
                f"hf://{repo_id}@{revision or 'main'} has no {filename}: not a "
                f"keras-style preset (expected {', '.join(REQUIRED_FILES)}). "
                f"Received: file={filename!r}"
            ) from e
        _verify_hub_file(path, f"hf://{repo_id}/{filename}", sha)
        if folder is None:
            folder = pathlib.Path(path).parent
            # Pin the remaining files to the commit the first one came from.
            revision = folder.name if COMMIT_SHA.fullmatch(folder.name) else revision
    return folder


def classify_hub_error(err):
    """`"repo"` (repo/revision missing), `"entry"` (file missing), `"unreachable"`
    (network, offline, server error) or None (anything else: re-raise)."""
    from huggingface_hub import errors

    if isinstance(err, (StyleNotFoundError, ChecksumError)):
        return None  # already explained
    if isinstance(err, (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled)):
        return "unreachable"
    if isinstance(err, (errors.RepositoryNotFoundError, errors.RevisionNotFoundError)):
        return "repo"
    if isinstance(err, errors.EntryNotFoundError):
        return "entry"
    # Transport errors that huggingface_hub re-raises after its retries (e.g. a
    # connection cut mid-body) come from whichever HTTP client it imported.
    transport = tuple(
        sys.modules[m].HTTPError for m in ("httpx2", "httpx") if m in sys.modules
    )
    if isinstance(err, (errors.HfHubHTTPError, OSError, *transport)):
        return "unreachable"
    return None


def not_found_error(style, repo_id, revision, err):
    from huggingface_hub import errors

    if isinstance(err, errors.RevisionNotFoundError):
        what = f"The Hub repository {repo_id!r} has no revision {revision!r}"
    elif isinstance(err, errors.RepositoryNotFoundError):
        what = (
            f"The Hub has no repository {repo_id!r} (private or gated repos need a "
            "token, e.g. `hf auth login`)"
        )
    else:
        what = f"The Hub repository {repo_id!r} lacks a preset file ({err})"
    return StyleNotFoundError(f"{what}. Received: style={style!r}")


def describe_error(err):
    cause = err.__cause__ or err.__context__
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"{text} ({type(cause).__name__})" if cause else text

"""The registry of pretrained styles: entries, upstream sources, published pins,
and validation of style names, Hub handles and revisions.
"""

import dataclasses
import hashlib
import os
import pathlib
import re
import types

from keras_style.transform_net import (
    CONFIG_FILE,
    METADATA_FILE,
    MODEL_CARD_FILE,
    WEIGHTS_FILE,
)
from keras_style.zoo._upstream_sha256 import ML5_COMMIT
from keras_style.zoo._upstream_sha256 import ML5_MANIFEST_SHA256 as _ML5_MANIFEST_SHA256
from keras_style.zoo._upstream_sha256 import ML5_SHA256 as _ML5_SHA256

PRESET_FILES = (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE, MODEL_CARD_FILE)
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE)
DEFAULT_HUB_OWNER = "keras-style"
PROJECT_URL = "https://github.com/keras-style/keras-style"

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"{_REPO_PART}/{_REPO_PART}")
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")

ML5_BASE_URL = (
    "https://raw.githubusercontent.com/ml5js/ml5-data-and-models/"
    f"{ML5_COMMIT}/models/style-transfer"
)
ML5_FILES = ("manifest.json", "Variable", *(f"Variable_{i}" for i in range(1, 48)))

LENGSTROM_LICENCE = (
    "Weights by Logan Engstrom (lengstrom/fast-style-transfer, 2016): free for "
    "research / non-commercial use with attribution to Logan Engstrom and this "
    "notice retained; contact the author for any other use."
)
LENGSTROM_ATTRIBUTION = (
    "Logan Engstrom, Fast Style Transfer in TensorFlow (2016), "
    "https://github.com/lengstrom/fast-style-transfer; republished by ml5.js "
    "(ml5js/ml5-data-and-models)."
)


@dataclasses.dataclass(frozen=True)
class UpstreamSource:
    """Where a preset is built from when the Hub does not have it.

    Attributes:
        format: converter input format (`"lengstrom-ml5"`).
        base_url: files are at `{base_url}/{folder}/{file}`.
        folder: sub-folder of this style.
        sha256: `{file name: sha256}` of every file, all verified.
        homepage: project page of the original work.
    """

    format: str
    base_url: str
    folder: str
    sha256: types.MappingProxyType
    homepage: str

    def urls(self, base_url=None):
        base = (base_url or self.base_url).rstrip("/")
        return {name: f"{base}/{self.folder}/{name}" for name in self.sha256}

    def key(self):
        """Content id of the source: changes whenever a pinned file changes."""
        text = self.format + "".join(
            f"\n{n} {h}" for n, h in sorted(self.sha256.items())
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class StyleEntry:
    """One registry entry.

    Attributes:
        name: short name (`zoo.load(name)`).
        title, artist, year, medium: the painting the style was trained on.
        description: one sentence for listings and the model card.
        licence, attribution: terms of the weights.
        repo: Hub repo name; the owner comes from `KERAS_STYLE_HUB_OWNER`.
        revision: pinned commit sha of the published preset, or None while
            unpublished (loading then goes straight to `source`).
        sha256: `{preset file: sha256}` of the published preset (at least
            `config.json` and `model.weights.h5`); empty while unpublished.
        source: the upstream files the preset is converted from.
        embedded: `{preset file: sha256}` of the copy shipped inside the
            package (`keras_style/zoo/embedded/<name>/`), checked on every
            load; empty for styles that are downloaded on first use.
    """

    name: str
    title: str
    artist: str
    year: str
    medium: str
    description: str
    licence: str
    attribution: str
    repo: str
    revision: str | None
    sha256: types.MappingProxyType
    source: UpstreamSource
    embedded: types.MappingProxyType

    @property
    def embedded_dir(self):
        """The preset folder inside the package, or None if not embedded."""
        return EMBEDDED_DIR / self.name if self.embedded else None

    @property
    def repo_id(self):
        return f"{hub_owner()}/{self.repo}"

    @property
    def published(self):
        return self.revision is not None


# Published presets: name -> (commit sha, {preset file: sha256}), as printed by
# `python zoo/build_presets.py --org keras-style --upload`. A style missing here
# is unpublished and is built from its upstream source.
_PUBLISHED = {}

# Presets shipped inside the package so that these styles work offline with an
# empty cache: name -> {preset file: sha256}, as printed by
# `python zoo/build_presets.py --embed`. They are checked on every load.
EMBEDDED_STYLES = ("wave", "rain_princess")
EMBEDDED_DIR = pathlib.Path(__file__).resolve().parent / "embedded"
_EMBEDDED = {
    "wave": {
        "config.json": "31d312ef9130d82133f95c89c1989f9e3a89b4f5289eb485e22a3bc882eb8030",
        "model.weights.h5": "911cebc5d8baedbbabf72fa52a85c176167b453428a27c83ac4187503de68b27",
        "metadata.json": "46811e5e6e87e3a7b7142f94a06094bbc7f2e3e0ce9d2872390d9178b6b4e14e",
        "README.md": "812c9ed91387e4eee760a2c3ad4ebf535e7c741be4545c763749b6ad261e5efb",
    },
    "rain_princess": {
        "config.json": "31d312ef9130d82133f95c89c1989f9e3a89b4f5289eb485e22a3bc882eb8030",
        "model.weights.h5": "d70ca368c229b88808cf500885cfde6b6528134bf0155cdeae69f0d0979fea5c",
        "metadata.json": "074249a9fc1bca11a01ff172ad451735dd172c64f1c4669f2db41589aca73c38",
        "README.md": "c4f1774e2bcf2db677b8eb96aea0b03d3f34b47cc2adfe0ff87ca6b67d6a4f29",
    },
}

_PAINTINGS = {
    # name: (title, artist, year, medium)
    "wave": (
        "The Great Wave off Kanagawa",
        "Katsushika Hokusai",
        "c. 1831",
        "woodblock print",
    ),
    "rain_princess": ("Rain Princess", "Leonid Afremov", "2000s", "oil painting"),
    "la_muse": ("La Muse", "Pablo Picasso", "1935", "oil painting"),
    "scream": ("The Scream", "Edvard Munch", "1893", "painting"),
    "udnie": (
        "Udnie (Young American Girl, The Dance)",
        "Francis Picabia",
        "1913",
        "oil painting",
    ),
    "wreck": (
        "The Shipwreck of the Minotaur",
        "J. M. W. Turner",
        "c. 1810",
        "oil painting",
    ),
}


def _ml5_entry(name):
    hashes = _ML5_SHA256[name].split()
    if len(hashes) != len(ML5_FILES) - 1 or not all(map(_SHA256.fullmatch, hashes)):
        raise RuntimeError(f"keras_style.zoo: bad pinned hashes for {name!r}")
    sha = {"manifest.json": _ML5_MANIFEST_SHA256, **dict(zip(ML5_FILES[1:], hashes))}
    title, artist, year, medium = _PAINTINGS[name]
    revision, preset_sha256 = _PUBLISHED.get(name, (None, {}))
    embedded = _EMBEDDED.get(name, {})
    if (name in EMBEDDED_STYLES) != bool(embedded):
        raise RuntimeError(f"keras_style.zoo: embedded pins out of date for {name!r}")
    if embedded and (
        set(embedded) != set(PRESET_FILES)
        or not all(map(_SHA256.fullmatch, embedded.values()))
    ):
        raise RuntimeError(f"keras_style.zoo: bad embedded pin for {name!r}")
    if revision is not None and (
        not _COMMIT.fullmatch(revision)
        or not set(REQUIRED_FILES) <= set(preset_sha256)
        or not all(map(_SHA256.fullmatch, preset_sha256.values()))
    ):
        raise RuntimeError(f"keras_style.zoo: bad published pin for {name!r}")
    return StyleEntry(
        name=name,
        title=title,
        artist=artist,
        year=year,
        medium=medium,
        description=f"Fast style transfer in the style of {artist}'s {title} ({year}).",
        licence=LENGSTROM_LICENCE,
        attribution=LENGSTROM_ATTRIBUTION,
        repo=f"lengstrom-{name.replace('_', '-')}",
        revision=revision,
        sha256=types.MappingProxyType(dict(preset_sha256)),
        source=UpstreamSource(
            format="lengstrom-ml5",
            base_url=ML5_BASE_URL,
            folder=name,
            sha256=types.MappingProxyType(sha),
            homepage="https://github.com/lengstrom/fast-style-transfer",
        ),
        embedded=types.MappingProxyType(dict(embedded)),
    )


_REGISTRY = {name: _ml5_entry(name) for name in _ML5_SHA256}
REGISTRY = types.MappingProxyType(_REGISTRY)


def available():
    """Lists the short names of the registry's styles.

    Returns:
        A sorted list of names.

    Example:

    >>> keras_style.zoo.available()
    ['la_muse', 'rain_princess', 'scream', 'udnie', 'wave', 'wreck']
    """
    return sorted(_REGISTRY)


def get_style(name):
    """Returns the `StyleEntry` of a registry name (ValueError listing names)."""
    entry = _REGISTRY.get(name) if isinstance(name, str) else None
    if entry is None:
        raise ValueError(
            f"Unknown style. Available styles: {', '.join(available())}; or pass "
            f"'hf://owner/repo[@revision]' or a preset directory. Received: name={name!r}"
        )
    return entry


def hub_owner():
    """Owner of the registry's Hub repos: `$KERAS_STYLE_HUB_OWNER` or `keras-style`."""
    owner = os.environ.get("KERAS_STYLE_HUB_OWNER") or DEFAULT_HUB_OWNER
    if not re.fullmatch(_REPO_PART, owner) or ".." in owner or "--" in owner:
        raise ValueError(
            "KERAS_STYLE_HUB_OWNER must be a Hub user or organisation name. "
            f"Received: KERAS_STYLE_HUB_OWNER={owner!r}"
        )
    return owner


# --- handles --------------------------------------------------------------------


def parse_hub_handle(handle):
    """Splits `hf://owner/repo[@revision]` into `(repo_id, revision or None)`.

    Only Hub model repos are accepted: no other URL schemes, no path
    components beyond `owner/repo`, no `..`.
    """
    if not isinstance(handle, str) or not handle.startswith("hf://"):
        raise ValueError(
            f"Expected a Hub handle 'hf://owner/repo[@revision]'. Received: handle={handle!r}"
        )
    repo_id, _, revision = handle[len("hf://") :].partition("@")
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id or "--" in repo_id:
        raise ValueError(
            "Expected 'hf://owner/repo[@revision]' with owner and repo made of letters, "
            f"digits, '-', '_' and '.'. Received: handle={handle!r}"
        )
    return repo_id, (_check_revision(revision, handle) if revision else None)


def _check_revision(revision, handle=None):
    if revision is None:
        return None
    if (
        not isinstance(revision, str)
        or not _REVISION.fullmatch(revision)
        or ".." in revision
        or "//" in revision
        or revision.endswith(("/", ".lock"))
    ):
        where = f", handle={handle!r}" if handle else ""
        raise ValueError(
            "`revision` must be a branch, tag or commit sha (letters, digits, "
            f"'.', '_', '-', '/'). Received: revision={revision!r}{where}"
        )
    return revision


def _resolve_handle(style):
    """Classifies `style` as `("name", entry)`, `("hub", (repo, rev))` or `("dir", path)`."""
    if isinstance(style, os.PathLike):
        return "dir", pathlib.Path(style)
    if not isinstance(style, str) or not style:
        raise TypeError(
            "`style` must be a style name, 'hf://owner/repo[@revision]' or a preset "
            f"directory. Received: style={style!r}"
        )
    if style.startswith("hf://"):
        return "hub", parse_hub_handle(style)
    if "://" in style:
        raise ValueError(
            "Only 'hf://' handles are supported (no arbitrary URLs); use a style name, "
            f"'hf://owner/repo[@revision]' or a preset directory. Received: style={style!r}"
        )
    if style in _REGISTRY:
        return "name", _REGISTRY[style]
    path = pathlib.Path(style).expanduser()
    if path.is_dir():
        return "dir", path
    if _NAME.fullmatch(style):
        get_style(style)  # raises with the list of available names
    raise FileNotFoundError(
        f"Not a style name, Hub handle or existing preset directory. Available styles: "
        f"{', '.join(available())}. Received: style={style!r}"
    )

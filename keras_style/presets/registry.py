"""The registry of pretrained styles: `StyleEntry`s checked and built from the
table in `presets.py`, and validation of style names, Hub handles and revisions.
"""

import dataclasses
import hashlib
import os
import pathlib
import re
import types

from keras_style.presets.preset_utils import PRESET_FILES, REQUIRED_FILES
from keras_style.presets.table import PRESETS

DEFAULT_HUB_OWNER = "keras-style"
PROJECT_URL = "https://github.com/keras-style/keras-style"

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"{_REPO_PART}/{_REPO_PART}")
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class UpstreamSource:
    """Where a preset is built from when the Hub does not have it.

    Attributes:
        format: converter input format (`"lengstrom-ml5"` or
            `"magenta-arbitrary"`).
        base_url: files are at `{base_url}/{folder}/{file}`; None when there
            is no download source (the preset ships inside the package).
        folder: sub-folder of this style.
        sha256: `{file name: sha256}` of every file, all verified.
        homepage: project page of the original work.
    """

    format: str
    base_url: str | None
    folder: str
    sha256: types.MappingProxyType
    homepage: str

    def urls(self, base_url=None):
        base = base_url or self.base_url
        if base is None:
            return None
        base = base.rstrip("/")
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
            package (`keras_style/presets/embedded/<name>/`), checked on every
            load; empty for styles that are downloaded on first use.
        styles: how many styles the network holds (`name:INDEX` picks one
            when more than 1); 0 for a network that takes any painting.
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
    styles: int = 1

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


EMBEDDED_DIR = pathlib.Path(__file__).resolve().parent / "embedded"


def _pins(pins, name, what):
    """Checks a `{preset file: sha256}` pin of the table."""
    if not set(REQUIRED_FILES) <= set(pins) <= set(PRESET_FILES) or not all(
        map(SHA256_HEX.fullmatch, pins.values())
    ):
        raise RuntimeError(f"keras_style.zoo: bad {what} pins for {name!r}: {pins}")
    return types.MappingProxyType(dict(pins))


def _entry(name, preset):
    """A `StyleEntry` from one dict of `presets.PRESETS`, checked."""
    meta, hub, upstream = preset["metadata"], preset["hub"], preset["upstream"]
    revision = hub["revision"]
    if revision is not None and not COMMIT_SHA.fullmatch(revision):
        raise RuntimeError(f"keras_style.zoo: bad Hub revision for {name!r}")
    if not all(map(SHA256_HEX.fullmatch, upstream["sha256"].values())):
        raise RuntimeError(f"keras_style.zoo: bad upstream pins for {name!r}")
    embedded = preset["embedded"]
    return StyleEntry(
        name=name,
        **{k: meta[k] for k in _METADATA_FIELDS},
        repo=hub["repo"],
        revision=revision,
        sha256=_pins(hub["sha256"], name, "Hub")
        if revision
        else types.MappingProxyType({}),
        source=UpstreamSource(
            format=upstream["format"],
            base_url=upstream["base_url"],
            folder=upstream["folder"],
            sha256=types.MappingProxyType(dict(upstream["sha256"])),
            homepage=upstream["homepage"],
        ),
        embedded=types.MappingProxyType({})
        if embedded is None
        else _pins(embedded, name, "embedded"),
        styles=int(meta.get("styles", 1)),
    )


_METADATA_FIELDS = (
    "title",
    "artist",
    "year",
    "medium",
    "description",
    "licence",
    "attribution",
)
_REGISTRY = {name: _entry(name, preset) for name, preset in PRESETS.items()}
EMBEDDED_STYLES = tuple(name for name, e in _REGISTRY.items() if e.embedded)
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
    return repo_id, (check_revision(revision, handle) if revision else None)


def check_revision(revision, handle=None):
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


def resolve_handle(style):
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

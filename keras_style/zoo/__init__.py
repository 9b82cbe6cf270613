"""Pretrained styles: registry, Hugging Face Hub download with pinned checksums,
build-from-upstream fallback, offline cache and upload.

`keras_style.zoo.load("wave").stylize("photo.jpg")` is the whole user story.
A style is addressed by

- a short name from the registry (`zoo.available()`),
- a Hub handle `hf://owner/repo` or `hf://owner/repo@revision`,
- or a local preset directory (`config.json`, `model.weights.h5`, ...).

How a registry name is resolved (see `download`):

0. An *embedded* style (`EMBEDDED_STYLES`: `wave`, `rain_princess`) is
   shipped inside the package (`keras_style/presets/embedded/`) and checked
   against its pinned sha256s on every load: no cache, no network.
1. A *published* entry (`revision` is a commit sha) is fetched from the Hub
   repo `{KERAS_STYLE_HUB_OWNER}/{repo}` at exactly that commit; every file is
   checked against the sha256 pinned in `registry.py` (huggingface_hub does
   not verify content) and a mismatching file is deleted from the cache before raising.
   A commit already in the cache is used without any network request.
2. When the Hub says the repo (or pinned commit) does not exist, or the entry
   is not published yet (`revision=None`, no Hub request at all), the preset is
   built from the upstream source: every upstream file is downloaded with a
   plain HTTP client, checked against its pinned sha256 and converted
   (`keras_style.convert.lengstrom`), under a file lock, into the keras-style cache.
3. With `HF_HUB_OFFLINE=1` (read at call time) only caches are used.

Environment variables: `KERAS_STYLE_CACHE` (built presets; default
`~/.cache/keras_style`), `KERAS_STYLE_HUB_OWNER` (owner of the registry's Hub
repos; default `keras-style`), `KERAS_STYLE_UPSTREAM_URL` (base URL replacing
the upstream mirror, e.g. a local copy), `HF_HUB_OFFLINE`; the Hub endpoint and
cache follow huggingface_hub (`HF_ENDPOINT`, `HF_HUB_CACHE`) unless `endpoint=`
/ `cache_dir=` are passed.

Modules: `presets` (the table: one plain dict per style), `registry` (entries
checked and built from it; name, handle and revision validation), `cache`
(where files live, hashing), `hub` (Hub fetching and verification),
`upstream` (HTTP download, build and model card), `loading` (`download`,
`load`, `source`), `upload`, `errors`. Everything public is re-exported here.
"""

from keras_style.presets.cache import cache_root, clear_cache
from keras_style.presets.errors import (
    ChecksumError,
    StyleNotFoundError,
    StyleUnavailableError,
)
from keras_style.presets.registry import (
    DEFAULT_HUB_OWNER,
    EMBEDDED_STYLES,
    PRESET_FILES,
    PROJECT_URL,
    REGISTRY,
    REQUIRED_FILES,
    StyleEntry,
    UpstreamSource,
    available,
    get_style,
    hub_owner,
    parse_hub_handle,
)
from keras_style.presets.table import (
    LENGSTROM_ATTRIBUTION,
    LENGSTROM_LICENCE,
    ML5_BASE_URL,
    ML5_COMMIT,
    ML5_FILES,
    PRESETS,
)
from keras_style.zoo.loading import download, load, source
from keras_style.zoo.sheet import sheet
from keras_style.zoo.upload import Published, upload


def __getattr__(name):
    # The upstream builders bring an HTTP client: loaded on first use, so
    # that stylizing a photo does not pay for them.
    if name in ("build_preset", "model_card"):
        from keras_style.convert import upstream

        return getattr(upstream, name)
    raise AttributeError(f"module 'keras_style.zoo' has no attribute {name!r}")


__all__ = [
    "DEFAULT_HUB_OWNER",
    "EMBEDDED_STYLES",
    "LENGSTROM_ATTRIBUTION",
    "LENGSTROM_LICENCE",
    "ML5_BASE_URL",
    "ML5_COMMIT",
    "ML5_FILES",
    "PRESETS",
    "PRESET_FILES",
    "PROJECT_URL",
    "REGISTRY",
    "REQUIRED_FILES",
    "ChecksumError",
    "Published",
    "StyleEntry",
    "StyleNotFoundError",
    "StyleUnavailableError",
    "UpstreamSource",
    "available",
    "build_preset",
    "cache_root",
    "clear_cache",
    "download",
    "get_style",
    "hub_owner",
    "load",
    "model_card",
    "parse_hub_handle",
    "sheet",
    "source",
    "upload",
]

"""Building presets from upstream sources: plain-HTTP download, sha256
verification, conversion (`keras_style.convert.lengstrom`) and the file-locked build into
the keras-style cache; also the model card of a registry style.
"""

import concurrent.futures
import hashlib
import http.client
import logging
import os
import pathlib
import re
import shutil
import tempfile
import urllib.error
import urllib.request

from keras_style.presets.cache import built_dir
from keras_style.presets.errors import (
    ChecksumError,
    StyleUnavailableError,
    UpstreamUnreachable,
)
from keras_style.presets.model_card import model_card as write_card
from keras_style.presets.preset_utils import WEIGHTS_FILE, sha256_file, write_checksums
from keras_style.presets.registry import PROJECT_URL, get_style, hub_owner
from keras_style.utils.files import publish_directory
from keras_style.version import __version__

logger = logging.getLogger(__name__)


def _http_download(url, dest, expected_sha256, timeout=60):
    """Downloads `url` to `dest` via a temp file, verifying its sha256."""
    request = urllib.request.Request(
        url, headers={"User-Agent": f"keras-style/{__version__}"}
    )
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with (
            urllib.request.urlopen(request, timeout=timeout) as response,
            open(tmp, "wb") as f,
        ):
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                f.write(chunk)
    except urllib.error.HTTPError as e:
        tmp.unlink(missing_ok=True)
        raise StyleUnavailableError(
            f"Upstream file could not be downloaded (HTTP {e.code}). Received: url={url!r}"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
        tmp.unlink(missing_ok=True)
        raise UpstreamUnreachable(f"{url}: {getattr(e, 'reason', e)}") from None
    if digest.hexdigest() != expected_sha256:
        tmp.unlink(missing_ok=True)
        raise ChecksumError(
            f"Upstream file does not match its pinned sha256 (nothing was cached). "
            f"Expected: {expected_sha256}. Received: {digest.hexdigest()} from url={url!r}"
        )
    os.replace(tmp, dest)


def _copy_verified(source, dest, expected_sha256):
    """Copies a local copy of an upstream file, verifying its pinned sha256."""
    if not source.is_file():
        raise FileNotFoundError(
            f"The local upstream copy lacks a file. Received: source_dir file={str(source)!r}"
        )
    actual = sha256_file(source)
    if actual != expected_sha256:
        raise ChecksumError(
            f"Local upstream file does not match its pinned sha256. "
            f"Expected: {expected_sha256}. Received: {actual} from {str(source)!r}"
        )
    shutil.copyfile(source, dest)


# Tensors with at least this many values are stored as float16 by
# `build_preset(..., compact=True)`: the kernels of the 128-channel
# convolutions, two thirds of the network. The first and last convolutions and
# all normalisation parameters stay float32: rounding those too moved outputs
# by up to 1.1 levels (0..255) on a 1024 px photo, against 0.17 like this.
COMPACT_MIN_SIZE = 65536


def _compact_weights(path):
    """Rewrites a Keras `.weights.h5` file with its large tensors in float16."""
    import h5py

    compact = path.with_name(path.name + ".f16")
    with h5py.File(path, "r") as src, h5py.File(compact, "w") as dst:
        dst.attrs.update(src.attrs)

        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                value = obj[()]
                if value.dtype == "float32" and value.size >= COMPACT_MIN_SIZE:
                    value = value.astype("float16")
                dst.create_dataset(name, data=value)
            else:
                dst.require_group(name).attrs.update(obj.attrs)

        src.visititems(copy)
    os.replace(compact, path)


def _upstream_base(upstream_url):
    base = upstream_url or os.environ.get("KERAS_STYLE_UPSTREAM_URL")
    if base is not None and not re.match(r"https?://[^\s/]+", base):
        raise ValueError(
            "The upstream base URL must be an http(s) URL. "
            f"Received: upstream_url={base!r}"
        )
    return base


def model_card(name, *, owner=None, compact=False):
    """The model card (`README.md`) of a registry style's preset.

    Args:
        name: a registry name.
        owner: Hub owner shown in the card; default `hub_owner()`.
        compact: say that the large kernels are stored as float16 (see
            `build_preset`).

    Returns:
        Markdown text with Hub YAML front matter
        (`keras_style.presets.model_card.model_card`, from the registry's facts).
    """
    e = get_style(name)
    if e.source.format == "magenta-arbitrary":
        return _magenta_card(e, owner=owner, compact=compact)
    if e.source.format == "magenta-multistyle":
        return _multistyle_card(e, owner=owner)
    storage = (
        f"\n\nWeights with {COMPACT_MIN_SIZE:,} values or more are stored as float16 "
        "(loaded as float32) to halve the file; outputs stay within 0.5 levels "
        "(0..255) of the float32 conversion."
        if compact
        else ""
    )
    return write_card(
        e.name,
        title=f"{e.name}: *{e.title}* ({e.artist}, {e.year})",
        also=f"hf://{owner or hub_owner()}/{e.repo}",
        description=f"""\
A fast style-transfer network that repaints any photo in the manner of
{e.artist}'s {e.medium} *{e.title}* ({e.year}) in one forward pass. It is
Logan Engstrom's pretrained `{e.source.folder}` network from
[fast-style-transfer]({e.source.homepage}) (TensorFlow, 2016: the Johnson et
al. 2016 architecture with instance normalisation, trained with VGG19
perceptual losses on MS-COCO), converted to a Keras 3 `TransformNet` of
[keras-style]({PROJECT_URL}) that runs on TensorFlow, JAX and PyTorch.""",
        image=(
            f"{e.name} applied to the NASA astronaut photo",
            f"{PROJECT_URL}/raw/main/docs/images/{e.name}.jpg",
        ),
        licence=f"**Research / non-commercial use only.** {e.licence}",
        attribution=e.attribution,
        hub_licence={
            "license": "other",
            "license_name": "fast-style-transfer-research-only",
            "license_link": f"{e.source.homepage}#license",
        },
        notes=f"""\
Converted with `keras_style.convert.convert_lengstrom` (outputs match the
upstream TensorFlow network to < 0.5 on the 0..255 scale) from the ml5 files
at `{e.source.base_url}/{e.source.folder}/`; every file's
sha256 is pinned in `keras_style/presets/table.py`. Built by `zoo/build_presets.py` of
[keras-style]({PROJECT_URL}).{storage}""",
    )


def _magenta_card(e, *, owner=None, compact=False):
    storage = (
        f"\n\nWeights with {COMPACT_MIN_SIZE:,} values or more are stored as "
        "float16 (loaded as float32) to halve the file; outputs stay within 0.5 "
        "levels (0..255) of the float32 conversion."
        if compact
        else ""
    )
    files = ", ".join(f"`{f}` (sha256 `{h}`)" for f, h in e.source.sha256.items())
    return write_card(
        e.name,
        title=f"{e.name}: any painting in one pass (Ghiasi et al. 2017)",
        also=f"hf://{owner or hub_owner()}/{e.repo}",
        description=f"""\
Arbitrary style transfer: a MobileNetV2 style predictor turns any painting into
a 100-d embedding, which sets the scale and shift of every conditional
instance normalisation of a small transfer network. The weights are the int8
mobile networks Magenta published on TF Hub
(`magenta/arbitrary-image-stylization-v1-256`), dequantised and converted to
Keras 3 (`StylePredictor`, `StyleTransferNetwork`, `ArbitraryStyleNet`) by
[keras-style]({PROJECT_URL}); they run on TensorFlow, JAX and PyTorch, at any
photo size (the TF Lite export is fixed at 384x384).""",
        licence=f"Apache License 2.0. {e.licence}",
        attribution=e.attribution,
        hub_licence={"license": "apache-2.0"},
        notes=f"""\
Converted with `keras_style.convert.convert_magenta_arbitrary` from
{files}: outputs match onnxruntime running the same graphs with weights-only
dequantisation to over 40 dB PSNR (tests/test_convert_magenta.py). Built by
`zoo/build_presets.py` of [keras-style]({PROJECT_URL}).{storage}""",
        style_args=('style_image="painting.jpg"', "--style-image painting.jpg"),
    )


def _multistyle_card(e, *, owner=None):
    files = ", ".join(f"`{f}` (sha256 `{h}`)" for f, h in e.source.sha256.items())
    return write_card(
        e.name,
        title=f"{e.name}: 26 styles in one network (Dumoulin et al. 2017)",
        also=f"hf://{owner or hub_owner()}/{e.repo}",
        description=f"""\
One style network for 26 styles: every conditional instance normalisation
holds one scale and shift per style, and a style-weights vector picks a style
or blends several (`style=7`, `style={{3: 0.5, 12: 0.5}}`). The weights are
those of the TensorFlow Android "stylize" demo (Magenta's multi-style network,
quantised there and dequantised to float32), converted to a Keras 3
`MultiStyleNet` by [keras-style]({PROJECT_URL}); it runs on TensorFlow, JAX and
PyTorch at any photo size. The styles have no published names: they are
numbered 0 to 25 (`keras-style zoo list`, and the thumbnail sheet in the
project's README).""",
        licence=f"Apache License 2.0. {e.licence}",
        attribution=e.attribution,
        hub_licence={"license": "apache-2.0"},
        notes=f"""\
Converted with `keras_style.convert.convert_magenta_multistyle` from
{files}: outputs match onnxruntime running the same graph to over 40 dB PSNR
(tests/test_multi_style.py). Built by `zoo/build_presets.py` of
[keras-style]({PROJECT_URL}).""",
        style_args=("style=7", ":7"),
    )


# Converter of each upstream format: `(source folder, preset dir, **kw)`.
def _convert(format, source, preset_dir, **kwargs):
    if format == "magenta-arbitrary":
        from keras_style.convert.magenta import convert_magenta_arbitrary_to_preset

        return convert_magenta_arbitrary_to_preset(source, preset_dir, **kwargs)
    if format == "magenta-multistyle":
        from keras_style.convert.magenta import convert_magenta_multistyle_to_preset

        return convert_magenta_multistyle_to_preset(source, preset_dir, **kwargs)
    from keras_style.convert.lengstrom import convert_lengstrom_to_preset

    return convert_lengstrom_to_preset(source, preset_dir, **kwargs)


def build_preset(
    name,
    preset_dir,
    *,
    upstream_url=None,
    source_dir=None,
    compact=False,
    overwrite=False,
):
    """Builds a registry style's preset directory from its upstream source.

    Downloads every upstream file (plain HTTP, into a temporary folder) or
    copies it from `source_dir`, checks each against the sha256 pinned in the
    registry, converts with `keras_style.convert.lengstrom` and writes the preset
    atomically.

    Args:
        name: a registry name.
        preset_dir: destination directory.
        upstream_url: base URL replacing the upstream mirror (also
            `$KERAS_STYLE_UPSTREAM_URL`).
        source_dir: a local copy of the upstream files instead of a download
            (the folder holding `manifest.json`, `Variable`, ...).
        compact: store the large kernels as float16 (the embedded presets).
        overwrite: replace an existing `preset_dir`.

    Returns:
        The preset directory as a `pathlib.Path`.

    Example:

    >>> keras_style.zoo.build_preset("wave", "presets/wave")
    PosixPath('presets/wave')
    """
    entry = get_style(name)
    preset_dir = pathlib.Path(preset_dir)
    urls = entry.source.urls(_upstream_base(upstream_url))
    if source_dir is not None:
        source_dir = pathlib.Path(source_dir)
    elif urls is None:
        raise UpstreamUnreachable(
            f"{entry.name!r} has no download source (it ships inside the "
            "package; reinstall keras-style)"
        )
    if preset_dir.exists() and not overwrite:
        raise FileExistsError(
            "Preset directory already exists; pass overwrite=True to replace it. "
            f"Received: preset_dir={str(preset_dir)!r}"
        )
    preset_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=f".{entry.name}-src-", dir=preset_dir.parent
    ) as tmp:
        tmp = pathlib.Path(tmp)
        source = tmp / "source"
        source.mkdir()
        if source_dir is not None:
            for file, sha in entry.source.sha256.items():
                _copy_verified(source_dir / file, source / file, sha)
            urls = {}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            jobs = [
                pool.submit(
                    _http_download, url, source / file, entry.source.sha256[file]
                )
                for file, url in urls.items()
            ]
            try:
                for job in jobs:
                    job.result()
            except BaseException:
                for job in jobs:  # do not keep fetching for a failed build
                    job.cancel()
                raise
        metadata = {
            "name": entry.name,
            "title": entry.title,
            "artist": entry.artist,
            "description": entry.description,
            "licence": entry.licence,
            "attribution": entry.attribution,
            "source": {
                "format": entry.source.format,
                "base_url": entry.source.base_url,
                "folder": entry.source.folder,
                "homepage": entry.source.homepage,
                "sha256": dict(entry.source.sha256),
            },
        }
        # Written next to the sources (same file system), then moved into place.
        built = _convert(
            entry.source.format,
            source,
            tmp / "preset",
            metadata=metadata,
            model_card=model_card(name, compact=compact),
        )
        if compact:
            _compact_weights(built / WEIGHTS_FILE)
            write_checksums(built)
        publish_directory(built, preset_dir)
    return preset_dir


def build_cached(entry, cache_dir, upstream_url, force):
    """The upstream-built preset in the cache, built once under a file lock."""
    import filelock

    target = built_dir(entry, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(target.parent / f".{target.name}.lock")):
        if force or not (target / WEIGHTS_FILE).is_file():
            logger.info("Building style %r from %s", entry.name, entry.source.format)
            build_preset(entry.name, target, upstream_url=upstream_url, overwrite=True)
    return target

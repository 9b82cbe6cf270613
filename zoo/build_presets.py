"""Build (and optionally publish) the zoo's Hub presets from their upstream sources.

The preset table (`keras_style/presets/table.py`) is the single source of truth:
which styles exist, their upstream files and sha256s, licence and model card.
This script turns every entry into a preset directory exactly as
`keras_style.zoo.load` would build it as a fallback, uploads it, and prints the
pins (commit sha + sha256 of each file) to paste into
`keras_style/presets/table.py`. `zoo/recipes/<style>.json` are human-readable snapshots
of the registry written by `--write-recipes` (tests check they are current).
`--embed` rebuilds the presets shipped inside the package
(`keras_style/presets/embedded/`, large kernels in float16) and prints their pins
for the same table.

    python zoo/build_presets.py --output build/presets            # all six, no upload
    python zoo/build_presets.py --output build/presets --source-dir ml5/style-transfer
    HF_TOKEN=hf_... python zoo/build_presets.py --org keras-style --upload
    python zoo/build_presets.py --embed --source-dir ml5/style-transfer \\
        --magenta-dir ../shared/data/weights/magenta
    python zoo/build_presets.py --write-recipes
"""

import argparse
import hashlib
import json
import os
import pathlib
import sys

from keras_style import zoo
from keras_style.presets import registry

RECIPES_DIR = pathlib.Path(__file__).resolve().parent / "recipes"
CONVERTERS = {
    "lengstrom-ml5": "keras_style.convert.convert_lengstrom_to_preset",
    "magenta-arbitrary": ("keras_style.convert.convert_magenta_arbitrary_to_preset"),
    "magenta-multistyle": ("keras_style.convert.convert_magenta_multistyle_to_preset"),
}


def source_dir(entry, lengstrom_dir, magenta_dir):
    """The local copy of a style's upstream files, or None to download them."""
    if entry.source.format.startswith("magenta-"):
        return None if magenta_dir is None else pathlib.Path(magenta_dir)
    return None if lengstrom_dir is None else pathlib.Path(lengstrom_dir) / entry.name


def recipe(name):
    """The recipe of a registry style: everything needed to rebuild its Hub repo."""
    entry = zoo.get_style(name)
    urls = entry.source.urls() or {}
    return {
        "name": entry.name,
        "painting": {
            "title": entry.title,
            "artist": entry.artist,
            "year": entry.year,
            "medium": entry.medium,
        },
        "description": entry.description,
        "hub_repo": f"{zoo.DEFAULT_HUB_OWNER}/{entry.repo}",
        "published": {"revision": entry.revision, "sha256": dict(entry.sha256)},
        "licence": entry.licence,
        "attribution": entry.attribution,
        "source": {
            "format": entry.source.format,
            "homepage": entry.source.homepage,
            "files": [
                {"file": file, "url": urls.get(file), "sha256": sha}
                for file, sha in entry.source.sha256.items()
            ],
        },
        "converter": CONVERTERS[entry.source.format],
        "build": f"keras_style.zoo.build_preset({entry.name!r}, PRESET_DIR)",
        "model_card": zoo.model_card(name, owner=zoo.DEFAULT_HUB_OWNER),
    }


def write_recipes(directory=RECIPES_DIR):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in zoo.available():
        text = json.dumps(recipe(name), indent=2, ensure_ascii=False) + "\n"
        (directory / f"{name}.json").write_text(text)
    return directory


def embed(lengstrom_dir=None, upstream_url=None, magenta_dir=None):
    """Rebuilds the presets shipped inside the package; returns their pins."""
    pins = {}
    for name in zoo.EMBEDDED_STYLES:
        folder = registry.EMBEDDED_DIR / name
        zoo.build_preset(
            name,
            folder,
            source_dir=source_dir(zoo.get_style(name), lengstrom_dir, magenta_dir),
            upstream_url=upstream_url,
            compact=True,
            overwrite=True,
        )
        pins[name] = {
            file: hashlib.sha256((folder / file).read_bytes()).hexdigest()
            for file in zoo.PRESET_FILES
        }
        print(f"embedded {name}: {folder}", flush=True)
    return pins


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--org", default=zoo.DEFAULT_HUB_OWNER, help="Hub owner of the repos"
    )
    p.add_argument(
        "--output",
        "--out",
        default="build/presets",
        help="where presets are written (default build/presets)",
    )
    p.add_argument("--styles", default=None, help="comma-separated subset")
    p.add_argument("--upload", action="store_true", help="publish (token: $HF_TOKEN)")
    p.add_argument("--private", action="store_true")
    p.add_argument("--endpoint", default=None, help="Hub URL (default: HF_ENDPOINT)")
    p.add_argument("--upstream-url", default=None, help="mirror of the upstream files")
    p.add_argument(
        "--source-dir",
        default=None,
        help="local copy of the upstream files (SOURCE_DIR/<style>/...), checked "
        "against the pinned sha256s; no download",
    )
    p.add_argument(
        "--magenta-dir",
        default=None,
        help="folder with Magenta's arbitrary_predict.onnx, "
        "arbitrary_transform.onnx and multistyle26.onnx (the 'arbitrary' and "
        "'magenta26' presets have no download source)",
    )
    p.add_argument(
        "--embed",
        action="store_true",
        help="only rebuild the presets shipped inside the package",
    )
    p.add_argument(
        "--write-recipes", action="store_true", help="only regenerate zoo/recipes"
    )
    args = p.parse_args(argv)

    if args.write_recipes:
        print(f"wrote {write_recipes()}")
        return 0
    if args.embed:
        pins = embed(args.source_dir, args.upstream_url, args.magenta_dir)
        print("\n# Paste the embedded pins into keras_style/presets/table.py:")
        print("_EMBEDDED = " + json.dumps(pins, indent=4))
        return 0
    names = args.styles.split(",") if args.styles else zoo.available()
    for name in names:
        zoo.get_style(name)  # validate all names before doing any work
    token = os.environ.get("HF_TOKEN")
    if args.upload and not token:
        print("--upload needs a write token in $HF_TOKEN", file=sys.stderr)
        return 2
    os.environ["KERAS_STYLE_HUB_OWNER"] = args.org  # model cards name this owner
    pins = {}
    for name in names:
        entry = zoo.get_style(name)
        preset = zoo.build_preset(
            name,
            pathlib.Path(args.output) / name,
            upstream_url=args.upstream_url,
            source_dir=source_dir(entry, args.source_dir, args.magenta_dir),
            overwrite=True,
        )
        print(f"built {name}: {preset}", flush=True)
        if args.upload:
            published = zoo.upload(
                preset,
                f"hf://{args.org}/{entry.repo}",
                token=token,
                endpoint=args.endpoint,
                private=args.private,
                commit_message=f"keras-style preset {name} (converted from upstream)",
            )
            pins[name] = (published.revision, published.sha256)
            print(f"uploaded {name}: hf://{published.repo_id}@{published.revision}")
    if pins:
        print("\n# Paste the published pins into keras_style/presets/table.py:")
        print(
            "_PUBLISHED = "
            + json.dumps(pins, indent=4).replace("[", "(").replace("]", ")")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

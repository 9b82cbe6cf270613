"""Stylize a photo (or a folder of photos) with a pretrained zoo style.

    python examples/stylize.py photo.jpg --style wave -o wave.jpg
    python examples/stylize.py photos/ --style udnie -o styled/ --strength 0.8
    python examples/stylize.py photo.jpg --style hf://keras-style/lengstrom-scream -o s.jpg

Styles: `keras_style.zoo.available()` (wave, rain_princess, la_muse, scream,
udnie, wreck), a Hub handle `hf://owner/repo[@revision]`, or a preset folder.
The first use downloads the style into the cache (`$KERAS_STYLE_CACHE`, default
~/.cache/keras_style); later runs work offline. The pretrained weights are by
Logan Engstrom, for research / non-commercial use with attribution.
"""

import argparse
import pathlib

from keras_style import zoo


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", help="image file or folder")
    p.add_argument("--style", default="wave", help="zoo name, hf:// handle or folder")
    p.add_argument("-o", "--output", required=True, help="output file or folder")
    p.add_argument("--strength", type=float, default=1.0, help="0 (photo) .. 1 (style)")
    p.add_argument("--preserve-colors", action="store_true")
    p.add_argument("--max-size", type=int, default=None, help="faster, coarser")
    args = p.parse_args()

    stylizer = zoo.load(args.style)
    print(f"style {stylizer.name}: {stylizer.metadata.get('licence', '')}")
    options = dict(
        strength=args.strength,
        preserve_colors=args.preserve_colors,
        max_size=args.max_size,
    )
    if pathlib.Path(args.input).is_dir():
        result = stylizer.stylize_folder(args.input, args.output, **options)
        print(f"{len(result.written)} written, {len(result.skipped)} skipped")
    else:
        stylizer.stylize(args.input, **options).save(args.output)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

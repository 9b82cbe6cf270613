"""Regenerate the README pictures in docs/images/: every zoo style applied to
one photo the project may ship, plus a contact sheet.

The photo is scikit-image's public-domain NASA astronaut (Eileen Collins,
`skimage.data.astronaut()`). The styles come from the lengstrom weights in
the shared test data (converted with `keras_style.convert.lengstrom`) when present,
else from `keras_style.zoo.load` (Hub or upstream download).

    python docs/make_readme_images.py [--size 256] [--quality 85]
"""

import argparse
import os
import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_style import zoo
from keras_style.image import save_image
from keras_style.inference.stylizer import Stylizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


def shared_weights():
    env = os.environ.get("KERAS_STYLE_TEST_DATA")
    data = pathlib.Path(env) if env else ROOT.parent / "shared" / "data"
    folder = data / "weights" / "lengstrom-ml5"
    return folder if folder.is_dir() else None


def load_style(name, weights):
    if weights is not None:
        from keras_style.convert.lengstrom import convert_lengstrom

        return Stylizer(convert_lengstrom(weights / name), name=name)
    return zoo.load(name)


def contact_sheet(cells, cell=160, columns=4, label_height=18):
    rows = -(-len(cells) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * (cell + label_height)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (label, img) in enumerate(cells):
        x, y = (i % columns) * cell, (i // columns) * (cell + label_height)
        sheet.paste(img.resize((cell, cell), Image.Resampling.LANCZOS), (x, y))
        width = draw.textlength(label, font=font)
        draw.text(
            (x + (cell - width) / 2, y + cell + 3), label, fill="black", font=font
        )
    return sheet


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256, help="side of the pictures")
    p.add_argument("--quality", type=int, default=85, help="JPEG quality")
    args = p.parse_args(argv)

    from skimage import data

    photo = Image.fromarray(data.astronaut()).resize(
        (args.size, args.size), Image.Resampling.LANCZOS
    )
    OUT.mkdir(parents=True, exist_ok=True)
    save_image(photo, OUT / "astronaut.jpg", quality=args.quality)
    weights = shared_weights()
    cells = [("photo", photo)]
    for name in zoo.available():
        styled = load_style(name, weights).stylize(np.asarray(photo))
        save_image(styled, OUT / f"{name}.jpg", quality=args.quality)
        cells.append((name, styled))
        print(f"wrote {OUT / name}.jpg")
    sheet = contact_sheet(cells)
    save_image(sheet, OUT / "contact_sheet.jpg", quality=args.quality)
    total = sum(f.stat().st_size for f in OUT.glob("*.jpg"))
    print(f"wrote {OUT / 'contact_sheet.jpg'}; docs/images holds {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()

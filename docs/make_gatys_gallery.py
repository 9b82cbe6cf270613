"""Makes docs/images/gatys_gallery.jpg: Gatys transfer with real VGG19 weights.

One public-domain photo (scikit-image's `astronaut`, NASA) in three
public-domain paintings, plus one luminance-only (`preserve_colors=True`)
result, as a contact sheet: the photo and the paintings on top, the results
below.

Usage:

    python docs/make_gatys_gallery.py --vgg-weights vgg19.weights.h5 \\
        [--styles ../shared/data/styles] [--size 320] [--iterations 300]

`--vgg-weights` is a weights file of `keras.applications.VGG19(include_top=
False)` (or "imagenet" where the download works).
"""

import argparse
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# (file in the styles folder, label): all public domain.
PAINTINGS = (
    ("wave.jpg", "Hokusai, The Great Wave"),
    ("the_scream.jpg", "Munch, The Scream"),
    ("udnie.jpg", "Picabia, Udnie"),
)
CELL = 256  # thumbnail side in the sheet


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vgg-weights", help="VGG19 weights file, or 'imagenet'")
    parser.add_argument(
        "--styles",
        default=os.environ.get(
            "KERAS_STYLE_TEST_DATA", str(ROOT.parent / "shared" / "data")
        )
        + "/styles",
        help="folder holding the paintings (default: ../shared/data/styles)",
    )
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument(
        "--output", default=str(ROOT / "docs" / "images" / "gatys_gallery.jpg")
    )
    args = parser.parse_args(argv)
    if not args.vgg_weights:
        sys.exit(
            "make_gatys_gallery.py needs the real ImageNet VGG19 weights: pass "
            "--vgg-weights FILE (a keras.applications.VGG19(include_top=False) "
            "weights file) or --vgg-weights imagenet. Random weights would "
            "give meaningless pictures."
        )
    styles = pathlib.Path(args.styles)
    missing = [name for name, _ in PAINTINGS if not (styles / name).is_file()]
    if missing:
        sys.exit(f"Paintings {missing} not found in --styles {styles}.")

    import skimage.data
    from PIL import Image, ImageDraw

    from keras_style import image as image_lib
    from keras_style.optimize import GatysStyleTransfer

    photo = skimage.data.astronaut().astype("float32")
    gatys = GatysStyleTransfer(vgg_weights=args.vgg_weights)
    runs = [(name, label, False) for name, label in PAINTINGS]
    runs.append((PAINTINGS[0][0], PAINTINGS[0][1] + ", colours kept", True))
    results = []
    for name, label, preserve in runs:
        start = time.perf_counter()
        result = gatys.run(
            photo,
            styles / name,
            size=args.size,
            iterations=args.iterations,
            preserve_colors=preserve,
            verbose=0,
        )
        seconds = time.perf_counter() - start
        print(f"{label}: {seconds:.0f} s", flush=True)
        results.append((label, result.image))

    def thumb(image):
        pil = image_lib.to_pil(image) if not isinstance(image, Image.Image) else image
        pil = pil.convert("RGB")
        pil.thumbnail((CELL, CELL), Image.LANCZOS)
        return pil

    top = [("photo (astronaut, NASA)", thumb(photo))] + [
        (label, thumb(Image.open(styles / name))) for name, label in PAINTINGS
    ]
    # The luminance-only result sits under the photo whose colours it keeps.
    bottom = [(label, thumb(image)) for label, image in results[-1:] + results[:-1]]
    columns, label_height, gap = len(top), 16, 4
    sheet = Image.new(
        "RGB",
        (columns * (CELL + gap) - gap, 2 * (CELL + label_height + gap)),
        "white",
    )
    draw = ImageDraw.Draw(sheet)
    for row, cells in enumerate((top, bottom)):
        for column, (label, pil) in enumerate(cells):
            if pil is None:
                continue
            x = column * (CELL + gap) + (CELL - pil.width) // 2
            y = row * (CELL + label_height + gap) + (CELL - pil.height) // 2
            sheet.paste(pil, (x, y))
            draw.text(
                (
                    column * (CELL + gap) + 2,
                    row * (CELL + label_height + gap) + CELL + 2,
                ),
                label,
                fill="black",
            )
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output, quality=85, optimize=True)
    print(f"wrote {output} ({output.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Make docs/images/trained_vs_pretrained.jpg: a network trained here with
`keras-style train` next to the pretrained lengstrom "wave" network.

Panels: held-out photo | wave painting | ours | lengstrom. The photo is
scikit-image's public-domain NASA astronaut (`skimage.data.astronaut()`),
not in the training folder. Also prints, for both networks, the two sides of
the trade-off (GUIDE §7) measured with the real ImageNet VGG19:

- `style_moved`: per style tap (relu1_1 ... relu5_1), how far the output's
  Gram matrix moved from the photo's toward the painting's,
  `1 - |G(out) - G(style)| / |G(photo) - G(style)|`, averaged (0: the photo's
  texture, 1: the painting's);
- `content_dist`: `|F(out) - F(photo)| / |F(photo)|` at relu4_2 (0: the
  photo's deep features unchanged).

    keras-style train --style wave.jpg --data photos/ -o wave_trained ...
    python docs/make_trained_example.py wave_trained \\
        --vgg-weights vgg19.weights.h5 [--size 256]

Needs the shared test data (`../shared/data` or `$KERAS_STYLE_TEST_DATA`) for
the painting and the lengstrom weights.
"""

import argparse
import json
import os
import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_style.convert.lengstrom import convert_lengstrom
from keras_style.image import load_image, save_image
from keras_style.inference.stylizer import Stylizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def shared_data():
    env = os.environ.get("KERAS_STYLE_TEST_DATA")
    return pathlib.Path(env) if env else ROOT.parent / "shared" / "data"


def measure(vgg, output, photo, painting):
    """`style_moved` and `content_dist` of `output` (see the module doc)."""
    from keras import ops

    from keras_style.losses.perceptual import gram_matrix

    def features(image):
        out = vgg(ops.convert_to_tensor(np.asarray(image, "float32")[None]))
        return {k: ops.convert_to_numpy(v) for k, v in out.items()}

    def grams(f):
        return {k: ops.convert_to_numpy(gram_matrix(f[k]))[0] for k in STYLE_LAYERS}

    fo, fp, fs = features(output), features(photo), features(painting)
    go, gp, gs = grams(fo), grams(fp), grams(fs)
    ratios = [
        np.linalg.norm(go[k] - gs[k]) / np.linalg.norm(gp[k] - gs[k])
        for k in STYLE_LAYERS
    ]
    content = np.linalg.norm(fo["relu4_2"] - fp["relu4_2"]) / np.linalg.norm(
        fp["relu4_2"]
    )
    return {
        "style_moved": round(float(1 - np.mean(ratios)), 3),
        "content_dist": round(float(content), 3),
    }


def panels(cells, size, label_height=18):
    sheet = Image.new("RGB", (len(cells) * size, size + label_height), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (label, image) in enumerate(cells):
        image = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
        scale = size / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)),
            Image.Resampling.LANCZOS,
        )
        sheet.paste(image, (i * size + (size - image.width) // 2, 0))
        width = draw.textlength(label, font=font)
        draw.text(
            (i * size + (size - width) / 2, size + 3), label, fill="black", font=font
        )
    return sheet


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("preset", help="preset directory written by `keras-style train`")
    p.add_argument("--vgg-weights", help="Keras VGG19 weights file, for the measures")
    p.add_argument("--size", type=int, default=256, help="side of the photo")
    p.add_argument("--label", default="ours (keras-style train)")
    p.add_argument("--quality", type=int, default=85, help="JPEG quality")
    p.add_argument("-o", "--output", default=str(OUT / "trained_vs_pretrained.jpg"))
    args = p.parse_args(argv)

    from skimage import data

    photo = load_image(data.astronaut(), max_size=args.size)
    painting_path = shared_data() / "styles" / "wave.jpg"
    painting = load_image(painting_path)
    ours = Stylizer.from_preset_dir(args.preset)
    theirs = Stylizer(
        convert_lengstrom(shared_data() / "weights" / "lengstrom-ml5" / "wave"),
        name="wave",
    )
    outputs = {
        "ours": np.asarray(ours.stylize(photo), "float32"),
        "lengstrom": np.asarray(theirs.stylize(photo), "float32"),
    }
    sheet = panels(
        [
            ("held-out photo", photo),
            ("wave (Hokusai)", painting),
            (args.label, outputs["ours"]),
            ("pretrained lengstrom wave", outputs["lengstrom"]),
        ],
        args.size,
    )
    save_image(sheet, args.output, quality=args.quality)
    print(f"Wrote {args.output}")
    if args.vgg_weights:
        from keras_style.losses.vgg import vgg_feature_extractor

        vgg = vgg_feature_extractor(
            (*STYLE_LAYERS, "relu4_2"), network="vgg19", weights=args.vgg_weights
        )
        # The painting at twice the photo's side, as it is at training time
        # relative to the crops (`default_style_size`) within a factor of 2.
        target = load_image(painting_path, max_size=2 * args.size)
        for name, output in outputs.items():
            print(json.dumps({"network": name, **measure(vgg, output, photo, target)}))


if __name__ == "__main__":
    main()

"""Make docs/images/trained_vs_pretrained.jpg (and new_style_wave.jpg): a
network trained here with `keras-style train` next to the pretrained
lengstrom "wave" network.

Panels: held-out photo | wave painting | ours | any `--panel` images | Gatys
(with `--gatys-iterations`) | lengstrom. The photo is scikit-image's
public-domain NASA astronaut (`skimage.data.astronaut()`), not in the
training folder. Also prints, for every output, the two sides of the
trade-off (GUIDE §7) measured with the real ImageNet VGG19:

- `style_moved`: per style tap (relu1_1 ... relu5_1), how far the output's
  Gram matrix moved from the photo's toward the painting's,
  `1 - |G(out) - G(style)| / |G(photo) - G(style)|`, averaged (0: the photo's
  texture, 1: the painting's);
- `content_dist`: `|F(out) - F(photo)| / |F(photo)|` at relu4_2 (0: the
  photo's deep features unchanged).

    keras-style train --style wave.jpg --data photos/ -o wave_trained ...
    python docs/make_trained_example.py wave_trained \\
        --vgg-weights vgg19.weights.h5 [--size 256]

    keras-style train --style wave.jpg --data photos/ -o wave_new --base magenta26
    python docs/make_trained_example.py wave_new --label "new style on magenta26" \\
        --panel "full network, 2400 steps=full_panel.png" --gatys-iterations 100 \\
        --vgg-weights vgg19.weights.h5 -o docs/images/new_style_wave.jpg

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
from keras_style.image import load_image, resize, save_image
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
    """`[(label, image)]` side by side, each fitted into `size` x `size`,
    labels under the tallest image (no blank band for landscape photos)."""
    images = []
    for _, image in cells:
        image = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
        scale = size / max(image.size)
        images.append(
            image.resize(
                (round(image.width * scale), round(image.height * scale)),
                Image.Resampling.LANCZOS,
            )
        )
    height = max(image.height for image in images)
    sheet = Image.new("RGB", (len(cells) * size, height + label_height), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, ((label, _), image) in enumerate(zip(cells, images)):
        sheet.paste(image, (i * size + (size - image.width) // 2, 0))
        width = draw.textlength(label, font=font)
        draw.text(
            (i * size + (size - width) / 2, height + 3), label, fill="black", font=font
        )
    return sheet


def gatys(photo, painting, vgg_weights, iterations):
    """Gatys et al. with the real VGG19 at the photo's size (L-BFGS)."""
    from keras_style.optimize import stylize_optimize

    result = stylize_optimize(
        photo,
        painting,
        size=max(photo.shape[:2]),
        iterations=iterations,
        vgg_weights=vgg_weights,
        verbose=0,
    )
    return np.asarray(result.image, "float32")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("preset", help="preset directory written by `keras-style train`")
    p.add_argument("--vgg-weights", help="Keras VGG19 weights file, for the measures")
    p.add_argument("--size", type=int, default=256, help="side of the photo")
    p.add_argument("--label", default="ours (keras-style train)")
    p.add_argument(
        "--panel",
        action="append",
        default=[],
        metavar="LABEL=IMAGE",
        help="an image shown as it is after ours, e.g. a panel of an earlier "
        "figure whose network is no longer at hand (repeatable)",
    )
    p.add_argument(
        "--gatys-iterations",
        type=int,
        default=0,
        help="add a Gatys panel (needs --vgg-weights); 0: none",
    )
    p.add_argument("--quality", type=int, default=85, help="JPEG quality")
    p.add_argument("-o", "--output", default=str(OUT / "trained_vs_pretrained.jpg"))
    args = p.parse_args(argv)
    if args.gatys_iterations and not args.vgg_weights:
        p.error("--gatys-iterations needs --vgg-weights")

    from skimage import data

    photo = load_image(data.astronaut(), max_size=args.size)
    painting_path = shared_data() / "styles" / "wave.jpg"
    painting = load_image(painting_path)
    ours = Stylizer.from_preset_dir(args.preset)
    theirs = Stylizer(
        convert_lengstrom(shared_data() / "weights" / "lengstrom-ml5" / "wave"),
        name="wave",
    )
    outputs = {args.label: np.asarray(ours.stylize(photo), "float32")}
    for item in args.panel:
        label, _, path = item.partition("=")
        outputs[label] = resize(load_image(path), *photo.shape[:2])
    if args.gatys_iterations:
        outputs[f"Gatys, {args.gatys_iterations} L-BFGS steps"] = gatys(
            photo, painting, args.vgg_weights, args.gatys_iterations
        )
    outputs["pretrained lengstrom wave"] = np.asarray(theirs.stylize(photo), "float32")
    sheet = panels(
        [("held-out photo", photo), ("wave (Hokusai)", painting), *outputs.items()],
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

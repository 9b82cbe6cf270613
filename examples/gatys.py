"""Gatys et al. style transfer from Python, end to end.

    python examples/gatys.py photo.jpg starry_night.jpg -o stylized.png
    python examples/gatys.py photo.jpg a.jpg b.jpg --blend 0.7,0.3 --scales 256,512
    python examples/gatys.py photo.jpg style.jpg --preserve-colors --optimizer adam

Downloads the ImageNet VGG19 weights through Keras on first use (pass
`--random-vgg` to try the pipeline offline: the picture is then meaningless).
Set KERAS_BACKEND to tensorflow (default), jax or torch.
"""

import argparse
import time

from keras_style.image import load_image, save_image
from keras_style.optimize import GatysStyleTransfer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("content")
    p.add_argument("styles", nargs="+")
    p.add_argument("-o", "--output", default="stylized.png")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--scales", default=None, help="e.g. 256,512")
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs")
    p.add_argument("--blend", default=None, help="style weights, e.g. 0.7,0.3")
    p.add_argument("--preserve-colors", action="store_true")
    p.add_argument("--random-vgg", action="store_true")
    args = p.parse_args()

    # The configuration (layers, weights, VGG19) is built once and can serve
    # several `run` calls.
    gatys = GatysStyleTransfer(
        content_weight=5.0,
        style_weight=100.0,
        tv_weight=100.0,
        pooling="avg",
        vgg_weights=None if args.random_vgg else "imagenet",
    )
    content = load_image(args.content)
    styles = [load_image(path, name="style") for path in args.styles]
    scales = [int(s) for s in args.scales.split(",")] if args.scales else None
    blend = [float(w) for w in args.blend.split(",")] if args.blend else None

    def every_50(iteration, image, losses):
        if iteration % 50 == 0:
            print(f"  iteration {iteration}: loss {losses['total']:.4g}")
        return True  # returning False would stop here

    start = time.perf_counter()
    result = gatys.run(
        content,
        styles,
        size=None if scales else args.size,
        scales=scales,
        iterations=args.iterations,
        optimizer=args.optimizer,
        style_blend_weights=blend,
        preserve_colors=args.preserve_colors,
        verbose=0,
        callback=every_50,
    )
    save_image(result.image, args.output)
    first, last = result.history[0]["total"], result.history[-1]["total"]
    print(
        f"wrote {args.output} ({result.image.shape[1]}x{result.image.shape[0]}) in "
        f"{time.perf_counter() - start:.0f} s; loss {first:.4g} -> {last:.4g}"
    )


if __name__ == "__main__":
    main()

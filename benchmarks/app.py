"""The web app's speed: webcam frames and the Photo tab's first result.

`python benchmarks/app.py webcam --photo PHOTO [--frames 20]` feeds 640x480
frames (a pan across PHOTO) through a `WebcamSession`, the handler behind the
Webcam tab (network, flow stabilisation, frame rate meter), for each runtime
(Keras, ONNX Runtime) and network size (320 and 640 px longest side). It
reports the median latency per frame and the frames per second it allows.
The browser's own JPEG encoding and transport are not counted.

`python benchmarks/app.py photo --photo PHOTO` serves the app on 127.0.0.1
and calls its `/stylize` endpoint with `gradio_client`, as a browser's
Stylize button does: the first call (the style loaded on demand) and the
median of the next five. One JSON line per figure.
"""

import argparse
import json
import statistics
import tempfile
import time

import numpy as np
from compare import machine_description

CAMERA = (640, 480)


def _frames(photo, count):
    from keras_style.image import load_image

    width, height = CAMERA
    scene = load_image(photo, max_size=2 * width).astype(np.uint8)
    step = max(1, (scene.shape[1] - width) // count)
    return [scene[:height, i * step : i * step + width] for i in range(count)]


def _emit(**fields):
    fields.update(date=time.strftime("%Y-%m-%d"), machine=machine_description())
    print(json.dumps(fields), flush=True)


def webcam(args):
    from keras_style.app import StyleEngine

    frames = _frames(args.photo, args.frames)
    for runtime in args.runtimes.split(","):
        engine = StyleEngine(runtime=runtime, cache_dir=args.cache_dir)
        for size in (320, 640):
            session = engine.webcam(max_size=size)
            for frame in frames[:3]:  # load, export once, warm up
                session(frame, args.style)
            times = []
            for frame in frames:
                start = time.perf_counter()
                session(frame, args.style)
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            _emit(
                figure="webcam_frame",
                runtime=runtime,
                style=args.style,
                camera="640x480",
                network_size=size,
                median_s=round(median, 4),
                fps=round(1 / median, 2),
            )


def photo(args):
    from gradio_client import Client, handle_file

    from keras_style.app import StyleEngine, launch

    engine = StyleEngine(runtime=args.runtimes.split(",")[0], cache_dir=args.cache_dir)
    page = launch(engine, block=False)
    try:
        client = Client(page.local_url, verbose=False)
        times = []
        for _ in range(6):
            start = time.perf_counter()
            client.predict(
                handle_file(args.photo), args.style, 1.0, api_name="/stylize"
            )
            times.append(time.perf_counter() - start)
    finally:
        engine.close()
        page.close()
    _emit(
        figure="photo_tab",
        runtime=engine.runtime,
        style=args.style,
        first_s=round(times[0], 3),
        next_median_s=round(statistics.median(times[1:]), 3),
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("task", choices=["webcam", "photo"])
    p.add_argument("--photo", required=True, help="a photo (the camera pans across it)")
    p.add_argument("--style", default="wave")
    p.add_argument("--frames", type=int, default=20)
    p.add_argument("--runtimes", default="keras,onnx", help="comma-separated")
    p.add_argument(
        "--cache-dir", default=tempfile.mkdtemp(), help="cache (default: a new one)"
    )
    args = p.parse_args(argv)
    {"webcam": webcam, "photo": photo}[args.task](args)


if __name__ == "__main__":
    main()

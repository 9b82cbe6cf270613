"""Bulk stylization on Ray against the one-process folder run.

`python benchmarks/scale_out.py --photos DIR [--count 24] [--size 512]` makes a
folder of COUNT photos at SIZE x SIZE (crops of the photos in DIR), then, in
one invocation and alternating, repeats (`--repeats 3`):

- `plain`: `Stylizer.stylize_folder` in this process (style loaded inside
  the timing, as a fresh `keras-style stylize DIR` would);
- `ray-1`, `ray-2`: `stylize_dataset` with 1 and 2 actors on a local Ray
  cluster started once before the timings (its start-up is reported as
  `ray_init_s`); each run loads its actors' stylizers inside the timing.

Every run writes into a fresh folder. One JSON line per figure: the median
wall time, images per second, and Ray's overhead per image against `plain`.
"""

import argparse
import json
import pathlib
import shutil
import statistics
import tempfile
import time

import numpy as np
from compare import machine_description


def _photo_folder(photos, folder, count, size):
    from keras_style.image import load_image, save_image

    sources = sorted(p for p in pathlib.Path(photos).iterdir() if p.is_file())
    rng = np.random.default_rng(0)
    for i in range(count):
        image = load_image(sources[i % len(sources)], max_size=2 * size)
        h, w = image.shape[:2]
        top = rng.integers(0, max(1, h - size + 1))
        left = rng.integers(0, max(1, w - size + 1))
        crop = image[top : top + size, left : left + size]
        save_image(crop, folder / f"photo{i:03d}.jpg", quality=95)


def _emit(**fields):
    fields.update(date=time.strftime("%Y-%m-%d"), machine=machine_description())
    print(json.dumps(fields), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", required=True)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--style", default="wave")
    parser.add_argument("--runtime", default="keras")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", default="plain,ray-1,ray-2")
    args = parser.parse_args()

    import ray

    from keras_style import zoo
    from keras_style.distributed import stylize_dataset

    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-ray-"))
    source = work / "photos"
    source.mkdir()
    _photo_folder(args.photos, source, args.count, args.size)
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    _emit(figure="ray_init_s", seconds=round(time.perf_counter() - start, 2))

    def plain(out):
        stylizer = zoo.load(args.style, runtime=args.runtime)
        result = stylizer.stylize_folder(source, out, verbose=0, batch_size=1)
        assert len(result.written) == args.count, result.skipped

    def on_ray(actors):
        def run(out):
            result = stylize_dataset(
                source, out, args.style, runtime=args.runtime,
                num_actors=actors, batch_size=4, verbose=0,
            )  # fmt: skip
            assert len(result.written) == args.count, result.failed

        return run

    runs = {"plain": plain, "ray-1": on_ray(1), "ray-2": on_ray(2)}
    runs = {name: runs[name] for name in args.runs.split(",")}
    times = {name: [] for name in runs}
    for repeat in range(args.repeats):
        for name, run in runs.items():
            out = work / f"{name}-{repeat}"
            start = time.perf_counter()
            run(out)
            times[name].append(time.perf_counter() - start)
            shutil.rmtree(out)
    ray.shutdown()
    shutil.rmtree(work)
    plain_median = statistics.median(times.get("plain", [float("nan")]))
    for name, values in times.items():
        median = statistics.median(values)
        _emit(
            figure="bulk_stylize",
            run=name,
            images=args.count,
            size=args.size,
            style=args.style,
            runtime=args.runtime,
            median_s=round(median, 2),
            images_per_s=round(args.count / median, 2),
            overhead_per_image_s=round((median - plain_median) / args.count, 3),
            runs=[round(t, 2) for t in values],
        )


if __name__ == "__main__":
    main()

"""keras-style timings, side by side with ../shared/bench/peer_torch.py.

Same command line and JSON fields as the peer; the Keras backend comes from
`KERAS_BACKEND`. Prints one JSON line per figure.

    python benchmarks/run.py gatys --size 256 --optimizer lbfgs --iterations 5
    python benchmarks/run.py train --batch 2 --size 128 --iterations 5
    python benchmarks/run.py infer --height 512 --width 512
"""

import argparse
import json
import platform
import time

import keras


def report(**fields):
    fields.update(
        backend=keras.backend.backend(),
        device=_device_name(),
    )
    print(json.dumps(fields), flush=True)


def _device_name():
    return platform.processor() or platform.machine() or "cpu"


def timeit(fn, iterations, warmup=3):
    """Mean seconds per call after `warmup` calls, measured as the peer does."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


# === gatys ==================================================================


def bench_gatys(args):
    raise NotImplementedError


# === train / infer ==========================================================


def bench_train(args):
    raise NotImplementedError


def bench_infer(args):
    raise NotImplementedError


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("task", choices=["train", "infer", "gatys"])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=256, help="train/gatys image side")
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--precision", choices=["fp32", "bf16", "compile"], default="fp32")
    p.add_argument("--optimizer", choices=["adam", "lbfgs"], default="adam")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--style", default=None, help="infer: zoo name or preset dir")
    args = p.parse_args(argv)
    {"gatys": bench_gatys, "train": bench_train, "infer": bench_infer}[args.task](args)


if __name__ == "__main__":
    main()

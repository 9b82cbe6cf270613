"""keras-style timings, side by side with ../shared/bench/peer_torch.py.

Same command line and JSON fields as the peer; the Keras backend comes from
`KERAS_BACKEND`. Prints one JSON line per figure.

    python benchmarks/run.py gatys --size 256 --optimizer lbfgs --iterations 5
    python benchmarks/run.py gatys --size 256 --optimizer lbfgs --iterations 100 \
        --vgg-weights VGG19.weights.h5 --content photo.jpg --style painting.jpg \
        --save out.png    # a real run: the loss reached, and when (time-to-quality)
    python benchmarks/run.py train --batch 2 --size 128 --iterations 5
    python benchmarks/run.py infer --height 512 --width 512
    python benchmarks/run.py infer --height 512 --width 512 --style wave --runtime onnx
    python benchmarks/run.py tiled --height 4096 --width 4096 --style wave
    python benchmarks/run.py video --height 360 --width 640 --style wave --frames 30
    python benchmarks/run.py arbitrary --height 384 --width 384 \
        --content photo.jpg --style painting.jpg
    python benchmarks/run.py multistyle --height 512 --width 512 --runtime onnx
"""

import argparse
import functools
import json
import os
import platform
import time

import keras

from keras_style.utils.backend_config import use_eigen_convolutions_on_jax_cpu

if keras.backend.backend() == "jax":
    use_eigen_convolutions_on_jax_cpu()  # as the CLI does, before any JAX work


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


def peer_gatys_problem(size, precision="fp32"):
    """The peer's Gatys problem: random VGG19 weights, random `size`-px square
    content and style images, content weight 1, style 1e3, no total
    variation and no reflection border (the peer has none; our default 16 px
    border costs `(H + 32)(W + 32) / HW` the pixels, 1.27x at 256 px, and is
    in the `gatys_run` figure, which uses the defaults). Returns
    `(GatysStyleTransfer, content, style)`."""
    import numpy as np

    from keras_style.optimize import GatysStyleTransfer

    rng = np.random.default_rng(0)
    content = rng.uniform(0, 255, (size, size, 3)).astype("float32")
    style = rng.uniform(0, 255, (size, size, 3)).astype("float32")
    gatys = GatysStyleTransfer(
        content_weight=1.0,
        style_weight=1e3,
        tv_weight=0.0,
        vgg_weights=None,
        border=0,
        dtype=_GATYS_DTYPES[precision],
    )
    return gatys, content, style


_GATYS_DTYPES = {"fp32": "float32", "bf16": "bfloat16"}


def bench_gatys(args, warmup=3):
    """Gatys step time (as the peer: VGG19, random weights, random images) and
    the wall time of a full 512 px run through the public API (at `--size`
    when that is below 256, for smoke runs)."""
    import numpy as np

    from keras_style.optimize import stylize_optimize

    if args.precision not in _GATYS_DTYPES:
        raise SystemExit("gatys: --precision is fp32 or bf16")
    if args.vgg_weights or args.content or args.style:
        return bench_gatys_quality(args)
    size, n = args.size, args.iterations
    gatys, content, style = peer_gatys_problem(size, args.precision)
    stamps = []
    result = gatys.run(
        content,
        style,
        size=size,
        iterations=warmup + n,
        optimizer=args.optimizer,
        verbose=0,
        callback=lambda *_: stamps.append(time.perf_counter()),
    )
    # Steady state, as the peer's timeit: iterations after the warm-up ones
    # (the first includes tracing/compilation).
    s = (stamps[-1] - stamps[warmup - 1]) / n
    evals = (result.evaluations[-1] - result.evaluations[warmup - 1]) / n
    mode = f"{args.optimizer}_{args.precision}"
    report(
        task="gatys_step",
        mode=mode,
        size=size,
        s_per_it=s,
        it_per_s=1 / s,
        s_for_500_it=500 * s,
        evals_per_it=evals,
    )

    # The user-facing figure is a 512 px run; tiny smoke runs stay tiny.
    run_size = 512 if size >= 256 else size
    rng = np.random.default_rng(1)
    content = rng.uniform(0, 255, (run_size, run_size, 3)).astype("float32")
    style = rng.uniform(0, 255, (run_size, run_size, 3)).astype("float32")
    start = time.perf_counter()
    stylize_optimize(
        content,
        style,
        size=run_size,
        iterations=n,
        optimizer=args.optimizer,
        vgg_weights=None,
        verbose=0,
        dtype=_GATYS_DTYPES[args.precision],
    )
    report(
        task="gatys_run",
        mode=mode,
        size=run_size,
        iterations=n,
        seconds=time.perf_counter() - start,
    )


def bench_gatys_quality(args):
    """A real run, as the peer's `--vgg-weights --content --style`: the same
    objective (content 1 at relu4_2, style 1e3 over relu1_1..relu5_1, Gram /
    (C*H*W), no total variation, no border, Keras "caffe" preprocessing),
    both images resized to a longest side of `--size`, started from the
    photo. Reports `gatys_run` with the loss after `--iterations` and `trace`,
    `[seconds, loss]` after each iteration, for `compare.py gatys-quality`.

    Seconds count from the call to `run` after one untimed 1-iteration run at
    the same size, so that the one-off graph compilation (`compile_s`) is not
    charged to the optimizer, as the peer's eager PyTorch has none."""
    from keras_style.image import load_image, save_image
    from keras_style.optimize import GatysStyleTransfer

    if not (args.vgg_weights and args.content and args.style):
        raise SystemExit("gatys: a real run needs --vgg-weights, --content and --style")
    content = load_image(args.content, max_size=args.size)
    style = load_image(args.style, max_size=args.size)
    gatys = GatysStyleTransfer(
        content_weight=1.0,
        style_weight=1e3,
        tv_weight=0.0,
        vgg_weights=args.vgg_weights,
        border=0,
        dtype=_GATYS_DTYPES[args.precision],
    )
    options = dict(size=args.size, optimizer=args.optimizer, verbose=0)
    start = time.perf_counter()
    gatys.run(content, style, iterations=1, **options)
    compile_s = time.perf_counter() - start

    trace = []
    start = time.perf_counter()

    def record(iteration, image, losses):
        trace.append([time.perf_counter() - start, losses["total"]])

    result = gatys.run(
        content, style, iterations=args.iterations, callback=record, **options
    )
    seconds = time.perf_counter() - start
    # The minimizer reports the loss at each new iterate: the last one is the
    # loss at the result, the value the peer reports.
    final = trace[-1][1]
    if args.save:
        save_image(result.image, args.save)
    report(
        task="gatys_run",
        mode=f"{args.optimizer}_{args.precision}",
        size=args.size,
        iterations=args.iterations,
        s_per_it=seconds / args.iterations,
        seconds=seconds,
        compile_s=compile_s,
        loss=final,
        height=int(result.image.shape[0]),
        width=int(result.image.shape[1]),
        trace=trace,
    )


# === train / infer ==========================================================


def _timeit_cpu(fn, iterations, warmup=3):
    """(wall, process CPU / cores) seconds per call; CPU time is robust to
    other processes sharing the cores."""
    for _ in range(warmup):
        fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        fn()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return (
        (time.perf_counter() - wall) / iterations,
        (time.process_time() - cpu) / iterations / cores,
    )


def _set_precision(precision):
    if precision == "bf16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    # "compile" asks for jit_compile=True (XLA on TF, torch.compile on torch).
    return True if precision == "compile" else "auto"


def bench_train(args):
    """One `fit` step of `TransformNet` with VGG16 perceptual losses.

    Random VGG weights and random inputs, as the peer. Timed with
    `train_on_batch`, i.e. exactly the compiled train function `fit` runs.
    """
    import numpy as np

    from keras_style.models.transform_net import TransformNet

    jit_compile = _set_precision(args.precision)
    rng = np.random.default_rng(0)
    model = TransformNet()
    model.compile(
        style_image=rng.uniform(0, 255, (args.size, args.size, 3)),
        # The peer's step uses VGG16 (Johnson et al.), the library default is
        # VGG19: compare like with like.
        loss_network="vgg16",
        vgg_weights=None,
        jit_compile=jit_compile,
    )
    x = rng.uniform(0, 255, (args.batch, args.size, args.size, 3)).astype("float32")
    s, cpu = _timeit_cpu(lambda: model.train_on_batch(x), args.iterations)
    report(
        task="johnson_train_step",
        cpu_s_per_it=cpu,
        mode=args.precision,
        batch=args.batch,
        size=args.size,
        s_per_it=s,
        it_per_s=1 / s,
        minutes_for_40k=40000 * s / 60,
        jit_compile=bool(model.jit_compile),
    )


def _inference_fn(model, path, x):
    """The inference call a user (and `Stylizer`) would make."""
    import numpy as np

    if path == "predict":  # compiled predict function: tf.function / jax.jit
        return lambda: model.predict_on_batch(x)
    if path == "call":  # plain eager call
        return lambda: keras.ops.convert_to_numpy(model(x, training=False))
    # "jit": the backend's own compiler around a stateless call.
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def fn(trainable, frozen, x):
            return model.stateless_call(trainable, frozen, x, training=False)[0]

        return lambda: np.asarray(fn(trainable, frozen, x))
    if backend == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False), jit_compile=True)
        return lambda: fn(x).numpy()
    import torch

    compiled = torch.compile(lambda x: model(x, training=False))

    def run():
        with torch.no_grad():
            return compiled(x).cpu().numpy()

    return run


def bench_infer(args):
    """One forward pass of `TransformNet` on an `h`x`w` image (random weights).

    `KERAS_STYLE_INFER_PATH` picks how the model is called: `predict`
    (`predict_on_batch`, the compiled predict function), `call` (eager
    `model(x)`), `jit` (`jax.jit` of `stateless_call`,
    `tf.function(jit_compile=True)`, `torch.compile`) or `auto` (default):
    exactly what `Stylizer` runs (`keras_style.inference.network_call.run_network`), so the
    figure is what users get. `--precision bf16` builds the network under
    `mixed_bfloat16`, as `Stylizer(dtype="bfloat16")` does.
    """
    import numpy as np

    from keras_style.models.transform_net import TransformNet

    path = os.environ.get("KERAS_STYLE_INFER_PATH", "auto")
    if path not in ("auto", "predict", "call", "jit"):
        raise ValueError(
            "KERAS_STYLE_INFER_PATH must be auto, predict, call or jit. "
            f"Received: {path!r}"
        )
    jit_compile = _set_precision(args.precision)
    if path == "auto" and args.runtime == "keras":
        path = "stylizer"
    if args.style:
        from keras_style import zoo

        model = zoo.load(args.style).model
    else:
        model = TransformNet()
        model.build()
    if path == "predict":
        model.compile(jit_compile=jit_compile)
    if path == "stylizer":
        jit_compile = "auto"
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (1, args.height, args.width, 3)).astype("float32")
    fields = {}
    if path == "stylizer":  # exactly what `Stylizer` runs per image
        from keras_style.inference.network_call import run_network

        fn = functools.partial(run_network, model, x)
    elif args.runtime == "keras":
        fn = _inference_fn(model, path, x)
    else:  # the exported file a Stylizer(runtime=...) would run
        from keras_style.export import load_exported
        from keras_style.export.runtime_cache import cached_export

        exported = cached_export(model, args.runtime)
        fn = functools.partial(load_exported(exported), x)
        path = args.runtime
        fields["file_mb"] = os.path.getsize(exported) / 2**20
    s, cpu = _timeit_cpu(fn, args.iterations)
    report(
        task="johnson_infer",
        cpu_s_per_img=cpu,
        mode=args.precision,
        h=args.height,
        w=args.width,
        s_per_img=s,
        img_per_s=1 / s,
        path=path,
        runtime=args.runtime,
        jit_compile=jit_compile if path == "predict" else path == "jit",
        **fields,
    )


def _device_peak_mb():
    """Peak accelerator memory in MB where the backend reports it, else None."""
    backend = keras.backend.backend()
    try:
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.max_memory_allocated() / 2**20
        elif backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                return device.memory_stats()["peak_bytes_in_use"] / 2**20
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_logical_devices("GPU"):
                return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    except Exception:  # memory statistics are best effort
        return None
    return None


def bench_tiled(args):
    """Tiled stylization of a large image through `Stylizer.stylize`.

    A `--height` x `--width` image (4096x4096 is the reference figure) is cut
    into overlapping tiles of `--tile-size` (default
    `keras_style.inference.stylizer.DEFAULT_TILE_SIZE`), `--batch` tiles per forward
    pass, and blended back. `--style` is a zoo name or preset directory, else
    a random-weight `TransformNet`. Reports the first (compiling) run and the
    median of up to 3 more, and the process's peak RSS (`ru_maxrss`) plus the
    accelerator's peak memory where available.
    """
    import resource
    import statistics

    import numpy as np

    from keras_style.inference import stylizer as stylizer_lib
    from keras_style.inference import tiling
    from keras_style.models.transform_net import TransformNet

    _set_precision(args.precision)
    if args.style:
        from keras_style import zoo

        stylizer = zoo.load(args.style)
    else:
        model = TransformNet()
        model.build()
        stylizer = stylizer_lib.Stylizer(model)
    tile = getattr(args, "tile_size", None) or stylizer_lib.DEFAULT_TILE_SIZE
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def run():
        start = time.perf_counter()
        out = stylizer.stylize(image, tile_size=tile, batch_size=args.batch)
        assert out.size == (args.width, args.height)
        return time.perf_counter() - start

    first = run()
    times = [run() for _ in range(max(1, min(args.iterations, 3)))]
    overlap = tile // 4
    tiles = len(tiling.tile_starts(args.height, tile, overlap)) * len(
        tiling.tile_starts(args.width, tile, overlap)
    )
    report(
        task="tiled_stylize",
        mode=args.precision,
        h=args.height,
        w=args.width,
        tile_size=tile,
        tile_overlap=overlap,
        tiles=tiles,
        batch=args.batch,
        seconds=statistics.median(times),
        seconds_first=first,
        megapixels_per_s=args.height * args.width / 1e6 / statistics.median(times),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        rss_before_mb=rss_before,
        device_peak_mb=_device_peak_mb(),
    )


# === video ==================================================================


def _video_clip(path, frames, height, width, rate=30):
    """A synthetic pan over a smooth random texture, written as H.264."""
    import fractions

    import numpy as np
    from PIL import Image

    from keras_style.video import VideoWriter

    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (height // 8 + 8, width // 8 + 8 + frames, 3))
    texture = Image.fromarray(texture.astype(np.uint8)).resize(
        (8 * texture.shape[1], 8 * texture.shape[0]), Image.Resampling.BICUBIC
    )
    texture = np.asarray(texture)
    with VideoWriter(
        path,
        width=width,
        height=height,
        time_base=fractions.Fraction(1, rate),
        rate=rate,
    ) as writer:
        for t in range(frames):
            writer.write(
                np.ascontiguousarray(texture[:height, 4 * t : 4 * t + width]), t
            )
    return path


def bench_video(args):
    """End-to-end video stylization (decode + stylize + encode) in frames/s.

    Writes a `--frames`-frame synthetic `--height` x `--width` clip, then
    reports `Stylizer.stylize_video` frames/s with `consistency="none"` and
    `"flow"` (after one warm-up run that compiles the network) and the share
    of time in each stage, each timed on its own: decoding, the network
    (`--batch` frames per call), the flow stabilisation and encoding
    (H.264, crf 18).
    """
    import pathlib
    import tempfile

    import numpy as np

    from keras_style import video
    from keras_style.inference.stylizer import Stylizer
    from keras_style.models.transform_net import TransformNet

    _set_precision(args.precision)
    if args.style:
        from keras_style import zoo

        stylizer = zoo.load(args.style)
    else:
        model = TransformNet()
        model.build()
        stylizer = Stylizer(model)
    n, h, w = args.frames, args.height, args.width
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        clip = _video_clip(tmp / "clip.mp4", n, h, w)
        # Warm-up: compiles a full batch and the last, partial one.
        warm = args.batch + n % args.batch
        stylizer.stylize_video(
            clip, tmp / "warm.mp4", batch_size=args.batch, end=(warm + 0.5) / 30
        )
        end_to_end = {}
        for mode in ("none", "flow"):
            start = time.perf_counter()
            stylizer.stylize_video(
                clip, tmp / f"{mode}.mp4", consistency=mode, batch_size=args.batch
            )
            end_to_end[mode] = time.perf_counter() - start

        stages = {}
        start = time.perf_counter()
        with video.VideoReader(clip) as reader:
            frames = [item[0] for kind, item in reader if kind == "video"]
        stages["decode"] = time.perf_counter() - start
        start = time.perf_counter()
        styled = []
        for k in range(0, n, args.batch):
            styled += stylizer.stylize(
                frames[k : k + args.batch], batch_size=args.batch
            )
        styled = [np.asarray(img, np.float32) for img in styled]
        stages["stylize"] = time.perf_counter() - start
        stabilizer = video.FlowStabilizer()
        start = time.perf_counter()
        outputs = [stabilizer(f, s) for f, s in zip(frames, styled)]
        stages["flow"] = time.perf_counter() - start
        start = time.perf_counter()
        with video.VideoWriter(
            tmp / "encode.mp4", width=w, height=h, time_base=reader.time_base, rate=30
        ) as writer:
            for t, out in enumerate(outputs):
                writer.write(np.clip(np.rint(out), 0, 255).astype(np.uint8), t)
        stages["encode"] = time.perf_counter() - start
    total = sum(stages.values())
    for mode, seconds in end_to_end.items():
        report(
            task="video",
            consistency=mode,
            mode=args.precision,
            h=h,
            w=w,
            frames=n,
            batch=args.batch,
            fps=n / seconds,
            seconds=seconds,
            stage_share={
                k: round(v / (total if mode == "flow" else total - stages["flow"]), 3)
                for k, v in stages.items()
                if mode == "flow" or k != "flow"
            },
            stage_ms_per_frame={k: round(1e3 * v / n, 2) for k, v in stages.items()},
        )


def _bench_images(args):
    """The photo (`--content` resized to --height x --width, or noise) and
    the painting (`--style`, or noise) of the arbitrary-style figures."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    if args.content:
        photo = Image.open(args.content).convert("RGB")
        photo = np.asarray(photo.resize((args.width, args.height)), np.uint8)
    else:
        photo = rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    if args.style:
        painting = np.asarray(Image.open(args.style).convert("RGB"), np.uint8)
    else:
        painting = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    return photo, painting


def bench_arbitrary(args):
    """One photo in the style of one painting, the whole call: the painting's
    embedding is recomputed every time (the cache is cleared), as the peer's
    `stylize_with` does."""
    from keras_style import zoo

    photo, painting = _bench_images(args)
    stylizer = zoo.load("arbitrary", runtime=args.runtime)

    def run():
        stylizer._embeddings.clear()
        stylizer.stylize(photo, style_image=painting)

    report(
        task="arbitrary_infer",
        height=args.height,
        width=args.width,
        runtime=args.runtime,
        s_per_img=timeit(run, args.iterations),
    )


def bench_multistyle(args):
    """One photo with one of the 26 styles (style 7), the whole call, as the
    peer's `stylize(photo, style=7)`."""
    from keras_style import zoo

    photo, _ = _bench_images(args)
    stylizer = zoo.load("magenta26", runtime=args.runtime)
    stylizer.stylize(photo, style=7)  # an exported runtime exports once here
    report(
        task="multistyle_infer",
        height=args.height,
        width=args.width,
        runtime=args.runtime,
        s_per_img=timeit(lambda: stylizer.stylize(photo, style=7), args.iterations),
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "task",
        choices=[
            "train",
            "infer",
            "gatys",
            "tiled",
            "video",
            "arbitrary",
            "multistyle",
        ],
    )
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=256, help="train/gatys image side")
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--precision", choices=["fp32", "bf16", "compile"], default="fp32")
    p.add_argument("--optimizer", choices=["adam", "lbfgs"], default="adam")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument(
        "--style",
        default=None,
        help="infer/tiled: zoo name or preset dir; gatys: style image (real run); "
        "arbitrary: the painting",
    )
    p.add_argument("--tile-size", type=int, default=None, help="tiled: tile side")
    p.add_argument("--frames", type=int, default=30, help="video: clip length")
    p.add_argument(
        "--runtime",
        choices=["keras", "onnx", "litert"],
        default="keras",
        help="infer: run the network in Keras or as an exported file",
    )
    p.add_argument("--vgg-weights", help="gatys: VGG19 no-top weights (real run)")
    p.add_argument(
        "--content",
        help="gatys: content photo (longest side --size); arbitrary: the photo "
        "(resized to --height x --width)",
    )
    p.add_argument("--save", help="gatys: write the result image here")
    args = p.parse_args(argv)
    tasks = {
        "gatys": bench_gatys,
        "train": bench_train,
        "infer": bench_infer,
        "tiled": bench_tiled,
        "video": bench_video,
        "arbitrary": bench_arbitrary,
        "multistyle": bench_multistyle,
    }
    tasks[args.task](args)


if __name__ == "__main__":
    main()

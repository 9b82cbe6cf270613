"""`keras-style stylize`: apply a pretrained style to images, videos or folders.

`add_parser` registers the sub-command; `run` pairs each input with its
destination (a file, or a folder for several inputs or a folder input), loads
the style from the zoo, the Hub or a preset directory (run by Keras or, with
`--runtime`, by an exported file's own runtime), binds the paintings of
`--style-image` for the arbitrary-style network, and stylizes. The exit code
is 1 when images in a folder were skipped. `--ray` hands a folder or URI to
`stylize_on_ray`.
"""

import os
import sys

from keras_style.cli.arguments import (
    add_output_options,
    add_painting_options,
    check_output_file,
    check_painting_weights,
    positive_int,
    progress_verbosity,
)
from keras_style.cli.stylize_on_ray import (
    add_ray_options,
    check_without_ray,
    run_on_ray,
)
from keras_style.presets.names import ARBITRARY, split_style

# --precision: the Keras compute dtype (`Stylizer(dtype=...)`); None: the
# style's own.
PRECISIONS = {None: None, "fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


RUNTIMES = ("auto", "keras", "onnx", "litert")


def _stylize_outputs(inputs, output, overwrite=False):
    """Pairs each input with its destination: `[(src, dst, is_dir), ...]`.

    Everything about the destinations is checked here, before the style is
    loaded: a writable format, no input overwritten, a folder where needed.
    """
    import pathlib

    inputs = [pathlib.Path(p) for p in inputs]
    output = pathlib.Path(output)
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise FileNotFoundError(f"Input not found. Received: INPUT={missing[0]!r}")
    if len(inputs) == 1 and not inputs[0].is_dir() and not _is_folder(output):
        dst = check_output_file(
            output, inputs, overwrite=overwrite, video=_is_video(inputs[0])
        )
        return [(inputs[0], dst, False)]
    from keras_style.image import IMAGE_EXTENSIONS

    if (output.exists() and not output.is_dir()) or (
        not output.exists() and output.suffix.lower() in IMAGE_EXTENSIONS
    ):
        raise ValueError(
            "With several inputs or a folder, -o must be a folder. "
            f"Received: -o={str(output)!r}"
        )
    if len(inputs) == 1 and inputs[0].is_dir():
        return [(inputs[0], output, True)]
    names = [p.name for p in inputs]
    if len(set(names)) != len(names):
        raise ValueError(
            f"Inputs would overwrite each other in {output}: duplicate names. "
            f"Received: INPUT={[str(p) for p in inputs]}"
        )
    pairs = [(p, output / p.name, p.is_dir()) for p in inputs]
    for src, dst, is_dir in pairs:
        if not is_dir:
            check_output_file(dst, inputs, overwrite=overwrite, video=_is_video(src))
    return pairs


def _is_folder(output):
    return output.is_dir() or str(output).endswith(("/", "\\"))


def _is_video(path):
    """Whether `path` is a video, by probing its content (the `video` extra)."""
    from keras_style.video import is_video

    try:
        return is_video(path)
    except ImportError:
        # Without PyAV only the name can tell; a video name gets the hint.
        if path.suffix.lower() in (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"):
            raise
        return False


def _style_choice(args):
    """The preset to load: `--style`, or the arbitrary network for a painting."""
    if args.style is None:
        if not args.style_image:
            raise ValueError(
                "Pass a zoo style with --style (see `keras-style zoo list`) or "
                "a painting with --style-image. Received: neither"
            )
        return ARBITRARY
    if args.style_weights and not args.style_image:
        raise ValueError(
            "--style-weights blends the paintings of --style-image. "
            f"Received: --style-weights {args.style_weights} without --style-image"
        )
    return split_style(args.style)[0]


def _with_style(stylizer, args):
    """`stylizer` bound to the chosen styles (`magenta26:7`) or paintings."""
    preset, styles = split_style(args.style or ARBITRARY)
    # By the networks it drives: importing the families would import Keras.
    multi = "MultiStyleNet" in stylizer.network_classes
    if styles is not None and not multi:
        raise ValueError(
            f"{preset!r} has one style; ':{styles}' picks styles of a multi-style "
            f"network such as magenta26. Received: --style {args.style}"
        )
    if multi:
        if styles is None:
            raise ValueError(
                f"{preset!r} holds {stylizer.num_styles} styles: pick one with "
                f"--style {preset}:INDEX or blend with --style "
                f"{preset}:3=0.5,12=0.5. Received: --style {args.style}"
            )
        return stylizer.with_style(styles)
    return _with_painting(stylizer, args)


def _with_painting(stylizer, args):
    """`stylizer` bound to the paintings of `--style-image`, checked."""
    arbitrary = "ArbitraryStyleNet" in stylizer.network_classes
    if args.style_image and not arbitrary:
        raise ValueError(
            f"--style-image needs an arbitrary-style network; {args.style!r} is a "
            "fixed style. Drop --style (or pass --style arbitrary). "
            f"Received: --style {args.style} --style-image {args.style_image[0]}"
        )
    if arbitrary and not args.style_image:
        raise ValueError(
            f"{args.style!r} stylizes with any painting: pass --style-image "
            "PAINTING. Received: no --style-image"
        )
    if not arbitrary:
        return stylizer
    check_painting_weights(args)
    return stylizer.with_style(
        list(args.style_image), args.style_weights, args.style_size
    )


def run(args):
    from keras_style import zoo
    from keras_style.image import save_image

    if args.runtime not in RUNTIMES:  # from KERAS_STYLE_RUNTIME
        raise ValueError(
            f"KERAS_STYLE_RUNTIME must be one of {list(RUNTIMES)}. "
            f"Received: KERAS_STYLE_RUNTIME={args.runtime!r}"
        )
    if args.ray is not None:
        return run_on_ray(args, dtype=PRECISIONS[args.precision])
    check_without_ray(args)
    style = _style_choice(args)
    pairs = _stylize_outputs(args.inputs, args.output, args.overwrite)
    from keras_style.cli.backend import quiet_backend
    from keras_style.convert.resolve import fetch
    from keras_style.inference.options import check_options
    from keras_style.inference.stylizer import Stylizer

    if args.runtime not in ("keras", "auto"):
        from keras_style.export.runtime_cache import check_runtime

        check_runtime(args.runtime)  # a missing extra fails before any download
    # Bad options fail before any download or export.
    check_options(
        strength=args.strength,
        max_size=args.max_size,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        batch_size=args.batch_size,
    )
    preset_dir, name = fetch(style, revision=args.revision, cache_dir=args.cache_dir)
    dtype = PRECISIONS[args.precision]
    if not Stylizer.cached_runtime(
        preset_dir, args.runtime, dtype=dtype, cache_dir=args.cache_dir
    ):
        # The network needs Keras, to run or to export.
        runtime = Stylizer.runtime_for(preset_dir, args.runtime, dtype=dtype)
        quiet_backend(args, exports=runtime != "keras")
    stylizer = zoo.load(
        preset_dir, cache_dir=args.cache_dir, dtype=dtype, runtime=args.runtime
    )
    stylizer.name = name or stylizer.name
    stylizer = _with_style(stylizer, args)
    if args.verbose:
        print(f"runtime: {stylizer.runtime}", file=sys.stderr)
    options = dict(
        strength=args.strength,
        preserve_colors=args.preserve_colors,
        max_size=args.max_size,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        batch_size=args.batch_size,
    )
    verbose = progress_verbosity(args)
    skipped = 0
    for src, dst, is_dir in pairs:
        if is_dir:
            video_options = dict(
                consistency=args.consistency, start=args.start, end=args.end
            )
            result = stylizer.stylize_folder(
                src, dst, verbose=verbose, video_options=video_options, **options
            )
            skipped += len(result.skipped)
            if args.quiet:
                # Skipped files are errors: listed even when quiet.
                for path, reason in result.skipped.items():
                    print(f"skipped {path}: {reason}", file=sys.stderr)
            else:
                written = len(result.written)
                print(
                    f"{src} -> {dst}: {written} written, {len(result.skipped)} skipped"
                )
        elif _is_video(src):
            stylizer.stylize_video(
                src,
                dst,
                consistency=args.consistency,
                start=args.start,
                end=args.end,
                verbose=verbose,
                **options,
            )
            if not args.quiet:
                print(f"{src} -> {dst}")
        elif len(pairs) == 1:
            save_image(stylizer.stylize(src, **options), dst, name="-o")
            if not args.quiet:
                print(f"{src} -> {dst}")
        else:
            # Several files: a bad one is skipped and reported, as in a folder.
            try:
                save_image(stylizer.stylize(src, **options), dst, name="-o")
            except (ValueError, OSError) as e:
                skipped += 1
                print(f"skipped {src}: {e}", file=sys.stderr)
                continue
            if not args.quiet:
                print(f"{src} -> {dst}")
    return 1 if skipped else 0


def add_parser(subparsers):
    p = subparsers.add_parser(
        "stylize",
        help="apply a pretrained style to images, videos or folders",
        description="Stylize images with a zoo style, a Hub preset or a preset folder.",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="image or video file(s), or folder"
    )
    p.add_argument(
        "-s",
        "--style",
        help="zoo name (see `keras-style zoo list`), hf://owner/repo[@rev] or a "
        "preset dir; NAME:INDEX or NAME:3=0.5,12=0.5 picks or blends the styles "
        "of a multi-style network (magenta26:7); leave out with --style-image",
    )
    add_painting_options(p, "any painting, for the arbitrary-style network")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file, or folder for several inputs",
    )
    p.add_argument(
        "--strength",
        type=float,
        default=1.0,
        help="0..1 (default 1); with --style-image, how far the embedding "
        "moves from the photo's own style to the painting's",
    )
    p.add_argument("--preserve-colors", action="store_true", help="keep photo colours")
    p.add_argument("--max-size", type=positive_int, help="stylize at most this size")
    p.add_argument(
        "--tile-size", type=positive_int, help="tile images larger than this"
    )
    p.add_argument("--tile-overlap", type=int, help="tile overlap in pixels")
    p.add_argument("--batch-size", type=positive_int, default=4)
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="allow -o to replace an input file (refused otherwise)",
    )
    p.add_argument(
        "--consistency",
        choices=("flow", "none"),
        default="flow",
        help="videos: remove flicker with optical flow (default) or not",
    )
    p.add_argument("--start", type=float, help="videos: start time in seconds")
    p.add_argument("--end", type=float, help="videos: end time in seconds")
    p.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default=os.environ.get("KERAS_STYLE_RUNTIME", "auto"),
        help="what runs the network: auto (default, or $KERAS_STYLE_RUNTIME: "
        "onnx when the export extra is installed and the style is a single "
        "network, else keras; --verbose says which), keras, or the style "
        "exported once (cached) "
        "and run by onnxruntime (onnx) or the LiteRT interpreter (litert); "
        'these need pip install "keras-style[export]"',
    )
    p.add_argument(
        "--precision",
        choices=[k for k in PRECISIONS if k],
        help="compute precision of the keras runtime (default: the style's, "
        "fp32); bf16 is faster on CPUs with AVX512-BF16 or AMX and on GPUs",
    )
    add_ray_options(p)
    p.add_argument("--revision", help="Hub revision for hf:// styles")
    p.add_argument("--cache-dir", help="cache root (default $KERAS_STYLE_CACHE)")
    add_output_options(p)
    # Keras is imported by `run` only when the network needs it.
    p.set_defaults(func=run, needs_backend=False)

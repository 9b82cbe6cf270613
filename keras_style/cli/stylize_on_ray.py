"""`keras-style stylize INPUT --ray [ADDRESS]`: one folder or URI stylized
on a Ray cluster by `keras_style.distributed.stylize_dataset`."""

import sys

from keras_style.cli.arguments import (
    check_painting_weights,
    non_negative_float,
    positive_int,
)


def add_ray_options(parser):
    parser.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="stylize one folder or URI (s3://, gs://, file://) on Ray: a local "
        "cluster (no ADDRESS, or 'local') or the one at ADDRESS ('auto', "
        "'ray://host:10001'); a rerun skips what is written; needs "
        'pip install "keras-style[ray]"',
    )
    parser.add_argument(
        "--ray-actors",
        type=positive_int,
        help="with --ray: stylizers at once (default: as many as the "
        "cluster's GPUs hold with --ray-gpus, else one per 2 CPUs)",
    )
    parser.add_argument(
        "--ray-gpus",
        type=non_negative_float,
        help="with --ray: GPUs per stylizer (0.5 shares a GPU between two)",
    )


def check_without_ray(args):
    """Refuses the Ray options on a run without `--ray`, which would ignore them."""
    for flag, value in (
        ("--ray-actors", args.ray_actors),
        ("--ray-gpus", args.ray_gpus),
    ):
        if value is not None:
            raise ValueError(
                f"{flag} sets up a --ray run; add --ray. Received: {flag} {value}"
            )


def run_on_ray(args, *, dtype):
    """Stylizes `args.inputs[0]` into `args.output`; prints the summary."""
    from keras_style.distributed import require_ray, stylize_dataset

    require_ray()  # a missing extra is one line, before anything loads
    if len(args.inputs) != 1:
        raise ValueError(
            "--ray stylizes one folder or URI. "
            f"Received: INPUT={[str(p) for p in args.inputs]}"
        )
    if args.overwrite:
        raise ValueError(
            "--ray never writes into its input folder; --overwrite does not "
            "apply. Received: --overwrite"
        )
    check_painting_weights(args)
    video_options = dict(consistency=args.consistency, start=args.start, end=args.end)
    result = stylize_dataset(
        args.inputs[0],
        args.output,
        args.style,
        style_image=args.style_image or None,
        style_weights=args.style_weights,
        style_size=args.style_size,
        strength=args.strength,
        preserve_colors=args.preserve_colors,
        max_size=args.max_size,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        video_options=video_options,
        runtime=args.runtime,
        dtype=dtype,
        cache_dir=args.cache_dir,
        revision=args.revision,
        num_actors=args.ray_actors,
        batch_size=args.batch_size,
        num_gpus=args.ray_gpus or 0,
        address=args.ray,
        verbose=0 if args.quiet else 1,
    )
    if args.quiet:
        for name, reason in result.failed.items():
            print(f"failed {name}: {reason}", file=sys.stderr)
    else:
        print(
            f"{args.inputs[0]} -> {args.output}: {len(result.written)} written, "
            f"{len(result.skipped)} skipped (written before with the same "
            f"settings), {len(result.failed)} failed"
        )
    return 1 if result.failed else 0

"""`keras-style sheet`: every zoo style on one photo, to choose a style.

`add_parser` registers the sub-command; `run` calls `keras_style.zoo.sheet`
and lists the styles it left out (not downloaded, or needing a painting).
"""

from keras_style.cli.arguments import add_output_options, positive_int


def run(args):
    import pathlib

    from keras_style import zoo
    from keras_style.image import check_output_path

    if pathlib.Path(args.output).exists() and not args.overwrite:
        raise FileExistsError(
            "The output already exists; pass --overwrite to replace it. "
            f"Received: -o {args.output}"
        )
    check_output_path(args.output, name="-o")
    _, skipped = zoo.sheet(
        args.photo,
        args.output,
        style_image=args.style_image,
        size=args.size,
        columns=args.columns,
        stylize_size=args.stylize_size,
        download=args.download,
        cache_dir=args.cache_dir,
        verbose=0 if args.quiet else 1,
    )
    if not args.quiet:
        for name, reason in skipped.items():
            print(f"left out {name}: {reason}")
        print(f"{args.photo} -> {args.output}")
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser(
        "sheet",
        help="render every zoo style on one photo, labelled, to choose a style",
        description=(
            "Render every zoo style of every family on one photo as a labelled "
            "contact sheet; each label is what --style takes."
        ),
    )
    p.add_argument("photo", help="the photo")
    p.add_argument("-o", "--output", required=True, help="the sheet (.jpg, .png)")
    p.add_argument(
        "--style-image", help="a painting, to include the arbitrary-style network"
    )
    p.add_argument("--size", type=positive_int, default=192, help="panel side (192)")
    p.add_argument("--columns", type=positive_int, default=6, help="panels per row")
    p.add_argument(
        "--stylize-size",
        type=positive_int,
        default=512,
        help="longest side the photo is stylized at (512), then shrunk to --size",
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="also download the styles not in the package or the cache",
    )
    p.add_argument("--overwrite", action="store_true", help="replace -o")
    p.add_argument("--cache-dir", help="cache root (default $KERAS_STYLE_CACHE)")
    add_output_options(p)
    p.set_defaults(func=run)

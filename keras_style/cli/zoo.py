"""`keras-style zoo list` and `keras-style zoo download`: the pretrained styles.

`add_parser` registers the `zoo` sub-command and its two sub-sub-commands;
`run_list` prints the styles, where each will be loaded from (the styles of
a multi-style network one a line, as `--style` takes them), and their
licences; `run_download` fetches one style into the cache and prints its path
(with `--runtime`, also its exported network, so that the first
`keras-style stylize` runs without Keras).
Both print their result even with `--quiet` (it is what was asked for).
"""

from keras_style.cli.arguments import add_output_options

# What `keras_style.zoo.source` answers, as told to a user.
_SOURCES = {
    "embedded": "embedded in the package",
    "cache": "cached",
    "hub": "Hub {handle}, downloaded on first use",
    "upstream": "upstream files, downloaded and converted on first use",
}


def run_list(args):
    from keras_style import zoo

    entries = [zoo.get_style(name) for name in zoo.available()]
    for e in entries:
        handle = f"hf://{e.repo_id}@{e.revision[:12]}" if e.published else None
        where = _SOURCES[zoo.source(e.name, cache_dir=args.cache_dir)]
        print(
            f"{e.name:<14} {e.title} ({e.artist}, {e.year})  "
            f"[{where.format(handle=handle)}]"
        )
        if e.styles > 1:  # one line per style: the names to pass to --style
            for i in range(e.styles):
                print(f"  {e.name}:{i}")
        elif e.styles == 0:
            print(f"  --style-image PAINTING (any painting; --style {e.name} implied)")
    if not args.quiet:
        for licence in sorted({e.licence for e in entries}):
            print(f"Licence: {licence}")
    return 0


def run_download(args):
    from keras_style import zoo

    path = zoo.download(
        args.style,
        revision=args.revision,
        cache_dir=args.cache_dir,
        force_download=args.force,
    )
    print(path)
    if args.runtime is not None:
        from keras_style.export.runtime_cache import check_runtime
        from keras_style.inference.stylizer import Stylizer
        from keras_style.presets.preset_utils import preset_class_name

        check_runtime(args.runtime)
        if preset_class_name(path) not in Stylizer.network_classes:
            raise ValueError(
                f"{args.style!r} takes a style vector: it is exported per style "
                "when used (or with keras-style export). Received: "
                f"--runtime {args.runtime}"
            )
        zoo.load(path, cache_dir=args.cache_dir, runtime=args.runtime)
        print(f"{args.runtime}: ready")
    return 0


def add_parser(subparsers):
    z = subparsers.add_parser("zoo", help="list or download pretrained styles")
    zsub = z.add_subparsers(dest="zoo_command", metavar="ZOO_COMMAND", required=True)
    ls = zsub.add_parser(
        "list", help="list the available styles and where each comes from"
    )
    ls.add_argument("--cache-dir", help="cache root (default $KERAS_STYLE_CACHE)")
    add_output_options(ls)
    # Reads the registry and the caches only: no framework to import.
    ls.set_defaults(func=run_list, needs_backend=False)
    d = zsub.add_parser("download", help="fetch a style into the cache")
    d.add_argument("style", metavar="NAME", help="zoo name or hf://owner/repo[@rev]")
    d.add_argument("--revision")
    d.add_argument("--cache-dir")
    d.add_argument("--force", action="store_true", help="download even if cached")
    d.add_argument(
        "--runtime",
        choices=("onnx", "litert"),
        help="also export the network for this runtime now (once, cached), so "
        "that stylizing starts without Keras",
    )
    add_output_options(d)
    d.set_defaults(func=run_download)

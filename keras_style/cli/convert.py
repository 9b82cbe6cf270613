"""`keras-style convert`: turn third-party weights into a keras-style preset.

`add_parser` registers the `convert` sub-command with one sub-command per
source format: `lengstrom` (lengstrom/fast-style-transfer ml5 folders and
TensorFlow checkpoints, `keras_style.convert.lengstrom.convert_lengstrom_to_preset`)
and `magenta-arbitrary` (Magenta's two arbitrary-style ONNX files,
`keras_style.convert.magenta.convert_magenta_arbitrary_to_preset`).
"""

from keras_style.cli.arguments import add_output_options


def _run(args, format, convert_to_preset):
    import pathlib

    if pathlib.Path(args.output).exists() and not args.overwrite:
        raise ValueError(
            "The preset directory already exists; pass --overwrite to replace it. "
            f"Received: output={args.output!r}"
        )
    metadata = {"name": args.name} if args.name else {}
    metadata["source"] = {"format": format, "path": str(args.source)}
    path = convert_to_preset(
        args.source, args.output, metadata=metadata, overwrite=args.overwrite
    )
    print(path)
    return 0


def run_lengstrom(args):
    from keras_style.convert.lengstrom import convert_lengstrom_to_preset

    return _run(args, "lengstrom", convert_lengstrom_to_preset)


def run_magenta_arbitrary(args):
    from keras_style.convert.magenta import convert_magenta_arbitrary_to_preset

    return _run(args, "magenta-arbitrary", convert_magenta_arbitrary_to_preset)


def add_parser(subparsers):
    c = subparsers.add_parser("convert", help="convert third-party weights to a preset")
    csub = c.add_subparsers(dest="format", metavar="FORMAT", required=True)
    lg = csub.add_parser(
        "lengstrom",
        help="lengstrom/fast-style-transfer (ml5 folder or TF checkpoint)",
    )
    lg.add_argument("source", metavar="SRC", help="ml5 folder or TensorFlow checkpoint")
    lg.add_argument("-o", "--output", required=True, metavar="PRESET_DIR")
    lg.add_argument("--name", help="style name stored in metadata.json")
    lg.add_argument("--overwrite", action="store_true")
    add_output_options(lg)
    lg.set_defaults(func=run_lengstrom)
    mg = csub.add_parser(
        "magenta-arbitrary",
        help="Magenta's arbitrary-style networks (arbitrary_predict.onnx and "
        "arbitrary_transform.onnx in one folder)",
    )
    mg.add_argument("source", metavar="DIR", help="folder with the two ONNX files")
    mg.add_argument("-o", "--output", required=True, metavar="PRESET_DIR")
    mg.add_argument("--name", help="name stored in metadata.json")
    mg.add_argument("--overwrite", action="store_true")
    add_output_options(mg)
    mg.set_defaults(func=run_magenta_arbitrary)

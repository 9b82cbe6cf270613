"""`keras-style export`: a style network to a SavedModel, ONNX or LiteRT file.

`add_parser` registers the sub-command; `run` fetches the style (zoo name,
Hub handle or preset folder), loads its network (for the arbitrary-style
network, with the `--style-image` paintings baked in; for a multi-style
network, every style or the chosen ones built in) and calls
`keras_style.export.export_network`, which writes the file and its JSON
sidecar (`OUT.json`) and refuses to replace an existing output unless
`--overwrite`.
"""

import argparse

from keras_style.cli.arguments import (
    add_output_options,
    add_painting_options,
    check_painting_weights,
)

_FORMATS = ("saved_model", "onnx", "litert")
_PRECISIONS = ("float32", "float16", "int8")


def _input_size(text):
    """argparse type: 'HxW' -> (H, W)."""
    parts = text.lower().split("x")
    try:
        height, width = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HEIGHTxWIDTH, e.g. 512x512, got {text!r}"
        ) from None
    return height, width


def _baked(stylizer, args):
    """The arbitrary-style network with the --style-image paintings built in."""
    if not args.style_image:
        raise ValueError(
            f"{args.style!r} stylizes with any painting: pass --style-image "
            "PAINTING to bake one into the exported network. "
            "Received: no --style-image"
        )
    check_painting_weights(args)
    return stylizer.bake(list(args.style_image), args.style_weights, args.style_size)


def _network(preset_dir, args, styles):
    """The network to export: a photo-to-photo preset as it is; a
    multi-style one with every style (a second input) or the `STYLE:i`
    styles built in; the arbitrary one with its paintings built in."""
    from keras_style import zoo

    stylizer = zoo.load(preset_dir)  # of the preset network's family
    families = stylizer.network_classes
    if styles is not None and "MultiStyleNet" not in families:
        raise ValueError(
            f"':{styles}' picks styles of a multi-style network such as "
            f"magenta26; this preset has one style. Received: STYLE={args.style}"
        )
    if "ArbitraryStyleNet" in families:
        return _baked(stylizer, args)
    if args.style_image:
        raise ValueError(
            f"--style-image bakes a painting into an arbitrary-style network; "
            f"{args.style!r} is a fixed style. Received: --style-image "
            f"{args.style_image[0]}"
        )
    if "MultiStyleNet" in families and styles is not None:
        return stylizer.bake(styles)
    return stylizer.model


def run(args):
    import json
    import pathlib

    from keras_style import zoo
    from keras_style.export import export_network, sidecar_path
    from keras_style.presets.names import split_style
    from keras_style.presets.preset_utils import METADATA_FILE

    preset, styles = split_style(args.style)
    preset_dir = zoo.download(preset, revision=args.revision, cache_dir=args.cache_dir)
    meta_path = pathlib.Path(preset_dir) / METADATA_FILE
    metadata = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    net = _network(preset_dir, args, styles)
    path = export_network(
        net,
        args.output,
        args.format,
        precision=args.precision,
        input_size=args.input_size,
        metadata=metadata if isinstance(metadata, dict) else {},
        source=args.style,
        overwrite=args.overwrite,
    )
    if not args.quiet:
        if path.is_dir():
            size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        else:
            size = path.stat().st_size
        print(
            f"{args.style} -> {path} ({size / 1e6:.1f} MB, {args.precision}); "
            f"metadata in {sidecar_path(path)}"
        )
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser(
        "export",
        help="export a style network to SavedModel, ONNX or LiteRT",
        description=(
            "Export a style network for inference without Keras. The file "
            "takes RGB float32 images in 0..255, NHWC, and returns the "
            "stylized images with the same shape (a multi-style network "
            "exported whole also takes style_weights, a weight per style "
            "for each image). A JSON sidecar OUT.json "
            "describes it (style, licence, contract). Needs "
            'pip install "keras-style[export]" for ONNX and to run the files.'
        ),
    )
    p.add_argument(
        "style",
        metavar="STYLE",
        help="zoo name (see `keras-style zoo list`), hf://owner/repo[@rev] or a "
        "preset dir; a multi-style network exports every style (a second "
        "input, style_weights) or, as magenta26:7 or magenta26:3=0.5,12=0.5, "
        "those built in",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="a .onnx or .tflite file, or a SavedModel directory",
    )
    p.add_argument(
        "--format",
        choices=_FORMATS,
        help="default: from the suffix of -o (.onnx, .tflite, else saved_model)",
    )
    p.add_argument(
        "--precision",
        choices=_PRECISIONS,
        default="float32",
        help="weights' precision; float16 and int8 for onnx and litert "
        "(default float32)",
    )
    p.add_argument(
        "--input-size",
        type=_input_size,
        metavar="HxW",
        help="fix the input size (default: any height and width)",
    )
    add_painting_options(p, "arbitrary-style networks: the painting baked in")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing output"
    )
    p.add_argument("--revision", help="Hub revision for hf:// styles")
    p.add_argument("--cache-dir", help="cache root (default $KERAS_STYLE_CACHE)")
    add_output_options(p)
    p.set_defaults(func=run)

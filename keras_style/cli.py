"""The `keras-style` command line.

Each sub-command is declared by an `_add_<name>_parser(subparsers)` function
that registers its arguments and sets `func` to the handler that runs it.
Heavy imports (Keras, the models) happen inside the handlers so `--help`
stays fast.
"""

import argparse
import sys

from keras_style.version import __version__

# === optimize (Gatys) =======================================================


def _comma_list(kind, what):
    """argparse type: 'a,b,c' -> [kind(a), kind(b), kind(c)]."""

    def parse(text):
        try:
            values = [kind(x.strip()) for x in text.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {what}, got {text!r}"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected at least one {what[:-1]}")
        return values

    return parse


def _add_optimize_parser(subparsers):
    p = subparsers.add_parser(
        "optimize",
        help="Gatys et al. style transfer by optimizing the image (slow, any style)",
        description=(
            "Stylize CONTENT like STYLE by optimizing its pixels so VGG19 features "
            "match the content photo and the Gram matrices of the style image(s) "
            "(Gatys, Ecker & Bethge 2015/2016)."
        ),
    )
    p.add_argument("content", metavar="CONTENT", help="content photo")
    p.add_argument(
        "style", metavar="STYLE", nargs="+", help="style image(s); several are blended"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output image (.png, .jpg)"
    )
    p.add_argument(
        "--size",
        type=int,
        help="longest side of the output in pixels (default: 512, or the last of "
        "--scales)",
    )
    p.add_argument(
        "--scales",
        type=_comma_list(int, "sizes"),
        help="coarse-to-fine sizes, e.g. 256,512,1024; each starts from the "
        "upsampled previous result (default: one scale, --size)",
    )
    p.add_argument(
        "--iterations", type=int, default=500, help="steps per scale (default: 500)"
    )
    p.add_argument(
        "--optimizer",
        choices=["lbfgs", "lbfgs-b", "adam"],
        default="lbfgs",
        help="lbfgs: L-BFGS, one evaluation per step; lbfgs-b: SciPy's L-BFGS-B "
        "with a line search (slower per step); adam (default: lbfgs)",
    )
    p.add_argument(
        "--learning-rate",
        type=float,
        default=10.0,
        help="Adam step size in pixel units, 0..255 (default: 10)",
    )
    p.add_argument(
        "--content-weight", type=float, default=5.0, help="content weight (default: 5)"
    )
    p.add_argument(
        "--style-weight", type=float, default=100.0, help="style weight (default: 100)"
    )
    p.add_argument(
        "--tv-weight",
        type=float,
        default=100.0,
        help="total-variation smoothing weight, 0 = off (default: 100)",
    )
    p.add_argument(
        "--style-layer-weights",
        type=_comma_list(float, "numbers"),
        help="comma-separated weight per style layer (default: 1 each)",
    )
    p.add_argument(
        "--content-layers",
        type=_comma_list(str, "names"),
        default=["relu4_2"],
        help="comma-separated VGG19 taps for content (default: relu4_2)",
    )
    p.add_argument(
        "--style-layers",
        type=_comma_list(str, "names"),
        default=["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
        help="comma-separated VGG19 taps for style "
        "(default: relu1_1,relu2_1,relu3_1,relu4_1,relu5_1)",
    )
    p.add_argument(
        "--init",
        default="content",
        metavar="{content,noise,style,PATH}",
        help="starting image: the content, uniform noise, the (first) style, or "
        "an image file (default: content)",
    )
    p.add_argument(
        "--preserve-colors",
        action="store_true",
        help="luminance-only transfer: keep the content's colours (default: off)",
    )
    p.add_argument(
        "--color-transfer",
        choices=["none", "histogram"],
        default="none",
        help="recolour the style image(s) to the content's palette before "
        "optimizing (default: none)",
    )
    p.add_argument(
        "--style-scale",
        type=float,
        default=1.0,
        help="size of the style image relative to the output (default: 1.0)",
    )
    p.add_argument(
        "--style-blend-weights",
        type=_comma_list(float, "numbers"),
        help="comma-separated weight per STYLE (default: equal)",
    )
    p.add_argument(
        "--pooling",
        choices=["max", "avg"],
        default="max",
        help="VGG19 pooling; the paper prefers avg (default: max)",
    )
    p.add_argument(
        "--save-every",
        type=int,
        metavar="N",
        help="also write OUT_<iteration> every N iterations (default: never)",
    )
    p.add_argument(
        "--vgg-weights",
        default="imagenet",
        metavar="{imagenet,none,PATH}",
        help="VGG19 weights: ImageNet (downloaded by Keras), none = random "
        "(testing only), or a VGG19 notop weights file (default: imagenet)",
    )
    p.add_argument("--seed", type=int, help="seed of --init noise (default: random)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_run_optimize)


def _run_optimize(args):
    import pathlib

    from PIL import Image

    output = pathlib.Path(args.output)
    if output.suffix.lower() not in Image.registered_extensions():
        raise ValueError(
            "`--output` needs an image extension such as .png or .jpg. "
            f"Received: --output={args.output}"
        )
    from keras_style.image import save_image
    from keras_style.optimize import stylize_optimize

    save_path = None
    if args.save_every:
        save_path = output.with_name(f"{output.stem}_{{iteration:04d}}{output.suffix}")
    result = stylize_optimize(
        args.content,
        args.style if len(args.style) > 1 else args.style[0],
        size=args.size,
        scales=args.scales,
        iterations=args.iterations,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        init=args.init,
        content_weight=args.content_weight,
        style_weight=args.style_weight,
        tv_weight=args.tv_weight,
        style_layer_weights=args.style_layer_weights,
        content_layers=args.content_layers,
        style_layers=args.style_layers,
        style_blend_weights=args.style_blend_weights,
        style_scale=args.style_scale,
        preserve_colors=args.preserve_colors,
        color_transfer=args.color_transfer,
        pooling=args.pooling,
        vgg_weights=args.vgg_weights,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
        save_every=args.save_every,
        save_path=save_path,
    )
    save_image(result.image, output)
    print(f"wrote {output}")
    return 0


# === train (Johnson) ========================================================


_TRAIN_DEFAULTS = {
    "style": None,
    "data": None,
    "epochs": 2,
    "steps_per_epoch": None,  # one pass over the data set
    "batch_size": 4,
    "image_size": 256,
    "style_size": None,
    "content_weight": None,  # keras_style.training defaults
    "style_weight": None,
    "tv_weight": None,
    "learning_rate": 1e-3,
    "residual_blocks": 5,
    "upsampling": "nearest",
    "mixed_precision": None,
    "preview_every": 1000,
    "checkpoint_every": 500,
    "vgg_weights": "imagenet",
    "seed": None,
}
# Settings that shape the weights or the run: fixed once a run has started.
_TRAIN_FIXED_ON_RESUME = (
    "style",
    "batch_size",
    "image_size",
    "style_size",
    "residual_blocks",
    "upsampling",
    "mixed_precision",
    "vgg_weights",
    "steps_per_epoch",
)


def _add_train_parser(subparsers):
    p = subparsers.add_parser(
        "train",
        help="train a fast style network (Johnson et al. 2016) on a folder of photos",
        description=(
            "Train a TransformNet for one style with VGG16 perceptual losses and "
            "write a preset directory (config.json, model.weights.h5, "
            "metadata.json, README.md). Backups go to OUT_DIR.ckpt/; run the "
            "same command with --resume after an interruption."
        ),
    )
    p.add_argument("--style", help="style image (required unless --resume)")
    p.add_argument("--data", help="folder of content photos, e.g. COCO train2014")
    p.add_argument("-o", "--output", required=True, help="preset directory to write")
    p.add_argument("--epochs", type=int, help="default 2")
    p.add_argument("--steps-per-epoch", type=int, help="default: one pass over --data")
    p.add_argument("--batch-size", type=int, help="default 4")
    p.add_argument("--image-size", type=int, help="training crop size, default 256")
    p.add_argument(
        "--style-size",
        type=int,
        help="longest side of the style image (default: as is)",
    )
    p.add_argument("--content-weight", type=float, help="default 30")
    p.add_argument("--style-weight", type=float, help="default 900")
    p.add_argument("--tv-weight", type=float, help="default 0")
    p.add_argument("--learning-rate", type=float, help="Adam, default 1e-3")
    p.add_argument("--residual-blocks", type=int, help="default 5")
    p.add_argument("--upsampling", choices=["nearest", "transpose"])
    p.add_argument(
        "--mixed-precision",
        nargs="?",
        const="bfloat16",
        choices=["bfloat16", "float16"],
        help="mixed precision (bfloat16 if no value is given)",
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing OUT_DIR"
    )
    p.add_argument(
        "--preview-every", type=int, help="steps between previews (0: none), 1000"
    )
    p.add_argument(
        "--preview-images",
        nargs="+",
        help="photos for previews (default: the first two of --data)",
    )
    p.add_argument("--checkpoint-every", type=int, help="steps between backups, 500")
    p.add_argument("--vgg-weights", help="imagenet (default), none, or a weights file")
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--tensorboard", action="store_true", help="log to OUT_DIR.ckpt/logs"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_train)


def _resolve_train_settings(args, ckpt):
    import json

    explicit = {
        k: getattr(args, k)
        for k in _TRAIN_DEFAULTS
        if getattr(args, k, None) is not None
    }
    saved = {}
    settings_file = ckpt / "settings.json"
    if args.resume and settings_file.is_file():
        saved = json.loads(settings_file.read_text())
        changed = [
            k
            for k in _TRAIN_FIXED_ON_RESUME
            if k in explicit and str(explicit[k]) != str(saved.get(k))
        ]
        if changed:
            raise ValueError(
                "These settings cannot change when resuming: "
                + ", ".join(f"--{k.replace('_', '-')}" for k in changed)
                + ". Received: "
                + ", ".join(
                    f"{k}={explicit[k]!r} (was {saved.get(k)!r})" for k in changed
                )
            )
    settings = {**_TRAIN_DEFAULTS, **saved, **explicit}
    for key in ("style", "data"):
        if not settings[key]:
            raise ValueError(
                f"--{key} is required (unless --resume finds a previous run). "
                f"Received: --{key}={settings[key]!r}"
            )
    for key in ("epochs", "batch_size", "image_size", "residual_blocks"):
        if settings[key] < (0 if key == "residual_blocks" else 1):
            raise ValueError(
                f"--{key.replace('_', '-')} is too small. Received: {settings[key]}"
            )
    return settings


def _model_card(name, settings, metadata):
    lines = [
        f"# {name}",
        "",
        "A fast style-transfer network (`keras_style.TransformNet`, Johnson, "
        "Alahi & Fei-Fei 2016) trained with `keras-style train`.",
        "",
        "```python",
        "import keras_style",
        f"keras_style.zoo.load({name!r}).stylize('photo.jpg')[0].save('out.png')",
        "```",
        "",
        "## Training settings",
        "",
        "| setting | value |",
        "| --- | --- |",
    ]
    for key, value in metadata["training"].items():
        lines.append(f"| {key} | `{value}` |")
    lines += [
        "",
        f"Trained for {metadata['steps']} steps on `{settings['data']}` "
        f"with the {metadata['backend']} backend of Keras {metadata['keras_version_trained']}.",
        "",
    ]
    return "\n".join(lines)


def _readable(files, n):
    from keras_style.image import load_image

    found = []
    for path in files:
        try:
            load_image(path)
        except (ValueError, OSError):
            continue
        found.append(path)
        if len(found) == n:
            break
    return found


def _run_train(args):
    import json
    import os
    import pathlib

    import keras

    from keras_style import training
    from keras_style.callbacks import StepBackupAndRestore, StopOnNaN, StylePreview
    from keras_style.data import image_dataset
    from keras_style.image import list_images
    from keras_style.transform_net import TransformNet

    out = pathlib.Path(args.output)
    ckpt = out.with_name(out.name + ".ckpt")
    backup_dir = ckpt / "backup"
    settings = _resolve_train_settings(args, ckpt)
    if out.exists() and not (args.overwrite or args.resume):
        raise ValueError(
            "The output directory exists; pass --overwrite to replace it. "
            f"Received: --output={str(out)!r}"
        )
    fresh = args.overwrite and not args.resume
    if backup_dir.exists() and not (args.resume or fresh):
        raise ValueError(
            f"{backup_dir} holds the backup of an earlier run: pass --resume to "
            "continue it or --overwrite to start again. "
            f"Received: --output={str(out)!r}"
        )
    files = list_images(settings["data"], name="--data")
    if not files:
        raise ValueError(
            f"No images found under --data. Received: --data={settings['data']!r}"
        )
    if fresh and ckpt.exists():
        import shutil

        shutil.rmtree(ckpt)  # a fresh run: old backups and previews go
    steps = settings["steps_per_epoch"] or max(1, len(files) // settings["batch_size"])
    settings["steps_per_epoch"] = steps
    if settings["seed"] is not None:
        keras.utils.set_random_seed(settings["seed"])
    if settings["mixed_precision"]:
        keras.config.set_dtype_policy(f"mixed_{settings['mixed_precision']}")
    weights = {
        k: settings[k]
        if settings[k] is not None
        else getattr(training, f"DEFAULT_{k.upper()}")
        for k in ("content_weight", "style_weight", "tv_weight")
    }
    vgg_weights = settings["vgg_weights"]
    model = TransformNet(
        residual_blocks=settings["residual_blocks"], upsampling=settings["upsampling"]
    )
    model.build()
    model.compile(
        optimizer=keras.optimizers.Adam(settings["learning_rate"]),
        style_image=settings["style"],
        style_size=settings["style_size"],
        vgg_weights=None if str(vgg_weights).lower() == "none" else vgg_weights,
        **weights,
    )
    dataset = image_dataset(
        settings["data"],
        image_size=settings["image_size"],
        batch_size=settings["batch_size"],
        seed=settings["seed"],
    )
    ckpt.mkdir(parents=True, exist_ok=True)
    tmp = ckpt / "settings.json.tmp"
    tmp.write_text(json.dumps(settings, indent=2, default=str))
    os.replace(tmp, ckpt / "settings.json")
    callbacks = [
        StopOnNaN(),
        StepBackupAndRestore(
            backup_dir, save_freq=settings["checkpoint_every"], delete_checkpoint=False
        ),
        keras.callbacks.ModelCheckpoint(str(ckpt / "last.keras")),
    ]
    if settings["preview_every"]:
        callbacks.append(
            StylePreview(
                args.preview_images or _readable(files, 2),
                every_n_steps=settings["preview_every"],
                output_dir=ckpt / "previews",
                log_dir=ckpt / "logs" if args.tensorboard else None,
            )
        )
    try:
        history = model.fit(
            dataset,
            epochs=settings["epochs"],
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=0 if args.quiet else 1,
            shuffle=False,  # the dataset shuffles itself
        )
    except FloatingPointError as e:
        print(f"keras-style train: error: {e}", file=sys.stderr)
        return 1
    losses = {k: v[-1] for k, v in history.history.items() if v}
    metadata = {
        "task": "johnson_style_transfer",
        "style_image": os.path.basename(str(settings["style"])),
        "training": {
            **{k: settings[k] for k in _TRAIN_DEFAULTS if k not in ("style", "data")},
            **weights,
            "vgg_weights": str(vgg_weights),
            "optimizer": "adam",
        },
        "steps": settings["epochs"] * steps,
        "final_losses": {k: float(v) for k, v in losses.items()},
        "backend": keras.backend.backend(),
        "keras_version_trained": keras.__version__,
    }
    model.save_to_preset(
        out,
        metadata=metadata,
        model_card=_model_card(out.name, settings, metadata),
        overwrite=True,
    )
    print(f"Wrote preset {out}  (backups and previews: {ckpt})")
    return 0


# === stylize / zoo / convert ================================================


def _stylize_outputs(inputs, output):
    """Pairs each input with its destination: `[(src, dst, is_dir), ...]`."""
    import pathlib

    inputs = [pathlib.Path(p) for p in inputs]
    output = pathlib.Path(output)
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise FileNotFoundError(f"Input not found. Received: INPUT={missing[0]!r}")
    if len(inputs) == 1 and inputs[0].is_dir():
        return [(inputs[0], output, True)]
    if len(inputs) == 1 and not (output.is_dir() or str(output).endswith(("/", "\\"))):
        return [(inputs[0], output, False)]
    if output.exists() and not output.is_dir():
        raise ValueError(
            "With several inputs or a folder, -o must be a folder. "
            f"Received: output={str(output)!r}"
        )
    names = [p.name for p in inputs]
    if len(set(names)) != len(names):
        raise ValueError(
            f"Inputs would overwrite each other in {output}: duplicate names. "
            f"Received: INPUT={[str(p) for p in inputs]}"
        )
    return [(p, output / p.name, p.is_dir()) for p in inputs]


def _run_stylize(args):
    from keras_style import zoo
    from keras_style.image import save_image

    pairs = _stylize_outputs(args.inputs, args.output)
    stylizer = zoo.load(args.style, revision=args.revision, cache_dir=args.cache_dir)
    options = dict(
        strength=args.strength,
        preserve_colors=args.preserve_colors,
        max_size=args.max_size,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        batch_size=args.batch_size,
    )
    skipped = 0
    for src, dst, is_dir in pairs:
        if is_dir:
            result = stylizer.stylize_folder(
                src, dst, verbose=0 if args.quiet else 1, **options
            )
            skipped += len(result.skipped)
            written = len(result.written)
            print(f"{src} -> {dst}: {written} written, {len(result.skipped)} skipped")
        else:
            save_image(stylizer.stylize(src, **options), dst)
            if not args.quiet:
                print(f"{src} -> {dst}")
    return 1 if skipped else 0


def _run_zoo_list(args):
    from keras_style import zoo

    entries = [zoo.get_style(name) for name in zoo.available()]
    for e in entries:
        where = f"hf://{e.repo_id}@{e.revision[:12]}" if e.published else "upstream"
        print(f"{e.name:<14} {e.title} ({e.artist}, {e.year})  [{where}]")
    for licence in sorted({e.licence for e in entries}):
        print(f"Licence: {licence}")
    return 0


def _run_zoo_download(args):
    from keras_style import zoo

    path = zoo.download(
        args.style,
        revision=args.revision,
        cache_dir=args.cache_dir,
        force_download=args.force,
    )
    print(path)
    return 0


def _run_convert_lengstrom(args):
    import pathlib

    from keras_style.convert import convert_lengstrom_to_preset

    if pathlib.Path(args.output).exists() and not args.overwrite:
        raise ValueError(
            "The preset directory already exists; pass --overwrite to replace it. "
            f"Received: output={args.output!r}"
        )
    metadata = {"name": args.name} if args.name else {}
    metadata["source"] = {"format": "lengstrom", "path": str(args.source)}
    path = convert_lengstrom_to_preset(
        args.source, args.output, metadata=metadata, overwrite=args.overwrite
    )
    print(path)
    return 0


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _add_zoo_parsers(subparsers):
    p = subparsers.add_parser(
        "stylize",
        help="apply a pretrained style to images or folders",
        description="Stylize images with a zoo style, a Hub preset or a preset folder.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image file(s) or folder")
    p.add_argument(
        "-s",
        "--style",
        required=True,
        help="zoo name (see `keras-style zoo list`), hf://owner/repo[@rev] or a preset dir",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file, or folder for several inputs",
    )
    p.add_argument("--strength", type=float, default=1.0, help="0..1 (default 1)")
    p.add_argument("--preserve-colors", action="store_true", help="keep photo colours")
    p.add_argument("--max-size", type=_positive_int, help="stylize at most this size")
    p.add_argument(
        "--tile-size", type=_positive_int, help="tile images larger than this"
    )
    p.add_argument("--tile-overlap", type=int, help="tile overlap in pixels")
    p.add_argument("--batch-size", type=_positive_int, default=4)
    p.add_argument("--revision", help="Hub revision for hf:// styles")
    p.add_argument("--cache-dir", help="cache root (default $KERAS_STYLE_CACHE)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_run_stylize)

    z = subparsers.add_parser("zoo", help="list or download pretrained styles")
    zsub = z.add_subparsers(dest="zoo_command", metavar="ZOO_COMMAND", required=True)
    zsub.add_parser("list", help="list the available styles").set_defaults(
        func=_run_zoo_list
    )
    d = zsub.add_parser("download", help="fetch a style into the cache")
    d.add_argument("style", metavar="NAME", help="zoo name or hf://owner/repo[@rev]")
    d.add_argument("--revision")
    d.add_argument("--cache-dir")
    d.add_argument("--force", action="store_true", help="download even if cached")
    d.set_defaults(func=_run_zoo_download)

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
    lg.set_defaults(func=_run_convert_lengstrom)


# === entry point ============================================================


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-style",
        description="Neural style transfer with Keras 3 (TensorFlow, JAX or PyTorch).",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_optimize_parser(subparsers)
    _add_train_parser(subparsers)
    _add_zoo_parsers(subparsers)
    return parser


def main(argv=None):
    """Runs the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, FileNotFoundError, IsADirectoryError) as e:
        # Bad user input: one clear line, not a traceback.
        print(f"keras-style {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

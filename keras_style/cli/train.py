"""`keras-style train`: train a fast style network (Johnson et al. 2016).

`add_parser` registers the sub-command; `run` hands the options to
`keras_style.training.run.train_style`, which resolves the settings (explicit
options, else those of the interrupted run when resuming, else the library's
defaults), trains with backups and previews under `OUT_DIR.ckpt/` and writes
the preset. Keras is only imported in `run`.
"""

import sys

from keras_style import defaults as D
from keras_style.cli.arguments import (
    add_output_options,
    fit_progress,
    non_negative_int,
    positive_int,
)
from keras_style.cli.backend import cache_compiled_programs


def add_parser(subparsers):
    p = subparsers.add_parser(
        "train",
        help="train a fast style network (Johnson et al. 2016) on a folder of photos",
        description=(
            "Train a TransformNet for one style with VGG perceptual losses and "
            "write a preset directory (config.json, model.weights.h5, "
            "metadata.json, README.md). Backups go to OUT_DIR.ckpt/; run the "
            "same command with --resume after an interruption."
        ),
    )
    p.add_argument("--style", help="style image (required unless --resume)")
    p.add_argument("--data", help="folder of content photos, e.g. COCO train2014")
    p.add_argument("-o", "--output", required=True, help="preset directory to write")
    p.add_argument("--epochs", type=positive_int, help=f"default {D.TRAIN_EPOCHS}")
    p.add_argument(
        "--steps-per-epoch", type=positive_int, help="default: one pass over --data"
    )
    p.add_argument(
        "--batch-size", type=positive_int, help=f"default {D.TRAIN_BATCH_SIZE}"
    )
    p.add_argument(
        "--image-size",
        type=positive_int,
        help=f"training crop size, default {D.TRAIN_IMAGE_SIZE}",
    )
    p.add_argument(
        "--style-size",
        type=positive_int,
        help="longest side of the style image (default: a multiple of --image-size)",
    )
    p.add_argument(
        "--loss-network",
        type=str.lower,
        choices=["vgg16", "vgg19"],
        help=f"VGG loss network (default {D.TRAIN_LOSS_NETWORK})",
    )
    p.add_argument(
        "--content-layers",
        type=_layer_list,
        help="comma-separated VGG taps (default: the loss network's)",
    )
    p.add_argument(
        "--style-layers",
        type=_layer_list,
        help="comma-separated VGG taps, e.g. relu1_1,relu2_1 (default: the loss "
        "network's)",
    )
    p.add_argument(
        "--content-weight", type=float, help="default: tuned per loss network"
    )
    p.add_argument("--style-weight", type=float, help="default: per loss network")
    p.add_argument("--tv-weight", type=float, help="default: per loss network")
    p.add_argument(
        "--stability-weight",
        type=float,
        help="weight of the video-stability term (output follows small shifts "
        "of the input; ~1e4), default 0: off",
    )
    p.add_argument(
        "--learning-rate",
        type=float,
        help=f"Adam, default {D.TRAIN_LEARNING_RATE} "
        f"({D.TRAIN_NEW_STYLE_LEARNING_RATE} with --base)",
    )
    p.add_argument(
        "--residual-blocks",
        type=non_negative_int,
        help=f"default {D.TRAIN_RESIDUAL_BLOCKS}",
    )
    p.add_argument(
        "--upsampling",
        choices=["nearest", "transpose"],
        help=f"default {D.TRAIN_UPSAMPLING}",
    )
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
        "--preview-every",
        type=non_negative_int,
        help=f"steps between previews (0: none), {D.TRAIN_PREVIEW_EVERY}",
    )
    p.add_argument(
        "--preview-images",
        nargs="+",
        help="photos for previews (default: the first two of --data)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=positive_int,
        help=f"steps between backups, {D.TRAIN_CHECKPOINT_EVERY}",
    )
    p.add_argument(
        "--max-pixels",
        type=positive_int,
        default=D.TRAIN_MAX_STEP_PIXELS,
        help="largest batch x crop (and style image) in pixels; bigger runs are "
        f"refused before they start (default: {D.TRAIN_MAX_STEP_PIXELS:,}, ~12 GB)",
    )
    p.add_argument(
        "--vgg-weights",
        help=f"{D.TRAIN_VGG_WEIGHTS} (default), none, or a weights file",
    )
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--base",
        help="a multi-style preset (e.g. magenta26): train only a new style's "
        "scales and shifts on it (Dumoulin et al. 2017), minutes on a CPU",
    )
    p.add_argument(
        "--init",
        help="a TransformNet preset (zoo name, hf:// or folder) to start "
        "training from instead of random weights",
    )
    p.add_argument(
        "--tensorboard", action="store_true", help="log to OUT_DIR.ckpt/logs"
    )
    add_output_options(p)
    p.set_defaults(func=run)


def _layer_list(text):
    layers = [name.strip() for name in text.split(",") if name.strip()]
    if not layers:
        raise ValueError(f"expected comma-separated VGG taps. Received: {text!r}")
    return layers


def run(args):
    from keras_style.training.run import SETTINGS, checkpoint_dir, train_style

    cache_compiled_programs()
    ckpt = checkpoint_dir(args.output)
    if args.resume and not (ckpt / "backup").exists():  # shown when quiet too
        print(
            f"--resume: no backup in {ckpt / 'backup'}, starting a new run.",
            file=sys.stderr,
        )
    # Options left out are None: the library's default, or the saved setting.
    settings = {k: getattr(args, k) for k in SETTINGS if getattr(args, k) is not None}
    verbose, progress_callbacks = fit_progress(args)
    try:
        out = train_style(
            args.style,
            args.data,
            args.output,
            resume=args.resume,
            overwrite=args.overwrite,
            preview_images=args.preview_images,
            max_pixels=args.max_pixels,
            tensorboard=args.tensorboard,
            verbose=verbose,
            callbacks=progress_callbacks,
            **settings,
        )
    except FloatingPointError as e:
        print(f"keras-style train: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"Wrote preset {out}  (backups and previews: {ckpt})")
    return 0

"""`keras-style train`: train a fast style network (Johnson et al. 2016).

`add_parser` registers the sub-command; `run` resolves the settings (defaults,
the settings saved by an interrupted run when resuming, explicit options),
trains a `TransformNet` with backups and previews under `OUT_DIR.ckpt/`, and
writes a preset directory with a model card. Keras is only imported in `run`.
"""

import sys

from keras_style.cli.arguments import (
    add_output_options,
    fit_progress,
    non_negative_int,
    positive_int,
)

# Most pixels one training step may hold (batch x crop, or the style image):
# the VGG19 loss network and its gradients need ~3 kB per pixel. --max-pixels
# raises it.
MAX_STEP_PIXELS = 4 * 2**20

_TRAIN_DEFAULTS = {
    "style": None,
    "data": None,
    "epochs": 2,
    "steps_per_epoch": None,  # one pass over the data set
    "batch_size": 4,
    "image_size": 256,
    "style_size": None,  # keras_style.training.default_style_size(image_size)
    "loss_network": None,  # keras_style.training.DEFAULT_LOSS_NETWORK
    "content_layers": None,  # keras_style.training.DEFAULT_LAYERS
    "style_layers": None,
    "content_weight": None,  # keras_style.training.DEFAULT_LOSS_WEIGHTS
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
    "loss_network",
    "content_layers",
    "style_layers",
    "residual_blocks",
    "upsampling",
    "mixed_precision",
    "vgg_weights",
    "steps_per_epoch",
)


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
    p.add_argument("--epochs", type=positive_int, help="default 2")
    p.add_argument(
        "--steps-per-epoch", type=positive_int, help="default: one pass over --data"
    )
    p.add_argument("--batch-size", type=positive_int, help="default 4")
    p.add_argument(
        "--image-size", type=positive_int, help="training crop size, default 256"
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
        help="VGG loss network (default vgg19)",
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
    p.add_argument("--learning-rate", type=float, help="Adam, default 1e-3")
    p.add_argument("--residual-blocks", type=non_negative_int, help="default 5")
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
        "--preview-every",
        type=non_negative_int,
        help="steps between previews (0: none), 1000",
    )
    p.add_argument(
        "--preview-images",
        nargs="+",
        help="photos for previews (default: the first two of --data)",
    )
    p.add_argument(
        "--checkpoint-every", type=positive_int, help="steps between backups, 500"
    )
    p.add_argument(
        "--max-pixels",
        type=positive_int,
        default=MAX_STEP_PIXELS,
        help="largest batch x crop (and style image) in pixels; bigger runs are "
        f"refused before they start (default: {MAX_STEP_PIXELS:,}, ~12 GB)",
    )
    p.add_argument("--vgg-weights", help="imagenet (default), none, or a weights file")
    p.add_argument("--seed", type=int)
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
        # Runs started before the loss network was a setting used VGG16.
        saved.setdefault("loss_network", "vgg16")
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


def _check_step_pixels(settings, max_pixels):
    """Refuses, before anything is built, a step too large for memory."""
    batch, crop = settings["batch_size"], settings["image_size"]
    from keras_style.training import default_style_size

    style = settings["style_size"] or default_style_size(crop)
    for what, pixels, received in (
        ("A batch", batch * crop * crop, f"--batch-size={batch}, --image-size={crop}"),
        ("The style image", style * style, f"--style-size={style}"),
    ):
        if pixels > max_pixels:
            raise ValueError(
                f"{what} would hold {pixels:,} pixels, over the limit of "
                f"{max_pixels:,} (the VGG loss network needs ~3 kB per pixel); "
                f"lower it or raise --max-pixels. Received: {received}"
            )


def _model_card(name, settings, metadata):
    lines = [
        f"# {name}",
        "",
        "A fast style-transfer network (`keras_style.TransformNet`, Johnson, "
        "Alahi & Fei-Fei 2016) trained with `keras-style train`.",
        "",
        "```python",
        "import keras_style",
        "",
        f"stylizer = keras_style.zoo.load({name!r})  # this preset's directory",
        "stylizer.stylize('photo.jpg').save('out.png')  # a PIL image",
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


def run(args):
    import json
    import os
    import pathlib

    import keras

    from keras_style import training
    from keras_style.callbacks import (
        StepBackupAndRestore,
        StepLossLog,
        StopOnNaN,
        StylePreview,
    )
    from keras_style.data import image_dataset
    from keras_style.image import list_images
    from keras_style.transform_net import TransformNet

    out = pathlib.Path(args.output)
    ckpt = out.with_name(out.name + ".ckpt")
    backup_dir = ckpt / "backup"
    settings = _resolve_train_settings(args, ckpt)
    if args.resume and not backup_dir.exists():  # a warning: shown when quiet too
        print(
            f"--resume: no backup in {backup_dir}, starting a new run.",
            file=sys.stderr,
        )
    _check_step_pixels(settings, args.max_pixels)
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
    # Unset choices become the library's defaults, recorded in settings.json
    # and the metadata so a resumed run and the model card see real values.
    if settings["loss_network"] is None:
        settings["loss_network"] = training.DEFAULT_LOSS_NETWORK
    network = settings["loss_network"]
    for key, value in training.DEFAULT_LAYERS[network].items():
        if settings[key] is None:
            settings[key] = list(value)
    for key, value in training.DEFAULT_LOSS_WEIGHTS[network].items():
        if settings[key] is None:
            settings[key] = value
    if settings["style_size"] is None:
        settings["style_size"] = training.default_style_size(settings["image_size"])
    weights = {k: settings[k] for k in ("content_weight", "style_weight", "tv_weight")}
    vgg_weights = settings["vgg_weights"]
    model = TransformNet(
        residual_blocks=settings["residual_blocks"], upsampling=settings["upsampling"]
    )
    model.build()
    model.compile(
        optimizer=keras.optimizers.Adam(settings["learning_rate"]),
        style_image=settings["style"],
        style_size=settings["style_size"],
        loss_network=network,
        content_layers=settings["content_layers"],
        style_layers=settings["style_layers"],
        vgg_weights=vgg_weights,  # "none" is read by the library
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
        # After the backup callback: it restores the step the log resumes at.
        StepLossLog(ckpt / "losses.csv"),
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
    fit_verbose, progress_callbacks = fit_progress(args)
    try:
        history = model.fit(
            dataset,
            epochs=settings["epochs"],
            steps_per_epoch=steps,
            callbacks=callbacks + progress_callbacks,
            verbose=fit_verbose,
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
    if not args.quiet:
        print(f"Wrote preset {out}  (backups and previews: {ckpt})")
    return 0

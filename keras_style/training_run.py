"""One training run of a fast style network, from a photo folder to a preset.

`train_style(style, data, output)` trains a `TransformNet` (Johnson, Alahi &
Fei-Fei 2016) with perceptual losses on a folder of photos and writes a
preset directory (config, weights, metadata, model card). Its working files
live next to the preset, in `OUTPUT.ckpt/`: `settings.json`, backups (every
`checkpoint_every` steps), preview grids, `losses.csv` and `last.keras`.
Calling it again with `resume=True` after an interruption continues at the
exact step of the last backup, with the settings the run started with.

`keras-style train` and examples/train_style.py are thin callers of it.
"""

import json
import os
import pathlib
import shutil

import keras

from keras_style import defaults as D
from keras_style import training
from keras_style.backup_and_restore import StepBackupAndRestore
from keras_style.callbacks import StepLossLog, StopOnNaN, StylePreview
from keras_style.checks import check_int
from keras_style.data import image_dataset
from keras_style.files import write_text_atomic
from keras_style.image import list_images, load_image
from keras_style.model_card import model_card
from keras_style.transform_net import TransformNet

# What `TransformNet.compile(style_image=...)` takes from the settings,
# besides `vgg_weights` ("none" is read by the library).
_LOSS_SETTINGS = (
    "style_size",
    "loss_network",
    "content_layers",
    "style_layers",
    "content_weight",
    "style_weight",
    "tv_weight",
    "stability_weight",
)
# The settings of a run, in the order of `settings.json` and the model card.
# None stands for the library default (or, when resuming, the saved value).
SETTINGS = (
    "epochs",
    "steps_per_epoch",
    "batch_size",
    "image_size",
    *_LOSS_SETTINGS,
    "learning_rate",
    "residual_blocks",
    "upsampling",
    "mixed_precision",
    "preview_every",
    "checkpoint_every",
    "vgg_weights",
    "seed",
    "base",
    "init",
)
# Settings that shape the weights or the run: fixed once a run has started
# (the loss weights may change).
FIXED_ON_RESUME = (
    "style",
    "steps_per_epoch",
    "batch_size",
    "image_size",
    *_LOSS_SETTINGS[:4],  # style size, loss network and its taps
    "residual_blocks",
    "upsampling",
    "mixed_precision",
    "vgg_weights",
    "base",
    "init",
)
_DEFAULTS = {
    "epochs": D.TRAIN_EPOCHS,
    "batch_size": D.TRAIN_BATCH_SIZE,
    "image_size": D.TRAIN_IMAGE_SIZE,
    "learning_rate": D.TRAIN_LEARNING_RATE,
    "residual_blocks": D.TRAIN_RESIDUAL_BLOCKS,
    "upsampling": D.TRAIN_UPSAMPLING,
    "preview_every": D.TRAIN_PREVIEW_EVERY,
    "checkpoint_every": D.TRAIN_CHECKPOINT_EVERY,
    "vgg_weights": D.TRAIN_VGG_WEIGHTS,
}
# Smallest value of each integer setting (None: unset, the default applies).
_INT_MINIMUM = {
    "epochs": 1,
    "steps_per_epoch": 1,
    "batch_size": 1,
    "image_size": 1,
    "style_size": 1,
    "residual_blocks": 0,
    "preview_every": 0,
    "checkpoint_every": 1,
}


def checkpoint_dir(output):
    """The folder of a run's backups, previews and logs: `OUTPUT.ckpt`."""
    output = pathlib.Path(output)
    return output.with_name(output.name + ".ckpt")


def train_style(
    style=None,
    data=None,
    output=None,
    *,
    resume=False,
    overwrite=False,
    preview_images=None,
    max_pixels=D.TRAIN_MAX_STEP_PIXELS,
    tensorboard=False,
    verbose="auto",
    callbacks=None,
    **settings,
):
    """Trains a fast style network on a folder of photos and writes a preset.

    Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer
    and Super-Resolution" (ECCV 2016). Settings left at None take the
    library's defaults (`keras_style.defaults.TRAIN_*` and, per loss
    network, `keras_style.training.DEFAULT_*`) or, with `resume=True`, the
    values the interrupted run started with; the resolved values are saved
    in `OUTPUT.ckpt/settings.json` and the preset's metadata and model card.

    Args:
        style: the style image (path, PIL image or array; a path when
            resuming is to be possible). Optional with `resume=True`.
        data: a folder of content photos, e.g. COCO train2014. Optional
            with `resume=True`.
        output: the preset directory to write.
        resume: continue the run interrupted in `OUTPUT.ckpt/` (a new run
            starts when it holds no backup).
        overwrite: replace an existing `output` and its `OUTPUT.ckpt/`.
        preview_images: photos for the preview grids; default: the first
            two readable photos of `data`.
        max_pixels: largest batch x crop (and style image) in pixels;
            bigger runs are refused before anything is built (the VGG loss
            network needs ~3 kB per pixel).
        tensorboard: also log previews to `OUTPUT.ckpt/logs`.
        verbose: `verbose` of `fit`.
        callbacks: more callbacks for `fit`.
        **settings: the run's settings (`SETTINGS`): `epochs` (2),
            `steps_per_epoch` (one pass over `data`), `batch_size` (4),
            `image_size` (crop side, 256), `style_size` (the style image's
            longest side, `training.default_style_size(image_size)`),
            `loss_network` ("vgg19"), `content_layers`, `style_layers`,
            `content_weight`, `style_weight`, `tv_weight` (per loss
            network), `learning_rate` (Adam, 1e-3), `residual_blocks` (5),
            `upsampling` ("nearest"), `mixed_precision` (None, "bfloat16"
            or "float16"), `preview_every` (steps, 1000; 0: none),
            `checkpoint_every` (steps, 500), `vgg_weights` ("imagenet",
            None for random, or a weights file), `seed`, `base` (a
            multi-style preset such as "magenta26": train only a new style's
            scales and shifts on it, Dumoulin et al. 2017) and `init` (a
            TransformNet preset such as "wave" to start from).

    Returns:
        The preset directory as a `pathlib.Path`.

    Raises:
        FloatingPointError: the loss diverged (see `StopOnNaN`); the last
            backup is kept for a resumed run with other settings.

    Example:

    >>> from keras_style.training_run import train_style
    >>> train_style("wave.jpg", "train2014/", "presets/wave")
    PosixPath('presets/wave')
    """
    if output is None:
        raise ValueError("`output` is required. Received: output=None")
    out = pathlib.Path(output)
    ckpt = checkpoint_dir(out)
    backup_dir = ckpt / "backup"
    settings = _resolve_settings(
        {"style": style, "data": data, **settings}, ckpt, resume
    )
    _check_step_pixels(settings, max_pixels)
    if out.exists() and not (overwrite or resume):
        raise ValueError(
            "The output directory exists; pass overwrite=True (--overwrite) to "
            f"replace it. Received: output={str(out)!r}"
        )
    fresh = overwrite and not resume
    if backup_dir.exists() and not (resume or fresh):
        raise ValueError(
            f"{backup_dir} holds the backup of an earlier run: pass resume=True "
            "(--resume) to continue it or overwrite=True (--overwrite) to start "
            f"again. Received: output={str(out)!r}"
        )
    files = list_images(settings["data"], name="data")
    if not files:
        raise ValueError(
            f"No images found under `data`. Received: data={settings['data']!r}"
        )
    if fresh and ckpt.exists():
        shutil.rmtree(ckpt)  # a fresh run: old backups and previews go
    steps = settings["steps_per_epoch"] or max(1, len(files) // settings["batch_size"])
    settings["steps_per_epoch"] = steps
    if settings["seed"] is not None:
        keras.utils.set_random_seed(settings["seed"])
    policy = keras.config.dtype_policy()
    if settings["mixed_precision"]:
        keras.config.set_dtype_policy(f"mixed_{settings['mixed_precision']}")
    try:
        model = _compiled_model(settings)
    finally:
        keras.config.set_dtype_policy(policy)  # the model keeps its own
    dataset = image_dataset(
        settings["data"],
        image_size=settings["image_size"],
        batch_size=settings["batch_size"],
        seed=settings["seed"],
    )
    ckpt.mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        ckpt / "settings.json", json.dumps(settings, indent=2, default=str)
    )
    run_callbacks = [
        StopOnNaN(),
        StepBackupAndRestore(
            backup_dir, save_freq=settings["checkpoint_every"], delete_checkpoint=False
        ),
        keras.callbacks.ModelCheckpoint(str(ckpt / "last.keras")),
        # After the backup callback: it restores the step the log resumes at.
        StepLossLog(ckpt / "losses.csv"),
    ]
    if settings["preview_every"]:
        run_callbacks.append(
            StylePreview(
                preview_images or _first_readable(files, 2),
                every_n_steps=settings["preview_every"],
                output_dir=ckpt / "previews",
                log_dir=ckpt / "logs" if tensorboard else None,
            )
        )
    history = model.fit(
        dataset,
        epochs=settings["epochs"],
        steps_per_epoch=steps,
        callbacks=run_callbacks + list(callbacks or []),
        verbose=verbose,
        shuffle=False,  # the dataset shuffles itself
    )
    metadata = _metadata(settings, history)
    model.save_to_preset(
        out,
        metadata=metadata,
        model_card=_card(out, settings, metadata),
        overwrite=True,
    )
    return out


def _resolve_settings(given, ckpt, resume):
    """The run's settings: explicit values, else saved ones, else defaults."""
    unknown = sorted(set(given) - {"style", "data", *SETTINGS})
    if unknown:
        raise TypeError(
            f"Unknown training settings; expected some of {list(SETTINGS)}. "
            f"Received: {', '.join(unknown)}"
        )
    explicit = {k: v for k, v in given.items() if v is not None}
    if "vgg_weights" in given and given["vgg_weights"] is None:
        explicit["vgg_weights"] = "none"  # None asks for random weights
    saved = {}
    settings_file = ckpt / "settings.json"
    if resume and settings_file.is_file():
        saved = json.loads(settings_file.read_text())
        # Runs started before the loss network was a setting used VGG16.
        saved.setdefault("loss_network", "vgg16")
        changed = [
            k
            for k in FIXED_ON_RESUME
            if k in explicit and str(explicit[k]) != str(saved.get(k))
        ]
        if changed:
            raise ValueError(
                "These settings cannot change when resuming: "
                + ", ".join(f"{k} (--{k.replace('_', '-')})" for k in changed)
                + ". Received: "
                + ", ".join(
                    f"{k}={explicit[k]!r} (was {saved.get(k)!r})" for k in changed
                )
            )
    settings = {
        "style": None,
        "data": None,
        **dict.fromkeys(SETTINGS),
        **_DEFAULTS,
        **saved,
        **explicit,
    }
    for key in ("style", "data"):
        if settings[key] is None or settings[key] == "":
            raise ValueError(
                f"`{key}` (--{key}) is required unless resuming a previous run. "
                f"Received: {key}={settings[key]!r}"
            )
    for key, minimum in _INT_MINIMUM.items():
        check_int(settings[key], key, minimum=minimum, allow_none=True)
    # Unset choices become the library's defaults, recorded in settings.json
    # and the metadata so a resumed run and the model card see real values.
    network = training.check_loss_network(
        settings["loss_network"] or training.DEFAULT_LOSS_NETWORK
    )
    settings["loss_network"] = network
    for key, value in training.DEFAULT_LAYERS[network].items():
        if settings[key] is None:
            settings[key] = list(value)
    for key, value in training.DEFAULT_LOSS_WEIGHTS[network].items():
        if settings[key] is None:
            settings[key] = value
    if settings["style_size"] is None:
        settings["style_size"] = training.default_style_size(settings["image_size"])
    return settings


def _check_step_pixels(settings, max_pixels):
    """Refuses, before anything is built, a step too large for memory."""
    batch, crop = settings["batch_size"], settings["image_size"]
    style = settings["style_size"]
    for what, pixels, received in (
        ("A batch", batch * crop * crop, f"batch_size={batch}, image_size={crop}"),
        ("The style image", style * style, f"style_size={style}"),
    ):
        if pixels > max_pixels:
            raise ValueError(
                f"{what} would hold {pixels:,} pixels, over the limit of "
                f"{max_pixels:,} (the VGG loss network needs ~3 kB per pixel); "
                f"lower it or raise max_pixels (--max-pixels). Received: {received}"
            )


def _new_style_model(base):
    """A multi-style preset with one more style, as a photo-to-photo model
    whose only trainable weights are the new style's (Dumoulin et al.)."""
    from keras_style.models.multi_style import MultiStyleNet
    from keras_style.preset_utils import preset_class_name
    from keras_style.zoo import download  # the zoo resolves the handle

    folder = download(base)
    if preset_class_name(folder) != "MultiStyleNet":
        raise ValueError(
            "`base` must be a multi-style preset such as magenta26, whose new "
            "style trains only its own scales and shifts. Received: "
            f"base={base!r} ({preset_class_name(folder)})"
        )
    net, index = MultiStyleNet.from_preset_dir(folder).add_style()
    return net.fixed_style(index)


def _initial_network(init):
    """The TransformNet of a preset, to start a training run from."""
    from keras_style.preset_utils import preset_class_name
    from keras_style.zoo import download  # the zoo resolves the handle

    folder = download(init)
    if preset_class_name(folder) != "TransformNet":
        raise ValueError(
            "`init` must be a TransformNet preset (e.g. wave) to start from. "
            f"Received: init={init!r} ({preset_class_name(folder)})"
        )
    return TransformNet.from_preset_dir(folder)


def _compiled_model(settings):
    if settings["base"] and settings["init"]:
        raise ValueError(
            "`base` trains a new style of a multi-style network; `init` starts "
            "a TransformNet from a preset: pass one. Received: "
            f"base={settings['base']!r}, init={settings['init']!r}"
        )
    if settings["base"]:
        model = _new_style_model(settings["base"])
    elif settings["init"]:
        # The preset's architecture, in this run's dtype policy.
        start = _initial_network(settings["init"])
        model = TransformNet.from_config(
            {**start.get_config(), "dtype": keras.config.dtype_policy().name}
        )
        model.build()
        model.set_weights(start.get_weights())
    else:
        model = TransformNet(
            residual_blocks=settings["residual_blocks"],
            upsampling=settings["upsampling"],
        )
    if not model.built:
        model.build()
    model.compile(
        optimizer=keras.optimizers.Adam(settings["learning_rate"]),
        style_image=settings["style"],
        **{k: settings[k] for k in (*_LOSS_SETTINGS, "vgg_weights")},
    )
    return model


def _first_readable(files, n):
    """The first `n` of `files` that decode as images (for previews)."""
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


def _metadata(settings, history):
    losses = {k: v[-1] for k, v in history.history.items() if v}
    return {
        "task": "new_style_of_" + settings["base"]
        if settings["base"]
        else "johnson_style_transfer",
        "style_image": os.path.basename(str(settings["style"])),
        "training": {
            **{k: settings[k] for k in SETTINGS},
            "vgg_weights": str(settings["vgg_weights"]),
            "optimizer": "adam",
        },
        "steps": settings["epochs"] * settings["steps_per_epoch"],
        "final_losses": {k: float(v) for k, v in losses.items()},
        "backend": keras.backend.backend(),
        "keras_version_trained": keras.__version__,
    }


def _card(out, settings, metadata):
    description = (
        "A fast style-transfer network (`keras_style.TransformNet`, Johnson, "
        "Alahi & Fei-Fei 2016) trained with `keras-style train`."
    )
    if settings["base"]:
        description = (
            f"A new style for the multi-style network `{settings['base']}` "
            "(Dumoulin, Shlens & Kudlur 2017): only its scales and shifts were "
            "trained, with every convolution and the base styles frozen, by "
            "`keras-style train --base`. The preset holds the base network "
            "with the new style built in (`FixedStyleNetwork`); the base's "
            "licence applies to its weights."
        )
    return model_card(
        out,
        description=description,
        training=metadata["training"],
        training_notes=(
            f"Trained for {metadata['steps']} steps on `{settings['data']}` "
            f"with the {metadata['backend']} backend of Keras "
            f"{metadata['keras_version_trained']}."
        ),
    )

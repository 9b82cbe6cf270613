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
from keras_style.image import list_images, load_image
from keras_style.models.transform_net import TransformNet
from keras_style.presets.model_card import model_card
from keras_style.training.backup_and_restore import StepBackupAndRestore
from keras_style.training.callbacks import StepLossLog, StopOnNaN, StylePreview
from keras_style.training.data import image_dataset
from keras_style.training.settings import (
    LOSS_SETTINGS,
    SETTINGS,
    check_step_pixels,
    resolve_settings,
)
from keras_style.utils.files import write_text_atomic


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
    network, `keras_style.training.perceptual.DEFAULT_*`) or, with `resume=True`, the
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

    >>> from keras_style.training.run import train_style
    >>> train_style("wave.jpg", "train2014/", "presets/wave")
    PosixPath('presets/wave')
    """
    if output is None:
        raise ValueError("`output` is required. Received: output=None")
    out = pathlib.Path(output)
    ckpt = checkpoint_dir(out)
    backup_dir = ckpt / "backup"
    settings = resolve_settings(
        {"style": style, "data": data, **settings}, ckpt, resume
    )
    check_step_pixels(settings, max_pixels)
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


def _new_style_model(base):
    """A multi-style preset with one more style, as a photo-to-photo model
    whose only trainable weights are the new style's (Dumoulin et al.)."""
    from keras_style.models.multi_style import MultiStyleNet
    from keras_style.presets.preset_utils import preset_class_name
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
    from keras_style.presets.preset_utils import preset_class_name
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
        **{k: settings[k] for k in (*LOSS_SETTINGS, "vgg_weights")},
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

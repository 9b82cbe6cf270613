"""The settings of a training run (`train_style`, `keras-style train`): their
names and defaults, which may not change on resume, and resolving explicit,
saved and default values into the run's settings."""

import json

from keras_style import defaults as D
from keras_style.training import perceptual as training
from keras_style.utils.checks import check_int

# What `TransformNet.compile(style_image=...)` takes from the settings,
# besides `vgg_weights` ("none" is read by the library).
LOSS_SETTINGS = (
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
    *LOSS_SETTINGS,
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
    *LOSS_SETTINGS[:4],  # style size, loss network and its taps
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


def resolve_settings(given, ckpt, resume):
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
    if settings["learning_rate"] is None:
        settings["learning_rate"] = (
            D.TRAIN_NEW_STYLE_LEARNING_RATE
            if settings["base"]
            else D.TRAIN_LEARNING_RATE
        )
    for key, value in training.DEFAULT_LAYERS[network].items():
        if settings[key] is None:
            settings[key] = list(value)
    for key, value in training.DEFAULT_LOSS_WEIGHTS[network].items():
        if settings[key] is None:
            settings[key] = value
    if settings["style_size"] is None:
        settings["style_size"] = training.default_style_size(settings["image_size"])
    return settings


def check_step_pixels(settings, max_pixels):
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

"""Optimization-based style transfer (Gatys, Ecker & Bethge).

The stylized picture itself is the variable: its pixels are optimized so that
its VGG19 features match a content photo (`relu4_2`) and the Gram matrices of
one or more style images (`relu1_1` ... `relu5_1`). Slow, but works for any
style without training.
"""

import collections

import numpy as np
from keras import ops

from keras_style import defaults
from keras_style import image as image_lib
from keras_style.losses.perceptual import PerceptualLoss
from keras_style.losses.vgg import (
    check_layers,
    check_vgg_weights,
    vgg_feature_extractor,
    vgg_tap_strides,
)
from keras_style.optimize import arguments, initialization, schedule
from keras_style.optimize.gradients import compile_step
from keras_style.optimize.minimizers import minimize
from keras_style.optimize.progress import Monitor, check_monitoring
from keras_style.optimize.progress import StylizeResult as StylizeResult
from keras_style.utils.checks import check_float, check_positive_int

DEFAULT_CONTENT_LAYERS = defaults.GATYS_CONTENT_LAYERS
DEFAULT_STYLE_LAYERS = defaults.GATYS_STYLE_LAYERS
DEFAULT_BORDER = defaults.GATYS_BORDER
MAX_PIXELS = defaults.GATYS_MAX_PIXELS


class GatysStyleTransfer:
    """Gatys et al. style transfer: the loss, the VGG19 network, the optimizer.

    Holds the configuration that does not depend on the images (layers,
    weights, VGG network) and builds the feature extractor once, so several
    calls to `run` reuse it and its compiled gradient function.

    Reference: Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style"
    (2015) and "Image Style Transfer Using Convolutional Neural Networks"
    (CVPR 2016); colour control from Gatys et al., "Controlling Perceptual
    Factors in Neural Style Transfer" (CVPR 2017).

    The loss is `content_weight * content + style_weight * style + tv_weight *
    tv` with the normalisation of `keras_style.losses.perceptual` (mean squared feature
    difference; Gram matrices divided by `C*H*W`), the same as
    jcjohnson/neural-style, whose default weights (content 5, style 100) are
    used here. Its total-variation weight 1e-3 applies to a sum over pixels,
    ~100 on this per-pixel mean at 256 px; the default here is 300, which
    halved the coloured single-pixel speckles of 100 with the real VGG19
    weights at no measurable cost in style or content (benchmarks/README.md,
    "Gatys quality with real VGG19 weights").

    Args:
        content_layers: VGG taps compared with the content photo.
        style_layers: VGG taps whose Gram matrices are matched to the style.
        content_weight: weight of the content term (alpha in the paper).
        style_weight: weight of the style term (beta in the paper).
        tv_weight: weight of the total-variation smoothness term (0 = off).
        style_layer_weights: optional per-layer style weights, a dict
            `{layer: weight}` or a sequence aligned with `style_layers`.
        pooling: `"max"` or `"avg"` (the paper prefers average pooling).
        vgg_weights: `"imagenet"` (the real use), `None` (random weights, for
            tests and timings) or a path to a weights file of
            `keras.applications.VGG19(include_top=False)`.
        network: `"vgg19"` (the paper) or `"vgg16"`.
        border: pixels of reflection padding added around the image before
            the VGG pass and cropped off its features. Without it (0) the
            result's outer 1-2 px rows and columns get a coloured fringe;
            16 px costs `((H + 32) * (W + 32)) / (H * W)` the pixels per step
            (1.34x at 256x170, 1.16x at 512x340).
        dtype: `"float32"` (default) or `"bfloat16"`: the precision of the
            VGG pass (the image, losses and gradients stay float32).
            bfloat16 pays off on CPUs with AVX512-BF16 or AMX, with the
            TensorFlow and PyTorch backends, and on GPUs.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> content = rng.uniform(0, 255, (48, 64, 3))   # any RGB array or path
    >>> style = rng.uniform(0, 255, (64, 64, 3))
    >>> gatys = GatysStyleTransfer(style_weight=1e3, vgg_weights=None)
    >>> result = gatys.run(content, style, size=64, iterations=5, verbose=0)
    >>> result.image.shape[-1], len(result.history)
    (3, 5)
    """

    def __init__(
        self,
        content_layers=DEFAULT_CONTENT_LAYERS,
        style_layers=DEFAULT_STYLE_LAYERS,
        content_weight=defaults.GATYS_CONTENT_WEIGHT,
        style_weight=defaults.GATYS_STYLE_WEIGHT,
        tv_weight=defaults.GATYS_TV_WEIGHT,
        style_layer_weights=None,
        pooling=defaults.GATYS_POOLING,
        vgg_weights="imagenet",
        network="vgg19",
        border=DEFAULT_BORDER,
        dtype="float32",
    ):
        network = str(network).lower()
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(
                f"`dtype` must be 'float32' or 'bfloat16'. Received: dtype={dtype!r}"
            )
        self.dtype = dtype
        if (
            isinstance(border, bool)
            or not isinstance(border, (int, np.integer))
            or border < 0
        ):
            raise ValueError(
                "`border` must be a non-negative int (pixels). "
                f"Received: border={border!r}"
            )
        self.border = int(border)
        self.content_layers = check_layers(content_layers, network, "content_layers")
        self.style_layers = check_layers(style_layers, network, "style_layers")
        self.loss = PerceptualLoss(
            content_layers=self.content_layers,
            style_layers=self.style_layers,
            content_weight=content_weight,
            style_weight=style_weight,
            tv_weight=tv_weight,
            style_layer_weights=style_layer_weights,
        )
        self.pooling = pooling
        self.network = network
        self.vgg_weights = check_vgg_weights(vgg_weights)
        try:
            self.extractor = vgg_feature_extractor(
                self.loss.layers,
                network=network,
                weights=self.vgg_weights,
                pooling=pooling,
            )
        except Exception as e:
            if self.vgg_weights == "imagenet" and "URL fetch failure" in str(e):
                # keras.utils.get_file raises a bare Exception when offline.
                raise ValueError(
                    f"The ImageNet {network.upper()} weights could not be "
                    f"downloaded ({e}). Connect once to cache them, or pass a "
                    "local weights file. Received: vgg_weights='imagenet'"
                ) from None
            if self.vgg_weights is None or not isinstance(e, (OSError, ValueError)):
                raise
            raise ValueError(
                f"`vgg_weights` could not be loaded as {network.upper()} weights "
                f"({e}). Received: vgg_weights={self.vgg_weights!r}"
            ) from None
        self._features, self._value_and_grad = compile_step(
            self.extractor,
            self.loss,
            use_tv=self.loss.tv_weight > 0,
            border=border,
            dtype=dtype,
        )

    def get_config(self):
        config = self.loss.get_config()
        config.update(
            pooling=self.pooling,
            vgg_weights=self.vgg_weights,
            network=self.network,
            border=self.border,
            dtype=self.dtype,
        )
        return config

    def run(
        self,
        content,
        style,
        *,
        size=None,
        scales=None,
        iterations=defaults.GATYS_ITERATIONS,
        optimizer=defaults.GATYS_OPTIMIZER,
        learning_rate=defaults.GATYS_LEARNING_RATE,
        init=defaults.GATYS_INIT,
        style_blend_weights=None,
        style_scale=defaults.GATYS_STYLE_SCALE,
        preserve_colors=False,
        color_transfer=None,
        seed=None,
        verbose=1,
        save_every=None,
        save_path=None,
        callback=None,
        max_pixels=MAX_PIXELS,
    ):
        """Stylizes `content` like `style`. See `stylize_optimize` for the args.

        Returns:
            A `StylizeResult`.
        """
        args = check_run_arguments(
            content,
            style,
            layers=self.loss.layers,
            network=self.network,
            size=size,
            scales=scales,
            iterations=iterations,
            optimizer=optimizer,
            learning_rate=learning_rate,
            init=init,
            style_blend_weights=style_blend_weights,
            style_scale=style_scale,
            preserve_colors=preserve_colors,
            color_transfer=color_transfer,
            save_every=save_every,
            save_path=save_path,
            callback=callback,
            max_pixels=max_pixels,
        )
        content, style_scale = args.content, args.style_scale
        monitor = Monitor(
            self.loss, verbose, save_every, save_path, callback, preserve_colors
        )
        rng = np.random.default_rng(seed)
        opt_content, styles = initialization.control_colors(
            content,
            args.styles,
            preserve_colors=preserve_colors,
            color_transfer=args.color_transfer,
        )
        optimizer, learning_rate = args.optimizer, args.learning_rate
        current = None
        for index, (side, steps) in enumerate(zip(args.stages, args.iterations)):
            stage_content, stage_styles = schedule.stage_images(
                opt_content, styles, side, style_scale
            )
            if current is None:
                x0 = initialization.initial_image(
                    args.init, stage_content, stage_styles, preserve_colors, rng
                )
            else:  # coarse-to-fine: start from the upsampled previous result
                x0 = np.clip(
                    image_lib.resize(current, *stage_content.shape[:2]), 0, 255
                )
                x0 = x0[None]
            targets = self._targets(stage_content, stage_styles, args.blend)
            monitor.start_stage(
                index,
                len(args.stages),
                stage_content.shape[:2],
                steps,
                optimizer,
                content,
            )
            current = minimize(
                optimizer,
                self._value_and_grad,
                x0,
                targets,
                steps,
                learning_rate,
                monitor,
            )
            if monitor.stopped:
                break
        return monitor.result(current)

    # --- pieces of `run` ----------------------------------------------------

    def _targets(self, content, styles, blend):
        """Content features and blended style Grams, computed once per scale."""
        content_features = self._features(ops.convert_to_tensor(content[None]))
        content_targets = {
            k: ops.stop_gradient(content_features[k]) for k in self.content_layers
        }
        grams = None
        for weight, style in zip(blend, styles):
            features = self._features(ops.convert_to_tensor(style[None]))
            g = self.loss.style_targets(features)
            if grams is None:
                grams = {k: v * weight for k, v in g.items()}
            else:
                grams = {k: grams[k] + v * weight for k, v in g.items()}
        return content_targets, {k: ops.stop_gradient(v) for k, v in grams.items()}


RunArguments = collections.namedtuple(
    "RunArguments",
    [
        "content",
        "styles",
        "blend",
        "stages",
        "iterations",
        "optimizer",
        "learning_rate",
        "style_scale",
        "color_transfer",
        "init",
    ],
)
RunArguments.__doc__ = """What `check_run_arguments` returns: the loaded `content`
and `styles`, their `blend` weights, the output side (`stages`) and
`iterations` of each scale, and the checked `optimizer`, `learning_rate`,
`style_scale`, `color_transfer` and `init` (a mode name or the loaded image).
"""


def check_run_arguments(
    content,
    style,
    *,
    layers,
    network,
    size,
    scales,
    iterations,
    optimizer,
    learning_rate,
    init,
    style_blend_weights,
    style_scale,
    preserve_colors,
    color_transfer,
    save_every,
    save_path,
    callback,
    max_pixels,
):
    """The arguments of `GatysStyleTransfer.run` checked and the images loaded,
    without a network: `stylize_optimize` calls it before building VGG19,
    which takes seconds, so that a mistake is reported at once.

    Returns:
        A `RunArguments`: the loaded images, the blend weights, the output
        size and iteration count of each scale, and the checked values.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> args = check_run_arguments(
    ...     rng.uniform(0, 255, (48, 64, 3)), rng.uniform(0, 255, (64, 64, 3)),
    ...     layers=("relu4_2",), network="vgg19", size=64, scales=None,
    ...     iterations=5, optimizer="lbfgs", learning_rate=1.0, init="content",
    ...     style_blend_weights=None, style_scale=1.0, preserve_colors=False,
    ...     color_transfer=None, save_every=None, save_path=None, callback=None,
    ...     max_pixels=MAX_PIXELS,
    ... )
    >>> args.stages, args.iterations
    ([64], [5])
    """
    content = image_lib.load_image(content, name="content")
    styles = arguments.load_styles(style)
    blend = arguments.check_blend_weights(style_blend_weights, len(styles))
    stages = schedule.resolve_stages(size, scales)
    stage_iterations = schedule.resolve_iterations(iterations, len(stages))
    optimizer = arguments.check_optimizer(optimizer)
    learning_rate = check_float(learning_rate, "learning_rate", positive=True)
    style_scale = check_float(style_scale, "style_scale", positive=True)
    color_transfer = arguments.check_color_transfer(color_transfer, preserve_colors)
    check_monitoring(save_every, save_path, callback)
    init = initialization.resolve_init(init)
    strides = vgg_tap_strides(network)
    deepest = max(layers, key=strides.get)
    schedule.check_sizes(
        content,
        styles,
        stages,
        style_scale=style_scale,
        max_pixels=check_positive_int(max_pixels, "max_pixels"),
        deepest=(deepest, strides[deepest]),
        received=f"size={size}" if scales is None else f"scales={list(scales)}",
    )
    return RunArguments(
        content,
        styles,
        blend,
        stages,
        stage_iterations,
        optimizer,
        learning_rate,
        style_scale,
        color_transfer,
        init,
    )

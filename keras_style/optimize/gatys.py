"""Optimization-based style transfer (Gatys, Ecker & Bethge).

The stylized picture itself is the variable: its pixels are optimized so that
its VGG19 features match a content photo (`relu4_2`) and the Gram matrices of
one or more style images (`relu1_1` ... `relu5_1`). Slow, but works for any
style without training.
"""

import dataclasses

import numpy as np
from keras import ops

from keras_style import colors, defaults
from keras_style import image as image_lib
from keras_style.features import check_layers, check_vgg_weights, vgg_feature_extractor
from keras_style.losses import PerceptualLoss
from keras_style.optimize import arguments
from keras_style.optimize.gradients import compile_step
from keras_style.optimize.minimizers import (
    minimize_first_order,
    minimize_lbfgs,
    minimize_scipy_lbfgsb,
)
from keras_style.optimize.progress import Monitor

DEFAULT_CONTENT_LAYERS = defaults.GATYS_CONTENT_LAYERS
DEFAULT_STYLE_LAYERS = defaults.GATYS_STYLE_LAYERS
DEFAULT_BORDER = defaults.GATYS_BORDER
MAX_PIXELS = defaults.GATYS_MAX_PIXELS


@dataclasses.dataclass
class StylizeResult:
    """What `stylize_optimize` / `GatysStyleTransfer.run` return.

    Attributes:
        image: the stylized image, float32 numpy array `(H, W, 3)` in 0..255.
        history: one dict per iteration (all scales, in order) with the
            weighted loss terms `"total"`, `"content"`, `"style"` and `"tv"`
            (`total == content + style + tv`), measured at the image the
            iteration started from (Adam) or ended at (L-BFGS).
        evaluations: cumulative count of loss-and-gradient evaluations after
            each iteration (L-BFGS line searches may take more than one).
        stopped_early: `True` when the `callback` returned `False`.
        message: why the last optimization stage stopped.
    """

    image: np.ndarray
    history: list
    evaluations: list
    stopped_early: bool = False
    message: str = ""


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
    tv` with the normalisation of `keras_style.losses` (mean squared feature
    difference; Gram matrices divided by `C*H*W`), the same as
    jcjohnson/neural-style, whose default weights (content 5, style 100) are
    used here. Its total-variation weight 1e-3 applies to a sum over pixels,
    ~100 on this per-pixel mean at 256 px; the default here is 300: with the
    real VGG19 weights (128 px, 100 L-BFGS steps, stata + wave and amber + the
    scream) it halved the coloured single-pixel speckles (pixels > 60 from
    their 3x3 median: 0.82% -> 0.35%, 0.07% -> 0.03%) while the Gram matrices
    moved as far toward the style (within 0.015 of the distance closed) and
    relu4_2 kept its correlation with the photo (0.69, 0.63). See
    benchmarks/README.md, "Gatys quality with real VGG19 weights".

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
    ):
        network = str(network).lower()
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
        if pooling not in ("max", "avg"):
            raise ValueError(
                f"`pooling` must be 'max' or 'avg'. Received: pooling={pooling!r}"
            )
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
        )

    def get_config(self):
        config = self.loss.get_config()
        config.update(
            pooling=self.pooling,
            vgg_weights=self.vgg_weights,
            network=self.network,
            border=self.border,
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
        content = image_lib.load_image(content, name="content")
        styles = arguments.load_styles(style)
        blend = arguments.check_blend_weights(style_blend_weights, len(styles))
        stages = arguments.resolve_stages(size, scales)
        stage_iterations = arguments.resolve_iterations(iterations, len(stages))
        optimizer = arguments.check_optimizer(optimizer)
        learning_rate = arguments.check_positive_float(learning_rate, "learning_rate")
        style_scale = arguments.check_positive_float(style_scale, "style_scale")
        color_transfer = arguments.check_color_transfer(color_transfer)
        if preserve_colors and color_transfer == "histogram":
            raise ValueError(
                "`preserve_colors=True` (luminance-only transfer) and "
                "`color_transfer='histogram'` are alternative ways to keep the "
                "content's colours; pick one. Received: preserve_colors=True, "
                "color_transfer='histogram'"
            )
        if save_every is not None:
            save_every = image_lib.check_positive_int(save_every, "save_every")
            if save_path is None:
                raise ValueError(
                    "`save_every` needs `save_path` to know where to write. "
                    f"Received: save_every={save_every}, save_path=None"
                )
        if callback is not None and not callable(callback):
            raise TypeError(
                f"`callback` must be callable. Received: callback={callback!r}"
            )
        rng = np.random.default_rng(seed)
        init_image = arguments.resolve_init(init)

        # Colour control happens once, at full resolution.
        if color_transfer == "histogram":
            styles = [colors.match_color_histogram(s, content) for s in styles]
        opt_content = content
        if preserve_colors:
            # Luminance-only transfer (Gatys et al. 2017, section 5.1): optimize
            # a grey image against grey content and style whose luminance has the
            # content's mean and spread; the content's chroma is put back at the
            # end (in YIQ space).
            content_y = colors.luminance(content)
            opt_content = colors.gray_image(content_y)
            styles = [
                colors.gray_image(
                    colors.match_luminance_statistics(colors.luminance(s), content_y)
                )
                for s in styles
            ]

        max_pixels = image_lib.check_positive_int(max_pixels, "max_pixels")
        self._check_sizes(
            content, styles, stages, style_scale, size, scales, max_pixels
        )
        monitor = Monitor(
            self.loss, verbose, save_every, save_path, callback, preserve_colors
        )
        current = None
        for index, (side, steps) in enumerate(zip(stages, stage_iterations)):
            height, width = image_lib.scaled_size(*content.shape[:2], side)
            stage_content = image_lib.resize(opt_content, height, width)
            style_side = max(1, round(side * style_scale))
            stage_styles = [
                image_lib.resize_longest_side(s, style_side, name="style_scale")
                for s in styles
            ]
            if current is None:
                x0 = arguments.initial_image(
                    init_image, stage_content, stage_styles, preserve_colors, rng
                )
            else:  # coarse-to-fine: start from the upsampled previous result
                x0 = image_lib.resize(current, height, width)
            x0 = np.clip(np.asarray(x0, np.float32), 0, 255)[None]
            targets = self._targets(stage_content, stage_styles, blend)
            monitor.start_stage(
                index, len(stages), (height, width), steps, optimizer, content
            )
            if optimizer == "lbfgs":
                current = minimize_lbfgs(
                    self._value_and_grad, x0, targets, steps, monitor
                )
            elif optimizer == "lbfgs-b":
                current = minimize_scipy_lbfgsb(
                    self._value_and_grad, x0, targets, steps, monitor
                )
            else:
                current = minimize_first_order(
                    self._value_and_grad,
                    x0,
                    targets,
                    steps,
                    optimizer,
                    learning_rate,
                    monitor,
                )
            if monitor.stopped:
                break
        return StylizeResult(
            image=monitor.display(current),
            history=monitor.history,
            evaluations=monitor.evaluations,
            stopped_early=monitor.stopped,
            message=monitor.message,
        )

    # --- pieces of `run` ----------------------------------------------------

    def _check_sizes(
        self, content, styles, stages, style_scale, size, scales, max_pixels
    ):
        """Clear errors, before any allocation, for images too small to reach
        the deepest VGG tap or too large for `max_pixels`."""
        tap = max(self.loss.layers, key=lambda name: int(name[len("relu")]))
        minimum = 2 ** (int(tap[len("relu")]) - 1)  # a 2x2 pooling per block
        for side in stages:
            shape = image_lib.scaled_size(*content.shape[:2], side)
            arg = f"size={size}" if scales is None else f"scales={list(scales)}"
            _check_pixels(shape, max_pixels, "The output", arg)
            if min(shape) < minimum:
                arg = f"size={size}" if scales is None else f"scales={list(scales)}"
                raise ValueError(
                    f"The output is too small for VGG layer {tap}, which needs at "
                    f"least {minimum} px per side; a {side} px output of this "
                    f"content is {shape[1]}x{shape[0]}. Received: {arg}"
                )
            for style in styles:
                side_s = max(1, round(side * style_scale))
                shape = image_lib.scaled_size(*style.shape[:2], side_s)
                _check_pixels(
                    shape, max_pixels, "A style image", f"style_scale={style_scale}"
                )
                if min(shape) < minimum:
                    raise ValueError(
                        f"A style image is too small for VGG layer {tap} ({minimum} "
                        f"px per side needed, got {shape[1]}x{shape[0]} at output "
                        f"size {side}). Received: style_scale={style_scale}"
                    )

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


def _check_pixels(shape, max_pixels, what, received):
    pixels = shape[0] * shape[1]
    if pixels > max_pixels:
        raise ValueError(
            f"{what} would be {shape[1]}x{shape[0]} = {pixels:,} pixels, over the "
            f"limit of {max_pixels:,} (VGG19 needs ~3 kB per pixel); lower it, or "
            f"raise `max_pixels` (--max-pixels). Received: {received}"
        )


def stylize_optimize(
    content,
    style,
    *,
    size=None,
    scales=None,
    iterations=defaults.GATYS_ITERATIONS,
    optimizer=defaults.GATYS_OPTIMIZER,
    learning_rate=defaults.GATYS_LEARNING_RATE,
    init=defaults.GATYS_INIT,
    content_weight=defaults.GATYS_CONTENT_WEIGHT,
    style_weight=defaults.GATYS_STYLE_WEIGHT,
    tv_weight=defaults.GATYS_TV_WEIGHT,
    style_layer_weights=None,
    content_layers=DEFAULT_CONTENT_LAYERS,
    style_layers=DEFAULT_STYLE_LAYERS,
    style_blend_weights=None,
    style_scale=defaults.GATYS_STYLE_SCALE,
    preserve_colors=False,
    color_transfer=None,
    pooling=defaults.GATYS_POOLING,
    vgg_weights="imagenet",
    seed=None,
    verbose=1,
    save_every=None,
    save_path=None,
    callback=None,
    max_pixels=MAX_PIXELS,
):
    """Stylizes an image by optimizing its pixels (Gatys et al.).

    Starting from the content photo (or noise), the image is optimized so its
    VGG19 `relu4_2` features match the content and the Gram matrices of its
    `relu1_1 ... relu5_1` features match the style image(s).

    Reference: Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style"
    (2015) / "Image Style Transfer Using Convolutional Neural Networks" (CVPR
    2016); colour control and coarse-to-fine from Gatys et al., "Controlling
    Perceptual Factors in Neural Style Transfer" (CVPR 2017).

    Args:
        content: the photo: a path, `PIL.Image` or array (see
            `keras_style.image.load_image`).
        style: a style image, or a list of them to blend.
        size: longest side of the output in pixels (default 512).
        scales: optional coarse-to-fine sizes, e.g. `(256, 512, 1024)`: each
            stage starts from the upsampled result of the previous one and the
            output has the last size. Leave `size` unset or equal to it.
        iterations: optimizer steps per scale (an int, or one per scale).
        optimizer: `"lbfgs"` (default: L-BFGS with one evaluation per
            iteration, as in neural-style; see `lbfgs_minimize`), `"lbfgs-b"`
            (SciPy's L-BFGS-B with a line search: more evaluations and host
            time per iteration), `"adam"`, or a `keras.optimizers.Optimizer`
            instance (copied for each scale).
        learning_rate: Adam step size, in pixel units (0..255).
        init: `"content"`, `"noise"` (uniform, seeded by `seed`), `"style"`
            (the first style image, resized), or an image/path to start from.
        content_weight: weight of the content term.
        style_weight: weight of the style term.
        tv_weight: weight of the total-variation term (0 turns it off).
        style_layer_weights: per-layer style weights (dict or sequence).
        content_layers: VGG taps for content, default `("relu4_2",)`.
        style_layers: VGG taps for style, default `relu1_1 ... relu5_1`.
        style_blend_weights: one weight per style image (normalised to sum
            1); default equal weights.
        style_scale: the style image's longest side relative to the output's.
        preserve_colors: luminance-only transfer: style only the luminance
            and keep the content's colours (YIQ chroma).
        color_transfer: `"histogram"` to recolour the style image(s) to the
            content's palette before optimizing, or `None`/`"none"`.
        pooling: `"max"` or `"avg"` pooling in VGG19.
        vgg_weights: `"imagenet"`, `None` (random; for tests) or a path.
        seed: seed of the noise initialisation.
        verbose: 0 = silent, 1 = a progress bar with the losses per iteration,
            2 = one line per scale.
        save_every: write the current image every this many iterations.
        save_path: where those images go; may hold `{iteration}` and
            `{size}` fields, else `_<iteration>` is added before the suffix.
            Files are written atomically.
        callback: optional `callback(iteration, image, losses)` called after
            every iteration with the current float32 image and the loss dict;
            returning `False` stops the optimization.
        max_pixels: largest output (at any scale) or resized style image, in
            pixels (default `MAX_PIXELS`, 2048x2048); larger requests are an
            error before anything is allocated.

    Returns:
        A `StylizeResult` with `.image` (float32 `(H, W, 3)` in 0..255) and
        `.history` (one loss dict per iteration).

    Example:

    ```python
    result = keras_style.optimize.stylize_optimize(
        "photo.jpg", "starry_night.jpg", size=512, iterations=300
    )
    keras_style.image.save_image(result.image, "stylized.png")
    ```
    """
    # Bad files fail before the (slow) VGG19 network is built.
    content = image_lib.load_image(content, name="content")
    style = arguments.load_styles(style)
    gatys = GatysStyleTransfer(
        content_layers=content_layers,
        style_layers=style_layers,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        style_layer_weights=style_layer_weights,
        pooling=pooling,
        vgg_weights=vgg_weights,
    )
    return gatys.run(
        content,
        style,
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
        seed=seed,
        verbose=verbose,
        save_every=save_every,
        save_path=save_path,
        callback=callback,
        max_pixels=max_pixels,
    )

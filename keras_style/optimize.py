"""Optimization-based style transfer (Gatys, Ecker & Bethge).

The stylized picture itself is the variable: its pixels are optimized so that
its VGG19 features match a content photo (`relu4_2`) and the Gram matrices of
one or more style images (`relu1_1` ... `relu5_1`). Slow, but works for any
style without training.
"""

import collections
import dataclasses
import math
import os
import pathlib

import keras
import numpy as np
from keras import ops

from keras_style import image as image_lib
from keras_style.features import vgg_feature_extractor, vgg_layer_names
from keras_style.losses import PerceptualLoss

OPTIMIZERS = ("lbfgs", "lbfgs-b", "adam")
INITS = ("content", "noise", "style")
COLOR_TRANSFERS = ("none", "histogram")
DEFAULT_CONTENT_LAYERS = ("relu4_2",)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEFAULT_SIZE = 512

# Curvature pairs kept by L-BFGS (`history_size` of torch.optim.LBFGS, `maxcor`
# of SciPy). Each pair holds two image-sized float32 vectors.
LBFGS_HISTORY = 20


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
    used here; its total-variation weight 1e-3 applies to a sum over pixels,
    which is ~100 on this per-pixel mean at 256 px.

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

    Example:

    >>> gatys = GatysStyleTransfer(style_weight=1e3, vgg_weights=None)
    >>> result = gatys.run(content, style, size=64, iterations=5, verbose=0)
    >>> result.image.shape[-1], len(result.history)
    (3, 5)
    """

    def __init__(
        self,
        content_layers=DEFAULT_CONTENT_LAYERS,
        style_layers=DEFAULT_STYLE_LAYERS,
        content_weight=5.0,
        style_weight=100.0,
        tv_weight=100.0,
        style_layer_weights=None,
        pooling="max",
        vgg_weights="imagenet",
        network="vgg19",
    ):
        network = str(network).lower()
        valid = vgg_layer_names(network)
        self.content_layers = _check_layers(content_layers, "content_layers", valid)
        self.style_layers = _check_layers(style_layers, "style_layers", valid)
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
        self.vgg_weights = _check_vgg_weights(vgg_weights)
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
        self._value_and_grad = compile_value_and_grad(
            self.extractor, self.loss, use_tv=self.loss.tv_weight > 0
        )

    def get_config(self):
        config = self.loss.get_config()
        config.update(
            pooling=self.pooling, vgg_weights=self.vgg_weights, network=self.network
        )
        return config

    def run(
        self,
        content,
        style,
        *,
        size=None,
        scales=None,
        iterations=500,
        optimizer="lbfgs",
        learning_rate=10.0,
        init="content",
        style_blend_weights=None,
        style_scale=1.0,
        preserve_colors=False,
        color_transfer=None,
        seed=None,
        verbose=1,
        save_every=None,
        save_path=None,
        callback=None,
    ):
        """Stylizes `content` like `style`. See `stylize_optimize` for the args.

        Returns:
            A `StylizeResult`.
        """
        content = image_lib.load_image(content, name="content")
        styles = _load_styles(style)
        blend = _check_blend_weights(style_blend_weights, len(styles))
        stages = _resolve_stages(size, scales)
        stage_iterations = _resolve_iterations(iterations, len(stages))
        optimizer = _check_optimizer(optimizer)
        learning_rate = _check_positive_float(learning_rate, "learning_rate")
        style_scale = _check_positive_float(style_scale, "style_scale")
        color_transfer = _check_color_transfer(color_transfer)
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
        init_image = _resolve_init(init)

        # Colour control happens once, at full resolution.
        if color_transfer == "histogram":
            styles = [image_lib.match_color_histogram(s, content) for s in styles]
        opt_content = content
        if preserve_colors:
            # Luminance-only transfer (Gatys et al. 2017, section 5.1): optimize
            # a grey image against grey content and style whose luminance has the
            # content's mean and spread; the content's chroma is put back at the
            # end (in YIQ space).
            content_y = image_lib.luminance(content)
            opt_content = _gray(content_y)
            styles = [
                _gray(
                    image_lib.match_luminance_statistics(
                        image_lib.luminance(s), content_y
                    )
                )
                for s in styles
            ]

        self._check_sizes(content, styles, stages, style_scale, size, scales)
        monitor = _Monitor(
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
                x0 = _initial_image(
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
                current = self._minimize_lbfgs(x0, targets, steps, monitor)
            elif optimizer == "lbfgs-b":
                current = self._minimize_scipy_lbfgsb(x0, targets, steps, monitor)
            else:
                current = self._minimize_first_order(
                    x0, targets, steps, optimizer, learning_rate, monitor
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

    def _check_sizes(self, content, styles, stages, style_scale, size, scales):
        """Clear errors for images too small to reach the deepest VGG tap."""
        tap = max(self.loss.layers, key=lambda name: int(name[len("relu")]))
        minimum = 2 ** (int(tap[len("relu")]) - 1)  # a 2x2 pooling per block
        for side in stages:
            shape = image_lib.scaled_size(*content.shape[:2], side)
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
                if min(shape) < minimum:
                    raise ValueError(
                        f"A style image is too small for VGG layer {tap} ({minimum} "
                        f"px per side needed, got {shape[1]}x{shape[0]} at output "
                        f"size {side}). Received: style_scale={style_scale}"
                    )

    def _targets(self, content, styles, blend):
        """Content features and blended style Grams, computed once per scale."""
        content_features = self.extractor(ops.convert_to_tensor(content[None]))
        content_targets = {
            k: ops.stop_gradient(content_features[k]) for k in self.content_layers
        }
        grams = None
        for weight, style in zip(blend, styles):
            features = self.extractor(ops.convert_to_tensor(style[None]))
            g = self.loss.style_targets(features)
            if grams is None:
                grams = {k: v * weight for k, v in g.items()}
            else:
                grams = {k: grams[k] + v * weight for k, v in g.items()}
        return content_targets, {k: ops.stop_gradient(v) for k, v in grams.items()}

    def _minimize_lbfgs(self, x0, targets, iterations, monitor):
        """`lbfgs_minimize` on the flattened pixels, bounded to 0..255."""
        shape = x0.shape

        def fun(x):
            image = ops.convert_to_tensor(x.reshape(shape))
            total, parts, grad = self._value_and_grad(image, *targets)
            monitor.evaluations_so_far += 1
            grad = ops.convert_to_numpy(grad).reshape(-1)
            return float(ops.convert_to_numpy(total)), grad, parts

        def callback(x, parts):
            return monitor.step(parts, lambda: x.reshape(shape[1:]))

        x, message = lbfgs_minimize(fun, x0, iterations, callback=callback)
        if not monitor.stopped:
            monitor.message = message
        return x.reshape(shape[1:])

    def _minimize_scipy_lbfgsb(self, x0, targets, iterations, monitor):
        """SciPy's L-BFGS-B (Wolfe line search, box constraints) on the pixels."""
        # A well-kept reference solver: the line search guarantees descent, at
        # the price of ~1.1-2 evaluations per iteration and, measured on a
        # 2-core CPU, ~130 ms of host time per iteration at 256x256 px (a
        # sixth of a VGG19 evaluation), growing with the pixel count.
        import scipy.optimize

        shape = x0.shape
        last = {}

        def fun(x):
            image = ops.convert_to_tensor(x.reshape(shape).astype(np.float32))
            total, parts, grad = self._value_and_grad(image, *targets)
            last["parts"] = parts
            monitor.evaluations_so_far += 1
            grad = ops.convert_to_numpy(grad).astype(np.float64).ravel()
            return float(ops.convert_to_numpy(total)), grad

        def callback(intermediate_result):
            x = intermediate_result.x
            if not monitor.step(last["parts"], lambda: x.reshape(shape[1:])):
                raise StopIteration

        result = scipy.optimize.minimize(
            fun,
            x0.astype(np.float64).ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(0.0, 255.0),
            callback=callback,
            options={
                "maxiter": iterations,
                "maxfun": 20 * iterations,
                "maxcor": LBFGS_HISTORY,
                # Run the full budget: convergence tests on a loss of ~1e6
                # would stop long before the picture stops changing.
                "ftol": 0.0,
                "gtol": 0.0,
            },
        )
        if not monitor.stopped:
            monitor.message = str(result.message)
        return result.x.reshape(shape[1:]).astype(np.float32)

    def _minimize_first_order(
        self, x0, targets, iterations, optimizer, learning_rate, monitor
    ):
        """A Keras optimizer (Adam by default) on a `keras.Variable` image."""
        if optimizer == "adam":
            opt = keras.optimizers.Adam(learning_rate=learning_rate)
        else:  # a fresh copy per scale: optimizers are built for one variable
            opt = optimizer.__class__.from_config(optimizer.get_config())
        variable = keras.Variable(x0, dtype="float32", name="image")
        for _ in range(iterations):
            total, parts, grad = self._value_and_grad(
                ops.convert_to_tensor(variable), *targets
            )
            monitor.evaluations_so_far += 1
            opt.apply_gradients([(grad, variable)])
            variable.assign(ops.clip(variable, 0.0, 255.0))
            image = lambda: ops.convert_to_numpy(variable)[0]  # noqa: E731
            if not monitor.step(parts, image):
                break
        else:
            monitor.message = "STOP: iteration budget reached"
        return ops.convert_to_numpy(variable)[0]


def stylize_optimize(
    content,
    style,
    *,
    size=None,
    scales=None,
    iterations=500,
    optimizer="lbfgs",
    learning_rate=10.0,
    init="content",
    content_weight=5.0,
    style_weight=100.0,
    tv_weight=100.0,
    style_layer_weights=None,
    content_layers=DEFAULT_CONTENT_LAYERS,
    style_layers=DEFAULT_STYLE_LAYERS,
    style_blend_weights=None,
    style_scale=1.0,
    preserve_colors=False,
    color_transfer=None,
    pooling="max",
    vgg_weights="imagenet",
    seed=None,
    verbose=1,
    save_every=None,
    save_path=None,
    callback=None,
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
    style = _load_styles(style)
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
    )


# --- L-BFGS ------------------------------------------------------------------


def lbfgs_minimize(
    fun,
    x0,
    iterations,
    callback=None,
    history=LBFGS_HISTORY,
    bounds=(0.0, 255.0),
    max_backtracks=5,
):
    """Projected L-BFGS with one function evaluation per iteration.

    The L-BFGS of Torch's `optim.lbfgs` / `torch.optim.LBFGS` without line
    search, the solver of jcjohnson/neural-style: the two-loop direction is
    taken with step 1, then projected onto `bounds` (coordinates held at a
    bound by their gradient are left out of the direction). Should a step
    raise the loss, it is shortened by quadratic interpolation (extra
    evaluations, counted by the caller) and, if that fails too, the memory
    is reset to steepest descent.

    Written here rather than using SciPy's L-BFGS-B (`optimizer="lbfgs-b"`)
    because that solver's bookkeeping costs ~130 ms per iteration at
    256x256 px on a 2-core CPU (a sixth of a VGG19 forward and backward pass)
    plus ~1 s of setup, growing with the pixel count; this loop costs a few
    milliseconds. Measured on random-weight VGG19 problems, it reaches the
    same loss as L-BFGS-B per iteration (or lower), with ~1-1.1 evaluations
    per iteration.

    Args:
        fun: `fun(x) -> (loss, gradient, aux)` for a flat float32 array `x`.
        x0: the starting point (any shape; flattened).
        iterations: the number of steps.
        callback: optional `callback(x, aux) -> bool` after every step;
            `False` stops.
        history: number of curvature pairs kept.
        bounds: `(lower, upper)` for every coordinate, or `None`.
        max_backtracks: step halvings tried when a step raises the loss.

    Returns:
        `(x, message)`: the final flat float32 point and why it stopped.

    Example:

    >>> fun = lambda x: (float(((x - 3) ** 2).sum()), 2 * (x - 3), None)
    >>> x, _ = lbfgs_minimize(fun, np.zeros(4, "float32"), 10, bounds=(0, 2))
    >>> np.round(x, 3)
    array([2., 2., 2., 2.], dtype=float32)
    """
    lower, upper = bounds if bounds is not None else (-np.inf, np.inf)
    x = np.clip(np.asarray(x0, np.float32).reshape(-1), lower, upper)
    f, g, aux = fun(x)
    pairs = collections.deque(maxlen=history)  # (s, y, 1 / y.s)
    gamma = 1.0  # initial inverse-Hessian scale, y.s / y.y of the last pair
    for _ in range(iterations):
        # Pixels held at a bound by their gradient stay out of the step.
        held = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
        g_free = np.where(held, np.float32(0), g) if held.any() else g
        d = _two_loop(g_free, pairs, gamma)
        if held.any():
            d[held] = 0
        slope = float(np.dot(g_free, d))
        if not slope < 0:  # not downhill (round-off): restart
            pairs.clear()
            d = -g_free
            slope = -float(np.dot(g_free, g_free))
        # Without curvature yet, a step of L1 length <= 1, as torch.optim.LBFGS:
        # it measured better than larger first steps (ReLU networks have
        # kinky gradients; a tiny secant step gives a smoother curvature).
        step = 1.0 if pairs else min(1.0, 1.0 / max(float(np.abs(d).sum()), 1e-30))
        for _ in range(max_backtracks + 1):
            x_new = np.clip(x + step * d, lower, upper)
            f_new, g_new, aux_new = fun(x_new)
            # (float32 losses: allow round-off-sized increases)
            if math.isfinite(f_new) and f_new <= f + 1e-6 * abs(f):
                break
            # Backtrack to the minimum of the quadratic through f, the slope
            # and f_new, kept within [0.1, 0.5] of the step (Nocedal & Wright).
            shrink = 0.1
            if math.isfinite(f_new):
                curvature = f_new - f - slope * step
                shrink = min(max(-slope * step / (2 * curvature), 0.1), 0.5)
            step *= shrink
        else:  # no decrease along this direction: forget the curvature
            pairs.clear()
            gamma = 1.0
            if callback is not None and callback(x, aux) is False:
                return x, "STOP: callback"
            continue
        s, y = x_new - x, g_new - g
        ys, yy = float(np.dot(y, s)), float(np.dot(y, y))
        if ys > 1e-10 * math.sqrt(yy * float(np.dot(s, s))) and ys > 0:
            pairs.append((s, y, 1.0 / ys))
            gamma = ys / yy
        x, f, g, aux = x_new, f_new, g_new, aux_new
        if callback is not None and callback(x, aux) is False:
            return x, "STOP: callback"
    return x, "STOP: iteration budget reached"


def _two_loop(g, pairs, gamma):
    """-H g for the L-BFGS inverse-Hessian approximation H."""
    q = -g
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * float(np.dot(s, q))
        q -= alpha * y
        alphas.append(alpha)
    q *= gamma
    for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
        beta = rho * float(np.dot(y, q))
        q += (alpha - beta) * s
    return q


# --- progress, history, snapshots, callback --------------------------------


class _Monitor:
    """Per-iteration bookkeeping shared by all optimizers."""

    def __init__(self, loss, verbose, save_every, save_path, callback, gray):
        self.loss = loss
        self.verbose = verbose
        self.save_every = save_every
        self.save_path = None if save_path is None else str(save_path)
        self.callback = callback
        self.gray = gray
        self.history = []
        self.evaluations = []
        self.evaluations_so_far = 0
        self.iteration = 0
        self.stopped = False
        self.message = ""
        self.progbar = None
        self.content_full = self.content = None
        self.side = self.shape = None
        self.stage_step = 0

    def start_stage(self, index, count, shape, steps, optimizer, content):
        self.side = max(shape)
        self.content_full = content
        self.content = None  # resized lazily, only when an image is shown
        self.shape = shape
        self.stage_step = 0
        self.progbar = None
        if self.verbose:
            name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__
            print(
                f"Scale {index + 1}/{count}: {shape[1]}x{shape[0]} px, "
                f"{steps} iterations ({name})",
                flush=True,
            )
            self.progbar = keras.utils.Progbar(
                steps,
                verbose=self.verbose,
                stateful_metrics=["total", "content", "style", "tv"],
            )

    def display(self, image):
        """The optimization variable as the user sees it (colours restored)."""
        image = np.clip(np.asarray(image, np.float32), 0, 255)
        if not self.gray:
            return image
        if self.content is None:
            self.content = image_lib.resize(self.content_full, *self.shape)
        return image_lib.transfer_luminance(self.content, image)

    def step(self, parts, get_image):
        """Records one iteration; returns False to stop."""
        self.iteration += 1
        weights = (
            self.loss.content_weight,
            self.loss.style_weight,
            self.loss.tv_weight,
        )
        values = [
            float(ops.convert_to_numpy(parts[k])) for k in ("content", "style", "tv")
        ]
        losses = dict(
            zip(("content", "style", "tv"), (w * v for w, v in zip(weights, values)))
        )
        losses = {"total": sum(losses.values()), **losses}
        self.history.append(losses)
        self.evaluations.append(self.evaluations_so_far)
        self.stage_step += 1
        if self.progbar is not None:
            self.progbar.update(self.stage_step, list(losses.items()))
        image = None
        if self.save_every and self.iteration % self.save_every == 0:
            image = self.display(get_image())
            image_lib.save_image(image, self._snapshot_path())
        if self.callback is not None:
            if image is None:
                image = self.display(get_image())
            if self.callback(self.iteration, image, dict(losses)) is False:
                self.stopped = True
                self.message = (
                    f"STOP: callback returned False at iteration {self.iteration}"
                )
                if self.progbar is not None and self.verbose == 1:
                    print(flush=True)
                return False
        return True

    def _snapshot_path(self):
        path = self.save_path
        if "{" not in path:
            p = pathlib.Path(path)
            return p.with_name(f"{p.stem}_{self.iteration:04d}{p.suffix}")
        return pathlib.Path(path.format(iteration=self.iteration, size=self.side))


# --- argument checks -------------------------------------------------------


def _check_layers(layers, name, valid):
    if isinstance(layers, str):
        layers = (layers,)
    try:
        layers = tuple(layers)
    except TypeError:
        raise TypeError(
            f"`{name}` must be a sequence of layer names. Received: {name}={layers!r}"
        ) from None
    if not layers:
        raise ValueError(f"`{name}` must name at least one layer. Received: {name}=()")
    unknown = [x for x in layers if x not in valid]
    if unknown:
        raise ValueError(
            f"`{name}` has unknown layer name(s) {unknown}; valid names: "
            f"{', '.join(valid)}. Received: {name}={list(layers)}"
        )
    return layers


def _check_vgg_weights(weights):
    if weights is None:
        return None
    if isinstance(weights, str) and weights.lower() in ("imagenet", "none"):
        return None if weights.lower() == "none" else "imagenet"
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            "`vgg_weights` must be 'imagenet', None or a path. "
            f"Received: vgg_weights={weights!r}"
        )
    path = pathlib.Path(weights)
    if not path.is_file():
        raise FileNotFoundError(
            f"`vgg_weights` file does not exist. Received: vgg_weights={str(path)!r}"
        )
    return str(path)


def _load_styles(style):
    if isinstance(style, (list, tuple)):
        if not style:
            raise ValueError("`style` needs at least one image. Received: style=[]")
        return [
            image_lib.load_image(s, name=f"style[{i}]") for i, s in enumerate(style)
        ]
    return [image_lib.load_image(style, name="style")]


def _check_blend_weights(weights, count):
    if weights is None:
        return [1.0 / count] * count
    try:
        values = [float(w) for w in weights]
    except (TypeError, ValueError):
        raise TypeError(
            "`style_blend_weights` must be a sequence of numbers. "
            f"Received: style_blend_weights={weights!r}"
        ) from None
    if len(values) != count:
        raise ValueError(
            f"`style_blend_weights` needs one weight per style image ({count}). "
            f"Received: style_blend_weights={list(weights)}"
        )
    if not all(math.isfinite(v) and v >= 0 for v in values) or sum(values) <= 0:
        raise ValueError(
            "`style_blend_weights` must be finite, >= 0 and not all 0. "
            f"Received: style_blend_weights={list(weights)}"
        )
    return [v / sum(values) for v in values]


def _resolve_stages(size, scales):
    if scales is None:
        return [
            DEFAULT_SIZE if size is None else image_lib.check_positive_int(size, "size")
        ]
    if isinstance(scales, (int, np.integer)) and not isinstance(scales, bool):
        scales = [scales]
    try:
        scales = list(scales)
    except TypeError:
        raise TypeError(
            f"`scales` must be a sequence of sizes. Received: scales={scales!r}"
        ) from None
    if not scales:
        raise ValueError(
            f"`scales` must hold at least one size. Received: scales={scales}"
        )
    for s in scales:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0:
            raise ValueError(
                f"`scales` must be positive integers. Received: scales={scales}"
            )
    if size is not None and image_lib.check_positive_int(size, "size") != scales[-1]:
        raise ValueError(
            "`size` must equal the last of `scales` (the output size) or be left "
            f"unset. Received: size={size}, scales={scales}"
        )
    return [int(s) for s in scales]


def _resolve_iterations(iterations, count):
    if isinstance(iterations, (list, tuple)):
        if len(iterations) != count:
            raise ValueError(
                f"`iterations` needs one count per scale ({count}). "
                f"Received: iterations={list(iterations)}"
            )
        return [image_lib.check_positive_int(i, "iterations") for i in iterations]
    return [image_lib.check_positive_int(iterations, "iterations")] * count


def _check_optimizer(optimizer):
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    key = str(optimizer).lower().replace("-", "").replace("_", "")
    names = {"lbfgs": "lbfgs", "lbfgsb": "lbfgs-b", "adam": "adam"}
    if key in names:
        return names[key]
    raise ValueError(
        "`optimizer` must be 'lbfgs', 'lbfgs-b', 'adam' or a "
        "keras.optimizers.Optimizer. "
        f"Received: optimizer={optimizer!r}"
    )


def _check_positive_float(value, name):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        ) from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return number


def _check_color_transfer(value):
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        return None
    if isinstance(value, str) and value.lower() == "histogram":
        return "histogram"
    raise ValueError(
        f"`color_transfer` must be None, 'none' or 'histogram'. "
        f"Received: color_transfer={value!r}"
    )


def _resolve_init(init):
    """A mode name from INITS, or the loaded initial image."""
    if isinstance(init, str) and init.lower() in INITS:
        return init.lower()
    if isinstance(init, (str, os.PathLike)) and not pathlib.Path(init).exists():
        raise ValueError(
            f"`init` must be one of {list(INITS)}, an image or the path of one. "
            f"Received: init={str(init)!r}"
        )
    return image_lib.load_image(init, name="init")


def _initial_image(init, content, styles, gray, rng):
    height, width = content.shape[:2]
    if isinstance(init, np.ndarray):
        image = image_lib.resize(init, height, width)
    elif init == "content":
        return content
    elif init == "style":
        image = image_lib.resize(styles[0], height, width)
    else:  # white noise, as in the paper
        if gray:
            return np.repeat(rng.uniform(0, 255, (height, width, 1)), 3, -1)
        return rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    return _gray(image_lib.luminance(image)) if gray else image


def _gray(luma):
    return np.repeat(np.clip(luma, 0, 255)[..., None], 3, axis=-1).astype(np.float32)


# --- backend-specific value and gradient -----------------------------------
# Everything above is backend-agnostic. The gradient of a loss with respect to
# the *input image* of a frozen model has no Keras API outside `fit` (which
# differentiates trainable weights), so it is written once per backend here,
# compiled where that pays off. Measured on a 2-core CPU against the plain
# PyTorch reference (../shared/bench/peer_torch.py, one VGG19 step at 256 px):
# treating the image as the only weight of a model trained with `fit` took
# 2.3x its time; these functions take 1.0x (TensorFlow, 0.9x at 512 px),
# ~1.15x (JAX) and ~1.2x (PyTorch through Keras layers).


def compile_value_and_grad(model, loss, use_tv=True):
    """A compiled `f(image, content_targets, style_grams) -> (loss, parts, grad)`.

    Args:
        model: the frozen feature extractor (`vgg_feature_extractor`).
        loss: a `PerceptualLoss` reading the extractor's taps.
        use_tv: whether to compute the total-variation term.

    Returns:
        A function of a `(1, H, W, 3)` image tensor and the targets returning
        the weighted total loss, the dict of unweighted parts and the gradient
        of the total with respect to the image (same shape).
    """

    def loss_fn(features, image, content_targets, style_grams):
        return loss(features, content_targets, style_grams, image if use_tv else None)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_value_and_grad(model, loss_fn)
    if backend == "jax":
        return _jax_value_and_grad(model, loss_fn)
    if backend == "torch":
        return _torch_value_and_grad(model, loss_fn)
    raise NotImplementedError(
        f"Gatys optimization needs the TensorFlow, JAX or PyTorch backend. "
        f"Received: backend={backend!r}"
    )


# XLA (jit_compile=True) measured no faster than graph mode here on CPU and
# compiles twice as long, so plain tf.function.
_TF_JIT_COMPILE = False


def _tensorflow_value_and_grad(model, loss_fn):
    import tensorflow as tf

    forward = _tensorflow_vgg_forward(model) or (lambda x: model(x, training=False))

    @tf.function(jit_compile=_TF_JIT_COMPILE, reduce_retracing=True)
    def f(image, content_targets, style_grams):
        # Only the image is watched: no gradients for the VGG kernels.
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            features = forward(image)
            total, parts = loss_fn(features, image, content_targets, style_grams)
        return total, parts, tape.gradient(total, image)

    return f


def _tensorflow_vgg_forward(model):
    """The VGG chain with a faster input gradient for its 3x3 convolutions.

    TensorFlow's CPU `Conv2DBackpropInput` measured 1.4-2.9x slower than a
    forward `Conv2D` of the same size for the 256-64 px layers, which carry
    most of the work (single- and two-thread, 2-core CPU). For a stride-1
    "same" 3x3 convolution the input gradient *is* a forward convolution of
    the output gradient with the kernel rotated by 180 degrees and its
    channels swapped, so each conv+bias+ReLU gets that as a custom gradient
    (and no kernel gradient, which is never needed). Returns `None` when the
    model is not the plain chain `vgg_feature_extractor` builds.
    """
    import tensorflow as tf

    from keras_style.features import CaffePreprocessing

    taps = {}
    for tap, tensor in model.output.items():
        taps.setdefault(tensor._keras_history.operation.name, []).append(tap)
    steps = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if _is_plain_conv3x3_relu(layer) and layer.kernel.shape[2] >= 16:
            kernel = tf.convert_to_tensor(layer.kernel.value)
            # rot180 and in/out channels swapped: (3, 3, out, in)
            flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
            bias = tf.convert_to_tensor(layer.bias.value)
            steps.append((layer.name, (kernel, bias, flipped)))
        # conv1_1 (3 input channels) keeps its native gradient: measured faster.
        elif _is_plain_conv3x3_relu(layer) or isinstance(
            layer,
            (
                CaffePreprocessing,
                keras.layers.MaxPooling2D,
                keras.layers.AveragePooling2D,
            ),
        ):
            steps.append((layer.name, layer))
        else:
            return None

    @tf.custom_gradient
    def conv_relu(x, kernel, bias, flipped):
        y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))

        def grad(dy):
            dz = tf.raw_ops.ReluGrad(gradients=dy, features=y)
            return tf.nn.conv2d(dz, flipped, 1, "SAME"), None, None, None

        return y, grad

    def forward(x):
        features = {}
        for name, step in steps:
            x = conv_relu(x, *step) if isinstance(step, tuple) else step(x)
            for tap in taps.get(name, ()):
                features[tap] = x
        return features

    return forward


def _is_plain_conv3x3_relu(layer):
    return (
        type(layer) is keras.layers.Conv2D
        and tuple(layer.kernel_size) == (3, 3)
        and tuple(layer.strides) == (1, 1)
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.padding == "same"
        and layer.data_format == "channels_last"
        and layer.groups == 1
        and layer.use_bias
        and layer.activation is keras.activations.relu
    )


def _jax_value_and_grad(model, loss_fn):
    import jax

    # The frozen weights are jit arguments (not baked-in constants), so XLA
    # compiles quickly and one compiled function serves every image size.
    weights = [v.value for v in model.non_trainable_variables]
    trainable = [v.value for v in model.trainable_variables]

    def value(image, weights, content_targets, style_grams):
        features, _ = model.stateless_call(trainable, weights, image, training=False)
        return loss_fn(features, image, content_targets, style_grams)

    value_and_grad = jax.jit(jax.value_and_grad(value, has_aux=True))

    def f(image, content_targets, style_grams):
        (total, parts), grad = value_and_grad(
            image, weights, content_targets, style_grams
        )
        return total, parts, grad

    return f


def _torch_value_and_grad(model, loss_fn):
    import torch

    # Plain eager autograd: torch.compile takes minutes to compile VGG19 on a
    # CPU for a few percent at best.
    def f(image, content_targets, style_grams):
        image = image.detach().requires_grad_(True)
        features = model(image, training=False)
        total, parts = loss_fn(features, image, content_targets, style_grams)
        (grad,) = torch.autograd.grad(total, image)
        return total.detach(), {k: v.detach() for k, v in parts.items()}, grad

    return f

"""`stylize_optimize`: Gatys et al.'s transfer in one call (a
`GatysStyleTransfer` built from the arguments, then `run`)."""

from keras_style import defaults
from keras_style.losses.vgg import check_layers
from keras_style.optimize.gatys import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
    MAX_PIXELS,
    GatysStyleTransfer,
    check_run_arguments,
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
    dtype="float32",
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
        dtype: precision of the VGG pass, `"float32"` or `"bfloat16"` (see
            `GatysStyleTransfer`).

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
    # Bad files and arguments fail before the VGG19 network is built (seconds).
    layers = check_layers(content_layers, name="content_layers") + check_layers(
        style_layers, name="style_layers"
    )
    run_arguments = dict(
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
    checked = check_run_arguments(
        content, style, layers=layers, network="vgg19", **run_arguments
    )
    gatys = GatysStyleTransfer(
        content_layers=content_layers,
        style_layers=style_layers,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        style_layer_weights=style_layer_weights,
        pooling=pooling,
        vgg_weights=vgg_weights,
        dtype=dtype,
    )
    run_arguments["init"] = checked.init  # loaded once
    return gatys.run(
        checked.content, checked.styles, seed=seed, verbose=verbose, **run_arguments
    )

"""`keras-style optimize`: Gatys et al. style transfer by optimizing the image.

`add_parser` registers the sub-command and its options (weights, layers,
coarse-to-fine scales, optimizer, colour handling); `run` checks the output
path, calls `keras_style.optimize.stylize_optimize` and writes the image.
Keras and the VGG19 model are only imported inside `run`.
"""

from keras_style import defaults as D
from keras_style.cli.arguments import (
    add_output_options,
    check_output_file,
    comma_list,
    positive_int,
    progress_verbosity,
)
from keras_style.cli.backend import cache_compiled_programs


def _names(values):
    return ",".join(values)


def add_parser(subparsers):
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
        help=f"longest side of the output in pixels (default: {D.GATYS_SIZE}, or "
        "the last of --scales)",
    )
    p.add_argument(
        "--scales",
        type=comma_list(int, "sizes"),
        help="coarse-to-fine sizes, e.g. 256,512,1024; each starts from the "
        "upsampled previous result (default: one scale, --size)",
    )
    p.add_argument(
        "--iterations",
        type=int,
        default=D.GATYS_ITERATIONS,
        help=f"steps per scale (default: {D.GATYS_ITERATIONS})",
    )
    p.add_argument(
        "--optimizer",
        choices=["lbfgs", "lbfgs-b", "adam"],
        default=D.GATYS_OPTIMIZER,
        help="lbfgs: L-BFGS, one evaluation per step; lbfgs-b: SciPy's L-BFGS-B "
        f"with a line search (slower per step); adam (default: {D.GATYS_OPTIMIZER})",
    )
    p.add_argument(
        "--learning-rate",
        type=float,
        default=D.GATYS_LEARNING_RATE,
        help=f"Adam step size in pixel units, 0..255 (default: {D.GATYS_LEARNING_RATE:g})",
    )
    p.add_argument(
        "--content-weight",
        type=float,
        default=D.GATYS_CONTENT_WEIGHT,
        help=f"content weight (default: {D.GATYS_CONTENT_WEIGHT:g})",
    )
    p.add_argument(
        "--style-weight",
        type=float,
        default=D.GATYS_STYLE_WEIGHT,
        help=f"style weight (default: {D.GATYS_STYLE_WEIGHT:g})",
    )
    p.add_argument(
        "--tv-weight",
        type=float,
        default=D.GATYS_TV_WEIGHT,
        help=f"total-variation smoothing weight, 0 = off (default: {D.GATYS_TV_WEIGHT:g})",
    )
    p.add_argument(
        "--style-layer-weights",
        type=comma_list(float, "numbers"),
        help="comma-separated weight per style layer (default: 1 each)",
    )
    p.add_argument(
        "--content-layers",
        type=comma_list(str, "names"),
        default=list(D.GATYS_CONTENT_LAYERS),
        help="comma-separated VGG19 taps for content "
        f"(default: {_names(D.GATYS_CONTENT_LAYERS)})",
    )
    p.add_argument(
        "--style-layers",
        type=comma_list(str, "names"),
        default=list(D.GATYS_STYLE_LAYERS),
        help="comma-separated VGG19 taps for style "
        f"(default: {_names(D.GATYS_STYLE_LAYERS)})",
    )
    p.add_argument(
        "--init",
        default=D.GATYS_INIT,
        metavar="{content,noise,style,PATH}",
        help="starting image: the content, uniform noise, the (first) style, or "
        f"an image file (default: {D.GATYS_INIT})",
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
        default=D.GATYS_STYLE_SCALE,
        help="size of the style image relative to the output "
        f"(default: {D.GATYS_STYLE_SCALE:g})",
    )
    p.add_argument(
        "--style-blend-weights",
        type=comma_list(float, "numbers"),
        help="comma-separated weight per STYLE (default: equal)",
    )
    p.add_argument(
        "--pooling",
        choices=["max", "avg"],
        default=D.GATYS_POOLING,
        help=f"VGG19 pooling; the paper prefers avg (default: {D.GATYS_POOLING})",
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
    p.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="precision of the VGG pass (the image stays float32); bf16 is "
        "faster on CPUs with AVX512-BF16 or AMX and on GPUs (default fp32)",
    )
    p.add_argument("--seed", type=int, help="seed of --init noise (default: random)")
    p.add_argument(
        "--max-pixels",
        type=positive_int,
        default=D.GATYS_MAX_PIXELS,
        help="largest output or resized style image, in pixels; bigger requests "
        f"are refused before any work (default: {D.GATYS_MAX_PIXELS:,}, "
        "~12 GB of VGG19 activations)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="allow -o to replace an input file (refused otherwise)",
    )
    add_output_options(p)
    p.set_defaults(func=run)


def run(args):
    inputs = [args.content, *args.style]
    output = check_output_file(args.output, inputs, overwrite=args.overwrite)
    from keras_style.image import save_image
    from keras_style.optimize import stylize_optimize

    cache_compiled_programs()
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
        verbose=progress_verbosity(args),
        save_every=args.save_every,
        save_path=save_path,
        max_pixels=args.max_pixels,
        dtype="bfloat16" if args.precision == "bf16" else "float32",
    )
    save_image(result.image, output, name="-o")
    if not args.quiet:
        print(f"wrote {output}")
    return 0

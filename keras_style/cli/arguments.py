"""Shared argparse helpers of the `keras-style` sub-commands.

Small `type=` callables that turn an option's text into a checked value and
raise `argparse.ArgumentTypeError` with a one-line message otherwise, and the
output options every sub-command shares (`add_output_options`: `--quiet`,
`--verbose`; `progress_verbosity`: a bar on a terminal, plain lines in a
file). They only use the standard library at import, so every sub-command
module can use them without slowing down `--help`.
"""

import argparse
import sys

from keras_style.utils.checks import check_int, int_requirement


def comma_list(kind, what):
    """argparse type: 'a,b,c' -> [kind(a), kind(b), kind(c)]."""

    def parse(text):
        try:
            values = [kind(x.strip()) for x in text.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {what}, got {text!r}"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected at least one {what[:-1]}")
        return values

    return parse


def positive_int(text):
    return _int_at_least(text, 1)


def non_negative_int(text):
    return _int_at_least(text, 0)


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0.0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be a number >= 0. Received: {text!r}")
    return value


def _int_at_least(text, minimum):
    try:
        return check_int(int(text), "value", minimum=minimum)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"must be {int_requirement(minimum)}. Received: {text!r}"
        ) from None


def add_output_options(parser):
    """Adds `-q/--quiet` and `--verbose` to a sub-command's parser.

    `--quiet` hides progress and informational lines (never errors);
    `--verbose` lets the backend framework's own log lines through (they are
    hidden by default, see `keras_style.cli.main`).
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print no progress or informational lines; errors still show",
    )
    group.add_argument(
        "--verbose",
        action="store_true",
        help="also show the log lines of TensorFlow / XLA (hidden by default)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error instead of one line",
    )


def check_output_file(output, inputs, *, overwrite=False, video=False):
    """Checks `-o FILE` before any work: writable format, not one of the inputs.

    Args:
        output: the `-o` path.
        inputs: paths the command reads; writing over one needs `overwrite`.
        overwrite: the user's `--overwrite`.
        video: check for a video container instead of an image format.

    Returns:
        The output as a `pathlib.Path`.
    """
    import pathlib

    if video:
        from keras_style.video.writer import check_output_path

        output = check_output_path(output, name="-o")[0]
    else:
        from keras_style.image import check_output_path

        output = check_output_path(output, name="-o")[0]
    if not overwrite and output.exists():
        same = [
            str(p) for p in inputs if pathlib.Path(p).exists() and output.samefile(p)
        ]
        if same:
            raise ValueError(
                "-o would overwrite an input; pick another name or pass "
                f"--overwrite. Received: -o={str(output)!r}, input={same[0]!r}"
            )
    return pathlib.Path(output)


def progress_verbosity(args, stream=None):
    """The Keras `verbose` value for a sub-command's progress output.

    0 with `--quiet`; 1 (a progress bar redrawn in place) when `stream`
    (default `sys.stdout`) is a terminal; 2 (plain lines, no carriage
    returns) when it is a file or a pipe, so logs stay small and readable.
    """
    if getattr(args, "quiet", False):
        return 0
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return 1 if isatty is not None and isatty() else 2


def fit_progress(args):
    """`(verbose, callbacks)` for `model.fit`, following `progress_verbosity`.

    A terminal gets the Keras progress bar; a file or a pipe gets
    `keras_style.utils.progbar.ProgressLines` (a line every few seconds: Keras's
    own `verbose=2` prints one per epoch, which can be hours apart).
    """
    verbose = progress_verbosity(args)
    if verbose == 2:
        from keras_style.utils.progbar import ProgressLines

        return 0, [ProgressLines()]
    return verbose, []


def add_painting_options(parser, what):
    """`--style-image` (repeatable), `--style-weights` and `--style-size`, for
    the arbitrary-style network; `what` says what the painting is for."""
    parser.add_argument(
        "--style-image",
        action="append",
        metavar="PAINTING",
        help=f"{what} (Ghiasi et al. 2017); repeat to blend several",
    )
    parser.add_argument(
        "--style-weights",
        type=comma_list(float, "numbers"),
        metavar="W1,W2",
        help="blend weights of the --style-image paintings (default: equal)",
    )
    parser.add_argument(
        "--style-size",
        type=positive_int,
        help="side of the square the painting is scaled to for the style "
        "predictor (default 256)",
    )


def check_painting_weights(args):
    """Refuses `--style-weights` that do not give one weight per painting."""
    if args.style_weights is not None and len(args.style_weights) != len(
        args.style_image or ()
    ):
        raise ValueError(
            "--style-weights needs one weight per --style-image "
            f"({len(args.style_image or ())}). Received: --style-weights "
            + ",".join(map(str, args.style_weights))
        )

"""The `keras-style` command line.

Each sub-command family lives in its own module of this package: `optimize`,
`train`, `stylize`, `zoo` (list, download), `sheet` (every style on one
photo), `convert` (lengstrom, magenta-arbitrary), `export` (SavedModel, ONNX,
LiteRT) and `app` (the web app). Each has `add_parser(subparsers)`, which
registers its arguments and sets `func` to the handler that runs it;
`arguments` holds the shared argparse helpers.
Heavy imports (Keras, the models) happen inside the handlers so `--help`
stays fast. This module builds the parser and runs `main`, which also keeps
the backend framework's C++ log lines out of the output unless asked for
(`backend.py`).
"""

import argparse
import sys

from keras_style.cli import app as app_command
from keras_style.cli import convert as convert_command
from keras_style.cli import export as export_command
from keras_style.cli import optimize as optimize_command
from keras_style.cli import sheet as sheet_command
from keras_style.cli import stylize as stylize_command
from keras_style.cli import train as train_command
from keras_style.cli import zoo as zoo_command
from keras_style.cli.backend import quiet_backend
from keras_style.version import __version__


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-style",
        description="Neural style transfer with Keras 3 (TensorFlow, JAX or PyTorch).",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    optimize_command.add_parser(subparsers)
    train_command.add_parser(subparsers)
    stylize_command.add_parser(subparsers)
    zoo_command.add_parser(subparsers)
    sheet_command.add_parser(subparsers)
    convert_command.add_parser(subparsers)
    export_command.add_parser(subparsers)
    app_command.add_parser(subparsers)
    return parser


def main(argv=None):
    """Runs the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "needs_backend", True):  # stylize decides for itself
        exports = args.command == "export" or getattr(args, "runtime", None) in (
            "onnx",
            "litert",
        )
        quiet_backend(args, exports=exports)
    try:
        return args.func(args) or 0
    except _BAD_INPUT as e:
        # Bad user input: one clear line (exit 2), not a traceback.
        if getattr(args, "debug", False):
            raise
        print(f"keras-style {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the machine, not the input (disk full, ...)
        if getattr(args, "debug", False):
            raise
        print(f"keras-style {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# Errors that mean "the arguments or input files are wrong".
_BAD_INPUT = (
    ValueError,
    TypeError,
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    ImportError,  # a missing optional extra; the message names it
)

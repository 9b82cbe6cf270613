"""The `keras-style` command line.

Each sub-command is declared by an `_add_<name>_parser(subparsers)` function
that registers its arguments and sets `func` to the handler that runs it.
Heavy imports (Keras, the models) happen inside the handlers so `--help`
stays fast.
"""

import argparse
import sys

from keras_style.version import __version__

# === optimize (Gatys) =======================================================


def _add_optimize_parser(subparsers):
    pass


# === train (Johnson) ========================================================


def _add_train_parser(subparsers):
    pass


# === stylize / zoo / convert ================================================


def _add_zoo_parsers(subparsers):
    pass


# === entry point ============================================================


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-style",
        description="Neural style transfer with Keras 3 (TensorFlow, JAX or PyTorch).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_optimize_parser(subparsers)
    _add_train_parser(subparsers)
    _add_zoo_parsers(subparsers)
    return parser


def main(argv=None):
    """Runs the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, FileNotFoundError, IsADirectoryError) as e:
        # Bad user input: one clear line, not a traceback.
        print(f"keras-style {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

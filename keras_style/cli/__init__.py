"""The `keras-style` command line.

Each sub-command family lives in its own module of this package: `optimize`,
`train`, `stylize`, `zoo` (list, download), `sheet` (every style on one
photo), `convert` (lengstrom, magenta-arbitrary) and
`export` (SavedModel, ONNX, LiteRT). Each has `add_parser(subparsers)`, which
registers its arguments and sets `func` to the handler that runs it;
`arguments` holds the shared argparse helpers.
Heavy imports (Keras, the models) happen inside the handlers so `--help`
stays fast. This module builds the parser and runs `main`, which also keeps
the backend framework's C++ log lines out of the output unless asked for.
"""

import argparse
import contextlib
import os
import re
import sys
import tempfile

from keras_style.cli import convert as convert_command
from keras_style.cli import export as export_command
from keras_style.cli import optimize as optimize_command
from keras_style.cli import sheet as sheet_command
from keras_style.cli import stylize as stylize_command
from keras_style.cli import train as train_command
from keras_style.cli import zoo as zoo_command
from keras_style.cli.arguments import progress_verbosity
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
    return parser


# What TensorFlow and XLA write to stderr from C++ (absl format), e.g.
# "I0000 00:00:1796186948.695198    3957 cudart_stub.cc:31] Could not find ...",
# and absl's notice that it writes them before being initialised.
_NATIVE_LOG_LINE = re.compile(
    r"^[IWE]\d{4} [\d:.]+ +\d+ [^ \]]+:\d+\] "
    r"|^WARNING: All log messages before absl::InitializeLog\(\) is called"
)


@contextlib.contextmanager
def _drop_native_log_lines():
    """Filters what C++ code writes to file descriptor 2 inside the block.

    TensorFlow's shared libraries log while they are loaded (before Python
    could configure anything, and regardless of TF_CPP_MIN_LOG_LEVEL), so
    stderr is sent to a temporary file during the import and replayed
    without absl-format lines afterwards. Anything else, Python warnings and
    tracebacks included, is written back unchanged.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no real stderr: nothing to do
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            kept = [
                line
                for line in text.splitlines(keepends=True)
                if not _NATIVE_LOG_LINE.match(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def _quiet_backend(args):
    """Hides the backend framework's C++ logs, unless the user wants them.

    They are kept with `--verbose` or when TF_CPP_MIN_LOG_LEVEL is already
    set (the user's choice wins). Nothing changes once Keras is imported
    (e.g. `main` called from Python): the settings only act at import.
    """
    if "keras" in sys.modules:
        return
    if progress_verbosity(args, sys.stderr) != 1:
        # huggingface_hub's download bars (tqdm, on stderr) redraw with
        # carriage returns; it reads this variable when Keras imports it.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if getattr(args, "verbose", False) or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import keras
    else:
        # 3 hides INFO, WARNING and ERROR lines of TensorFlow and XLA, e.g.
        # the cuInit failure on machines without a GPU; real failures raise.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        with _drop_native_log_lines():
            import keras  # loads the backend framework here
    if keras.backend.backend() == "jax":
        # Before JAX's first computation, which is still to come.
        from keras_style.utils.backend_config import use_eigen_convolutions_on_jax_cpu

        use_eigen_convolutions_on_jax_cpu()


def main(argv=None):
    """Runs the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _quiet_backend(args)
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

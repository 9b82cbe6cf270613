"""Importing the backend framework for a command, without its C++ log lines
(unless `--verbose` or TF_CPP_MIN_LOG_LEVEL asks for them). `main` does it
before most commands; `stylize` only when its network needs Keras (an
exported runtime found in the cache does not).
"""

import contextlib
import importlib.util
import os
import re
import sys
import tempfile

from keras_style.cli.arguments import progress_verbosity

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


def quiet_backend(args, *, exports=False):
    """Hides the backend framework's C++ logs, unless the user wants them.

    They are kept with `--verbose` or when TF_CPP_MIN_LOG_LEVEL is already
    set (the user's choice wins). Nothing changes once Keras is imported
    (e.g. `main` called from Python): the settings only act at import.

    Args:
        args: the parsed command line.
        exports: whether the command may export a network. Keras'
            serialization imports TensorFlow whenever it is installed,
            whatever the backend, so a JAX or PyTorch process that exports
            loads TensorFlow too: here, where its log lines are dropped.
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

            if exports and importlib.util.find_spec("tensorflow") is not None:
                import tensorflow  # noqa: F401
    if keras.backend.backend() == "jax":
        # Before JAX's first computation, which is still to come.
        from keras_style.utils.backend_config import use_eigen_convolutions_on_jax_cpu

        use_eigen_convolutions_on_jax_cpu()


def cache_compiled_programs():
    """Keeps XLA's compiled training and Gatys steps in the keras-style cache
    (`compiled/`), so a rerun with the same shapes starts without compiling
    again (`keras_style.utils.backend_config.use_compilation_cache`)."""
    from keras_style.presets.cache import cache_root
    from keras_style.utils.backend_config import use_compilation_cache

    use_compilation_cache(cache_root() / "compiled")

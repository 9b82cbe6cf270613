"""Process-wide backend settings that make keras-style faster, called explicitly.

Nothing here runs at import. The `keras-style` command line, the benchmarks
and the test suite call `use_eigen_convolutions_on_jax_cpu()`; library users
on JAX's CPU backend can call it themselves before their first computation
(see the README, "Backends and devices").
"""

import importlib.metadata
import os

_YNN_FLAG = "--xla_cpu_experimental_ynn_fusion_type"


def use_eigen_convolutions_on_jax_cpu():
    """Routes XLA:CPU convolutions of jaxlib 0.10 to Eigen instead of YNNPACK.

    jaxlib 0.10 lowers every CPU convolution to a YNNPACK fusion, which was
    4-10x slower than XLA's Eigen convolution for these networks' shapes
    (benchmarks/README.md). Overriding the YNN fusion list with `dot` keeps
    matmuls on YNNPACK and convolutions on Eigen. The flag only concerns
    XLA's CPU backend: GPUs are unaffected.

    Call it with the JAX backend before JAX's first computation: it edits
    `XLA_FLAGS`, which XLA reads when JAX creates its CPU client. It does
    nothing when the user set the flag, for other jaxlib versions (the flag is
    experimental and an unknown flag aborts XLA, so never set it for
    TensorFlow either), or with `KERAS_STYLE_XLA_CPU_CONV=default`.

    Returns:
        True if the flag was added.

    Example:

    >>> import keras
    >>> if keras.backend.backend() == "jax":
    ...     keras_style.utils.backend_config.use_eigen_convolutions_on_jax_cpu()
    """
    if os.environ.get("KERAS_STYLE_XLA_CPU_CONV", "eigen") != "eigen":
        return False
    flags = os.environ.get("XLA_FLAGS", "")
    if _YNN_FLAG in flags:
        return False
    try:
        version = importlib.metadata.version("jaxlib")
    except importlib.metadata.PackageNotFoundError:
        return False
    if not version.startswith("0.10."):
        return False
    os.environ["XLA_FLAGS"] = f"{flags} {_YNN_FLAG}=dot".strip()
    return True


_TF_CACHE_FLAG = "--tf_xla_persistent_cache_directory"


def use_compilation_cache(directory):
    """Keeps XLA's compiled programs in `directory` across processes.

    A training step or a Gatys step is compiled by XLA the first time it
    runs, which takes seconds to tens of seconds on a CPU. With this cache a
    later run that compiles the same program loads it instead. The cache
    only holds programs this machine compiled itself; delete the folder to
    reclaim its space.

    - TensorFlow: adds `--tf_xla_persistent_cache_directory` to
      `TF_XLA_FLAGS`, which TensorFlow reads at its first XLA compilation.
      The weights and style targets are inputs of the step, so any style
      at the same batch, image size and network reuses it.
    - JAX: sets `jax_compilation_cache_dir`. The style targets are
      constants of the jitted step: only the same style reuses it.
    - PyTorch: nothing (no XLA).

    Call it before the first compilation. It does nothing when the user
    already chose a cache (the flag in `TF_XLA_FLAGS`, or JAX's setting),
    with `KERAS_STYLE_COMPILATION_CACHE=off`, or on TensorFlow when the
    folder's path holds whitespace (`TF_XLA_FLAGS` is split on it, and
    TensorFlow aborts on a word it does not know).

    Args:
        directory: folder for the compiled programs (created when needed).

    Returns:
        True if a cache was set.

    Example:

    >>> import pathlib
    >>> folder = pathlib.Path.home() / ".cache" / "keras_style" / "compiled"
    >>> _ = keras_style.utils.backend_config.use_compilation_cache(folder)
    """
    if os.environ.get("KERAS_STYLE_COMPILATION_CACHE", "on") == "off":
        return False
    import keras

    directory = os.fspath(directory)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        flags = os.environ.get("TF_XLA_FLAGS", "")
        if _TF_CACHE_FLAG in flags or any(c.isspace() for c in directory):
            return False
        os.makedirs(directory, exist_ok=True)
        os.environ["TF_XLA_FLAGS"] = f"{flags} {_TF_CACHE_FLAG}={directory}".strip()
        return True
    if backend == "jax":
        import jax

        if jax.config.jax_compilation_cache_dir:
            return False
        os.makedirs(directory, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", directory)
        return True
    return False


def tensorflow_uses_onednn():
    """Whether TensorFlow runs its CPU kernels through oneDNN in this process.

    TensorFlow turns oneDNN on by default on Linux CPUs with AVX512-VNNI,
    AVX512-BF16, AVX-VNNI or AMX (and Arm Neoverse V1), and off elsewhere;
    `TF_ENABLE_ONEDNN_OPTS` overrides both. Its convolutions, forward and
    backward, are then as fast as XLA's or faster, so a train step needs no
    XLA compile; without oneDNN, XLA's were 1.3-1.6x faster per step
    (benchmarks/README.md). False when TensorFlow does not say (its query,
    `IsMklEnabled`, is not public API and could move).

    Example:

    >>> keras_style.utils.backend_config.tensorflow_uses_onednn()  # AVX512-VNNI
    True
    """
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return False
    return bool(getattr(_pywrap_util_port, "IsMklEnabled", lambda: False)())

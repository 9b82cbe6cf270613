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

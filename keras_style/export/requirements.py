"""The optional packages of `keras-style[export]`, checked with a clear error."""

import importlib.util
import sys

EXTRA = 'pip install "keras-style[export]"'

# What each job needs: import name -> pip distribution.
_PACKAGES = {
    "onnx": "onnx",
    "tf2onnx": "tf2onnx",
    "onnxruntime": "onnxruntime",
    "ai_edge_litert": "ai-edge-litert",
}

# Writing a format (LiteRT and SavedModel only need TensorFlow, a core
# dependency) and the extra packages some precisions need.
WRITE = {
    ("onnx", "float32"): ("tf2onnx", "onnx"),
    ("onnx", "float16"): ("tf2onnx", "onnx"),
    ("onnx", "int8"): ("tf2onnx", "onnx", "onnxruntime"),
}
# Running an exported file in its own runtime.
RUN = {"onnx": ("onnxruntime",), "litert": ("ai_edge_litert",), "saved_model": ()}


def installed(name):
    """Whether the module `name` can be imported (found without importing it:
    tf2onnx alone would import TensorFlow)."""
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require(modules, purpose, received):
    """Checks that `modules` are installed; a missing one raises an ImportError
    naming the extra.

    Args:
        modules: import names, e.g. `("tf2onnx", "onnx")`.
        purpose: what needs them, e.g. `"Exporting to ONNX"`.
        received: the argument that asked for it, e.g. `"format='onnx'"`.
    """
    missing = [_PACKAGES.get(name, name) for name in modules if not installed(name)]
    if missing:
        raise ImportError(
            f"{purpose} needs the package(s) {', '.join(missing)} of the "
            f"`export` extra: {EXTRA}. Received: {received}"
        )

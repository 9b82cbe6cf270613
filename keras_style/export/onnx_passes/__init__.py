"""Rewrites of exported ONNX graphs into forms ONNX Runtime runs faster.

tf2onnx translates each TensorFlow op on its own, so shapes that style
networks are full of reach ONNX Runtime in a slow form. Each pass rewrites
one of them into the same function, to float32 rounding:

- `instance_norm`: a dozen element-wise ops per instance norm become one
  `InstanceNormalization`;
- `blocked_convolution`: the 9x9 output convolution to 3 channels runs on
  4x4 pixel blocks, which fill ONNX Runtime's blocked kernels;
- `transposed_convolution`: TensorFlow's "same" transposed convolutions
  compute their output size directly instead of cropping a larger one, as
  one convolution per output parity (sub-pixel form).

`optimize_file`, which the ONNX export runs, checks the result against the
unrewritten graph on two image sizes with ONNX Runtime, and keeps the
unrewritten graph if the two disagree, or if ONNX Runtime is not installed
to check (a file exported without it is correct, only slower).
"""

import warnings

import numpy as np

from keras_style.export.onnx_passes.blocked_convolution import (
    space_to_depth_convolutions,
)
from keras_style.export.onnx_passes.graph import remove_unused
from keras_style.export.onnx_passes.instance_norm import fuse_instance_normalization
from keras_style.export.onnx_passes.transposed_convolution import (
    crop_transposed_convolutions,
    subpixel_transposed_convolutions,
)

# How far (in 0..255 levels) the rewritten graph may drift from the original.
_TOLERANCE = 0.5
# Image sizes of the check: odd and even, and a batch of two.
_CHECK_SHAPES = ((1, 37, 45, 3), (2, 64, 48, 3))


def optimize_file(path, image_input, style_input=None):
    """Rewrites the float32 ONNX file of a style network at `path`.

    Args:
        path: the file, rewritten in place.
        image_input: the name of its NHWC 0..255 image input.
        style_input: the name of its style-vector input, if it has one.

    Returns:
        What `optimize` returns, or None when the file was left as exported
        (the check failed, or onnxruntime is not installed to run it).

    Example (what `formats.write` does after tf2onnx):

    >>> optimize_file("wave.onnx", "image")
    {'instance_normalization': 16, 'space_to_depth': 1, 'transposed_convolution': 2, 'subpixel_convolution': 2}
    """
    import onnx

    from keras_style.export.requirements import installed

    if not installed("onnxruntime"):
        return None
    model = onnx.load(str(path))
    original = model.SerializeToString()
    counts = optimize(model)
    if not any(counts.values()):
        return counts
    onnx.checker.check_model(model)
    optimized = model.SerializeToString()
    drift = _drift(original, optimized, image_input, style_input)
    if drift > _TOLERANCE:
        warnings.warn(
            "The ONNX graph rewrites changed the network's output by "
            f"{drift:.3g} levels; the file is left as exported (slower). "
            "Please report this with your network.",
            stacklevel=2,
        )
        return None
    with open(path, "wb") as f:
        f.write(optimized)
    return counts


def _drift(original, optimized, image_input, style_input):
    """The largest output difference of two serialized graphs of a style
    network on random images (and style blends)."""
    import onnxruntime

    sessions = [
        onnxruntime.InferenceSession(graph, providers=["CPUExecutionProvider"])
        for graph in (original, optimized)
    ]
    rng = np.random.default_rng(0)
    drift = 0.0
    specs = {spec.name: spec for spec in sessions[0].get_inputs()}
    for shape in _CHECK_SHAPES:
        # A file exported with a fixed `input_size` takes only that size.
        shape = [
            fixed if isinstance(fixed, int) else n
            for n, fixed in zip(shape, specs[image_input].shape)
        ]
        feeds = {image_input: rng.uniform(0, 255, shape).astype(np.float32)}
        for spec in specs.values():
            if spec.name == style_input:  # a random blend of the styles
                weights = rng.uniform(0.1, 1, (shape[0], spec.shape[-1]))
                feeds[spec.name] = weights / weights.sum(-1, keepdims=True)
                feeds[spec.name] = feeds[spec.name].astype(np.float32)
        a, b = (session.run(None, feeds)[0] for session in sessions)
        drift = max(drift, float(np.max(np.abs(a - b))))
    return drift


def optimize(model):
    """Applies every pass to the `onnx.ModelProto` `model`, in place.

    Returns:
        A dict: pass name -> how many places it rewrote.

    Example:

    >>> model = onnx.load("magenta26_style7.onnx")
    >>> optimize(model)
    {'instance_normalization': 18, 'space_to_depth': 1, 'transposed_convolution': 0, 'subpixel_convolution': 0}
    """
    counts = {
        "instance_normalization": fuse_instance_normalization(model),
        "space_to_depth": space_to_depth_convolutions(model),
        "transposed_convolution": crop_transposed_convolutions(model),
        # After the crop, which gives them the size this form computes.
        "subpixel_convolution": subpixel_transposed_convolutions(model),
    }
    remove_unused(model.graph)
    return counts

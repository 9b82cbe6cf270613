"""Running an exported file in its own runtime: `load_exported(path)(images)`.

One small class per format with the same call: a float32 NHWC batch of RGB
images in 0..255 in, the stylized batch (same shape) out, as NumPy arrays.
Used by the parity tests, by `Stylizer(runtime=...)` and by benchmarks.
"""

import contextlib
import os
import pathlib

import numpy as np

from keras_style.export import formats, requirements, sidecar


def load_exported(path, format=None, *, threads=None):
    """Loads an exported style network for inference in its own runtime.

    Args:
        path: a `.onnx` file (onnxruntime), a `.tflite` file (the LiteRT
            interpreter of `ai-edge-litert`) or a SavedModel directory
            (TensorFlow).
        format: `"onnx"`, `"litert"` or `"saved_model"`; guessed from `path`
            when `None`.
        threads: CPU threads of the runtime (`None`: its default).

    Returns:
        A callable `model(images) -> images` on float32 NHWC NumPy batches,
        with `format`, `path`, `metadata` (the sidecar) and `style_size`
        attributes. A file exported from a multi-style network takes the
        style too: `model(images, style_weights)`, one row of `style_size`
        weights per image (or one row for all).

    Example:

    >>> model = load_exported("wave.onnx")
    >>> model(np.zeros((1, 300, 451, 3), "float32")).shape
    (1, 300, 451, 3)
    >>> all26 = load_exported("magenta26.onnx")
    >>> all26(photos, np.eye(26)[[7]]).shape   # style 7 for every photo
    (2, 300, 451, 3)
    """
    path = pathlib.Path(path)
    format = formats.resolve_format(format, path)
    if not path.exists():
        raise FileNotFoundError(
            f"No exported model at this path. Received: path={str(path)!r}"
        )
    requirements.require(
        requirements.RUN[format], f"Running a {format} file", f"format={format!r}"
    )
    cls = {"onnx": OnnxModel, "litert": LiteRTModel, "saved_model": SavedModel}
    return cls[format](path, threads=threads)


class _Exported:
    format = None
    # Length of the `style_weights` input, or None (the style is built in).
    style_size = None

    def __init__(self, path, threads=None):
        self.path = pathlib.Path(path)
        self.metadata = sidecar.read_sidecar(path)

    def __call__(self, images, style_weights=None):
        images = np.asarray(images, dtype="float32")
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(
                "Expected a float32 batch of RGB images, shape (batch, height, "
                f"width, 3). Received: images with shape {images.shape}"
            )
        images = np.ascontiguousarray(images)
        if self.style_size is None:
            if style_weights is not None:
                raise ValueError(
                    "This exported network has its style built in and takes "
                    "no style weights. Received: style_weights with shape "
                    f"{np.shape(style_weights)}"
                )
            return self._run(images)
        return self._run(images, self._style_rows(style_weights, len(images)))

    def _style_rows(self, style_weights, batch):
        """`(batch, style_size)` float32 rows from one row or one per image."""
        if style_weights is None:
            raise ValueError(
                f"This exported network takes the style as a second input: "
                f"{self.style_size} weights per image (e.g. one-hot for one "
                "style). Received: style_weights=None"
            )
        rows = np.asarray(style_weights, dtype="float32")
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        if rows.ndim != 2 or rows.shape[1] != self.style_size:
            raise ValueError(
                f"`style_weights` must hold {self.style_size} weights per image. "
                f"Received: style_weights with shape {np.shape(style_weights)}"
            )
        if rows.shape[0] == 1:
            rows = np.repeat(rows, batch, axis=0)
        if rows.shape[0] != batch:
            raise ValueError(
                f"`style_weights` needs one row, or one per image ({batch}). "
                f"Received: style_weights with shape {np.shape(style_weights)}"
            )
        return np.ascontiguousarray(rows)

    def __repr__(self):
        return f"<{type(self).__name__} {str(self.path)!r}>"


class OnnxModel(_Exported):
    format = "onnx"

    def __init__(self, path, threads=None):
        super().__init__(path)
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        inputs = {i.name: i for i in self.session.get_inputs()}
        style = inputs.pop(formats.STYLE_INPUT_NAME, None)
        self.input_name = next(iter(inputs))
        if style is not None:
            self.style_size = int(style.shape[-1])

    def _run(self, images, style_weights=None):
        feed = {self.input_name: images}
        if style_weights is not None:
            feed[formats.STYLE_INPUT_NAME] = style_weights
        return self.session.run(None, feed)[0]


class LiteRTModel(_Exported):
    format = "litert"

    def __init__(self, path, threads=None):
        super().__init__(path)
        from ai_edge_litert.interpreter import Interpreter

        # LiteRT runs on one thread unless told; ONNX Runtime and Keras use
        # every core by default, and so does this.
        threads = threads or len(os.sched_getaffinity(0))
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.style_input = None
        for detail in self.interpreter.get_input_details():
            # Named "serving_default_<input>:0" by the converter.
            if formats.STYLE_INPUT_NAME in detail["name"]:
                self.style_input = detail["index"]
                self.style_size = int(detail["shape_signature"][-1])
            else:
                self.input = detail["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self._shape = None

    def _run(self, images, style_weights=None):
        it = self.interpreter
        if self._shape != images.shape:
            # The file is exported with dynamic sizes; each new shape needs
            # its tensors resized and reallocated.
            it.resize_tensor_input(self.input, images.shape, strict=False)
            if self.style_input is not None:
                it.resize_tensor_input(
                    self.style_input, (len(images), self.style_size), strict=False
                )
            it.allocate_tensors()
            self._shape = images.shape
        it.set_tensor(self.input, images)
        if self.style_input is not None:
            it.set_tensor(self.style_input, style_weights)
        it.invoke()
        return np.array(it.get_tensor(self.output))


class SavedModel(_Exported):
    format = "saved_model"

    def __init__(self, path, threads=None):
        super().__init__(path)
        import tensorflow as tf

        if threads:
            # Once TensorFlow has started it keeps its setting.
            with contextlib.suppress(RuntimeError):
                tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        self.loaded = tf.saved_model.load(str(path))
        self.function = self.loaded.serve
        _, inputs = self.loaded.signatures["serving_default"].structured_input_signature
        if formats.STYLE_INPUT_NAME in inputs:
            self.style_size = int(inputs[formats.STYLE_INPUT_NAME].shape[-1])

    def _run(self, images, style_weights=None):
        if style_weights is not None:
            return np.asarray(self.function([images, style_weights]))
        return np.asarray(self.function(images))

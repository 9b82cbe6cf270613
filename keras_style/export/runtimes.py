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
        with `format`, `path` and `metadata` (the sidecar) attributes.

    Example:

    >>> model = load_exported("wave.onnx")
    >>> model(np.zeros((1, 300, 451, 3), "float32")).shape
    (1, 300, 451, 3)
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

    def __init__(self, path, threads=None):
        self.path = pathlib.Path(path)
        self.metadata = sidecar.read_sidecar(path)

    def __call__(self, images):
        images = np.asarray(images, dtype="float32")
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(
                "Expected a float32 batch of RGB images, shape (batch, height, "
                f"width, 3). Received: images with shape {images.shape}"
            )
        return self._run(np.ascontiguousarray(images))

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
        self.input_name = self.session.get_inputs()[0].name

    def _run(self, images):
        return self.session.run(None, {self.input_name: images})[0]


class LiteRTModel(_Exported):
    format = "litert"

    def __init__(self, path, threads=None):
        super().__init__(path)
        from ai_edge_litert.interpreter import Interpreter

        # LiteRT runs on one thread unless told; ONNX Runtime and Keras use
        # every core by default, and so does this.
        threads = threads or len(os.sched_getaffinity(0))
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self._shape = None

    def _run(self, images):
        it = self.interpreter
        if self._shape != images.shape:
            # The file is exported with dynamic sizes; each new shape needs
            # its tensors resized and reallocated.
            it.resize_tensor_input(self.input, images.shape, strict=False)
            it.allocate_tensors()
            self._shape = images.shape
        it.set_tensor(self.input, images)
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

    def _run(self, images):
        return np.asarray(self.function(images))

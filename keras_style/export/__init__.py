"""Export style networks to SavedModel, ONNX and LiteRT, and run the files.

`export_network(net, path, format, precision=...)` (or `TransformNet.export`)
writes the file and a JSON sidecar (`path + ".json"`: style, licence,
input/output contract); `load_exported(path)` runs it in its own runtime
(TensorFlow, onnxruntime, the LiteRT interpreter). The runtimes come with
the optional extra: `pip install "keras-style[export]"`.

Example:

>>> net = keras_style.TransformNet.from_preset("wave")
>>> net.export("wave.onnx", format="onnx")
>>> keras_style.export.load_exported("wave.onnx")(photos).shape
"""

from keras_style.export.exporter import export_network
from keras_style.export.formats import FORMATS, PRECISIONS
from keras_style.export.runtimes import load_exported
from keras_style.export.sidecar import read_sidecar, sidecar_path

__all__ = [
    "FORMATS",
    "PRECISIONS",
    "export_network",
    "load_exported",
    "read_sidecar",
    "sidecar_path",
]

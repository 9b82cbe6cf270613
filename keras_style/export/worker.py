"""Writes an export under the TensorFlow backend, for the other backends.

`python -m keras_style.export.worker MODULES PRESET_DIR OUT FORMAT PRECISION [H W]`,
started by `keras_style.export.exporter` with `KERAS_BACKEND=tensorflow`:
imports MODULES (comma-separated: where the network's classes are defined
and registered, named by the parent, so export depends on no model), loads
the preset (our own loader, Keras safe mode) and runs `formats.write`. Only the exported file is written; the parent process
writes the sidecar and moves everything into place.
"""

import importlib
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    modules, preset_dir, out, format, precision, *size = argv
    import keras

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("keras_style.export.worker needs KERAS_BACKEND=tensorflow")
    for module in modules.split(","):
        if module.split(".")[0] != "keras_style":
            raise SystemExit(f"{module}: not a keras-style module")
        importlib.import_module(module)  # registers the network's classes
    from keras_style.export.formats import write
    from keras_style.presets.preset_utils import load_preset, preset_class_name

    cls = keras.saving.get_registered_object(
        f"keras_style>{preset_class_name(preset_dir)}"
    )
    if cls is None:
        raise SystemExit(f"{preset_dir}: not a keras-style network preset")
    net = load_preset(cls, preset_dir)
    input_size = tuple(int(n) for n in size) if size else None
    write(net, out, format, precision, input_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())

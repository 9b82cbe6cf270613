"""Calling a style network: the one forward pass every stylizer makes, the
compute dtype, and reading the images a call is given."""

import pathlib
import sys
import weakref

import numpy as np

from keras_style.image import load_image_with_alpha


def is_keras_model(model):
    """Whether `model` is a Keras model (without importing Keras for a value
    that cannot be one)."""
    if "keras" not in sys.modules:
        return False
    import keras

    return isinstance(model, keras.Model)


def run_network(model, batch):
    """One compiled forward pass: float32 `(N, H, W, 3)` in 0..255 to numpy.

    A network may offer a faster pass of its own for the current backend:
    `model.backend_forward()` returning a function of the batch, or `None`
    (`TransformNet` on PyTorch: `torch.nn.functional` calls on channels-last
    tensors). Otherwise, TensorFlow and PyTorch: `predict_on_batch` (a
    `tf.function` with relaxed shapes, run by TF's oneDNN kernels; eager
    under `torch.no_grad`). JAX: a `jax.jit` of `stateless_call`, which takes
    half the CPU time of `predict_on_batch` (that one donates and re-syncs
    the whole model state on every call). Kept as the single inference entry
    point, and measured as such by `benchmarks/run.py infer`.
    """
    import keras  # a Keras model is given: already imported

    backend_forward = getattr(model, "backend_forward", None)
    forward = backend_forward() if backend_forward is not None else None
    if forward is not None:
        out = forward(batch)
    elif keras.backend.backend() == "jax":
        out = _jax_forward(model)(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            batch,
        )
    else:
        out = model.predict_on_batch(batch)
    return to_pixel_range(keras.ops.convert_to_numpy(out))


def to_pixel_range(out):
    """A network's output as float32 clipped to 0..255: in place where numpy
    allows (each output array is fresh and used once), saving a copy of
    every image.

    Example:

    >>> to_pixel_range(np.array([-3.0, 12.5, 300.0]))
    array([  0. ,  12.5, 255. ], dtype=float32)
    """
    out = np.asarray(out, dtype=np.float32)
    if out.flags.writeable:
        return np.clip(out, 0.0, 255.0, out=out)
    return np.clip(out, 0.0, 255.0)


_JAX_FORWARD = weakref.WeakKeyDictionary()  # model -> its jitted forward pass


def _jax_forward(model):
    if model not in _JAX_FORWARD:
        import jax

        # A weak reference: the cached function must not keep its key alive.
        ref = weakref.ref(model)

        def forward(trainable, non_trainable, x):
            return ref().stateless_call(trainable, non_trainable, x, training=False)[0]

        _JAX_FORWARD[model] = jax.jit(forward)
    return _JAX_FORWARD[model]


COMPUTE_DTYPES = ("float32", "bfloat16", "float16")


def with_compute_dtype(model, dtype):
    """`model`, or a copy of it computing in `dtype`.

    Works for any style network whose layers take their dtype policy from
    the model's (`TransformNet`, `StyleTransferNetwork`).

    The copy shares nothing with `model` but the weight values; its Keras
    policy is `mixed_{dtype}` (float32 weights, `dtype` activations), the
    output stays float32.

    Example:

    >>> with_compute_dtype(TransformNet(), "bfloat16").compute_dtype
    'bfloat16'
    """
    if dtype is None or dtype == model.compute_dtype:
        return model
    if dtype not in COMPUTE_DTYPES:
        raise ValueError(
            f"`dtype` must be one of {COMPUTE_DTYPES} or None. Received: dtype={dtype!r}"
        )
    import keras  # a Keras model is given: already imported

    if not keras.saving.get_registered_name(type(model)).startswith("keras_style>"):
        # A foreign model's layers may carry their own dtype policies.
        raise TypeError(
            "`dtype` recasts a keras-style network (TransformNet, "
            "StyleTransferNetwork); for another model, build it under the Keras "
            f"dtype policy you want. Received: model={type(model).__name__}"
        )
    policy = "float32" if dtype == "float32" else f"mixed_{dtype}"
    copy = type(model).from_config({**model.get_config(), "dtype": policy})
    copy.build()
    copy.set_weights(model.get_weights())
    return copy


def load_images(image):
    """`(single, [(rgb, alpha)], names)` of one image or a list of them."""
    single = not isinstance(image, (list, tuple))
    images = [image] if single else list(image)
    if not images:
        raise ValueError("`image` must not be an empty list. Received: image=[]")
    loaded = [
        load_image_with_alpha(img, name="image" if single else f"image[{i}]")
        for i, img in enumerate(images)
    ]
    names = [
        ("image" if single else f"image[{i}]")
        # A file names itself in errors.
        + (f" ({img})" if isinstance(img, (str, pathlib.PurePath)) else "")
        for i, img in enumerate(images)
    ]
    return single, loaded, names

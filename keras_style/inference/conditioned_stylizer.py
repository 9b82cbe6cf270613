"""`ConditionedStylizer`: the engine for networks that take a style vector.

The arbitrary-style (Ghiasi) and multi-style (Dumoulin) networks take
`[photos, style]`, where `style` is a painting's embedding or a row of style
weights. Subclasses turn what the user gives (paintings, style indices) into
that vector; this class runs it over tiles, batches, folders and video,
binds it (`with_style`), bakes it into a single-input network (`bake`) and
runs that in an exported runtime when asked.
"""

import collections
import copy
import hashlib

import numpy as np

from keras_style.inference import network_call
from keras_style.inference.stylizer import Stylizer
from keras_style.models.fixed_style_network import FixedStyleNetwork

# Exported sessions kept per stylizer (each holds the network's memory).
EXPORTED_CACHE_SIZE = 4


class ConditionedStylizer(Stylizer):
    """Base of the stylizers whose network takes `[photos, style vector]`.

    Args:
        model: the preset's model (`ArbitraryStyleNet`, `MultiStyleNet`).
        network: the part that takes `[photos, style vector]` (the model
            itself, or its transfer network).
        dtype: compute dtype of `network` with the Keras runtime.
        runtime: `"keras"`, or `"onnx"` / `"litert"`: each style vector is
            baked into a single-input network (`FixedStyleNetwork`),
            exported once into the cache (keyed by its weights and the
            vector) and run there.
        cache_dir: cache root of the exported runtimes.
        **kwargs: `name`, `metadata`, `preset_dir`, `max_pass_pixels`.
    """

    # Subclasses: the model class of their presets, and the option names of
    # `stylize` that say which style (popped by `_style_from`).
    model_class = None
    style_options = ()

    def __init__(
        self, model, network, *, dtype=None, runtime="keras", cache_dir=None, **kwargs
    ):
        if self.model_class is not None and not isinstance(model, self.model_class):
            raise TypeError(
                f"`model` must be a {self.model_class.__name__}. "
                f"Received: model={type(model).__name__}"
            )
        if runtime == "auto":  # one export per style vector: Keras unless asked
            runtime = "keras"
        if runtime != "keras":
            from keras_style.export.runtime_cache import check_runtime

            check_runtime(runtime)
            if dtype is not None:
                raise ValueError(
                    "`dtype` applies to the Keras runtime; an exported runtime "
                    "keeps the precision it was exported with. "
                    f"Received: dtype={dtype!r}, runtime={runtime!r}"
                )
        super().__init__(model, **kwargs)
        self.runtime = runtime
        self._cache_dir = cache_dir
        self._exported = collections.OrderedDict()  # vector sha256 -> runner
        self._network = network
        self.network = network_call.with_compute_dtype(network, dtype)
        self._style = None  # the vector bound by `with_style`

    def __repr__(self):
        bound = "" if self._style is None else " style=bound"
        runtime = "" if self.runtime == "keras" else f" runtime={self.runtime!r}"
        return f"<{type(self).__name__} name={self.name!r}{bound}{runtime}>"

    # --- what subclasses provide -------------------------------------------

    def style_vector(self, **style):
        """The network's style vector for the options in `style_options`."""
        raise NotImplementedError

    # --- style vectors to networks -------------------------------------------

    def _style_from(self, options):
        """Pops the style options; returns their vector, the bound one, or raises."""
        given = {k: options.pop(k) for k in self.style_options if k in options}
        if any(v is not None for v in given.values()):
            return self.style_vector(**given)
        if self._style is None:
            raise ValueError(self._missing_style_message())
        return self._style

    def _missing_style_message(self):
        return (
            f"{self.name!r} needs a style: pass "
            + " or ".join(f"`{k}=`" for k in self.style_options[:1])
            + " (or bind one with `with_style`). Received: none"
        )

    def with_style(self, *args, **style):
        """A copy of this stylizer bound to a style; see `style_vector`.

        The vector is computed once; `stylize`, `stylize_folder` and
        `stylize_video` of the copy need no style options.
        """
        bound = copy.copy(self)
        bound._style = self.style_vector(*args, **style)
        return bound

    def bake(self, *args, **style):
        """A single-input `FixedStyleNetwork` with the style built in.

        Photo in, stylized photo out, like a `TransformNet`: `export` it to
        ONNX or LiteRT, or `save_to_preset` it for `--style PRESET_DIR`.
        """
        return self._baked(self.style_vector(*args, **style))

    def _baked(self, vector):
        net = FixedStyleNetwork(self._network, name="fixed_style_network")
        net.build()
        net.style.assign(np.asarray(vector, np.float32)[None])
        return net

    def _exported_for(self, vector):
        key = hashlib.sha256(np.asarray(vector, "<f4").tobytes()).hexdigest()
        if key not in self._exported:
            from keras_style.export.runtime_cache import load_runtime

            self._exported[key] = load_runtime(
                self._baked(vector),
                self.runtime,
                cache_dir=self._cache_dir,
                metadata=self.metadata,
            )
            while len(self._exported) > EXPORTED_CACHE_SIZE:
                self._exported.popitem(last=False)
        self._exported.move_to_end(key)
        return self._exported[key]

    def _forward_with(self, vector):
        """A batch function running the network with `vector` as its style."""
        if self.runtime != "keras":
            exported = self._exported_for(vector)
            return lambda batch: network_call.to_pixel_range(exported(batch))
        row = np.asarray(vector, np.float32)[None]

        def forward(batch):
            return network_call.run_network(
                self.network, [batch, np.repeat(row, len(batch), axis=0)]
            )

        return forward

    # --- folders and video: one style for every file and frame ----------------

    def stylize_folder(self, input_dir, output_dir, **kwargs):
        """`Stylizer.stylize_folder` with one style for every file.

        The style options (`style_options`) may be given here; they are
        resolved once.
        """
        bound = self._bind_from(kwargs)
        return Stylizer.stylize_folder(bound, input_dir, output_dir, **kwargs)

    def stylize_video(self, input, output, **kwargs):
        """`Stylizer.stylize_video`; the style vector is computed once per clip."""
        bound = self._bind_from(kwargs)
        return Stylizer.stylize_video(bound, input, output, **kwargs)

    def _bind_from(self, kwargs):
        bound = copy.copy(self)
        bound._style = self._style_from(kwargs)
        return bound

"""How style networks attach to perceptual training, without importing it.

The model modules stay free of training code (inference never loads a VGG):
these mixins only override the `keras.Model` hooks that training goes
through (`compile`, `compute_loss`, `metrics`, `fit` and the compile config)
and import the training code inside them, when perceptual training is
compiled in.

- `PerceptualTrainingMixin`: `TransformNet` (Johnson et al. 2016), one style
  compiled in (`keras_style.training.perceptual`).
- `ArbitraryTrainingMixin`: `ArbitraryStyleNet` (Ghiasi et al. 2017), a
  painting per sample (`keras_style.training.arbitrary`).
"""

import inspect

import keras


def _shuffles_itself(x):
    return (
        isinstance(x, keras.utils.PyDataset)
        or hasattr(x, "element_spec")  # tf.data
        or inspect.isgenerator(x)
        or type(x).__name__ == "DataLoader"  # torch, without importing it
    )


class _PerceptualHooks:
    """The `keras.Model` hooks every perceptual-training mixin shares.

    `compile` of a subclass sets `self._perceptual` to a training task (an
    object with `compute_loss(model, x, y_pred)`, `trackers`, `settings` and
    `get_config()`) or to None for plain Keras training;
    `_compile_arguments_from_config` turns the task's config back into
    `compile` arguments.
    """

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        """The perceptual loss after a perceptual `compile`, else Keras'.

        Perceptual training compares `y_pred = model(x)` with the images in
        `x` themselves: `y` and `sample_weight` are ignored.
        """
        task = getattr(self, "_perceptual", None)
        if task is None:
            return super().compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
            )
        return task.compute_loss(self, x, y_pred)

    def _build_for_training(self):
        """Creates the weights and the optimizer's slots at `compile`, not in
        the first training step: TensorFlow traces a step that creates
        variables a second time (the first step paid its tracing twice)."""
        if getattr(self, "_perceptual", None) is None:
            return
        if not self.built:
            self.build()
        if not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        task = getattr(self, "_perceptual", None)
        metrics = super().metrics
        return metrics + task.trackers if task is not None else metrics

    @property
    def perceptual_config(self):
        """The perceptual-loss settings of the last `compile`, or `None`."""
        task = getattr(self, "_perceptual", None)
        return None if task is None else dict(task.settings)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, with `shuffle=False` by default for datasets.

        Keras' default `shuffle=True` only applies to arrays; for a
        `tf.data.Dataset`, `PyDataset`, generator or torch `DataLoader` (which
        shuffle themselves, as `image_dataset` does) Keras ignores it with a
        warning on every `fit`.
        """
        if "shuffle" not in kwargs and len(args) < 7 and _shuffles_itself(x):
            kwargs["shuffle"] = False
        return super().fit(x, y, *args, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config()
        task = getattr(self, "_perceptual", None)
        if task is not None and config:
            config["perceptual"] = task.get_config()
        return config

    def compile_from_config(self, config):
        config = dict(config)
        perceptual = config.pop("perceptual", None)
        config = keras.saving.deserialize_keras_object(config)
        if perceptual is not None:
            for key in ("loss", "metrics", "weighted_metrics", "loss_weights"):
                config.pop(key, None)
            config.update(self._compile_arguments_from_config(perceptual))
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def _compile_arguments_from_config(self, perceptual):
        raise NotImplementedError


class PerceptualTrainingMixin(_PerceptualHooks):
    """`keras.Model` hooks for perceptual-loss training (Johnson et al. 2016).

    Mixed into `TransformNet` before `keras.Model`; the loss network and the
    losses live in `keras_style.training.perceptual`, imported only by
    `compile(style_image=...)` and `compile_from_config`.
    """

    def compile(self, optimizer="adam", loss=None, *, style_image=None, **kwargs):
        """Configures training; with `style_image`, perceptual-loss training.

        Johnson, Alahi & Fei-Fei (2016): `fit(content_images)` then minimises
        `content_weight·content + style_weight·style + tv_weight·tv` in VGG
        feature space. Without `style_image` this is plain
        `keras.Model.compile` (e.g. a supervised `loss=`).

        Args:
            optimizer: optimizer or its name; `"adam"` is Adam(1e-3) for
                perceptual training, as in the paper.
            loss: a supervised Keras loss; only without `style_image`.
            style_image: path, PIL image or `(H, W, 3)` array in 0..255.
            **kwargs: with `style_image`, the perceptual settings
                (`loss_network`, `content_layers`, `style_layers`,
                `content_weight`, `style_weight`, `tv_weight`,
                `style_layer_weights`, `vgg_weights`, `style_size`; see
                `keras_style.training.perceptual.compile_perceptual`), and in all cases
                `keras.Model.compile` arguments (`jit_compile`, ...).

        Example:

        >>> model = keras_style.TransformNet(residual_blocks=1)
        >>> model.compile(style_image="wave.jpg", vgg_weights=None)
        >>> model.fit(keras_style.image_dataset("photos/", image_size=64),
        ...           steps_per_epoch=10, epochs=1)
        """
        self._perceptual = None
        if style_image is not None:
            from keras_style.training import (
                perceptual as training,
            )  # only when training

            optimizer, kwargs, self._perceptual = training.compile_perceptual(
                self, optimizer, loss, style_image=style_image, **kwargs
            )
            loss = None
        super().compile(optimizer=optimizer, loss=loss, **kwargs)
        self._build_for_training()

    def _compile_arguments_from_config(self, perceptual):
        from keras_style.training import perceptual as training  # only when training

        return training.compile_arguments_from_config(perceptual)


# The settings `ArbitraryTrainingMixin.compile` forwards to Ghiasi training;
# with a supervised `loss` they are refused by name instead of reaching Keras.
_ARBITRARY_SETTINGS = (
    "content_layers",
    "style_layers",
    "content_weight",
    "style_weight",
    "tv_weight",
    "style_layer_weights",
    "loss_network",
    "vgg_weights",
)


class ArbitraryTrainingMixin(_PerceptualHooks):
    """`keras.Model` hooks for Ghiasi et al.'s training of `ArbitraryStyleNet`.

    Mixed into `ArbitraryStyleNet` before `keras.Model`; the loss network and
    the losses live in `keras_style.training.arbitrary`, imported only by
    `compile` and `compile_from_config`.
    """

    def compile(self, optimizer="adam", loss=None, **kwargs):
        """Configures training; without `loss`, Ghiasi et al.'s objective.

        Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a
        real-time, arbitrary neural artistic stylization network" (BMVC
        2017). `fit(x=(photos, paintings))` then stylizes each photo with its
        own painting and minimises `content_weight·content(output, photo) +
        style_weight·style(output, painting) + tv_weight·tv(output)` in VGG
        feature space, training the style predictor and the transfer network
        together (set `net.predictor.trainable = False` to train the transfer
        network only). With `loss`, this is plain `keras.Model.compile` (e.g.
        distilling a teacher with `loss="mse"`).

        Args:
            optimizer: optimizer or its name; `"adam"` is Adam(1e-5), the
                rate Magenta trained the published network with (fit for
                fine-tuning it).
            loss: a supervised Keras loss; None for Ghiasi's objective.
            **kwargs: without `loss`, the loss settings (`content_layers`,
                `style_layers`, `content_weight`, `style_weight`, `tv_weight`,
                `style_layer_weights`, `loss_network`, `vgg_weights`; see
                `keras_style.training.arbitrary.compile_arbitrary`; defaults as
                `TransformNet`'s: VGG19, `relu4_2` content, `relu1_1` to
                `relu5_1` style), and in all cases `keras.Model.compile`
                arguments (`jit_compile`, ...).

        Example:

        >>> net = keras_style.models.arbitrary.ArbitraryStyleNet.from_preset(
        ...     "arbitrary")
        >>> net.compile(optimizer="adam", vgg_weights="imagenet")
        >>> pairs = keras_style.image_pair_dataset(
        ...     "photos/", "paintings/", image_size=256, batch_size=8)
        >>> net.fit(pairs, steps_per_epoch=100, epochs=1)
        """
        self._perceptual = None
        if loss is None:
            from keras_style.training import (
                arbitrary as arbitrary_training,
            )  # only when training

            optimizer, kwargs, self._perceptual = arbitrary_training.compile_arbitrary(
                self, optimizer, **kwargs
            )
        else:
            given = sorted(k for k in _ARBITRARY_SETTINGS if k in kwargs)
            if given:
                raise ValueError(
                    "The perceptual loss settings apply only without `loss` "
                    "(Ghiasi's objective). Received: loss="
                    f"{loss!r}, " + ", ".join(f"{k}={kwargs[k]!r}" for k in given)
                )
        super().compile(optimizer=optimizer, loss=loss, **kwargs)
        self._build_for_training()

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, also for datasets of `(photos, paintings)` pairs.

        Keras reads a dataset element `(a, b)` as `(x, y)`; with Ghiasi's
        objective compiled in, a `tf.data.Dataset` of two image batches is
        read as `x=(photos, paintings)` instead (arrays: pass
        `x=(photos, paintings)`). `shuffle=False` is the default for
        datasets, as for `TransformNet.fit`.
        """
        if getattr(self, "_perceptual", None) is not None:
            from keras_style.training import (
                arbitrary as arbitrary_training,
            )  # loaded by compile

            x = arbitrary_training.pair_inputs(x)
            if kwargs.get("validation_data") is not None:
                kwargs["validation_data"] = arbitrary_training.pair_inputs(
                    kwargs["validation_data"]
                )
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, reading pair datasets as `fit` does."""
        if getattr(self, "_perceptual", None) is not None:
            from keras_style.training import (
                arbitrary as arbitrary_training,
            )  # loaded by compile

            x = arbitrary_training.pair_inputs(x)
        return super().evaluate(x, y, *args, **kwargs)

    def _compile_arguments_from_config(self, perceptual):
        from keras_style.training import (
            arbitrary as arbitrary_training,
        )  # only when training

        return arbitrary_training.compile_arguments_from_config(perceptual)

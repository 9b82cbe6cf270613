"""`PerceptualTrainingMixin`: how `TransformNet` attaches to perceptual training.

The model module stays free of training code (inference never loads a VGG):
this mixin only overrides the `keras.Model` hooks that training goes through
(`compile`, `compute_loss`, `metrics`, `fit` and the compile config) and
imports `keras_style.training` inside them, when a style is compiled in.
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


class PerceptualTrainingMixin:
    """`keras.Model` hooks for perceptual-loss training (Johnson et al. 2016).

    Mixed into `TransformNet` before `keras.Model`; the loss network and the
    losses live in `keras_style.training`, imported only by
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
                `keras_style.training.compile_perceptual`), and in all cases
                `keras.Model.compile` arguments (`jit_compile`, ...).

        Example:

        >>> model = keras_style.TransformNet(residual_blocks=1)
        >>> model.compile(style_image="wave.jpg", vgg_weights=None)
        >>> model.fit(keras_style.image_dataset("photos/", image_size=64),
        ...           steps_per_epoch=10, epochs=1)
        """
        self._perceptual = None
        if style_image is not None:
            from keras_style import training  # only when training

            optimizer, kwargs, self._perceptual = training.compile_perceptual(
                self, optimizer, loss, style_image=style_image, **kwargs
            )
            loss = None
        return super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        """The perceptual loss after `compile(style_image=...)`, else Keras'.

        Perceptual training compares `y_pred = model(x)` with the content
        images `x` themselves: `y` and `sample_weight` are ignored.
        """
        task = getattr(self, "_perceptual", None)
        if task is None:
            return super().compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
            )
        return task.compute_loss(self, x, y_pred)

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
            from keras_style import training  # only when training

            for key in ("loss", "metrics", "weighted_metrics", "loss_weights"):
                config.pop(key, None)
            config.update(training.compile_arguments_from_config(perceptual))
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

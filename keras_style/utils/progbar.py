"""Progress output that suits both terminals and log files.

`keras.utils.Progbar` redraws one line with carriage returns at `verbose=1`
(even when the output is a file) and prints a single line at the end at
`verbose=2`. For long runs written to a log, `Progbar` here also prints a
plain line every `line_interval` seconds at `verbose=2`, and `ProgressLines`
does the same for `model.fit`.
"""

import time

import keras

LINE_INTERVAL = 5.0  # seconds between progress lines in logs


class Progbar(keras.utils.Progbar):
    """`keras.utils.Progbar` whose `verbose=2` mode also prints periodic lines.

    At `verbose=2` a line (`step/target - elapsed - time/step - metrics`, no
    carriage returns) is printed every `line_interval` seconds and at the
    last step; `verbose=0` and `1` behave as in Keras. Metrics are shown as
    given, so pass them all in `stateful_metrics`.

    Args:
        target: total number of steps.
        verbose: 0 (silent), 1 (progress bar), 2 (periodic lines).
        line_interval: seconds between lines at `verbose=2`.
        **kwargs: forwarded to `keras.utils.Progbar`.

    Example:

    >>> from keras_style.utils.progbar import Progbar
    >>> bar = Progbar(100, verbose=2, stateful_metrics=["loss"])
    >>> for step in range(1, 101):
    ...     bar.update(step, [("loss", 1.0 / step)])
    100/100 - 0s - 2us/step - loss: 0.0100
    """

    def __init__(self, target, verbose=1, line_interval=LINE_INTERVAL, **kwargs):
        super().__init__(target, verbose=verbose, **kwargs)
        self.line_interval = line_interval
        self._last_line = time.monotonic()

    def update(self, current, values=None, finalize=None):
        if self.verbose == 2 and not finalize:
            now = time.monotonic()
            if now - self._last_line >= self.line_interval:
                self._last_line = now
                # Keras prints its `verbose=2` line only when finalizing.
                finalize = True
        super().update(current, values, finalize=finalize)


class ProgressLines(keras.callbacks.Callback):
    """Plain progress lines for `model.fit` output written to a log.

    Prints `Epoch i/n` at the start of each epoch, then a line with the step,
    the elapsed time and the logs every `line_interval` seconds and at the
    end of the epoch; no carriage returns. Use with `fit(verbose=0)`, instead
    of the Keras bar (`verbose=1`, one very long line in a file) or
    `verbose=2` (one line per epoch, silent for hours on large data sets).

    Args:
        line_interval: seconds between lines.

    Example:

    >>> from keras_style.utils.progbar import ProgressLines
    >>> model.fit(dataset, epochs=2, verbose=0, callbacks=[ProgressLines()])
    """

    def __init__(self, line_interval=LINE_INTERVAL):
        super().__init__()
        self.line_interval = line_interval
        self._bar = None
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs") or 1
        print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self._bar = None
        self._step = 0

    def _update(self, logs, finalize):
        logs = logs or {}
        if self._bar is None:
            self._bar = Progbar(
                self.params.get("steps"),
                verbose=2,
                line_interval=self.line_interval,
                stateful_metrics=list(logs),  # fit's logs are running means
            )
        self._bar.update(self._step, list(logs.items()), finalize=finalize)

    def on_train_batch_end(self, batch, logs=None):
        self._step = batch + 1
        self._update(logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._update(logs, finalize=True)

"""The training loop behind ``compile``, ``fit``, ``evaluate`` and ``predict``.

One step is five visible parts, the ones a learner writes by hand::

    y_pred, tape = model.forward(x, training=True)                     # forward
    loss, loss_cache = model.loss.forward(y, y_pred, mask=tape.output_mask)
    loss = loss + sum(tape.losses)                                     # added losses
    _, grads = model.backward(model.loss.backward(1.0, loss_cache), tape,
                              need_dx=False)                           # backward
    model.optimizer.apply(grads, model.named_weights(trainable_only=True))
    tape.apply_updates()                                               # state updates

``fit`` repeats it over shuffled mini-batches, keeps running means of the
loss and the metrics (the logs), and calls the callbacks at the edges of
epochs and batches, as Keras 3's ``fit`` does.  Data is one array, a list,
or a dict keyed by input names (``x``) and output names (``y``); it is
lined up with the model's inputs and outputs once, as flat lists of arrays
(``standardize``), and the step runs the executor on those lists
(``model.execute``), the same calls without the packing.
"""
import math

import numpy as np

from .. import metrics as metrics_module
from .. import optimizers
from ..checks import flag, real_number, whole_number
from ..callbacks import CallbackList, History
from ..progress import ProgressBar
from ..utils import generator
from .compile_utils import OutputLosses, OutputMetrics, compile_loss, per_output

DEFAULT_BATCH_SIZE = 32


def batches(n, batch_size, order=None):
    """Index arrays of consecutive batches over ``n`` samples (in ``order`` if given)."""
    order = np.arange(n) if order is None else order
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def take(arrays, index):
    """The rows ``index`` of every array (``None`` stays ``None``)."""
    return [None if a is None else a[index] for a in arrays]


def check_finite(model_name, label, array):
    """Raise unless every value of a floating ``array`` is finite, naming the array
    and the first bad index (integer arrays cannot hold a NaN)."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    value = array[index]
    raise ValueError(f"Model '{model_name}': {label} holds {value} at index "
                     f"{index[0] if len(index) == 1 else index}; fit and evaluate take "
                     f"finite numbers only (a NaN in the data turns every weight into NaN "
                     f"after one step)")


def split_validation(arrays, validation_split):
    """Keras's ``validation_split``: the *last* fraction of the samples, taken
    before any shuffling, becomes the validation data.

    ``arrays`` is a list of lists of arrays (x, y, sample weights); returns
    ``(train, validation)`` in the same layout.
    """
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    n = len(arrays[0][0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0:
        raise ValueError(f"validation_split={validation_split} leaves no samples for "
                         f"training out of {n}")
    return ([take(group, slice(0, split_at)) for group in arrays],
            [take(group, slice(split_at, n)) for group in arrays])


class Trainer:
    """``compile``/``fit``/``evaluate``/``predict`` for a model with ``execute``,
    ``execute_backward``, ``named_weights`` and its inputs' and outputs' names."""

    compiled = False

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None):
        """Choose the optimizer, the loss (one, or one per output), the weights of
        the outputs' losses and the metrics (``weighted_metrics`` are those that
        weigh each sample by the ``sample_weight`` given to ``fit`` or
        ``evaluate``; ``metrics`` do not); see ``compile_utils`` for the rules.

        ``model.loss`` is the loss as a learner calls it (on the outputs'
        structure); the step uses ``compiled_loss``, the same on flat lists.
        """
        names = self.compile_output_names()
        self.optimizer = optimizers.get(optimizer)
        self.loss = compile_loss(loss, loss_weights, names)
        self.compiled_loss = self.loss if isinstance(self.loss, OutputLosses) \
            else OutputLosses([self.loss], [1.0], names)
        self.compiled_metrics = OutputMetrics(metrics, names, self.compiled_loss.losses,
                                              weighted_metrics)
        self.compile_config = {"optimizer": optimizer, "loss": loss,
                               "loss_weights": loss_weights, "metrics": metrics,
                               "weighted_metrics": weighted_metrics}
        self.loss_tracker = metrics_module.Mean(name="loss")
        with_loss = [name for name, loss_k in zip(names, self.compiled_loss.losses) if loss_k]
        self.output_loss_trackers = {  # as Keras: only when there are several losses
            f"{name}_loss": metrics_module.Mean(name=f"{name}_loss")
            for name in (with_loss if len(with_loss) > 1 else [])}
        self.compiled = True

    def compile_output_names(self):
        """The output names (before a Sequential is built: its last layer's name)."""
        if self.built:
            return self.output_names
        return [self.layers[-1].name if self.layers else self.name]

    def require_compiled(self):
        if not self.compiled:
            raise RuntimeError(f"Model '{self.name}': call compile() before training or "
                               f"evaluating")

    # -- the logs ------------------------------------------------------------------------
    @property
    def metrics(self):
        """The running means and metrics behind the logs, in the logs' order."""
        if not self.compiled:
            return []
        return [self.loss_tracker, *self.output_loss_trackers.values(),
                *self.compiled_metrics.metrics]

    def log_directions(self):
        """``{log name: "up" or "down"}``: whether a larger or a smaller value is
        better, as each metric says (``metric.direction``; losses go down), for
        callbacks that watch a log (``EarlyStopping``).  A metric that does not
        say is left out."""
        directions = {"loss": "down", **{name: "down" for name in self.output_loss_trackers}}
        for name, metric in self.compiled_metrics.named_metrics():
            if getattr(metric, "direction", None) in ("up", "down"):
                directions[name] = metric.direction
        return directions

    @property
    def metrics_names(self):
        return list(self.logs())

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def logs(self):
        """``{"loss": ..., "{output}_loss": ..., metrics...}``: the running values."""
        logs = {"loss": float(self.loss_tracker.result())}
        logs.update({name: float(t.result()) for name, t in self.output_loss_trackers.items()})
        logs.update(self.compiled_metrics.result())
        return logs

    def update_logs(self, loss, loss_cache, ys, y_pred, masks, sample_weights):
        """Add one batch's loss, per-output losses and predictions to the logs."""
        batch_size = len(y_pred[0])
        self.loss_tracker.update_state(loss, sample_weight=batch_size)
        for name, tracker in self.output_loss_trackers.items():
            tracker.update_state(loss_cache.output_losses[name], sample_weight=batch_size)
        self.compiled_metrics.update_state(ys, y_pred, masks, sample_weights)

    def returned(self, logs, return_dict):
        """Keras's return value: the dict, or its values (the loss alone if that is all)."""
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- data ------------------------------------------------------------------------------
    def standardize(self, x, y=None, sample_weight=None, finite=True):
        """``(xs, ys, sample_weights)``: lists of arrays lined up with the inputs
        and outputs (inputs cast to their dtypes, ``None`` where nothing is
        given), every array with the same number of samples, at least one.
        With ``finite`` (``fit`` and ``evaluate``), a NaN or an infinity in
        any of them is an error naming the array and its first bad index."""
        xs = self.prepare(x)
        named = [(f"x['{n}']" if len(xs) > 1 else "x", a) for n, a in zip(self.input_names, xs)]
        ys = sws = [None] * len(self.outputs)
        if y is not None:
            if isinstance(y, dict):
                y = {name: y.get(name) for name in self.output_names}
            ys = [None if a is None else np.asarray(a) for a in self.flatten_outputs(y)]
            named += [(f"y['{n}']" if len(ys) > 1 else "y", a)
                      for n, a in zip(self.output_names, ys) if a is not None]
        if sample_weight is not None:
            sws, labelled = self.standardize_sample_weight(sample_weight)
            named += labelled
        scalars = [label for label, a in named if np.ndim(a) == 0]
        if scalars:
            raise ValueError(f"Model '{self.name}': {scalars[0]} must hold one entry per "
                             f"sample, got a single number"
                             + (": to weigh every sample alike, leave sample_weight out"
                                if scalars[0].startswith("sample_weight") else ""))
        counts = {label: len(a) for label, a in named}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{label} has {n}" for label, n in counts.items())
            raise ValueError(f"Model '{self.name}': every array needs the same number of "
                             f"samples, but {listed}")
        if not counts[named[0][0]]:
            raise ValueError(f"Model '{self.name}': no samples: x has 0 rows")
        if finite:
            for label, array in named:
                check_finite(self.name, label, array)
        return xs, ys, sws

    def standardize_sample_weight(self, sample_weight):
        """Sample weights lined up with the outputs, and ``(label, array)`` pairs
        naming them: one array weighs every output; a dict (or a list of
        arrays, one per output) weighs each output on its own."""
        several = isinstance(sample_weight, dict) or (
            len(self.outputs) > 1 and isinstance(sample_weight, (list, tuple))
            and len(sample_weight) == len(self.outputs)
            and all(w is None or np.ndim(w) >= 1 for w in sample_weight))
        if not several:
            weights = np.asarray(sample_weight)
            return [weights] * len(self.outputs), [("sample_weight", weights)]
        sws = [None if a is None else np.asarray(a)
               for a in per_output(sample_weight, self.output_names, "sample_weight",
                                   broadcast=False)]
        return sws, [(f"sample_weight['{n}']", a)
                     for n, a in zip(self.output_names, sws) if a is not None]

    def verbosity(self, verbose):
        """``verbose`` as Keras takes it: 0 (silent), 1 (a progress bar), 2, or
        ``"auto"`` (1); nnlib prints the bar for any of the last three."""
        if verbose == "auto" or (not isinstance(verbose, bool) and verbose in (0, 1, 2)):
            return 1 if verbose == "auto" else verbose
        raise ValueError(f"Model '{self.name}': verbose must be 0, 1, 2 or 'auto', got "
                         f"{verbose!r}")

    def batch_size_of(self, batch_size):
        """``batch_size``, or Keras's default 32 for ``None``; a whole number >= 1."""
        if batch_size is None:
            return DEFAULT_BATCH_SIZE
        return whole_number(f"Model '{self.name}'", "batch_size", batch_size)

    # -- one batch -------------------------------------------------------------------------
    def train_step(self, xs, ys, sample_weights):
        """One step of gradient descent on a batch given as flat lists: the five
        parts of the module docstring.  Returns the batch loss (before the
        step), the predictions, their masks and the loss's cache."""
        y_pred, tape = self.execute(xs, training=True)
        loss, loss_cache = self.compiled_loss.forward(ys, y_pred, sample_weights,
                                                      tape.output_masks)
        loss = loss + sum(tape.losses)
        learning = self.named_weights(trainable_only=True)
        _, grads = self.execute_backward(self.compiled_loss.backward(1.0, loss_cache), tape,
                                         need_dx=False, learning=learning)
        self.optimizer.apply(grads, learning)
        tape.apply_updates()
        return loss, y_pred, tape.output_masks, loss_cache

    def test_step(self, xs, ys, sample_weights):
        """The loss (with the added losses) on a batch in inference mode:
        ``(loss, y_pred, masks, loss_cache)``."""
        y_pred, tape = self.execute(xs, training=False)
        loss, loss_cache = self.compiled_loss.forward(ys, y_pred, sample_weights,
                                                      tape.output_masks)
        return loss + sum(tape.losses), y_pred, tape.output_masks, loss_cache

    def run_batch(self, step, xs, ys, sws):
        loss, y_pred, masks, loss_cache = step(xs, ys, sws)
        self.update_logs(loss, loss_cache, ys, y_pred, masks, sws)

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One gradient step on exactly this batch; returns its logs (computed
        before the step, as Keras does)."""
        self.require_compiled()
        self.reset_metrics()
        self.run_batch(self.train_step, *self.standardize(x, y, sample_weight))
        return self.returned(self.logs(), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The logs of one batch in inference mode."""
        self.require_compiled()
        self.reset_metrics()
        self.run_batch(self.test_step, *self.standardize(x, y, sample_weight))
        return self.returned(self.logs(), return_dict)

    def predict_on_batch(self, x):
        return self.forward(x, training=False)[0]

    # -- whole data sets ---------------------------------------------------------------
    def fit(self, x, y, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, sample_weight=None,
            initial_epoch=0):
        """Train for ``epochs`` passes over ``(x, y)``; returns a ``History``.

        ``validation_split`` keeps the last fraction of the data aside (before
        shuffling); ``validation_data`` is ``(x, y)`` or ``(x, y, sample_weight)``.
        Each epoch's logs get ``val_`` entries from ``evaluate`` on it.  A
        callback stops training by setting ``model.stop_training = True``.
        """
        self.require_compiled()
        owner = f"Model '{self.name}'"
        if y is None:
            raise ValueError(f"{owner}: fit needs targets y for the outputs {self.output_names}")
        verbose = self.verbosity(verbose)
        shuffle = flag(owner, "shuffle", shuffle)
        batch_size = self.batch_size_of(batch_size)
        epochs = whole_number(owner, "epochs", epochs)
        initial_epoch = whole_number(owner, "initial_epoch", initial_epoch, minimum=0)
        if initial_epoch >= epochs:
            raise ValueError(f"{owner}: initial_epoch ({initial_epoch}) must be below epochs "
                             f"({epochs}), the number of the last epoch")
        real_number(owner, "validation_split", validation_split, 0, 1, high_open=True)
        data = list(self.standardize(x, y, sample_weight))
        if validation_split and validation_data is None:
            data, validation_data = split_validation(data, validation_split)
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError(f"{owner}: validation_data must be a tuple (x, y) or "
                                 f"(x, y, sample_weight), got {type(validation_data).__name__}")
            validation_data = self.standardize(*validation_data)
        history = History()
        # History comes last, as in Keras, so it records what other callbacks add to the logs.
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"{owner}: callbacks must be a list of callbacks, got "
                            f"{type(callbacks).__name__}; write callbacks=[...]")
        callbacks = CallbackList([*(callbacks or []), history], model=self)
        self.stop_training = False
        callbacks.on_train_begin()
        n = len(data[0][0])
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            steps = batches(n, batch_size, generator().permutation(n) if shuffle else None)
            bar = ProgressBar(len(steps)) if verbose else None
            for step, index in enumerate(steps):
                callbacks.on_train_batch_begin(step)
                self.run_batch(self.train_step, *(take(group, index) for group in data))
                logs = self.logs()
                callbacks.on_train_batch_end(step, logs)
                if bar and step + 1 < len(steps):
                    bar.update(step + 1, logs)
                if self.stop_training:
                    break
            epoch_logs = self.logs()
            if validation_data is not None:
                val = self.evaluate_arrays(*validation_data, batch_size=batch_size)
                epoch_logs.update({f"val_{key}": value for key, value in val.items()})
            if bar:
                bar.update(len(steps), epoch_logs)
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(epoch_logs)
        self.history = history
        return history

    def evaluate(self, x, y, batch_size=None, verbose=1, sample_weight=None, return_dict=False):
        """The loss (and metrics) over ``(x, y)``, in inference mode.

        Returns the loss alone when there is nothing else, else the list of
        the logs' values, as Keras does (or the dict with ``return_dict``).
        """
        self.require_compiled()
        if y is None:
            raise ValueError(f"Model '{self.name}': evaluate needs targets y for the outputs "
                             f"{self.output_names}")
        verbose = self.verbosity(verbose)
        batch_size = self.batch_size_of(batch_size)
        logs = self.evaluate_arrays(*self.standardize(x, y, sample_weight), batch_size, verbose)
        return self.returned(logs, return_dict)

    def evaluate_arrays(self, xs, ys, sws, batch_size=None, verbose=0):
        """``evaluate`` on data already lined up with the inputs and outputs; the logs."""
        self.reset_metrics()
        steps = batches(len(xs[0]), batch_size or DEFAULT_BATCH_SIZE)
        bar = ProgressBar(len(steps)) if verbose else None
        for step, index in enumerate(steps, 1):
            self.run_batch(self.test_step, take(xs, index), take(ys, index), take(sws, index))
            if bar:
                bar.update(step, self.logs())
        return self.logs()

    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for ``x``, computed batch by batch in inference mode,
        in the outputs' structure.  (Keras shows a progress bar by default; nnlib
        only with ``verbose=1``.)"""
        verbose = self.verbosity(verbose)
        xs, _, _ = self.standardize(x, finite=False)
        steps = batches(len(xs[0]), self.batch_size_of(batch_size))
        bar = ProgressBar(len(steps)) if verbose else None
        parts = []
        for step, index in enumerate(steps, 1):
            parts.append(self.execute(take(xs, index), training=False)[0])
            if bar:
                bar.update(step, {})
        outputs = [np.concatenate(chunks) for chunks in zip(*parts)]
        return self.pack(outputs, self.output_kind, self.output_names)


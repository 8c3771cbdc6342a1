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
(``model.execute``), the same calls without the packing.  A ``PyDataset``
or a generator gives its batches one by one, each lined up the same way:
every kind of data becomes the same iterator of lined-up batches
(``data_adapters``), which is all the loops see.
"""
import math
import warnings

import numpy as np

from .. import metrics as metrics_module
from .. import optimizers
from ..checks import flag, is_whole, real_number, whole_number
from ..callbacks import CallbackList
from ..progress import ProgressBar
from ..serialization import deserialize, serialize
from .compile_utils import OutputLosses, OutputMetrics, compile_loss, per_output
from .data_adapters import (RAN_OUT, ArraySource, DatasetSource, Epochs, GeneratorSource,
                            check_class_weight, class_sample_weights, kind_of, take)

DEFAULT_BATCH_SIZE = 32

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
        names = self.compile_output_names(loss)
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

    def get_compile_config(self):
        """The arguments of ``compile`` as JSON-ready data (the optimizer as it is
        now), ``{}`` before ``compile``; ``compile_from_config`` reads it back."""
        if not self.compiled:
            return {}
        return serialize({**self.compile_config, "optimizer": self.optimizer})

    def compile_from_config(self, config):
        """``compile`` with the arguments ``get_compile_config`` gave."""
        if not isinstance(config, dict):
            raise TypeError(f"Model '{self.name}': compile_from_config takes the dict of "
                            f"get_compile_config(), got {type(config).__name__}")
        self.compile(**deserialize(config))

    def compile_output_names(self, loss=None):
        """The output names (before a Sequential is built: its last layer's name;
        before a subclassed model is built: those ``loss`` implies, until its
        first data shows the outputs and ``compile`` runs again)."""
        if self.built:
            return self.output_names
        if self.subclassed:
            several = isinstance(loss, (list, tuple)) and len(loss) > 1
            return sorted(loss) if isinstance(loss, dict) else \
                [f"output_{i}" for i in range(len(loss))] if several else [self.name]
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

    # -- data sources ----------------------------------------------------------------------
    def line_up(self, caller, x, y=None, sample_weight=None, class_weight=None, kind=None):
        """``standardize`` for ``fit``, ``evaluate`` (targets needed, finite
        numbers only) or ``predict`` (inputs alone), with ``class_weight``
        turned into sample weights; ``kind`` names a PyDataset or generator
        that gave ``(x, y, sample_weight)`` as one of its batches."""
        if caller == "predict":
            return self.standardize(x, finite=False)
        if y is None:
            raise ValueError(f"Model '{self.name}': {caller} needs targets y for the outputs "
                             f"{self.output_names}"
                             + (f"; the {kind} gave a batch without them" if kind else ""))
        return self.with_class_weights(self.standardize(x, y, sample_weight), class_weight)

    def with_class_weights(self, data, class_weight):
        """``(xs, ys, sample_weights)`` with each sample weighing as much as its
        class (``class_weight``, Keras's rule: ``class_sample_weights``)."""
        if class_weight is None:
            return data
        xs, ys, sws = data
        if any(w is not None for w in sws):
            raise ValueError(f"Model '{self.name}': class_weight and sample_weight cannot be "
                             f"given together; fold the class weights into sample_weight")
        return xs, ys, [class_sample_weights(ys[0], class_weight)]

    def source(self, caller, x, y=None, sample_weight=None, batch_size=None, steps=None,
               shuffle=False, class_weight=None):
        """The batches of ``x`` (arrays, a ``PyDataset`` or a generator) for
        ``caller``, as a source of lined-up batches (see ``data_adapters``)."""
        kind = kind_of(x)
        if kind is None:
            data = self.line_up(caller, x, y, sample_weight, class_weight)
            return self.array_source(data, batch_size, steps, shuffle)
        for name, value, held in (("y", y, "the targets"),
                                  ("sample_weight", sample_weight, "the sample weights"),
                                  ("batch_size", batch_size, "their own size")):
            if value is not None:
                raise ValueError(f"Model '{self.name}': {caller} was given x as a {kind}, whose "
                                 f"batches hold {held}: leave {name} out")

        def line_up(*batch):
            return self.line_up(caller, *batch, class_weight=class_weight, kind=kind)
        if kind == "PyDataset":
            return DatasetSource(x, line_up, shuffle)
        if class_weight is not None:
            raise ValueError(f"Model '{self.name}': class_weight does not work with a "
                             f"generator; give sample weights in its batches, "
                             f"(x, y, sample_weight)")
        if shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` "
                          "was provided as a generator. The generator is expected to yield "
                          "already-shuffled data.", stacklevel=3)
        return GeneratorSource(x, line_up)

    def array_source(self, data, batch_size=None, steps=None, shuffle=False):
        """Lined-up arrays in batches of ``batch_size``: by default 32, or
        enough for ``steps`` batches to cover the data, as in Keras."""
        if batch_size is None:
            samples = len(data[0][0])
            batch_size = math.ceil(samples / steps) if steps else DEFAULT_BATCH_SIZE
        batch_size = whole_number(f"Model '{self.name}'", "batch_size", batch_size)
        return ArraySource(data, batch_size, shuffle)

    def validation_source(self, validation_data, batch_size):
        """``validation_data`` as a source: ``(x, y)``, ``(x, y, sample_weight)``,
        a ``PyDataset`` or a generator."""
        if kind_of(validation_data):
            return self.source("fit", validation_data)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(f"Model '{self.name}': validation_data must be a tuple (x, y) or "
                             f"(x, y, sample_weight), a PyDataset or a generator, got "
                             f"{type(validation_data).__name__}")
        return self.source("fit", *validation_data, batch_size=batch_size)

    def callback_list(self, callbacks, add_history=False, **params):
        """``callbacks`` (a list of them, or ``None``) as one ``CallbackList``
        handing out ``params``; ``fit`` adds a ``History``."""
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"Model '{self.name}': callbacks must be a list of callbacks, got "
                            f"{type(callbacks).__name__}; write callbacks=[...]")
        return CallbackList(callbacks, add_history=add_history, model=self, **params)

    # -- whole data sets ---------------------------------------------------------------
    def fit(self, x, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; returns a ``History``.

        The data is ``(x, y)`` arrays (with ``sample_weight`` or
        ``class_weight``, ``{class: weight}``, which weighs each sample by its
        class), or ``x`` alone as a ``PyDataset`` or a generator of batches.
        ``steps_per_epoch`` batches make an epoch (default: one pass over the
        data; a generator needs it for more than one epoch).

        ``validation_split`` keeps the last fraction of the arrays aside (before
        shuffling); ``validation_data`` is ``(x, y)``, ``(x, y, sample_weight)``,
        a ``PyDataset`` or a generator, evaluated in batches of
        ``validation_batch_size`` (default ``batch_size``), ``validation_steps``
        of them (default: all), after the epochs ``validation_freq`` names (every
        that many epochs, or a list of epochs counted from 1).  The epoch's logs
        then get ``val_`` entries.  A callback stops training by setting
        ``model.stop_training = True``.
        """
        self.require_compiled()
        owner = f"Model '{self.name}'"
        params_verbose, verbose = verbose, self.verbosity(verbose)
        shuffle = flag(owner, "shuffle", shuffle)
        epochs = whole_number(owner, "epochs", epochs)
        initial_epoch = whole_number(owner, "initial_epoch", initial_epoch, minimum=0)
        if initial_epoch >= epochs:
            raise ValueError(f"{owner}: initial_epoch ({initial_epoch}) must be below epochs "
                             f"({epochs}), the number of the last epoch")
        real_number(owner, "validation_split", validation_split, 0, 1, high_open=True)
        steps_per_epoch, validation_steps = (
            None if steps is None else whole_number(owner, name, steps)
            for name, steps in (("steps_per_epoch", steps_per_epoch),
                                ("validation_steps", validation_steps)))
        validates = self.validation_epochs(validation_freq)
        if class_weight is not None:
            check_class_weight(owner, class_weight, len(self.outputs))
        if validation_batch_size is not None and kind_of(validation_data):
            raise ValueError(f"{owner}: validation_data is a {kind_of(validation_data)}, whose "
                             f"batches hold their own size: leave validation_batch_size out")
        validation_batch_size = validation_batch_size or batch_size
        if validation_split and validation_data is None:
            if kind_of(x):
                raise ValueError(f"{owner}: validation_split works on arrays only, not on a "
                                 f"{kind_of(x)}; pass validation_data")
            train, held_out = split_validation(self.line_up("fit", x, y, sample_weight),
                                               validation_split)
            source = self.array_source(self.with_class_weights(train, class_weight),
                                       batch_size, steps_per_epoch, shuffle)
            validation = self.array_source(held_out, validation_batch_size, validation_steps)
        else:
            source = self.source("fit", x, y, sample_weight, batch_size, steps_per_epoch,
                                 shuffle, class_weight)
            validation = None if validation_data is None else \
                self.validation_source(validation_data, validation_batch_size)
        data = Epochs(source, steps_per_epoch)
        validation = None if validation is None else Epochs(validation, validation_steps)
        # History comes last, as in Keras, so it records what other callbacks add to the
        # logs; it becomes model.history.
        callbacks = self.callback_list(callbacks, add_history=True, verbose=params_verbose,
                                       epochs=epochs, steps=data.num_batches)
        self.stop_training = False
        callbacks.on_train_begin()
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            if data.exhausted():
                warnings.warn(RAN_OUT, stacklevel=2)
                break
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = ProgressBar(data.num_batches) if verbose else None
            for step, batch in data:
                callbacks.on_train_batch_begin(step)
                self.run_batch(self.train_step, *batch)
                logs = self.logs()
                callbacks.on_train_batch_end(step, logs)
                if bar:
                    bar.update(step + 1, logs)
                if self.stop_training:
                    break
            epoch_logs = self.logs()
            if validation is not None and validates(epoch):
                val = self.run_evaluation(validation, callbacks)
                epoch_logs.update({f"val_{key}": value for key, value in val.items()})
            if bar:
                bar.finish(epoch_logs)
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(epoch_logs)
        return self.history

    def validation_epochs(self, validation_freq):
        """Keras's ``validation_freq`` as a test of the epoch (counted from 0):
        every ``validation_freq`` epochs, or the epochs (from 1) of a list."""
        owner = f"Model '{self.name}'"
        if isinstance(validation_freq, (list, tuple)):
            if not all(is_whole(n, 1) for n in validation_freq):
                raise ValueError(f"{owner}: validation_freq as a list names epochs counted "
                                 f"from 1, got {validation_freq!r}")
            return lambda epoch: epoch + 1 in validation_freq
        every = whole_number(owner, "validation_freq (a number of epochs, or a list of epochs)",
                             validation_freq)
        return lambda epoch: (epoch + 1) % every == 0

    def evaluate(self, x, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss (and metrics) over ``(x, y)``, or over a ``PyDataset`` or a
        generator's batches (``steps`` of them if given), in inference mode.

        Returns the loss alone when there is nothing else, else the list of
        the logs' values, as Keras does (or the dict with ``return_dict``).
        """
        self.require_compiled()
        params_verbose, verbose = verbose, self.verbosity(verbose)
        if steps is not None:
            steps = whole_number(f"Model '{self.name}'", "steps", steps)
        data = Epochs(self.source("evaluate", x, y, sample_weight, batch_size, steps), steps)
        callbacks = self.callback_list(callbacks, verbose=params_verbose, epochs=1,
                                       steps=data.num_batches)
        logs = self.run_evaluation(data, callbacks, verbose)
        return self.returned(logs, return_dict)

    def run_evaluation(self, data, callbacks, verbose=0):
        """One pass of test steps over ``data`` (``Epochs``), between the test
        hooks; the logs (``{}`` if there was no batch).  A callback stops it
        early by setting ``model.stop_evaluating = True``."""
        self.reset_metrics()
        self.stop_evaluating = False
        bar = ProgressBar(data.num_batches) if verbose else None
        callbacks.on_test_begin()
        logs = {}
        for step, batch in data:
            callbacks.on_test_batch_begin(step)
            self.run_batch(self.test_step, *batch)
            logs = self.logs()
            callbacks.on_test_batch_end(step, logs)
            if bar:
                bar.update(step + 1, logs)
            if self.stop_evaluating:
                break
        if bar:
            bar.finish(logs)
        callbacks.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """The model's outputs for ``x`` (arrays, or a ``PyDataset`` or a
        generator whose batches' inputs are used), computed batch by batch in
        inference mode, in the outputs' structure.  (Keras shows a progress bar
        by default; nnlib only with ``verbose=1``.)  A callback stops it early
        by setting ``model.stop_predicting = True``."""
        params_verbose, verbose = verbose, self.verbosity(verbose)
        if steps is not None:
            steps = whole_number(f"Model '{self.name}'", "steps", steps)
        data = Epochs(self.source("predict", x, batch_size=batch_size, steps=steps), steps)
        callbacks = self.callback_list(callbacks, verbose=params_verbose, epochs=1,
                                       steps=data.num_batches)
        self.stop_predicting = False
        bar = ProgressBar(data.num_batches) if verbose else None
        callbacks.on_predict_begin()
        parts = []
        for step, (xs, _, _) in data:
            callbacks.on_predict_batch_begin(step)
            parts.append(self.execute(xs, training=False)[0])
            callbacks.on_predict_batch_end(step, {"outputs": self.packed(parts[-1])})
            if bar:
                bar.update(step + 1, {})
            if self.stop_predicting:
                break
        if bar:
            bar.finish({})
        callbacks.on_predict_end()
        return self.packed([np.concatenate(chunks) for chunks in zip(*parts)])

    def packed(self, outputs):
        """A flat list of output arrays in the outputs' structure."""
        return self.pack(outputs, self.output_kind, self.output_names)

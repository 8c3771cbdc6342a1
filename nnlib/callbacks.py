"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` call at the edges
of training, epochs and batches.

They call, in this order (Keras 3's)::

    fit:
    on_train_begin(logs)
      on_epoch_begin(epoch, logs)
        on_train_batch_begin(batch, logs)   # each batch; Callback's default
        on_train_batch_end(batch, logs)     #   calls on_batch_begin / on_batch_end
        on_test_begin(logs)                 # validation, on the epochs that have it:
          on_test_batch_begin(batch, logs)  #   the evaluate calls below
          on_test_batch_end(batch, logs)
        on_test_end(logs)
      on_epoch_end(epoch, logs)             # the epoch's means and the val_ entries
    on_train_end(logs)                      # the last epoch's logs

    evaluate:                               predict:
    on_test_begin(logs)                     on_predict_begin(logs)
      on_test_batch_begin(batch, logs)        on_predict_batch_begin(batch, logs)
      on_test_batch_end(batch, logs)          on_predict_batch_end(batch, logs)
    on_test_end(logs)                       on_predict_end(logs)

``logs`` is always a dict: empty for the begin hooks; the running means of
the loss and the metrics after a train or test batch; ``{"outputs": ...}``
(the batch's predictions) after a predict batch.  The callbacks of one call
share one copy of the logs, so a callback can add an entry for the next ones
(``History`` comes last and records it).

Write your own by subclassing ``Callback`` and overriding any hook (or with
``LambdaCallback``).  Before the first hook, ``self.model`` is the model and
``self.params`` is ``{"verbose": ..., "epochs": ..., "steps": ...}``
(``steps``: batches per epoch, ``None`` when unknown).  A callback stops
training by setting ``self.model.stop_training = True``: ``fit`` checks it
after every batch and every epoch (``TerminateOnNaN`` does so when the loss
stops being a number); ``model.stop_evaluating`` and ``model.stop_predicting``
do the same for ``evaluate`` and ``predict``.
"""
import csv
import math
import os
import warnings

from .checks import flag, one_of, real_number, whole_number
from .saving import MODEL_SUFFIXES, WEIGHTS_SUFFIXES

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
         "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
         "on_predict_batch_end")


class Callback:
    """Override any of the hooks; ``self.model`` and ``self.params`` are set
    before the first one is called."""

    model = None
    params = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Keras's older name for ``on_train_batch_begin``, which calls it."""

    def on_batch_end(self, batch, logs=None):
        """Keras's older name for ``on_train_batch_end``, which calls it."""

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Several callbacks called as one, in order (what ``fit``, ``evaluate`` and
    ``predict`` hold): ``callbacks.on_epoch_end(epoch, logs)`` calls every
    callback's ``on_epoch_end`` with one copy of ``logs`` (``{}`` for ``None``).

    As Keras's: ``add_history`` appends a ``History`` (unless the list holds
    one) and makes it ``model.history``; ``params`` (``verbose``, ``epochs``,
    ``steps``) are handed to every callback.  nnlib's loops print their own
    progress, so there is no progress-bar callback to add (``add_progbar``).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        self.callbacks = list(callbacks or [])
        if flag("CallbackList", "add_progbar", add_progbar):
            raise ValueError("CallbackList: add_progbar=True has no nnlib equivalent: fit, "
                             "evaluate and predict print their progress with verbose=1")
        histories = [c for c in self.callbacks if isinstance(c, History)]
        if flag("CallbackList", "add_history", add_history) and not histories:
            histories.append(History())
            self.callbacks.append(histories[0])
        self.params = params
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"CallbackList: callbacks must be a list of Callback "
                                f"instances, got {callback!r} in it")
            if model is not None:
                callback.set_model(model)
            callback.set_params(params)
        if model is not None and add_history:
            model.history = histories[0]

    def __getattr__(self, hook):
        if hook not in HOOKS:
            raise AttributeError(hook)
        numbered = "epoch" in hook or "batch" in hook  # takes the epoch or batch number

        def call(*args, logs=None):
            number, rest = (args[:1], args[1:]) if numbered else ((), args)
            shared = dict((rest[0] if rest else logs) or {})
            for callback in self.callbacks:
                getattr(callback, hook)(*number, shared)
        return call


class LambdaCallback(Callback):
    """A callback from plain functions, e.g.
    ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))``.

    Each argument is named after its hook (any of ``HOOKS``) and takes that
    hook's arguments: ``(logs)`` or ``(epoch or batch, logs)``.
    """

    def __init__(self, **hooks):
        unknown = [name for name in hooks if name not in HOOKS]
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hooks {unknown}; hooks are {list(HOOKS)}")
        for name, function in hooks.items():
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {function!r}")
            setattr(self, name, function)


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"]`` is a list per epoch.

    ``fit`` returns it and also keeps it as ``model.history``.
    """

    def __init__(self):
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def improvement_direction(monitor, directions):
    """``"min"``, ``"max"`` or ``None``: how ``monitor`` improves according to
    ``directions``, the ``{log name: "up" or "down"}`` of ``model.log_directions()``
    (losses go down; a metric says with its ``direction``).  ``val_X`` goes as ``X``.

    >>> improvement_direction("val_accuracy", {"loss": "down", "accuracy": "up"})
    'max'
    """
    direction = directions.get(monitor) or directions.get(monitor.removeprefix("val_"))
    return {"down": "min", "up": "max", None: None}[direction]


def warn_missing(callback, what, logs):
    """Keras's warning when the watched quantity is not in the logs: the callback
    then does nothing for that epoch (a misspelt ``monitor`` is the usual cause)."""
    warnings.warn(f"{type(callback).__name__}: {what} conditioned on metric "
                  f"'{callback.monitor}' which is not available. Available metrics are: "
                  f"{', '.join(logs or {})}", stacklevel=3)


class MonitorCallback(Callback):
    """Shared by callbacks that watch one logged quantity for improvements.

    An improvement is a change of more than ``min_delta`` in the right
    direction: :math:`v < \\text{best} - \\delta` (``min``) or
    :math:`v > \\text{best} + \\delta` (``max``).  ``mode="auto"`` takes the
    direction the model gives the log (``improvement_direction``), when the
    first value is watched: by then the model's metrics exist.
    """

    def __init__(self, monitor, mode, min_delta=0.0, initial_best=None):
        owner = type(self).__name__
        if not isinstance(monitor, str):
            raise TypeError(f"{owner}: monitor must be the name of a log, such as 'val_loss', "
                            f"got {monitor!r}")
        self.monitor = monitor
        self.mode = one_of(owner, "mode", mode, ("auto", "min", "max"))
        self.min_delta = abs(real_number(owner, "min_delta", min_delta))
        self.initial_best = None if initial_best is None else \
            real_number(owner, "initial_value_threshold", initial_best)
        self.reset()

    def reset(self):
        """Forget the goal and the best value (at the start of each training)."""
        self.goal = None  # "min" or "max", from the first value watched
        self.best = None

    def watch(self, logs):
        """The monitored value of ``logs`` (``None`` if absent).  The first value
        sets the goal and the best value to beat."""
        value = (logs or {}).get(self.monitor)
        if value is None or self.goal is not None:
            return value
        self.goal = self.mode
        if self.mode == "auto":
            directions = self.model.log_directions()
            self.goal = improvement_direction(self.monitor, directions)
            if self.goal is None:
                raise ValueError(f"{type(self).__name__}: cannot tell whether '{self.monitor}' "
                                 f"should go up or down: the model gives a direction for "
                                 f"{sorted(directions)} (a metric gives its own with direction "
                                 f"= 'up' or 'down'); pass mode='min' or mode='max'")
        worst = math.inf if self.goal == "min" else -math.inf
        self.best = worst if self.initial_best is None else self.initial_best
        return value

    def is_improvement(self, value, reference):
        if self.goal == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    As in Keras: ``patience`` epochs without improvement stop training (never
    after the first epoch); a ``monitor`` missing from the logs is warned
    about and the epoch does not count; with ``restore_best_weights`` the model gets back
    the weights of its best epoch when training ends; ``baseline`` must be
    beaten for the wait to restart; no stopping before ``start_from_epoch``.
    ``mode`` is ``"min"``, ``"max"`` or ``"auto"``: the direction the model
    gives ``monitor`` (losses down; a metric's own ``direction``).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = whole_number("EarlyStopping", "patience", patience, minimum=0)
        self.baseline = None if baseline is None else \
            real_number("EarlyStopping", "baseline", baseline)
        self.restore_best_weights = flag("EarlyStopping", "restore_best_weights",
                                         restore_best_weights)
        self.start_from_epoch = whole_number("EarlyStopping", "start_from_epoch",
                                             start_from_epoch, minimum=0)
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self.reset()
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        value = self.watch(logs)
        if value is None:
            warn_missing(self, "early stopping", logs)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self.is_improvement(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.is_improvement(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) at the end of each epoch, or every
    ``save_freq`` batches.

    ``filepath`` may hold ``str.format`` fields filled with the epoch
    (counting from 1), the batch (when saving every ``save_freq`` batches,
    from 1) and the logs: ``"ckpt-{epoch:02d}-{val_loss:.3f}.nnlib"``.  It
    ends in a model file's suffix (``.nnlib`` or Keras's ``.keras``) for
    ``model.save``, or in a weights file's suffix (``.weights.npz`` or
    ``.weights.h5``) with ``save_weights_only=True`` (``model.save_weights``).

    Args:
        monitor, mode: the quantity that decides what "best" means, and whether
            it is the smallest (``"min"``) or largest (``"max"``) value;
            ``"auto"`` takes the direction the model gives it, as ``EarlyStopping``.
        save_best_only: save only when ``monitor`` improves (a path without
            fields then always holds the best model so far).
        save_weights_only: save the weights alone.
        save_freq: ``"epoch"`` (after each epoch, with the epoch's logs) or a
            number of training batches (after every that many, counted across
            epochs, with the batch's running logs, which have no ``val_`` entries).
        initial_value_threshold: a value the first save must beat.
        verbose: 1 prints a line when the callback saves (or declines to).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: filepath must be a path, got {filepath!r}")
        filepath = os.fspath(filepath)
        save_weights_only = flag("ModelCheckpoint", "save_weights_only", save_weights_only)
        suffixes = WEIGHTS_SUFFIXES if save_weights_only else MODEL_SUFFIXES
        if not filepath.endswith(suffixes):
            raise ValueError(f"ModelCheckpoint: with save_weights_only={save_weights_only} "
                             f"the filepath must end in one of {suffixes}, got {filepath!r}")
        if save_freq != "epoch":
            save_freq = whole_number("ModelCheckpoint", "save_freq (if not 'epoch')", save_freq)
        super().__init__(monitor, mode, 0.0, initial_value_threshold)
        self.filepath = filepath
        self.verbose = verbose
        self.save_best_only = flag("ModelCheckpoint", "save_best_only", save_best_only)
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq

    def on_train_begin(self, logs=None):
        self.reset()
        self.batches_since_saving = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self.batches_since_saving += 1
        if self.batches_since_saving >= self.save_freq:
            self.batches_since_saving = 0
            self.save(self.epoch, logs, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self.save(epoch, logs)

    def file_path(self, epoch, logs, batch=None):
        """``filepath`` with its fields filled in."""
        numbers = {"epoch": epoch + 1} if batch is None else \
            {"epoch": epoch + 1, "batch": batch + 1}
        try:
            return self.filepath.format(**numbers, **(logs or {}))
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint: cannot fill in {self.filepath!r}: no {error} "
                           f"in the logs {sorted(logs or {})}") from None

    def save(self, epoch, logs, batch=None):
        path = self.file_path(epoch, logs, batch)
        if self.save_best_only:
            value = self.watch(logs)
            if value is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with "
                              f"'{self.monitor}' in the logs; saving anyway", stacklevel=3)
            elif not self.is_improvement(value, self.best):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            elif self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{value:.5f}, saving model to {path}")
            if value is not None:
                self.best = value
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``
    (``epoch`` counts from 0, ``lr`` is the current rate).

    The rate used is added to the epoch's logs as ``learning_rate``.
    """

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function "
                            f"schedule(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        rate = real_number("LearningRateScheduler", f"schedule({epoch}, lr), the new rate,",
                           self.schedule(epoch, float(self.model.optimizer.learning_rate)),
                           low=0)
        self.model.optimizer.learning_rate = rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(rate):.4g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved
    for ``patience`` epochs (Keras 3's callback).

    After each epoch: the rate is added to the logs as ``learning_rate``; an
    improvement (by more than ``min_delta``) resets the wait; otherwise the
    wait grows and, reaching ``patience``, the rate becomes
    :math:`\\max(\\text{rate} \\cdot \\text{factor}, \\text{min\\_lr})` (if above
    ``min_lr``), after which ``cooldown`` epochs pass without counting.

    Args:
        monitor, mode, min_delta: what is watched, as for ``EarlyStopping``.
        factor: the multiplier, in ``[0, 1)``.
        patience: epochs without improvement before a reduction.
        cooldown: epochs after a reduction during which the wait stays 0.
        min_lr: the rate is never reduced below it.
        verbose: 1 prints a line at each reduction.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        owner = "ReduceLROnPlateau"
        self.factor = real_number(owner, "factor", factor, 0, 1, high_open=True)
        self.patience = whole_number(owner, "patience", patience, minimum=0)
        self.cooldown = whole_number(owner, "cooldown", cooldown, minimum=0)
        self.min_lr = real_number(owner, "min_lr", min_lr, low=0)
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self.reset()
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        value = self.watch(logs)
        if value is None:
            warn_missing(self, "learning rate reduction", logs)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(value, self.best):
            self.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self.reduce(epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def reduce(self, epoch):
        """Lower the rate if it is above ``min_lr``; whether it was."""
        rate = float(self.model.optimizer.learning_rate)
        if rate <= self.min_lr:
            return False
        new_rate = max(rate * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_rate}.")
        return True


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file, as Keras 3 does.

    The first epoch fixes the columns: ``epoch`` (from 0), then the logs'
    names in alphabetical order; without validation the ``val_`` columns are
    added anyway and hold ``NA``.  The file is rewritten by each ``fit``
    unless ``append=True``, which adds rows (and a header only to an empty file).
    """

    def __init__(self, filename, separator=",", append=False):
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"CSVLogger: filename must be a path, got {filename!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = flag("CSVLogger", "append", append)
        self.file = None

    def on_train_begin(self, logs=None):
        with_header = not (self.append and os.path.exists(self.filename)
                           and os.path.getsize(self.filename))
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = csv.writer(self.file, delimiter=self.separator)
        self.keys = None
        self.with_header = with_header

    def on_epoch_end(self, epoch, logs=None):
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
            if self.with_header:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(csv_value(logs.get(key, "NA")) for key in self.keys)])
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()


def csv_value(value):
    """A log as Keras writes it in a CSV cell: a list as ``"[a, b]"``, else as is."""
    if isinstance(value, str) or getattr(value, "ndim", None) == 0 or \
            not hasattr(value, "__iter__"):
        return value
    return f'"[{", ".join(map(str, value))}]"'


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite (Keras 3's callback).

    After each training batch it reads ``logs["loss"]``, the epoch's running
    mean, which a single non-finite batch makes non-finite.  It then prints
    ``Batch 3: Invalid loss, terminating training`` and sets
    ``model.stop_training``: ``fit`` stops after that batch and still calls
    the epoch-end and train-end hooks.  With ``raise_error=True`` it raises a
    ``RuntimeError`` instead, and no other hook runs.

    The model keeps finite weights: an optimizer step whose gradients or new
    weights are not finite changes nothing (see ``nnlib.optimizers.base``).

    >>> callback = TerminateOnNaN()
    >>> callback.model = type("Model", (), {"stop_training": False})()
    >>> callback.on_train_batch_end(3, {"loss": float("nan")})
    Batch 3: Invalid loss, terminating training
    >>> callback.model.stop_training
    True
    """

    def __init__(self, raise_error=False):
        self.raise_error = flag("TerminateOnNaN", "raise_error", raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

"""Callbacks: code that ``fit`` calls at the edges of training, epochs and batches.

``fit`` calls, in this order (Keras 3's)::

    on_train_begin()
      on_epoch_begin(epoch)
        on_train_batch_begin(batch)  /  on_train_batch_end(batch, logs)   # each batch
      on_epoch_end(epoch, logs)        # logs hold the epoch's means and val_ entries
    on_train_end(logs)

Write your own by subclassing ``Callback`` and overriding any hook (or with
``LambdaCallback``); ``fit`` sets ``self.model`` first.  A callback stops
training by setting ``self.model.stop_training = True``: ``fit`` checks it
after every batch and every epoch (``TerminateOnNaN`` does so when the loss
stops being a number).
"""
import math
import os
import warnings

from .checks import flag, one_of, real_number, whole_number

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_train_batch_begin", "on_train_batch_end")


class Callback:
    """Override any of the hooks; ``self.model`` is set by ``fit``."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Several callbacks called as one, in order (what ``fit`` holds)."""

    def __init__(self, callbacks, model):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"fit: callbacks must be a list of Callback instances, got "
                                f"{callback!r} in it")
            callback.set_model(model)

    def __getattr__(self, hook):
        if hook not in HOOKS:
            raise AttributeError(hook)

        def call(*args):
            for callback in self.callbacks:
                getattr(callback, hook)(*args)
        return call


class LambdaCallback(Callback):
    """A callback from plain functions, e.g.
    ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))``.

    Each argument is named after its hook and takes that hook's arguments.
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
    after the first epoch); with ``restore_best_weights`` the model gets back
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
        if epoch < self.start_from_epoch:
            return
        value = self.watch(logs)
        if value is None:
            raise KeyError(f"EarlyStopping: '{self.monitor}' is not in the logs; "
                           f"available: {sorted(logs or {})}")
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
    """Save the model (or its weights) at the end of each epoch.

    ``filepath`` may hold ``str.format`` fields filled with the epoch
    (counting from 1) and the logs: ``"ckpt-{epoch:02d}-{val_loss:.3f}.nnlib"``.
    As Keras insists on ``.keras`` and ``.weights.h5``, nnlib insists on its
    own suffixes: ``.nnlib`` for a whole model (``model.save``) and
    ``.weights.npz`` with ``save_weights_only=True`` (``model.save_weights``).

    Args:
        monitor, mode: the quantity that decides what "best" means, and whether
            it is the smallest (``"min"``) or largest (``"max"``) value;
            ``"auto"`` takes the direction the model gives it, as ``EarlyStopping``.
        save_best_only: save only when ``monitor`` improves (a path without
            fields then always holds the best model so far).
        save_weights_only: save the weights alone.
        initial_value_threshold: a value the first save must beat.
        verbose: 1 prints a line when the callback saves (or declines to).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", initial_value_threshold=None):
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: filepath must be a path, got {filepath!r}")
        filepath = os.fspath(filepath)
        save_weights_only = flag("ModelCheckpoint", "save_weights_only", save_weights_only)
        suffix = ".weights.npz" if save_weights_only else ".nnlib"
        if not filepath.endswith(suffix):
            raise ValueError(f"ModelCheckpoint: with save_weights_only={save_weights_only} "
                             f"the filepath must end in {suffix!r}, got {filepath!r}")
        super().__init__(monitor, mode, 0.0, initial_value_threshold)
        self.filepath = filepath
        self.verbose = verbose
        self.save_best_only = flag("ModelCheckpoint", "save_best_only", save_best_only)
        self.save_weights_only = save_weights_only

    def on_train_begin(self, logs=None):
        self.reset()

    def file_path(self, epoch, logs):
        """``filepath`` with its fields filled in."""
        try:
            return self.filepath.format(epoch=epoch + 1, **(logs or {}))
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint: cannot fill in {self.filepath!r}: no {error} "
                           f"in the logs {sorted(logs or {})}") from None

    def on_epoch_end(self, epoch, logs=None):
        path = self.file_path(epoch, logs)
        if self.save_best_only:
            value = self.watch(logs)
            if value is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with "
                              f"'{self.monitor}' in the logs; saving anyway", stacklevel=2)
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

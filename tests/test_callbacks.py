"""Callbacks: the order of the hooks, their logs and params, History,
EarlyStopping, ModelCheckpoint, LearningRateScheduler, ReduceLROnPlateau,
CSVLogger and callbacks of one's own (Keras parity: test_parity_training_api)."""
import os

import numpy as np
import pytest

from nnlib import load_model
from nnlib.callbacks import (HOOKS, Callback, CallbackList, CSVLogger, EarlyStopping, History,
                             LambdaCallback, LearningRateScheduler, ModelCheckpoint,
                             ReduceLROnPlateau, TerminateOnNaN, improvement_direction)
from nnlib.layers import Dense
from nnlib.metrics import MeanMetric
from nnlib.models import Input, Sequential
from nnlib.optimizers import SGD
from nnlib.utils import set_random_seed


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3))
    return x, (x[:, 0] > 0).astype(int)


def model(learning_rate=0.1, metrics=("accuracy",)):
    set_random_seed(0)
    net = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(2, activation="softmax")])
    net.compile(SGD(learning_rate), "sparse_categorical_crossentropy", metrics=list(metrics))
    return net


class Scripted(Callback):
    """Feeds ``fit`` a scripted value of ``key`` per epoch, so that stopping is predictable."""

    def __init__(self, values, key="val_loss"):
        self.values = values
        self.key = key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def test_hooks_are_called_in_keras_order(data):
    events = []
    recorder = LambdaCallback(
        on_train_begin=lambda logs=None: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs=None: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs=None: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs=None: events.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs=None: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs=None: events.append("train_end"))
    model().fit(*data, batch_size=8, epochs=2, validation_data=data, callbacks=[recorder],
                verbose=0)
    keys = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1"]
    assert events == ["train_begin", "epoch_begin 0", *epoch, f"epoch_end 0 {keys}",
                      "epoch_begin 1", *epoch, f"epoch_end 1 {keys}", "train_end"]
    with pytest.raises(ValueError, match="unknown hooks"):
        LambdaCallback(on_epoch_ending=print)


def test_batch_logs_are_running_means(data):
    seen = []
    recorder = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    history = model().fit(*data, batch_size=4, epochs=1, callbacks=[recorder], verbose=0)
    assert len(seen) == 4 and seen[-1] == pytest.approx(history.history["loss"][0])


def test_a_callback_of_ones_own_sees_the_model(data):
    class LossFloor(Callback):
        """Stops once the training loss is below a floor."""

        def __init__(self, floor):
            self.floor = floor

        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < self.floor:
                self.model.stop_training = True

    net = model(learning_rate=0.5)
    history = net.fit(*data, epochs=200, callbacks=[LossFloor(0.3)], verbose=0)
    assert history.history["loss"][-1] < 0.3 <= history.history["loss"][-2]
    assert net.stop_training


def test_history_records_each_epoch_and_restarts(data):
    history = History()
    net = model()
    net.fit(*data, epochs=2, callbacks=[history], verbose=0)
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


# -- EarlyStopping ----------------------------------------------------------------------------

def test_early_stopping_waits_patience_epochs(data):
    stopper = EarlyStopping(patience=2)
    history = model().fit(*data, epochs=10, verbose=0,
                          callbacks=[Scripted([1.0, 0.8, 0.9, 0.85, 0.7, 0.6]), stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3
    assert stopper.best == 0.8 and stopper.best_epoch == 1


def test_min_delta_baseline_and_start_from_epoch(data):
    small_steps = EarlyStopping(patience=1, min_delta=0.15)
    history = model().fit(*data, epochs=10, verbose=0,
                          callbacks=[Scripted([1.0, 0.9, 0.8, 0.7]), small_steps])
    assert history.epoch == [0, 1]  # improvements of 0.1 do not count
    # Improving without beating the baseline keeps counting the wait (Keras's rule), so
    # the first epoch without improvement stops at once.
    plain, baseline = EarlyStopping(patience=2), EarlyStopping(patience=2, baseline=0.5)
    scripted = [1.0, 0.9, 0.8, 0.85, 0.9, 0.95]
    history = model().fit(*data, epochs=6, verbose=0, callbacks=[Scripted(scripted), plain])
    assert history.epoch == [0, 1, 2, 3, 4]
    history = model().fit(*data, epochs=6, verbose=0, callbacks=[Scripted(scripted), baseline])
    assert history.epoch == [0, 1, 2, 3]
    late = EarlyStopping(patience=0, start_from_epoch=3)
    history = model().fit(*data, epochs=10, verbose=0,
                          callbacks=[Scripted([1.0, 2.0, 3.0, 4.0, 5.0]), late])
    assert history.epoch == [0, 1, 2, 3, 4]


def test_restore_best_weights_gives_back_the_best_epochs_weights(data):
    snapshots = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(net.get_weights()))
    net = model()
    stopper = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    net.fit(*data, epochs=10, verbose=0, callbacks=[Scripted([1.0, 0.5, 0.7, 0.9]), stopper, keep])
    assert stopper.best_epoch == 1 and len(snapshots) == 4
    for restored, best in zip(net.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_warns_of_a_missing_quantity_and_carries_on(data):
    with pytest.warns(UserWarning, match=r"EarlyStopping: early stopping conditioned on metric "
                                         r"'val_loss' which is not available. Available "
                                         r"metrics are: loss, accuracy"):
        history = model().fit(*data, epochs=3, verbose=0, callbacks=[EarlyStopping()])
    assert history.epoch == [0, 1, 2]


def test_the_direction_is_the_models_for_that_log():
    directions = {"loss": "down", "digit_loss": "down", "accuracy": "up"}
    assert improvement_direction("val_loss", directions) == "min"
    assert improvement_direction("digit_loss", directions) == "min"
    assert improvement_direction("val_accuracy", directions) == "max"
    assert improvement_direction("val_wobble", directions) is None
    assert improvement_direction("val_mae", directions) is None  # no guessing from names
    with pytest.raises(ValueError, match=r"EarlyStopping: mode must be one of \('auto', 'min', "
                                         r"'max'\), got 'up'"):
        EarlyStopping(mode="up")


class WrongAccuracy(MeanMetric):
    """The share of wrong predictions: an accuracy by name, an error by direction."""

    direction = "down"

    def score(self, y_true, y_pred):
        return (y_pred.argmax(axis=-1) != y_true).astype(float)


@pytest.mark.parametrize("mode, stopped", [("auto", 3), ("min", 3), ("max", 2)])
def test_early_stopping_follows_the_metrics_direction_not_its_name(data, mode, stopped):
    stopper = EarlyStopping(monitor="wrong_accuracy", patience=2, mode=mode)
    net = model(metrics=[WrongAccuracy()])
    history = net.fit(*data, epochs=10, verbose=0, callbacks=[
        Scripted([0.5, 0.3, 0.4, 0.45, 0.5], key="wrong_accuracy"), stopper])
    assert net.log_directions()["wrong_accuracy"] == "down"
    assert history.epoch[-1] == stopper.stopped_epoch == stopped
    assert (stopper.goal, stopper.best) == (("max", 0.5) if mode == "max" else ("min", 0.3))


def test_val_metrics_take_their_metrics_direction(data):
    stopper = EarlyStopping(monitor="val_accuracy", patience=1)
    model().fit(*data, epochs=10, verbose=0, callbacks=[
        Scripted([0.5, 0.8, 0.7], key="val_accuracy"), stopper])
    assert (stopper.goal, stopper.best, stopper.stopped_epoch) == ("max", 0.8, 2)


def test_a_log_without_a_direction_needs_a_mode(data):
    def wobble(y_true, y_pred):  # a plain function says nothing of its direction
        return y_pred[..., 0]

    with pytest.raises(ValueError, match=r"EarlyStopping: cannot tell whether 'val_wobble' "
                                         r"should go up or down: the model gives a direction "
                                         r"for \['accuracy', 'loss'\].*pass mode='min' or "
                                         r"mode='max'"):
        model(metrics=["accuracy", wobble]).fit(
            *data, epochs=2, verbose=0, validation_data=data,
            callbacks=[EarlyStopping(monitor="val_wobble")])
    stopper = EarlyStopping(monitor="val_wobble", mode="max")
    model(metrics=[wobble]).fit(*data, epochs=2, verbose=0, validation_data=data,
                                callbacks=[stopper])
    assert stopper.goal == "max"


# -- ModelCheckpoint ---------------------------------------------------------------------------

def test_checkpoint_path_is_filled_from_epoch_and_logs(data, tmp_path):
    path = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.npz")
    checkpoint = ModelCheckpoint(path, save_weights_only=True)
    net = model()
    net.fit(*data, epochs=2, verbose=0, callbacks=[Scripted([0.5, 0.25]), checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01-0.50.weights.npz", "ckpt-02-0.25.weights.npz"]
    fresh = model(learning_rate=0.1)
    fresh.load_weights(tmp_path / "ckpt-02-0.25.weights.npz")
    for a, b in zip(fresh.get_weights(), net.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_best_only_keeps_the_best_whole_model(data, tmp_path, capsys):
    snapshots = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(net.get_weights()))
    path = tmp_path / "best.nnlib"
    net = model()
    checkpoint = ModelCheckpoint(path, save_best_only=True, verbose=1)
    net.fit(*data, epochs=4, verbose=0,
            callbacks=[Scripted([0.9, 0.4, 0.6, 0.5]), checkpoint, keep])
    out = capsys.readouterr().out
    assert "Epoch 2: val_loss improved from 0.90000 to 0.40000, saving model to" in out
    assert "Epoch 3: val_loss did not improve from 0.40000" in out
    best = load_model(path)
    for a, b in zip(best.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)


def test_save_best_only_maximises_an_accuracy(data, tmp_path, capsys):
    checkpoint = ModelCheckpoint(tmp_path / "best.nnlib", monitor="val_accuracy",
                                 save_best_only=True, verbose=1)
    model().fit(*data, epochs=3, verbose=0,
                callbacks=[Scripted([0.5, 0.8, 0.7], key="val_accuracy"), checkpoint])
    out = capsys.readouterr().out
    assert "Epoch 1: val_accuracy improved from -inf to 0.50000" in out
    assert "Epoch 2: val_accuracy improved from 0.50000 to 0.80000" in out
    assert "Epoch 3: val_accuracy did not improve from 0.80000" in out


def test_checkpoint_suffixes_and_missing_fields(data, tmp_path):
    with pytest.raises(ValueError, match=r"must end in one of \('\.weights\.npz', "
                                         r"'\.weights\.h5'\), got '.*w\.npz'"):
        ModelCheckpoint(tmp_path / "w.npz", save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in one of \('\.nnlib', '\.keras'\)"):
        ModelCheckpoint(tmp_path / "model.weights.npz")
    with pytest.raises(ValueError, match=r"must end in one of \('\.weights\.npz'"):
        ModelCheckpoint(tmp_path / "model.nnlib", save_weights_only=True)
    for path, weights_only in (("m.nnlib", False), ("m.keras", False),
                               ("m.weights.npz", True), ("m.weights.h5", True)):
        assert ModelCheckpoint(tmp_path / path, save_weights_only=weights_only).filepath \
            == str(tmp_path / path)
    checkpoint = ModelCheckpoint(str(tmp_path / "{val_auc}.nnlib"))
    with pytest.raises(KeyError, match="no 'val_auc' in the logs"):
        model().fit(*data, epochs=1, verbose=0, callbacks=[checkpoint])


# -- LearningRateScheduler -------------------------------------------------------------------

def test_the_scheduler_sets_the_rate_each_epoch(data):
    rates = []
    spy = LambdaCallback(on_epoch_begin=lambda epoch, logs=None: rates.append(
        net.optimizer.learning_rate))
    net = model(learning_rate=0.1)
    history = net.fit(*data, epochs=3, verbose=0,
                      callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5), spy])
    assert rates == pytest.approx([0.05, 0.025, 0.0125])
    assert history.history["learning_rate"] == pytest.approx(rates)
    with pytest.raises(TypeError, match=r"LearningRateScheduler: schedule\(0, lr\), the new "
                                        r"rate, must be a number, got 'fast'"):
        model().fit(*data, epochs=1, verbose=0,
                    callbacks=[LearningRateScheduler(lambda epoch, lr: "fast")])
    net = model()
    with pytest.raises(ValueError, match=r"schedule\(0, lr\), the new rate, must be a finite "
                                         r"number >= 0, got nan"):
        net.fit(*data, epochs=1, verbose=0,
                callbacks=[LearningRateScheduler(lambda epoch, lr: float("nan"))])
    assert net.optimizer.learning_rate == 0.1  # a NaN rate is never set


# -- TerminateOnNaN ---------------------------------------------------------------------------

def diverging(learning_rate=5.0):
    """A linear regression whose step is far too large: the loss grows tenfold or more
    per step until it overflows (float32), as the issue's [0.32, 4e23, nan, ...]."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)) * 10
    net = Sequential([Input((4,)), Dense(1)])
    net.compile(SGD(learning_rate), "mse")
    return net, x, x @ np.ones((4, 1))


@pytest.mark.filterwarnings("ignore:overflow encountered",  # diverges on purpose
                            "ignore:invalid value encountered")
def test_terminate_on_nan_stops_a_diverging_fit_with_finite_weights(capsys):
    net, x, y = diverging()
    history = net.fit(x, y, epochs=20, batch_size=4, verbose=0, callbacks=[TerminateOnNaN()])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.epoch) == 1  # stopped within the first epoch of 16 batches
    assert not np.isfinite(history.history["loss"][-1])
    assert net.optimizer.iterations < 16
    assert all(np.isfinite(w).all() for w in net.get_weights())


@pytest.mark.filterwarnings("ignore:overflow encountered",  # diverges on purpose
                            "ignore:invalid value encountered")
def test_without_it_a_diverging_fit_carries_on_but_its_weights_stay_finite():
    net, x, y = diverging()
    with pytest.warns(RuntimeWarning, match=r"SGD: skipped a step \(no weight, state or "
                                            r"iteration changed\): the gradient of "
                                            r"'dense(_\d+)?\.kernel'.* holds NaN or infinity"):
        history = net.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert len(history.epoch) == 3 and not np.isfinite(history.history["loss"]).any()
    assert net.optimizer.iterations < 3 * 16  # the steps with gradients that overflowed
    assert all(np.isfinite(w).all() for w in net.get_weights())


def test_terminate_on_nan_prints_keras_message_or_raises(capsys):
    callback = TerminateOnNaN()
    callback.set_model(type("Stub", (), {"stop_training": False})())
    callback.on_train_batch_end(0, {"loss": 0.5})
    assert callback.model.stop_training is False
    callback.on_train_batch_end(7, {"loss": np.float32("inf")})
    assert callback.model.stop_training is True
    assert capsys.readouterr().out == "Batch 7: Invalid loss, terminating training\n"
    net, x, y = diverging()
    ended = []
    with pytest.warns(RuntimeWarning), pytest.raises(
            RuntimeError, match=r"NaN or Inf loss encountered at batch \d+\. Loss value: "):
        net.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[
            TerminateOnNaN(raise_error=True),
            LambdaCallback(on_train_end=lambda logs=None: ended.append(True))])
    assert ended == []  # raise_error skips the other callbacks' cleanup, as in Keras
    with pytest.raises(TypeError, match="TerminateOnNaN: raise_error must be True or False"):
        TerminateOnNaN(raise_error="yes")


def test_terminate_on_nan_behaves_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    theirs, ours = keras.callbacks.TerminateOnNaN(), TerminateOnNaN()
    for callback in (theirs, ours):
        callback.set_model(type("Stub", (), {"stop_training": False})())
    for batch, loss in enumerate([0.3, 4e23, float("nan")]):
        theirs.on_train_batch_end(batch, {"loss": loss})
        ours.on_train_batch_end(batch, {"loss": loss})
        assert ours.model.stop_training == theirs.model.stop_training == (batch == 2)


# -- arguments ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, message", [
    (lambda: EarlyStopping(patience=-1), ValueError,
     "EarlyStopping: patience must be a whole number >= 0, got -1"),
    (lambda: EarlyStopping(patience=1.5), ValueError, "patience must be a whole number"),
    (lambda: EarlyStopping(min_delta=float("nan")), ValueError,
     "EarlyStopping: min_delta must be a finite number, got nan"),
    (lambda: EarlyStopping(monitor=3), TypeError,
     "EarlyStopping: monitor must be the name of a log, such as 'val_loss', got 3"),
    (lambda: EarlyStopping(mode="mn"), ValueError, r"got 'mn' \(did you mean 'min'\?\)"),
    (lambda: EarlyStopping(baseline="low"), TypeError, "baseline must be a number, got 'low'"),
    (lambda: EarlyStopping(restore_best_weights="yes"), TypeError,
     "restore_best_weights must be True or False, got 'yes'"),
    (lambda: EarlyStopping(start_from_epoch=-2), ValueError, "start_from_epoch must be a whole"),
    (lambda: ModelCheckpoint(5), TypeError, "ModelCheckpoint: filepath must be a path, got 5"),
    (lambda: ModelCheckpoint("m.nnlib", initial_value_threshold=float("inf")), ValueError,
     "initial_value_threshold must be a finite number, got inf"),
    (lambda: ModelCheckpoint("m.nnlib", save_best_only="no"), TypeError,
     "save_best_only must be True or False"),
    (lambda: LearningRateScheduler(0.1), TypeError,
     r"LearningRateScheduler: schedule must be a function schedule\(epoch, lr\), got 0.1"),
    (lambda: LambdaCallback(on_epoch_end="print"), TypeError,
     "LambdaCallback: on_epoch_end must be a function, got 'print'"),
])
def test_callback_arguments_are_checked(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_fit_names_a_callback_that_is_not_one(data):
    with pytest.raises(TypeError, match="CallbackList: callbacks must be a list of Callback "
                                        "instances, got 'early' in it"):
        model().fit(*data, epochs=1, verbose=0, callbacks=["early"])


# -- the protocol: logs, params, the test and predict hooks -------------------------------------

def test_every_hook_gets_a_dict_and_the_params_are_set_first(data):
    seen = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            seen.append(("train_begin", logs, dict(self.params)))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(("epoch_begin", logs))

        def on_test_begin(self, logs=None):
            seen.append(("test_begin", logs, dict(self.params)))

        def on_predict_batch_begin(self, batch, logs=None):
            seen.append(("predict_batch_begin", logs))

    net = model()
    net.fit(*data, batch_size=5, epochs=2, callbacks=[Spy()], verbose=0)
    net.evaluate(*data, batch_size=4, callbacks=[Spy()], verbose=0)
    net.predict(data[0], batch_size=16, callbacks=[Spy()])
    assert seen == [("train_begin", {}, {"verbose": 0, "epochs": 2, "steps": 4}),
                    ("epoch_begin", {}), ("epoch_begin", {}),
                    ("test_begin", {}, {"verbose": 0, "epochs": 1, "steps": 4}),
                    ("predict_batch_begin", {})]


def test_lambda_callback_takes_every_hook_and_a_list_shares_one_copy_of_the_logs(data):
    events = []
    hooks = {hook: (lambda hook: lambda *args: events.append(hook))(hook) for hook in HOOKS}
    net = model()
    net.fit(*data, batch_size=16, validation_data=data, verbose=0,
            callbacks=[LambdaCallback(**hooks)])
    net.predict(data[0], callbacks=[LambdaCallback(**hooks)])
    assert events == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                      "on_train_batch_end", "on_test_begin", "on_test_batch_begin",
                      "on_test_batch_end", "on_test_end", "on_epoch_end", "on_train_end",
                      "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                      "on_predict_end"]  # LambdaCallback's train-batch hooks replace the aliases
    callbacks = CallbackList([LambdaCallback(on_epoch_end=lambda e, logs: logs.update(a=1)),
                              History()], model=None)
    logs = {"loss": 0.5}
    callbacks.on_epoch_end(0, logs)
    assert callbacks.callbacks[1].history == {"loss": [0.5], "a": [1]} and logs == {"loss": 0.5}


def test_a_callback_stops_evaluate_and_predict(data):
    net = model()
    stop_evaluating = LambdaCallback(
        on_test_batch_end=lambda batch, logs: setattr(net, "stop_evaluating", True))
    stop_predicting = LambdaCallback(
        on_predict_batch_end=lambda batch, logs: setattr(net, "stop_predicting", True))
    first_four = net.evaluate(data[0][:4], data[1][:4], verbose=0, return_dict=True)
    stopped = net.evaluate(*data, batch_size=4, verbose=0, return_dict=True,
                           callbacks=[stop_evaluating])
    assert stopped == first_four
    assert net.predict(data[0], batch_size=4, callbacks=[stop_predicting]).shape == (4, 2)


def test_predict_batch_logs_hold_the_outputs(data):
    outputs = []
    net = model()
    net.predict(data[0], batch_size=10,
                callbacks=[LambdaCallback(on_predict_batch_end=lambda b, logs: outputs.append(
                    logs["outputs"]))])
    np.testing.assert_array_equal(np.concatenate(outputs), net.predict(data[0]))


# -- ModelCheckpoint every few batches ---------------------------------------------------------

def test_checkpoint_every_few_batches_fills_in_the_batch(data, tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{batch}-{loss:.2f}.weights.npz"),
                                 save_weights_only=True, save_freq=3)
    model().fit(*data, batch_size=4, epochs=2, callbacks=[checkpoint], verbose=0)
    assert [name.split("-")[:2] for name in sorted(os.listdir(tmp_path))] == \
        [["1", "3"], ["2", "2"]]  # batches 3 and 6 of 4 per epoch


@pytest.mark.parametrize("save_freq, error", [("batch", TypeError), (0, ValueError),
                                              (2.5, ValueError)])
def test_checkpoint_save_freq_is_epoch_or_a_number_of_batches(save_freq, error):
    with pytest.raises(error, match=r"ModelCheckpoint: save_freq \(if not 'epoch'\) must be a "
                                    r"whole number >= 1"):
        ModelCheckpoint("m.nnlib", save_freq=save_freq)


# -- ReduceLROnPlateau ---------------------------------------------------------------------------

def test_reduce_lr_on_plateau_prints_its_reductions_and_stops_at_min_lr(data, capsys):
    net = model(learning_rate=0.1)
    reduce = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.03,
                               verbose=1)
    history = net.fit(*data, epochs=5, verbose=0,
                      callbacks=[Scripted([1.0] * 5), reduce])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.03, 0.03])
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05.",
        "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.03."]
    with pytest.warns(UserWarning, match="ReduceLROnPlateau: learning rate reduction "
                                         "conditioned on metric 'val_loss' which is not "
                                         "available. Available metrics are: loss, accuracy, "
                                         "learning_rate"):
        model().fit(*data, epochs=1, verbose=0, callbacks=[ReduceLROnPlateau()])


@pytest.mark.parametrize("arguments, error, message", [
    ({"factor": 1.0}, ValueError, r"factor must be a finite number in \[0, 1\), got 1.0"),
    ({"patience": -1}, ValueError, "patience must be a whole number >= 0, got -1"),
    ({"cooldown": 0.5}, ValueError, "cooldown must be a whole number >= 0, got 0.5"),
    ({"min_lr": -1}, ValueError, "min_lr must be a finite number >= 0, got -1"),
    ({"mode": "least"}, ValueError, "mode must be one of"),
])
def test_reduce_lr_on_plateau_checks_its_arguments(arguments, error, message):
    with pytest.raises(error, match=f"ReduceLROnPlateau: {message}"):
        ReduceLROnPlateau(**arguments)


# -- CSVLogger -----------------------------------------------------------------------------------

def test_csv_logger_writes_a_row_per_epoch_and_appends(data, tmp_path):
    path = tmp_path / "log.csv"
    model().fit(*data, epochs=2, validation_data=data, verbose=0, callbacks=[CSVLogger(path)])
    rows = path.read_text().splitlines()
    assert rows[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1"]
    model().fit(*data, epochs=1, validation_data=data, verbose=0,
                callbacks=[CSVLogger(path, append=True)])
    assert len(path.read_text().splitlines()) == 4
    with pytest.raises(ValueError, match="CSVLogger: separator must be one character, got ';;'"):
        CSVLogger(path, separator=";;")
    with pytest.raises(TypeError, match="CSVLogger: filename must be a path, got 3"):
        CSVLogger(3)


def test_a_callback_list_as_keras_builds_it_for_a_loop_of_ones_own(data):
    net = model()
    spy = LambdaCallback()
    callbacks = CallbackList([spy], add_history=True, model=net, epochs=3)
    assert isinstance(net.history, History) and callbacks.callbacks == [spy, net.history]
    assert spy.model is net and spy.params == {"epochs": 3}
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert net.history.history == {"loss": [1.0]}
    own = History()
    history = net.fit(*data, epochs=1, verbose=0, callbacks=[own])
    assert history is own is net.history  # fit adds no second History
    with pytest.raises(ValueError, match="add_progbar=True has no nnlib equivalent"):
        CallbackList([], add_progbar=True)

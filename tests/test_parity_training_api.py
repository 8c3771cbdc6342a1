"""The training API against Keras 3 run here: the callbacks' hooks (which, in
what order, with what arguments) for fit with validation, evaluate and
predict; class_weight; ReduceLROnPlateau's rates; CSVLogger's file;
ModelCheckpoint's batch-wise saves; to_categorical; and a PyDataset or a
generator training as the same arrays do."""
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from nnlib.callbacks import HOOKS  # noqa: E402
from nnlib.layers import Dense  # noqa: E402
from nnlib.models import Input, Sequential  # noqa: E402
from nnlib.optimizers import SGD  # noqa: E402
from tests.parity import close  # noqa: E402

# Keras's get_weights converts its torch variables with np.array, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3)).astype("float32")
Y = RNG.integers(0, 3, size=12)
LIBRARIES = {"nnlib": nnlib, "keras": keras}


def pair(loss="sparse_categorical_crossentropy", learning_rate=0.1):
    """The same small classifier, with the same weights, in nnlib and in Keras."""
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                               keras.layers.Dense(3, activation="softmax")])
    theirs.compile(keras.optimizers.SGD(learning_rate), loss, metrics=["accuracy"])
    ours = Sequential([Input((3,)), Dense(4, activation="tanh"),
                       Dense(3, activation="softmax")])
    ours.compile(SGD(learning_rate), loss, metrics=["accuracy"])
    ours.set_weights(theirs.get_weights())
    return {"nnlib": ours, "keras": theirs}


def recorder(library, hooks):
    """A callback of ``library`` recording ``(hook, numbers, logs)`` for each of ``hooks``."""
    class Recorder(library.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

    def recording(hook):
        def record(self, *args, **kwargs):
            *number, logs = (*args, *kwargs.values())
            self.calls.append((hook, tuple(number), dict(logs)))
        return record

    for hook in hooks:
        setattr(Recorder, hook, recording(hook))
    return Recorder()


def same_calls(ours, theirs):
    """The same hooks with the same numbers, and logs with the same names and values."""
    assert [(hook, number, sorted(logs)) for hook, number, logs in ours] == \
        [(hook, number, sorted(logs)) for hook, number, logs in theirs]
    for (_, _, our_logs), (_, _, their_logs) in zip(ours, theirs):
        for name, value in their_logs.items():
            close(our_logs[name], value)


EVERY_HOOK = [hook for hook in HOOKS if hook not in ("on_batch_begin", "on_batch_end")]


def test_fit_with_validation_calls_the_same_hooks_in_the_same_order():
    calls, params = {}, {}
    for name, model in pair().items():
        spy = recorder(LIBRARIES[name], EVERY_HOOK)
        model.fit(X, Y, batch_size=5, epochs=2, validation_data=(X[:6], Y[:6]), shuffle=False,
                  callbacks=[spy], verbose=0)
        calls[name], params[name] = spy.calls, spy.params
    same_calls(calls["nnlib"], calls["keras"])
    assert ("on_test_begin", (), {}) in calls["nnlib"]
    assert params["nnlib"] == params["keras"] == {"verbose": 0, "epochs": 2, "steps": 3}


@pytest.mark.parametrize("call", ["evaluate", "predict"])
def test_evaluate_and_predict_call_their_hooks_as_keras(call):
    calls, params = {}, {}
    for name, model in pair().items():
        spy = recorder(LIBRARIES[name], EVERY_HOOK)
        arguments = (X, Y) if call == "evaluate" else (X,)
        getattr(model, call)(*arguments, batch_size=5, callbacks=[spy], verbose=0)
        calls[name], params[name] = spy.calls, spy.params
    same_calls(calls["nnlib"], calls["keras"])
    assert len(calls["nnlib"]) == 2 + 2 * 3
    assert params["nnlib"] == params["keras"] == {"verbose": 0, "epochs": 1, "steps": 3}


def test_on_batch_begin_and_end_are_the_train_batch_hooks():
    calls = {}
    for name, model in pair().items():
        spy = recorder(LIBRARIES[name], ["on_batch_begin", "on_batch_end"])
        model.fit(X, Y, batch_size=5, validation_data=(X, Y), shuffle=False, callbacks=[spy],
                  verbose=0)
        calls[name] = spy.calls
    same_calls(calls["nnlib"], calls["keras"])
    assert [hook for hook, _, _ in calls["nnlib"]] == ["on_batch_begin", "on_batch_end"] * 3


@pytest.mark.parametrize("one_hot", [False, True])
def test_class_weight_gives_the_same_loss_and_step(one_hot):
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    y = keras.utils.to_categorical(Y, 3) if one_hot else Y
    class_weight = {0: 1.0, 1: 3.0, 2: 0.25}
    results = {}
    for name, model in pair(loss).items():
        history = model.fit(X, y, batch_size=12, class_weight=class_weight, shuffle=False,
                            verbose=0)
        results[name] = history.history["loss"], model.get_weights()
    close(results["nnlib"][0], results["keras"][0])
    unweighted = pair(loss)["nnlib"].fit(X, y, batch_size=12, shuffle=False, verbose=0)
    assert abs(unweighted.history["loss"][0] - results["nnlib"][0][0]) > 1e-3
    for ours, theirs in zip(results["nnlib"][1], results["keras"][1]):
        close(ours, theirs)


def test_class_weight_is_refused_where_keras_refuses_it():
    models = pair()
    for model in models.values():
        with pytest.raises(ValueError, match="class_weight.*sample_weight"):
            model.fit(X, Y, class_weight={0: 2.0}, sample_weight=np.ones(12), verbose=0)
        with pytest.raises(ValueError, match="class_weight.*generator"):
            model.fit((batch for batch in [(X, Y)]), class_weight={0: 2.0}, verbose=0)


class Scripted:
    """A callback feeding a scripted ``val_loss`` per epoch to the callbacks after it."""

    @staticmethod
    def of(library, values):
        return library.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: logs.update(val_loss=values[epoch]))


def test_reduce_lr_on_plateau_gives_keras_rates_over_the_epochs():
    losses = [1.0, 0.9, 0.9, 0.95, 0.899, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76]
    rates = {}
    for name, model in pair(learning_rate=0.08).items():
        library = LIBRARIES[name]
        reduce = library.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1,
                                                     min_delta=0.01, min_lr=0.011)
        history = model.fit(X, Y, batch_size=12, epochs=len(losses), verbose=0,
                            callbacks=[Scripted.of(library, losses), reduce])
        rates[name] = history.history["learning_rate"]
    close(rates["nnlib"], rates["keras"])
    assert len(set(np.round(rates["nnlib"], 6))) >= 3  # it did reduce, and reached min_lr
    close(min(rates["nnlib"]), 0.011)


def drive_csv_logger(library, path, epochs_logs, **arguments):
    """CSVLogger's hooks called as fit calls them, with the given epochs' logs."""
    logger = library.callbacks.CSVLogger(str(path), **arguments)
    logger.on_train_begin({})
    for epoch, logs in enumerate(epochs_logs):
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end({})


@pytest.mark.parametrize("epochs_logs, arguments", [
    ([{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.5}], {}),
    ([{"loss": 0.5, "val_loss": 0.75, "accuracy": 1 / 3}], {"separator": ";"}),
])
def test_csv_logger_writes_keras_file(tmp_path, epochs_logs, arguments):
    files = {}
    for name, library in LIBRARIES.items():
        path = tmp_path / f"{name}.csv"
        drive_csv_logger(library, path, epochs_logs, **arguments)
        drive_csv_logger(library, path, epochs_logs, append=True, **arguments)
        files[name] = path.read_bytes()
    assert files["nnlib"] == files["keras"]
    assert files["nnlib"].count(b"epoch") == 1


def test_checkpoint_every_few_batches_saves_when_keras_does(tmp_path):
    saved = {}
    for name, model in pair().items():
        suffix = ".weights.npz" if name == "nnlib" else ".weights.h5"
        checkpoint = LIBRARIES[name].callbacks.ModelCheckpoint(
            str(tmp_path / name / ("{epoch}-{batch}" + suffix)), save_weights_only=True,
            save_freq=2)
        model.fit(X, Y, batch_size=5, epochs=3, shuffle=False, callbacks=[checkpoint],
                  verbose=0)
        saved[name] = sorted(path.removesuffix(suffix) for path in os.listdir(tmp_path / name))
    assert saved["nnlib"] == saved["keras"] == ["1-2", "2-1", "2-3", "3-2"]


def test_early_stopping_on_a_missing_metric_warns_as_keras():
    messages = {}
    for name, model in pair().items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(X, Y, epochs=2, verbose=0,
                                callbacks=[LIBRARIES[name].callbacks.EarlyStopping()])
        messages[name] = [str(w.message) for w in caught if "conditioned" in str(w.message)]
        assert len(history.epoch) == 2
    for ours, theirs in zip(*messages.values(), strict=True):
        assert "Early stopping conditioned on metric `val_loss` which is not available" \
            in theirs
        assert "early stopping conditioned on metric 'val_loss' which is not available" in ours


@pytest.mark.parametrize("labels, num_classes", [
    ([0, 2, 1], None), ([[1], [0], [3]], None), (np.array([[0, 1], [2, 1]]), 4),
    (np.array([1.0, 0.0]), 2), (np.array([True, False]), None), (2, 5),
])
def test_to_categorical_matches_keras_with_its_dtype(labels, num_classes):
    ours = nnlib.utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def batches_of(x, y, size=5):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def dataset(library, batches):
    class Batches(library.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            return batches[index]
    return Batches()


def repeating(batches, epochs):
    for _ in range(epochs):
        yield from batches


def test_a_pydataset_and_a_generator_train_as_the_same_arrays():
    batches, epochs = batches_of(X, Y), 2
    keras_model = pair()["keras"]
    reference = keras_model.fit(X, Y, batch_size=5, epochs=epochs, shuffle=False,
                                validation_data=(X, Y), verbose=0).history
    runs = {
        "arrays": lambda m: m.fit(X, Y, batch_size=5, epochs=epochs, shuffle=False,
                                  validation_data=(X, Y), verbose=0),
        "PyDataset": lambda m: m.fit(dataset(nnlib, batches), epochs=epochs, shuffle=False,
                                     validation_data=dataset(nnlib, batches_of(X, Y)),
                                     verbose=0),
        "generator": lambda m: m.fit(repeating(batches, epochs), steps_per_epoch=3,
                                     epochs=epochs, shuffle=False,
                                     validation_data=repeating(batches, epochs),
                                     validation_steps=3, verbose=0),
    }
    for run in runs.values():
        model = pair()["nnlib"]
        history = run(model).history
        assert sorted(history) == sorted(reference)
        for name, values in reference.items():
            close(history[name], values)
        for ours, theirs in zip(model.get_weights(), keras_model.get_weights()):
            close(ours, theirs)


def test_evaluate_and_predict_on_a_pydataset_as_keras():
    models = pair()
    results = {name: (model.evaluate(dataset(LIBRARIES[name], batches_of(X, Y)), verbose=0),
                      model.predict(dataset(LIBRARIES[name], batches_of(X, Y)), steps=2,
                                    verbose=0))
               for name, model in models.items()}
    close(results["nnlib"][0], results["keras"][0])
    close(results["nnlib"][1], results["keras"][1])
    assert results["nnlib"][1].shape == (10, 3)

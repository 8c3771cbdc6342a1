"""compile / fit / evaluate / predict: the training loop, its printing and its results."""
import re

import numpy as np
import pytest
from sklearn.datasets import load_iris

from nnlib.callbacks import Callback, History
from nnlib.layers import Dense
from nnlib.losses import MeanSquaredError
from nnlib.metrics import BinaryAccuracy, SparseCategoricalAccuracy
from nnlib.models import Input, Sequential
from nnlib.optimizers import SGD
from nnlib.utils import set_random_seed


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3))
    y = (x[:, 0] > 0).astype(int)
    return x, y


def classifier(metrics=("accuracy",), learning_rate=0.1):
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(2, activation="softmax")])
    model.compile(optimizer=SGD(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=list(metrics))
    return model


def test_fit_returns_a_history_with_one_entry_per_epoch(data):
    history = classifier().fit(*data, epochs=3, batch_size=4, verbose=0)
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert all(isinstance(v, float) for v in history.history["loss"])


def test_verbose_0_prints_nothing(data, capsys):
    model = classifier()
    model.fit(*data, epochs=2, verbose=0)
    model.evaluate(*data, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_1_prints_epochs_and_a_progress_line_without_timings(data, capsys):
    classifier().fit(*data, epochs=2, batch_size=4, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert len(lines) == 4
    for line in (lines[1], lines[3]):
        assert re.fullmatch(r"3/3 ━{20} loss: \d\.\d{3,4} - accuracy: \d\.\d{3,4}", line), line
        assert "step" not in line and not re.search(r"\d+m?s\b", line)


def test_evaluate_prints_one_line_when_verbose(data, capsys):
    classifier().evaluate(*data, batch_size=5, verbose=1)
    assert re.fullmatch(r"2/2 ━{20} loss: \S+ - accuracy: \S+\n", capsys.readouterr().out)


def test_evaluate_returns_the_loss_or_the_loss_and_metrics(data):
    x, y = data
    plain = classifier(metrics=())
    loss = plain.evaluate(x, y, batch_size=3, verbose=0)
    assert isinstance(loss, float)
    # Batch losses weighted by batch size: the loss over the whole set.
    expected = plain.loss(y, plain.predict(x))
    assert loss == pytest.approx(float(expected), rel=1e-6)

    with_metrics = classifier()
    values = with_metrics.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 2
    predicted = with_metrics.predict(x).argmax(axis=-1)
    assert values[1] == pytest.approx(np.mean(predicted == y))
    assert with_metrics.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_predict_in_batches_matches_one_forward_pass(data):
    x, _ = data
    model = classifier()
    whole, _ = model.forward(model.prepare(x))
    np.testing.assert_allclose(model.predict(x, batch_size=3), whole, rtol=1e-6)
    np.testing.assert_allclose(model(x), whole, rtol=1e-6)


def test_accuracy_is_resolved_from_the_shapes(data):
    x, y = data
    model = classifier()
    model.fit(x, y, epochs=1, verbose=0)
    assert type(model.metrics[0]) is SparseCategoricalAccuracy

    binary = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    binary.compile("sgd", "mse", metrics=["accuracy"])
    binary.fit(x, y[:, None].astype(float), epochs=1, verbose=0)
    assert type(binary.metrics[0]) is BinaryAccuracy


def test_first_layer_is_told_no_input_gradient_is_needed(data):
    model = classifier()
    first, second = model.layers
    seen = {first.name: [], second.name: []}
    for layer in (first, second):
        original = layer.backward

        def spy(dy, cache, *, need_dx=True, original=original, name=layer.name):
            seen[name].append(need_dx)
            return original(dy, cache, need_dx=need_dx)

        layer.backward = spy
    model.fit(*data, epochs=2, batch_size=5, verbose=0)
    assert seen[first.name] == [False] * 4
    assert seen[second.name] == [True] * 4


def test_one_fit_step_is_the_four_visible_calls(data):
    x, y = data
    set_random_seed(0)
    by_fit = classifier()
    set_random_seed(0)
    by_hand = classifier()
    np.testing.assert_array_equal(by_fit.get_weights()[0], by_hand.get_weights()[0])

    by_fit.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)

    y_pred, tape = by_hand.forward(by_hand.prepare(x), training=True)
    loss, loss_cache = by_hand.loss.forward(y, y_pred)
    _, grads = by_hand.backward(by_hand.loss.backward(1.0, loss_cache), tape, need_dx=False)
    by_hand.optimizer.apply(grads, by_hand.named_weights(trainable_only=True))

    for a, b in zip(by_fit.get_weights(), by_hand.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_validation_data_and_callbacks(data):
    x, y = data

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            self.events = ["begin"]

        def on_epoch_end(self, epoch, logs=None):
            self.events.append((epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            self.events.append("end")

    recorder = Recorder()
    model = classifier()
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[recorder])
    keys = ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert recorder.model is model
    assert recorder.events == ["begin", (0, keys), (1, keys), "end"]
    assert sorted(history.history) == keys
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x, y, verbose=0)[0])


def test_fit_and_evaluate_need_compile_and_matching_data(data):
    x, y = data
    model = Sequential([Input((3,)), Dense(2)], name="raw")
    with pytest.raises(RuntimeError, match="Model 'raw': call compile"):
        model.fit(x, y, verbose=0)
    model.compile("sgd", MeanSquaredError())
    with pytest.raises(ValueError, match="x has 10 samples but y has 9"):
        model.fit(x, y[:9], verbose=0)


def iris():
    x, y = load_iris(return_X_y=True)
    return (x - x.mean(axis=0)) / x.std(axis=0), y


def train_on_iris(seed, epochs=15):
    set_random_seed(seed)
    model = Sequential([Input((4,)), Dense(16, activation="relu"), Dense(3, activation="softmax")])
    model.compile(SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(*iris(), batch_size=16, epochs=epochs, verbose=0)
    return history.history


def test_training_a_small_mlp_on_iris_reduces_the_loss():
    history = train_on_iris(seed=0)
    assert history["loss"][-1] < 0.35 * history["loss"][0]
    assert history["accuracy"][-1] > 0.9


def test_training_is_deterministic_given_the_seed():
    first, second = train_on_iris(seed=1, epochs=3), train_on_iris(seed=1, epochs=3)
    assert first["loss"] == second["loss"]
    assert train_on_iris(seed=2, epochs=3)["loss"] != first["loss"]

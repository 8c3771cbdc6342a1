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
    assert [type(m).__name__ for m in model.metrics] == ["Mean", "SparseCategoricalAccuracy"]
    assert model.metrics_names == ["loss", "accuracy"]

    binary = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    binary.compile("sgd", "mse", metrics=["accuracy"])
    binary.fit(x, y[:, None].astype(float), epochs=1, verbose=0)
    assert type(binary.metrics[1]) is BinaryAccuracy


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
    with pytest.raises(ValueError, match="same number of samples, but x has 10, y has 9"):
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


# -- validation_split, batches, sample weights ----------------------------------------------

def row_model():
    """A model whose single input column is the sample's row number, so a spy on
    the first layer's forward sees which rows each batch holds."""
    model = Sequential([Input((1,)), Dense(1)])
    model.compile(SGD(0.0), "mse")
    seen = []
    layer = model.layers[0]
    original = layer.forward

    def spy(x, *, training=False):
        if training:
            seen.append(sorted(int(v) for v in x[:, 0]))
        return original(x, training=training)
    layer.forward = spy
    return model, seen


def test_validation_split_takes_the_last_samples_before_shuffling():
    model, seen = row_model()
    x = np.arange(10.0)[:, None]
    history = model.fit(x, np.zeros((10, 1)), validation_split=0.3, batch_size=3, epochs=2,
                        shuffle=True, verbose=0)
    assert sorted(r for batch in seen[:3] for r in batch) == list(range(7))
    assert "val_loss" in history.history
    expected = model.evaluate(x[7:], np.zeros((3, 1)), verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(expected)
    with pytest.raises(ValueError, match="leaves no samples for training out of 1"):
        model.fit(x[:1], np.zeros((1, 1)), validation_split=0.3, verbose=0)


def test_shuffle_false_keeps_the_order_and_true_reshuffles_each_epoch():
    model, seen = row_model()
    x = np.arange(6.0)[:, None]
    model.fit(x, np.zeros((6, 1)), batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert seen == [[0, 1], [2, 3], [4, 5]]
    seen.clear()
    set_random_seed(0)
    model.fit(x, np.zeros((6, 1)), batch_size=2, epochs=2, shuffle=True, verbose=0)
    assert seen[:3] != seen[3:] and seen[:3] != [[0, 1], [2, 3], [4, 5]]


def test_sample_weights_weigh_the_loss(data):
    x, y = data
    model = classifier(metrics=())
    weights = np.where(y == 1, 2.0, 0.0)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0)
    per_sample = type(model.loss)(reduction="none")(y, model.predict(x))
    assert weighted == pytest.approx(float(np.mean(per_sample * weights)), rel=1e-6)
    with pytest.raises(ValueError, match="sample_weight has 3"):
        model.evaluate(x, y, sample_weight=weights[:3], verbose=0)


def test_train_on_batch_reports_the_loss_before_its_step(data):
    x, y = data
    model = classifier()
    before = model.test_on_batch(x, y, return_dict=True)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs == pytest.approx(before)
    after = model.test_on_batch(x, y)
    assert after[0] < before["loss"]
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x), rtol=1e-6)
    assert model.optimizer.iterations == 1


def test_a_callback_can_stop_training_in_the_middle_of_an_epoch(data):
    class StopAfterTwoBatches(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = classifier()
    history = model.fit(*data, batch_size=2, epochs=5, callbacks=[StopAfterTwoBatches()],
                        verbose=0)
    assert history.epoch == [0] and model.optimizer.iterations == 2
    assert model.history is history


def test_initial_epoch_continues_the_count(data):
    history = classifier().fit(*data, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]


def test_data_may_be_given_by_input_and_output_names(data):
    x, y = data
    model = classifier()
    input_name, output_name = model.input_names[0], model.output_names[0]
    by_name = model.evaluate({input_name: x}, {output_name: y}, verbose=0)
    assert by_name == model.evaluate(x, y, verbose=0)

"""compile / fit / evaluate / predict: the training loop, its printing and its results;
its data as arrays, a PyDataset or a generator, class_weight, and nnlib.utils."""
import io
import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris

from nnlib.callbacks import Callback, History, LambdaCallback
from nnlib.layers import Dense
from nnlib.losses import MeanSquaredError
from nnlib.metrics import BinaryAccuracy, SparseCategoricalAccuracy
from nnlib.models import Input, Sequential
from nnlib.optimizers import SGD
from nnlib.progress import ProgressBar
from nnlib.utils import PyDataset, set_random_seed, to_categorical


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


# -- class_weight ---------------------------------------------------------------------------------

def test_class_weight_is_sample_weight_by_class(data):
    x, y = data
    set_random_seed(0)
    by_class = classifier().fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                                class_weight={1: 4.0})
    set_random_seed(0)
    by_sample = classifier().fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                                 sample_weight=np.where(y == 1, 4.0, 1.0))
    assert by_class.history == by_sample.history


@pytest.mark.parametrize("class_weight, error, message", [
    ([1.0, 2.0], TypeError, r"class_weight must be a dict \{class index: weight\}, got list"),
    ({-1: 2.0}, ValueError, "class_weight must map class indices .* got -1: 2.0"),
    ({0: "heavy"}, ValueError, "got 0: 'heavy'"),
])
def test_class_weight_must_map_classes_to_numbers(data, class_weight, error, message):
    with pytest.raises(error, match=message):
        classifier().fit(*data, class_weight=class_weight, verbose=0)


def test_class_weight_needs_a_single_output_and_one_class_per_sample(data):
    from nnlib.models import Model
    x, y = data
    inputs = Input((3,))
    two = Model(inputs, [Dense(2, name="a")(inputs), Dense(2, name="b")(inputs)])
    two.compile("sgd", "mse")
    with pytest.raises(ValueError, match="class_weight works for a model with a single output; "
                                         "this one has 2"):
        two.fit(x, [np.zeros((10, 2))] * 2, class_weight={0: 2.0}, verbose=0)
    sequences = Sequential([Input((3,)), Dense(2)])
    sequences.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"one class per sample.*got shape \(10, 3, 2\)"):
        sequences.fit(x, np.zeros((10, 3, 2)), class_weight={0: 2.0}, verbose=0)


# -- a PyDataset, a generator, steps ----------------------------------------------------------

class Batches(PyDataset):
    """The batches of 4 of (x, y), counting the passes over them."""

    def __init__(self, x, y, with_weights=False, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.with_weights = x, y, with_weights
        self.visited, self.begun, self.ended = [], 0, 0

    def __len__(self):
        return -(-len(self.x) // 4)

    def __getitem__(self, index):
        self.visited.append(index)
        part = slice(4 * index, 4 * index + 4)
        batch = (self.x[part], self.y[part])
        return batch + (np.ones(len(batch[1])),) if self.with_weights else batch

    def on_epoch_begin(self):
        self.begun += 1

    def on_epoch_end(self):
        self.ended += 1


def test_a_pydataset_is_visited_once_per_epoch_in_a_new_order_with_shuffle(data):
    batches = Batches(*data)
    classifier().fit(batches, epochs=2, verbose=0)
    first, second = batches.visited[:3], batches.visited[3:]
    assert sorted(first) == sorted(second) == [0, 1, 2]
    assert batches.begun == batches.ended == 2
    set_random_seed(1)
    orders = set()
    for _ in range(6):
        batches.visited = []
        classifier().fit(batches, verbose=0)
        orders.add(tuple(batches.visited))
    assert len(orders) > 1
    batches.visited = []
    classifier().fit(batches, epochs=2, shuffle=False, verbose=0)
    assert batches.visited == [0, 1, 2, 0, 1, 2]


def test_a_pydataset_with_sample_weights_and_class_weights(data):
    set_random_seed(0)
    weighted = classifier().fit(Batches(*data, with_weights=True), shuffle=False, verbose=0)
    set_random_seed(0)
    plain = classifier().fit(Batches(*data), shuffle=False, verbose=0)
    assert weighted.history == plain.history
    with pytest.raises(ValueError, match="class_weight and sample_weight cannot be given "
                                         "together"):
        classifier().fit(Batches(*data, with_weights=True), class_weight={0: 2.0}, verbose=0)


@pytest.mark.parametrize("arguments, message", [
    ({"y": np.zeros(10)}, "fit was given x as a PyDataset, whose batches hold the targets: "
                          "leave y out"),
    ({"sample_weight": np.ones(10)}, "fit was given x as a PyDataset, whose batches hold the "
                                     "sample weights: leave sample_weight out"),
    ({"batch_size": 4}, "fit was given x as a PyDataset, whose batches hold their own size: "
                        "leave batch_size out"),
    ({"validation_split": 0.2}, "validation_split works on arrays only, not on a PyDataset; "
                                "pass validation_data"),
])
def test_what_a_pydataset_holds_is_not_given_again(data, arguments, message):
    with pytest.raises(ValueError, match=f"Model '.*': {message}"):
        classifier().fit(Batches(*data), verbose=0, **arguments)


def generate(x, y, batches, size=4):
    for i in range(batches):
        start = (i * size) % len(x)
        yield x[start:start + size], y[start:start + size]


def test_a_generator_runs_once_and_steps_per_epoch_cut_it_into_epochs(data):
    with pytest.warns(UserWarning, match="`shuffle=True` was passed, but will be ignored"):
        history = classifier().fit(generate(*data, 6), steps_per_epoch=2, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2]
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = classifier().fit(generate(*data, 5), steps_per_epoch=2, epochs=4,
                                   shuffle=False, verbose=0)
    assert history.epoch == [0, 1, 2]  # the third epoch had one batch, the fourth none
    with pytest.warns(UserWarning, match="ran out of data"):
        history = classifier().fit(generate(*data, 3), epochs=2, shuffle=False, verbose=0)
    assert history.epoch == [0]


@pytest.mark.parametrize("batches, message", [
    ((b for b in []), "the generator gave no batch: it must give at least one"),
    ((b for b in [(np.ones((2, 3)),) * 4]), r"batches \(x,\), \(x, y\) or \(x, y, "
                                            r"sample_weight\), got tuple of 4 items"),
    ((b for b in [(np.ones((2, 3)),)]), "fit needs targets y for the outputs .*; the generator "
                                        "gave a batch without them"),
])
def test_a_generator_must_give_batches_with_targets(batches, message):
    model = classifier()
    with pytest.raises(ValueError, match=message):
        model.fit(batches, shuffle=False, verbose=0)


def test_steps_per_epoch_with_arrays_sets_the_batch_size_or_cuts_epochs_short(data):
    sizes = []
    model = classifier()
    model.run_batch = lambda step, xs, ys, sws: sizes.append(len(xs[0]))
    model.fit(*data, steps_per_epoch=3, verbose=0)
    assert sizes == [4, 4, 2]  # ceil(10 / 3) per batch
    sizes.clear()
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(*data, batch_size=4, steps_per_epoch=2, epochs=3, shuffle=False, verbose=0)
    assert sizes == [4, 4, 2, 4, 4]  # the second epoch ends with the data


def test_validation_freq_steps_and_batch_size(data):
    batch_sizes = []
    spy = LambdaCallback(on_test_batch_begin=lambda batch, logs: batch_sizes.append(batch))
    history = classifier().fit(*data, epochs=4, validation_data=data, validation_freq=2,
                               validation_batch_size=5, verbose=0, callbacks=[spy])
    assert len(history.history["val_loss"]) == 2 and batch_sizes == [0, 1, 0, 1]
    history = classifier().fit(*data, epochs=3, validation_data=data, validation_freq=[1, 3],
                               validation_steps=1, verbose=0)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"validation_freq as a list names epochs counted "
                                         r"from 1, got \[0, 2\]"):
        classifier().fit(*data, validation_data=data, validation_freq=[0, 2], verbose=0)
    with pytest.raises(ValueError, match="validation_steps must be a whole number >= 1"):
        classifier().fit(*data, validation_data=data, validation_steps=0, verbose=0)


def test_evaluate_and_predict_take_a_pydataset_or_a_generator(data):
    model = classifier()
    expected = model.evaluate(*data, batch_size=4, verbose=0)
    assert model.evaluate(Batches(*data), verbose=0) == pytest.approx(expected)
    assert model.evaluate(generate(*data, 3), verbose=0) == pytest.approx(expected)
    np.testing.assert_allclose(model.predict(generate(*data, 2), steps=2), model.predict(
        data[0][:8]), rtol=1e-6)
    with pytest.raises(ValueError, match="evaluate was given x as a generator, whose batches "
                                         "hold the targets: leave y out"):
        model.evaluate(generate(*data, 1), data[1])


def test_progress_of_a_generator_shows_its_length_at_the_end(data, capsys):
    classifier().fit(generate(*data, 3), shuffle=False, verbose=1)
    assert re.fullmatch(r"Epoch 1/1\n3/3 ━{20} loss: \S+ - accuracy: \S+\n",
                        capsys.readouterr().out)
    stream = io.StringIO()
    stream.isatty = lambda: True
    bar = ProgressBar(None, stream=stream)
    bar.update(1, {"loss": 0.5})
    bar.update(2, {"loss": 0.25})
    bar.finish({"loss": 0.25})
    assert stream.getvalue() == ("\r1/Unknown loss: 0.5000\r2/Unknown loss: 0.2500"
                                 "\r2/2 ━━━━━━━━━━━━━━━━━━━━ loss: 0.2500\n")


# -- nnlib.utils ---------------------------------------------------------------------------------

@pytest.mark.parametrize("labels, num_classes, error, message", [
    ([0, 1.5], None, ValueError, "to_categorical: x must hold class indices, whole numbers, "
                                 "got 1.5"),
    ([0, 3], 3, ValueError, r"class indices must be in \[0, 3\), got 3"),
    ([-1, 0], None, ValueError, r"class indices must be in \[0, 1\), got -1"),
    (["cat"], None, TypeError, "x must hold class indices, got an array of <U3"),
    ([0, 1], 0, ValueError, "num_classes must be a whole number >= 1, got 0"),
])
def test_to_categorical_refuses_what_is_not_a_class_index(labels, num_classes, error, message):
    with pytest.raises(error, match=message):
        to_categorical(labels, num_classes)


def test_pydataset_takes_keras_arguments_and_plot_model_is_the_models():
    import nnlib.models
    import nnlib.utils
    assert Batches(np.ones((8, 3)), np.ones(8), workers=4, use_multiprocessing=True,
                   max_queue_size=2).workers == 4
    with pytest.raises(TypeError, match="Batches: use_multiprocessing must be True or False"):
        Batches(np.ones((8, 3)), np.ones(8), use_multiprocessing="yes")
    assert nnlib.utils.plot_model is nnlib.models.plot_model
    code = ("import sys, nnlib.utils; "
            "print(sorted({'keras', 'torch', 'matplotlib'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout == "[]\n"


def test_a_pydataset_may_give_num_batches_and_needs_one_batch_at_least(data):
    class ByProperty(PyDataset):
        num_batches = 1

        def __getitem__(self, index):
            return data

    class Empty(Batches):
        def __len__(self):
            return 0

    assert classifier().fit(ByProperty(), verbose=0).epoch == [0]
    with pytest.raises(ValueError, match="Empty: nnlib needs a PyDataset of a known number of "
                                         "batches, at least one, but it has 0"):
        classifier().fit(Empty(*data), verbose=0)
    with pytest.raises(NotImplementedError, match="PyDataset: a PyDataset defines __len__"):
        classifier().fit(PyDataset(), verbose=0)

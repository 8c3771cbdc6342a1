"""Metrics: accuracies on hand cases, the stateful protocol, directions, Keras's choice
of accuracy, and metrics (and losses) of one's own in compile and fit."""
import os
import re

import numpy as np
import pytest

from nnlib import metrics, registry
from nnlib.layers import Dense
from nnlib.losses import Loss, MeanSquaredError, SparseCategoricalCrossentropy
from nnlib.metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean,
                           MeanMetricWrapper, Metric, SparseCategoricalAccuracy,
                           resolve_accuracy)
from nnlib.models import Input, Sequential
from nnlib.utils import set_random_seed


def result(metric, *args, **kwargs):
    metric.update_state(*args, **kwargs)
    return float(metric.result())


def test_accuracy_counts_exact_matches():
    assert result(Accuracy(), [1, 2, 3, 4], [0, 2, 3, 4]) == pytest.approx(0.75)
    # Keras's documented examples, labels as a column.
    assert result(Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]]) == pytest.approx(0.75)
    assert result(Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]],
                  sample_weight=[1, 1, 0, 0]) == pytest.approx(0.5)


def test_binary_accuracy_thresholds_strictly_above_one_half():
    y_true = [[1], [1], [0], [0]]
    assert result(BinaryAccuracy(), y_true, [[0.98], [1], [0], [0.6]]) == pytest.approx(0.75)
    assert result(BinaryAccuracy(), y_true, [[0.98], [1], [0], [0.6]],
                  sample_weight=[1, 0, 0, 1]) == pytest.approx(0.5)
    assert result(BinaryAccuracy(), [[1], [0]], [[0.5], [0.5]]) == pytest.approx(0.5)
    assert result(BinaryAccuracy(threshold=0.9), [[1], [0]], [[0.95], [0.8]]) == 1.0


def test_binary_accuracy_with_flat_labels_against_a_column_of_predictions():
    # Labels (n,) against a Dense(1) output (n, 1): Keras matches the ranks first.
    assert result(BinaryAccuracy(), np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.4]])) == \
        pytest.approx(2 / 3)
    assert result(BinaryAccuracy(), np.array([[1], [0]]), np.array([0.9, 0.2])) == 1.0


def test_categorical_accuracy_compares_argmaxes():
    y_true = [[0, 0, 1], [0, 1, 0]]
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert result(CategoricalAccuracy(), y_true, y_pred) == pytest.approx(0.5)
    assert result(CategoricalAccuracy(), y_true, y_pred, sample_weight=[0.7, 0.3]) == \
        pytest.approx(0.3)


@pytest.mark.parametrize("labels", [[2, 1], [[2], [1]]])
def test_sparse_categorical_accuracy_takes_flat_or_column_labels(labels):
    y_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    assert result(SparseCategoricalAccuracy(), labels, y_pred) == pytest.approx(0.5)
    assert result(SparseCategoricalAccuracy(), labels, y_pred, sample_weight=[0.7, 0.3]) == \
        pytest.approx(0.3)


def test_state_accumulates_until_reset():
    metric = CategoricalAccuracy()
    metric.update_state(np.eye(2), np.array([[0.9, 0.1], [0.8, 0.2]]))   # 1 of 2
    assert float(metric.result()) == pytest.approx(0.5)
    metric.update_state(np.eye(2), np.array([[0.6, 0.4], [0.3, 0.7]]))   # 2 of 2
    assert float(metric.result()) == pytest.approx(0.75)
    assert (metric.total, metric.count) == (3.0, 4.0)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert (metric.total, metric.count) == (0.0, 0.0)


def test_calling_a_metric_updates_and_returns_the_running_result():
    metric = Accuracy()
    assert float(metric([1, 1], [1, 0])) == pytest.approx(0.5)
    assert float(metric([1, 1], [1, 1])) == pytest.approx(0.75)


def test_mean_is_weighted():
    mean = Mean()
    mean.update_state([1.0, 2.0])
    mean.update_state(4.0, sample_weight=2.0)
    assert float(mean.result()) == pytest.approx((1 + 2 + 8) / 4)
    assert mean.result().dtype == np.float32
    assert Mean(dtype="float64")([1.0]).dtype == np.float64


def test_calling_a_mean_passes_its_own_arguments():
    # As Keras: metric(...) is update_state(...) then result(), whatever update_state takes.
    mean = Mean()
    assert float(mean([1.0, 2.0, 6.0], [1.0, 1.0, 0.0])) == pytest.approx(1.5)
    assert float(mean(values=[4.5], sample_weight=[2.0])) == pytest.approx(3.0)


class PrecisionAt(Metric):
    """Precision at several thresholds: its state is shaped by an argument."""

    direction = "up"

    def __init__(self, thresholds=(0.5,), name=None, dtype=None):
        super().__init__(name, dtype)
        self.thresholds = list(thresholds)
        self.reset_state()

    def reset_state(self):
        self.true_positives = np.zeros(len(self.thresholds))
        self.predicted_positives = np.zeros(len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = np.asarray(y_pred)[..., None] > np.array(self.thresholds)
        self.true_positives += (predicted & (np.asarray(y_true)[..., None] == 1)).sum(axis=0)
        self.predicted_positives += predicted.sum(axis=0)

    def result(self):
        return np.asarray(self.true_positives / np.maximum(self.predicted_positives, 1),
                          dtype=self.dtype)


def test_the_state_is_made_once_the_arguments_exist():
    # Metric.__init__ makes no state: reset_state, called last, can read the thresholds.
    metric = PrecisionAt(thresholds=[0.3, 0.7])
    np.testing.assert_allclose(metric([1, 0, 1], [0.9, 0.5, 0.4]), [2 / 3, 1.0])
    metric.reset_state()
    assert metric.true_positives.tolist() == [0.0, 0.0]
    assert metric.get_config() == {"thresholds": [0.3, 0.7], "name": "precision_at",
                                   "dtype": "float32"}


def test_each_metric_says_which_way_is_better():
    assert Mean.direction is None and Metric.direction is None
    for entry in registry.entries("metric"):
        assert entry.cls.direction in ("up", "down"), entry.name
    assert {entry.cls.direction for entry in registry.entries("metric")
            if entry.family == "Accuracy"} == {"up"}


def absolute_error(y_true, y_pred):
    return np.abs(y_pred - y_true).mean(axis=-1)


def test_a_plain_function_is_a_metric_averaging_its_per_sample_values():
    metric = metrics.get(absolute_error)
    assert isinstance(metric, MeanMetricWrapper) and metric.name == "absolute_error"
    assert metric.direction is None
    assert repr(metric) == "MeanMetricWrapper(absolute_error, name='absolute_error')"
    y_true, y_pred = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 3.0], [1.0, 2.0]])
    assert float(metric(y_true, y_pred)) == pytest.approx((2.0 + 0.5) / 2)
    assert float(metric(y_true, y_pred, sample_weight=[0.0, 2.0])) == \
        pytest.approx((2.0 + 0.5 + 0.5 * 2) / 4)
    # Labels (n,) against predictions (n, 1) are matched first, as in Keras.
    assert float(MeanMetricWrapper(absolute_error, name="mae")(
        np.array([1.0, 2.0]), np.array([[1.5], [2.0]]))) == pytest.approx(0.25)


def test_a_metric_of_ones_own_needs_no_registering():
    metric = PrecisionAt()
    assert metrics.get(metric) is metric
    with pytest.raises(TypeError, match="expected a metric name or instance, got 3"):
        metrics.get(3)


class SquaredError(Loss):
    """The mean squared error, written as a user would (not registered)."""

    def per_sample(self, y_true, y_pred):
        error = y_pred - y_true
        return (error ** 2).mean(axis=-1), error

    def per_sample_backward(self, d_losses, error):
        return d_losses[..., None] * 2 * error / error.shape[-1]


def test_compile_and_fit_with_a_loss_and_a_metric_of_ones_own():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    set_random_seed(0)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss=SquaredError(), metrics=[absolute_error, "mse"])
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert list(history.history) == ["loss", "absolute_error", "mse"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The loss of one's own and the registered "mse" agree; so do the two metrics' logs.
    np.testing.assert_allclose(history.history["loss"], history.history["mse"], rtol=1e-5)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    prediction = model.predict(x, verbose=0)
    assert logs["absolute_error"] == pytest.approx(float(absolute_error(y, prediction).mean()),
                                                   rel=1e-5)
    assert model.log_directions() == {"loss": "down", "mse": "down"}


@pytest.mark.parametrize("y_true, y_pred, loss, expected", [
    ((32, 1), (32, 1), None, BinaryAccuracy),
    ((32,), (32, 1), None, BinaryAccuracy),
    ((32,), (32, 10), None, SparseCategoricalAccuracy),
    ((32, 1), (32, 10), None, SparseCategoricalAccuracy),
    ((32, 10), (32, 10), None, CategoricalAccuracy),
    ((32, 5, 10), (32, 5, 10), MeanSquaredError(), CategoricalAccuracy),
    ((32, 5), (32, 5, 10), None, SparseCategoricalAccuracy),
    ((32,), (32, 10), SparseCategoricalCrossentropy(), SparseCategoricalAccuracy),
])
def test_resolve_accuracy_chooses_as_keras(y_true, y_pred, loss, expected):
    chosen = resolve_accuracy(y_true, y_pred, loss)
    assert type(chosen) is expected
    assert chosen.name == "accuracy"


def test_default_names_and_lookup():
    assert SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    assert BinaryAccuracy().get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                             "threshold": 0.5}
    assert isinstance(metrics.get("categorical_accuracy"), CategoricalAccuracy)
    assert isinstance(metrics.get("acc"), Accuracy)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get("f1")


# -- labels that do not fit ---------------------------------------------------------------------

SPARSE = "for integer labels against class scores use SparseCategoricalAccuracy"
ORDER = "(the arguments are (y_true, y_pred), in that order)"


@pytest.mark.parametrize("metric, y_true, y_pred, message", [
    # Keras broadcasts (3,) against (3, 3) and reports 1.0 here.
    (Accuracy(), [0, 0, 0], np.zeros((3, 3)),
     f"Accuracy 'accuracy': y_true of shape (3,) does not fit y_pred of shape (3, 3); {SPARSE}"),
    (BinaryAccuracy(), [1, 0, 1], np.full((3, 2), 0.7), SPARSE),
    (CategoricalAccuracy(), [0, 2], np.eye(3)[:2], SPARSE),
    (Accuracy(), [1, 2], [1, 2, 3], "shape (2,) does not fit y_pred of shape (3,): expected the "
                                    "same number of samples"),
    (CategoricalAccuracy(), np.eye(3), np.eye(3)[:2], "expected the same number"),
    (SparseCategoricalAccuracy(), [0, 1], np.eye(3), "expected the same number of samples"),
    (SparseCategoricalAccuracy(), np.eye(3), np.eye(3),
     "for one-hot labels use CategoricalAccuracy ('categorical_accuracy')"),
    (SparseCategoricalAccuracy(), np.zeros((3, 2)), np.eye(3),
     "does not fit y_pred of shape (3, 3): expected labels of shape (3,)"),
    (SparseCategoricalAccuracy(), np.eye(3), [0, 1, 2],  # swapped
     "y_true of shape (3, 3) does not fit y_pred of shape (3,): expected class scores"),
    (Accuracy(), 1, 1, "expected the same number of samples"),
])
def test_labels_that_do_not_fit_the_predictions_are_refused(metric, y_true, y_pred, message):
    with pytest.raises(ValueError, match=re.escape(message) + ".*" + re.escape(ORDER)):
        metric.update_state(y_true, y_pred)
    assert (metric.total, metric.count) == (0.0, 0.0)  # nothing was counted


@pytest.mark.parametrize("sample_weight", [[1.0, 2.0], np.ones((3, 2)), np.ones(4)])
def test_sample_weights_of_the_wrong_length_are_refused(sample_weight):
    with pytest.raises(ValueError, match=re.escape(
            f"Accuracy 'accuracy': sample_weight of shape {np.shape(sample_weight)} does not fit "
            f"the values of shape (3,): expected one weight per sample")):
        Accuracy().update_state([1, 2, 3], [1, 2, 0], sample_weight=sample_weight)


def test_sample_weights_line_up_with_the_samples_first():
    # Per-sample weights against per-step values (4 samples of 4 steps) weigh each sample's
    # steps alike, as in Keras; aligned on the last axis they would weigh steps instead.
    values = np.arange(16.0).reshape(4, 4)
    weights = np.array([1.0, 0.0, 0.0, 0.0])
    assert float(Mean()(values, weights)) == pytest.approx(1.5)  # the mean of row 0
    assert float(Mean()([1.0, 3.0], [[1.0], [3.0]])) == pytest.approx(2.5)  # a column of weights


def test_a_threshold_must_be_a_finite_number():
    with pytest.raises(ValueError, match="BinaryAccuracy: threshold must be a finite number, "
                                         "got nan"):
        BinaryAccuracy(threshold=float("nan"))
    with pytest.raises(TypeError, match="BinaryAccuracy: threshold must be a number, got 'half'"):
        BinaryAccuracy(threshold="half")
    with pytest.raises(TypeError, match="Accuracy: name must be a string, got 3"):
        Accuracy(name=3)


def test_accuracy_departs_from_keras_on_labels_that_do_not_fit():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    y_true, y_pred = np.array([0, 0, 0]), np.zeros((3, 3))
    assert float(keras.metrics.Accuracy()(y_true, y_pred)) == 1.0  # Keras broadcasts
    with pytest.raises(ValueError, match=SPARSE):
        Accuracy()(y_true, y_pred)
    # Where the shapes fit, the two agree.
    y_true, y_pred = np.array([[1], [2], [3], [4]]), np.array([[0], [2], [3], [4]])
    weights = np.array([1.0, 0.5, 0.0, 2.0])
    assert float(Accuracy()(y_true, y_pred, weights)) == pytest.approx(
        float(keras.metrics.Accuracy()(y_true, y_pred, weights)))

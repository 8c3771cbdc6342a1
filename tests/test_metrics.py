"""Metrics: accuracies on hand cases, the stateful protocol, and Keras's choice of accuracy."""
import numpy as np
import pytest

from nnlib import metrics
from nnlib.losses import MeanSquaredError, SparseCategoricalCrossentropy
from nnlib.metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean,
                           SparseCategoricalAccuracy, resolve_accuracy)


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
    assert BinaryAccuracy().get_config() == {"name": "binary_accuracy", "threshold": 0.5}
    assert isinstance(metrics.get("categorical_accuracy"), CategoricalAccuracy)
    assert isinstance(metrics.get("acc"), Accuracy)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get("f1")

"""Metrics: accuracies on hand cases, the stateful protocol, directions, Keras's choice
of accuracy, and metrics (and losses) of one's own in compile and fit."""
import os
import re

import numpy as np
import pytest

from nnlib import losses as nnlib_losses
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


# -- confusion matrix, confusion counts, precision and recall -----------------------------------

from nnlib.metrics import (FalseNegatives, FalsePositives, Precision, Recall,  # noqa: E402
                           TrueNegatives, TruePositives, confusion_matrix)


def test_confusion_matrix_rows_are_true_columns_predicted():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert matrix.dtype == np.int64
    assert confusion_matrix([0, 1], [0, 0], num_classes=4).shape == (4, 4)
    weighted = confusion_matrix([0, 1, 1], [[0], [1], [0]], sample_weight=[0.5, 2.0, 3.0])
    assert weighted.tolist() == [[0.5, 0.0], [3.0, 2.0]]
    assert confusion_matrix([1.0, 0.0], [1, 1]).tolist() == [[0, 1], [0, 1]]  # whole floats


@pytest.mark.parametrize("call, message", [
    (lambda: confusion_matrix([0, 1], np.eye(2) * 0.7), "y_pred must be class indices, whole "
     "numbers >= 0 of shape (samples,), got float64 of shape (2, 2); for class scores take "
     "scores.argmax(axis=-1) first"),
    (lambda: confusion_matrix([0, -1], [0, 1]), "y_true must be class indices"),
    (lambda: confusion_matrix([0, 0.5], [0, 1]), "y_true must be class indices"),
    (lambda: confusion_matrix([0, 1], [0, 1, 1]), "y_true of shape (2,) does not fit y_pred of "
     "shape (3,)"),
    (lambda: confusion_matrix([0, 3], [0, 1], num_classes=3), "labels must be below "
     "num_classes=3, got the label 3"),
    (lambda: confusion_matrix([0, 1], [0, 1], sample_weight=[1.0]), "sample_weight of shape "
     "(1,) does not fit the labels of shape (2,)"),
])
def test_confusion_matrix_refuses_what_is_not_labels(call, message):
    with pytest.raises(ValueError, match=re.escape("confusion_matrix: " + message)):
        call()


COUNTS = [TruePositives, FalsePositives, TrueNegatives, FalseNegatives]


def test_the_four_counts_on_keras_examples():
    # Keras's documented examples.
    assert result(TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1]) == 2.0
    assert result(TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == 1.0
    assert result(FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1]) == 2.0
    assert result(FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == 1.0
    assert result(TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0]) == 2.0
    assert result(TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0], sample_weight=[0, 0, 1, 0]) == 1.0
    assert result(FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0]) == 2.0
    assert result(FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0], sample_weight=[0, 0, 1, 0]) == 1.0


def test_the_counts_are_strictly_above_the_threshold_and_sum_to_the_weights():
    y_true, y_pred = [1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]
    counts = [result(cls(), y_true, y_pred) for cls in COUNTS]
    assert counts == [1.0, 0.0, 2.0, 1.0]  # 0.5 is not above 0.5
    weights = [1.0, 2.0, 3.0, 4.0]
    assert sum(result(cls(), y_true, y_pred, sample_weight=weights) for cls in COUNTS) == 10.0


def test_a_list_of_thresholds_gives_one_count_each():
    y_true, y_pred = [1, 0, 1, 0], [0.2, 0.6, 0.9, 0.4]
    metric = TruePositives(thresholds=[0.0, 0.3, 0.7, 1.0])
    np.testing.assert_array_equal(metric(y_true, y_pred), [2, 1, 1, 0])
    np.testing.assert_array_equal(FalsePositives(thresholds=[0.0, 0.5])(y_true, y_pred), [2, 1])
    assert TruePositives(thresholds=[0.3]).result().shape == ()  # one threshold: a number
    assert TruePositives(thresholds=0.3).get_config()["thresholds"] == 0.3
    assert TruePositives().get_config() == {"thresholds": None, "name": "true_positives",
                                            "dtype": "float32"}


def batches(*arrays, size=7):
    n = len(arrays[0])
    return [tuple(a[i:i + size] for a in arrays) for i in range(0, n, size)]


@pytest.mark.parametrize("make", [
    *(lambda cls=cls: cls(thresholds=[0.2, 0.5, 0.8]) for cls in COUNTS),
    lambda: Precision(), lambda: Recall(thresholds=[0.1, 0.6]),
    lambda: Precision(top_k=2), lambda: Recall(class_id=1), lambda: Precision(top_k=1, class_id=2),
])
def test_streaming_over_batches_equals_one_pass(make):
    rng = np.random.default_rng(0)
    y_true = (rng.random((40, 3)) < 0.4).astype(float)
    y_pred, weights = rng.random((40, 3)), rng.random(40)
    whole = make()(y_true, y_pred, sample_weight=weights)
    metric = make()
    for labels, scores, w in batches(y_true, y_pred, weights):
        metric.update_state(labels, scores, sample_weight=w)
    np.testing.assert_allclose(metric.result(), whole, rtol=1e-6)
    metric.reset_state()
    assert np.all(metric.result() == 0)


def test_precision_and_recall_on_keras_examples():
    assert result(Precision(), [0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    assert result(Precision(), [0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == 1.0
    assert result(Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1]) == 0.0  # the first two
    assert result(Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1]) == 0.5
    assert result(Recall(), [0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    assert result(Recall(), [0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == 1.0


def test_precision_and_recall_by_hand_with_weights():
    # Predicted positive (> 0.5): samples 0, 2, 3; actual positive: 0, 1, 3.
    y_true, y_pred, w = [1, 1, 0, 1, 0], [0.9, 0.2, 0.7, 0.6, 0.1], [1.0, 2.0, 3.0, 4.0, 5.0]
    assert result(Precision(), y_true, y_pred, sample_weight=w) == pytest.approx(5 / 8)
    assert result(Recall(), y_true, y_pred, sample_weight=w) == pytest.approx(5 / 7)
    np.testing.assert_allclose(Precision(thresholds=[0.0, 0.65, 0.95])(y_true, y_pred, w),
                               [7 / 15, 1 / 4, 0.0])
    np.testing.assert_allclose(Recall(thresholds=[0.0, 0.65, 0.95])(y_true, y_pred, w),
                               [1.0, 1 / 7, 0.0])


def test_undefined_precision_and_recall_are_zero():
    # No predicted positives: TP + FP = 0; no actual positives: TP + FN = 0.
    assert result(Precision(), [1, 0, 1], [0.1, 0.2, 0.3]) == 0.0
    assert result(Recall(), [0, 0, 0], [0.9, 0.2, 0.3]) == 0.0
    assert float(Precision().result()) == 0.0 and float(Recall().result()) == 0.0
    assert result(Precision(), [1, 1], [0.9, 0.9], sample_weight=[0.0, 0.0]) == 0.0
    np.testing.assert_array_equal(Precision(thresholds=[0.5, 1.0])([1, 0], [0.9, 0.2]), [1, 0])


def test_top_k_and_class_id():
    y_true = np.array([[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 1, 1]])
    y_pred = np.array([[0.1, 0.8, 0.6, 0.3], [0.2, 0.9, 0.05, 0.4], [0.3, 0.2, 0.7, 0.9]])
    # Top 1 of each row: columns 1, 1, 3 -> right, wrong, right.
    assert result(Precision(top_k=1), y_true, y_pred) == pytest.approx(2 / 3)
    assert result(Recall(top_k=1), y_true, y_pred) == pytest.approx(2 / 5)
    # Top 2: {1, 2}, {1, 3}, {2, 3} -> 1 + 0 + 2 right of 6.
    assert result(Precision(top_k=2), y_true, y_pred) == pytest.approx(3 / 6)
    # Top 2 and above 0.65: 0.8, 0.9, 0.7, 0.9 -> right, wrong, right, right.
    assert result(Precision(top_k=2, thresholds=0.65), y_true, y_pred) == pytest.approx(3 / 4)
    # Column 3 alone, above 0.5: predicted in row 2 only, positives in rows 0 and 2.
    assert result(Precision(class_id=3), y_true, y_pred) == 1.0
    assert result(Recall(class_id=3), y_true, y_pred) == 0.5
    # Column 1 in the top 1: rows 0 and 1 -> precision 1/2; row 0 is its only positive.
    assert result(Precision(top_k=1, class_id=1), y_true, y_pred) == 0.5
    assert result(Recall(top_k=1, class_id=1), y_true, y_pred) == 1.0
    # Column 2 is never in the top 1.
    assert result(Recall(top_k=1, class_id=2), y_true, y_pred) == 0.0
    assert Precision(top_k=2, class_id=1).get_config() == {
        "thresholds": None, "top_k": 2, "class_id": 1, "name": "precision", "dtype": "float32"}


@pytest.mark.parametrize("metric, y_true, y_pred, message", [
    (Precision(), [0, 1, 2], np.full((3, 3), 0.4), "Precision 'precision': y_true of shape (3,) "
     "does not fit y_pred of shape (3, 3): expected labels of the predictions' shape"),
    (Recall(), [0, 1], [0.2, 0.3, 0.4], "expected the same number of samples"),
    (Precision(class_id=0), [0, 1], [0.2, 0.3], "class_id needs class scores, (samples, "
     "classes)"),
    (Recall(class_id=3), np.eye(3), np.eye(3), "class_id=3 is not a class of predictions of "
     "shape (3, 3): expected class_id < 3"),
    (TruePositives(), np.eye(2), [[0.1, 0.2, 0.3]] * 2, "does not fit"),
])
def test_confusion_metrics_refuse_labels_that_do_not_fit(metric, y_true, y_pred, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        metric.update_state(y_true, y_pred)
    assert np.all(metric.result() == 0)


def test_confusion_metrics_refuse_sample_weights_that_do_not_fit():
    with pytest.raises(ValueError, match=re.escape(
            "Recall 'recall': sample_weight of shape (2,) does not fit the predictions of shape "
            "(3,): expected one weight per sample")):
        Recall().update_state([1, 0, 1], [0.9, 0.2, 0.4], sample_weight=[1.0, 2.0])


def test_names_and_directions_of_the_confusion_metrics():
    for name, cls in [("precision", Precision), ("recall", Recall),
                      ("true_positives", TruePositives), ("false_negatives", FalseNegatives)]:
        assert isinstance(metrics.get(name), cls) and cls().name == name
    assert [cls.direction for cls in COUNTS] == ["up", "down", "up", "down"]
    assert Precision.direction == Recall.direction == "up"


def test_precision_and_recall_by_name_in_compile_and_fit_on_breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import precision_score, recall_score

    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    set_random_seed(0)
    model = Sequential([Input((30,)), Dense(8, activation="relu"),
                        Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="did you mean 'precision'"):
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["precison"])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", "precision", "recall", "true_positives", "auc"])
    history = model.fit(x, y, epochs=10, batch_size=64, verbose=0)
    assert list(history.history) == ["loss", "accuracy", "precision", "recall", "true_positives",
                                     "auc"]
    assert history.history["recall"][-1] > 0.8 and history.history["precision"][-1] > 0.8
    assert history.history["auc"][-1] > max(0.9, history.history["auc"][0])
    assert model.log_directions()["precision"] == model.log_directions()["auc"] == "up"
    logs = model.evaluate(x, y, batch_size=50, verbose=0, return_dict=True)
    predicted = (model.predict(x, verbose=0)[:, 0] > 0.5).astype(int)
    assert logs["precision"] == pytest.approx(precision_score(y, predicted), rel=1e-6)
    assert logs["recall"] == pytest.approx(recall_score(y, predicted), rel=1e-6)
    assert logs["true_positives"] == float(((predicted == 1) & (y == 1)).sum())
    scores = model.predict(x, verbose=0)
    assert logs["auc"] == pytest.approx(float(AUC()(y, scores)), rel=1e-6)
    assert logs["auc"] == pytest.approx(float(roc_auc(y, scores)), abs=1e-3)


# -- AUC and the exact ROC AUC ------------------------------------------------------------------

from nnlib.metrics import AUC, roc_auc  # noqa: E402


def test_roc_auc_counts_pairs_and_ties_count_half():
    # Positives 0.35, 0.8 against negatives 0.1, 0.4: three of four pairs ranked right.
    assert float(roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])) == 0.75
    assert float(roc_auc([0, 1], [0.5, 0.5])) == 0.5  # a tie: one half
    assert float(roc_auc([1, 0, 1, 0], [0.3, 0.3, 0.9, 0.1])) == pytest.approx(7 / 8)
    # Weights count the pairs: the pair (0.35, 0.4), ranked wrong, weighs 3 * 2.
    assert float(roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], sample_weight=[1, 2, 3, 1])) == \
        pytest.approx((3 * 1 + 1 * 1 + 1 * 2) / (4 * 3))
    assert float(roc_auc([[0], [1]], [[-3.0], [7.0]])) == 1.0  # columns, scores of any sign
    with pytest.raises(ValueError, match="roc_auc: y_true holds no negatives"):
        roc_auc([1, 1], [0.2, 0.4])
    with pytest.raises(ValueError, match=re.escape(
            "roc_auc: y_true of shape (2,) does not fit scores of shape (3,): expected one label")):
        roc_auc([0, 1], [0.1, 0.2, 0.3])


def test_auc_by_hand_with_three_thresholds():
    # Thresholds -eps, 0.5, 1 + eps.  At 0.5: scores above are 0.9 only, so TPR = 1/2, FPR = 0.
    y_true, y_pred = [0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]
    # ROC points (1, 1), (0, 1/2), (0, 0): trapezoids 1 * (1 + 1/2) / 2 + 0.
    assert float(AUC(num_thresholds=3)(y_true, y_pred)) == pytest.approx(0.75)
    assert float(AUC(num_thresholds=3, summation_method="minoring")(y_true, y_pred)) == 0.5
    assert float(AUC(num_thresholds=3, summation_method="majoring")(y_true, y_pred)) == 1.0
    # PR points (recall, precision): (1, 1/2), (1/2, 1), (0, 0 undefined).
    assert float(AUC(num_thresholds=3, curve="PR", summation_method="minoring")(
        y_true, y_pred)) == pytest.approx(0.5 * 0.5)
    assert float(AUC(num_thresholds=3, curve="pr", summation_method="majoring")(
        y_true, y_pred)) == pytest.approx(0.5 * 1.0 + 0.5 * 1.0)
    # Davis-Goadrich: from P = 4, TP = 2 to P = 1, TP = 1, slope 1/3, intercept 2/3;
    # (1/3)(1 + (2/3) log 4) / 2, then a constant precision 1 over the first true positive.
    expected = (1 + 2 / 3 * np.log(4)) / 3 / 2 + 1 / 2
    assert float(AUC(num_thresholds=3, curve="PR")(y_true, y_pred)) == pytest.approx(expected)


def test_auc_brackets_the_exact_area_ever_tighter_as_thresholds_are_added():
    rng = np.random.default_rng(0)
    y_true = (rng.random(500) < 0.3).astype(float)
    y_pred = 1 / (1 + np.exp(-(rng.normal(size=500) + 1.5 * y_true)))
    exact = float(roc_auc(y_true, y_pred))
    gaps = []
    for n in (3, 5, 17, 129, 1025):  # each grid holds the one before
        low, mid, high = (float(AUC(num_thresholds=n, summation_method=m, dtype="float64")(
            y_true, y_pred)) for m in ("minoring", "interpolation", "majoring"))
        assert low <= exact <= high and low <= mid <= high
        gaps.append(high - low)
    assert all(a > b for a, b in zip(gaps, gaps[1:])), gaps
    assert abs(float(AUC(dtype="float64")(y_true, y_pred)) - exact) < 1e-3


@pytest.mark.parametrize("arguments", [
    {}, {"curve": "PR"}, {"summation_method": "minoring"}, {"thresholds": [0.2, 0.4, 0.7]},
    {"multi_label": True}, {"multi_label": True, "curve": "PR", "label_weights": [1, 0, 2]},
    {"label_weights": [0.5, 1.0, 2.0]}, {"from_logits": True},
])
def test_auc_streaming_over_batches_equals_one_pass(arguments):
    rng = np.random.default_rng(1)
    y_true = (rng.random((40, 3)) < 0.4).astype(float)
    y_pred, weights = np.clip(0.3 * y_true + 0.7 * rng.random((40, 3)), 0, 1), rng.random(40)
    whole = float(AUC(**arguments)(y_true, y_pred, sample_weight=weights))
    metric = AUC(**arguments)
    for labels, scores, w in batches(y_true, y_pred, weights):
        metric.update_state(labels, scores, sample_weight=w)
    assert float(metric.result()) == pytest.approx(whole, rel=1e-6)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_auc_sample_weights_multi_label_and_logits():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    # A weight of 0 drops the negative 0.4: every pair is then ranked right.
    assert float(AUC()(y_true, y_pred, sample_weight=[1, 0, 1, 1])) == pytest.approx(1.0)
    assert float(AUC()(y_true, y_pred, sample_weight=[1, 2, 3, 1])) == \
        pytest.approx(float(roc_auc(y_true, y_pred, sample_weight=[1, 2, 3, 1])), abs=1e-6)
    # multi_label: the mean of the columns' areas; without it, one pooled curve.
    labels = np.array([[0, 1], [0, 0], [1, 1], [1, 0]])
    scores = np.array([[0.1, 0.2], [0.4, 0.9], [0.35, 0.8], [0.8, 0.3]])
    columns = [float(AUC()(labels[:, k], scores[:, k])) for k in range(2)]
    assert float(AUC(multi_label=True)(labels, scores)) == pytest.approx(np.mean(columns))
    assert float(AUC(multi_label=True, label_weights=[3, 1])(labels, scores)) == \
        pytest.approx((3 * columns[0] + columns[1]) / 4)
    assert float(AUC()(labels, scores)) == pytest.approx(
        float(AUC()(labels.ravel(), scores.ravel())))
    logits = np.log(y_pred / (1 - y_pred))
    assert float(AUC(from_logits=True)(y_true, logits)) == pytest.approx(float(AUC()(y_true,
                                                                                    y_pred)))


def test_auc_config_and_thresholds():
    metric = AUC(thresholds=[0.7, 0.2])
    assert metric.thresholds == [0.2, 0.7] and metric.num_thresholds == 4
    np.testing.assert_allclose(metric.threshold_values, [-1e-7, 0.2, 0.7, 1 + 1e-7])
    assert AUC().get_config() == {
        "num_thresholds": 200, "curve": "ROC", "summation_method": "interpolation",
        "name": "auc", "dtype": "float32", "thresholds": None, "multi_label": False,
        "num_labels": None, "label_weights": None, "from_logits": False}
    assert AUC(curve="pr").curve == "PR"
    assert len(AUC(num_thresholds=5).threshold_values) == 5
    assert float(AUC(multi_label=True).result()) == 0.0  # before any batch
    assert AUC(multi_label=True, num_labels=3).counts["tp"].shape == (200, 3)


@pytest.mark.parametrize("metric, y_true, y_pred, message", [
    (AUC(multi_label=True), [0, 1, 1], [0.2, 0.6, 0.9], "multi_label expects 2-D predictions"),
    (AUC(multi_label=True, num_labels=2), np.eye(3), np.eye(3), "with 2 labels"),
    (AUC(label_weights=[1.0, 2.0]), np.eye(3), np.eye(3), "expected 2 columns, one per label "
     "weight"),
    (AUC(), [0, 1, 2], np.eye(3), "expected labels of the predictions' shape"),
])
def test_auc_refuses_what_does_not_fit(metric, y_true, y_pred, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        metric.update_state(y_true, y_pred)


def test_compile_refuses_a_metric_whose_result_is_several_numbers():
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match=r"Precision '.*' gives several values .* one metric "
                                         r"per threshold"):
        model.compile("sgd", "binary_crossentropy",
                      metrics=[metrics.Precision(thresholds=[0.3, 0.6])])
    model.compile("sgd", "binary_crossentropy", metrics=[metrics.Precision(thresholds=0.3)])


# -- top-k accuracies ---------------------------------------------------------------------------

def test_top_k_accuracies_count_the_label_among_the_k_highest_scores():
    # Keras's documented examples.
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    one_hot, sparse = [[0, 0, 1], [0, 1, 0]], [2, 1]
    assert result(metrics.TopKCategoricalAccuracy(k=1), one_hot, y_pred) == pytest.approx(0.5)
    assert result(metrics.TopKCategoricalAccuracy(k=1), one_hot, y_pred,
                  sample_weight=[0.7, 0.3]) == pytest.approx(0.3)
    assert result(metrics.SparseTopKCategoricalAccuracy(k=1), sparse, y_pred,
                  sample_weight=[0.7, 0.3]) == pytest.approx(0.3)
    assert result(metrics.SparseTopKCategoricalAccuracy(k=1), [[2], [1]], y_pred) == 0.5
    assert result(metrics.TopKCategoricalAccuracy(k=2), one_hot, y_pred) == 1.0
    # k at or above the number of classes counts every sample.
    assert result(metrics.SparseTopKCategoricalAccuracy(), sparse, y_pred) == 1.0


def test_top_k_ties_count_in_the_label_s_favour_as_in_keras():
    # Three classes tied at the top: with k=1 each label among them counts.
    y_pred = np.array([[0.3, 0.3, 0.3, 0.1]] * 4)
    labels = np.array([0, 1, 2, 3])
    assert result(metrics.SparseTopKCategoricalAccuracy(k=1), labels, y_pred) == 0.75
    assert result(metrics.TopKCategoricalAccuracy(k=1), np.eye(4)[labels], y_pred) == 0.75
    np.testing.assert_array_equal(metrics.in_top_k(labels, y_pred, 1), [1, 1, 1, 0])


def test_top_k_accuracies_stream_over_batches_as_one_pass():
    rng = np.random.default_rng(0)
    labels, scores, weights = rng.integers(0, 6, 50), rng.random((50, 6)), rng.random(50)
    for metric, y_true in [(metrics.SparseTopKCategoricalAccuracy(k=2), labels),
                           (metrics.TopKCategoricalAccuracy(k=2), np.eye(6)[labels])]:
        for i in range(0, 50, 16):
            metric.update_state(y_true[i:i + 16], scores[i:i + 16], weights[i:i + 16])
        hits = (scores >= np.sort(scores, axis=1)[:, [-2]])[np.arange(50), labels]
        assert float(metric.result()) == pytest.approx(np.average(hits, weights=weights))
        assert 0.0 < float(metric.result()) < 1.0


def test_top_k_accuracies_refuse_labels_that_do_not_fit():
    scores = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"TopKCategoricalAccuracy 'top_k_categorical_accuracy'"
                                         r".*use SparseTopKCategoricalAccuracy"):
        metrics.TopKCategoricalAccuracy()([0, 1, 2], scores)
    with pytest.raises(ValueError, match="for one-hot labels use TopKCategoricalAccuracy"):
        metrics.SparseTopKCategoricalAccuracy()(np.eye(4)[:3], scores)
    with pytest.raises(ValueError, match=r"class indices, whole numbers in \[0, 3\], got "
                                         r"values from 0 to 4"):
        metrics.SparseTopKCategoricalAccuracy()([0, 1, 4], scores)
    with pytest.raises(ValueError, match="expected class scores"):
        metrics.SparseTopKCategoricalAccuracy()([0, 1, 2], np.zeros(3))


def test_top_k_accuracies_by_name_in_compile():
    set_random_seed(0)
    x = np.random.default_rng(1).random((40, 3))
    y = np.random.default_rng(2).integers(0, 8, 40)
    model = Sequential([Input((3,)), Dense(8, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_top_k_categorical_accuracy",
                           metrics.SparseTopKCategoricalAccuracy(k=2, name="top_2")])
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    scores = model.predict(x, verbose=0)
    for name, k in [("sparse_top_k_categorical_accuracy", 5), ("top_2", 2)]:
        hits = (scores >= np.sort(scores, axis=1)[:, [-k]])[np.arange(40), y]
        assert logs[name] == pytest.approx(hits.mean(), abs=1e-6)
    assert logs["top_2"] < logs["sparse_top_k_categorical_accuracy"]


# -- regression metrics -------------------------------------------------------------------------

REGRESSION = [metrics.MeanSquaredError, metrics.RootMeanSquaredError, metrics.MeanAbsoluteError,
              metrics.MeanAbsolutePercentageError, metrics.R2Score]


def regression_data(seed, shape=(50, 3)):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(2.0, 1.0, shape)
    return y_true, y_true + rng.normal(0.0, 0.5, shape), rng.random(shape[0]) * 2


def test_regression_metrics_on_hand_cases():
    y_true, y_pred = np.array([[0.0, 1.0], [2.0, 4.0]]), np.array([[1.0, 1.0], [2.0, 1.0]])
    assert result(metrics.MeanSquaredError(), y_true, y_pred) == pytest.approx(2.5)
    assert result(metrics.RootMeanSquaredError(), y_true, y_pred) == pytest.approx(2.5 ** 0.5)
    assert result(metrics.MeanAbsoluteError(), y_true, y_pred) == pytest.approx(1.0)
    # Per sample: (1 / 1e-7 + 0) / 2 and (0 + 3 / 4) / 2, in percent; Keras's epsilon,
    # kept beside the losses' (an import would be a cycle).
    assert metrics.regression.EPSILON == nnlib_losses.EPSILON == 1e-7
    assert result(metrics.MeanAbsolutePercentageError(), y_true, y_pred) == \
        pytest.approx(100 * (0.5e7 + 0.375) / 2, rel=1e-6)
    # Weighted: the second sample alone.
    assert result(metrics.MeanSquaredError(), y_true, y_pred, sample_weight=[0.0, 1.0]) == 4.5
    # R2 of [1, 2, 3] predicted [1, 2, 2]: 1 - 1 / 2.
    assert result(metrics.R2Score(), [1.0, 2.0, 3.0], [1.0, 2.0, 2.0]) == pytest.approx(0.5)
    assert result(metrics.R2Score(), [[1.0], [2.0], [3.0]], [[2.0], [2.0], [2.0]]) == 0.0


def test_regression_metrics_take_flat_targets_against_a_column():
    y_true, y_pred = np.array([1.0, 2.0, 4.0]), np.array([[1.5], [2.0], [3.0]])
    assert result(metrics.MeanAbsoluteError(), y_true, y_pred) == pytest.approx(0.5)
    assert result(metrics.MeanSquaredError(), y_true[:, None], y_pred[:, 0]) == \
        pytest.approx(1.25 / 3)
    with pytest.raises(ValueError, match=r"MeanSquaredError 'mean_squared_error': y_true of "
                                         r"shape \(3,\) does not fit y_pred of shape \(3, 2\)"):
        metrics.MeanSquaredError()(y_true, np.zeros((3, 2)))


@pytest.mark.parametrize("cls", REGRESSION)
def test_regression_metrics_stream_over_weighted_batches_as_one_pass(cls):
    y_true, y_pred, weights = regression_data(1)
    whole = float(cls(dtype="float64")(y_true, y_pred, sample_weight=weights))
    streamed = cls(dtype="float64")
    for i in range(0, 50, 16):
        streamed.update_state(y_true[i:i + 16], y_pred[i:i + 16], sample_weight=weights[i:i + 16])
    assert float(streamed.result()) == pytest.approx(whole, rel=1e-12)
    # Weights matter: the unweighted result differs.
    assert float(cls(dtype="float64")(y_true, y_pred)) != pytest.approx(whole, rel=1e-6)
    streamed.reset_state()
    assert float(streamed.result()) == 0.0


def test_streamed_rmse_and_r2_are_not_means_of_the_batches():
    y_true = np.array([[0.0], [0.0], [1.0], [3.0]])
    y_pred = np.array([[1.0], [1.0], [1.0], [1.0]])
    rmse, r2 = metrics.RootMeanSquaredError(dtype="float64"), metrics.R2Score(dtype="float64")
    for batch in (slice(0, 2), slice(2, 4)):
        rmse.update_state(y_true[batch], y_pred[batch])
        r2.update_state(y_true[batch], y_pred[batch])
    assert float(rmse.result()) == pytest.approx(np.sqrt(6 / 4))  # not (1 + sqrt(2)) / 2
    # Mean 1, total sum of squares 1 + 1 + 0 + 4 = 6, residuals 6: 0 (the first batch, whose
    # targets are constant, alone would score 0 and the second -1).
    assert float(r2.result()) == pytest.approx(0.0)


def test_r2_with_constant_targets():
    # Predictions that miss constant targets score 0, as Keras and scikit-learn say;
    # perfect ones score 1 (scikit-learn's choice; Keras gives NaN, 0 / 0).
    assert result(metrics.R2Score(), [[1.0], [1.0], [1.0]], [[1.0], [2.0], [0.0]]) == 0.0
    assert result(metrics.R2Score(), [[1.0], [1.0]], [[1.0], [1.0]]) == 1.0
    per_output = metrics.R2Score(class_aggregation=None)(
        [[1.0, 1.0, 1.0], [1.0, 1.0, 3.0]], [[1.0, 0.0, 1.0], [1.0, 1.0, 2.0]])
    np.testing.assert_allclose(per_output, [1.0, 0.0, 0.5])
    # A constant output weighs nothing in the variance-weighted average.
    assert float(metrics.R2Score(class_aggregation="variance_weighted_average")(
        [[1.0, 1.0], [1.0, 3.0]], [[5.0, 1.0], [1.0, 2.0]])) == pytest.approx(0.5)


def test_r2_aggregations_and_the_adjusted_score():
    y_true = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 40.0], [4.0, 30.0]])
    y_pred = np.array([[1.5, 10.0], [2.0, 25.0], [2.5, 30.0], [4.0, 30.0]])
    # Output 0: 1 - 0.5 / 5 = 0.9; output 1: 1 - 125 / 500 = 0.75.
    np.testing.assert_allclose(metrics.R2Score(class_aggregation=None)(y_true, y_pred),
                               [0.9, 0.75], rtol=1e-6)
    assert float(metrics.R2Score()(y_true, y_pred)) == pytest.approx(0.825)
    assert float(metrics.R2Score(class_aggregation="variance_weighted_average")(
        y_true, y_pred)) == pytest.approx((5 * 0.9 + 500 * 0.75) / 505)
    y = y_true[:, :1]
    adjusted = float(metrics.R2Score(num_regressors=1)(y, y_pred[:, :1]))
    assert adjusted == pytest.approx(1 - (1 - 0.9) * 3 / 2)
    with pytest.warns(UserWarning, match="num_regressors=3 needs more than 4 samples"):
        assert float(metrics.R2Score(num_regressors=3)(y, y_pred[:, :1])) == pytest.approx(0.9)


def test_r2_refuses_what_it_cannot_score():
    with pytest.raises(ValueError, match=r"R2Score 'r2_score': expected y_true and y_pred of "
                                         r"shape \(samples, outputs\), got \(2, 2, 2\)"):
        metrics.R2Score()(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    metric = metrics.R2Score()
    metric.update_state(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="expected 2 outputs, as in the batches before, got 3"):
        metric.update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit"):
        metrics.R2Score()(np.zeros((2, 1)), np.zeros((2, 1)), sample_weight=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="gives"):  # one value per output does not fit a log
        Sequential([Input((3,)), Dense(2)]).compile(
            "sgd", "mse", metrics=[metrics.R2Score(class_aggregation=None)])


def test_regression_metrics_by_name_in_compile_use_the_registered_metrics():
    set_random_seed(0)
    rng = np.random.default_rng(3)
    x, y = rng.random((40, 3)), rng.random((40, 2))
    names = ["mse", "mean_squared_error", "mae", "mape", "root_mean_squared_error", "r2_score"]
    model = Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=names)
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    compiled = dict(model.compiled_metrics.named_metrics())
    assert type(compiled["mse"]) is metrics.MeanSquaredError
    assert type(compiled["r2_score"]) is metrics.R2Score
    # The same numbers as the loss wrapped in a metric, which "mse" meant before.
    from nnlib.models.compile_utils import loss_metric
    y_pred = model.predict(x, verbose=0)
    for name, loss in [("mse", "mse"), ("mae", "mae")]:
        wrapped = loss_metric(nnlib_losses.get(loss))
        assert logs[name] == pytest.approx(float(wrapped(y, y_pred)), rel=1e-5)
    assert logs["mse"] == pytest.approx(logs["loss"], rel=1e-5)
    assert logs["root_mean_squared_error"] == pytest.approx(np.sqrt(logs["mse"]), rel=1e-5)
    assert model.log_directions()["r2_score"] == "up"
    assert model.log_directions()["mape"] == "down"


# -- F-scores ------------------------------------------------------------------------------------

def test_f1_per_class_by_hand_keras_s_example():
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    # Threshold 0.5: class 0 tp 1 fn 2 (P 1, R 1/3, F1 1/2); class 1 tp 2 fp 1 (P R 2/3 1,
    # F1 0.8); class 2 tp 1 fp 1 (P 1/2, R 1, F1 2/3).
    np.testing.assert_allclose(metrics.F1Score(threshold=0.5)(y_true, y_pred),
                               [0.5, 0.8, 2 / 3], rtol=1e-6)
    # Macro: their mean; weighted by support (3, 2, 1); micro: tp 4, fp 2, fn 2.
    assert float(metrics.F1Score("macro", 0.5)(y_true, y_pred)) == \
        pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert float(metrics.F1Score("weighted", 0.5)(y_true, y_pred)) == \
        pytest.approx((3 * 0.5 + 2 * 0.8 + 2 / 3) / 6)
    assert float(metrics.F1Score("micro", 0.5)(y_true, y_pred)) == pytest.approx(4 / 6)


def test_f_score_without_threshold_predicts_each_row_s_highest_and_micro_is_accuracy():
    y_true = np.eye(3)[[0, 1, 2, 2]]
    y_pred = np.array([[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [0.1, 0.2, 0.7], [0.0, 0.0, 0.0]])
    # Row 2's tie predicts classes 0 and 1; the row of zeros predicts nothing.
    metric = metrics.F1Score()
    metric.update_state(y_true, y_pred)
    np.testing.assert_array_equal(metric.counts["tp"], [1, 1, 1])
    np.testing.assert_array_equal(metric.counts["fp"], [1, 0, 0])
    np.testing.assert_array_equal(metric.counts["fn"], [0, 0, 1])
    # With exactly one prediction per row, micro F1 is the accuracy.
    labels = np.random.default_rng(0).integers(0, 3, 50)
    scores = np.random.default_rng(1).random((50, 3))
    assert float(metrics.F1Score("micro", dtype="float64")(np.eye(3)[labels], scores)) == \
        pytest.approx(np.mean(scores.argmax(axis=1) == labels))


def test_f_score_s_undefined_cases_give_zero_and_beta_weighs_recall():
    # A class never predicted and never true: 0, as Keras (not NaN).
    result = metrics.F1Score(threshold=0.5)([[1, 0], [1, 0]], [[0.9, 0.1], [0.8, 0.2]])
    np.testing.assert_array_equal(result, [1.0, 0.0])
    assert float(metrics.F1Score("macro")(np.zeros((0, 2)), np.zeros((0, 2)))) == 0.0
    assert float(metrics.F1Score()([[1, 0]], [[0.7, 0.3]]).sum()) == 1.0
    # P = 1/2, R = 1: beta 2 favours the recall, beta 1/2 the precision.
    scores = {beta: float(metrics.FBetaScore("micro", beta, 0.5)([[1], [0]], [[0.9], [0.8]]))
              for beta in (0.5, 1.0, 2.0)}
    assert scores[0.5] < scores[1.0] < scores[2.0]
    assert scores[2.0] == pytest.approx(5 * 0.5 / (4 * 0.5 + 1))


def test_f_score_refuses_labels_that_do_not_fit():
    with pytest.raises(ValueError, match=re.escape(
            "F1Score 'f1_score': y_true of shape (3,) does not fit y_pred of shape (3, 2): "
            "expected 2-D labels and predictions of one shape")):
        metrics.F1Score()([0, 1, 1], np.zeros((3, 2)))
    # A binary model's flat labels against its column of probabilities: one class.
    assert float(metrics.F1Score(threshold=0.5)([1, 0, 1], [[0.9], [0.2], [0.4]])[0]) == \
        pytest.approx(2 / 3)
    metric = metrics.F1Score()
    metric.update_state(np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="expected 2 classes, as in the earlier batches"):
        metric.update_state(np.eye(3), np.eye(3))


# -- one rate where the other reaches a target ---------------------------------------------------

def test_precision_at_recall_and_recall_at_precision_by_hand():
    y_true, y_pred = [0, 0, 1, 1], [0.2, 0.4, 0.3, 0.9]
    # Thresholds 0, 0.5, 1: (P, R) = (1/2, 1), (1, 1/2), (0, 0).
    assert float(metrics.PrecisionAtRecall(0.5, num_thresholds=3)(y_true, y_pred)) == 1.0
    assert float(metrics.PrecisionAtRecall(0.9, num_thresholds=3)(y_true, y_pred)) == 0.5
    assert float(metrics.RecallAtPrecision(0.5, num_thresholds=3)(y_true, y_pred)) == 1.0
    assert float(metrics.RecallAtPrecision(1.0, num_thresholds=3)(y_true, y_pred)) == 0.5
    # Nothing reaches the target: 0.
    assert float(metrics.RecallAtPrecision(1.0, num_thresholds=3)([0, 1], [0.9, 0.1])) == 0.0
    # Streaming equals one pass.
    metric = metrics.PrecisionAtRecall(0.9, num_thresholds=3)
    metric.update_state(y_true[:2], y_pred[:2])
    metric.update_state(y_true[2:], y_pred[2:])
    assert float(metric.result()) == 0.5
    metric.reset_state()
    assert float(metric.result()) == 0.0


# -- the exact curves ----------------------------------------------------------------------------

def test_exact_curves_by_hand():
    fpr, tpr, thresholds = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 0.5, 1, 1])
    assert float(np.trapezoid(tpr, fpr)) == float(metrics.roc_auc([0, 0, 1, 1],
                                                                  [0.1, 0.4, 0.35, 0.8]))
    precision, recall, thresholds = metrics.precision_recall_curve([0, 1, 1], [0.5, 0.5, 0.9])
    np.testing.assert_array_equal(thresholds, [0.9, 0.5])  # a tie is one point
    np.testing.assert_allclose(precision, [1, 2 / 3])
    np.testing.assert_allclose(recall, [0.5, 1])
    assert float(metrics.average_precision([0, 1, 1], [0.5, 0.5, 0.9])) == \
        pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_exact_curves_refuse_what_they_cannot_draw():
    with pytest.raises(ValueError, match="roc_curve: y_true holds no negatives"):
        metrics.roc_curve([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="precision_recall_curve: y_true holds no positives"):
        metrics.precision_recall_curve([0, 0], [0.2, 0.3])
    metrics.precision_recall_curve([1, 1], [0.2, 0.3])  # no negatives: precision 1 throughout
    with pytest.raises(ValueError, match="average_precision: scores must be finite, got 1 NaN"):
        metrics.average_precision([0, 1], [0.2, np.nan])
    with pytest.raises(ValueError, match=re.escape("roc_curve: sample_weight of shape (3,) does "
                                                   "not fit the labels of shape (2,)")):
        metrics.roc_curve([0, 1], [0.2, 0.3], sample_weight=[1, 1, 1])


# -- compile ------------------------------------------------------------------------------------

def binary_model():
    set_random_seed(0)
    return Sequential([Input((3,)), Dense(2, activation="softmax")])


def test_compile_refuses_per_class_f1_by_name_and_takes_an_average():
    with pytest.raises(ValueError, match=r"F1Score 'f1_score' gives several values .*"
                                         r"\(F1Score\(average='macro'\)\)"):
        binary_model().compile("sgd", "categorical_crossentropy", metrics=["f1_score"])
    with pytest.raises(TypeError, match=re.escape(
            "compile: the metric 'precision_at_recall' needs arguments; compile an instance, "
            "PrecisionAtRecall(recall, num_thresholds=200")):
        binary_model().compile("sgd", "categorical_crossentropy",
                               metrics=["precision_at_recall"])
    model = binary_model()
    model.compile("sgd", "categorical_crossentropy",
                  metrics=[metrics.F1Score(average="macro"), metrics.RecallAtPrecision(0.8)])
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    y = np.eye(2)[np.arange(20) % 2]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["f1_score"] == pytest.approx(float(metrics.F1Score("macro")(y, model.predict(
        x, verbose=0))))
    assert set(logs) == {"loss", "f1_score", "recall_at_precision"}


def test_weighted_metrics_combine_the_weights_with_the_mask():
    from nnlib.layers import Embedding
    set_random_seed(0)
    model = Sequential([Input((4,)), Embedding(5, 3, mask_zero=True),
                        Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["binary_accuracy"],
                  weighted_metrics=["binary_accuracy"])
    x = np.array([[1, 2, 0, 0], [3, 4, 1, 0]])
    y = np.array([[[1], [0], [1], [1]], [[0], [0], [1], [0]]], dtype="float32")
    weights = np.array([1.0, 3.0])
    logs = model.evaluate(x, y, sample_weight=weights[:, None], verbose=0, return_dict=True)
    right = (model.predict(x, verbose=0) > 0.5) == y
    mask = x != 0
    assert logs["binary_accuracy"] == pytest.approx(right[mask].mean())
    per_step = weights[:, None] * mask
    assert logs["weighted_binary_accuracy"] == pytest.approx(
        (right[..., 0] * per_step).sum() / per_step.sum())

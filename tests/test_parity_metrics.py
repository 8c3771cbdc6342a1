"""Classification metrics against scikit-learn and Keras 3 (torch backend): the
confusion matrix, the four confusion counts, precision and recall, with sample
weights, lists of thresholds, ``top_k`` and ``class_id``, and the undefined cases;
the exact ROC AUC and Keras's thresholded AUC.

Tolerances, measured (December 2026) on the 40 generated sets of ``scenario`` (500 to
2000 samples, 5 to 60 % positives, weighted and not): AUC's 200-threshold ROC area
against ``roc_auc_score`` within 3.4e-4 at worst, asserted within ``ROC_TOLERANCE``;
its interpolated PR area against ``average_precision_score`` (a step sum, a different
estimate of the same area) within 1.27e-2, asserted within ``PR_TOLERANCE``.  On a
small network trained on breast cancer the gaps were 2.6e-5 (ROC) and 3.6e-3 (PR)
after one epoch.  Smaller, noisier sets differ more on PR (3e-2 with 13 positives of 55)."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn import metrics as sk  # noqa: E402

from nnlib import metrics  # noqa: E402
from parity import close  # noqa: E402

# Keras reads its torch variables with np.array, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def data(seed, shape=(60,), positive=0.4):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(shape) < positive).astype(float)
    y_pred = np.clip(0.35 * y_true + 0.65 * rng.random(shape), 0.0, 1.0)
    return y_true, y_pred, rng.random(shape[0]) * 2


def stream_both(ours, theirs, y_true, y_pred, weights, size=16):
    """Feed nnlib's metric and Keras's the same weighted batches of ``size``."""
    for start in range(0, len(y_true), size):
        batch = slice(start, start + size)
        ours.update_state(y_true[batch], y_pred[batch], sample_weight=weights[batch])
        theirs.update_state(y_true[batch], y_pred[batch], sample_weight=weights[batch])


# -- scikit-learn -------------------------------------------------------------------------------

@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix_matches_scikit_learn(weighted):
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 100), rng.integers(0, 4, 100)
    weights = rng.random(100) if weighted else None
    expected = sk.confusion_matrix(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(metrics.confusion_matrix(y_true, y_pred, sample_weight=weights),
                               expected, rtol=1e-12)
    # A class absent from both: scikit-learn keeps it only if asked with labels=.
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 2], [2, 2]),
                                  sk.confusion_matrix([0, 2], [2, 2], labels=[0, 1, 2]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_precision_and_recall_match_scikit_learn_at_each_threshold(seed):
    y_true, y_pred, weights = data(seed)
    thresholds = [0.1, 0.3, 0.5, 0.7, 0.9]
    for cls, score in [(metrics.Precision, sk.precision_score),
                       (metrics.Recall, sk.recall_score)]:
        ours = cls(thresholds=thresholds, dtype="float64")(y_true, y_pred, sample_weight=weights)
        expected = [score(y_true, y_pred > t, sample_weight=weights, zero_division=0)
                    for t in thresholds]
        np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_counts_match_scikit_learn_s_confusion_matrix():
    y_true, y_pred, weights = data(3)
    (tn, fp), (fn, tp) = sk.confusion_matrix(y_true, y_pred > 0.5, sample_weight=weights)
    ours = [float(cls(dtype="float64")(y_true, y_pred, sample_weight=weights)) for cls in
            (metrics.TruePositives, metrics.FalsePositives, metrics.TrueNegatives,
             metrics.FalseNegatives)]
    np.testing.assert_allclose(ours, [tp, fp, tn, fn], rtol=1e-12)


def test_multi_label_precision_is_scikit_learn_s_micro_average():
    # Every entry is one prediction: on 2-D labels Precision and Recall pool them all.
    y_true, y_pred, weights = data(4, shape=(50, 4))
    for cls, score in [(metrics.Precision, sk.precision_score),
                       (metrics.Recall, sk.recall_score)]:
        assert float(cls(dtype="float64")(y_true, y_pred, sample_weight=weights)) == \
            pytest.approx(score(y_true, y_pred > 0.5, average="micro", sample_weight=weights),
                          rel=1e-12)


def test_class_id_with_top_k_one_is_scikit_learn_s_per_class_score():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, 80)
    scores = rng.random((80, 4)) + 0.4 * np.eye(4)[labels]
    weights = rng.random(80)
    for cls, score in [(metrics.Precision, sk.precision_score),
                       (metrics.Recall, sk.recall_score)]:
        expected = score(labels, scores.argmax(axis=1), average=None, sample_weight=weights)
        ours = [float(cls(top_k=1, class_id=c, dtype="float64")(np.eye(4)[labels], scores,
                                                                 sample_weight=weights))
                for c in range(4)]
        np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_zero_division_gives_zero_as_scikit_learn_with_zero_division_0():
    y_true, y_pred = np.array([1.0, 0.0, 1.0]), np.array([0.1, 0.2, 0.3])
    assert float(metrics.Precision()(y_true, y_pred)) == \
        sk.precision_score(y_true, y_pred > 0.5, zero_division=0) == 0.0
    assert float(metrics.Recall()(np.zeros(3), y_pred)) == \
        sk.recall_score(np.zeros(3), y_pred > 0.5, zero_division=0) == 0.0


# -- Keras 3 ------------------------------------------------------------------------------------

CASES = [
    ("TruePositives", {}), ("FalsePositives", {"thresholds": [0.25, 0.6, 0.85]}),
    ("TrueNegatives", {"thresholds": 0.3}), ("FalseNegatives", {"thresholds": [0.05, 0.95]}),
    ("Precision", {}), ("Precision", {"thresholds": [0.2, 0.45, 0.8]}),
    ("Precision", {"top_k": 2}), ("Precision", {"class_id": 1}),
    ("Precision", {"top_k": 1, "class_id": 2, "thresholds": 0.3}),
    ("Recall", {}), ("Recall", {"thresholds": [0.15, 0.55, 0.9]}), ("Recall", {"top_k": 2}),
    ("Recall", {"class_id": 0}), ("Recall", {"top_k": 2, "class_id": 3}),
]


@pytest.mark.parametrize("name, arguments", CASES)
def test_confusion_metrics_match_keras_over_weighted_batches(name, arguments):
    y_true, y_pred, weights = data(6, shape=(45, 4))
    ours, theirs = getattr(metrics, name)(**arguments), getattr(keras.metrics, name)(**arguments)
    stream_both(ours, theirs, y_true, y_pred, weights)
    expected = keras.ops.convert_to_numpy(theirs.result())
    assert np.shape(ours.result()) == np.shape(expected)
    close(ours.result(), expected)


def test_labels_as_flat_vectors_against_a_column_match_keras():
    y_true, y_pred, weights = data(7)
    for name in ("Precision", "Recall", "FalsePositives"):
        ours = getattr(metrics, name)()(y_true, y_pred[:, None], sample_weight=weights)
        theirs = getattr(keras.metrics, name)()(y_true, y_pred[:, None], sample_weight=weights)
        close(ours, keras.ops.convert_to_numpy(theirs))


# -- the area under the curve -------------------------------------------------------------------

ROC_TOLERANCE = 5e-4  # measured 3.4e-4 (module docstring)
PR_TOLERANCE = 1.5e-2  # measured 1.27e-2


def scenario(seed):
    rng = np.random.default_rng(seed)
    n, positive, separation = int(rng.integers(500, 2000)), rng.uniform(0.05, 0.6), \
        rng.uniform(0.2, 3)
    y_true = (rng.random(n) < positive).astype(float)
    y_pred = 1 / (1 + np.exp(-(rng.normal(size=n) + separation * (2 * y_true - 1))))
    return y_true, y_pred, rng.random(n)


@pytest.mark.parametrize("seed", range(40))
def test_exact_and_thresholded_areas_against_scikit_learn(seed):
    y_true, y_pred, weights = scenario(seed)
    for w in (None, weights):
        exact = sk.roc_auc_score(y_true, y_pred, sample_weight=w)
        assert float(metrics.roc_auc(y_true, y_pred, sample_weight=w)) == \
            pytest.approx(exact, rel=1e-12, abs=1e-12)
        assert abs(float(metrics.AUC(dtype="float64")(y_true, y_pred, w)) - exact) < ROC_TOLERANCE
        assert abs(float(metrics.AUC(curve="PR", dtype="float64")(y_true, y_pred, w))
                   - sk.average_precision_score(y_true, y_pred, sample_weight=w)) < PR_TOLERANCE


def test_exact_roc_auc_with_ties_matches_scikit_learn():
    rng = np.random.default_rng(8)
    y_true = rng.integers(0, 2, 300)
    y_pred = np.round(rng.random(300) + 0.3 * y_true, 1)  # many ties
    weights = rng.random(300)
    for w in (None, weights):
        assert float(metrics.roc_auc(y_true, y_pred, sample_weight=w)) == pytest.approx(
            sk.roc_auc_score(y_true, y_pred, sample_weight=w), rel=1e-12)


AUC_CASES = [
    {}, {"curve": "PR"}, {"summation_method": "minoring"}, {"summation_method": "majoring"},
    {"curve": "PR", "summation_method": "majoring"}, {"num_thresholds": 7},
    {"thresholds": [0.1, 0.35, 0.5, 0.8]}, {"multi_label": True},
    {"multi_label": True, "curve": "PR", "label_weights": [1.0, 2.0, 0.0, 0.5]},
    {"label_weights": [1.0, 2.0, 0.0, 0.5]}, {"from_logits": True},
]


@pytest.mark.parametrize("arguments", AUC_CASES)
def test_auc_matches_keras_over_weighted_batches(arguments):
    y_true, y_pred, weights = data(9, shape=(45, 4))
    ours, theirs = metrics.AUC(**arguments), keras.metrics.AUC(**arguments)
    stream_both(ours, theirs, y_true, y_pred, weights)
    close(ours.result(), keras.ops.convert_to_numpy(theirs.result()))


# -- top-k accuracies ---------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_top_k_accuracies_match_scikit_learn_without_ties(k, weighted):
    rng = np.random.default_rng(k)
    labels, scores = rng.integers(0, 6, 200), rng.random((200, 6))  # no ties
    weights = rng.random(200) if weighted else None
    expected = sk.top_k_accuracy_score(labels, scores, k=k, labels=range(6),
                                       sample_weight=weights)
    for cls, y_true in [(metrics.SparseTopKCategoricalAccuracy, labels),
                        (metrics.TopKCategoricalAccuracy, np.eye(6)[labels])]:
        ours = cls(k=k, dtype="float64")(y_true, scores, sample_weight=weights)
        assert float(ours) == pytest.approx(expected, rel=1e-12)


def test_top_k_ties_differ_from_scikit_learn_as_documented():
    # Keras (and nnlib) count a label tied with the k-th score; scikit-learn ranks ties
    # by class index, the higher first, so label 0 tied with class 1 misses at k=1.
    labels, scores = np.array([0, 1]), np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    assert sk.top_k_accuracy_score(labels, scores, k=1, labels=range(3)) == 0.5
    assert float(metrics.SparseTopKCategoricalAccuracy(k=1)(labels, scores)) == 1.0
    theirs = keras.metrics.SparseTopKCategoricalAccuracy(k=1)(labels, scores)
    assert float(keras.ops.convert_to_numpy(theirs)) == 1.0


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_accuracies_match_keras_over_weighted_batches_with_ties(k):
    rng = np.random.default_rng(10 + k)
    labels = rng.integers(0, 6, 45)
    scores = np.round(rng.random((45, 6)), 1)  # many ties
    weights = rng.random(45)
    for name, y_true in [("SparseTopKCategoricalAccuracy", labels),
                         ("TopKCategoricalAccuracy", np.eye(6)[labels])]:
        ours, theirs = getattr(metrics, name)(k=k), getattr(keras.metrics, name)(k=k)
        stream_both(ours, theirs, y_true, scores, weights)
        close(ours.result(), keras.ops.convert_to_numpy(theirs.result()))


# -- regression metrics -------------------------------------------------------------------------

def regression(seed, outputs=3):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(1.0, 2.0, (80, outputs)) * np.arange(1, outputs + 1)  # unequal variances
    y_pred = y_true + rng.normal(0.0, 1.0, (80, outputs))
    return y_true, y_pred, rng.random(80) * 2


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_errors_match_scikit_learn(outputs, weighted):
    y_true, y_pred, weights = regression(20 + outputs, outputs)
    w = weights if weighted else None
    for cls, score, scale in [(metrics.MeanSquaredError, sk.mean_squared_error, 1.0),
                              (metrics.MeanAbsoluteError, sk.mean_absolute_error, 1.0),
                              (metrics.MeanAbsolutePercentageError,
                               sk.mean_absolute_percentage_error, 100.0)]:
        ours = float(cls(dtype="float64")(y_true, y_pred, sample_weight=w))
        assert ours == pytest.approx(scale * score(y_true, y_pred, sample_weight=w), rel=1e-12)
    # Keras's RMSE is the root of the mean over every output: scikit-learn's with one output.
    rmse = float(metrics.RootMeanSquaredError(dtype="float64")(y_true, y_pred, sample_weight=w))
    assert rmse == pytest.approx(np.sqrt(sk.mean_squared_error(y_true, y_pred, sample_weight=w)),
                                 rel=1e-12)
    if outputs == 1:
        assert rmse == pytest.approx(sk.root_mean_squared_error(y_true, y_pred, sample_weight=w),
                                     rel=1e-12)


@pytest.mark.parametrize("aggregation, multioutput", [
    ("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"),
    (None, "raw_values")])
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_matches_scikit_learn_over_batches(aggregation, multioutput, weighted):
    y_true, y_pred, weights = regression(30)
    w = weights if weighted else None
    metric = metrics.R2Score(class_aggregation=aggregation, dtype="float64")
    for i in range(0, 80, 25):
        metric.update_state(y_true[i:i + 25], y_pred[i:i + 25],
                            sample_weight=None if w is None else w[i:i + 25])
    np.testing.assert_allclose(metric.result(), sk.r2_score(y_true, y_pred, sample_weight=w,
                                                            multioutput=multioutput),
                               rtol=1e-10)


def test_r2_with_constant_targets_against_scikit_learn():
    y_true = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])
    y_pred = np.array([[1.0, 2.5], [1.0, 2.0], [1.0, 1.0]])  # output 0 perfect, 1 not
    np.testing.assert_allclose(metrics.R2Score(class_aggregation=None)(y_true, y_pred),
                               sk.r2_score(y_true, y_pred, multioutput="raw_values"))


REGRESSION_CASES = [
    ("MeanSquaredError", {}), ("RootMeanSquaredError", {}), ("MeanAbsoluteError", {}),
    ("MeanAbsolutePercentageError", {}), ("R2Score", {}),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}),
    ("R2Score", {"class_aggregation": None}),
]


@pytest.mark.parametrize("name, arguments", REGRESSION_CASES)
def test_regression_metrics_match_keras_over_weighted_batches(name, arguments):
    y_true, y_pred, weights = regression(40)
    ours, theirs = getattr(metrics, name)(**arguments), getattr(keras.metrics, name)(**arguments)
    stream_both(ours, theirs, y_true, y_pred, weights, size=25)
    expected = keras.ops.convert_to_numpy(theirs.result())
    assert np.shape(ours.result()) == np.shape(expected)
    close(ours.result(), expected)


def test_adjusted_r2_and_constant_targets_match_keras_with_one_output():
    y_true, y_pred, weights = regression(41, outputs=1)
    ours, theirs = metrics.R2Score(num_regressors=4), keras.metrics.R2Score(num_regressors=4)
    close(ours(y_true, y_pred, weights), keras.ops.convert_to_numpy(theirs(y_true, y_pred,
                                                                           weights)))
    constant, missed = np.ones((3, 1)), np.array([[1.0], [2.0], [0.0]])
    assert float(metrics.R2Score()(constant, missed)) == 0.0 == \
        float(keras.ops.convert_to_numpy(keras.metrics.R2Score()(constant, missed)))
    # Perfect predictions of constant targets: Keras divides 0 by 0; nnlib gives 1.
    assert np.isnan(keras.ops.convert_to_numpy(keras.metrics.R2Score()(constant, constant)))
    assert float(metrics.R2Score()(constant, constant)) == 1.0


# -- F-scores ------------------------------------------------------------------------------------

@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_f_beta_matches_scikit_learn_for_every_average(average, beta, weighted):
    rng = np.random.default_rng(10)
    labels, scores = rng.integers(0, 4, 300), rng.random((300, 4))
    scores[np.arange(300), labels] += 0.3 * rng.random(300)  # better than chance
    weights = rng.random(300) if weighted else None
    ours = metrics.FBetaScore(average=average, beta=beta, dtype="float64")
    for batch in np.array_split(np.arange(300), 4):  # streaming = one pass
        ours.update_state(np.eye(4)[labels[batch]], scores[batch],
                          None if weights is None else weights[batch])
    expected = sk.fbeta_score(labels, scores.argmax(axis=1), beta=beta, average=average,
                              sample_weight=weights, zero_division=0)
    np.testing.assert_allclose(ours.result(), expected, rtol=1e-12)
    if beta == 1.0:
        np.testing.assert_allclose(
            metrics.F1Score(average=average, dtype="float64")(np.eye(4)[labels], scores,
                                                              weights),
            sk.f1_score(labels, scores.argmax(axis=1), average=average, sample_weight=weights,
                        zero_division=0), rtol=1e-12)


def test_multi_label_f1_with_a_threshold_matches_scikit_learn():
    y_true, y_pred, weights = data(11, shape=(80, 5))
    for average in (None, "micro", "macro", "weighted"):
        np.testing.assert_allclose(
            metrics.F1Score(average=average, threshold=0.6, dtype="float64")(
                y_true, y_pred, weights),
            sk.f1_score(y_true, y_pred > 0.6, average=average, sample_weight=weights,
                        zero_division=0), rtol=1e-12)


F_CASES = [{}, {"average": "micro"}, {"average": "macro", "threshold": 0.4},
           {"average": "weighted", "beta": 2.0}, {"beta": 0.5, "threshold": 0.7}]


@pytest.mark.parametrize("arguments", F_CASES)
def test_f_beta_matches_keras_over_weighted_batches(arguments):
    y_true, y_pred, weights = data(12, shape=(45, 4))
    y_pred[3] = 0.0  # a row of zeros predicts nothing with threshold=None
    ours, theirs = metrics.FBetaScore(**arguments), keras.metrics.FBetaScore(**arguments)
    stream_both(ours, theirs, y_true, y_pred, weights)
    expected = keras.ops.convert_to_numpy(theirs.result())
    assert np.shape(ours.result()) == np.shape(expected)
    np.testing.assert_allclose(ours.result(), expected, atol=1e-6)  # Keras's epsilon


# -- one rate where the other reaches a target ---------------------------------------------------

CONSTRAINED_CASES = [("PrecisionAtRecall", {"recall": 0.7}),
                     ("PrecisionAtRecall", {"recall": 0.95, "num_thresholds": 20}),
                     ("PrecisionAtRecall", {"recall": 0.5, "class_id": 2}),
                     ("RecallAtPrecision", {"precision": 0.6}),
                     ("RecallAtPrecision", {"precision": 0.8, "num_thresholds": 1}),
                     ("RecallAtPrecision", {"precision": 0.99}),  # out of reach: 0
                     ("RecallAtPrecision", {"precision": 0.5, "class_id": 1})]


@pytest.mark.parametrize("name, arguments", CONSTRAINED_CASES)
def test_constrained_rates_match_keras_over_weighted_batches(name, arguments):
    y_true, y_pred, weights = data(13, shape=(45, 4))
    ours, theirs = getattr(metrics, name)(**arguments), getattr(keras.metrics, name)(**arguments)
    stream_both(ours, theirs, y_true, y_pred, weights)
    close(ours.result(), keras.ops.convert_to_numpy(theirs.result()))


def test_precision_at_recall_is_the_best_point_of_scikit_learn_s_curve_on_the_grid():
    y_true, y_pred, weights = scenario(3)
    y_pred = np.round(y_pred, 2) + 0.001  # every score between two grid thresholds
    precision, recall, _ = sk.precision_recall_curve(y_true, y_pred, sample_weight=weights)
    reached = recall[:-1] >= 0.8  # the appended point (recall 0) is no threshold
    assert float(metrics.PrecisionAtRecall(0.8, num_thresholds=101, dtype="float64")(
        y_true, y_pred, weights)) == pytest.approx(precision[:-1][reached].max(), rel=1e-12)


# -- the exact curves ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_exact_curves_and_average_precision_match_scikit_learn(seed):
    y_true, y_pred, weights = scenario(seed)
    y_pred = np.round(y_pred, 2)  # ties
    for w in (None, weights):
        fpr, tpr, thresholds = metrics.roc_curve(y_true, y_pred, sample_weight=w)
        expected = sk.roc_curve(y_true, y_pred, sample_weight=w, drop_intermediate=False)
        for got, want in zip((fpr, tpr, thresholds), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12)
        precision, recall, thresholds = metrics.precision_recall_curve(y_true, y_pred, w)
        want_p, want_r, want_t = sk.precision_recall_curve(y_true, y_pred, sample_weight=w)
        np.testing.assert_allclose(precision, want_p[-2::-1], rtol=1e-12)  # reversed, no
        np.testing.assert_allclose(recall, want_r[-2::-1], rtol=1e-12)     # appended point
        np.testing.assert_allclose(thresholds, want_t[::-1], rtol=1e-12)
        assert float(metrics.average_precision(y_true, y_pred, w)) == pytest.approx(
            sk.average_precision_score(y_true, y_pred, sample_weight=w), rel=1e-12)


# -- weighted metrics in compile -----------------------------------------------------------------

def test_weighted_metrics_see_the_sample_weights_as_in_keras():
    """The same weights, data and metrics in both: ``metrics`` ignore the sample
    weights, ``weighted_metrics`` use them, and a name in both lists is logged as
    ``weighted_{name}`` the second time."""
    import nnlib
    rng = np.random.default_rng(14)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (rng.random((40, 1)) < 0.5).astype("float32")
    weights = rng.random(40).astype("float32") * 3
    kernel = rng.normal(size=(3, 1)).astype("float32")
    logs = {}
    for library in (nnlib, keras):
        model = library.Sequential([library.Input((3,)),
                                    library.layers.Dense(1, activation="sigmoid")])
        model.layers[-1].set_weights([kernel, np.zeros(1, "float32")])
        model.compile("sgd", "binary_crossentropy",
                      metrics=["binary_accuracy", library.metrics.AUC(name="auc")],
                      weighted_metrics=["binary_accuracy", library.metrics.Precision(
                          name="precision")])
        logs[library.__name__] = model.evaluate(x, y, sample_weight=weights, batch_size=16,
                                                verbose=0, return_dict=True)
    assert sorted(logs["nnlib"]) == sorted(logs["keras"])
    assert logs["nnlib"]["binary_accuracy"] != logs["nnlib"]["weighted_binary_accuracy"]
    for name, value in logs["keras"].items():
        assert logs["nnlib"][name] == pytest.approx(value, abs=1e-5), name

"""The confusion matrix, the four thresholded confusion counts (``TruePositives``,
``FalsePositives``, ``TrueNegatives``, ``FalseNegatives``), ``Precision`` and
``Recall``, counted as Keras counts them (``confusion_counts``)."""
import numpy as np

from ..checks import describe, is_number, real_number, whole_number
from ..registry import register
from .base import Metric, per_label, per_value, same_rank


def confusion_matrix(y_true, y_pred, num_classes=None, sample_weight=None):
    """The confusion matrix of integer labels: ``C[i, j]`` counts (or weighs)
    the samples of true class ``i`` predicted as class ``j``, rows true and
    columns predicted, scikit-learn's orientation:
    :math:`C_{ij} = \\sum_n w_n [y_n = i][\\hat y_n = j]`.

    Labels are class indices, 0 to ``num_classes - 1`` (class scores must be
    turned into labels first, ``y_pred.argmax(axis=-1)``); ``num_classes``
    defaults to the largest label plus one, as in Keras (scikit-learn keeps
    only the labels present, the same matrix when every class appears).
    Integer counts without ``sample_weight``, float sums with it.

    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    labels = class_indices("y_true", y_true)
    predictions = class_indices("y_pred", y_pred)
    if labels.shape != predictions.shape:
        raise ValueError(f"confusion_matrix: y_true of shape {labels.shape} does not fit "
                         f"y_pred of shape {predictions.shape}: expected one label per sample "
                         f"in each")
    largest = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = max(largest, 1)
    else:
        num_classes = whole_number("confusion_matrix", "num_classes", num_classes)
        if largest > num_classes:
            raise ValueError(f"confusion_matrix: labels must be below num_classes="
                             f"{num_classes}, got the label {largest - 1}")
    if sample_weight is None:
        weights, matrix = 1, np.zeros((num_classes, num_classes), dtype=np.int64)
    else:
        weights = per_label("confusion_matrix", sample_weight, labels.shape)
        matrix = np.zeros((num_classes, num_classes), dtype=np.float64)
    np.add.at(matrix, (labels, predictions), weights)
    return matrix


def class_indices(name, labels):
    """``labels`` as a flat array of class indices (a column ``(n, 1)`` is
    flattened), or an error that says what was given."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    whole = labels.dtype.kind in "iub" or (labels.dtype.kind == "f" and bool(
        np.all(np.isfinite(labels) & (labels == np.round(labels)))))
    if labels.ndim != 1 or not whole or (labels.size and labels.min() < 0):
        raise ValueError(f"confusion_matrix: {name} must be class indices, whole numbers >= 0 "
                         f"of shape (samples,), got {labels.dtype} of shape {labels.shape}; for "
                         f"class scores take scores.argmax(axis=-1) first")
    return labels.astype(np.int64)


def thresholds_of(owner, thresholds, default):
    """``(thresholds, values)``: the argument as given (``None``, a number, or a
    list of numbers, each in [0, 1]) and the list of thresholds it means
    (``[default]`` for ``None``)."""
    if thresholds is None:
        return None, np.array([default], dtype=np.float64)
    single = is_number(thresholds)
    values = [thresholds] if single else thresholds
    if not isinstance(values, (list, tuple)) or not values or not all(map(is_number, values)):
        raise TypeError(f"{owner}: thresholds must be a number in [0, 1] or a non-empty list "
                        f"of them, got {thresholds!r}")
    values = [real_number(owner, "thresholds", v, 0.0, 1.0) for v in values]
    return (values[0] if single else values), np.array(values, dtype=np.float64)


def optional_whole(owner, name, value, minimum):
    return None if value is None else whole_number(owner, name, value, minimum)


def prepared(metric, y_true, y_pred, sample_weight=None):
    """Labels, scores and weights of one shape for the thresholded metrics, or
    ``metric``'s error: labels must have the predictions' shape (after
    ``same_rank``); weights line up with the samples (``per_value``)."""
    labels, scores = np.asarray(y_true), np.asarray(y_pred)
    if labels.ndim == 0 or scores.ndim == 0 or len(labels) != len(scores):
        raise metric_mismatch(metric, labels, scores, ": expected the same number of samples")
    labels, scores = same_rank(labels, scores.astype(np.float64))
    if labels.shape != scores.shape:
        raise metric_mismatch(metric, labels, scores, ": expected labels of the predictions' "
                              "shape (one-hot or multi-label 0/1 labels)")
    weights = np.ones(scores.shape) if sample_weight is None else \
        per_value(metric, sample_weight, scores.shape, "predictions")
    return labels, scores, weights


def counted(positive, predicted, weights):
    """The four weighted counts of ``positive`` labels against ``predicted``
    (thresholds on the last axis of ``predicted``), summed over the first axis."""
    weights = weights[..., None]
    return {"tp": (weights * (positive & predicted)).sum(axis=0),
            "fp": (weights * (~positive & predicted)).sum(axis=0),
            "tn": (weights * (~positive & ~predicted)).sum(axis=0),
            "fn": (weights * (positive & ~predicted)).sum(axis=0)}


def confusion_counts(metric, y_true, y_pred, thresholds, sample_weight=None, top_k=None,
                     class_id=None):
    """The weighted true positives, false positives, true negatives and false
    negatives, ``{"tp": array, ...}``, one count per threshold, as Keras counts
    them: every entry of ``y_pred`` is a prediction of its own, positive if
    strictly above the threshold; a label is positive if it is not 0.

    ``top_k`` keeps, along the last axis, the ``k`` highest scores (the
    others are never positive): in each row of class scores, or, for a flat
    ``y_pred``, in the whole batch, as Keras does; ``class_id`` then keeps
    only that column."""
    labels, scores, weights = prepared(metric, y_true, y_pred, sample_weight)
    if class_id is not None and scores.ndim < 2:
        raise metric_mismatch(metric, labels, scores, ": class_id needs class scores, "
                              "(samples, classes)")
    if top_k is not None:
        order = np.argsort(-scores, axis=-1, kind="stable")[..., :top_k]
        kept = np.zeros(scores.shape, dtype=bool)
        np.put_along_axis(kept, order, True, axis=-1)
        scores = np.where(kept, scores, -np.inf)
    if class_id is not None:
        if class_id >= scores.shape[-1]:
            raise ValueError(f"{describe(metric)}: class_id={class_id} is not a class of "
                             f"predictions of shape {scores.shape}: expected class_id < "
                             f"{scores.shape[-1]}")
        labels, scores, weights = labels[..., class_id], scores[..., class_id], \
            weights[..., class_id]
    return counted(labels.reshape(-1, 1) != 0, scores.reshape(-1, 1) > thresholds,
                   weights.reshape(-1))


def metric_mismatch(metric, y_true, y_pred, fix):
    return ValueError(f"{describe(metric)}: y_true of shape {y_true.shape} does not fit "
                      f"y_pred of shape {y_pred.shape}{fix} (the arguments are "
                      f"(y_true, y_pred), in that order)")


def ratio(numerator, denominator):
    """``numerator / denominator`` where the denominator is not 0, and 0 where it
    is (Keras's ``divide_no_nan``)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator != 0)


class ThresholdMetric(Metric):
    """What the thresholded metrics share: ``thresholds`` (``None`` meaning 0.5, a
    number, or a list of them, each in [0, 1]) and a result that is a number
    for one threshold and an array, one value per threshold, for several
    (a list of one gives a number, as in Keras)."""

    def __init__(self, thresholds=None, name=None, dtype=None, default=0.5):
        self.thresholds, self.threshold_values = thresholds_of(type(self).__name__,
                                                               thresholds, default)
        super().__init__(name, dtype)
        self.reset_state()

    def reported(self, values):
        return np.asarray(values[0] if len(values) == 1 else values, dtype=self.dtype)


class ConfusionCount(ThresholdMetric):
    """One count of the confusion matrix at each threshold, summed over batches."""

    count = None  # "tp", "fp", "tn" or "fn"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name, dtype)

    def reset_state(self):
        self.accumulator = np.zeros(len(self.threshold_values))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.accumulator += confusion_counts(self, y_true, y_pred, self.threshold_values,
                                             sample_weight)[self.count]

    def result(self):
        return self.reported(self.accumulator)


@register("metric", family="Confusion counts", aliases=("true_positives",),
          description="Weighted count of positives predicted positive",
          use_case="The raw counts behind precision and recall")
class TruePositives(ConfusionCount):
    """:math:`TP = \\sum_n w_n [y_n \\ne 0][\\hat p_n > t]` at each threshold
    :math:`t` (``thresholds=None`` is 0.5); every entry of ``y_pred`` is one
    prediction.

    >>> TruePositives()([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    array(1., dtype=float32)
    """

    count, direction = "tp", "up"


@register("metric", family="Confusion counts", aliases=("false_positives",),
          description="Weighted count of negatives predicted positive",
          use_case="The raw counts behind precision")
class FalsePositives(ConfusionCount):
    """:math:`FP = \\sum_n w_n [y_n = 0][\\hat p_n > t]` at each threshold :math:`t`.

    >>> FalsePositives(thresholds=[0.3, 0.7])([0, 0, 1], [0.5, 0.9, 0.8])
    array([2., 1.], dtype=float32)
    """

    count, direction = "fp", "down"


@register("metric", family="Confusion counts", aliases=("true_negatives",),
          description="Weighted count of negatives predicted negative",
          use_case="The raw counts behind specificity")
class TrueNegatives(ConfusionCount):
    """:math:`TN = \\sum_n w_n [y_n = 0][\\hat p_n \\le t]` at each threshold :math:`t`.

    >>> TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0])
    array(2., dtype=float32)
    """

    count, direction = "tn", "up"


@register("metric", family="Confusion counts", aliases=("false_negatives",),
          description="Weighted count of positives predicted negative",
          use_case="The raw counts behind recall")
class FalseNegatives(ConfusionCount):
    """:math:`FN = \\sum_n w_n [y_n \\ne 0][\\hat p_n \\le t]` at each threshold :math:`t`.

    >>> FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0])
    array(2., dtype=float32)
    """

    count, direction = "fn", "down"


class PrecisionRecall(ThresholdMetric):
    """What ``Precision`` and ``Recall`` share: thresholds, ``top_k`` and ``class_id``
    as in Keras; ``missed`` is the count beside the true positives."""

    direction = "up"
    missed = None  # "fp" or "fn"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        self.top_k = optional_whole(owner, "top_k", top_k, 1)
        self.class_id = optional_whole(owner, "class_id", class_id, 0)
        super().__init__(thresholds, name, dtype, default=0.5 if top_k is None else -np.inf)

    def reset_state(self):
        self.true_positives = np.zeros(len(self.threshold_values))
        self.misses = np.zeros(len(self.threshold_values))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(self, y_true, y_pred, self.threshold_values, sample_weight,
                                  self.top_k, self.class_id)
        self.true_positives += counts["tp"]
        self.misses += counts[self.missed]

    def result(self):
        return self.reported(ratio(self.true_positives, self.true_positives + self.misses))


@register("metric", family="Precision", aliases=("precision",),
          description="Measures the number of true positives divided by the number of "
                      "true positives and false positives.",
          use_case="When false positives are costly")
class Precision(PrecisionRecall):
    """Of the predictions called positive, the share that are: :math:`TP / (TP + FP)`,
    counted over every batch so far (``confusion_counts``), at each threshold.

    ``thresholds=None`` means 0.5; with ``top_k``, an entry is predicted
    positive only if it is among the ``k`` highest of its row (and above the
    thresholds, if given); ``class_id`` counts that column only.  With no
    predicted positives, :math:`TP + FP = 0`, the precision is undefined and
    is reported as 0, as Keras does (scikit-learn's ``zero_division=0``).

    >>> Precision()([0, 1, 1, 1], [1, 0, 1, 1])
    array(0.6666667, dtype=float32)
    """

    missed = "fp"


@register("metric", family="Recall", aliases=("recall",),
          description="Measures the number of true positives divided by the number of "
                      "true positives and false negatives.",
          use_case="When false negatives are costly")
class Recall(PrecisionRecall):
    """Of the actual positives, the share predicted positive: :math:`TP / (TP + FN)`,
    counted over every batch so far, at each threshold.

    ``thresholds``, ``top_k`` and ``class_id`` as for ``Precision``.  With no
    actual positives, :math:`TP + FN = 0`, the recall is undefined and is
    reported as 0, as Keras does.

    >>> Recall()([0, 1, 1, 1], [1, 0, 1, 1])
    array(0.6666667, dtype=float32)
    """

    missed = "fn"


def f_beta(precision, recall, beta=1.0):
    """The F-beta score of a precision :math:`P` and a recall :math:`R`,
    :math:`F_\\beta = (1 + \\beta^2)\\,P R / (\\beta^2 P + R)`, their weighted
    harmonic mean (:math:`\\beta = 1`: the F1 score; :math:`\\beta > 1`
    weighs recall more), and 0 where :math:`P = R = 0`, as Keras gives it.

    >>> float(f_beta(0.5, 1.0))
    0.6666666666666666
    """
    precision, recall = np.asarray(precision, np.float64), np.asarray(recall, np.float64)
    return ratio((1 + beta ** 2) * precision * recall, beta ** 2 * precision + recall)

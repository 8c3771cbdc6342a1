"""The exact ROC and precision-recall curves of scores against binary labels, one
point per distinct score, and the areas taken from them: ``roc_auc`` (exact)
and ``average_precision`` (a step sum).  ``AUC`` estimates the same areas from
a fixed grid of thresholds, as Keras does."""
import numpy as np

from .base import per_label


def scored(owner, y_true, scores, sample_weight=None):
    """Labels (positive if not 0), scores and weights as three flat float64
    arrays of one length, or ``owner``'s error; columns ``(n, 1)`` are flattened."""
    labels, scores = np.asarray(y_true), np.asarray(scores, dtype=np.float64)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if labels.ndim != 1 or labels.shape != scores.shape:
        raise ValueError(f"{owner}: y_true of shape {labels.shape} does not fit scores of "
                         f"shape {scores.shape}: expected one label and one score per sample "
                         f"(the arguments are (y_true, scores), in that order)")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{owner}: scores must be finite, got {np.sum(~np.isfinite(scores))} "
                         f"NaN or infinite values")
    weights = np.ones(len(labels)) if sample_weight is None else \
        per_label(owner, sample_weight, labels.shape)
    positive = np.where(labels != 0, weights, 0.0)
    negative = np.where(labels == 0, weights, 0.0)
    return positive, negative, scores


def per_score(owner, y_true, scores, sample_weight=None, need=("positives", "negatives")):
    """``(distinct, positives, negatives)``: the distinct scores in decreasing
    order and the weight of positive and of negative samples at each, or
    ``owner``'s error when a class the curve divides by is missing."""
    positive, negative, scores = scored(owner, y_true, scores, sample_weight)
    for name, weights in (("positives", positive), ("negatives", negative)):
        if name in need and weights.sum() == 0:
            raise ValueError(f"{owner}: y_true holds no {name}; the curve is undefined "
                             f"without them")
    distinct, group = np.unique(-scores, return_inverse=True)  # decreasing scores
    return (-distinct, np.bincount(group.ravel(), positive, len(distinct)),
            np.bincount(group.ravel(), negative, len(distinct)))


def roc_curve(y_true, scores, sample_weight=None):
    """The exact ROC curve, ``(fpr, tpr, thresholds)``: at each threshold
    :math:`t`, a sample is predicted positive if its score is
    :math:`\\ge t`, and :math:`TPR = TP/(TP+FN)`, :math:`FPR = FP/(FP+TN)`.
    The thresholds are the distinct scores in decreasing order, after
    :math:`+\\infty` (nothing predicted positive, the point (0, 0)); the
    last predicts every sample positive, the point (1, 1).  Scikit-learn's
    ``roc_curve(..., drop_intermediate=False)``.

    >>> roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])[1]
    array([0. , 0.5, 0.5, 1. , 1. ])
    """
    distinct, positives, negatives = per_score("roc_curve", y_true, scores, sample_weight)
    tpr = np.concatenate([[0.0], np.cumsum(positives) / positives.sum()])
    fpr = np.concatenate([[0.0], np.cumsum(negatives) / negatives.sum()])
    return fpr, tpr, np.concatenate([[np.inf], distinct])


def precision_recall_curve(y_true, scores, sample_weight=None):
    """The exact precision-recall curve, ``(precision, recall, thresholds)``:
    at each threshold (the distinct scores in decreasing order; a sample is
    predicted positive if its score is :math:`\\ge t`), :math:`P = TP /
    (TP + FP)` and :math:`R = TP / (TP + FN)`.  Every threshold predicts
    at least one sample positive, so the precision is always defined.
    Scikit-learn's curve holds the same points in increasing order of
    threshold, with the point (recall 0, precision 1) appended.

    >>> precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])[0]
    array([1.        , 0.5       , 0.66666667, 0.5       ])
    """
    return pr_points("precision_recall_curve", y_true, scores, sample_weight)


def pr_points(owner, y_true, scores, sample_weight):
    """``precision_recall_curve`` for ``owner`` (its errors name it)."""
    distinct, positives, negatives = per_score(owner, y_true, scores, sample_weight,
                                               need=("positives",))
    tp, fp = np.cumsum(positives), np.cumsum(negatives)
    return tp / (tp + fp), tp / positives.sum(), distinct


def average_precision(y_true, scores, sample_weight=None):
    """The area under the exact precision-recall curve as a step sum,
    :math:`AP = \\sum_k (R_k - R_{k-1})\\,P_k` over the thresholds in
    decreasing order (:math:`R_0 = 0`): each gain in recall weighed by the
    precision reached there, no interpolation (scikit-learn's
    ``average_precision_score``).  ``AUC(curve="PR")`` estimates the same
    area from a fixed grid of thresholds, interpolating between them.

    >>> float(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
    0.8333333333333333
    """
    precision, recall, _ = pr_points("average_precision", y_true, scores, sample_weight)
    return np.asarray(np.sum(np.diff(recall, prepend=0.0) * precision))


def roc_auc(y_true, scores, sample_weight=None):
    """The exact area under the ROC curve: the probability that a random
    positive scores higher than a random negative, ties counting one half,
    :math:`\\frac{\\sum_{i \\in +} \\sum_{j \\in -} w_i w_j ([s_i > s_j] +
    \\frac12 [s_i = s_j])}{\\sum_{i \\in +} w_i \\sum_{j \\in -} w_j}` (the
    Mann-Whitney statistic; scikit-learn's ``roc_auc_score``), which is the
    trapezoidal area under ``roc_curve``.  Labels are 0 and 1 (any non-zero
    label is positive), scores any real numbers, one per sample.  A
    ``ValueError`` without both classes, where it is undefined.

    >>> float(roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    _, pos, neg = per_score("roc_auc", y_true, scores, sample_weight)
    below = neg.sum() - np.cumsum(neg)  # weight of negatives strictly below each score
    return np.asarray(((below + neg / 2) * pos).sum() / (pos.sum() * neg.sum()))

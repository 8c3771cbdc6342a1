"""The F-scores, ``FBetaScore`` and ``F1Score``: per class, the weighted harmonic
mean of precision and recall, averaged over the classes as scikit-learn and
Keras average them."""
import numpy as np

from ..checks import is_number, one_of, real_number
from ..registry import register
from .base import Metric, per_value, same_rank
from .confusion import f_beta, metric_mismatch, ratio

AVERAGES = ("micro", "macro", "weighted")  # or None: no average


@register("metric", family="F1 Score", aliases=("fbeta_score",),
          description="Weighted harmonic mean of precision and recall; beta > 1 favours "
                      "recall",
          use_case="When recall and precision matter unequally")
class FBetaScore(Metric):
    """The F-beta score of each class,
    :math:`F_\\beta = (1 + \\beta^2)\\,P R / (\\beta^2 P + R)` with
    :math:`P = TP/(TP+FP)` and :math:`R = TP/(TP+FN)` counted per column of
    ``(samples, classes)`` labels (one-hot, or 0/1 for multi-label; labels
    ``(samples,)`` against one column of predictions are that column) over
    every batch so far; :math:`\\beta = 1` weighs both alike (``F1Score``),
    :math:`\\beta = 2` counts recall as twice as important.

    A score is a prediction of its class if it is above ``threshold``, or,
    for ``threshold=None``, if it is the highest of its row (ties all count;
    a row of zeros predicts nothing), as in Keras.

    ``average``: ``None`` gives one score per class; ``"micro"`` adds the
    counts of every class first (for one label per sample it equals the
    accuracy); ``"macro"`` averages the classes' scores, each class counting
    alike; ``"weighted"`` averages them weighted by each class's (weighted)
    number of true samples, its support.  A class without predicted or true
    positives scores 0 (Keras adds :math:`10^{-7}` to each denominator
    instead, a difference below :math:`10^{-6}`).

    >>> FBetaScore(beta=2.0, threshold=0.5)([[1, 0], [1, 0], [0, 1]],
    ...                                     [[0.9, 0.1], [0.3, 0.7], [0.2, 0.8]])
    array([0.5555556, 0.8333333], dtype=float32)
    """

    direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name=None, dtype=None):
        owner = type(self).__name__
        self.average = None if average is None else one_of(
            owner, "average", average, AVERAGES, also="None (one score per class)")
        self.beta = real_number(owner, "beta", beta, 0.0, low_open=True)
        if threshold is not None and not is_number(threshold):
            raise TypeError(f"{owner}: threshold must be a number in [0, 1] or None (the "
                            f"highest score of each row), got {threshold!r}")
        self.threshold = None if threshold is None else \
            real_number(owner, "threshold", threshold, 0.0, 1.0)
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.counts = None  # per class: tp, fp, fn and support, from the first batch

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, scores = same_rank(np.asarray(y_true), np.asarray(y_pred, dtype=np.float64))
        if scores.ndim != 2 or labels.shape != scores.shape:
            raise metric_mismatch(self, labels, scores, ": expected 2-D labels and predictions "
                                  "of one shape, (samples, classes), with one-hot or 0/1 "
                                  "labels")
        if self.counts is not None and len(self.counts["tp"]) != scores.shape[1]:
            raise metric_mismatch(self, labels, scores, f": expected {len(self.counts['tp'])} "
                                  f"classes, as in the earlier batches")
        if self.threshold is None:
            predicted = (scores >= scores.max(axis=1, keepdims=True)) & (scores != 0)
        else:
            predicted = scores > self.threshold
        positive = labels != 0
        weights = np.ones(scores.shape) if sample_weight is None else \
            per_value(self, sample_weight, scores.shape, "predictions")
        batch = {"tp": weights * (positive & predicted), "fp": weights * (~positive & predicted),
                 "fn": weights * (positive & ~predicted), "support": weights * positive}
        batch = {key: value.sum(axis=0) for key, value in batch.items()}
        self.counts = batch if self.counts is None else \
            {key: self.counts[key] + batch[key] for key in batch}

    def result(self):
        if self.counts is None:
            return np.asarray(0.0, dtype=self.dtype)
        tp, fp, fn = self.counts["tp"], self.counts["fp"], self.counts["fn"]
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        scores = f_beta(ratio(tp, tp + fp), ratio(tp, tp + fn), self.beta)
        if self.average == "weighted":
            support = self.counts["support"]
            scores = ratio(np.array((scores * support).sum()), np.array(support.sum()))
        elif self.average == "macro":
            scores = scores.mean()
        return np.asarray(scores, dtype=self.dtype)

    def reports_one_number(self):
        return self.average is not None


@register("metric", family="F1 Score", aliases=("f1_score",),
          description="Harmonic mean of precision and recall, balances the trade-off "
                      "between them.",
          use_case="Imbalanced classes, where accuracy flatters")
class F1Score(FBetaScore):
    """The F1 score of each class, :math:`F_1 = 2 P R / (P + R)`, the harmonic
    mean of precision and recall: ``FBetaScore`` with :math:`\\beta = 1`
    (``average`` and ``threshold`` as there).  The harmonic mean stays near
    the smaller of the two: precision 1 and recall 0.1 give 0.18.

    >>> F1Score(average="macro")([[1, 0], [1, 0], [0, 1]],
    ...                          [[0.9, 0.1], [0.3, 0.7], [0.2, 0.8]])
    array(0.6666667, dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name=None, dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)

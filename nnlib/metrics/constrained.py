"""One rate at its best where the other reaches a target: ``PrecisionAtRecall`` and
``RecallAtPrecision``, read, as Keras reads them, from the confusion counts at
a fixed grid of thresholds."""
import numpy as np

from ..checks import real_number, whole_number
from ..registry import register
from .base import Metric
from .confusion import confusion_counts, optional_whole, ratio


class ConstrainedRate(Metric):
    """What the two share: the counts at ``num_thresholds`` thresholds
    :math:`0, \\frac1{n-1}, \\dots, 1` (0.5 alone for :math:`n = 1`), a
    sample predicted positive when its score is above the threshold, summed
    over every batch so far; ``class_id`` counts one column of class scores.
    The result is the largest ``best`` rate over the thresholds where the
    ``target`` rate is at least ``value``, 0 if no threshold reaches it."""

    direction = "up"
    target = best = None  # "precision" or "recall"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        self.num_thresholds = whole_number(owner, "num_thresholds", num_thresholds, 1)
        self.class_id = optional_whole(owner, "class_id", class_id, 0)
        setattr(self, self.target, real_number(owner, self.target, value, 0.0, 1.0))
        n = self.num_thresholds
        self.threshold_values = np.array([0.5]) if n == 1 else np.linspace(0.0, 1.0, n)
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.counts = {key: np.zeros(self.num_thresholds) for key in ("tp", "fp", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(self, y_true, y_pred, self.threshold_values, sample_weight,
                                  class_id=self.class_id)
        for key in self.counts:
            self.counts[key] += counts[key]

    def result(self):
        tp, fp, fn = self.counts["tp"], self.counts["fp"], self.counts["fn"]
        rates = {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn)}
        reached = rates[self.target] >= getattr(self, self.target)
        return np.asarray(np.where(reached, rates[self.best], 0.0).max(initial=0.0),
                          dtype=self.dtype)


@register("metric", family="Precision", aliases=("precision_at_recall",),
          description="Best precision among the thresholds whose recall reaches a target",
          use_case="Screening that must find a set share of the positives")
class PrecisionAtRecall(ConstrainedRate):
    """The highest precision :math:`TP/(TP+FP)` among the thresholds whose
    recall :math:`TP/(TP+FN)` is at least ``recall`` (see
    ``ConstrainedRate``): how clean the alarms can be while catching that
    share of the positives.

    >>> float(PrecisionAtRecall(0.9, num_thresholds=3)([0, 0, 1, 1], [0.2, 0.4, 0.3, 0.9]))
    0.5
    """

    target, best = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


@register("metric", family="Recall", aliases=("recall_at_precision",),
          description="Best recall among the thresholds whose precision reaches a target",
          use_case="Alarms that must be right a set share of the time")
class RecallAtPrecision(ConstrainedRate):
    """The highest recall :math:`TP/(TP+FN)` among the thresholds whose
    precision :math:`TP/(TP+FP)` is at least ``precision``: how many positives
    can be caught while that share of the alarms is right.

    >>> float(RecallAtPrecision(0.8, num_thresholds=3)([0, 0, 1, 1], [0.2, 0.4, 0.3, 0.9]))
    0.5
    """

    target, best = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

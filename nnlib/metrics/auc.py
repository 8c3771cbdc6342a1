"""The area under the ROC or precision-recall curve as Keras estimates it, from the
confusion counts at fixed thresholds: ``AUC`` (the exact curves and areas are in
``curves``)."""
import numpy as np

from ..checks import flag, one_of, whole_number
from ..registry import register
from .base import Metric
from .confusion import counted, metric_mismatch, optional_whole, prepared, ratio, thresholds_of


EPSILON = 1e-7  # Keras's backend.epsilon(): the outer thresholds sit just outside [0, 1]


@register("metric", family="AUC", aliases=("auc",),
          description="Area Under the Curve for the ROC, measures the ability of a "
                      "classifier to distinguish classes.",
          use_case="Ranking quality, threshold-free")
class AUC(Metric):
    """The area under the ROC curve (or the precision-recall curve), estimated
    as Keras estimates it, from the confusion counts at ``num_thresholds``
    thresholds, summed over every batch so far.

    The thresholds are :math:`-\\epsilon, \\frac{1}{n-1}, \\dots,
    \\frac{n-2}{n-1}, 1 + \\epsilon` for ``num_thresholds`` :math:`= n`
    (or ``thresholds``, a list in [0, 1], with :math:`-\\epsilon` and
    :math:`1 + \\epsilon` added), so that the first predicts every sample
    positive and the last none.  At each threshold :math:`t_i`,
    :math:`TPR_i = TP_i / (TP_i + FN_i)` and :math:`FPR_i = FP_i / (FP_i + TN_i)`
    (0 where undefined), and the ROC area is the sum over successive
    thresholds of :math:`(FPR_i - FPR_{i+1})\\,h_i`, with the height
    :math:`h_i` the mean of :math:`TPR_i` and :math:`TPR_{i+1}`
    (``summation_method="interpolation"``, trapezoids), their minimum
    (``"minoring"``, a lower bound) or their maximum (``"majoring"``, an
    upper bound).  ``curve="PR"`` puts recall on the x axis and precision on
    the y axis; with ``"interpolation"`` it uses, as Keras does, the
    interpolation of Davis and Goadrich (2006): between two thresholds TP
    and the predicted positives :math:`P = TP + FP` vary linearly, so
    precision is :math:`TP/P` along that line and its integral has a closed
    form with a logarithm (see ``pr_area``).

    The estimate differs from the exact area (``roc_auc``) because scores
    between two thresholds count as tied.  ``multi_label=True`` keeps one
    curve per column of 2-D predictions and averages their areas (weighted by
    ``label_weights`` if given); otherwise every entry is one prediction
    (``label_weights`` then weighs the columns' entries).  ``from_logits``
    applies a sigmoid to the predictions first.  ``num_labels`` fixes the
    number of columns of ``multi_label`` ahead of the first batch.

    >>> float(AUC(num_thresholds=3)([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]))
    0.75
    """

    direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        owner = type(self).__name__
        self.curve = one_of(owner, "curve", curve, ("roc", "pr")).upper()  # any case
        self.summation_method = one_of(owner, "summation_method", summation_method,
                                       ("interpolation", "minoring", "majoring"))
        self.multi_label = flag(owner, "multi_label", multi_label)
        self.from_logits = flag(owner, "from_logits", from_logits)
        self.num_labels = optional_whole(owner, "num_labels", num_labels, 1)
        if self.num_labels is not None and not self.multi_label:
            raise ValueError(f"{owner}: num_labels is needed only with multi_label=True, got "
                             f"num_labels={num_labels!r} and multi_label=False")
        if thresholds is None:
            self.num_thresholds = whole_number(owner, "num_thresholds", num_thresholds, 2)
            self.thresholds = None
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        else:
            _, values = thresholds_of(owner, thresholds, None)
            self.thresholds = sorted(values.tolist())
            self.num_thresholds = len(self.thresholds) + 2
            inner = self.thresholds
        self.threshold_values = np.array([-EPSILON, *inner, 1.0 + EPSILON])
        self.label_weights = None
        if label_weights is not None:
            weights = np.asarray(label_weights, dtype=np.float64) \
                if isinstance(label_weights, (list, tuple, np.ndarray)) else None
            if weights is None or weights.ndim != 1 or not weights.size or \
                    not np.all(np.isfinite(weights) & (weights >= 0)):
                raise ValueError(f"{owner}: label_weights must be a list of numbers >= 0, one "
                                 f"per label, got {label_weights!r}")
            self.label_weights = weights.tolist()
        super().__init__(name, dtype)
        self.labels_seen = self.num_labels
        self.reset_state()

    def reset_state(self):
        shape = (self.num_thresholds,)
        if self.multi_label:
            shape = None if self.labels_seen is None else (self.num_thresholds, self.labels_seen)
        self.counts = None if shape is None else {k: np.zeros(shape) for k in
                                                  ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, scores, weights = prepared(self, y_true, y_pred, sample_weight)
        if self.from_logits:
            scores = 1 / (1 + np.exp(-scores))
        columns = None if scores.ndim < 2 else scores.shape[-1]
        if self.label_weights is not None and columns != len(self.label_weights):
            raise metric_mismatch(self, labels, scores, f": expected {len(self.label_weights)} "
                                  f"columns, one per label weight")
        if self.multi_label:
            if scores.ndim != 2 or self.labels_seen not in (None, columns):
                raise metric_mismatch(self, labels, scores, ": multi_label expects 2-D "
                                      "predictions, (samples, labels)" + (
                                          "" if self.labels_seen is None else
                                          f", with {self.labels_seen} labels"))
            if self.labels_seen is None:
                self.labels_seen = columns
                self.reset_state()
            counts = counted(labels[..., None] != 0, scores[..., None] > self.threshold_values,
                             weights)  # each (labels, thresholds)
            counts = {k: v.T for k, v in counts.items()}
        else:
            if self.label_weights is not None:
                weights = weights * np.asarray(self.label_weights)
            counts = counted(labels.reshape(-1, 1) != 0,
                             scores.reshape(-1, 1) > self.threshold_values, weights.reshape(-1))
        for key in self.counts:
            self.counts[key] += counts[key]

    def result(self):
        if self.counts is None:  # multi_label before any batch
            return np.asarray(0.0, dtype=self.dtype)
        tp, fp, tn, fn = (self.counts[k] for k in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = pr_area(tp, fp, fn)
        else:
            recall = ratio(tp, tp + fn)
            x, y = (ratio(fp, fp + tn), recall) if self.curve == "ROC" else \
                (recall, ratio(tp, tp + fp))
            heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                       "majoring": np.maximum(y[:-1], y[1:])}[self.summation_method]
            areas = ((x[:-1] - x[1:]) * heights).sum(axis=0)
        if self.multi_label:
            if self.label_weights is None:
                areas = areas.mean()
            else:
                weights = np.asarray(self.label_weights)
                areas = ratio(np.array((areas * weights).sum()), np.array(weights.sum()))
        return np.asarray(areas, dtype=self.dtype)


def pr_area(tp, fp, fn):
    """The area under the precision-recall curve by Davis and Goadrich's
    interpolation, as Keras computes it.  Between thresholds :math:`A` and
    :math:`B` (:math:`B` the higher), with :math:`P = TP + FP` and the slope
    :math:`s = (TP_A - TP_B) / (P_A - P_B)` (0 if :math:`P` does not change),
    the intercept :math:`c = TP_B - s P_B`, the area is
    :math:`s\\,[\\,TP_A - TP_B + c \\log(P_A / P_B)\\,] / (TP_B + FN_B)`
    (the log term dropped where :math:`P_A` or :math:`P_B` is 0, the whole
    term 0 where its denominator is)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = ratio(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    p_ratio = np.where(both, ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
    log_ratio = np.log(np.where(p_ratio > 0, p_ratio, 1.0))
    return ratio(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)).sum(axis=0)

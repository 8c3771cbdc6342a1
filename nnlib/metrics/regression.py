"""The regression metrics: mean squared, root mean squared, mean absolute and mean
absolute percentage errors (weighted means of a per-sample error, as Keras takes
them) and the coefficient of determination, ``R2Score``, which keeps sums instead.

Labels and predictions are brought to the same rank first (``same_rank``: targets
``(n,)`` against a ``Dense(1)`` output ``(n, 1)`` fit), and must then have one
shape.  Each error is averaged over the last axis (the outputs) of each sample,
then over the samples with their weights: :math:`\\sum_n w_n e_n / \\sum_n w_n`.

``compile(metrics=["mse"])`` names the metric here (a registered metric is
preferred to the loss of the same name), which gives the same numbers as the
loss wrapped in a metric would.
"""
import warnings

import numpy as np

from ..checks import describe, whole_number
from ..registry import register
from .base import MeanMetric, Metric, same_rank

EPSILON = 1e-7  # Keras's backend.epsilon(), as nnlib.losses.EPSILON (not imported: a cycle)


def _aligned(metric, y_true, y_pred):
    """Labels and predictions as float64 arrays of one shape, or ``metric``'s error."""
    labels, predictions = same_rank(np.asarray(y_true, dtype=np.float64),
                                    np.asarray(y_pred, dtype=np.float64))
    if labels.shape != predictions.shape:
        raise ValueError(f"{describe(metric)}: y_true of shape {np.shape(y_true)} does not fit "
                         f"y_pred of shape {np.shape(y_pred)}: expected one shape (a trailing "
                         f"axis of 1 aside)")
    return labels, predictions


def _per_sample(errors):
    """The mean over the last axis, as Keras's regression losses take it."""
    return errors.mean(axis=-1) if errors.ndim > 1 else errors


class _ErrorMetric(MeanMetric):
    """The weighted mean of a per-sample error (``error(y_true, y_pred)``, elementwise)."""

    direction = "down"

    def score(self, y_true, y_pred):
        return _per_sample(self.error(*_aligned(self, y_true, y_pred)))


@register("metric", family="Mean Squared Error", aliases=("mean_squared_error", "mse"),
          description="Average squared difference between the estimated values and "
                      "actual value, used for regression.",
          use_case="Regression; large errors weigh most")
class MeanSquaredError(_ErrorMetric):
    """:math:`\\frac{\\sum_n w_n \\frac1d \\sum_i (\\hat y_{ni} - y_{ni})^2}{\\sum_n w_n}`,
    the mean squared error, as the loss of that name but accumulated over batches.

    >>> MeanSquaredError()(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]]))
    array(0.5, dtype=float32)
    """

    @staticmethod
    def error(y_true, y_pred):
        return (y_pred - y_true) ** 2


@register("metric", family="Mean Squared Error", aliases=("root_mean_squared_error",),
          description="Square root of the average squared errors, in the targets' units",
          use_case="Regression")
class RootMeanSquaredError(MeanSquaredError):
    """:math:`\\sqrt{\\mathrm{MSE}}`: the square root of the running mean squared error
    (the root of the mean over every batch, not a mean of the batches' roots),
    in the units of the targets.  With several outputs the root is taken of the
    mean over all of them, as Keras does; scikit-learn's
    ``root_mean_squared_error`` averages the roots of each output's mean instead.

    >>> RootMeanSquaredError()(np.array([[0.0, 1.0], [0.0, 0.0]]),
    ...                        np.array([[1.0, 1.0], [1.0, 0.0]]))
    array(0.70710677, dtype=float32)
    """

    def result(self):
        return np.asarray(np.sqrt(self.total / self.count) if self.count else 0.0,
                          dtype=self.dtype)


@register("metric", family="Mean Absolute Error", aliases=("mean_absolute_error", "mae"),
          description="Average absolute errors",
          use_case="Regression, in the targets' units and less swayed by outliers")
class MeanAbsoluteError(_ErrorMetric):
    """:math:`\\frac{\\sum_n w_n \\frac1d \\sum_i |\\hat y_{ni} - y_{ni}|}{\\sum_n w_n}`.

    >>> MeanAbsoluteError()(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]]))
    array(0.5, dtype=float32)
    """

    @staticmethod
    def error(y_true, y_pred):
        return np.abs(y_pred - y_true)


@register("metric", family="Mean Absolute Percentage Error",
          aliases=("mean_absolute_percentage_error", "mape"),
          description="Average absolute errors relative to the targets, in percent",
          use_case="Regression of positive quantities, where relative error matters")
class MeanAbsolutePercentageError(_ErrorMetric):
    """:math:`100 \\cdot \\frac{\\sum_n w_n \\frac1d \\sum_i |\\hat y_{ni} - y_{ni}| /
    \\max(|y_{ni}|, \\epsilon)}{\\sum_n w_n}` with Keras's :math:`\\epsilon = 10^{-7}`,
    so that a target of 0 gives a huge error rather than a division by zero.
    In percent, as Keras gives it; scikit-learn's
    ``mean_absolute_percentage_error`` is the same ratio without the 100 (and with
    float64's epsilon).

    >>> MeanAbsolutePercentageError()(np.array([[1.0, 2.0]]), np.array([[1.5, 2.0]]))
    array(25., dtype=float32)
    """

    @staticmethod
    def error(y_true, y_pred):
        return 100.0 * np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON)


AGGREGATIONS = ("uniform_average", "variance_weighted_average")


@register("metric", family="R2 Score", aliases=("r2_score",),
          description="Share of the targets' variance the predictions explain",
          use_case="Regression, on a scale where 1 is perfect and 0 predicts the mean")
class R2Score(Metric):
    """The coefficient of determination of each output :math:`i`,

    .. math::

        R^2_i = 1 - \\frac{\\sum_n w_n (y_{ni} - \\hat y_{ni})^2}
                         {\\sum_n w_n (y_{ni} - \\bar y_i)^2}, \\qquad
        \\bar y_i = \\frac{\\sum_n w_n y_{ni}}{\\sum_n w_n},

    1 for perfect predictions, 0 for always predicting the mean, negative for
    worse.  The state is sums (:math:`\\sum w`, :math:`\\sum w y`,
    :math:`\\sum w y^2` and :math:`\\sum w (y - \\hat y)^2`, per output), so the
    result over many batches is the score of all the data at once, not a mean of
    the batches' scores; the denominator is
    :math:`\\sum w y^2 - (\\sum w y)^2 / \\sum w`.

    Args:
        class_aggregation: ``"uniform_average"`` (the mean of the outputs'
            scores; the default), ``"variance_weighted_average"`` (weighted by each
            output's denominator) or ``None`` (one score per output).
        num_regressors: :math:`p`, the number of inputs of a linear model, for
            the adjusted score :math:`1 - (1 - R^2)(N - 1)/(N - p - 1)` over
            :math:`N` samples; 0 (the default) for the plain score.  When
            :math:`N - 1 \\le p` the plain score is given, with a warning, as Keras
            does.  (Keras counts the entries of ``y_true`` as :math:`N`; nnlib
            counts samples, which differs only with several outputs.)

    Constant targets leave the denominator 0.  An output whose predictions miss
    them scores 0, as in Keras (and in scikit-learn).  Perfect predictions of
    constant targets score 1 as in scikit-learn; Keras gives NaN (0 / 0) there,
    which nnlib departs from on purpose.  Labels ``(n,)`` are one output (Keras
    asks for 2-D inputs).

    >>> R2Score()(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.0], [2.0]]))
    array(0.5, dtype=float32)
    """

    direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None,
                 dtype=None):
        owner = type(self).__name__
        if class_aggregation is not None and (not isinstance(class_aggregation, str)
                                              or class_aggregation not in AGGREGATIONS):
            raise (ValueError if isinstance(class_aggregation, str) else TypeError)(
                f"{owner}: class_aggregation must be one of {AGGREGATIONS} or None, got "
                f"{class_aggregation!r}")
        self.class_aggregation = class_aggregation
        self.num_regressors = whole_number(owner, "num_regressors", num_regressors, minimum=0)
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.count = self.sum = self.squared_sum = self.residual = None  # one per output
        self.num_samples = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _aligned(self, y_true, y_pred)
        if y_true.ndim == 1:
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        if y_true.ndim != 2:
            raise ValueError(f"{describe(self)}: expected y_true and y_pred of shape "
                             f"(samples, outputs), got {y_true.shape}")
        if self.sum is not None and y_true.shape[1] != len(self.sum):
            raise ValueError(f"{describe(self)}: expected {len(self.sum)} outputs, as in the "
                             f"batches before, got {y_true.shape[1]}")
        weights = np.ones(len(y_true)) if sample_weight is None else \
            np.asarray(sample_weight, dtype=np.float64)
        given = weights.shape
        if weights.ndim == 0:
            weights = np.full(len(y_true), float(weights))
        if weights.ndim == 1:
            weights = weights[:, None]
        try:
            weights = np.broadcast_to(weights, y_true.shape)
        except ValueError:
            raise ValueError(f"{describe(self)}: sample_weight of shape {given} does "
                             f"not fit y_true of shape {y_true.shape}: expected one weight per "
                             f"sample (or a single number)") from None
        if self.sum is None:
            zeros = np.zeros(y_true.shape[1])
            self.count, self.sum, self.squared_sum, self.residual = (zeros.copy() for _ in
                                                                     range(4))
        self.count += weights.sum(axis=0)
        self.sum += (weights * y_true).sum(axis=0)
        self.squared_sum += (weights * y_true ** 2).sum(axis=0)
        self.residual += (weights * (y_true - y_pred) ** 2).sum(axis=0)
        self.num_samples += len(y_true)

    def result(self):
        if self.sum is None:  # nothing seen yet
            return np.asarray(np.zeros(0) if self.class_aggregation is None else 0.0,
                              dtype=self.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(self.count > 0, self.sum / self.count, 0.0)
            total = np.maximum(self.squared_sum - self.sum * mean, 0.0)
            scores = np.where(total > 0, 1 - self.residual / np.where(total > 0, total, 1.0),
                              np.where(self.residual > 0, 0.0, 1.0))
        if self.class_aggregation == "uniform_average":
            score = scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * scores).sum() / total.sum() if total.sum() > 0 else scores.mean()
        else:
            score = scores
        n, p = self.num_samples, self.num_regressors
        if p:
            if p >= n - 1:
                warnings.warn(f"{describe(self)}: num_regressors={p} needs more than {p + 1} "
                              f"samples for the adjusted R2 score, got {n}; the plain score is "
                              f"given", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return np.asarray(score, dtype=self.dtype)

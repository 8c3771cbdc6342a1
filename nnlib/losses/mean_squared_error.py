"""Mean squared error: the loss of least squares."""
import numpy as np

from ..registry import register
from .base import ElementwiseLoss


@register("loss", family="Mean Squared Error", aliases=("mean_squared_error", "mse"),
          description="Average of squared errors",
          use_case="For regression, measures average squared errors")
class MeanSquaredError(ElementwiseLoss):
    """The mean of the squared errors over the last axis.

    .. math::

        \\ell = \\frac{1}{d}\\sum_{i=1}^{d} (\\hat y_i - y_i)^2, \\qquad
        \\frac{\\partial \\ell}{\\partial \\hat y_i} = \\frac{2}{d}(\\hat y_i - y_i)

    Minimising it is maximum likelihood under Gaussian noise of fixed
    variance; the best constant prediction is the mean of the targets.  A
    large error counts with its square, so a few outliers can dominate.

    The squares and their mean are computed in float64, whose range holds
    the square of any float32 number (:math:`(3.4 \\cdot 10^{38})^2 \\approx
    10^{77}`), and the loss is rounded back to its dtype: an error beyond
    :math:`1.8 \\cdot 10^{19}` in float32 gives inf only if the mean itself
    exceeds float32's range.  (Float64 squares are cheap; the logarithms of
    the cross-entropies would not be, so they stay in the loss's dtype.)

    Input shape: ``y_true`` and ``y_pred`` ``(n, ..., d)``.  Per-sample
    losses: ``(n, ...)``.

    >>> MeanSquaredError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
    array(0.5, dtype=float32)
    """

    def per_sample(self, y_true, y_pred):
        squares = self.function(y_true.astype(np.float64), y_pred.astype(np.float64))
        return squares.mean(axis=self.axis), (y_true, y_pred)

    def function(self, y_true, y_pred):
        return (y_pred - y_true) ** 2

    def derivative(self, y_true, y_pred):
        return 2 * (y_pred - y_true)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))

"""Regression losses that grow linearly for large errors, so outliers weigh less."""
import math

import numpy as np

from ..activations import away_from_zero
from ..registry import register
from .base import ElementwiseLoss


@register("loss", family="Mean Absolute Error", aliases=("mean_absolute_error", "mae"),
          description="Average of absolute errors",
          use_case="Regression with outliers; predicts the median")
class MeanAbsoluteError(ElementwiseLoss):
    """The mean of the absolute errors over the last axis.

    .. math::

        \\ell = \\frac{1}{d}\\sum_{i=1}^{d} |\\hat y_i - y_i|, \\qquad
        \\frac{\\partial \\ell}{\\partial \\hat y_i} =
            \\frac{1}{d}\\operatorname{sign}(\\hat y_i - y_i)

    (0 at a zero error, as in Keras and PyTorch).  Maximum likelihood under
    Laplace noise; the best constant prediction is the median.  Every error
    pulls with the same force, however large, so outliers weigh little; but
    the gradient does not shrink near the optimum, so a fixed learning rate
    makes the prediction hover around it.

    >>> MeanAbsoluteError()(np.array([[1.0, 0.3, 1.0]]), np.array([[1.9, 0.3, 1.8]]))
    array(0.56666666, dtype=float32)
    """

    def function(self, y_true, y_pred):
        return np.abs(y_pred - y_true)

    def derivative(self, y_true, y_pred):
        return np.sign(y_pred - y_true)

    @classmethod
    def gradient_check_sample(cls, rng):
        y_true = rng.normal(size=(4, 3))
        return cls(), (y_true, y_true + away_from_zero(rng, (4, 3)))


@register("loss", family="Huber", aliases=("huber", "huber_loss"),
          description="Squared error for small errors, absolute error beyond delta",
          use_case="Regression with outliers, keeping a smooth optimum")
class Huber(ElementwiseLoss):
    """Quadratic for errors up to ``delta``, linear beyond, averaged over the last axis.

    With :math:`e = \\hat y - y` and :math:`\\delta` = ``delta`` (1.0):

    .. math::

        f(e) = \\begin{cases} \\tfrac12 e^2 & |e| \\le \\delta \\\\
                              \\delta |e| - \\tfrac12 \\delta^2 & |e| > \\delta \\end{cases}
        \\qquad
        f'(e) = \\operatorname{clip}(e, -\\delta, \\delta)

    and :math:`\\ell = \\frac1d \\sum_i f(e_i)`.  The two pieces meet with the
    same value and slope at :math:`|e| = \\delta`: mean squared error (halved)
    near the optimum, mean absolute error (times :math:`\\delta`) for outliers.
    Both pieces are computed at once as :math:`\\tfrac12 a^2 + \\delta(|e| - a)`
    with :math:`a = \\min(|e|, \\delta)`, so that no large error is squared
    (Keras squares every error, and overflows beyond :math:`|e| \\approx 10^{19}`
    in float32).

    >>> Huber()(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))
    array(0.155, dtype=float32)
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        if not delta > 0:
            raise self.error(f"delta must be positive, got {delta}")
        self.delta = float(delta)

    def function(self, y_true, y_pred):
        error = np.abs(y_pred - y_true)
        quadratic = np.minimum(error, self.delta)
        return 0.5 * quadratic ** 2 + self.delta * (error - quadratic)

    def derivative(self, y_true, y_pred):
        return np.clip(y_pred - y_true, -self.delta, self.delta)

    @classmethod
    def gradient_check_sample(cls, rng):
        # Errors on both sides of delta = 1, at least 0.1 away from it.
        size = np.where(rng.random((4, 3)) < 0.5, rng.uniform(0.1, 0.9, (4, 3)),
                        rng.uniform(1.1, 3.0, (4, 3)))
        y_true = rng.normal(size=(4, 3))
        return cls(), (y_true, y_true + rng.choice([-1.0, 1.0], (4, 3)) * size)


@register("loss", family="Log-cosh", aliases=("log_cosh", "logcosh"),
          description="Logarithm of the hyperbolic cosine of the error",
          use_case="Regression with outliers, smooth everywhere")
class LogCosh(ElementwiseLoss):
    """:math:`\\log\\cosh` of the error, averaged over the last axis.

    .. math::

        f(e) = \\log\\cosh e = e + \\operatorname{softplus}(-2e) - \\log 2,
        \\qquad f'(e) = \\tanh e

    About :math:`e^2/2` for small errors and :math:`|e| - \\log 2` for large
    ones: a Huber loss with :math:`\\delta = 1` that is smooth everywhere.
    The softplus form (with ``logaddexp``) never overflows, where
    :math:`\\cosh e` would beyond :math:`|e| \\approx 710` (89 in float32).

    >>> loss = LogCosh()
    >>> round(float(loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])), 4)
    0.1084
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def function(self, y_true, y_pred):
        error = y_pred - y_true
        return error + np.logaddexp(0, -2 * error) - math.log(2)

    def derivative(self, y_true, y_pred):
        return np.tanh(y_pred - y_true)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(4, 3)), rng.normal(scale=2.0, size=(4, 3)))

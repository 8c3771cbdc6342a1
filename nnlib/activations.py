"""Activation functions: each one a class with its value and its gradient.

An activation is used by name (``Dense(64, activation="relu")``), as a layer
(``Activation("relu")``) or as a function (``ReLU()(x)`` or
``get("relu")(x)``).  Element-wise activations write two formulas,
``function(x)`` for :math:`y = f(x)` and ``derivative(x, y)`` for
:math:`f'(x)`; the shared ``backward`` multiplies by the incoming gradient:
:math:`\\partial L/\\partial x = \\partial L/\\partial y \\cdot f'(x)`.
"""
import numpy as np

from . import registry
from .backend import as_float_array, floatx
from .registry import register


class ActivationFunction:
    """Base class: ``forward(x) -> (y, cache)`` and ``backward(dy, cache) -> dx``."""

    differentiable = True

    def __call__(self, x):
        """Apply the activation; a float input keeps its dtype, anything else
        (integers, booleans) is cast to ``floatx()`` as Keras casts it."""
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = as_float_array(x, floatx(), type(self).__name__)
        y, _ = self.forward(x)
        return y

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dy, cache):
        raise NotImplementedError

    @classmethod
    def gradient_check_sample(cls, rng):
        """An instance and an input away from kinks, for the gradient check."""
        return cls(), (away_from_zero(rng, (4, 6)),)

    def get_config(self):
        return dict(vars(self))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class ElementwiseActivation(ActivationFunction):
    """An activation applied to each element on its own: :math:`y_i = f(x_i)`."""

    def function(self, x):
        raise NotImplementedError

    def derivative(self, x, y):
        """:math:`f'(x)`, given the input and the output already computed."""
        raise NotImplementedError

    def forward(self, x):
        y = self.function(x)
        return y, (x, y)

    def backward(self, dy, cache):
        x, y = cache
        return dy * self.derivative(x, y)


def away_from_zero(rng, shape, low=0.1, high=3.0):
    """Random values with ``low <= |x| <= high``: clear of a kink at zero."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


@register("activation", family="ReLU", aliases=("relu",),
          description="Adds non-linearity, efficient, solves vanishing gradient",
          use_case="Hidden layers (the default choice)")
class ReLU(ElementwiseActivation):
    """Rectified linear unit, with Keras's optional slope, cap and threshold.

    .. math::

        f(x) = \\begin{cases}
            \\text{max\\_value} & x \\ge \\text{max\\_value} \\\\
            x & \\text{threshold} \\le x < \\text{max\\_value} \\\\
            \\text{negative\\_slope}\\,(x - \\text{threshold}) & \\text{otherwise}
        \\end{cases}

    With the defaults this is :math:`\\max(0, x)`, whose derivative is
    :math:`1` for :math:`x > 0` and :math:`0` for :math:`x < 0` (nnlib uses
    :math:`0` at :math:`x = 0`, as Keras does).

    >>> ReLU()(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """

    def __init__(self, negative_slope=0.0, max_value=None, threshold=0.0):
        self.negative_slope = negative_slope
        self.max_value = max_value
        self.threshold = threshold

    def function(self, x):
        # Written as a sum so that the zero branch is +0.0, never -0.0.
        y = np.where(x > self.threshold, x, 0) + self.negative_slope * np.minimum(
            x - self.threshold, 0)
        if self.max_value is not None:
            y = np.minimum(y, self.max_value)
        return y.astype(x.dtype, copy=False)

    def derivative(self, x, y):
        slope = np.where(x > self.threshold, 1.0, self.negative_slope)
        if self.max_value is not None:
            slope = np.where(x >= self.max_value, 0.0, slope)
        return slope.astype(x.dtype, copy=False)


@register("activation", family="Sigmoid", aliases=("sigmoid",),
          description="Maps to probability, for binary classification output",
          use_case="Output of binary and multi-label classifiers; gates")
class Sigmoid(ElementwiseActivation):
    """The logistic function :math:`\\sigma(x) = 1 / (1 + e^{-x})`.

    Its derivative is :math:`\\sigma'(x) = \\sigma(x)\\,(1 - \\sigma(x))`, at
    most :math:`1/4`, which is why deep sigmoid stacks lose their gradient.
    It is computed as :math:`e^{-\\log(1 + e^{-x})}` with ``logaddexp`` so that
    no input overflows.

    >>> Sigmoid()(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """

    def function(self, x):
        return np.exp(-np.logaddexp(0, -x)).astype(x.dtype, copy=False)

    def derivative(self, x, y):
        return y * (1 - y)


@register("activation", family="Tanh", aliases=("tanh",),
          description="Maps values between -1 and 1, used in hidden layers",
          use_case="Hidden layers and recurrent cells; zero-centred")
class Tanh(ElementwiseActivation):
    """Hyperbolic tangent :math:`\\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})`.

    Its derivative is :math:`1 - \\tanh^2(x)`.

    >>> Tanh()(np.array([0.0]))
    array([0.])
    """

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        return 1 - y * y


@register("activation", family="Softmax", aliases=("softmax",),
          description="Turns a vector of scores into probabilities that sum to 1",
          use_case="Output of multi-class classifiers")
class Softmax(ActivationFunction):
    """:math:`y_i = e^{x_i} / \\sum_j e^{x_j}` along ``axis``.

    The maximum is subtracted first (the result is unchanged) so no exponent
    overflows.  Each output depends on every input of its axis, so the
    backward pass is a vector-Jacobian product:

    .. math::

        \\frac{\\partial L}{\\partial x_i} = y_i \\Big(\\frac{\\partial L}{\\partial y_i}
            - \\sum_j \\frac{\\partial L}{\\partial y_j} y_j\\Big)

    >>> Softmax()(np.array([[1.0, 1.0]]))
    array([[0.5, 0.5]])
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        y = e / e.sum(axis=self.axis, keepdims=True)
        return y, y

    def backward(self, dy, cache):
        y = cache
        return y * (dy - (dy * y).sum(axis=self.axis, keepdims=True))

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(4, 6)),)


@register("activation", family="Linear", aliases=("linear",),
          description="The identity: passes values through unchanged",
          use_case="Regression outputs; logits fed to a from_logits loss")
class Linear(ElementwiseActivation):
    """:math:`f(x) = x`, :math:`f'(x) = 1`."""

    def function(self, x):
        return x

    def derivative(self, x, y):
        return np.ones_like(x)


def get(identifier):
    """An activation from a name, an instance, or ``None`` (linear)."""
    return Linear() if identifier is None else registry.get("activation", identifier)

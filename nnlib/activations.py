"""Activation functions: each one a class with its value and its gradient.

An activation is used by name (``Dense(64, activation="relu")``), as a layer
(``Activation("relu")``, or ``ReLU()``, ``LeakyReLU()``... from
``nnlib.layers``) or as a function with Keras's name and arguments
(``relu(x, max_value=6.0)``, ``gelu(x, approximate=True)``).

Element-wise activations write two formulas, ``function(x)`` for
:math:`y = f(x)` and ``derivative(x, y)`` for :math:`f'(x)`; the shared
``backward`` multiplies by the incoming gradient:
:math:`\\partial L/\\partial x = \\partial L/\\partial y \\cdot f'(x)`.
Both keep the input's dtype (float16, float32 or float64).  No formula
evaluates an exponential, a square or a cube that can overflow, so values and
gradients have no NaN and no inf for any finite input (tested up to
:math:`\\pm 10^{30}`, and float16's :math:`\\pm 6 \\cdot 10^4`), except
where the exact value itself exceeds the dtype's range (``SELU`` of float16's
largest number).  float16 arrays are computed in float32 and rounded back
(``widened``): float16's range, :math:`6.5 \\cdot 10^4`, is too narrow for
the intermediate results of a softmax.

The file holds the reference sheet's three (ReLU, Sigmoid, Tanh) with Softmax
and Linear first, then the activations beyond them, then the functions.
"""
import math

import numpy as np

from . import registry
from .backend import as_float_array, floatx, widened
from .registry import register
from .serialization import Configurable


class ActivationFunction(Configurable):
    """Base class: ``forward(x) -> (y, cache)`` and ``backward(dy, cache) -> dx``.

    ``cost`` says in words what one element costs to compute.  The config is
    the arguments of ``__init__`` (see ``nnlib.serialization``).
    """

    differentiable = True
    cost = ""

    def __call__(self, x):
        """Apply the activation.  An array of floats keeps its dtype; anything
        else (Python numbers and lists, integers, booleans) is cast to
        ``floatx()``, as Keras casts it."""
        if not (isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind == "f"):
            x = as_float_array(x, floatx(), type(self).__name__)
        y, _ = self.forward(np.asarray(x))
        return y

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dy, cache):
        raise NotImplementedError

    @classmethod
    def gradient_check_sample(cls, rng):
        """An instance and an input away from kinks, for the gradient check."""
        return cls(), (away_from_zero(rng, (4, 6)),)


class ElementwiseActivation(ActivationFunction):
    """An activation applied to each element on its own: :math:`y_i = f(x_i)`.

    Subclasses write ``function(x)`` and ``derivative(x, y)``; the results are
    cast back to the input's dtype here, once for all of them.
    """

    def function(self, x):
        raise NotImplementedError

    def derivative(self, x, y):
        """:math:`f'(x)`, given the input and the output already computed."""
        raise NotImplementedError

    def forward(self, x):
        y = np.asarray(self.function(widened(x)), dtype=x.dtype)
        return y, (x, y)

    def backward(self, dy, cache):
        x, y = cache
        return np.asarray(dy * self.derivative(widened(x), widened(y)), dtype=x.dtype)


def away_from_zero(rng, shape, low=0.1, high=3.0):
    """Random values with ``low <= |x| <= high``: clear of a kink at zero."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def away_from(rng, shape, kinks, low=-4.0, high=4.0, margin=0.1):
    """Uniform values on ``[low, high]`` at least ``margin`` from every kink.

    Draws that land too close to a kink are drawn again, so every branch of a
    piecewise function is sampled and no finite difference straddles a kink.
    """
    x = rng.uniform(low, high, size=shape)
    while True:
        near = np.min(np.abs(x[..., None] - np.asarray(kinks)), axis=-1) < margin
        if not near.any():
            return x
        x = np.where(near, rng.uniform(low, high, size=shape), x)


def logistic(x):
    """:math:`\\sigma(x) = 1/(1 + e^{-x}) = e^{-\\log(1 + e^{-x})}`, computed with
    ``logaddexp`` so that no input overflows (shared by Sigmoid, SiLU, Softplus)."""
    return np.exp(-np.logaddexp(0, -x))


# -- the reference sheet's three, with Softmax and Linear ---------------------------------

@register("activation", family="ReLU", aliases=("relu",),
          description="Adds non-linearity, efficient, solves vanishing gradient",
          use_case="Hidden layers (the default choice)")
class ReLU(ElementwiseActivation):
    """Rectified linear unit, with Keras's slope, cap and threshold.

    With the defaults this is :math:`f(x) = \\max(0, x)`.  In general, with
    slope :math:`a`, cap :math:`m` and threshold :math:`t`, Keras 3 computes

    .. math::

        f(x) = k(x) - a \\max(t - x, 0), \\qquad
        k(x) = \\begin{cases} x & x > t \\\\ 0 & x \\le t \\end{cases}
        \\;\\text{then, if } m \\text{ is given, clipped to } [0, m].

    So :math:`f(x) = a\\,(x - t)` below the threshold, :math:`x` above it (a
    jump from 0 to :math:`t` when :math:`t \\ne 0`) and :math:`m` past the cap.
    One quirk follows Keras exactly: with a negative threshold, inputs in
    :math:`(t, 0)` pass through unchanged, unless ``max_value`` is set, whose
    clip to :math:`[0, m]` turns them into 0.

    The derivative is :math:`1` where :math:`k` passes :math:`x` through
    unclipped, :math:`a` for :math:`x \\le t`, and :math:`0` elsewhere.  At
    the kinks nnlib takes the left-hand side's value (so ReLU has
    :math:`f'(0) = 0` and LeakyReLU :math:`f'(0) = a`, as in Keras), except at
    the cap, where it takes 0.

    Range: :math:`[0, \\infty)` (with a slope, :math:`(-\\infty, \\infty)`).
    Saturates for :math:`x < 0`, where the gradient is exactly zero: a unit
    whose inputs are all negative stops learning (a "dead" ReLU).  Not
    zero-centred.

    >>> ReLU()(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    >>> ReLU(negative_slope=0.5, max_value=2.0)(np.array([-2.0, 1.0, 3.0]))
    array([-1.,  1.,  2.])
    """

    cost = "a comparison"

    def __init__(self, negative_slope=0.0, max_value=None, threshold=0.0):
        self.negative_slope = negative_slope
        self.max_value = max_value
        self.threshold = threshold

    @property
    def plain(self):
        """True for the default form, :math:`\\max(0, x)`."""
        return self.negative_slope == 0 and self.max_value is None and self.threshold == 0

    def function(self, x):
        if self.plain:  # the common case in one pass, about 2.5 times faster
            return np.maximum(x, 0)
        kept = np.where(x > self.threshold, x, 0)
        if self.max_value is not None:
            kept = np.clip(kept, 0, self.max_value)
        return kept - self.negative_slope * np.maximum(self.threshold - x, 0)

    def derivative(self, x, y):
        if self.plain:
            return x > 0
        passed = x > self.threshold
        if self.max_value is not None:
            passed &= (x > 0) & (x < self.max_value)
        return passed + self.negative_slope * (x <= self.threshold)

    @classmethod
    def gradient_check_sample(cls, rng):
        relu = cls(negative_slope=0.1, max_value=2.5, threshold=0.5)
        return relu, (away_from(rng, (4, 6), kinks=(0.0, 0.5, 2.5)),)


@register("activation", family="Sigmoid", aliases=("sigmoid",),
          description="Maps to probability",
          use_case="For binary classification output; gates of LSTM and GRU cells")
class Sigmoid(ElementwiseActivation):
    """The logistic function :math:`\\sigma(x) = 1 / (1 + e^{-x})`.

    Its derivative is :math:`\\sigma'(x) = \\sigma(x)\\,(1 - \\sigma(x))`, at
    most :math:`1/4` (at 0), which is why deep sigmoid stacks lose their
    gradient: each layer multiplies it by at most a quarter.

    Range :math:`(0, 1)`; saturates on both sides; not zero-centred (its
    outputs average :math:`1/2`).  Computed as
    :math:`e^{-\\log(1 + e^{-x})}` so that no input overflows.

    >>> Sigmoid()(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """

    cost = "an exp"

    def function(self, x):
        return logistic(x)

    def derivative(self, x, y):
        return y * (1 - y)


@register("activation", family="Tanh", aliases=("tanh",),
          description="Maps values between -1 and 1",
          use_case="Used in hidden layers; recurrent cells (zero-centred)")
class Tanh(ElementwiseActivation):
    """Hyperbolic tangent :math:`\\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})
    = 2\\sigma(2x) - 1`.

    Its derivative is :math:`1 - \\tanh^2(x)`, 1 at 0.

    Range :math:`(-1, 1)`; saturates on both sides; zero-centred.

    >>> Tanh()(np.array([0.0]))
    array([0.])
    """

    cost = "a tanh (two exps)"

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
    backward pass is a vector-Jacobian product, with Jacobian
    :math:`\\partial y_i / \\partial x_k = y_i(\\delta_{ik} - y_k)`:

    .. math::

        \\frac{\\partial L}{\\partial x_i} = y_i \\Big(\\frac{\\partial L}{\\partial y_i}
            - \\sum_j \\frac{\\partial L}{\\partial y_j} y_j\\Big)

    Range :math:`(0, 1)` with outputs summing to 1; adding a constant to every
    input changes nothing.  A softmax of two scores :math:`(x, 0)` is
    :math:`(\\sigma(x), 1 - \\sigma(x))`.

    >>> Softmax()(np.array([[1.0, 1.0]]))
    array([[0.5, 0.5]])
    """

    cost = "an exp per element, a sum per vector"

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        z = widened(x)  # in float16, x - max overflows once the scores span 6.5e4
        e = np.exp(z - z.max(axis=self.axis, keepdims=True))
        y = np.asarray(e / e.sum(axis=self.axis, keepdims=True), x.dtype)
        return y, y

    def backward(self, dy, cache):
        y = widened(cache)
        dx = y * (dy - (dy * y).sum(axis=self.axis, keepdims=True))
        return np.asarray(dx, cache.dtype)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(4, 6)),)


@register("activation", family="Linear", aliases=("linear",),
          description="The identity: passes values through unchanged",
          use_case="Regression outputs; logits fed to a from_logits loss")
class Linear(ElementwiseActivation):
    """:math:`f(x) = x`, :math:`f'(x) = 1`: no activation at all.

    A stack of linear layers is one linear map, however deep.
    """

    cost = "nothing"

    def function(self, x):
        return x

    def derivative(self, x, y):
        return np.ones_like(x)

    def backward(self, dy, cache):
        return dy  # f'(x) = 1: the gradient passes through, without a multiply


# -- beyond them ---------------------------------------------------------------------------

@register("activation", family="ReLU", aliases=("leaky_relu",),
          description="x above 0, a small slope times x below: no unit dies",
          use_case="Hidden layers where ReLU units die; GAN discriminators")
class LeakyReLU(ReLU):
    """:math:`f(x) = x` for :math:`x > 0`, :math:`a x` otherwise.

    The derivative is 1 or :math:`a`, never 0, so a unit whose inputs are all
    negative still learns.  The ``"leaky_relu"`` activation (and the function
    ``leaky_relu``) defaults to :math:`a = 0.2`, as in Keras 3; the
    ``LeakyReLU`` *layer* defaults to 0.3, as Keras's layer does.

    Range :math:`(-\\infty, \\infty)`; no saturation; nearly zero-centred
    for large :math:`a`.

    >>> LeakyReLU()(np.array([-1.0, 2.0]))
    array([-0.2,  2. ])
    """

    cost = "a comparison and a multiply"

    def __init__(self, negative_slope=0.2):
        super().__init__(negative_slope=negative_slope)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (away_from_zero(rng, (4, 6)),)


@register("activation", family="ReLU", aliases=("elu",),
          description="x above 0, alpha (e^x - 1) below: smooth, mean nearer 0",
          use_case="Hidden layers; faster convergence than ReLU in some networks")
class ELU(ElementwiseActivation):
    """Exponential linear unit (Clevert et al., 2016).

    .. math::

        f(x) = \\begin{cases} x & x > 0 \\\\ \\alpha (e^x - 1) & x \\le 0 \\end{cases}
        \\qquad
        f'(x) = \\begin{cases} 1 & x > 0 \\\\ \\alpha e^x & x \\le 0 \\end{cases}

    The exponentials are evaluated on :math:`\\min(x, 0)` only, so a large
    positive input never overflows.  (:math:`\\alpha e^x` is also
    :math:`f(x) + \\alpha`, but that sum loses float32 digits where
    :math:`f(x)` is close to :math:`-\\alpha`.)

    Range :math:`(-\\alpha, \\infty)`; saturates to :math:`-\\alpha` for
    :math:`x \\to -\\infty`; its negative outputs bring the mean closer to 0.

    >>> ELU()(np.array([0.0, 1.0]))
    array([0., 1.])
    """

    cost = "an exp (negative side)"

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def function(self, x):
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, x, y):
        return np.where(x > 0, 1, self.alpha * np.exp(np.minimum(x, 0)))


@register("activation", family="ReLU", aliases=("selu",),
          description="Scaled ELU whose constants keep activations at mean 0, variance 1",
          use_case="Self-normalising networks, with lecun_normal and AlphaDropout")
class SELU(ELU):
    """Scaled exponential linear unit (Klambauer et al., 2017):
    :math:`f(x) = \\lambda\\,\\operatorname{ELU}_\\alpha(x)` with the fixed
    :math:`\\alpha \\approx 1.6733` and :math:`\\lambda \\approx 1.0507`, and
    :math:`f'(x) = \\lambda\\,\\operatorname{ELU}'_\\alpha(x)`.

    With these constants, inputs of mean 0 and variance 1 give outputs of
    mean 0 and variance 1 when the weights are drawn with ``lecun_normal``,
    so a deep stack keeps its scale without normalisation layers.

    Range :math:`(-\\lambda\\alpha, \\infty) \\approx (-1.758, \\infty)`.

    >>> SELU()(np.array([1.0]))
    array([1.05070099])
    """

    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self):
        super().__init__(alpha=self.ALPHA)

    def function(self, x):
        return self.SCALE * super().function(x)

    def derivative(self, x, y):
        return self.SCALE * super().derivative(x, y / self.SCALE)


def erf(x):
    """The error function, element by element, in float64: NumPy has none, and
    the standard library's ``math.erf`` is exact to double precision."""
    return np.frompyfunc(math.erf, 1, 1)(x).astype(np.float64)


def normal_pdf(x):
    """:math:`\\varphi(x) = e^{-x^2/2}/\\sqrt{2\\pi}`, the standard normal density.

    It is 0 to double precision beyond :math:`|x| = 40` (:math:`e^{-800}`), so
    :math:`x` is clipped there first and :math:`x^2` never overflows.
    """
    x = np.clip(x, -40, 40)
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


@register("activation", family="ReLU", aliases=("gelu",),
          description="x times the chance that a standard normal is below x",
          use_case="Transformers (BERT, GPT) and modern MLPs")
class GELU(ElementwiseActivation):
    """Gaussian error linear unit (Hendrycks and Gimpel, 2016).

    .. math::

        f(x) = x\\,\\Phi(x) = \\tfrac{x}{2}\\Big(1 + \\operatorname{erf}\\frac{x}{\\sqrt 2}\\Big),
        \\qquad f'(x) = \\Phi(x) + x\\,\\varphi(x),
        \\quad \\varphi(x) = \\frac{e^{-x^2/2}}{\\sqrt{2\\pi}}

    With ``approximate=True``, :math:`\\Phi` is replaced by the tanh form
    :math:`\\tfrac12(1 + \\tanh u)`, :math:`u = c\\,(x + 0.044715\\,x^3)`,
    :math:`c = \\sqrt{2/\\pi}`, whose derivative is
    :math:`\\tfrac12(1 + \\tanh u) + \\tfrac{x}{2}(1 - \\tanh^2 u)\\,c\\,(1 + 3 \\cdot
    0.044715\\,x^2)`.  The two differ by less than :math:`5 \\cdot 10^{-4}`.
    Keras's ``gelu`` activation defaults to the exact form.

    Stability: :math:`\\varphi` is computed on :math:`x` clipped to
    :math:`\\pm 40` (``normal_pdf``), and the tanh form on :math:`x` clipped to
    :math:`\\pm 10`, beyond which :math:`\\tanh u = \\pm 1` to double precision
    (:math:`|u| > 43`): :math:`x^3` never overflows, and the derivative's second
    term is :math:`0` there instead of :math:`0 \\cdot \\infty` (NaN in float32
    from :math:`|x| \\approx 10^{20}`, as Keras's PyTorch backend gives).

    Range about :math:`(-0.17, \\infty)`: a smooth ReLU that dips below zero
    around :math:`x \\approx -0.75`; saturates (to 0) for :math:`x \\to -\\infty`.

    >>> GELU()(np.array([-1.0, 0.0, 1.0])).round(4)
    array([-0.1587,  0.    ,  0.8413])
    """

    cost = "an erf (or a tanh and a cube)"
    TANH_COEFFICIENT = 0.044715
    TANH_SATURATION = 10.0  # tanh u = +-1 to double precision beyond |x| = 10

    def __init__(self, approximate=False):
        self.approximate = approximate

    def function(self, x):
        if self.approximate:
            return 0.5 * x * (1 + np.tanh(self.tanh_argument(x)))
        return 0.5 * x * (1 + erf(x / math.sqrt(2)))

    def derivative(self, x, y):
        if self.approximate:
            x = np.clip(x, -self.TANH_SATURATION, self.TANH_SATURATION)
            t = np.tanh(self.tanh_argument(x))
            du = math.sqrt(2 / math.pi) * (1 + 3 * self.TANH_COEFFICIENT * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        return cdf + x * normal_pdf(x)

    def tanh_argument(self, x):
        """:math:`u = \\sqrt{2/\\pi}\\,(x + 0.044715\\,x^3)`, on :math:`x` clipped to
        :math:`\\pm 10`, where :math:`\\tanh u` is already :math:`\\pm 1`."""
        x = np.clip(x, -self.TANH_SATURATION, self.TANH_SATURATION)
        return math.sqrt(2 / math.pi) * (x + self.TANH_COEFFICIENT * x ** 3)


@register("activation", family="ReLU", aliases=("silu", "swish"),
          description="x times sigmoid(x) (Swish): smooth, dips below zero",
          use_case="Deep CNNs (EfficientNet) and modern MLPs")
class SiLU(ElementwiseActivation):
    """Sigmoid-weighted linear unit, also called Swish:
    :math:`f(x) = x\\,\\sigma(x)`, with

    .. math::

        f'(x) = \\sigma(x) + x\\,\\sigma(x)(1 - \\sigma(x))
              = \\sigma(x)\\,\\big(1 + x\\,(1 - \\sigma(x))\\big)

    Range about :math:`(-0.278, \\infty)`, the minimum at
    :math:`x \\approx -1.278`; not monotonic; saturates (to 0) for
    :math:`x \\to -\\infty`.

    >>> SiLU()(np.array([0.0, 1.0])).round(4)
    array([0.    , 0.7311])
    """

    cost = "an exp"

    def function(self, x):
        return x * logistic(x)

    def derivative(self, x, y):
        s = logistic(x)
        return s * (1 + x * (1 - s))


@register("activation", family="ReLU", aliases=("softplus",),
          description="log(1 + e^x): a smooth ReLU, always positive",
          use_case="Outputs that must be positive (scales, rates, variances)")
class Softplus(ElementwiseActivation):
    """:math:`f(x) = \\log(1 + e^x)`, whose derivative is the sigmoid,
    :math:`f'(x) = \\sigma(x)`.

    Computed as ``logaddexp(x, 0)``, which never overflows: for large
    :math:`x` it returns :math:`x`.  Range :math:`(0, \\infty)`; saturates
    for :math:`x \\to -\\infty`.

    >>> Softplus()(np.array([0.0])).round(4)
    array([0.6931])
    """

    cost = "an exp and a log"

    def function(self, x):
        return np.logaddexp(x, 0)

    def derivative(self, x, y):
        return logistic(x)


@register("activation", family="Sigmoid", aliases=("hard_sigmoid",),
          description="A piecewise-linear sigmoid: clip(x/6 + 1/2, 0, 1)",
          use_case="Cheap gates in mobile networks (MobileNetV3)")
class HardSigmoid(ElementwiseActivation):
    """Keras 3's hard sigmoid (the same as PyTorch's ``hardsigmoid``):

    .. math::

        f(x) = \\min\\big(\\max(\\tfrac{x}{6} + \\tfrac12, 0), 1\\big), \\qquad
        f'(x) = \\begin{cases} \\tfrac16 & -3 < x < 3 \\\\ 0 & \\text{otherwise} \\end{cases}

    Keras 2 used :math:`0.2x + 0.5` (kinks at :math:`\\pm 2.5`); Keras 3
    changed to this form.  Range :math:`[0, 1]`, reached exactly beyond
    :math:`\\pm 3`, where the gradient is zero.

    >>> HardSigmoid()(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """

    cost = "a multiply-add and a clip"

    def function(self, x):
        return np.clip(x / 6 + 0.5, 0, 1)

    def derivative(self, x, y):
        return np.where((x > -3) & (x < 3), 1 / 6, 0)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (away_from(rng, (4, 6), kinks=(-3.0, 3.0), low=-5.0, high=5.0),)


@register("activation", family="Tanh", aliases=("softsign",),
          description="x / (1 + |x|): like tanh, with slower polynomial tails",
          use_case="A tanh alternative that saturates more gently (rare)")
class Softsign(ElementwiseActivation):
    """:math:`f(x) = x / (1 + |x|)`, :math:`f'(x) = 1 / (1 + |x|)^2`.

    Range :math:`(-1, 1)` like tanh, and zero-centred, but its gradient
    decays like :math:`1/x^2` instead of :math:`e^{-2|x|}`.  The derivative
    squares the reciprocal, :math:`(1/(1 + |x|))^2`, which underflows quietly
    to 0 for huge :math:`|x|`, where the square of :math:`1 + |x|` would
    overflow.

    >>> Softsign()(np.array([-1.0, 3.0]))
    array([-0.5 ,  0.75])
    """

    cost = "an abs and a division"

    def function(self, x):
        return x / (1 + np.abs(x))

    def derivative(self, x, y):
        return np.square(1 / (1 + np.abs(x)))


def get(identifier):
    """An activation from a name, an instance, one of the functions below, or
    ``None`` (linear).

    >>> get("leaky_relu"), get(gelu), get(None)
    (LeakyReLU(negative_slope=0.2), GELU(approximate=False), Linear())
    """
    if identifier is None:
        return Linear()
    if isinstance(identifier, ActivationFunction):
        return identifier
    if callable(identifier) and getattr(identifier, "__module__", None) == __name__:
        identifier = identifier.__name__
    elif callable(identifier) and not isinstance(identifier, type):
        raise TypeError(f"expected an activation name or instance, got the function "
                        f"{getattr(identifier, '__name__', identifier)!r}: Keras "
                        f"differentiates a plain function automatically, nnlib needs its "
                        f"derivative written out; subclass ElementwiseActivation with "
                        f"function(x) and derivative(x, y) (the activations chapter shows "
                        f"how)")
    return registry.get("activation", identifier)


# -- the functions, with Keras's names and arguments -------------------------------------
# Each builds its class and applies it: the formulas live in the classes alone.

def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's ``relu``: see ``ReLU``.

    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0)
    array([0., 0., 0., 5., 5.], dtype=float32)
    """
    return ReLU(negative_slope, max_value, threshold)(x)


def leaky_relu(x, negative_slope=0.2):
    """Keras's ``leaky_relu`` (slope 0.2 by default): see ``LeakyReLU``."""
    return LeakyReLU(negative_slope)(x)


def sigmoid(x):
    """Keras's ``sigmoid``: see ``Sigmoid``."""
    return Sigmoid()(x)


def tanh(x):
    """Keras's ``tanh``: see ``Tanh``."""
    return Tanh()(x)


def softmax(x, axis=-1):
    """Keras's ``softmax`` along ``axis``: see ``Softmax``."""
    return Softmax(axis)(x)


def linear(x):
    """Keras's ``linear``, the identity: see ``Linear``."""
    return Linear()(x)


def elu(x, alpha=1.0):
    """Keras's ``elu``: see ``ELU``."""
    return ELU(alpha)(x)


def selu(x):
    """Keras's ``selu``: see ``SELU``."""
    return SELU()(x)


def gelu(x, approximate=False):
    """Keras's ``gelu`` (exact by default): see ``GELU``."""
    return GELU(approximate)(x)


def silu(x):
    """Keras's ``silu``: see ``SiLU``."""
    return SiLU()(x)


swish = silu  # Keras exports the same function under both names


def softplus(x):
    """Keras's ``softplus``: see ``Softplus``."""
    return Softplus()(x)


def hard_sigmoid(x):
    """Keras's ``hard_sigmoid`` (the Keras 3 form, x/6 + 1/2): see ``HardSigmoid``."""
    return HardSigmoid()(x)


def softsign(x):
    """Keras's ``softsign``: see ``Softsign``."""
    return Softsign()(x)

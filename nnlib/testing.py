"""Gradient checking: compare a backward pass with central differences.

``check_gradients(component, *inputs)`` works on a layer (or model), an
activation, a loss, or a pair of plain functions ``(forward, backward)``.
It draws a random upstream gradient :math:`g`, so the scalar checked is
:math:`s = \\sum y \\odot g`, and for every entry :math:`\\theta_i` of every
input and weight estimates

.. math::

    \\frac{\\partial s}{\\partial \\theta_i} \\approx
    \\frac{\\sum (y(\\theta + h e_i) - y(\\theta - h e_i)) \\odot g}{2h}

It compares with the analytic gradient by the relative error of CS231n,
:math:`|a - n| / \\max(|a|, |n|)` (zero when both are zero), and reports the
largest one per array.  Everything runs in float64: the component must
compute in float64 (create it inside ``nnlib.backend.floatx_scope("float64")``
or with ``dtype="float64"``).  Random draws are re-seeded before every
forward pass, so stochastic layers (dropout) repeat their noise.
"""
import numpy as np

from .activations import ActivationFunction
from .layers.base import Layer
from .losses import Loss
from .utils import set_random_seed


class GradientReport:
    """The outcome of a gradient check: one row per checked array."""

    def __init__(self, name, rows, tolerance):
        self.name = name
        self.rows = rows  # (array name, shape, max relative error, max absolute error)
        self.tolerance = tolerance

    @property
    def max_relative_error(self):
        return max((row[2] for row in self.rows), default=0.0)

    @property
    def passed(self):
        return self.max_relative_error < self.tolerance

    def __repr__(self):
        lines = [f"Gradient check of {self.name}: "
                 f"{'passed' if self.passed else 'FAILED'} (tolerance {self.tolerance:.0e})",
                 f"  {'array':<12} {'shape':<16} {'max rel. error':>15} {'max abs. error':>15}"]
        for name, shape, rel, abs_ in self.rows:
            flag = "" if rel < self.tolerance else "  <-- too large"
            lines.append(f"  {name:<12} {str(shape):<16} {rel:>15.2e} {abs_:>15.2e}{flag}")
        return "\n".join(lines)


def relative_error(analytic, numeric):
    """Element-wise :math:`|a - n| / \\max(|a|, |n|)`, zero where both are zero."""
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    difference = np.abs(analytic - numeric)
    return np.divide(difference, scale, out=np.zeros_like(difference), where=scale > 0)


def numeric_gradient(evaluate, array, upstream, h):
    """Central differences of :math:`\\sum y \\odot g` wrt each entry of ``array``.

    ``evaluate()`` recomputes the output from ``array``, changed in place.
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        plus = evaluate()
        array[index] = original - h
        minus = evaluate()
        array[index] = original
        grad[index] = np.sum((plus - minus) * upstream) / (2 * h)
    return grad


def _require_float64(component, dtype):
    if dtype != "float64":
        raise TypeError(f"check_gradients runs in float64, but {component!r} computes in "
                        f"{dtype}: create it inside nnlib.backend.floatx_scope('float64') "
                        f"or with dtype='float64'")


def _problem(component, inputs, seed):
    """Arrays to perturb, a function recomputing the output, and one giving
    the analytic gradients (a dict like the arrays) for an upstream gradient."""
    as64 = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
            for a in inputs]

    def seeded(run):
        def evaluate():
            set_random_seed(seed)
            return np.array(run(), dtype=np.float64)  # a copy: the output may alias the input
        return evaluate

    if isinstance(component, Layer):
        _require_float64(component, component.dtype)
        x = component.prepare(as64[0] if len(as64) == 1 else as64)
        # Several inputs (a merge layer, a model with two inputs) are input_0, input_1...
        names = ["input"] if len(as64) == 1 else [f"input_{i}" for i in range(len(as64))]
        xs = [x] if len(as64) == 1 else x
        # Integer inputs (an Embedding's ids) have no gradient to check.
        arrays = {**{n: a for n, a in zip(names, xs) if a.dtype.kind == "f"},
                  **{k: w.value for k, w in component.named_weights().items()}}
        evaluate = seeded(lambda: component.forward(x, training=True)[0])

        def analytic(upstream):
            set_random_seed(seed)
            _, cache = component.forward(x, training=True)
            dx, grads = component.backward(upstream, cache)
            return {**dict(zip(names, [dx] if len(as64) == 1 else dx)), **grads}
        return arrays, evaluate, analytic

    if isinstance(component, Loss):
        _require_float64(component, component.dtype)
        y_true, y_pred = as64
        arrays = {"y_pred": y_pred}
        evaluate = seeded(lambda: component.forward(y_true, y_pred)[0])

        def analytic(upstream):
            _, cache = component.forward(y_true, y_pred)
            return {"y_pred": component.backward(upstream, cache)}
        return arrays, evaluate, analytic

    if isinstance(component, ActivationFunction):
        activation = component
        component = (lambda x: activation.forward(x)[0],
                     lambda dy, x: activation.backward(dy, activation.forward(x)[1]))
    if isinstance(component, tuple) and len(component) == 2:
        forward, backward = component
        x = as64[0]
        return ({"input": x}, seeded(lambda: np.asarray(forward(x))),
                lambda upstream: {"input": backward(upstream, x)})
    raise TypeError("check_gradients takes a Layer, a Loss, an activation, or a pair of "
                    f"functions (forward(x), backward(dy, x)); got {component!r}")


def check_gradients(component, *inputs, tolerance=1e-6, h=1e-5, seed=0):
    """Check ``component``'s backward pass on ``inputs``; returns a ``GradientReport``.

    A layer or model with several inputs takes them as separate arguments,
    reported as ``input_0``, ``input_1``...

    >>> from nnlib.activations import Tanh
    >>> check_gradients(Tanh(), np.linspace(-2, 2, 5)).passed
    True
    >>> check_gradients((np.square, lambda dy, x: dy * 3 * x), np.ones(3)).passed
    False
    """
    arrays, evaluate, analytic = _problem(component, inputs, seed)
    output = evaluate()
    upstream = np.random.default_rng(seed).normal(size=np.shape(output))
    analytic_grads = analytic(upstream)
    rows = []
    for name, array in arrays.items():
        numeric = numeric_gradient(evaluate, array, upstream, h)
        computed = analytic_grads.get(name)
        if computed is None or np.shape(computed) != array.shape:
            raise ValueError(f"check_gradients: the backward pass gave no gradient of shape "
                             f"{array.shape} for '{name}' (got "
                             f"{None if computed is None else np.shape(computed)})")
        error = relative_error(np.asarray(computed, dtype=np.float64), numeric)
        abs_error = np.abs(computed - numeric)
        rows.append((name, array.shape, float(error.max(initial=0.0)),
                     float(abs_error.max(initial=0.0))))
    name = ("(" + ", ".join(getattr(f, "__name__", "function") for f in component) + ")"
            if isinstance(component, tuple) else
            getattr(component, "name", type(component).__name__))
    return GradientReport(name, rows, tolerance)

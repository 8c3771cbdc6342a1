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
from .graph import flatten, graded_keywords, leaves_like, pack_as
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
        width = max([12, *(len(row[0]) for row in self.rows)])  # nested weights have long paths
        lines = [f"Gradient check of {self.name}: "
                 f"{'passed' if self.passed else 'FAILED'} (tolerance {self.tolerance:.0e})",
                 f"  {'array':<{width}} {'shape':<16} {'max rel. error':>15} "
                 f"{'max abs. error':>15}"]
        for name, shape, rel, abs_ in self.rows:
            flag = "" if rel < self.tolerance else "  <-- too large"
            lines.append(f"  {name:<{width}} {str(shape):<16} {rel:>15.2e} {abs_:>15.2e}{flag}")
        return "\n".join(lines)


def relative_error(analytic, numeric):
    """Element-wise :math:`|a - n| / \\max(|a|, |n|)`, zero where both are zero."""
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    difference = np.abs(analytic - numeric)
    return np.divide(difference, scale, out=np.zeros_like(difference), where=scale > 0)


def numeric_gradient(evaluate, array, upstream, h):
    """Central differences of :math:`\\sum_k \\sum y_k \\odot g_k` wrt each entry of
    ``array``; ``evaluate()`` recomputes the outputs (a list of arrays) from
    ``array``, changed in place, and ``upstream`` holds a :math:`g_k` for each."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        plus = evaluate()
        array[index] = original - h
        minus = evaluate()
        array[index] = original
        grad[index] = sum(np.sum((p - m) * g) for p, m, g in zip(plus, minus, upstream)) / (2 * h)
    return grad


def _require_float64(component, dtype):
    if dtype != "float64":
        raise TypeError(f"check_gradients runs in float64, but {component!r} computes in "
                        f"{dtype}: create it inside nnlib.backend.floatx_scope('float64') "
                        f"or with dtype='float64'")


def _problem(component, inputs, keywords, seed):
    """Arrays to perturb, a function recomputing the outputs (a list), and one
    giving the analytic gradients (a dict like the arrays) for the upstream
    gradients (a list, one per output)."""
    def as64(a):
        return np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" \
            else np.asarray(a)

    def seeded(run):
        def evaluate():
            set_random_seed(seed)
            return [np.array(y, dtype=np.float64) for y in run()]  # copies: outputs may alias
        return evaluate

    if isinstance(component, Layer):
        _require_float64(component, component.dtype)
        given = [as64(a) for a in inputs]
        prepared = component.prepare(given[0] if len(given) == 1 else given)
        xs = prepared if isinstance(prepared, list) else [prepared]
        # Several inputs (a merge layer, a model with two inputs) are input_0, input_1...
        names = ["input"] if len(xs) == 1 else [f"input_{i}" for i in range(len(xs))]
        tensors = component.prepare_keywords(
            {key: pack_as(value, [as64(a) for a in flatten(value)])
             for key, value in keywords.items()})
        keyword_names = {key: [key] if not isinstance(value, (list, tuple)) else
                         [f"{key}_{i}" for i in range(len(value))]
                         for key, value in tensors.items()}
        # Integer inputs (an Embedding's ids) have no gradient to check.
        arrays = {**{n: a for n, a in zip(names, xs) if a.dtype.kind == "f"},
                  **{n: a for key, value in tensors.items()
                     for n, a in zip(keyword_names[key], flatten(value)) if a.dtype.kind == "f"},
                  **{k: w.value for k, w in
                     component.named_weights(trainable_only=True).items()}}

        def run():
            return flatten(component.run_forward(prepared, training=True, **tensors)[0])

        def analytic(upstream):
            set_random_seed(seed)
            outputs, cache, _ = component.run_forward(prepared, training=True, **tensors)
            d_outputs = upstream if isinstance(outputs, (tuple, list, dict)) else upstream[0]
            d_in, grads = component.run_backward(d_outputs, cache)
            graded = graded_keywords(tensors)  # a mask has no gradient
            if graded:
                d_keywords = {key: d_in.get(key) for key in graded}
                d_in = d_in.get("inputs")
            found = dict(zip(names, d_in if len(xs) > 1 else [d_in]))
            for key, value in graded.items():
                found.update(zip(keyword_names[key], leaves_like(value, d_keywords[key])))
            return {**found, **grads}
        return arrays, seeded(run), analytic

    if keywords:
        raise TypeError("check_gradients: tensors by keyword go to layers only")
    if isinstance(component, Loss):
        _require_float64(component, component.dtype)
        y_true, y_pred = (as64(a) for a in inputs)
        arrays = {"y_pred": y_pred}

        def analytic(upstream):
            _, cache = component.forward(y_true, y_pred)
            return {"y_pred": component.backward(upstream[0], cache)}
        return arrays, seeded(lambda: [component.forward(y_true, y_pred)[0]]), analytic

    if isinstance(component, ActivationFunction):
        activation = component
        component = (lambda x: activation.forward(x)[0],
                     lambda dy, x: activation.backward(dy, activation.forward(x)[1]))
    if isinstance(component, tuple) and len(component) == 2:
        forward, backward = component
        x = as64(inputs[0])
        return ({"input": x}, seeded(lambda: [np.asarray(forward(x))]),
                lambda upstream: {"input": backward(upstream[0], x)})
    raise TypeError("check_gradients takes a Layer, a Loss, an activation, or a pair of "
                    f"functions (forward(x), backward(dy, x)); got {component!r}")


def check_gradients(component, *inputs, tolerance=1e-6, h=1e-5, seed=0, **keywords):
    """Check ``component``'s backward pass on ``inputs``; returns a ``GradientReport``.

    A layer or model with several inputs takes them as separate arguments,
    reported as ``input_0``, ``input_1``...; a layer's tensors by keyword
    (``initial_state=[h, c]``) are checked too, as ``initial_state_0``...
    Several outputs each get their own random upstream gradient.

    >>> from nnlib.activations import Tanh
    >>> check_gradients(Tanh(), np.linspace(-2, 2, 5)).passed
    True
    >>> check_gradients((np.square, lambda dy, x: dy * 3 * x), np.ones(3)).passed
    False
    """
    arrays, evaluate, analytic = _problem(component, inputs, keywords, seed)
    rng = np.random.default_rng(seed)
    upstream = [rng.normal(size=np.shape(y)) for y in evaluate()]
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


class ComparisonReport:
    """A learner's arrays against a reference's, name by name (``compare_arrays``)."""

    def __init__(self, title, rows):
        self.title = title
        self.rows = rows  # (name, verdict or None if right)

    @property
    def passed(self):
        return all(problem is None for _, problem in self.rows)

    def __repr__(self):
        lines = [f"{self.title}: {'all right' if self.passed else 'not yet'}"]
        lines += [f"  {name:<12} {'ok' if problem is None else problem}"
                  for name, problem in self.rows]
        return "\n".join(lines)


def compare_arrays(title, got, expected, tolerance=1e-6):
    """Check ``got`` (a dict of a learner's arrays) against ``expected`` (the
    reference's, same names): each one missing, of another shape, or off by
    more than ``tolerance`` (relative error) is named with what is wrong.

    >>> compare_arrays("double", {"y": np.array([2.0, 4.0])}, {"y": np.array([2.0, 4.1])})
    double: not yet
      y            off: max relative error 0.02439 (at index (1,)), expected 4.1, got 4
    """
    got = got if isinstance(got, dict) else {}
    rows = []
    for name, reference in expected.items():
        reference = np.asarray(reference, dtype=np.float64)
        value = got.get(name)
        if value is None or value is Ellipsis:
            rows.append((name, "missing: not computed yet"))
            continue
        value = np.asarray(value, dtype=np.float64)
        if value.shape != reference.shape:
            rows.append((name, f"shape {value.shape}, expected {reference.shape}"))
            continue
        error = relative_error(value, reference)
        if error.size == 0:
            rows.append((name, None))
            continue
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
        rows.append((name, None if error.max(initial=0.0) < tolerance else
                     f"off: max relative error {error[worst]:.4g} (at index {worst}), "
                     f"expected {reference[worst]:.4g}, got {value[worst]:.4g}"))
    return ComparisonReport(title, rows)

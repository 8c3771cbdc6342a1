"""The protocol every metric follows (``Metric``), the weighted mean that holds the
accuracies' state (``Mean``, ``MeanMetric``), a plain function as a metric
(``MeanMetricWrapper``), and the shape rules labels and predictions follow."""
import numpy as np

from .. import initializers, registry
from ..backend import standardize_dtype
from ..checks import component, describe
from ..layers.base import Weight, unique_among
from ..serialization import Configurable


class Metric(Configurable):
    """Base class of stateful metrics (see the module for the rules).

    Args:
        name: defaults to the class name in snake case (``binary_accuracy``).
        dtype: the float type of ``result()``; ``None`` means ``floatx()``.
    """

    differentiable = False
    direction = None  # "up", "down" or None: which way is better

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {name!r}")
        self.name = name or registry.snake_case(type(self).__name__)
        self.dtype = component(type(self).__name__, "dtype", standardize_dtype, dtype)
        self._variables = []

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A state variable, as Keras's metrics keep their state: a
        non-trainable ``Weight`` (``assign``, ``assign_add``...) that
        ``reset_state`` sets back to its initial value."""
        if name is None:
            name = unique_among("variable", [v.name for v in self._variables])
        weight = Weight(name, initializers.get(initializer), shape,
                        standardize_dtype(dtype) if dtype else self.dtype, trainable=False)
        self._variables.append(weight)
        return weight

    @property
    def variables(self):
        """The state variables ``add_variable`` created."""
        return list(self._variables)

    def reset_state(self):
        """Set every state variable back to its initial value; a metric that keeps
        its state otherwise writes its own."""
        if not self._variables:
            raise NotImplementedError(f"{type(self).__name__} must define reset_state(), or "
                                      f"keep its state in add_variable()")
        for variable in self._variables:
            variable.assign(variable.initializer(variable.shape, variable.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reports_one_number(self):
        """Whether ``result()`` is one number (compile's logs hold one per metric)."""
        return np.shape(self.result()) == ()

    def __call__(self, *args, **kwargs):
        """Update the state with these arguments and return the result, as Keras does."""
        self.update_state(*args, **kwargs)
        return self.result()


class Mean(Metric):
    """The weighted mean of the values given to ``update_state(values, sample_weight)``:
    :math:`\\sum_i w_i v_i / \\sum_i w_i` over every value so far (0 before any).

    >>> Mean()([1.0, 2.0, 6.0], sample_weight=[1.0, 1.0, 0.0])
    array(1.5, dtype=float32)
    """

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        if np.ndim(values) == 0 and np.ndim(sample_weight) == 0:  # one value: a batch's loss
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += float(values) * weight
            self.count += weight
            return
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        weights = per_value(self, sample_weight, values.shape)
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self):
        return np.asarray(self.total / self.count if self.count else 0.0, dtype=self.dtype)


def per_value(metric, sample_weight, shape, what="values"):
    """``sample_weight`` (float64) broadcast to ``shape`` from the first (sample)
    axis, as Keras lines sample weights up: ``(n,)`` against values ``(n,
    steps)`` weighs each sample's steps alike; a trailing axis of 1 is dropped.
    A ``ValueError`` naming ``metric`` and its ``what`` if they do not fit."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    extra = weights.ndim - len(shape)
    if extra > 0 and weights.shape[len(shape):] == (1,) * extra:
        weights = weights.reshape(weights.shape[:len(shape)])
    elif extra < 0:
        weights = weights.reshape(weights.shape + (1,) * -extra)
    try:
        return np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(f"{describe(metric)}: sample_weight of shape {weights.shape} does "
                         f"not fit the {what} of shape {tuple(shape)}: expected one weight "
                         f"per sample (or a single number)") from None


def per_label(owner, sample_weight, shape):
    """``sample_weight`` (float64) as one weight per label of a flat ``shape``
    (a single number weighs every label alike), or ``owner``'s error."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim and weights.shape != tuple(shape):
        raise ValueError(f"{owner}: sample_weight of shape {weights.shape} does not fit the "
                         f"labels of shape {tuple(shape)}: expected one weight per sample "
                         f"(or a single number)")
    return np.broadcast_to(weights, shape)


class MeanMetric(Mean):
    """A metric that averages a per-sample ``score(y_true, y_pred)``.

    Labels and predictions must hold the same number of samples; a subclass
    whose ``score`` finds other shapes that do not fit raises ``mismatch``.
    """

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.ndim == 0 or y_pred.ndim == 0 or len(y_true) != len(y_pred):
            raise self.mismatch(y_true, y_pred, ": expected the same number of samples")
        super().update_state(self.score(y_true, y_pred), sample_weight)

    def score(self, y_true, y_pred):
        raise NotImplementedError

    def mismatch(self, y_true, y_pred, fix=""):
        """The error for labels that do not fit the predictions, ``fix`` the advice."""
        return ValueError(f"{describe(self)}: y_true of shape {y_true.shape} does not fit "
                          f"y_pred of shape {y_pred.shape}{fix} (the arguments are "
                          f"(y_true, y_pred), in that order)")


SPARSE_FIX = ("; for integer labels against class scores use SparseCategoricalAccuracy "
              "('sparse_categorical_accuracy'; compile's 'accuracy' picks it from the shapes)")
ONE_HOT_FIX = "; for one-hot labels use CategoricalAccuracy ('categorical_accuracy')"


def matching(metric, y_true, y_pred):
    """``same_rank(y_true, y_pred)``, which must then have one shape (the rule of
    every accuracy but the sparse one), or ``metric``'s error."""
    labels, predictions = same_rank(y_true, y_pred)
    if labels.shape != predictions.shape:
        raise metric.mismatch(y_true, y_pred, SPARSE_FIX if y_true.ndim < y_pred.ndim else "")
    return labels, predictions


def same_rank(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank``: labels ``(n,)`` against
    predictions ``(n, 1)`` (or the reverse) become ``(n, 1)`` and ``(n, 1)``;
    otherwise a trailing axis of 1 on the larger rank is dropped."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return (y_true, y_pred[..., None]) if y_pred.ndim == 1 else (y_true[..., 0], y_pred)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return (y_true[..., None], y_pred) if y_true.ndim == 1 else (y_true, y_pred[..., 0])
    return y_true, y_pred


def per_sample(matches):
    """One score per sample: the mean over the last axis, as Keras's accuracies
    take it (a 1-D array already holds one score per sample)."""
    matches = matches.astype(np.float64)
    return matches.mean(axis=-1) if matches.ndim > 1 else matches


class MeanMetricWrapper(MeanMetric):
    """A plain function ``fn(y_true, y_pred)`` of per-sample values as a metric:
    their weighted mean, named after the function (Keras's ``MeanMetricWrapper``).
    Labels and predictions are brought to the same rank first (``same_rank``).

    >>> def absolute_error(y_true, y_pred):
    ...     return np.abs(y_pred - y_true).mean(axis=-1)
    >>> metric = MeanMetricWrapper(absolute_error)
    >>> metric.name, metric(np.array([1.0, 2.0]), np.array([[1.5], [2.0]]))
    ('absolute_error', array(0.25, dtype=float32))
    """

    def __init__(self, fn, name=None, dtype=None, direction=None):
        self.fn = fn
        self.direction = direction  # "up", "down", or None: unknown
        super().__init__(name or getattr(fn, "__name__", None), dtype)

    def score(self, y_true, y_pred):
        return np.asarray(self.fn(*same_rank(y_true, y_pred)), dtype=np.float64)

    def __repr__(self):  # a function has no config: it is shown by name
        return f"MeanMetricWrapper({getattr(self.fn, '__name__', self.fn)}, name={self.name!r})"

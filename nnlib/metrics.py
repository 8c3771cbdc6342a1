"""Metrics: stateful summaries of predictions, as in Keras.

A metric accumulates over batches with ``update_state(y_true, y_pred)``,
reports with ``result()`` and starts again with ``reset_state()``; calling it,
``metric(...)``, is ``update_state(...)`` then ``result()``, whatever
``update_state`` takes (``Mean()(values, sample_weight)``).

A metric is made in two steps.  ``Metric.__init__`` stores the ``name`` and
``dtype`` and makes no state; the ``__init__`` of the class that defines the
state (its ``reset_state``) stores its own arguments first and ends with
``self.reset_state()``.  So ``reset_state`` may read every argument (the
thresholds of a precision curve, say).  ``Mean`` holds the state of the
accuracies; a metric with a state of its own subclasses ``Metric``.

``direction`` says which way is better: ``"up"`` (accuracies), ``"down"``
(errors) or ``None`` (a ``Mean`` of anything).  ``EarlyStopping`` and
``ModelCheckpoint`` read it, through ``model.log_directions()``.

The accuracies here are weighted means of a per-sample score (1 if right,
0 if wrong), so they share one class, ``MeanMetric``; ``MeanMetricWrapper``
makes such a metric of a plain function ``f(y_true, y_pred)``.

Labels must fit the predictions: the same number of samples, and the shape
each metric expects (the error says which metric to use instead).  Keras
broadcasts what does not fit, so that ``Accuracy()([0, 0, 0], np.zeros((3,
3)))`` gives 1.0 there, comparing each label with each of three scores;
nnlib departs from Keras on purpose and refuses.  Sample weights are lined
up with the samples, the first axis, as Keras lines them up.
"""
import inspect

import numpy as np

from . import registry
from .backend import standardize_dtype
from .checks import component, describe, real_number
from .registry import register
from .serialization import Configurable


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

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

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
        weights = np.asarray(sample_weight, dtype=np.float64)
        try:
            weights = per_value(weights, values.shape)
        except ValueError:
            raise ValueError(f"{describe(self)}: sample_weight of shape {weights.shape} does "
                             f"not fit the values of shape {values.shape}: expected one weight "
                             f"per sample (or a single number)") from None
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self):
        return np.asarray(self.total / self.count if self.count else 0.0, dtype=self.dtype)


def per_value(weights, shape):
    """``weights`` broadcast to ``shape`` from the first (sample) axis, as Keras
    lines sample weights up: ``(n,)`` against values ``(n, steps)`` weighs each
    sample's steps alike; a trailing axis of 1 is dropped.  A ``ValueError`` if
    they do not fit."""
    extra = weights.ndim - len(shape)
    if extra > 0 and weights.shape[len(shape):] == (1,) * extra:
        weights = weights.reshape(weights.shape[:len(shape)])
    elif extra < 0:
        weights = weights.reshape(weights.shape + (1,) * -extra)
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


@register("metric", family="Accuracy", aliases=("accuracy", "acc"),
          description="Measures the number of correct predictions divided by the "
                      "total number of predictions.",
          use_case="Exact matches; as a compile() string it picks the right variant")
class Accuracy(MeanMetric):
    """Fraction of predictions equal to their labels: :math:`\\frac1N\\sum_n [\\hat y_n = y_n]`.

    In ``compile(metrics=["accuracy"])`` the name is resolved, as in Keras,
    to ``BinaryAccuracy``, ``CategoricalAccuracy`` or
    ``SparseCategoricalAccuracy`` from the shapes of labels and predictions
    (see ``resolve_accuracy``).

    Labels and predictions must have one shape (after ``same_rank``).  Keras
    3 broadcasts them instead, so that integer labels against class scores,
    ``Accuracy()([0, 0, 0], np.zeros((3, 3)))``, give 1.0; nnlib refuses them
    on purpose, and says to use ``SparseCategoricalAccuracy``.

    >>> Accuracy()(np.array([1, 2, 3]), np.array([1, 2, 0]))
    array(0.6666667, dtype=float32)
    """

    direction = "up"

    def score(self, y_true, y_pred):
        y_true, y_pred = matching(self, y_true, y_pred)
        return per_sample(y_true == y_pred)


@register("metric", family="Accuracy", aliases=("binary_accuracy",),
          description="Share of probabilities on the right side of the threshold",
          use_case="Binary classifiers with a sigmoid output")
class BinaryAccuracy(MeanMetric):
    """:math:`\\frac1N\\sum_n [\\,(\\hat p_n > t) = y_n\\,]` with threshold :math:`t = 0.5`.

    >>> BinaryAccuracy()(np.array([[1], [0]]), np.array([[0.9], [0.6]]))
    array(0.5, dtype=float32)
    """

    direction = "up"

    def __init__(self, name=None, dtype=None, threshold=0.5):
        self.threshold = real_number(type(self).__name__, "threshold", threshold)
        super().__init__(name, dtype)

    def score(self, y_true, y_pred):
        y_true, y_pred = matching(self, y_true, y_pred)
        return per_sample(y_true == (y_pred > self.threshold))


@register("metric", family="Accuracy", aliases=("categorical_accuracy",),
          description="Share of samples whose highest score is the one-hot label's class",
          use_case="Multi-class classifiers with one-hot labels")
class CategoricalAccuracy(MeanMetric):
    """:math:`\\frac1N\\sum_n [\\arg\\max \\hat y_n = \\arg\\max y_n]`.

    >>> CategoricalAccuracy()(np.eye(2), np.array([[0.8, 0.2], [0.7, 0.3]]))
    array(0.5, dtype=float32)
    """

    direction = "up"

    def score(self, y_true, y_pred):
        y_true, y_pred = matching(self, y_true, y_pred)
        return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(np.float64)


@register("metric", family="Accuracy", aliases=("sparse_categorical_accuracy",),
          description="Share of samples whose highest score is the integer label",
          use_case="Multi-class classifiers with integer labels")
class SparseCategoricalAccuracy(MeanMetric):
    """:math:`\\frac1N\\sum_n [\\arg\\max \\hat y_n = y_n]` for integer labels.

    >>> SparseCategoricalAccuracy()(np.array([0, 1]), np.array([[0.8, 0.2], [0.7, 0.3]]))
    array(0.5, dtype=float32)
    """

    direction = "up"

    def score(self, y_true, y_pred):
        samples = y_pred.shape[:-1]  # one label per row of class scores, perhaps as a column
        if y_pred.ndim < 2:
            raise self.mismatch(y_true, y_pred, ": expected class scores, (samples, classes)")
        if y_true.shape not in (samples, samples + (1,)):
            raise self.mismatch(y_true, y_pred, ONE_HOT_FIX if y_true.shape == y_pred.shape
                                else f": expected labels of shape {samples}")
        labels = y_true.reshape(samples)
        return (labels == y_pred.argmax(axis=-1)).astype(np.float64)


def resolve_accuracy(y_true_shape, y_pred_shape, loss=None):
    """Which accuracy ``"accuracy"`` means, decided as Keras decides it.

    A one-unit output is binary; labels of lower rank than the predictions
    (or a last axis of 1 against several classes), or a sparse loss, are
    sparse; otherwise categorical.

    >>> type(resolve_accuracy((32,), (32, 10))).__name__
    'SparseCategoricalAccuracy'
    """
    binary = y_pred_shape[-1] == 1
    sparse = (len(y_true_shape) < len(y_pred_shape)
              or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
              or "sparse" in type(loss).__name__.lower())
    if binary:
        return BinaryAccuracy(name="accuracy")
    if sparse:
        return SparseCategoricalAccuracy(name="accuracy")
    return CategoricalAccuracy(name="accuracy")


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


def get(identifier):
    """A metric from a name (``"categorical_accuracy"``), any ``Metric`` instance
    (registered or not), or a plain function ``f(y_true, y_pred)`` of per-sample
    values, which becomes a ``MeanMetricWrapper``."""
    if isinstance(identifier, Metric):
        return identifier
    if callable(identifier) and not inspect.isclass(identifier):
        return MeanMetricWrapper(identifier)
    return registry.get("metric", identifier)

"""Loss functions with Keras 3's formulas, reductions and clipping.

A loss follows the layer protocol's shape:
``forward(y_true, y_pred, sample_weight=None) -> (value, cache)`` and
``backward(d_loss, cache) -> d_pred``; ``loss(y_true, y_pred)`` returns the
value alone.  Subclasses write the per-sample formula and its gradient
(``per_sample`` and ``per_sample_backward``); the reduction is shared:

* ``"sum_over_batch_size"`` (default): the mean of the weighted per-sample
  losses, :math:`\\frac{1}{N}\\sum_n w_n \\ell_n`;
* ``"sum"``: :math:`\\sum_n w_n \\ell_n`;
* ``"none"``: the vector :math:`w_n \\ell_n`.
"""
import numpy as np

from . import registry
from .backend import as_float_array, standardize_dtype
from .registry import register

EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]
REDUCTIONS = ("sum_over_batch_size", "sum", "none")


class Loss:
    """Base class: the reduction, sample weights and input checks live here."""

    differentiable = True

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.name = name or registry.snake_case(type(self).__name__)
        self.dtype = standardize_dtype(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        value, _ = self.forward(y_true, y_pred, sample_weight)
        return value

    def forward(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self.prepare(y_true, y_pred)
        losses, cache = self.per_sample(y_true, y_pred)
        weights = np.ones_like(losses) if sample_weight is None else \
            self.prepare_sample_weight(sample_weight, losses.shape)
        weighted = losses * weights
        if self.reduction == "none":
            value = weighted
        elif self.reduction == "sum":
            value = weighted.sum(dtype=self.dtype)
        else:
            value = weighted.sum(dtype=self.dtype) / max(weighted.size, 1)
        return np.asarray(value, dtype=self.dtype), (cache, weights)

    def backward(self, d_loss, cache):
        per_sample_cache, weights = cache
        if self.reduction == "sum_over_batch_size":
            d_loss = d_loss / max(weights.size, 1)
        d_losses = (np.broadcast_to(d_loss, weights.shape) * weights).astype(self.dtype)
        return self.per_sample_backward(d_losses, per_sample_cache)

    def prepare(self, y_true, y_pred):
        """Cast both to the loss's dtype and insist on equal shapes."""
        y_true = as_float_array(y_true, self.dtype, self.describe())
        y_pred = as_float_array(y_pred, self.dtype, self.describe())
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.describe()}: y_true and y_pred must have the same "
                             f"shape, got {y_true.shape} and {y_pred.shape}")
        return y_true, y_pred

    def prepare_sample_weight(self, sample_weight, shape):
        weights = as_float_array(sample_weight, self.dtype, self.describe())
        if weights.shape == shape[:1] and len(shape) > 1:
            weights = weights.reshape(weights.shape + (1,) * (len(shape) - 1))
        if weights.shape[:1] != shape[:1]:
            raise ValueError(f"{self.describe()}: sample_weight of shape {weights.shape} "
                             f"does not fit per-sample losses of shape {shape}")
        return np.broadcast_to(weights, shape)

    def describe(self):
        return f"{type(self).__name__} '{self.name}'"

    def per_sample(self, y_true, y_pred):
        raise NotImplementedError

    def per_sample_backward(self, d_losses, cache):
        raise NotImplementedError

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name, "dtype": self.dtype}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register("loss", family="Mean Squared Error", aliases=("mean_squared_error", "mse"),
          description="Average of squared errors",
          use_case="For regression, measures average squared errors")
class MeanSquaredError(Loss):
    """:math:`\\ell = \\frac{1}{d}\\sum_{i=1}^{d} (\\hat y_i - y_i)^2` over the last axis.

    Gradient: :math:`\\partial \\ell/\\partial \\hat y_i = 2(\\hat y_i - y_i)/d`.

    >>> MeanSquaredError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
    array(0.5, dtype=float32)
    """

    def per_sample(self, y_true, y_pred):
        error = y_pred - y_true
        return np.mean(error ** 2, axis=-1), error

    def per_sample_backward(self, d_losses, error):
        return d_losses[..., None] * 2 * error / error.shape[-1]

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))


def log_softmax(z, axis=-1):
    """:math:`z_i - \\log\\sum_j e^{z_j}`, computed with the log-sum-exp shift."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def categorical_crossentropy(y, output, from_logits, axis):
    """Cross-entropy :math:`-\\sum_i y_i \\log p_i` and its gradient wrt ``output``.

    From logits :math:`z`: :math:`\\log p = \\operatorname{log\\_softmax}(z)` and
    :math:`\\partial \\ell/\\partial z = p \\sum_i y_i - y` (:math:`p - y` for
    one-hot targets).  From probabilities, as Keras does, the output is first
    rescaled to sum to one, :math:`p = o / \\sum_j o_j`, then clipped to
    :math:`[\\epsilon, 1-\\epsilon]`; the gradient goes back through both steps
    (zero where the clip is active).  Returns ``(losses, gradient_per_loss)``
    where the gradient is of each sample's loss.
    """
    if from_logits:
        log_p = log_softmax(output, axis)
        loss = -(y * log_p).sum(axis=axis)
        grad = np.exp(log_p) * y.sum(axis=axis, keepdims=True) - y
        return loss, grad
    total = output.sum(axis=axis, keepdims=True)
    p = output / total
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    loss = -(y * np.log(clipped)).sum(axis=axis)
    d_clipped = -y / clipped * ((p >= EPSILON) & (p <= 1 - EPSILON))
    grad = (d_clipped - (d_clipped * p).sum(axis=axis, keepdims=True)) / total
    return loss, grad


@register("loss", family="Cross-Entropy", aliases=("categorical_crossentropy",),
          description="Cross-entropy between one-hot (or soft) labels and predicted probabilities",
          use_case="For classification, measures probability differences")
class CategoricalCrossentropy(Loss):
    """:math:`\\ell = -\\sum_i y_i \\log p_i` along ``axis``.

    ``y_true`` is one-hot (or a distribution).  With ``from_logits=True``
    ``y_pred`` holds scores and the softmax is folded in with log-sum-exp
    (stable for any logits); otherwise ``y_pred`` holds probabilities, which
    are rescaled to sum to one and clipped to :math:`[10^{-7}, 1-10^{-7}]` as
    in Keras.  ``label_smoothing`` :math:`s` replaces the labels with
    :math:`y(1-s) + s/K` for :math:`K` classes.  Gradient from logits:
    :math:`\\partial \\ell/\\partial z = p - y`.

    >>> loss = CategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(np.array([[0.0, 1.0]]), np.array([[0.0, 0.0]]))), 4)
    0.6931
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def per_sample(self, y_true, y_pred):
        if self.label_smoothing:
            n_classes = y_pred.shape[self.axis]
            y_true = y_true * (1 - self.label_smoothing) + self.label_smoothing / n_classes
        losses, grad = categorical_crossentropy(y_true, y_pred, self.from_logits, self.axis)
        return losses, grad

    def per_sample_backward(self, d_losses, grad):
        return np.expand_dims(d_losses, self.axis) * grad

    @classmethod
    def gradient_check_sample(cls, rng):
        return crossentropy_sample(cls, rng, sparse=False)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


@register("loss", family="Cross-Entropy", aliases=("sparse_categorical_crossentropy",),
          description="Cross-entropy with integer class labels",
          use_case="Classification with many classes, labels as integers")
class SparseCategoricalCrossentropy(Loss):
    """:math:`\\ell = -\\log p_{y}` for an integer label :math:`y`.

    The same as ``CategoricalCrossentropy`` with the label one-hot encoded,
    without building the one-hot matrix in the caller.  Labels have shape
    ``(n,)`` or ``(n, 1)`` for predictions ``(n, K)``.

    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(np.array([1]), np.array([[0.0, 0.0]]))), 4)
    0.6931
    """

    def __init__(self, from_logits=False, **kwargs):
        super().__init__(**kwargs)
        self.from_logits = from_logits

    def prepare(self, y_true, y_pred):
        y_pred = as_float_array(y_pred, self.dtype, self.describe())
        labels = np.asarray(y_true)
        if labels.shape == y_pred.shape[:-1] + (1,):
            labels = labels[..., 0]
        if labels.shape != y_pred.shape[:-1]:
            raise ValueError(f"{self.describe()}: labels of shape {y_pred.shape[:-1]} or "
                             f"{y_pred.shape[:-1] + (1,)} expected for predictions of "
                             f"shape {y_pred.shape}, got {labels.shape}")
        n_classes = y_pred.shape[-1]
        if labels.dtype.kind == "f" and np.any(labels != np.round(labels)):
            raise ValueError(f"{self.describe()}: labels must be whole numbers")
        labels = labels.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{self.describe()}: labels must lie in [0, {n_classes}), "
                             f"got values from {labels.min()} to {labels.max()}")
        one_hot = np.eye(n_classes, dtype=self.dtype)[labels]
        return one_hot, y_pred

    def per_sample(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, -1)

    def per_sample_backward(self, d_losses, grad):
        return d_losses[..., None] * grad

    @classmethod
    def gradient_check_sample(cls, rng):
        return crossentropy_sample(cls, rng, sparse=True)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


def crossentropy_sample(cls, rng, sparse):
    """Labels and probabilities well inside the clipping bounds."""
    labels = rng.integers(0, 5, size=6)
    logits = rng.normal(size=(6, 5))
    probabilities = np.exp(log_softmax(logits))
    y_true = labels if sparse else np.eye(5)[labels]
    return cls(), (y_true, probabilities)


def get(identifier):
    """A loss from a name (``"mse"``, ``"categorical_crossentropy"``) or an instance."""
    return registry.get("loss", identifier)

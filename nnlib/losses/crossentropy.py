"""Cross-entropies: the negative log-likelihood of the labels under the predicted
probabilities, with Keras's clipping, renormalisation, logits and label smoothing."""
import numpy as np

from ..activations import logistic
from ..registry import register
from .base import EPSILON, ORDER_ADVICE, ElementwiseLoss, Loss


def log_softmax(z, axis=-1):
    """:math:`z_i - \\log\\sum_j e^{z_j}`, computed with the log-sum-exp shift.

    >>> np.exp(log_softmax(np.array([0.0, np.log(3.0)])))
    array([0.25, 0.75])
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def categorical_crossentropy(y, output, from_logits, axis):
    """Cross-entropy :math:`-\\sum_i y_i \\log p_i` along ``axis`` and its gradient wrt ``output``.

    From logits :math:`z`: :math:`\\log p = \\operatorname{log\\_softmax}(z)` and
    :math:`\\partial \\ell/\\partial z = p \\sum_i y_i - y` (:math:`p - y` for
    one-hot targets).  From probabilities, as Keras does, the output is first
    rescaled to sum to one, :math:`p = o / \\sum_j o_j`, then clipped to
    :math:`[\\epsilon, 1-\\epsilon]`; the gradient goes back through both steps
    (zero where the clip is active).  A row of zeros (a ReLU output) is left
    as it is rather than divided by its zero sum: every class gets the
    clipped :math:`\\epsilon`, the loss is :math:`-\\log\\epsilon \\sum_i y_i` and
    the gradient zero.  Returns ``(losses, gradient_per_loss)`` where the
    gradient is of each sample's loss.
    """
    if from_logits:
        log_p = log_softmax(output, axis)
        loss = -(y * log_p).sum(axis=axis)
        grad = np.exp(log_p) * y.sum(axis=axis, keepdims=True) - y
        return loss, grad
    total = output.sum(axis=axis, keepdims=True)
    total = np.where(total == 0, 1, total)  # a row of zeros stays zeros
    p = output / total
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    loss = -(y * np.log(clipped)).sum(axis=axis)
    d_clipped = np.where(clipped == p, -y / clipped, 0)  # no gradient where the clip bites
    grad = (d_clipped - (d_clipped * p).sum(axis=axis, keepdims=True)) / total
    return loss, grad


def check_label_smoothing(loss, label_smoothing):
    if not 0 <= label_smoothing <= 1:
        raise loss.error(f"label_smoothing must lie in [0, 1], got {label_smoothing}")
    return float(label_smoothing)


def class_index_shapes(pred_shape, axis):
    """The shapes of integer class labels for predictions ``pred_shape`` with
    classes along ``axis``: without the axis, or with 1 there (``(n,)`` or
    ``(n, 1)`` for ``(n, K)``); none for a scalar."""
    if not pred_shape:
        return ()
    before, after = pred_shape[:axis % len(pred_shape)], pred_shape[axis % len(pred_shape) + 1:]
    return before + after, before + (1,) + after


SPARSE_ADVICE = "Integer class labels: use sparse_categorical_crossentropy"


def swapped_advice(true_shape, pred_shape, axis):
    """The argument order, if ``y_pred`` has the shape of class labels for ``y_true``."""
    return f". y_pred has the shape of class labels for y_true: swapped? {ORDER_ADVICE}" \
        if pred_shape in class_index_shapes(true_shape, axis) else ""


def smooth_labels(y, smoothing, n_classes):
    """:math:`y(1-s) + s/K`: the labels mixed with the uniform distribution over
    :math:`K` classes (binary labels have :math:`K = 2`, so they move towards 1/2)."""
    return y * (1 - smoothing) + smoothing / n_classes


class SmoothedLabels:
    """What the binary and categorical cross-entropies share: ``from_logits``,
    ``label_smoothing`` (applied to the labels in ``prepare``) and ``axis``.
    A subclass says how many classes its labels are smoothed over."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.from_logits = from_logits
        self.label_smoothing = check_label_smoothing(self, label_smoothing)
        self.axis = axis

    def n_classes(self, y_pred):
        raise NotImplementedError

    def shape_advice(self, true_shape, pred_shape):
        """Labels with the shape of class indices for the predictions: the sparse
        loss; predictions with the shape of labels: swapped arguments."""
        if true_shape in class_index_shapes(pred_shape, self.axis):
            return f". {SPARSE_ADVICE}"
        return swapped_advice(true_shape, pred_shape, self.axis)

    def prepare(self, y_true, y_pred):
        y_true, y_pred = super().prepare(y_true, y_pred)
        if self.label_smoothing:
            y_true = smooth_labels(y_true, self.label_smoothing, self.n_classes(y_pred))
        return y_true, y_pred


@register("loss", family="Cross-Entropy", aliases=("categorical_crossentropy",),
          description="Cross-entropy between one-hot (or soft) labels and predicted "
                      "class probabilities",
          use_case="For classification, measures probability differences")
class CategoricalCrossentropy(SmoothedLabels, Loss):
    """:math:`\\ell = -\\sum_i y_i \\log p_i` along ``axis``.

    ``y_true`` is one-hot (or a distribution).  With ``from_logits=True``
    ``y_pred`` holds scores :math:`z` and the softmax is folded in with
    log-sum-exp (stable for any logits):

    .. math::

        \\ell = -\\sum_i y_i z_i + \\log\\sum_j e^{z_j}, \\qquad
        \\frac{\\partial \\ell}{\\partial z_i} = p_i - y_i

    (for labels summing to one).  Otherwise ``y_pred`` holds probabilities,
    which are rescaled to sum to one and clipped to :math:`[10^{-7}, 1-10^{-7}]`
    as in Keras, with gradient :math:`-y_i/p_i` before those two steps.
    ``label_smoothing`` :math:`s` replaces the labels with :math:`y(1-s) + s/K`
    for :math:`K` classes.  Keras counts :math:`K` along the last axis even
    when ``axis`` is another; nnlib counts it along ``axis``.

    Where nnlib departs from Keras on purpose: a row of zero probabilities (a
    ReLU output) costs :math:`-\\log 10^{-7} \\approx 16.1` for a one-hot label,
    the loss of a zero probability for the true class, with zero gradient
    (Keras divides by the zero sum: NaN); negative predictions, which no
    rescaling makes probabilities (logits, most likely), are refused rather
    than rescaled; and labels of class indices get the advice to use
    ``SparseCategoricalCrossentropy``.

    Input shape: ``y_true`` and ``y_pred`` ``(n, ..., K)`` (``K`` along
    ``axis``).  Per-sample losses: the shape without ``axis``.

    >>> loss = CategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(np.array([[0.0, 1.0]]), np.array([[0.0, 0.0]]))), 4)
    0.6931
    """

    def n_classes(self, y_pred):
        return y_pred.shape[self.axis]

    def check_values(self, y_true, y_pred):
        if not self.from_logits:
            self.check_range(y_pred, "y_pred (probabilities, rescaled to sum to one)", 0,
                             advice=f"For scores (logits) use from_logits=True, or end the "
                                    f"model with a softmax. {ORDER_ADVICE}")

    def per_sample(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.axis)

    def per_sample_backward(self, d_losses, grad):
        return np.expand_dims(d_losses, self.axis) * grad

    @classmethod
    def gradient_check_sample(cls, rng):
        return crossentropy_sample(cls, rng, sparse=False)


@register("loss", family="Cross-Entropy", aliases=("sparse_categorical_crossentropy",),
          description="Cross-entropy with the labels given as class indices",
          use_case="For classification with integer labels, measures probability differences")
class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """:math:`\\ell = -\\log p_{y}` for an integer label :math:`y`.

    A ``CategoricalCrossentropy`` whose ``prepare`` one-hot encodes the
    labels, so its value and gradient are the same (:math:`p - \\text{onehot}(y)`
    from logits).  Labels have the predictions' shape without the class
    ``axis``, or with 1 there: ``(n,)`` or ``(n, 1)`` for predictions
    ``(n, K)``.  ``ignore_class`` (Keras's argument) names a label, such as
    padding, whose positions are masked out: they add nothing to the loss
    and the mean runs over the rest.

    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(np.array([1]), np.array([[0.0, 0.0]]))), 4)
    0.6931
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(from_logits=from_logits, axis=axis, reduction=reduction, name=name,
                         dtype=dtype)
        self.ignore_class = ignore_class

    def forward(self, y_true, y_pred, sample_weight=None, mask=None):
        if self.ignore_class is None:
            return super().forward(y_true, y_pred, sample_weight, mask)
        labels = self.labels(y_true, np.shape(y_pred))
        valid = labels != self.ignore_class
        if mask is not None:
            valid &= self.fit_to_losses(mask, valid.shape, "mask") != 0
        return super().forward(np.where(valid, labels, 0), y_pred, sample_weight, valid)

    def labels(self, y_true, pred_shape):
        """The labels with the shape of the per-sample losses (``(n, 1)`` becomes ``(n,)``)."""
        labels = np.asarray(y_true)
        if labels.dtype.kind not in "biuf":
            raise TypeError(f"{self.describe()}: expected numeric labels, got dtype {labels.dtype}")
        if len(pred_shape) == 0:
            raise self.error("expected predictions with a class axis, got a scalar")
        expected, with_one = class_index_shapes(pred_shape, self.axis)
        if labels.shape == with_one:
            labels = labels.reshape(expected)
        if labels.shape != expected:
            advice = ". Labels with the predictions' shape are one-hot or probabilities: use " \
                     "categorical_crossentropy" if labels.shape == pred_shape else \
                swapped_advice(labels.shape, pred_shape, self.axis)
            raise self.error(f"labels of shape {expected} or {with_one} expected for "
                             f"predictions of shape {pred_shape}, got {labels.shape}{advice}")
        return labels

    def prepare(self, y_true, y_pred):
        """One-hot labels, and the categorical cross-entropy's ``check_values``."""
        y_pred = self.as_array(y_pred)
        labels = self.labels(y_true, y_pred.shape)
        n_classes = y_pred.shape[self.axis]
        if labels.dtype.kind == "f" and np.any(labels != np.round(labels)):
            raise self.error("labels must be whole numbers (class indices). Probabilities "
                             "or soft labels: use categorical_crossentropy")
        labels = labels.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise self.error(f"labels must lie in [0, {n_classes}), got values from "
                             f"{labels.min()} to {labels.max()}")
        one_hot = np.eye(n_classes, dtype=self.compute_dtype)[labels]
        if self.axis % y_pred.ndim != y_pred.ndim - 1:
            one_hot = np.moveaxis(one_hot, -1, self.axis)
        self.check_values(one_hot, y_pred)
        return one_hot, y_pred

    @classmethod
    def gradient_check_sample(cls, rng):
        return crossentropy_sample(cls, rng, sparse=True)


def crossentropy_sample(cls, rng, sparse):
    """Labels and probabilities well inside the clipping bounds."""
    labels = rng.integers(0, 5, size=6)
    probabilities = np.exp(log_softmax(rng.normal(size=(6, 5))))
    y_true = labels if sparse else np.eye(5)[labels]
    return cls(), (y_true, probabilities)


@register("loss", family="Cross-Entropy", aliases=("binary_crossentropy", "bce"),
          description="Cross-entropy of 0/1 labels against the probability of a 1",
          use_case="For binary and multi-label classification, measures probability "
                   "differences")
class BinaryCrossentropy(SmoothedLabels, ElementwiseLoss):
    """Cross-entropy of each 0/1 label, averaged over ``axis`` (the last).

    With labels :math:`y \\in [0, 1]` and probabilities :math:`p`, clipped to
    :math:`[10^{-7}, 1-10^{-7}]` as in Keras:

    .. math::

        f = -\\big(y \\log p + (1-y)\\log(1-p)\\big), \\qquad
        \\frac{\\partial f}{\\partial p} = \\frac{p - y}{p(1-p)}

    (zero where the clip is active).  With ``from_logits=True`` the
    prediction is a score :math:`z` with :math:`p = \\sigma(z)`, and the loss
    is computed without forming :math:`p` (stable for any :math:`z`):

    .. math::

        f = \\max(z, 0) - z y + \\log(1 + e^{-|z|}), \\qquad
        \\frac{\\partial f}{\\partial z} = \\sigma(z) - y

    ``label_smoothing`` :math:`s` moves the labels towards 1/2:
    :math:`y(1-s) + s/2`.  Keras's NumPy backend applies the sigmoid and
    then clips, so that logits beyond about :math:`\\pm 16` stop mattering;
    its TensorFlow, JAX and PyTorch backends use the formula above, as
    nnlib does.

    Where nnlib departs from Keras on purpose: labels outside :math:`[0, 1]`
    (class indices 0..9, most likely) and, without ``from_logits``,
    predictions outside :math:`[0, 1]` (logits, most likely) are refused
    with the fix, where Keras computes a meaningless loss or clips silently;
    and in float16 the bound :math:`1 - 10^{-7}`, which rounds to 1 there
    (Keras's loss at :math:`p = 1` then takes :math:`\\log 0`: inf, NaN, or
    100 on PyTorch), is applied in float32, where float16 losses compute (see
    ``nnlib.losses.base``): nnlib's float16 loss is Keras's float32 loss,
    rounded.

    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(float(loss([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]])), 3)
    0.865
    """

    def n_classes(self, y_pred):
        return 2  # a 0/1 label: smoothing moves it towards 1/2

    def check_values(self, y_true, y_pred):
        self.check_range(y_true, "y_true (labels)", 0, 1,
                         advice=f"{SPARSE_ADVICE} (one-hot labels: categorical_crossentropy).")
        if not self.from_logits:
            self.check_range(y_pred, "y_pred (probabilities)", 0, 1,
                             advice=f"For scores (logits) use from_logits=True, or end the "
                                    f"model with a sigmoid. {ORDER_ADVICE}")

    def function(self, y_true, y_pred):
        if self.from_logits:
            z = y_pred
            return np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))

    def derivative(self, y_true, y_pred):
        if self.from_logits:
            return logistic(y_pred) - y_true
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
        return np.where(inside, (p - y_true) / (p * (1 - p)), 0)

    @classmethod
    def gradient_check_sample(cls, rng):
        y_true = rng.integers(0, 2, size=(5, 3)).astype(float)
        return cls(), (y_true, rng.uniform(0.05, 0.95, size=(5, 3)))

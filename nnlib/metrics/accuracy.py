"""The accuracies: weighted means of a per-sample score, 1 if right and 0 if wrong,
and ``resolve_accuracy``, the choice ``compile(metrics=["accuracy"])`` makes."""
import numpy as np

from ..checks import describe, real_number, whole_number
from ..registry import register
from .base import ONE_HOT_FIX, MeanMetric, matching, per_sample


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


def in_top_k(labels, scores, k):
    """1 where the label's score is among the ``k`` highest of its row, else 0.

    Ties count in the label's favour, as in Keras (``ops.in_top_k``): a label
    is in the top ``k`` when its score is at least the ``k``-th highest score
    of its row, so that with ties more than ``k`` classes may count.
    scikit-learn's ``top_k_accuracy_score`` breaks ties by class index
    instead (of equal scores, the higher index ranks first), so on tied scores
    the two may differ; without ties they agree."""
    k = min(k, scores.shape[-1])
    kth = np.sort(scores, axis=-1)[..., -k]
    own = np.take_along_axis(scores, labels[..., None], axis=-1)[..., 0]
    return (own >= kth).astype(np.float64)


class TopKAccuracy(MeanMetric):
    """What the two top-k accuracies share: ``k``, how many of the highest scores
    count (5 by default, as in Keras)."""

    direction = "up"

    def __init__(self, k=5, name=None, dtype=None):
        self.k = whole_number(type(self).__name__, "k", k, minimum=1)
        super().__init__(name, dtype)


@register("metric", family="Accuracy", aliases=("top_k_categorical_accuracy",),
          description="Share of samples whose one-hot label's class is among the k "
                      "highest scores",
          use_case="Many classes with one-hot labels, where a near miss counts")
class TopKCategoricalAccuracy(TopKAccuracy):
    """:math:`\\frac1N\\sum_n [\\hat y_{n, c_n} \\ge s_{n,(k)}]`, where
    :math:`c_n = \\arg\\max y_n` is the label's class and :math:`s_{n,(k)}` the
    ``k``-th highest score of sample :math:`n`: how often the label is among the
    ``k`` best guesses.  Ties count in the label's favour, as in Keras (see
    ``in_top_k``); ``k`` above the number of classes counts every sample.

    Args:
        k: how many of the highest scores count (5 by default, as in Keras).

    >>> TopKCategoricalAccuracy(k=1)(np.array([[0, 0, 1], [0, 1, 0]]),
    ...                              np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    array(0.5, dtype=float32)
    """

    def score(self, y_true, y_pred):
        if y_pred.ndim < 2 or y_true.shape != y_pred.shape:
            raise self.mismatch(y_true, y_pred, (SPARSE_TOP_K_FIX if y_true.ndim < y_pred.ndim
                                                 else ": expected one-hot labels, "
                                                      "(samples, classes)"))
        return in_top_k(y_true.argmax(axis=-1), y_pred, self.k)


SPARSE_TOP_K_FIX = ("; for integer labels use SparseTopKCategoricalAccuracy "
                    "('sparse_top_k_categorical_accuracy')")


@register("metric", family="Accuracy", aliases=("sparse_top_k_categorical_accuracy",),
          description="Share of samples whose integer label is among the k highest scores",
          use_case="Many classes with integer labels, where a near miss counts")
class SparseTopKCategoricalAccuracy(TopKAccuracy):
    """:math:`\\frac1N\\sum_n [\\hat y_{n, y_n} \\ge s_{n,(k)}]` for integer labels
    :math:`y_n`, :math:`s_{n,(k)}` the ``k``-th highest score of sample :math:`n`.
    Ties count in the label's favour, as in Keras (see ``in_top_k``).

    Args:
        k: how many of the highest scores count (5 by default, as in Keras).

    >>> SparseTopKCategoricalAccuracy(k=1)(np.array([2, 1]),
    ...                                    np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    array(0.5, dtype=float32)
    """

    def score(self, y_true, y_pred):
        samples = y_pred.shape[:-1]
        if y_pred.ndim < 2:
            raise self.mismatch(y_true, y_pred, ": expected class scores, (samples, classes)")
        if y_true.shape not in (samples, samples + (1,)):
            raise self.mismatch(
                y_true, y_pred, "; for one-hot labels use TopKCategoricalAccuracy "
                                "('top_k_categorical_accuracy')" if y_true.shape == y_pred.shape
                else f": expected labels of shape {samples}")
        labels = y_true.reshape(samples)
        whole = labels.dtype.kind in "iub" or (labels.dtype.kind == "f"
                                               and bool(np.all(labels == np.round(labels))))
        if not whole or (labels.size and (labels.min() < 0
                                          or labels.max() >= y_pred.shape[-1])):
            raise ValueError(f"{describe(self)}: y_true must hold class indices, whole numbers "
                             f"in [0, {y_pred.shape[-1] - 1}], got values from "
                             f"{labels.min()} to {labels.max()}")
        return in_top_k(labels.astype(np.int64), y_pred, self.k)

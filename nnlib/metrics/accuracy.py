"""The accuracies: weighted means of a per-sample score, 1 if right and 0 if wrong,
and ``resolve_accuracy``, the choice ``compile(metrics=["accuracy"])`` makes."""
import numpy as np

from ..checks import real_number
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

"""The hinge loss of support vector machines."""
import numpy as np

from ..registry import register
from .base import ElementwiseLoss


@register("loss", family="Hinge", aliases=("hinge",),
          description="Penalises scores on the wrong side of a margin of 1",
          use_case="Maximum-margin binary classifiers (SVM-like), labels -1 or 1")
class Hinge(ElementwiseLoss):
    """:math:`\\max(0, 1 - y\\hat y)` averaged over the last axis, for labels :math:`y = \\pm 1`.

    .. math::

        f = \\max(0, 1 - y \\hat y), \\qquad
        \\frac{\\partial f}{\\partial \\hat y} = \\begin{cases} -y & y\\hat y < 1 \\\\
                                                          0 & y\\hat y \\ge 1 \\end{cases}

    (nnlib takes 0 at the kink :math:`y\\hat y = 1`; PyTorch's autograd
    through Keras's ``maximum`` takes half of :math:`-y`).  As in Keras, if
    every label of the batch is 0 or 1 the labels are read as
    :math:`2y - 1`.  A score beyond the margin costs nothing: only points
    near the boundary or misclassified ones move the model.

    Any other labels (class indices 0, 1, 2; soft labels such as 0.5) are
    refused, where Keras takes them as they are and computes a loss that
    means nothing: the hinge is a binary loss.

    >>> Hinge()(np.array([[1.0], [0.0]]), np.array([[0.3], [-2.0]]))
    array(0.35, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def prepare(self, y_true, y_pred):
        y_true, y_pred = super().prepare(y_true, y_pred)
        if np.all((y_true == 0) | (y_true == 1)):
            y_true = 2 * y_true - 1
        return y_true, y_pred

    def check_values(self, y_true, y_pred):
        """Labels -1 and 1, or all 0 and 1 (read as -1 and 1 in ``prepare``)."""
        if np.any(np.abs(y_true) != 1) and not np.all((y_true == 0) | (y_true == 1)):
            values = np.unique(y_true)
            listed = ", ".join(f"{v:g}" for v in values[:10]) + ", ..." * (values.size > 10)
            raise self.error(f"labels must be -1 or 1, or all 0 or 1 (read as -1 and 1), got "
                             f"the values {listed}. The hinge is a binary loss; integer class "
                             f"labels: use sparse_categorical_crossentropy")

    def function(self, y_true, y_pred):
        return np.maximum(1 - y_true * y_pred, 0)

    def derivative(self, y_true, y_pred):
        return np.where(y_true * y_pred < 1, -y_true, 0)

    @classmethod
    def gradient_check_sample(cls, rng):
        # Margins y * y_pred at least 0.1 away from the kink at 1.
        y_true = rng.choice([-1.0, 1.0], size=(5, 3))
        margin = 1 + rng.choice([-1.0, 1.0], size=(5, 3)) * rng.uniform(0.1, 2.0, (5, 3))
        return cls(), (y_true, y_true * margin)

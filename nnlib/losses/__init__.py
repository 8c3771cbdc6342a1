"""Loss functions with Keras 3's formulas, reductions, sample weights, masks and clipping.

Each loss gives its value and its gradient with respect to the prediction
(``forward`` and ``backward``, see ``base``).  By family:

* ``mean_squared_error``: ``MeanSquaredError`` (Gaussian likelihood);
* ``crossentropy``: ``CategoricalCrossentropy``, ``SparseCategoricalCrossentropy``,
  ``BinaryCrossentropy`` (categorical and Bernoulli likelihoods);
* ``robust``: ``MeanAbsoluteError``, ``Huber``, ``LogCosh`` (regression with outliers);
* ``kl_divergence``: ``KLDivergence``;  ``hinge``: ``Hinge``.

Losses are found by name, as in ``compile(loss="sparse_categorical_crossentropy")``.
"""
from .. import registry
from .base import EPSILON, REDUCTIONS, ElementwiseLoss, Loss
from .mean_squared_error import MeanSquaredError
from .crossentropy import (BinaryCrossentropy, CategoricalCrossentropy,  # noqa: I001
                           SparseCategoricalCrossentropy, categorical_crossentropy, log_softmax)
from .robust import Huber, LogCosh, MeanAbsoluteError
from .kl_divergence import KLDivergence
from .hinge import Hinge


def get(identifier):
    """A loss from a name (``"mse"``, ``"categorical_crossentropy"``) or an instance."""
    return registry.get("loss", identifier)


__all__ = ["EPSILON", "REDUCTIONS", "BinaryCrossentropy", "CategoricalCrossentropy",
           "ElementwiseLoss", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss",
           "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
           "categorical_crossentropy", "get", "log_softmax"]

"""Loss functions with Keras 3's formulas, reductions, sample weights, masks and clipping.

Each loss gives its value and its gradient with respect to the prediction
(``forward`` and ``backward``, see ``base``).  By family:

* ``crossentropy``: ``CategoricalCrossentropy``, ``SparseCategoricalCrossentropy``,
  ``BinaryCrossentropy`` (categorical and Bernoulli likelihoods);
* ``mean_squared_error``: ``MeanSquaredError`` (Gaussian likelihood);
* ``robust``: ``MeanAbsoluteError``, ``Huber``, ``LogCosh`` (regression with outliers);
* ``kl_divergence``: ``KLDivergence``;  ``hinge``: ``Hinge``.

Losses are found by name, as in ``compile(loss="sparse_categorical_crossentropy")``;
a loss of one's own is a ``Loss`` subclass, registered or not, or a function
of ``nnlib.ops`` (``function``: the gradient tape differentiates it).
"""
import inspect

from .. import registry
from .base import EPSILON, REDUCTIONS, ElementwiseLoss, Loss
from .crossentropy import (BinaryCrossentropy, CategoricalCrossentropy,
                           SparseCategoricalCrossentropy, categorical_crossentropy, log_softmax)
from .function import LossFunctionWrapper
from .hinge import Hinge
from .kl_divergence import KLDivergence
from .mean_squared_error import MeanSquaredError
from .robust import Huber, LogCosh, MeanAbsoluteError


def get(identifier):
    """A loss from a name (``"mse"``, ``"categorical_crossentropy"``), any
    ``Loss`` instance, registered or not, or a function ``fn(y_true, y_pred)``
    written with ``nnlib.ops``, which the gradient tape differentiates
    (``LossFunctionWrapper``, as Keras wraps a function)."""
    if isinstance(identifier, Loss):
        return identifier
    if inspect.isroutine(identifier):
        return LossFunctionWrapper(identifier)
    return registry.get("loss", identifier)


__all__ = ["EPSILON", "REDUCTIONS", "BinaryCrossentropy", "CategoricalCrossentropy",
           "ElementwiseLoss", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss",
           "LossFunctionWrapper",
           "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
           "categorical_crossentropy", "get", "log_softmax"]

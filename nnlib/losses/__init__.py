"""Loss functions with Keras 3's formulas, reductions, sample weights, masks and clipping.

Each loss gives its value and its gradient with respect to the prediction
(``forward`` and ``backward``, see ``base``).  By family:

* ``crossentropy``: ``CategoricalCrossentropy``, ``SparseCategoricalCrossentropy``,
  ``BinaryCrossentropy`` (categorical and Bernoulli likelihoods);
* ``mean_squared_error``: ``MeanSquaredError`` (Gaussian likelihood);
* ``robust``: ``MeanAbsoluteError``, ``Huber``, ``LogCosh`` (regression with outliers);
* ``kl_divergence``: ``KLDivergence``;  ``hinge``: ``Hinge``.

Losses are found by name, as in ``compile(loss="sparse_categorical_crossentropy")``,
and a loss of one's own is a ``Loss`` subclass, registered or not.
"""
import inspect

from .. import registry
from .base import EPSILON, REDUCTIONS, ElementwiseLoss, Loss
from .crossentropy import (BinaryCrossentropy, CategoricalCrossentropy,
                           SparseCategoricalCrossentropy, categorical_crossentropy, log_softmax)
from .hinge import Hinge
from .kl_divergence import KLDivergence
from .mean_squared_error import MeanSquaredError
from .robust import Huber, LogCosh, MeanAbsoluteError

# What a plain function given as a loss is told.
WRITE_A_LOSS = """\
nnlib needs the loss's derivative as well as its value, so a loss is a Loss subclass \
that writes both for one sample (see nnlib.losses.base), for example:

    class SquaredError(nnlib.losses.Loss):
        def per_sample(self, y_true, y_pred):       # one loss per sample, and a cache
            error = y_pred - y_true
            return (error ** 2).mean(axis=-1), error

        def per_sample_backward(self, d_losses, error):   # dL/dy_pred
            return d_losses[..., None] * 2 * error / error.shape[-1]

    model.compile(loss=SquaredError(), ...)"""


def get(identifier):
    """A loss from a name (``"mse"``, ``"categorical_crossentropy"``) or any
    ``Loss`` instance, registered or not.

    A plain function ``f(y_true, y_pred)`` is refused, with the recipe for a
    ``Loss`` subclass: training needs the gradient, which a function alone
    does not give (a metric may be a plain function).
    """
    if isinstance(identifier, Loss):
        return identifier
    if inspect.isroutine(identifier):
        name = getattr(identifier, "__name__", repr(identifier))
        raise TypeError(f"expected a loss name or a Loss instance, got the plain function "
                        f"{name!r}. {WRITE_A_LOSS}")
    return registry.get("loss", identifier)


__all__ = ["EPSILON", "REDUCTIONS", "BinaryCrossentropy", "CategoricalCrossentropy",
           "ElementwiseLoss", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss",
           "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
           "categorical_crossentropy", "get", "log_softmax"]

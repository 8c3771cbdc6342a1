"""Weight regularizers: penalties on a weight that join the training loss.

A layer takes them as Keras's arguments (``Dense(64, kernel_regularizer="l2")``,
``bias_regularizer=``, ``recurrent_regularizer=``, ``embeddings_regularizer=``,
``alpha_regularizer=``), each a name or any ``Regularizer``, one's own
included; a weight of one's own layer as ``add_weight(..., regularizer=)``.
The model adds ``penalty(w)`` to the loss it reports and ``gradient(w)`` to
the weight's gradient at every step, as Keras 3 does (the penalty is not
divided by the batch size, and L2 has no one-half).  Every layer also takes
an ``activity_regularizer``: a penalty on its outputs, divided by the batch
size, as Keras 3 does (see ``nnlib.layers.base``).

Weight decay in an optimizer (``AdamW``'s ``weight_decay``) is the decoupled
cousin of ``L2``: it shrinks the weight by :math:`\\eta\\lambda w` after the
gradient step instead of adding :math:`2\\lambda w` to the gradient, which
differs once an adaptive optimizer rescales the gradient.
"""
import numpy as np

from . import registry
from .registry import register
from .serialization import Configurable


class Regularizer(Configurable):
    """Base class: ``penalty(w)`` is the scalar added to the loss and
    ``gradient(w)`` its derivative, an array shaped like ``w``."""

    def __call__(self, w):
        return self.penalty(w)

    def penalty(self, w):
        raise NotImplementedError

    def gradient(self, w):
        raise NotImplementedError


def _non_negative(owner, **factors):
    for name, value in factors.items():
        if not (isinstance(value, (int, float)) and value >= 0):
            raise ValueError(f"{owner}: {name} must be a number >= 0, got {value!r}")
        factors[name] = float(value)
    return factors.values()


@register("regularizer", family="L1/L2 Regularization", aliases=("l1l2", "l1_l2"),
          description="Penalizes larger weights by both their sizes and their squares",
          use_case="Encourages simpler models: sparse and small weights at once")
class L1L2(Regularizer):
    """:math:`\\Omega(w) = \\lambda_1 \\sum |w| + \\lambda_2 \\sum w^2`, with gradient
    :math:`\\lambda_1 \\operatorname{sign}(w) + 2 \\lambda_2 w`.

    >>> L1L2(l1=0.1, l2=0.5).penalty(np.array([1.0, -2.0]))
    2.8
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _non_negative("L1L2", l1=l1, l2=l2)

    def penalty(self, w):
        return float(self.l1 * np.abs(w).sum() + self.l2 * np.square(w).sum())

    def gradient(self, w):
        return (self.l1 * np.sign(w) + 2 * self.l2 * w).astype(w.dtype)


@register("regularizer", family="L1/L2 Regularization", aliases=("l1",),
          description="Penalizes the sum of absolute weights",
          use_case="Pushes unneeded weights to zero, or near it: sparser models")
class L1(L1L2):
    """:math:`\\Omega(w) = \\lambda_1 \\sum |w|`; Keras's default :math:`\\lambda_1 = 0.01`."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


@register("regularizer", family="L1/L2 Regularization", aliases=("l2",),
          description="Penalizes the sum of squared weights",
          use_case="Keeps every weight small (weight decay through the loss)")
class L2(L1L2):
    """:math:`\\Omega(w) = \\lambda_2 \\sum w^2`, gradient :math:`2\\lambda_2 w`;
    Keras's default :math:`\\lambda_2 = 0.01`.

    >>> L2(0.5).gradient(np.array([1.0, -2.0]))
    array([ 1., -2.])
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


def get(identifier):
    """A regularizer from a name (``"l2"``) or any ``Regularizer``, registered or
    not; ``None`` stays ``None``."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    return registry.get("regularizer", identifier)

"""Stochastic gradient descent, with momentum and Nesterov momentum."""
import numpy as np

from ..checks import flag
from ..registry import register
from .base import MOMENTUM, Optimizer


@register("optimizer", family="SGD", aliases=("sgd",),
          description="Steps against the gradient, optionally with (Nesterov) momentum",
          use_case="Simple, good for large datasets, needs learning rate tuning")
class SGD(Optimizer):
    """Stochastic gradient descent, with Keras 3's momentum and Nesterov rules.

    Without momentum: :math:`w \\leftarrow w - \\eta g`.  With momentum
    :math:`\\mu`, a velocity :math:`v` (state ``"velocity"``, starting at zero)
    remembers past steps:

    .. math::

        v \\leftarrow \\mu v - \\eta g, \\qquad
        w \\leftarrow w + v \\;\\text{(classic)} \\quad\\text{or}\\quad
        w \\leftarrow w + \\mu v - \\eta g \\;\\text{(Nesterov)}

    PyTorch's ``torch.optim.SGD`` keeps a buffer :math:`b \\leftarrow \\mu b + g`
    and steps :math:`w \\leftarrow w - \\eta b` (Nesterov: :math:`w \\leftarrow
    w - \\eta (g + \\mu b)`).  With ``dampening=0`` and a constant learning rate
    the two are the same (:math:`v = -\\eta b`); when the rate changes they
    differ, as Keras scales each gradient by the rate of its own step.

    Args:
        learning_rate: defaults to ``0.01``.
        momentum: :math:`\\mu \\in [0, 1]`, defaults to ``0.0``.
        nesterov: defaults to ``False``.
        (and the clipping, weight-decay and name options of ``Optimizer``)

    >>> from nnlib.layers.base import Weight
    >>> w = Weight("w", np.array([1.0]), layer=None)
    >>> optimizer = SGD(learning_rate=0.1, momentum=0.9)
    >>> for g in (1.0, 1.0):
    ...     optimizer.apply({"w": np.array([g])}, {"w": w})
    >>> w.value, optimizer.state["w"]["velocity"]
    (array([0.71]), array([-0.19]))
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.momentum = self.in_range("momentum", momentum, MOMENTUM)
        self.nesterov = flag(type(self).__name__, "nesterov", nesterov)

    def init_state(self, w):
        return {"velocity": np.zeros_like(w)} if self.momentum else {}

    def update(self, w, g, state, lr):
        if not self.momentum:
            return w - lr * g, state
        v = self.momentum * state["velocity"] - lr * g
        step = self.momentum * v - lr * g if self.nesterov else v
        return w + step, {"velocity": v}

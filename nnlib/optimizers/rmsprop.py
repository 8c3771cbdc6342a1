"""RMSprop: each gradient divided by a running root-mean-square of its own history."""
import numpy as np

from ..checks import flag
from ..registry import register
from .base import DECAY, MOMENTUM, POSITIVE, Optimizer


@register("optimizer", family="RMSprop", aliases=("rmsprop",),
          description="Divides the gradient by a running RMS of recent gradients",
          use_case="Adjusts learning rate based on recent gradients, good for RNNs")
class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012), as Keras 3 computes it.

    A running average of the squared gradient (state ``"v"``, from zero) sets
    a per-weight scale; epsilon goes *inside* the square root:

    .. math::

        v \\leftarrow \\rho v + (1 - \\rho) g^2, \\qquad
        \\Delta = \\frac{\\eta\\, g}{\\sqrt{v + \\epsilon}}, \\qquad
        w \\leftarrow w - \\Delta

    ``centered=True`` also averages the gradient (state ``"m"``) and divides by
    an estimate of its standard deviation instead,
    :math:`\\sqrt{v - m^2 + \\epsilon}` (:math:`v - m^2` is floored at zero, so
    rounding cannot take a square root of a negative number).  With
    ``momentum`` :math:`\\mu > 0`, the steps accumulate (state ``"velocity"``):
    :math:`b \\leftarrow \\mu b + \\Delta`, :math:`w \\leftarrow w - b`.

    PyTorch adds epsilon outside the root, :math:`\\sqrt{v} + \\epsilon`, and
    multiplies its momentum buffer by the rate at each step; with epsilon near
    zero and a constant rate the two agree.

    Args:
        learning_rate: defaults to ``0.001``.
        rho: decay rate of the averages, in :math:`[0, 1)`, ``0.9``.
        momentum: in :math:`[0, 1]`, defaults to ``0.0``.
        epsilon: ``> 0``, defaults to ``1e-7``.
        centered: defaults to ``False``.

    >>> from nnlib.layers.base import Weight
    >>> w = Weight("w", np.array([0.0, 0.0]), layer=None)
    >>> RMSprop(learning_rate=0.1).apply({"w": np.array([0.1, 100.0])}, {"w": w})
    >>> w.value.round(4)  # the same first step whatever the gradient's scale
    array([-0.3162, -0.3162])
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.rho = self.in_range("rho", rho, DECAY)
        self.momentum = self.in_range("momentum", momentum, MOMENTUM)
        self.epsilon = self.in_range("epsilon", epsilon, POSITIVE)
        self.centered = flag(type(self).__name__, "centered", centered)

    def init_state(self, w):
        slots = ["v"] + ["velocity"] * (self.momentum > 0) + ["m"] * self.centered
        return {slot: np.zeros_like(w) for slot in slots}

    def update(self, w, g, state, lr):
        rho = self.rho
        v = rho * state["v"] + (1 - rho) * g * g
        new_state = {"v": v}
        if self.centered:
            m = new_state["m"] = rho * state["m"] + (1 - rho) * g
            mean_square = np.maximum(v - m * m, 0)
        else:
            mean_square = v
        step = lr * g / np.sqrt(mean_square + self.epsilon)
        if self.momentum > 0:
            step = new_state["velocity"] = self.momentum * state["velocity"] + step
        return w - step, new_state

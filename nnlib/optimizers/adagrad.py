"""The AdaGrad family: steps scaled by the history of each weight's gradients."""
import numpy as np

from ..registry import register
from .base import DECAY, NON_NEGATIVE, POSITIVE, Optimizer


@register("optimizer", family="AdaGrad", aliases=("adagrad",),
          description="Divides the gradient by the root of the sum of all its past squares",
          use_case="Adapts learning rate to parameters, good for sparse data")
class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer, 2011), as Keras 3 computes it.

    Every squared gradient is added to an accumulator (state
    ``"accumulator"``, starting at ``initial_accumulator_value``), and the step
    is divided by its root, epsilon inside:

    .. math::

        G \\leftarrow G + g^2, \\qquad
        w \\leftarrow w - \\frac{\\eta\\, g}{\\sqrt{G + \\epsilon}}

    Weights that rarely get a gradient (rare words, rare features) keep a
    small :math:`G` and so large steps; but :math:`G` only grows, so every
    step shrinks towards zero in long training.  PyTorch starts :math:`G` at
    ``0`` and adds epsilon outside the root, :math:`\\sqrt{G} + \\epsilon`.

    Args:
        learning_rate: defaults to ``0.001``.
        initial_accumulator_value: ``>= 0``, defaults to ``0.1``.
        epsilon: ``> 0``, defaults to ``1e-7``.

    >>> from nnlib.layers.base import Weight
    >>> w = Weight("w", np.array([1.0]), layer=None)
    >>> optimizer = Adagrad(learning_rate=0.1)
    >>> for _ in range(3):
    ...     optimizer.apply({"w": np.array([1.0])}, {"w": w})
    >>> optimizer.state["w"]["accumulator"], w.value.round(4)
    (array([3.1]), array([0.7789]))
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.initial_accumulator_value = self.in_range("initial_accumulator_value",
                                                       initial_accumulator_value, NON_NEGATIVE)
        self.epsilon = self.in_range("epsilon", epsilon, POSITIVE)

    def init_state(self, w):
        return {"accumulator": np.full_like(w, self.initial_accumulator_value)}

    def update(self, w, g, state, lr):
        G = state["accumulator"] + g * g
        return w - lr * g / np.sqrt(G + self.epsilon), {"accumulator": G}


@register("optimizer", family="AdaGrad", aliases=("adadelta",),
          description="Running averages of squared gradients and of squared steps, "
                      "whose ratio sets each step",
          use_case="Fixes AdaGrad's ever-shrinking steps; units of the step match the weights")
class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as Keras 3 computes it.

    AdaGrad's sum becomes a running average :math:`E_g` of :math:`g^2` (state
    ``"accumulated_grad"``), and the numerator is the running RMS of the past
    steps, :math:`E_\\Delta` (state ``"accumulated_delta_var"``), so a step has
    the units of the weight:

    .. math::

        E_g \\leftarrow \\rho E_g + (1 - \\rho) g^2, \\qquad
        \\Delta = -\\frac{\\sqrt{E_\\Delta + \\epsilon}}{\\sqrt{E_g + \\epsilon}}\\, g,

        E_\\Delta \\leftarrow \\rho E_\\Delta + (1 - \\rho) \\Delta^2, \\qquad
        w \\leftarrow w + \\eta \\Delta

    The paper has no learning rate (:math:`\\eta = 1`); Keras multiplies by
    one, ``0.001`` by default, which makes Adadelta very slow unless it is
    raised.

    Args:
        learning_rate: defaults to ``0.001``.
        rho: decay rate of the averages, in :math:`[0, 1)`, ``0.95``.
        epsilon: ``> 0``, defaults to ``1e-7``.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.rho = self.in_range("rho", rho, DECAY)
        self.epsilon = self.in_range("epsilon", epsilon, POSITIVE)

    def init_state(self, w):
        return {"accumulated_grad": np.zeros_like(w), "accumulated_delta_var": np.zeros_like(w)}

    def update(self, w, g, state, lr):
        rho, eps = self.rho, self.epsilon
        E_g = rho * state["accumulated_grad"] + (1 - rho) * g * g
        delta = -np.sqrt(state["accumulated_delta_var"] + eps) / np.sqrt(E_g + eps) * g
        E_delta = rho * state["accumulated_delta_var"] + (1 - rho) * delta * delta
        return w + lr * delta, {"accumulated_grad": E_g, "accumulated_delta_var": E_delta}

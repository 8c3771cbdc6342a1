"""The Adam family: momentum divided by a running root-mean-square of gradients."""
import math

import numpy as np

from ..checks import flag
from ..registry import register
from .base import DECAY, POSITIVE, Optimizer


@register("optimizer", family="Adam", aliases=("adam",),
          description="Momentum divided by a running RMS of the gradients, bias-corrected",
          use_case="Adapts learning rate per parameter, fast convergence, less tuning")
class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), with Keras 3's placement of epsilon.

    Two running averages per weight, of the gradient (state ``"m"``) and of
    its square (state ``"v"``), both starting at zero; at step
    :math:`t = \\text{iterations} + 1`:

    .. math::

        m \\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\qquad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2,

        \\alpha_t = \\eta \\, \\frac{\\sqrt{1 - \\beta_2^t}}{1 - \\beta_1^t}, \\qquad
        w \\leftarrow w - \\alpha_t \\frac{m}{\\sqrt{v} + \\hat\\epsilon}

    The bias corrections :math:`1/(1-\\beta^t)` undo the pull of the zero start;
    Keras folds them into the step size :math:`\\alpha_t` and adds
    :math:`\\hat\\epsilon` (the paper's "epsilon hat") outside the square root.
    PyTorch divides by :math:`\\sqrt{v/(1-\\beta_2^t)} + \\epsilon` instead: the
    same rule with :math:`\\hat\\epsilon = \\epsilon\\sqrt{1-\\beta_2^t}`, so the two
    agree when epsilon is negligible.  With ``amsgrad=True`` the denominator
    uses the largest :math:`v` seen so far (state ``"v_hat"``), so the step for a
    weight never grows back after a large gradient.

    Args:
        learning_rate: defaults to ``0.001``.
        beta_1, beta_2: decay rates of the averages, in :math:`[0, 1)`, ``0.9``
            and ``0.999`` (at 1 an average would never move, and the bias
            correction :math:`1/(1-\\beta_1^t)` would divide by zero).
        epsilon: :math:`\\hat\\epsilon > 0`, defaults to ``1e-7`` (0 would divide
            0 by 0 where the gradient has always been zero).
        amsgrad: defaults to ``False``.
        (and the clipping, weight-decay and name options of ``Optimizer``)

    >>> from nnlib.layers.base import Weight
    >>> w = Weight("w", np.array([1.0, 1.0]), layer=None)
    >>> optimizer = Adam(learning_rate=0.1)
    >>> optimizer.apply({"w": np.array([0.5, -20.0])}, {"w": w})
    >>> w.value.round(4)  # the first step moves every weight by about lr
    array([0.9, 1.1])
    >>> optimizer.state["w"]["m"], optimizer.state["w"]["v"]
    (array([ 0.05, -2.  ]), array([2.5e-04, 4.0e-01]))
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.beta_1 = self.in_range("beta_1", beta_1, DECAY)
        self.beta_2 = self.in_range("beta_2", beta_2, DECAY)
        self.epsilon = self.in_range("epsilon", epsilon, POSITIVE)
        self.amsgrad = flag(type(self).__name__, "amsgrad", amsgrad)

    def init_state(self, w):
        slots = ("m", "v", "v_hat") if self.amsgrad else ("m", "v")
        return {slot: np.zeros_like(w) for slot in slots}

    def update(self, w, g, state, lr):
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        m = self.beta_1 * state["m"] + (1 - self.beta_1) * g
        v = self.beta_2 * state["v"] + (1 - self.beta_2) * g * g
        new_state = {"m": m, "v": v}
        if self.amsgrad:
            v = new_state["v_hat"] = np.maximum(state["v_hat"], v)
        return w - alpha * m / (np.sqrt(v) + self.epsilon), new_state


@register("optimizer", family="Adam", aliases=("adamw",),
          description="Adam with weight decay decoupled from the gradient",
          use_case="Regularised Adam: the decay is not rescaled per weight, unlike an L2 loss")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Before Adam's step, every weight shrinks by a fraction of itself,
    :math:`w \\leftarrow w - \\eta \\lambda w` with :math:`\\lambda` =
    ``weight_decay`` (``0.004`` by default), then Adam's rule runs on the
    gradient alone.  An L2 penalty in the loss would instead add
    :math:`2 l_2 w` to :math:`g`, where Adam's denominator rescales it: weights
    with large gradients would hardly be decayed.  (Every nnlib optimizer
    accepts ``weight_decay``, as in Keras; AdamW only makes it the default.)

    >>> from nnlib.layers.base import Weight
    >>> w = Weight("w", np.array([2.0]), layer=None)
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply({"w": np.array([0.0])}, {"w": w})
    >>> w.value  # 2 - 0.1 * 0.5 * 2: the decay alone, as the gradient is zero
    array([1.9])
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number, got None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, name)


@register("optimizer", family="Adam", aliases=("nadam",),
          description="Adam with Nesterov momentum and a momentum schedule",
          use_case="Often a little faster than Adam early in training")
class Nadam(Adam):
    """Nadam (Dozat, 2016): Adam whose momentum looks one step ahead.

    A momentum schedule :math:`u_t = \\beta_1 (1 - \\tfrac12 \\cdot 0.96^{t})`
    (Keras 3's exponent is :math:`t`, where the paper, Keras 2 and PyTorch use
    :math:`0.004\\,t`) and its running product :math:`\\Pi_t = \\prod_{i \\le t} u_i`
    (state ``"u_product"``) weigh the current gradient against the momentum:

    .. math::

        m \\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\qquad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2,

        \\hat m = \\frac{u_{t+1}\\, m}{1 - \\Pi_t u_{t+1}} + \\frac{(1 - u_t)\\, g}{1 - \\Pi_t},
        \\qquad
        \\hat v = \\frac{v}{1 - \\beta_2^t}, \\qquad
        w \\leftarrow w - \\eta \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}

    Keras keeps one :math:`\\Pi_t` for the optimizer; nnlib keeps it with each
    weight, which is the same number as long as every weight is updated at
    every step.

    Args:
        learning_rate: defaults to ``0.001``.
        beta_1, beta_2, epsilon: as for ``Adam`` (``0.9``, ``0.999``, ``1e-7``).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, False, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, name)

    def momentum_schedule(self, t):
        """:math:`u_t = \\beta_1 (1 - 0.5 \\cdot 0.96^t)`."""
        return self.beta_1 * (1 - 0.5 * 0.96 ** t)

    def init_state(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w),
                "u_product": np.ones((), dtype=w.dtype)}

    def update(self, w, g, state, lr):
        t = self.iterations + 1
        u_t, u_next = self.momentum_schedule(t), self.momentum_schedule(t + 1)
        u_product = state["u_product"] * u_t
        m = self.beta_1 * state["m"] + (1 - self.beta_1) * g
        v = self.beta_2 * state["v"] + (1 - self.beta_2) * g * g
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - self.beta_2 ** t)
        return (w - lr * m_hat / (np.sqrt(v_hat) + self.epsilon),
                {"m": m, "v": v, "u_product": u_product})

"""Optimizers: how weights move given their gradients, with Keras 3's rules.

``optimizer.apply(grads, weights)`` takes two dicts with the same keys, the
gradients and the ``Weight`` objects (``model.named_weights()``), and updates
each weight in place.  Per-weight state (momentum, moment estimates) is kept
in ``optimizer.state[weight]``, a dict a learner can print.
"""
import numpy as np

from . import registry
from .registry import register


class Optimizer:
    """Base class: subclasses give ``init_state(value)`` and ``update(w, g, state)``."""

    differentiable = False

    def __init__(self, learning_rate=0.01, name=None):
        self.learning_rate = learning_rate
        self.name = name or registry.snake_case(type(self).__name__)
        self.iterations = 0
        self.state = {}

    def apply(self, grads, weights):
        """Update ``weights[key]`` with ``grads[key]`` for every key of ``grads``."""
        missing = [key for key in grads if key not in weights]
        if missing:
            raise KeyError(f"{type(self).__name__}: no weight named {missing}")
        for key, grad in grads.items():
            weight = weights[key]
            if weight not in self.state:
                self.state[weight] = self.init_state(weight.value)
            grad = np.asarray(grad, dtype=weight.value.dtype)
            weight.assign(self.update(weight.value, grad, self.state[weight]))
        self.iterations += 1

    def init_state(self, value):
        return {}

    def update(self, w, g, state):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}


@register("optimizer", family="SGD", aliases=("sgd",),
          description="Steps against the gradient, optionally with momentum",
          use_case="Simple, good for large datasets, needs learning rate tuning")
class SGD(Optimizer):
    """Stochastic gradient descent, with Keras's momentum and Nesterov rules.

    Without momentum: :math:`w \\leftarrow w - \\eta g`.  With momentum
    :math:`\\mu`, a velocity :math:`v` (starting at zero) is kept:

    .. math::

        v \\leftarrow \\mu v - \\eta g, \\qquad
        w \\leftarrow w + v \\;\\text{(classic)} \\quad\\text{or}\\quad
        w \\leftarrow w + \\mu v - \\eta g \\;\\text{(Nesterov)}

    Defaults as in Keras: ``learning_rate=0.01, momentum=0.0, nesterov=False``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None):
        super().__init__(learning_rate, name)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum = momentum
        self.nesterov = nesterov

    def init_state(self, value):
        return {"velocity": np.zeros_like(value)} if self.momentum else {}

    def update(self, w, g, state):
        lr = self.learning_rate
        if not self.momentum:
            return w - lr * g
        v = self.momentum * state["velocity"] - lr * g
        state["velocity"] = v
        return w + (self.momentum * v - lr * g if self.nesterov else v)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


def get(identifier):
    """An optimizer from a name (``"sgd"``) or an instance."""
    return registry.get("optimizer", identifier)

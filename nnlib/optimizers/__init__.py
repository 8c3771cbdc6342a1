"""Optimizers: how weights move given their gradients, with Keras 3's rules.

``optimizer.apply(grads, weights)`` takes two dicts with the same keys, the
gradients and the ``Weight`` objects (``model.named_weights()``), and updates
each weight in place.  Per-weight state (momentum, moment estimates) is kept
in ``optimizer.state[key]``, a dict a learner can print; ``get_state`` and
``set_state`` save and restore it.

The folder is the table of contents: ``base.py`` (the protocol, weight decay,
the order of a step), ``clipping.py``, ``schedules.py`` (learning-rate
schedules), and one module per family: ``sgd.py``, ``adam.py`` (Adam, AdamW,
Nadam), ``rmsprop.py``, ``adagrad.py`` (Adagrad, Adadelta).

>>> get("adam")
Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False)
"""
from .. import registry
from . import clipping, schedules
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW, Nadam
from .base import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD


def get(identifier, **kwargs):
    """An optimizer from a name (``"sgd"``, keyword arguments go to the class) or
    any ``Optimizer`` instance, registered or not."""
    if isinstance(identifier, Optimizer):
        return identifier
    return registry.get("optimizer", identifier, **kwargs)


__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Nadam", "Optimizer", "RMSprop", "SGD",
           "clipping", "get", "schedules"]

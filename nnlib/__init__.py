"""nnlib: neural-network building blocks in NumPy, written to be read.

Every component has Keras 3's name, arguments and weight layout, and shows
its maths: ``forward`` and ``backward`` are the formulas.

>>> import nnlib
>>> nnlib.get("loss", "mse").name
'mean_squared_error'
"""
from . import activations, backend, initializers, layers, losses, metrics, optimizers, registry
from . import custom_objects, experiments, regularizers, serialization, testing, utils
from . import callbacks, interop, ops, saving
from .models import Input, Model, Sequential, plot_model
from .registry import table
from .saving import load_model
from .version import __version__


def get(kind, identifier, **kwargs):
    """Resolve a name such as ``("activation", "relu")`` to a component (keyword
    arguments go to its class); an instance of the kind's base class, registered
    or not, comes back as it is, as ``compile`` takes it."""
    if isinstance(identifier, str) or kwargs or kind not in _GETTERS:
        return registry.get(kind, identifier, **kwargs)
    return _GETTERS[kind](identifier)


_GETTERS = {"activation": activations.get, "initializer": initializers.get,
            "regularizer": regularizers.get, "loss": losses.get, "metric": metrics.get,
            "optimizer": optimizers.get}


__all__ = ["Input", "Model", "Sequential", "activations", "backend", "callbacks", "custom_objects",
           "experiments", "get", "initializers", "interop", "layers", "load_model", "losses",
           "metrics", "ops", "optimizers", "plot_model", "registry", "regularizers", "saving",
           "serialization", "table", "testing", "utils"]

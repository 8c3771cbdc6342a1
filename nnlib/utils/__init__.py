"""Helpers with Keras's names in ``keras.utils``: seeding (``set_random_seed``,
and ``generator``, the one random generator behind nnlib), ``to_categorical``,
``PyDataset``, ``plot_model``, and the custom objects of ``nnlib.saving``
(``register_keras_serializable``...), which Keras exports here too.
"""
from ..custom_objects import (CustomObjectScope, custom_object_scope, get_custom_objects,
                              get_registered_name, get_registered_object,
                              register_keras_serializable)
from ..serialization import deserialize_keras_object, serialize_keras_object
from .numerical import to_categorical
from .py_dataset import PyDataset
from .seeding import generator, set_random_seed


def __getattr__(name):
    """``plot_model`` is ``nnlib.models.plot_model``, found here too as in
    ``keras.utils``; it is looked up on first use, as the models import this
    package."""
    if name == "plot_model":
        from ..models.plot import plot_model
        return plot_model
    raise AttributeError(f"module 'nnlib.utils' has no attribute {name!r}")


__all__ = ["CustomObjectScope", "PyDataset", "custom_object_scope", "deserialize_keras_object",
           "generator", "get_custom_objects", "get_registered_name", "get_registered_object",
           "plot_model", "register_keras_serializable", "serialize_keras_object",
           "set_random_seed", "to_categorical"]

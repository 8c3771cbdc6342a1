"""nnlib and Keras 3, side by side: models handed across in memory, and Keras's files.

``to_keras(model)`` gives the Keras model of an nnlib model: the same class
(``Sequential`` or functional), layer names, configuration and weights, and
the same ``compile`` arguments when it is compiled.  ``from_keras`` is the
way back.  Both go through the configs of ``keras_config`` (the table of what
differs between the two libraries' configs); the weights go across in the
order both libraries list them (``model.weights``: each layer's trainable
weights, then its other weights, then those of the layers it holds), each
checked for its name and shape first.

Keras's files (``.keras`` and ``.weights.h5``) are read and written by
``keras_file``, which ``model.save`` and ``nnlib.load_model`` use for those
names; they need h5py, not Keras.  Keras itself is imported only by these two
functions.
"""
import json
import operator

import numpy as np

from ..layers.base import deferred_initialization
from ..layers.deserialization import layer_from_config
from ..saving.bounds import require_built
from .keras_config import KERAS_MODULES, model_from_keras, model_to_keras


def _keras():
    try:
        import keras
    except ImportError:
        raise ImportError("to_keras and from_keras need Keras 3: pip install keras") from None
    return keras


def _check_pairs(nnlib_model, keras_model):
    """Each nnlib weight beside the Keras variable at the same place, both named
    and shaped alike (a ``ValueError`` naming the first that differs)."""
    ours, theirs = nnlib_model.weights, keras_model.weights
    if len(ours) != len(theirs):
        raise ValueError(f"Model '{nnlib_model.name}' has {len(ours)} weights, its Keras twin "
                         f"{len(theirs)}")
    for weight, variable in zip(ours, theirs):
        if weight.name != variable.name or tuple(weight.shape) != tuple(variable.shape):
            raise ValueError(f"Model '{nnlib_model.name}': weight '{weight.name}' {weight.shape} "
                             f"of layer '{weight.layer.name}' lines up with Keras's "
                             f"'{variable.path}' {tuple(variable.shape)}")
    return list(zip(ours, theirs))


def _missing_twins(keras, value):
    """The components of a Keras config that Keras lacks: ``["keras.layers.Doubler"]``."""
    if isinstance(value, list):
        return [name for item in value for name in _missing_twins(keras, item)]
    if not isinstance(value, dict):
        return []
    missing = [name for item in value.values() for name in _missing_twins(keras, item)]
    module = value.get("module")
    if module in KERAS_MODULES.values():  # a component record nnlib wrote
        namespace = operator.attrgetter(module.removeprefix("keras."))(keras)
        if not hasattr(namespace, value["class_name"]):
            missing.append(f"{module}.{value['class_name']}")
    return missing


def to_keras(model):
    """The Keras 3 model of the nnlib ``model``: same architecture, names,
    weights and (if compiled) compile arguments; its optimizer starts afresh.
    A component Keras lacks (a layer registered with nnlib only) raises,
    naming it."""
    keras = _keras()
    require_built(model)
    record = model_to_keras(model)
    missing = _missing_twins(keras, record)
    if missing:
        raise ValueError(f"to_keras: model '{model.name}' uses components Keras does not "
                         f"have: {sorted(set(missing))}")
    compile_config = record.pop("compile_config", None)
    keras_model = keras.saving.deserialize_keras_object(record)
    for weight, variable in _check_pairs(model, keras_model):
        variable.assign(weight.value)
    if compile_config is not None:
        keras_model.compile_from_config(compile_config)
    return keras_model


def from_keras(keras_model, custom_objects=None):
    """The nnlib model of the Keras 3 ``keras_model`` (its config, weights and,
    if compiled, compile arguments); a component nnlib lacks raises, naming it."""
    keras = _keras()
    if not isinstance(keras_model, keras.Model):
        raise TypeError(f"from_keras: expected a Keras model, got {keras_model!r:.80}")
    record = json.loads(keras_model.to_json())
    if keras_model.compiled:
        record["compile_config"] = keras_model.get_compile_config()
    config = model_from_keras(record, custom_objects)
    with deferred_initialization():
        model = layer_from_config(config, custom_objects)
    require_built(model)
    for weight, variable in _check_pairs(model, keras_model):
        weight.assign(np.array(keras.ops.convert_to_numpy(variable)))
    if config["compile_config"] is not None:
        model.compile_from_config(config["compile_config"])
    return model


__all__ = ["from_keras", "to_keras"]

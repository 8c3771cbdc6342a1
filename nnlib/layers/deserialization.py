"""Layers (and models) from their configs: ``{"class_name", "config"}`` records."""
import inspect

from ..custom_objects import custom_object_scope, registered_key
from ..checks import short_repr
from ..serialization import record_class
from .input_layer import InputLayer


def layer_record(layer):
    """``{"class_name", "config"}`` of ``layer``, an entry of a model's config,
    with Keras's ``"registered_name"`` if its class is registered with
    ``@register_keras_serializable``: the key that tells it from a class of
    the same name (nnlib's own ``Dense`` and a registered ``Custom>Dense``)."""
    key = registered_key(type(layer))
    return {"class_name": layer.class_name(), "config": layer.get_config(),
            **({} if key is None else {"registered_name": key})}


def layer_class(name, custom_objects=None, registered_name=None):
    """The class a config's ``class_name`` (and Keras's ``registered_name``)
    names: a custom object (one of ``custom_objects``, of the
    ``custom_object_scope`` being run, or registered), ``InputLayer``, a
    registered nnlib layer or model (``Functional`` is ``Model``), or a class
    registered with ``@register_keras_serializable`` under that class name."""
    with custom_object_scope(custom_objects):
        cls = record_class(name, registered_name, ("layer", "model"))
    if cls is None and name == "InputLayer":
        return InputLayer
    if cls is None:
        raise ValueError(f"unknown layer class {name!r}: not a registered nnlib layer; "
                         f"decorate the class with @register_keras_serializable() or pass "
                         f"it as custom_objects={{{name!r}: {name}}}")
    return cls


def layer_from_config(spec, custom_objects=None):
    """A layer (or model) from ``{"class_name": ..., "config": ...}`` (and
    Keras's ``"registered_name"``); ``custom_objects`` (``{name: class}``) are
    found while it and its nested layers are built.

    >>> layer_from_config({"class_name": "Dense", "config": {"units": 2}}).units
    2
    >>> layer_from_config({"class_name": 7, "config": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: a layer's config must be {"class_name": a string, "config": a dict, and ...
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) or \
            not isinstance(spec.get("config"), dict) or \
            not isinstance(spec.get("registered_name"), (str, type(None))):
        raise TypeError(f'a layer\'s config must be {{"class_name": a string, "config": a '
                        f'dict, and optionally "registered_name": a string}}, got '
                        f'{short_repr(spec)}')
    with custom_object_scope(custom_objects):
        cls = layer_class(spec["class_name"], registered_name=spec.get("registered_name"))
        if "custom_objects" in inspect.signature(cls.from_config).parameters:  # a model
            return cls.from_config(spec["config"], custom_objects)
        return cls.from_config(spec["config"])

"""Layers (and models) from their configs: ``{"class_name", "config"}`` records."""
import inspect

from .. import registry
from .input_layer import InputLayer


def layer_class(name, custom_objects=None):
    """The class a config's ``class_name`` names: one of ``custom_objects``,
    ``InputLayer``, or a registered layer or model (``Functional`` is ``Model``)."""
    custom_objects = custom_objects or {}
    if name in custom_objects:
        return custom_objects[name]
    if name == "InputLayer":
        return InputLayer
    for kind in ("layer", "model"):
        try:
            return registry.entry_for(kind, name).cls
        except ValueError:
            continue
    raise ValueError(f"unknown layer class {name!r}: not a registered nnlib layer; "
                     f"pass it as custom_objects={{{name!r}: {name}}}")


def layer_from_config(spec, custom_objects=None):
    """A layer (or model) from ``{"class_name": ..., "config": ...}``; a model
    passes ``custom_objects`` on to its own layers.

    >>> layer_from_config({"class_name": "Dense", "config": {"units": 2}}).units
    2
    >>> layer_from_config({"class_name": 7, "config": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: a layer's config must be {"class_name": a string, "config": a dict}, got ...
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) or \
            not isinstance(spec.get("config"), dict):
        text = repr(spec)
        raise TypeError(f'a layer\'s config must be {{"class_name": a string, "config": a '
                        f'dict}}, got {text if len(text) <= 200 else text[:200] + "..."}')
    cls = layer_class(spec["class_name"], custom_objects)
    if "custom_objects" in inspect.signature(cls.from_config).parameters:  # a model
        return cls.from_config(spec["config"], custom_objects)
    return cls.from_config(spec["config"])

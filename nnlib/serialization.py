"""Configs: every component as plain JSON data, and back.

One mechanism for every kind of the registry (layers, activations,
initializers, regularizers, losses, optimizers, learning-rate schedules,
metrics): their base classes inherit ``Configurable``.  A component's config
is the arguments that rebuild it: ``get_config()`` reads each argument of
``__init__`` back from the attribute of the same name, so a component stores
its arguments under their own names, and ``type(c).from_config(config)``
calls the class with them.  A component whose attributes differ from its
arguments overrides ``get_config`` (an optimizer, whose ``learning_rate``
attribute is the rate of the next step, writes the schedule it was given).
Nested components (a layer's activation, an optimizer's schedule) are written
as their name or as a ``{"kind", "class_name", "config"}`` record
(``serialize``) and read back through the registry (``deserialize``).
"""
import functools
import inspect

import numpy as np

from . import registry


@functools.cache
def init_arguments(cls):
    """The keyword arguments ``cls(...)`` takes: its ``__init__``'s, then its
    parents', for as long as an ``__init__`` passes ``**kwargs`` on.

    >>> from nnlib.layers import Dense
    >>> init_arguments(Dense)[:3], init_arguments(Dense)[-3:]
    (('units', 'activation', 'use_bias'), ('dtype', 'trainable', 'activity_regularizer'))
    """
    names = []
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        parameters = list(inspect.signature(klass.__init__).parameters.values())[1:]
        names += [p.name for p in parameters if p.name not in names and p.kind in
                  (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return tuple(names)


class Configurable:
    """``get_config``/``from_config`` by introspection of ``__init__`` (see the
    module), and a repr that shows the config: ``ReLU(negative_slope=0.0, ...)``."""

    def get_config(self):
        """The arguments that rebuild this component, as JSON-ready values."""
        config = {}
        for name in init_arguments(type(self)):
            if not hasattr(self, name):
                raise TypeError(f"{type(self).__name__}: get_config reads each argument of "
                                f"__init__ from the attribute of the same name, but there is "
                                f"no attribute {name!r}; store the argument as self.{name} "
                                f"or override get_config")
            config[name] = serialize(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        """A new component from ``get_config()``'s output."""
        return cls(**deserialize(dict(config)))

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def registry_entry(obj):
    """The registry's entry for the class of ``obj``, or ``None``."""
    for kind in registry.KINDS:
        for entry in registry.entries(kind):
            if entry.cls is type(obj):
                return entry
    return None


def serialize(value):
    """``value`` as JSON-ready data: numbers, strings, lists and dicts as they
    are; a registered component (an activation, an initializer, a loss...) as
    ``{"kind", "class_name", "config"}``, or as its name when it is an
    activation with its default arguments, as Keras writes ``"relu"``.

    >>> from nnlib.activations import LeakyReLU, ReLU
    >>> serialize([ReLU(), LeakyReLU(0.1)])
    ['relu', {'kind': 'activation', 'class_name': 'LeakyReLU', 'config': {'negative_slope': 0.1}}]
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(serialize(v) for v in value)
    if isinstance(value, dict):
        return {key: serialize(v) for key, v in value.items()}
    entry = registry_entry(value)
    if entry is None:
        raise TypeError(f"cannot serialize {value!r}: expected numbers, strings, lists, "
                        f"dicts or registered nnlib components")
    config = serialize(value.get_config())
    if entry.kind == "activation" and entry.aliases and config == serialize(
            type(value)().get_config()):
        return entry.aliases[0]
    return {"kind": entry.kind, "class_name": entry.name, "config": config}


def deserialize(value):
    """The inverse of ``serialize``: records become components again (names stay
    names; the components that take them resolve them).

    >>> deserialize({"kind": "loss", "class_name": "Huber", "config": []})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: a component's record is {"kind": a string, "class_name": a string, ...
    """
    if isinstance(value, list):
        return [deserialize(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"kind", "class_name", "config"}:
        kind, name, config = value["kind"], value["class_name"], value["config"]
        if not (isinstance(kind, str) and isinstance(name, str) and isinstance(config, dict)):
            raise TypeError(f'a component\'s record is {{"kind": a string, "class_name": a '
                            f'string, "config": a dict}}, got {value!r}')
        return registry.entry_for(kind, name).cls.from_config(config)
    return {key: deserialize(v) for key, v in value.items()}

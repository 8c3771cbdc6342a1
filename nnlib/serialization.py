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

A class of the user's (a subclass of ``Regularizer``, say) has no kind in the
registry: it is written as Keras writes it, ``{"class_name", "config",
"registered_name"}``, and read back if it is registered with
``@register_keras_serializable`` or given as a custom object
(``nnlib.custom_objects``).  Reading takes Keras's own records too, where
their arguments are nnlib's (``"module"`` is only a hint of the kind,
``keras.losses`` a loss, and is never imported): that is
``deserialize_keras_object``.  Either way, classes come only from the custom
objects (the scope, the registered ones, ``custom_objects=``) or from nnlib's
registry: a config cannot make nnlib import or run anything else.
"""
import functools
import inspect

import numpy as np

from . import registry
from .checks import flag, short_repr
from .custom_objects import custom_object_scope, find, registered_key, registered_with_class_name


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
        return serialize_custom(value)
    config = serialize(value.get_config())
    if entry.kind == "activation" and entry.aliases and config == serialize(
            type(value)().get_config()):
        return entry.aliases[0]
    return {"kind": entry.kind, "class_name": entry.name, "config": config}


def serialize_custom(value):
    """An object of the user's as Keras's record: an instance of a class with
    ``get_config`` as ``{"class_name", "config", "registered_name"}`` (``None``
    if the class is not registered: reading it then needs ``custom_objects``),
    a registered function as ``{"class_name": "function", "config": its
    name, "registered_name"}``."""
    if inspect.isfunction(value) and registered_key(value) is not None:
        return {"class_name": "function", "config": value.__name__,
                "registered_name": registered_key(value)}
    if inspect.isroutine(value) or inspect.isclass(value) or \
            not callable(getattr(value, "get_config", None)):
        raise TypeError(f"cannot serialize {value!r}: expected numbers, strings, lists, "
                        f"dicts, nnlib components, objects with get_config() or functions "
                        f"registered with @register_keras_serializable()")
    return {"class_name": type(value).__name__, "config": serialize(value.get_config()),
            "registered_name": registered_key(type(value))}


# Keras's record: these keys, "class_name" and "config" required.  Inside a config,
# a dict is read as one only if it has "module" or "registered_name" (Keras writes both):
# nnlib's own lists of layers, {"class_name", "config"}, are built by their models.
KERAS_RECORD_KEYS = {"module", "class_name", "config", "registered_name"}
# The Keras module of each kind of component, as Keras writes it in a record.
KERAS_MODULES = {
    "schedule": "keras.optimizers.schedules",
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "optimizer": "keras.optimizers",
    "loss": "keras.losses",
    "metric": "keras.metrics",
    "activation": "keras.activations",
    "layer": "keras.layers",
}
# The kind of a Keras record's "module"; a record without one may be of any kind.
MODULE_KINDS = {**{module: (kind,) for kind, module in KERAS_MODULES.items()},
                "keras.models": ("model",), "keras": ("model",)}


def record_class(class_name, registered_name=None, kinds=tuple(registry.KINDS)):
    """The class a record names, or ``None``: a custom object
    (``nnlib.custom_objects.find``), else nnlib's component of that class name among
    ``kinds``, else a class registered with ``register_keras_serializable``
    under that class name (whatever its package)."""
    found = find(class_name, registered_name)
    if found is not None:
        return found
    matches = {}
    for kind in kinds:
        try:
            matches[kind] = registry.entry_for(kind, class_name).cls
        except ValueError:
            continue
    if len(matches) > 1:
        raise ValueError(f"{class_name!r} names several nnlib components ({', '.join(matches)});"
                         f" say which with a record {{\"kind\": one of {sorted(matches)}, "
                         f"\"class_name\": \"{class_name}\", \"config\": ...}}")
    if matches:
        return next(iter(matches.values()))
    return registered_with_class_name(class_name)


def is_keras_record(value):
    """Whether ``value`` has the keys of Keras's record of an object."""
    return isinstance(value, dict) and {"class_name", "config"} <= set(value) <= \
        KERAS_RECORD_KEYS


def _from_keras_record(record):
    """The object of a Keras-style record (see the module docstring)."""
    class_name, config = record["class_name"], record["config"]
    registered_name, module = record.get("registered_name"), record.get("module")
    if not (isinstance(class_name, str) and isinstance(config, (dict, str)) and
            isinstance(registered_name, (str, type(None))) and
            isinstance(module, (str, type(None)))):
        raise TypeError(f'a record is {{"class_name": a string, "config": a dict, and '
                        f'optionally "module" and "registered_name": strings}}, got '
                        f'{short_repr(record)}')
    if class_name == "function":  # Keras's record of a function: its name is the config
        found = find(config, None if registered_name == "function" else registered_name)
        return config if found is None else found  # a name, which its taker resolves
    if not isinstance(config, dict):
        raise TypeError(f"the record of {class_name!r} needs a dict as its config, got "
                        f"{short_repr(record)}")
    cls = record_class(class_name, registered_name, MODULE_KINDS.get(module, registry.KINDS))
    if cls is None:
        raise ValueError(f"unknown class {class_name!r}: not an nnlib component nor a custom "
                         f"object; register it with @register_keras_serializable() or pass "
                         f"custom_objects={{{class_name!r}: {class_name}}}")
    try:
        return cls.from_config(config)
    except TypeError as error:  # most often an argument the class does not take
        raise TypeError(f"cannot rebuild {class_name} from the config {short_repr(config)}: "
                        f"{error}") from error


def deserialize(value, custom_objects=None):
    """The inverse of ``serialize``: records become components again (names stay
    names; the components that take them resolve them).  Keras-style records
    are read too (see the module docstring); ``custom_objects``
    (``{name: class}``) are found while the records are read.

    >>> deserialize({"class_name": "Huber", "config": {"delta": 2.0}, "module": "keras.losses"})
    Huber(delta=2.0, reduction='sum_over_batch_size', name='huber_loss', dtype='float32')
    >>> deserialize({"kind": "loss", "class_name": "Huber", "config": []})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: a component's record is {"kind": a string, "class_name": a string, ...
    """
    with custom_object_scope(custom_objects):
        return _deserialize(value)


def _deserialize(value):
    if isinstance(value, list):
        return [_deserialize(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"kind", "class_name", "config"}:
        kind, name, config = value["kind"], value["class_name"], value["config"]
        if not (isinstance(kind, str) and isinstance(name, str) and isinstance(config, dict)):
            raise TypeError(f'a component\'s record is {{"kind": a string, "class_name": a '
                            f'string, "config": a dict}}, got {short_repr(value)}')
        return registry.entry_for(kind, name).cls.from_config(config)
    if is_keras_record(value) and ("module" in value or "registered_name" in value):
        return _from_keras_record(value)
    return {key: _deserialize(v) for key, v in value.items()}


serialize_keras_object = serialize  # Keras's name


def deserialize_keras_object(config, custom_objects=None, safe_mode=True):
    """Keras's name for ``deserialize``.  ``safe_mode`` is taken for Keras's
    code: nnlib never runs code from a config (no lambdas, no imports), so it
    is always safe and the flag changes nothing."""
    flag("deserialize_keras_object", "safe_mode", safe_mode)
    if is_keras_record(config):  # a record even without Keras's optional keys
        config = {"registered_name": None, **config}
    return deserialize(config, custom_objects)

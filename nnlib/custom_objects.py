"""Custom objects: the user's classes (and functions) that configs may name.

A config names each class by a string; loading turns the string back into a
class.  nnlib's own components are found in the registry (``nnlib.registry``).
A class of the user's is found, as Keras finds it, in one of two places,
tried in this order:

1. the objects of the ``custom_object_scope`` blocks being run (the innermost
   first).  The ``custom_objects`` given to a loading function
   (``load_model(path, custom_objects={"MyLayer": MyLayer})``) are one such
   scope, for the time of the loading, so that the layers and components
   nested in the config find them too;
2. the global dict ``get_custom_objects()``, which
   ``@register_keras_serializable(package)`` fills under the key
   ``"package>ClassName"``.

A record names a registered class by its key (Keras's ``"registered_name"``)
or by its class name alone, as nnlib's Sequential configs do: a class name
that is no nnlib component is looked up among the registered classes'
names (``registered_with_class_name``).  Nothing else: a config never makes
nnlib import a module, so a file can only name classes that the program has
itself made available.

>>> from nnlib.layers import Layer
>>> @register_keras_serializable(package="Doc")
... class Twice(Layer):
...     def forward(self, x, *, training=False):
...         return 2 * x, None
>>> get_registered_name(Twice), get_registered_object("Doc>Twice") is Twice
('Doc>Twice', True)
>>> with custom_object_scope({"Double": Twice}):
...     get_registered_object("Double") is Twice
True
>>> get_registered_object("Double") is None
True
>>> del get_custom_objects()["Doc>Twice"]
"""
import inspect

_GLOBAL_OBJECTS = {}  # "package>Name": class or function
_SCOPES = []  # the dicts of the custom_object_scope blocks being run, outermost first


def get_custom_objects():
    """The global dict of registered objects, ``{"package>Name": object}``.

    It is the dict itself, not a copy (as in Keras): writing to it registers
    (``get_custom_objects()["MyLayer"] = MyLayer``) and ``clear()`` forgets.
    The objects of a ``custom_object_scope`` are not in it.
    """
    return _GLOBAL_OBJECTS


def _qualified(obj):
    """``module.QualifiedName``: what tells two classes of one name apart."""
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _check_name(owner, name, value):
    if not isinstance(value, str) or not value:
        raise TypeError(f"{owner}: {name} must be a non-empty string, got {value!r}")


def register_keras_serializable(package="Custom", name=None):
    """A decorator that makes a class (or a function) loadable from configs
    without ``custom_objects=``: it is stored in ``get_custom_objects()`` under
    ``"package>name"`` (``name`` defaults to the class's name), and configs
    find it by that key or by its class name.

    As in Keras, a class must have ``get_config`` (every nnlib ``Layer`` has).
    Registering a key again with a class of the same module and name (a
    notebook cell run twice) replaces the old class; a key already taken by
    another object is an error, where Keras would replace it silently.

    Args:
        package: the first part of the key, grouping the user's objects.
        name: the second part; defaults to ``__name__`` of the decorated object.
    """
    owner = "register_keras_serializable"
    _check_name(owner, "package", package)
    if name is not None:
        _check_name(owner, "name", name)

    def decorate(obj):
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            raise TypeError(f"{owner}: expected a class or a function, got {obj!r}")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"{owner}: cannot register class {obj.__name__}: it has no "
                             f"get_config() method, which saving needs")
        key = f"{package}>{name if name is not None else obj.__name__}"
        previous = _GLOBAL_OBJECTS.get(key)
        if previous is not None and _qualified(previous) != _qualified(obj):
            raise ValueError(f"{owner}: the name {key!r} is taken by {_qualified(previous)}; "
                             f"choose another package or name for {_qualified(obj)}")
        _GLOBAL_OBJECTS[key] = obj
        return obj

    return decorate


def registered_key(obj):
    """The key ``obj`` is registered under in ``get_custom_objects()`` (the
    last one if several), or ``None``."""
    keys = [key for key, registered in _GLOBAL_OBJECTS.items() if registered is obj]
    return keys[-1] if keys else None


def get_registered_name(obj):
    """The key ``obj`` is registered under (``"package>Name"``), or its
    ``__name__`` if it is not registered (as Keras)."""
    return registered_key(obj) or obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object ``name`` stands for, in the order of the module docstring,
    then in ``custom_objects`` and ``module_objects`` (Keras's order), or
    ``None``."""
    for objects in [*reversed(_SCOPES), _GLOBAL_OBJECTS, custom_objects or {},
                    module_objects or {}]:
        if name in objects:
            return objects[name]
    return None


def find(class_name, registered_name=None):
    """The user's object a config's record names: by its ``registered_name``
    (the key Keras writes beside the class name), else by its ``class_name``,
    in the places of the module docstring; ``None`` if neither is there.
    The ``custom_objects`` of a loading function are found through the
    ``custom_object_scope`` it runs in."""
    for key in (registered_name, class_name):
        found = None if key is None else get_registered_object(key)
        if found is not None:
            return found
    return None


def registered_with_class_name(class_name):
    """The object of ``get_custom_objects()`` whose ``__name__`` is
    ``class_name``, whatever its package, or ``None``; an error if two
    packages registered objects of that name.

    This is how a config that names a class only by its class name (as nnlib's
    model configs do) finds it.
    """
    found = {id(obj): obj for obj in _GLOBAL_OBJECTS.values()
             if getattr(obj, "__name__", None) == class_name}
    if len(found) > 1:
        keys = sorted(key for key, obj in _GLOBAL_OBJECTS.items() if id(obj) in found)
        raise ValueError(f"the class name {class_name!r} is registered by several packages "
                         f"({keys}); pass the one meant as custom_objects={{{class_name!r}: "
                         f"...}}")
    return next(iter(found.values()), None)


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):`` makes the objects of the
    dict findable by their keys inside the block only (configs read there,
    ``load_model``, ``model_from_json``...).

    Scopes nest: an inner block sees the objects of the outer ones too (in
    Keras, an inner scope hides the outer scope's objects).  The block's
    objects come before the registered ones (see the module docstring).

    Args:
        custom_objects: a dict ``{name: class or function}``, or ``None``.
    """

    def __init__(self, custom_objects):
        if custom_objects is not None and (not isinstance(custom_objects, dict) or not all(
                isinstance(key, str) for key in custom_objects)):
            raise TypeError(f"custom_object_scope: expected a dict {{name: class or function}}, "
                            f"got {custom_objects!r}")
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _SCOPES.pop()


custom_object_scope = CustomObjectScope  # Keras's two names for one class


__all__ = ["CustomObjectScope", "custom_object_scope", "find", "get_custom_objects",
           "get_registered_name", "get_registered_object", "register_keras_serializable",
           "registered_key", "registered_with_class_name"]

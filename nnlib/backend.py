"""Number types and input checking shared by every component.

nnlib computes in float32 unless told otherwise, as Keras does.  The default
is global (``set_floatx``); ``floatx_scope`` changes it for a ``with`` block,
which is how the gradient checker runs everything in float64.
"""
from contextlib import contextmanager

import numpy as np

_FLOATX = "float32"
_ALLOWED = ("float16", "float32", "float64")


def floatx():
    """Return the default float type, ``"float32"`` unless changed."""
    return _FLOATX


def set_floatx(dtype):
    """Set the default float type of components created from now on.

    >>> set_floatx("float64"); floatx()
    'float64'
    >>> set_floatx("float32")
    """
    global _FLOATX
    name = np.dtype(dtype).name
    if name not in _ALLOWED:
        raise ValueError(f"floatx must be one of {_ALLOWED}, got {dtype!r}")
    _FLOATX = name


@contextmanager
def floatx_scope(dtype):
    """Use ``dtype`` as the default float type inside a ``with`` block."""
    previous = floatx()
    set_floatx(dtype)
    try:
        yield
    finally:
        set_floatx(previous)


def standardize_dtype(dtype):
    """The name of a float dtype; ``None`` means the current ``floatx()``."""
    name = floatx() if dtype is None else np.dtype(dtype).name
    if name not in _ALLOWED:
        raise ValueError(f"dtype must be one of {_ALLOWED}, got {dtype!r}")
    return name


def as_float_array(x, dtype, owner):
    """Convert ``x`` to an array of ``dtype``, as Keras casts layer inputs.

    Booleans, integers and floats are cast; anything else (strings, objects,
    complex numbers) raises a ``TypeError`` that names ``owner``.
    """
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: expected numeric input, got dtype {array.dtype}")
    return array.astype(dtype, copy=False)

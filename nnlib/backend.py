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
    try:
        array = np.asarray(x)
    except ValueError:  # NumPy cannot make one array of it: a ragged nested list
        raise TypeError(f"{owner}: expected an array (or nested lists of numbers of one "
                        f"shape), got a ragged {type(x).__name__}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: expected numeric input, got dtype {array.dtype}")
    return array.astype(dtype, copy=False)


FLOAT16, FLOAT32 = np.dtype(np.float16), np.dtype(np.float32)


def working_dtype(dtype):
    """The dtype that arithmetic on ``dtype`` runs in: float32 for float16, else
    ``dtype`` itself.

    float16 stores numbers up to :math:`6.5 \\cdot 10^4` only, so a square, a
    sum or a difference of two large values overflows on the way to a result
    that fits: float16 arrays are computed in float32 and the results rounded
    back to float16, as Keras does for its float16 statistics (``moments``).
    Activations and losses both follow this rule.
    """
    dtype = np.dtype(dtype)
    return FLOAT32 if dtype == FLOAT16 else dtype


def widened(x):
    """``x`` in its ``working_dtype``: a float32 copy if it is float16, else ``x``
    itself (tested first: this runs in every activation's forward and backward)."""
    return x.astype(FLOAT32) if x.dtype == FLOAT16 else x

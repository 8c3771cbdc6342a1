"""Arrays made from nothing or from another array's type, and the ops that
leave the tape: ``cast``, ``stop_gradient``, ``convert_to_numpy``."""
import numpy as np

from nnlib.backend import floatx
from nnlib.ops.tape import trace, unwrap


def zeros(shape, dtype=None):
    """An array of zeros (the default float type for ``dtype=None``)."""
    return np.zeros(shape, dtype=dtype or floatx())


def ones(shape, dtype=None):
    """An array of ones (the default float type for ``dtype=None``)."""
    return np.ones(shape, dtype=dtype or floatx())


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape and dtype (or ``dtype``): a constant, no gradient."""
    return np.zeros_like(unwrap(x), dtype=dtype)


def cast_forward(x, dtype):
    return np.asarray(x).astype(dtype)


def cast(x, dtype):
    """``x`` as ``dtype``; vjp :math:`\\bar x = \\bar y` in ``x``'s dtype (none to
    or from an integer or boolean type)."""
    return trace(cast_forward, cast_vjp, x, dtype=dtype)


def cast_vjp(dy, y, x, dtype):
    return (np.asarray(dy).astype(np.result_type(x)),)


def stop_gradient(variable):
    """The value of ``variable`` as a constant: the tape sends no gradient through it.

    A view, not the array itself, since a watched array is recognised by identity.
    """
    return np.asarray(unwrap(variable)).view()


def convert_to_numpy(x):
    """``x`` as a NumPy array (a tensor's value)."""
    return np.asarray(unwrap(x))

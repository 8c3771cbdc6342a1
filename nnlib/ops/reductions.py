"""Reductions along axes: ``sum``, ``mean``, ``max``, ``min``. Each vjp spreads
the upstream gradient back over the reduced axes (``spread``)."""
import numpy as np

from nnlib.ops.tape import trace


def spread(dy, shape, axis, keepdims):
    """The gradient ``dy`` of a reduction, broadcast back to the input's ``shape``."""
    if axis is not None and not keepdims:
        dy = np.expand_dims(dy, axis)
    elif axis is None and not keepdims:
        dy = np.reshape(dy, (1,) * len(shape))
    return np.broadcast_to(dy, shape)


def sum(x, axis=None, keepdims=False):
    """:math:`y = \\sum_i x_i` over ``axis`` (all axes for ``None``); vjp
    :math:`\\bar x_i = \\bar y`, copied along the summed axes."""
    return trace(np.sum, sum_vjp, x, axis=axis, keepdims=keepdims)


def sum_vjp(dy, y, x, axis, keepdims):
    return (spread(dy, np.shape(x), axis, keepdims),)


def mean(x, axis=None, keepdims=False):
    """:math:`y = \\frac1n \\sum_i x_i` over ``axis``; vjp :math:`\\bar x_i = \\bar y / n`."""
    return trace(np.mean, mean_vjp, x, axis=axis, keepdims=keepdims)


def mean_vjp(dy, y, x, axis, keepdims):
    count = np.size(x) // np.size(y) if np.size(y) else 1  # inputs per output
    return (spread(dy, np.shape(x), axis, keepdims) / count,)


def max(x, axis=None, keepdims=False, initial=None):
    """:math:`y = \\max_i x_i` over ``axis`` (and ``initial``, if given); vjp
    :math:`\\bar x_i = \\bar y` at the maximum, shared equally between tied
    maxima, 0 elsewhere (all 0 where ``initial`` is the maximum)."""
    given = {} if initial is None else {"initial": initial}
    return trace(np.max, extremum_vjp, x, axis=axis, keepdims=keepdims, **given)


def argmax(x, axis=None, keepdims=False):
    """The index of the largest entry along ``axis`` (of the flattened ``x`` for
    ``None``), as ``int32`` like Keras's; an integer, so no gradient."""
    return trace(argmax_forward, None, x, axis=axis, keepdims=keepdims)


def argmax_forward(x, axis, keepdims):
    return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int32)


def argmin(x, axis=None, keepdims=False):
    """The index of the smallest entry along ``axis``, as ``int32``; no gradient."""
    return trace(argmin_forward, None, x, axis=axis, keepdims=keepdims)


def argmin_forward(x, axis, keepdims):
    return np.argmin(x, axis=axis, keepdims=keepdims).astype(np.int32)


def min(x, axis=None, keepdims=False, initial=None):
    """:math:`y = \\min_i x_i` over ``axis`` (and ``initial``); vjp as for ``max``."""
    given = {} if initial is None else {"initial": initial}
    return trace(np.min, extremum_vjp, x, axis=axis, keepdims=keepdims, **given)


def extremum_vjp(dy, y, x, axis, keepdims, initial=None):
    shape = np.shape(x)
    at_extremum = x == spread(y, shape, axis, keepdims)
    ties = np.maximum(np.sum(at_extremum, axis=axis, keepdims=True), 1)  # 0 where initial won
    return (spread(dy, shape, axis, keepdims) * at_extremum / ties,)

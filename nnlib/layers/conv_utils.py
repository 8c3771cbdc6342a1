"""Windows over spatial axes: the shape rules and index tricks that
convolution and pooling share.

Inputs are channels-last, ``(batch, *spatial, channels)``.  A window of
``kernel_size`` cells, spread ``dilation`` apart, slides by ``strides``.
Along one axis of length :math:`n`, with kernel :math:`k`, stride :math:`s`
and dilation :math:`d`, the window covers :math:`(k-1)d + 1` cells and the
output has

.. math::

    n_\\text{out} = \\left\\lfloor \\frac{n - (k-1)d - 1}{s} \\right\\rfloor + 1
    \\;\\;\\text{("valid")}, \\qquad
    n_\\text{out} = \\left\\lceil \\frac{n}{s} \\right\\rceil
    \\;\\;\\text{("same", "causal")}

cells.  ``"same"`` pads :math:`\\max((n_\\text{out}-1)s + (k-1)d + 1 - n, 0)`
cells, half before and the odd one after (Keras's rule, from TensorFlow);
``"causal"`` (1-D convolutions) puts :math:`(k-1)d` cells before, none after.

Every window reads the input at one *offset* per kernel cell.  For the
offset :math:`(i, j)` the cells read by all windows at once form a strided
view of the padded input, ``xp[:, i*d : : s, j*d : : s, :]`` cut to the
output's size.  Convolution and pooling are loops over these views.
"""
import functools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..checks import one_of, whole_numbers


def normalize_tuple(value, rank, name, owner):
    """``3`` -> ``(3, 3)`` for ``rank`` 2: a whole number ``>= 1`` or a tuple of
    ``rank`` of them (``2.0`` is 2; ``2.5``, ``0`` and ``"2"`` are errors)."""
    return whole_numbers(owner, name, value, length=rank, single=True)


def normalize_padding(padding, allowed, owner):
    """The padding name in lower case, one of ``allowed``."""
    return one_of(owner, "padding", padding, allowed)


def output_length(length, kernel, stride, dilation, padding):
    """Output cells along one axis (``None`` stays ``None``); see the module docstring."""
    if length is None:
        return None
    if padding == "valid":
        return (length - (kernel - 1) * dilation - 1) // stride + 1
    return -(-length // stride)


def padding_amounts(length, kernel, stride, dilation, padding):
    """Cells added ``(before, after)`` along one axis."""
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return extent - 1, 0
    total = max((output_length(length, kernel, stride, dilation, padding) - 1) * stride
                + extent - length, 0)
    return total // 2, total - total // 2


def output_shape(spatial, kernel_size, strides, dilation, padding):
    """The output's spatial shape for an input of spatial shape ``spatial``."""
    return tuple(output_length(n, k, s, d, padding)
                 for n, k, s, d in zip(spatial, kernel_size, strides, dilation))


def check_rank(owner, shape, rank):
    """Raise ``owner``'s error unless ``shape`` is one input of ``rank`` spatial axes."""
    if isinstance(shape, list) or len(shape) != rank + 2:
        axes = ("steps",) if rank == 1 else ("height", "width")
        raise owner.error(f"expected input of rank {rank + 2} "
                          f"(batch, {', '.join(axes)}, channels), got shape {shape}")


def check_spatial_shape(owner, shape, kernel_size, strides, dilation, padding):
    """Raise ``owner``'s error if a ``"valid"`` window does not fit in the input."""
    spatial = tuple(shape[1:-1])
    out = output_shape(spatial, kernel_size, strides, dilation, padding)
    if any(o is not None and o <= 0 for o in out):
        extent = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation))
        raise owner.error(f"input of spatial shape {spatial} is smaller than the window "
                          f"{extent} with padding '{padding}', got shape {shape}")


def pad_spatial(x, pads, value=0.0):
    """``x`` with ``pads[a] = (before, after)`` cells of ``value`` on spatial axis ``a``.

    (What ``np.pad`` does, without its overhead, which dominates on small inputs.)
    """
    if not any(before or after for before, after in pads):
        return x
    shape = [n + before + after for n, (before, after) in zip(x.shape[1:-1], pads)]
    xp = np.full((len(x), *shape, x.shape[-1]), value, x.dtype)
    unpad_spatial(xp, pads)[...] = x
    return xp


def unpad_spatial(xp, pads):
    """The part of a padded array that the input occupied."""
    index = tuple(slice(before, xp.shape[axis + 1] - after)
                  for axis, (before, after) in enumerate(pads))
    return xp[(slice(None), *index)]


@functools.cache
def window_offsets(kernel_size):
    """Every cell of a window, ``(0, 0), (0, 1), ...`` in row-major order."""
    return tuple(np.ndindex(*kernel_size))


def offset_view(xp, offset, strides, dilation, out_shape):
    """The cells read at ``offset`` by all windows: shape ``(batch, *out_shape, channels)``.

    A view, not a copy, so ``view += values`` writes into ``xp``; within one
    offset no two windows read the same cell.
    """
    index = tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                  for i, s, d, o in zip(offset, strides, dilation, out_shape))
    return xp[(slice(None), *index)]


def im2col(xp, kernel_size, strides, dilation, out_shape):
    """Every window of the padded input as one row: shape ``(batch * prod(out), prod(k) * C)``.

    ``sliding_window_view`` gives the windows without copying, as
    ``(batch, *positions, C, *kernel)``; stepping by ``strides`` and
    ``dilation`` keeps the wanted ones, and moving ``C`` last orders each row
    as the kernel ``(*kernel, C, filters)`` is laid out, so one reshape of the
    kernel turns the convolution into one matrix product.
    """
    rank = len(kernel_size)
    extent = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation))
    windows = sliding_window_view(xp, extent, axis=tuple(range(1, rank + 1)))
    positions = tuple(slice(None, s * (o - 1) + 1, s) for s, o in zip(strides, out_shape))
    cells = tuple(slice(None, None, d) for d in dilation)
    windows = windows[(slice(None), *positions, slice(None), *cells)]
    order = (0, *range(1, rank + 1), *range(rank + 2, 2 * rank + 2), rank + 1)
    return windows.transpose(order).reshape(-1, math.prod(kernel_size) * xp.shape[-1])


def column_sums(matrix):
    """``matrix.sum(axis=0)`` as a matrix-vector product, which BLAS runs several
    times faster than NumPy's reduction over a tall array's first axis."""
    return np.ones(matrix.shape[0], matrix.dtype) @ matrix

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

A *transposed* convolution runs the other way: each input cell spreads
its values over a window of the output, so along one axis the full output
has :math:`(n-1)s + (k-1)d + 1` cells, which Keras then crops (``"same"``:
to :math:`ns`; ``"valid"``: nothing, or zeros added after for an
``output_padding``); see ``transpose_crops``.

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


def normalize_tuple(value, rank, name, owner, minimum=1):
    """``3`` -> ``(3, 3)`` for ``rank`` 2: a whole number ``>= minimum`` or a tuple
    of ``rank`` of them (``2.0`` is 2; ``2.5``, ``0`` and ``"2"`` are errors)."""
    return whole_numbers(owner, name, value, length=rank, minimum=minimum, single=True)


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


def transpose_crops(kernel, stride, dilation, padding, output_padding=None):
    """Cells cut ``(before, after)`` from a transposed convolution's full output.

    The full output of an axis of :math:`n` cells has :math:`(n-1)s + e`
    cells, :math:`e = (k-1)d + 1` the window's extent.  Keras (following
    TensorFlow) keeps :math:`(n-1)s + \\max(e, s)` cells for ``"valid"`` and
    :math:`ns` for ``"same"``; an ``output_padding`` :math:`p` asks for
    :math:`(n-1)s + e + p` (``"valid"``) or :math:`(n-1)s + (e \\bmod 2) + p`
    (``"same"``) instead.  Keras pads the (stride-dilated) input by
    ``total`` cells in all, at most :math:`e - 1` and the odd one before, and
    correlates with the flipped kernel; a crop is what that padding lacks of
    :math:`e - 1`.  ``before`` is never negative; a negative ``after`` means
    that many zero cells are added after the full output.

    >>> transpose_crops(3, 2, 1, "same")        # 2n cells of the 2n + 1: the last one cut
    (0, 1)
    >>> transpose_crops(3, 2, 1, "valid", 1)    # (n - 1) 2 + 3 + 1: one zero cell after
    (0, -1)
    """
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return 0, -extra
    total = stride + extent - 2 if output_padding is None else \
        extent + extent % 2 - 2 + output_padding
    kept_before = min(total - total // 2, extent - 1)
    return extent - 1 - kept_before, extent - 1 - (total - kept_before)


def transpose_output_length(length, kernel, stride, dilation, padding, output_padding=None):
    """A transposed convolution's output cells along one axis (Keras's
    ``compute_conv_transpose_output_shape``); ``None`` stays ``None``."""
    if length is None:
        return None
    before, after = transpose_crops(kernel, stride, dilation, padding, output_padding)
    return (length - 1) * stride + (kernel - 1) * dilation + 1 - before - after


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


def spread_windows(delta, kernel, strides, dilation, padded_shape):
    """Each cell of ``delta`` spread over its window, times the kernel: shape ``padded_shape``.

    The adjoint of the window product :math:`z = X_\\text{cols} W_\\text{mat}`:
    with ``kernel`` of shape ``(*kernel_size, C, F)`` and ``delta`` of shape
    ``(batch, *out, F)``, cell :math:`\\mathbf{p}\\mathbf{s} + \\mathbf{u}\\mathbf{d}`
    of the result receives :math:`\\sum_\\mathbf{p} \\delta_\\mathbf{p}
    W_\\mathbf{u}^\\top` (``C`` values).  It is a convolution's input gradient
    (``delta`` its output gradient) and a transposed convolution's forward
    pass (``delta`` its input).  One small product per kernel offset, added
    into that offset's strided view.
    """
    out, channels = delta.shape[1:-1], kernel.shape[-2]
    delta_2d = delta.reshape(-1, kernel.shape[-1])
    spread = np.zeros(padded_shape, delta.dtype)
    for offset in window_offsets(kernel.shape[:-2]):
        view = offset_view(spread, offset, strides, dilation, out)
        view += (delta_2d @ kernel[offset].T).reshape(len(delta), *out, channels)
    return spread


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

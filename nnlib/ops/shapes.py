"""Ops that move values without changing them: reshaping, transposing,
joining, splitting and indexing. Each vjp moves the gradient back."""
import numpy as np

from nnlib.ops.tape import trace, unwrap


def reshape(x, newshape):
    """:math:`y` = ``x`` with shape ``newshape``; vjp :math:`\\bar x` = :math:`\\bar y`
    reshaped back."""
    return trace(np.reshape, same_shape_vjp, x, newshape)


def same_shape_vjp(dy, y, x, *_):
    """The gradient of an op that only changes the shape: reshaped back."""
    return np.reshape(dy, np.shape(x)), None


def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis``; vjp: the axis removed."""
    return trace(np.expand_dims, same_shape_vjp, x, axis)


def squeeze(x, axis=None):
    """``x`` without its axes of size 1 (or only ``axis``); vjp: the axes put back."""
    return trace(np.squeeze, same_shape_vjp, x, axis)


def transpose(x, axes=None):
    """:math:`y` = ``x`` with its axes permuted (reversed for ``None``); vjp:
    the inverse permutation."""
    return trace(np.transpose, transpose_vjp, x, axes)


def transpose_vjp(dy, y, x, axes):
    order = np.arange(np.ndim(x))[::-1] if axes is None else np.argsort(axes)
    return np.transpose(dy, order), None


def concatenate_forward(*xs, axis):
    return np.concatenate(xs, axis=axis)


def concatenate(xs, axis=0):
    """The arrays ``xs`` joined along an existing ``axis``; vjp: :math:`\\bar y`
    cut back into pieces of their sizes."""
    return trace(concatenate_forward, concatenate_vjp, *xs, axis=axis)


def concatenate_vjp(dy, y, *xs, axis):
    ends = np.cumsum([np.shape(x)[axis] for x in xs])[:-1]
    return np.split(dy, ends, axis=axis)


def stack_forward(*xs, axis):
    return np.stack(xs, axis=axis)


def stack(x, axis=0):
    """The arrays in ``x`` joined along a new ``axis``; vjp: the slices of
    :math:`\\bar y` along that axis."""
    return trace(stack_forward, stack_vjp, *x, axis=axis)


def stack_vjp(dy, y, *xs, axis):
    return [np.take(dy, i, axis=axis) for i in range(len(xs))]


def getitem(x, index):
    """``x[index]`` (also Python's ``x[i]`` on a tensor); vjp: the scatter-add
    :math:`\\bar x[\\text{index}] \\mathrel{+}= \\bar y` (an entry read twice gets both)."""
    return trace(getitem_forward, getitem_vjp, x, index=index)


def getitem_forward(x, index):
    return np.asarray(x)[index]


def getitem_vjp(dy, y, x, index):
    dx = np.zeros(np.shape(x), dtype=np.result_type(dy))
    np.add.at(dx, index, dy)
    return (dx,)


def take(x, indices, axis=None):
    """The entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x``
    for ``None``); vjp: the scatter-add of :math:`\\bar y` at those indices."""
    indices = np.asarray(unwrap(indices))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, got dtype {indices.dtype}")
    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    axis = axis % np.ndim(unwrap(x))
    return getitem(x, (slice(None),) * axis + (indices,))


def split(x, indices_or_sections, axis=0):
    """``x`` cut along ``axis`` into equal sections or at the given indices
    (each piece an indexing op, so each has the scatter-add vjp)."""
    size = np.shape(unwrap(x))[axis]
    if isinstance(indices_or_sections, int):
        if indices_or_sections < 1 or size % indices_or_sections:
            raise ValueError(f"split: an axis of size {size} does not split into "
                             f"{indices_or_sections} equal sections")
        step = size // indices_or_sections
        indices_or_sections = list(range(step, size, step))
    bounds = [0, *indices_or_sections, size]
    axis = axis % np.ndim(unwrap(x))
    return [getitem(x, (slice(None),) * axis + (slice(start, stop),))
            for start, stop in zip(bounds[:-1], bounds[1:])]

"""Merge layers: combine several tensors into one (``Add()([a, b])``).

They make non-linear topologies possible in the Functional API: residual
connections (``Add``), gates (``Multiply``), branches joined side by side
(``Concatenate``).  Each takes a list of inputs and its backward pass returns
a list of input gradients, one per input.

Shapes must agree exactly (for ``Concatenate``, in every axis but the joined
one).  Keras also broadcasts axes of length 1 in the element-wise merges
(``(None, 3)`` plus ``(None, 1)``); nnlib refuses, so that a shape mistake
fails where it is made instead of silently spreading one column over three.
Masks (see ``nnlib.layers.base``) pass through as in Keras: a position is
kept if every input keeps it; ``Concatenate`` along a masked axis joins the
masks.
"""
import numpy as np

from ..checks import describe, whole_number
from ..registry import register
from .base import Layer


class Merge(Layer):
    """Base class of element-wise merges: inputs of one shape, output of that shape.

    Subclasses give ``combine(xs)`` and ``input_gradients(dy, xs, y)``.
    """

    min_inputs = 2
    max_inputs = None
    supports_masking = True
    several_inputs = True

    def check_input_shape(self, shapes):
        if not isinstance(shapes, list):
            raise self.error(f"expected a list of inputs, got one input of shape {shapes}")
        if len(shapes) < self.min_inputs or (self.max_inputs and len(shapes) > self.max_inputs):
            expected = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                        else f"at least {self.min_inputs}")
            raise self.error(f"expected {expected} inputs, got {len(shapes)}")
        self.check_compatible(shapes)

    def check_compatible(self, shapes):
        """Element-wise merges need equal shapes: nothing is broadcast."""
        first = tuple(shapes[0])
        for shape in shapes[1:]:
            if not _same_shape(first, tuple(shape)):
                raise self.error(f"expected inputs of one shape, got shapes "
                                 f"{list(map(tuple, shapes))}")

    def compute_output_shape(self, shapes):
        return tuple(shapes[0])

    def compute_mask(self, xs, masks):
        """A position is kept if every input keeps it (an input without a mask keeps all)."""
        present = [m for m in masks or [] if m is not None]
        return np.logical_and.reduce(present) if present else None

    def forward(self, xs, *, training=False):
        y = self.combine(xs)
        return y, (xs, y)

    def backward(self, dy, cache, *, need_dx=True):
        xs, y = cache
        return (self.input_gradients(dy, xs, y) if need_dx else None), {}

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), tuple(rng.normal(size=(3, 4)) for _ in range(max(cls.min_inputs, 2)))


def _same_shape(a, b):
    return len(a) == len(b) and all(p is None or q is None or p == q for p, q in zip(a, b))


@register("layer", family="Merging", aliases=("add",),
          description="Element-wise sum of its inputs",
          use_case="Residual (skip) connections")
class Add(Merge):
    """:math:`y = \\sum_k x_k`; each input receives the whole gradient:
    :math:`\\partial L/\\partial x_k = \\partial L/\\partial y`.

    >>> Add()([np.ones((1, 2)), np.ones((1, 2))])
    array([[2., 2.]], dtype=float32)
    """

    def combine(self, xs):
        return sum(xs[1:], xs[0])

    def input_gradients(self, dy, xs, y):
        return [dy for _ in xs]


@register("layer", family="Merging", aliases=("subtract",),
          description="Difference of exactly two inputs",
          use_case="Comparing two branches, e.g. in siamese networks")
class Subtract(Merge):
    """:math:`y = x_1 - x_2`; :math:`\\partial L/\\partial x_1 = \\partial L/\\partial y`,
    :math:`\\partial L/\\partial x_2 = -\\partial L/\\partial y`."""

    max_inputs = 2

    def combine(self, xs):
        return xs[0] - xs[1]

    def input_gradients(self, dy, xs, y):
        return [dy, -dy]


@register("layer", family="Merging", aliases=("multiply",),
          description="Element-wise product of its inputs",
          use_case="Gating one branch by another")
class Multiply(Merge):
    """:math:`y = \\prod_k x_k`; :math:`\\partial L/\\partial x_k =
    \\partial L/\\partial y \\cdot \\prod_{j \\ne k} x_j`."""

    def combine(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y

    def input_gradients(self, dy, xs, y):
        return [dy * self.combine(xs[:k] + xs[k + 1:]) for k in range(len(xs))]


@register("layer", family="Merging", aliases=("average",),
          description="Element-wise mean of its inputs",
          use_case="Ensembling branches")
class Average(Merge):
    """:math:`y = \\frac1K \\sum_k x_k`; :math:`\\partial L/\\partial x_k =
    \\frac1K \\partial L/\\partial y`."""

    def combine(self, xs):
        return sum(xs[1:], xs[0]) / len(xs)

    def input_gradients(self, dy, xs, y):
        return [dy / len(xs) for _ in xs]


class Extremum(Merge):
    """Base class of ``Maximum`` and ``Minimum``: the extreme of the inputs at
    each position; the gradient goes to the input that holds it (to the first
    of them on a tie), the others get zero there."""

    pick = None  # np.argmax or np.argmin, as a staticmethod

    def combine(self, xs):
        stacked = np.stack(xs)
        return np.take_along_axis(stacked, self.pick(stacked, axis=0)[None], axis=0)[0]

    def input_gradients(self, dy, xs, y):
        winner = self.pick(np.stack(xs), axis=0)
        return [np.where(winner == k, dy, 0).astype(dy.dtype) for k in range(len(xs))]


@register("layer", family="Merging", aliases=("maximum",),
          description="Element-wise maximum of its inputs",
          use_case="Keeping the strongest response of several branches")
class Maximum(Extremum):
    """:math:`y = \\max_k x_k`; the gradient goes to the input that holds the
    maximum (to the first of them on a tie).

    >>> Maximum()([np.array([[1., 5.]]), np.array([[3., 2.]])])
    array([[3., 5.]], dtype=float32)
    """

    pick = staticmethod(np.argmax)


@register("layer", family="Merging", aliases=("minimum",),
          description="Element-wise minimum of its inputs",
          use_case="Keeping the weakest response of several branches, e.g. a clipped estimate")
class Minimum(Extremum):
    """:math:`y = \\min_k x_k`; the gradient goes to the input that holds the
    minimum (to the first of them on a tie).

    >>> Minimum()([np.array([[1., 5.]]), np.array([[3., 2.]])])
    array([[1., 2.]], dtype=float32)
    """

    pick = staticmethod(np.argmin)


@register("layer", family="Merging", aliases=("concatenate",),
          description="Joins its inputs along one axis",
          use_case="Combining features of several branches or inputs")
class Concatenate(Merge):
    """:math:`y = [x_1, x_2, \\dots]` along ``axis``, an integer (default -1, the
    last); the gradient is split back into the inputs' slices.  ``axis`` must
    be an axis of the inputs other than the batch axis: Keras also joins along
    the batch axis (two batches of 2 make one of 4), which no model's output
    can use, and nnlib refuses it.

    >>> Concatenate()([np.ones((2, 1)), np.zeros((2, 3))]).shape
    (2, 4)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = whole_number(describe(self), "axis", axis, minimum=None)

    def check_compatible(self, shapes):
        rank = len(shapes[0])
        axes = [*range(1, rank), *range(1 - rank, 0)]  # all but the batch axis
        if self.axis not in axes:
            raise self.error(f"axis must be an axis of the inputs other than the batch axis, "
                             f"one of {axes}, got axis={self.axis} for inputs of shapes "
                             f"{list(map(tuple, shapes))}")
        ranks = {len(s) for s in shapes}
        axis = self.axis % rank
        drop_axis = [tuple(s[:axis]) + tuple(s[axis + 1:]) for s in shapes]
        if len(ranks) != 1 or not all(_same_shape(drop_axis[0], s) for s in drop_axis[1:]):
            raise self.error(f"expected inputs equal in every axis but {self.axis}, "
                             f"got shapes {list(map(tuple, shapes))}")

    def compute_output_shape(self, shapes):
        axis = self.axis % len(shapes[0])
        sizes = [s[axis] for s in shapes]
        shape = list(shapes[0])
        shape[axis] = None if None in sizes else sum(sizes)
        return tuple(shape)

    def compute_mask(self, xs, masks):
        """Joined along ``axis`` if that axis is masked (not the last), else as ``Merge``."""
        present = [m for m in masks or [] if m is not None]
        axis = self.axis % xs[0].ndim
        if not present or axis == xs[0].ndim - 1:
            return super().compute_mask(xs, masks)
        filled = [np.ones(x.shape[:-1], bool) if m is None else m for x, m in zip(xs, masks)]
        return np.concatenate(filled, axis=axis)

    def combine(self, xs):
        return np.concatenate(xs, axis=self.axis)

    def input_gradients(self, dy, xs, y):
        boundaries = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return np.split(dy, boundaries, axis=self.axis)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(3, 2)), rng.normal(size=(3, 4)))


# Keras's functional helpers: ``add([a, b])`` is ``Add()([a, b])``; keyword
# arguments go to the layer (``name=...``).  On tensors they add a layer to the
# graph; on arrays they compute at once.

def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the element-wise sum of a list of tensors.

    >>> add([np.ones((1, 2)), np.ones((1, 2))])
    array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: the difference of a list of two tensors."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the element-wise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the element-wise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the element-wise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the element-wise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``: a list of tensors joined along ``axis``.

    >>> concatenate([np.ones((2, 1)), np.zeros((2, 3))]).shape
    (2, 4)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)

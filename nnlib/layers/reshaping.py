"""Flatten and Reshape: the same numbers, arranged differently.

Neither computes anything: the forward pass reshapes, the backward pass
reshapes the gradient back, :math:`\\partial L/\\partial x =
\\operatorname{reshape}(\\partial L/\\partial y, \\text{shape of } x)`.
The batch axis is never touched.
"""
import math

from ..checks import describe, whole_numbers
from ..registry import register
from .base import Layer


class Rearrange(Layer):
    """Base class: ``target(input_shape)`` gives the output shape without the batch axis."""

    def target(self, input_shape):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.target(tuple(input_shape)))

    def check_input_shape(self, shape):
        if isinstance(shape, list) or len(shape) < 1:
            raise self.error(f"expected one input with a batch axis, got shape {shape}")
        self.target(tuple(shape))

    def forward(self, x, *, training=False):
        return x.reshape(len(x), *self.target(x.shape)), x.shape

    def backward(self, dy, shape, *, need_dx=True):
        return (dy.reshape(shape) if need_dx else None), {}


@register("layer", family="Reshaping", aliases=("flatten",),
          description="Lays out each sample's values as one vector",
          use_case="Between convolutional feature maps and Dense layers")
class Flatten(Rearrange):
    """``(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)``, in row-major (C) order,
    so channels vary fastest for a channels-last feature map; a rank-1 input
    ``(batch,)`` becomes ``(batch, 1)``, as in Keras.

    >>> Flatten()(np.ones((2, 3, 4, 5))).shape
    (2, 60)
    """

    def target(self, input_shape):
        rest = input_shape[1:]
        return (None,) if None in rest else (math.prod(rest),)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(2, 3, 2, 2)),)


@register("layer", family="Reshaping", aliases=("reshape",),
          description="Gives each sample a new shape with the same number of values",
          use_case="Sequences to images and back; splitting an axis into two")
class Reshape(Rearrange):
    """``(batch, ...) -> (batch, *target_shape)``: ``target_shape`` is a tuple of
    sizes ``>= 1``, one of which may be ``-1``, inferred from the others.

    >>> Reshape((4, -1))(np.ones((2, 3, 4))).shape
    (2, 4, 3)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = whole_numbers(describe(self), "target_shape", target_shape,
                                          also=(-1,))
        if self.target_shape.count(-1) > 1:
            raise self.error(f"target_shape takes at most one -1 (the size to infer), got "
                             f"{target_shape}")

    def target(self, input_shape):
        rest = input_shape[1:]
        if None in rest:
            return tuple(None if d == -1 else d for d in self.target_shape)
        size, known = math.prod(rest), math.prod(d for d in self.target_shape if d != -1)
        if size % known if -1 in self.target_shape else size != known:
            raise self.error(f"cannot reshape each sample of {size} values to "
                             f"{self.target_shape}, got shape {input_shape}")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls((3, -1)), (rng.normal(size=(2, 2, 3)),)

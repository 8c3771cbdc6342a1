"""PReLU: a leaky ReLU whose negative slope is learned."""
import numpy as np

from .. import initializers, regularizers
from ..activations import away_from_zero
from ..checks import component, describe, whole_numbers
from ..initializers import RandomUniform
from ..registry import register
from .base import Layer


@register("layer", family="Activation",
          description="Leaky ReLU whose negative slope is a weight, one per unit",
          use_case="Deep CNNs where the best slope is unknown (He et al., 2015)")
class PReLU(Layer):
    """Parametric ReLU: :math:`f(x) = x` for :math:`x > 0` and :math:`\\alpha x`
    otherwise, with :math:`\\alpha` a weight learned like any other.

    .. math::

        y = \\max(x, 0) + \\alpha \\min(x, 0), \\qquad
        \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y}
            \\cdot \\begin{cases} 1 & x > 0 \\\\ \\alpha & x \\le 0 \\end{cases}, \\qquad
        \\frac{\\partial L}{\\partial \\alpha} = \\sum
            \\frac{\\partial L}{\\partial y} \\min(x, 0)

    where the last sum runs over the batch and the shared axes.

    Weight layout as in Keras: ``alpha`` has the input's shape without the
    batch axis, ``input_shape[1:]``, with a 1 on each of ``shared_axes``
    (e.g. ``shared_axes=[1, 2]`` on ``(batch, height, width, channels)``
    images gives one slope per channel, ``alpha`` of shape ``(1, 1, channels)``).

    Args:
        alpha_initializer: Keras's default, ``"zeros"`` (the layer starts as a ReLU).
        shared_axes: an axis or a list of axes (counting the batch as 0, so
            each ``>= 1``) that share one slope.

    ``alpha_regularizer`` is a penalty on the slopes; Keras's ``alpha_constraint``
    is not supported.

    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[[-2.0, 3.0], [1.0, -1.0]]])).tolist()
    [[[-2.0, 3.0], [1.0, -1.0]]]
    >>> layer.alpha.shape
    (1, 2)
    """

    supports_masking = True  # element-wise: a mask on the input holds for the output

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        component(owner, "alpha_initializer", initializers.get, alpha_initializer)
        self.alpha_initializer = alpha_initializer  # kept as given, for the config
        self.alpha_regularizer = component(owner, "alpha_regularizer", regularizers.get,
                                           alpha_regularizer)
        self.shared_axes = [] if shared_axes is None else \
            list(whole_numbers(owner, "shared_axes", shared_axes, single=True))

    def build(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) < 2 or None in input_shape[1:]:
            raise self.error(f"expected input of rank >= 2 with known axes after the "
                             f"batch, got shape {input_shape}")
        bad = [a for a in self.shared_axes if not 1 <= a < len(input_shape)]
        if bad:
            raise self.error(f"shared_axes must be axes 1..{len(input_shape) - 1} of the "
                             f"input of shape {input_shape}, got {self.shared_axes}")
        shape = [1 if axis in self.shared_axes else size
                 for axis, size in enumerate(input_shape[1:], start=1)]
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer)

    def check_input_shape(self, shape):
        expected = (None,) + tuple(None if axis in self.shared_axes else size
                                   for axis, size in enumerate(self.alpha.shape, start=1))
        if len(shape) != len(expected) or any(
                e is not None and e != s for e, s in zip(expected, shape)):
            raise self.error(f"expected input of shape {expected}, got shape {shape}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, *, training=False):
        return np.maximum(x, 0) + self.alpha.value * np.minimum(x, 0), x

    def backward(self, dy, cache, *, need_dx=True):
        x = cache
        summed = (0, *self.shared_axes)  # the batch axis and the axes sharing a slope
        d_alpha = (dy * np.minimum(x, 0)).sum(axis=summed, keepdims=True)
        grads = {"alpha": d_alpha.reshape(self.alpha.shape)}
        dx = dy * np.where(x > 0, 1, self.alpha.value) if need_dx else None
        return dx, grads

    @classmethod
    def gradient_check_sample(cls, rng):
        layer = cls(alpha_initializer=RandomUniform(0.1, 0.5), shared_axes=[1])
        return layer, (away_from_zero(rng, (4, 3, 5)),)

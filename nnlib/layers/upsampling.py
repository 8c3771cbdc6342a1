"""UpSampling2D: a larger image from a smaller one, by a fixed rule (nothing learned).

Both rules are linear and act on each axis separately, so along an axis of
:math:`n` cells upsampled :math:`s` times the output is a matrix
:math:`A \\in \\mathbb{R}^{sn \\times n}` times the input:

.. math::

    y_{b,\\,:,\\,:,\\,c} = A_h \\, x_{b,\\,:,\\,:,\\,c} \\, A_w^\\top, \\qquad
    \\frac{\\partial L}{\\partial x_{b,\\,:,\\,:,\\,c}} =
        A_h^\\top \\, \\frac{\\partial L}{\\partial y_{b,\\,:,\\,:,\\,c}} \\, A_w

for every sample :math:`b` and channel :math:`c`.  ``"nearest"`` repeats
each cell :math:`s` times (:math:`A_{o,i} = 1` if :math:`i = \\lfloor o/s
\\rfloor`), so its backward pass sums the gradient over each block of
:math:`s \\times s` copies.  ``"bilinear"`` blends the two nearest cells,
with cell centres aligned as PyTorch (``align_corners=False``) and Keras
compute it: output cell :math:`o` sits at input position
:math:`t = \\max((o + \\tfrac12)/s - \\tfrac12,\\, 0)` and gets
:math:`1 - (t - \\lfloor t \\rfloor)` of cell :math:`\\lfloor t \\rfloor` and
:math:`t - \\lfloor t \\rfloor` of the next one (the last cell stands in for
a next one past the edge).
"""
import numpy as np

from ..checks import describe, one_of
from ..registry import register
from . import conv_utils
from .base import Layer

INTERPOLATIONS = ("nearest", "bilinear")
KERAS_ONLY_INTERPOLATIONS = ("bicubic", "lanczos3", "lanczos5")


def interpolation_matrix(length, factor, interpolation, dtype):
    """:math:`A`, shape ``(factor * length, length)``: row :math:`o` holds the
    weights of the input cells that output cell :math:`o` reads."""
    out = np.arange(factor * length)
    matrix = np.zeros((factor * length, length), dtype)
    if interpolation == "nearest":
        matrix[out, out // factor] = 1
        return matrix
    position = np.maximum((out + 0.5) / factor - 0.5, 0)
    left = np.floor(position).astype(int)
    right = np.minimum(left + 1, length - 1)
    weight_right = position - left
    np.add.at(matrix, (out, left), 1 - weight_right)
    np.add.at(matrix, (out, right), weight_right)
    return matrix


def apply_on_axes(x, rows, cols):
    """:math:`A_h x A_w^\\top` for every sample and channel of ``x``, shape
    ``(batch, h, w, c)``: two matrix products, over height then over width."""
    batch, height, width, channels = x.shape
    over_height = rows @ x.reshape(batch, height, width * channels)
    over_width = cols @ over_height.reshape(-1, width, channels)
    return over_width.reshape(batch, len(rows), len(cols), channels)


@register("layer", family="Reshaping", aliases=("upsampling2d",),
          description="Enlarges images by repeating or blending their pixels",
          use_case="Decoders and segmentation models, before a convolution")
class UpSampling2D(Layer):
    """``(batch, h, w, c) -> (batch, s_h h, s_w w, c)``; see the module for the maths.

    Args:
        size: the factors ``(s_h, s_w)``, whole numbers ``>= 1`` (one number
            for both); Keras's default ``(2, 2)``.
        interpolation: ``"nearest"`` (Keras's default) or ``"bilinear"``.
            Keras on some backends also offers ``"bicubic"`` and the Lanczos
            filters; nnlib refuses them.

    Differences from Keras: channels-last only.

    >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> UpSampling2D()(x)[0, :, :, 0]
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]], dtype=float32)
    >>> UpSampling2D(interpolation="bilinear")(x)[0, :, :, 0]
    array([[0.  , 0.25, 0.75, 1.  ],
           [0.5 , 0.75, 1.25, 1.5 ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.  , 2.25, 2.75, 3.  ]], dtype=float32)
    """

    def __init__(self, size=(2, 2), interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        self.size = conv_utils.normalize_tuple(size, 2, "size", owner)
        if isinstance(interpolation, str) and interpolation.lower() in KERAS_ONLY_INTERPOLATIONS:
            raise ValueError(f"{owner}: interpolation={interpolation!r} is not supported by "
                             f"nnlib (only {INTERPOLATIONS})")
        self.interpolation = one_of(owner, "interpolation", interpolation, INTERPOLATIONS)

    def check_input_shape(self, shape):
        conv_utils.check_rank(self, shape, 2)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, *(None if n is None else n * s for n, s in zip((height, width), self.size)),
                channels)

    def forward(self, x, *, training=False):
        rows, cols = (interpolation_matrix(n, s, self.interpolation, x.dtype)
                      for n, s in zip(x.shape[1:3], self.size))
        return apply_on_axes(x, rows, cols), (rows, cols)

    def backward(self, dy, cache, *, need_dx=True):
        rows, cols = cache
        return (apply_on_axes(dy, rows.T, cols.T) if need_dx else None), {}

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls((2, 3), interpolation="bilinear"), (rng.normal(size=(2, 3, 2, 2)),)

"""Pooling layers: the maximum or the mean of each window, or of the whole map.

``MaxPooling1D/2D`` and ``AveragePooling1D/2D`` slide a window of
``pool_size`` cells by ``strides`` (default: ``pool_size``, so windows do not
overlap), with the window rules of ``nnlib.layers.conv_utils``.
``GlobalMaxPooling1D/2D`` and ``GlobalAveragePooling1D/2D`` take one window
as large as the input.  None has weights; each keeps the channels apart.
"""
import numpy as np

from ..checks import describe, flag
from ..registry import register
from . import conv_utils
from .base import Layer


class Pooling(Layer):
    """A window reduction over ``rank`` spatial axes (Keras's ``BasePooling``).

    Subclasses give ``pool(xp, pads, out) -> (y, cache)`` over the padded
    input and ``unpool(dxp, dy, cache)``, which adds the input gradient into
    the zeros ``dxp``; this class handles sizes, padding and errors.
    """

    rank = None
    pad_value = 0.0  # what padded cells hold (max pooling pads with -inf)

    def __init__(self, pool_size, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        self.pool_size = conv_utils.normalize_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = (self.pool_size if strides is None else
                        conv_utils.normalize_tuple(strides, self.rank, "strides", owner))
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"), owner)

    @property
    def dilation(self):
        return (1,) * self.rank

    def check_input_shape(self, shape):
        conv_utils.check_rank(self, shape, self.rank)
        conv_utils.check_spatial_shape(self, shape, self.pool_size, self.strides,
                                       self.dilation, self.padding)

    def compute_output_shape(self, input_shape):
        spatial = conv_utils.output_shape(input_shape[1:-1], self.pool_size, self.strides,
                                          self.dilation, self.padding)
        return (input_shape[0], *spatial, input_shape[-1])

    def forward(self, x, *, training=False):
        spatial = x.shape[1:-1]
        pads = [conv_utils.padding_amounts(n, k, s, d, self.padding)
                for n, k, s, d in zip(spatial, self.pool_size, self.strides, self.dilation)]
        out = conv_utils.output_shape(spatial, self.pool_size, self.strides, self.dilation,
                                      self.padding)
        xp = conv_utils.pad_spatial(x, pads, self.pad_value)
        y, cache = self.pool(xp, pads, out)
        return y, (xp.shape, pads, cache)

    def backward(self, dy, cache, *, need_dx=True):
        if not need_dx:  # no weights: nothing to compute
            return None, {}
        padded_shape, pads, pool_cache = cache
        dxp = np.zeros(padded_shape, dy.dtype)
        self.unpool(dxp, dy, pool_cache)
        return conv_utils.unpad_spatial(dxp, pads), {}

    def views(self, xp, out):
        """The strided view of ``xp`` at each offset of the window."""
        return [conv_utils.offset_view(xp, offset, self.strides, self.dilation, out)
                for offset in conv_utils.window_offsets(self.pool_size)]

    @classmethod
    def gradient_check_sample(cls, rng):
        """Overlapping windows over a padded border, on distinct values (no ties)."""
        return cls(pool_size=3, strides=2, padding="same"), (no_ties(rng, cls.rank),)


def no_ties(rng, rank):
    """Distinct values in a random order: a maximum is never shared."""
    shape = (2, 5, 3) if rank == 1 else (2, 5, 4, 3)
    return rng.permutation(np.prod(shape)).reshape(shape) / 10.0


class MaxPooling(Pooling):
    """The largest value of each window; its gradient goes to that one cell.

    .. math::

        y_{n,\\mathbf{p},c} = \\max_{\\mathbf{u}} \\, x^{\\text{pad}}_{n,\\,
            \\mathbf{p}\\mathbf{s} + \\mathbf{u},\\, c}, \\qquad
        \\frac{\\partial L}{\\partial x_{\\text{winner}}} \\mathrel{+}=
            \\frac{\\partial L}{\\partial y_{n,\\mathbf{p},c}}

    and zero for every other cell of the window.  When several cells tie for
    the maximum, the first in row-major order wins, as in TensorFlow and
    PyTorch.  Padded cells hold :math:`-\\infty`, so they never win.
    """

    pad_value = -np.inf

    def pool(self, xp, pads, out):
        views = self.views(xp, out)
        y = views[0]
        for view in views[1:]:
            y = np.maximum(y, view)
        return y, (xp, y, out)

    def unpool(self, dxp, dy, cache):
        xp, y, out = cache
        taken = np.zeros(y.shape, bool)
        overlapping = any(s < k for s, k in zip(self.strides, self.pool_size))
        for view, d_view in zip(self.views(xp, out), self.views(dxp, out)):
            winner = (view == y) & ~taken
            taken |= winner
            if overlapping:
                d_view += dy * winner  # windows share cells: their gradients add up
            else:
                np.multiply(dy, winner, out=d_view)  # each cell in one window: write it


class AveragePooling(Pooling):
    """The mean of each window; its gradient is shared equally by the window's cells.

    .. math::

        y_{n,\\mathbf{p},c} = \\frac{1}{|W_\\mathbf{p}|} \\sum_{\\mathbf{u} \\in W_\\mathbf{p}}
            x_{n,\\, \\mathbf{p}\\mathbf{s} + \\mathbf{u},\\, c}, \\qquad
        \\frac{\\partial L}{\\partial x_{n,\\, \\mathbf{p}\\mathbf{s} + \\mathbf{u},\\, c}}
            \\mathrel{+}= \\frac{1}{|W_\\mathbf{p}|}
            \\frac{\\partial L}{\\partial y_{n,\\mathbf{p},c}}

    where :math:`W_\\mathbf{p}` holds the window's cells *inside* the input:
    with ``padding="same"`` a window hanging over the border averages only
    its real cells, as Keras does (TensorFlow's rule; PyTorch's
    ``count_include_pad=False``).  Keras 3.15 on the PyTorch backend differs
    where the padding is lopsided: it repeats the edge cell and counts it.
    """

    def pool(self, xp, pads, out):
        total = sum(self.views(xp, out))
        count = self.window_counts(xp.shape, pads, out).astype(xp.dtype)
        return total / count, count

    def unpool(self, dxp, dy, count):
        share = dy / count
        for d_view in self.views(dxp, out=dy.shape[1:-1]):
            d_view += share

    def window_counts(self, padded_shape, pads, out):
        """How many real (unpadded) cells each window covers: shape ``(1, *out, 1)``.

        Along one axis, window :math:`p` covers cells :math:`[ps, ps + k)` of
        the padded input, of which :math:`[b, b + n)` are real; the counts
        of the axes multiply.
        """
        count = np.ones((1,) * (self.rank + 2))
        for axis, ((before, after), k, s, o) in enumerate(
                zip(pads, self.pool_size, self.strides, out)):
            length = padded_shape[axis + 1] - before - after
            starts = np.arange(o) * s
            real = np.minimum(starts + k, before + length) - np.maximum(starts, before)
            shape = [1] * (self.rank + 2)
            shape[axis + 1] = o
            count = count * real.reshape(shape)
        return count


@register("layer", family="Pooling", aliases=("max_pooling1d", "max_pool1d"),
          description="Reduces dimensions: the largest value of each window of steps",
          use_case="Downsamples features along time; keeps the strongest response")
class MaxPooling1D(MaxPooling):
    """Max pooling over the steps of ``(batch, steps, channels)``; ``pool_size=2``.

    >>> MaxPooling1D()(np.array([[[1.0], [3.0], [2.0], [0.0]]]))[0, :, 0]
    array([3., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


@register("layer", family="Pooling", aliases=("max_pooling2d", "max_pool2d"),
          description="Reduces dimensions: the largest value of each window",
          use_case="Downsamples features (the usual choice after a convolution)")
class MaxPooling2D(MaxPooling):
    """Max pooling over height and width of ``(batch, height, width, channels)``;
    ``pool_size=(2, 2)`` halves both.

    >>> MaxPooling2D()(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


@register("layer", family="Pooling", aliases=("average_pooling1d", "avg_pool1d"),
          description="Reduces dimensions: the mean of each window of steps",
          use_case="Downsamples features along time; smooths")
class AveragePooling1D(AveragePooling):
    """Average pooling over the steps of ``(batch, steps, channels)``.

    >>> AveragePooling1D(2)(np.array([[[1.0], [3.0], [2.0], [0.0]]]))[0, :, 0]
    array([2., 1.], dtype=float32)
    """

    rank = 1


@register("layer", family="Pooling", aliases=("average_pooling2d", "avg_pool2d"),
          description="Reduces dimensions: the mean of each window",
          use_case="Downsamples features; smooths rather than picks")
class AveragePooling2D(AveragePooling):
    """Average pooling over height and width of ``(batch, height, width, channels)``.

    >>> AveragePooling2D(2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """

    rank = 2


class GlobalPooling(Layer):
    """A reduction over every spatial axis at once: ``(batch, *spatial, C) -> (batch, C)``
    (``(batch, 1, ..., 1, C)`` with ``keepdims=True``)."""

    rank = None

    def __init__(self, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = flag(describe(self), "keepdims", keepdims)

    def check_input_shape(self, shape):
        conv_utils.check_rank(self, shape, self.rank)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *(1,) * self.rank, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def shaped(self, y):
        """``(batch, C)`` as the layer returns it, with or without the kept axes."""
        return y.reshape(len(y), *(1,) * self.rank, -1) if self.keepdims else y

    @classmethod
    def gradient_check_sample(cls, rng):
        """The 2-D layers keep the pooled axes, so both output layouts are checked."""
        return cls(keepdims=cls.rank == 2), (no_ties(rng, cls.rank),)


class GlobalMaxPooling(GlobalPooling):
    """:math:`y_{n,c} = \\max_{\\mathbf{p}} x_{n,\\mathbf{p},c}`; the gradient goes to
    the first position holding the maximum, zero elsewhere."""

    def forward(self, x, *, training=False):
        flat = x.reshape(len(x), -1, x.shape[-1])
        winner = flat.argmax(axis=1)[:, None, :]
        y = np.take_along_axis(flat, winner, axis=1)[:, 0, :]
        return self.shaped(y), (x.shape, winner)

    def backward(self, dy, cache, *, need_dx=True):
        if not need_dx:
            return None, {}
        shape, winner = cache
        d_flat = np.zeros((shape[0], int(np.prod(shape[1:-1])), shape[-1]), dy.dtype)
        np.put_along_axis(d_flat, winner, dy.reshape(len(dy), 1, -1), axis=1)
        return d_flat.reshape(shape), {}


class GlobalAveragePooling(GlobalPooling):
    """A weighted mean over the positions :math:`\\mathbf{p}`, the weights
    :math:`w_{n,\\mathbf{p}} = m_{n,\\mathbf{p}} / \\sum_\\mathbf{p} m_{n,\\mathbf{p}}`
    coming from a mask :math:`m` (all ones without one, so :math:`w = 1/P`):

    .. math::

        y_{n,c} = \\sum_\\mathbf{p} w_{n,\\mathbf{p}}\\, x_{n,\\mathbf{p},c}, \\qquad
        \\frac{\\partial L}{\\partial x_{n,\\mathbf{p},c}} =
            w_{n,\\mathbf{p}} \\frac{\\partial L}{\\partial y_{n,c}}
    """

    def forward(self, x, *, training=False):
        return self.average(x, mask=None)

    def average(self, x, mask):
        flat = x.reshape(len(x), -1, x.shape[-1])
        kept = (np.ones(flat.shape[:2], x.dtype) if mask is None
                else np.asarray(mask).reshape(len(x), -1).astype(x.dtype))
        weights = kept / np.maximum(kept.sum(axis=1, keepdims=True), 1)
        y = np.einsum("np,npc->nc", weights, flat)
        return self.shaped(y), (x.shape, weights)

    def backward(self, dy, cache, *, need_dx=True):
        if not need_dx:
            return None, {}
        shape, weights = cache
        dx = weights[:, :, None] * dy.reshape(len(dy), 1, -1)
        return dx.reshape(shape), {}


@register("layer", family="Pooling", aliases=("global_max_pooling1d", "global_max_pool1d"),
          description="Reduces dimensions: the largest value of each channel over all steps",
          use_case="A fixed-size summary of a variable-length sequence")
class GlobalMaxPooling1D(GlobalMaxPooling):
    """Global max pooling over steps: ``(batch, steps, C) -> (batch, C)``.

    >>> GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]]))
    array([[3., 5.]], dtype=float32)
    """

    rank = 1


@register("layer", family="Pooling", aliases=("global_max_pooling2d", "global_max_pool2d"),
          description="Reduces dimensions: the largest value of each feature map",
          use_case="Does feature c appear anywhere in the image?")
class GlobalMaxPooling2D(GlobalMaxPooling):
    """Global max pooling over height and width: ``(batch, h, w, C) -> (batch, C)``.

    >>> GlobalMaxPooling2D()(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[6., 7.]], dtype=float32)
    """

    rank = 2


@register("layer", family="Pooling",
          aliases=("global_average_pooling1d", "global_avg_pool1d"),
          description="Reduces dimensions: the mean of each channel over the (unmasked) steps",
          use_case="A fixed-size summary of a sequence, e.g. of word embeddings")
class GlobalAveragePooling1D(GlobalAveragePooling):
    """Global average pooling over steps, honouring a mask: ``(batch, steps, C) -> (batch, C)``.

    With a mask :math:`m_{n,t} \\in \\{0, 1\\}` (from ``Embedding(mask_zero=True)``)
    only the unmasked steps count, as in Keras:

    .. math::

        y_{n,c} = \\frac{\\sum_t m_{n,t}\\, x_{n,t,c}}{\\sum_t m_{n,t}}, \\qquad
        \\frac{\\partial L}{\\partial x_{n,t,c}} =
            \\frac{m_{n,t}}{\\sum_t m_{n,t}} \\frac{\\partial L}{\\partial y_{n,c}}

    The layer consumes the mask: its output has none.  A sample whose every
    step is masked gives zeros here (Keras divides 0 by 0 and gives NaN).

    >>> x = np.array([[[1.0], [3.0], [8.0]]])
    >>> GlobalAveragePooling1D()(x)
    array([[4.]], dtype=float32)
    >>> GlobalAveragePooling1D().forward(x, mask=np.array([[True, True, False]]))[0]
    array([[2.]])
    """

    rank = 1
    supports_masking = True

    def forward(self, x, *, training=False, mask=None):
        return self.average(x, mask)

    def compute_mask(self, x, mask):
        return None


@register("layer", family="Pooling",
          aliases=("global_average_pooling2d", "global_avg_pool2d"),
          description="Reduces dimensions: the mean of each feature map",
          use_case="Replaces Flatten before the classifier of a CNN; few parameters")
class GlobalAveragePooling2D(GlobalAveragePooling):
    """Global average pooling over height and width: ``(batch, h, w, C) -> (batch, C)``.

    >>> GlobalAveragePooling2D()(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[3., 4.]], dtype=float32)
    """

    rank = 2

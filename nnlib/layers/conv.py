"""Convolution layers: Conv1D and Conv2D, one code path for both."""
import numpy as np

from .. import activations, initializers, regularizers
from ..checks import component, describe, flag, whole_number
from ..registry import register
from . import conv_utils
from .base import Layer


class Conv(Layer):
    """A convolution over ``rank`` spatial axes, channels last (Keras's ``BaseConv``).

    Each output cell is a filter's dot product with the window of input under
    it (a cross-correlation, as every framework computes it), plus a bias:

    .. math::

        z_{n,\\mathbf{p},f} = b_f + \\sum_{\\mathbf{u}} \\sum_{c}
            x^{\\text{pad}}_{n,\\, \\mathbf{p}\\mathbf{s} + \\mathbf{u}\\mathbf{d},\\, c}
            \\, W_{\\mathbf{u},c,f}, \\qquad y = f(z)

    for output position :math:`\\mathbf{p}`, kernel offset :math:`\\mathbf{u}`,
    strides :math:`\\mathbf{s}` and dilation :math:`\\mathbf{d}` (element-wise
    products).  Gathering every window as a row (``im2col``) makes it one
    matrix product, :math:`Z = X_\\text{cols} W_\\text{mat} + b`.  Backward,
    with :math:`\\delta = \\partial L/\\partial z`:

    .. math::

        \\frac{\\partial L}{\\partial W_\\text{mat}} = X_\\text{cols}^\\top \\delta, \\qquad
        \\frac{\\partial L}{\\partial b} = \\textstyle\\sum_{n,\\mathbf{p}} \\delta, \\qquad
        \\frac{\\partial L}{\\partial x^{\\text{pad}}_{n,\\, \\mathbf{p}\\mathbf{s} +
            \\mathbf{u}\\mathbf{d}}} \\mathrel{+}= \\delta_{n,\\mathbf{p}} W_{\\mathbf{u}}^\\top

    The input gradient is a loop over the kernel offsets :math:`\\mathbf{u}`:
    each adds one small product into a strided view of the padded input.
    It is skipped when ``need_dx`` is false (nothing upstream learns).

    Args:
        filters: number of kernels, the output's channels, ``>= 1``.
        kernel_size, strides, dilation_rate: a whole number ``>= 1`` or one per
            spatial axis; strides above 1 cannot be combined with a dilation
            above 1 (as in Keras).
        padding: ``"valid"`` (none) or ``"same"`` (output ``ceil(n / stride)``,
            the odd padded cell after); ``Conv1D`` also takes ``"causal"``.
            The sizes are those of ``nnlib.layers.conv_utils``.
        activation: name or instance; ``None`` is linear.
        use_bias, kernel_initializer, bias_initializer: Keras's defaults,
            ``True``, ``"glorot_uniform"`` and ``"zeros"``.

    Differences from Keras: channels-last only, no ``groups``.
    """

    rank = None  # set by Conv1D and Conv2D
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        self.filters = whole_number(owner, "filters", filters)
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = conv_utils.normalize_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, self.rank,
                                                        "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: strides > 1 cannot be combined with dilation_rate > 1 "
                             f"(as in Keras), got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.padding = conv_utils.normalize_padding(padding, self.paddings, owner)
        self.activation = component(owner, "activation", activations.get, activation)
        self.use_bias = flag(owner, "use_bias", use_bias)
        # An unknown initializer fails here, not at build; the config keeps what was given.
        component(owner, "kernel_initializer", initializers.get, kernel_initializer)
        component(owner, "bias_initializer", initializers.get, bias_initializer)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = component(owner, "kernel_regularizer", regularizers.get,
                                            kernel_regularizer)
        self.bias_regularizer = component(owner, "bias_regularizer", regularizers.get,
                                          bias_regularizer)

    def build(self, input_shape):
        conv_utils.check_rank(self, input_shape, self.rank)
        if input_shape[-1] is None:
            raise self.error(f"expected a known number of channels (last axis), "
                             f"got shape {input_shape}")
        self.kernel = self.add_weight(self.kernel_size + (input_shape[-1], self.filters),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def check_input_shape(self, shape):
        conv_utils.check_rank(self, shape, self.rank)
        channels = self.kernel.shape[-2]
        if shape[-1] != channels:
            raise self.error(f"expected input with {channels} channels (last axis), "
                             f"got shape {shape}")
        conv_utils.check_spatial_shape(self, shape, self.kernel_size, self.strides,
                                       self.dilation_rate, self.padding)

    def compute_output_shape(self, input_shape):
        spatial = conv_utils.output_shape(input_shape[1:-1], self.kernel_size, self.strides,
                                          self.dilation_rate, self.padding)
        return (input_shape[0], *spatial, self.filters)

    def paddings_for(self, spatial):
        """``(before, after)`` for each spatial axis of an input of that shape."""
        return [conv_utils.padding_amounts(n, k, s, d, self.padding)
                for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def forward(self, x, *, training=False):
        pads = self.paddings_for(x.shape[1:-1])
        xp = conv_utils.pad_spatial(x, pads)
        out = conv_utils.output_shape(x.shape[1:-1], self.kernel_size, self.strides,
                                      self.dilation_rate, self.padding)
        cols = conv_utils.im2col(xp, self.kernel_size, self.strides, self.dilation_rate, out)
        z = cols @ self.kernel.value.reshape(-1, self.filters)
        if self.use_bias:
            z += self.bias.value
        y, activation_cache = self.activation.forward(z.reshape(len(x), *out, self.filters))
        return y, (cols, xp.shape, pads, activation_cache)

    def backward(self, dy, cache, *, need_dx=True):
        cols, padded_shape, pads, activation_cache = cache
        W = self.kernel.value
        delta = self.activation.backward(dy, activation_cache)
        delta_2d = delta.reshape(-1, self.filters)
        grads = {"kernel": (cols.T @ delta_2d).reshape(W.shape)}
        if self.use_bias:
            grads["bias"] = conv_utils.column_sums(delta_2d)
        if not need_dx:
            return None, grads
        dxp = np.zeros(padded_shape, delta.dtype)
        out, channels = delta.shape[1:-1], W.shape[-2]
        for offset in conv_utils.window_offsets(self.kernel_size):
            view = conv_utils.offset_view(dxp, offset, self.strides, self.dilation_rate, out)
            view += (delta_2d @ W[offset].T).reshape(len(delta), *out, channels)
        return conv_utils.unpad_spatial(dxp, pads), grads


@register("layer", family="Convolutional", aliases=("conv1d", "convolution1d"),
          description="Filters sequences: each of its filters slides along the time axis",
          use_case="Sequences: audio, sensor signals, character or word vectors")
class Conv1D(Conv):
    """1-D convolution: each of ``filters`` kernels of ``kernel_size`` steps slides along the time axis.

    Input ``(batch, steps, channels)``, kernel ``(kernel_size, channels, filters)``,
    bias ``(filters,)``, output ``(batch, new_steps, filters)``.  Besides
    ``"valid"`` and ``"same"``, ``padding="causal"`` pads
    :math:`(k-1)d` steps on the left only, so output step :math:`t` sees
    inputs up to :math:`t` and never after.  The maths is ``Conv``'s with one
    spatial axis.

    >>> layer = Conv1D(4, 3, padding="same")
    >>> layer(np.ones((2, 10, 6))).shape
    (2, 10, 4)
    >>> layer.kernel.shape
    (3, 6, 4)
    """

    rank = 1
    paddings = ("valid", "same", "causal")

    @classmethod
    def gradient_check_sample(cls, rng):
        return (cls(3, 3, padding="causal", dilation_rate=2, activation="tanh"),
                (rng.normal(size=(2, 7, 2)),))


@register("layer", family="Convolutional", aliases=("conv2d", "convolution2d"),
          description="Filters spatial data: small filters slide over an image",
          use_case="Image or video processing")
class Conv2D(Conv):
    """2-D convolution: ``filters`` small kernels slide over height and width.

    Input ``(batch, height, width, channels)``, kernel
    ``(kh, kw, channels, filters)`` (Keras's layout; PyTorch stores
    ``(filters, channels, kh, kw)``), bias ``(filters,)``, output
    ``(batch, new_height, new_width, filters)`` with the sizes of
    ``nnlib.layers.conv_utils``.  Parameters:
    :math:`k_h k_w C F + F`.  The maths is ``Conv``'s.

    >>> layer = Conv2D(8, 3, strides=2, padding="same")
    >>> layer(np.ones((1, 28, 28, 3))).shape
    (1, 14, 14, 8)
    >>> layer.kernel.shape, layer.count_params()
    ((3, 3, 3, 8), 224)
    """

    rank = 2

    @classmethod
    def gradient_check_sample(cls, rng):
        return (cls(3, (3, 2), strides=(2, 1), padding="same", activation="tanh"),
                (rng.normal(size=(2, 5, 4, 2)),))

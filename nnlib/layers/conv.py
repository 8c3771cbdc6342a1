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
        self.kernel = self.add_weight(self.kernel_shape(input_shape[-1]),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def kernel_shape(self, channels):
        """``(*kernel_size, channels, filters)``, Keras's layout."""
        return self.kernel_size + (channels, self.filters)

    @property
    def input_channels(self):
        """The channels the built kernel reads."""
        return self.kernel.shape[-2]

    def check_input_shape(self, shape):
        conv_utils.check_rank(self, shape, self.rank)
        if shape[-1] != self.input_channels:
            raise self.error(f"expected input with {self.input_channels} channels (last axis), "
                             f"got shape {shape}")
        self.check_spatial_shape(shape)

    def check_spatial_shape(self, shape):
        """Raise unless the window fits in an input of ``shape``."""
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
        dxp = conv_utils.spread_windows(delta, W, self.strides, self.dilation_rate, padded_shape)
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


class ConvTranspose(Conv):
    """A transposed convolution over ``rank`` spatial axes, channels last
    (Keras's ``BaseConvTranspose``): the convolution's input gradient, used as a layer.

    Where a convolution gathers a window of its input into one output cell,
    the transposed convolution spreads each input cell over a window of its
    output: with strides :math:`\\mathbf{s} > 1` the output is larger than the
    input (a learned upsampling).  With kernel :math:`W` of shape
    ``(*kernel_size, filters, channels)``, the full output is

    .. math::

        \\tilde z_{n,\\, \\mathbf{p}\\mathbf{s} + \\mathbf{u}\\mathbf{d},\\, f}
            \\mathrel{+}= \\sum_c x_{n,\\mathbf{p},c} \\, W_{\\mathbf{u},f,c},
        \\qquad z = \\operatorname{crop}(\\tilde z) + b, \\qquad y = f(z),

    exactly what ``Conv`` computes as :math:`\\partial L/\\partial x^\\text{pad}`
    for a kernel of layout ``(*kernel_size, filters, channels)`` (so the
    same code runs both: ``conv_utils.spread_windows``).  Along an axis of
    :math:`n` cells :math:`\\tilde z` has :math:`(n-1)s + (k-1)d + 1`; the
    crop keeps Keras's sizes (``conv_utils.transpose_crops``): ``"same"``
    gives :math:`ns`, ``"valid"`` :math:`(n-1)s + \\max((k-1)d + 1, s)`.
    Backward, with :math:`\\delta = \\partial L/\\partial z` padded back to
    :math:`\\tilde\\delta` (zeros where cells were cropped), each input cell
    reads its window of :math:`\\tilde\\delta`: a plain convolution,

    .. math::

        \\frac{\\partial L}{\\partial x_{n,\\mathbf{p}}} = \\sum_{\\mathbf{u}}
            \\tilde\\delta_{n,\\, \\mathbf{p}\\mathbf{s} + \\mathbf{u}\\mathbf{d}}
            \\, W_\\mathbf{u},
        \\qquad
        \\frac{\\partial L}{\\partial W_{\\mathbf{u},f,c}} = \\sum_{n,\\mathbf{p}}
            \\tilde\\delta_{n,\\, \\mathbf{p}\\mathbf{s} + \\mathbf{u}\\mathbf{d},\\, f}
            \\, x_{n,\\mathbf{p},c},
        \\qquad
        \\frac{\\partial L}{\\partial b} = \\textstyle\\sum_{n,\\mathbf{p}} \\delta,

    both one matrix product with the windows of :math:`\\tilde\\delta` as rows
    (``conv_utils.im2col``), as in ``Conv``'s forward pass.

    Args:
        output_padding: ``None`` (Keras's default sizes above) or a whole
            number ``>= 0`` (or one per axis), each below its stride: the
            output then has :math:`(n-1)s + (k-1)d + 1 + p` cells
            (``"valid"``) or :math:`(n-1)s + ((k-1)d + 1) \\bmod 2 + p`
            (``"same"``).
        The others are ``Conv``'s; ``padding`` is ``"valid"`` or ``"same"``.

    Differences from Keras: channels-last only.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.output_padding = None if output_padding is None else conv_utils.normalize_tuple(
            output_padding, self.rank, "output_padding", describe(self), minimum=0)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise self.error(f"each output_padding must be below its stride (as in Keras), "
                             f"got output_padding={self.output_padding} and "
                             f"strides={self.strides}")

    def kernel_shape(self, channels):
        """``(*kernel_size, filters, channels)``, Keras's layout."""
        return self.kernel_size + (self.filters, channels)

    @property
    def input_channels(self):
        return self.kernel.shape[-1]

    def check_spatial_shape(self, shape):
        """Raise if the output would be empty (``"same"``, ``output_padding=0``, an
        even kernel and one input cell)."""
        spatial = self.compute_output_shape(shape)[1:-1]
        if any(n is not None and n <= 0 for n in spatial):
            raise self.error(f"the output would have spatial shape {spatial}, got input "
                             f"shape {shape}; use an output_padding or padding='valid'")

    def axes(self):
        """``(kernel, stride, dilation, output_padding)`` for each spatial axis."""
        return zip(self.kernel_size, self.strides, self.dilation_rate,
                   self.output_padding or (None,) * self.rank)

    def crops(self):
        """``(before, after)`` cells cut from the full output on each spatial axis."""
        return [conv_utils.transpose_crops(k, s, d, self.padding, p)
                for k, s, d, p in self.axes()]

    def compute_output_shape(self, input_shape):
        spatial = tuple(conv_utils.transpose_output_length(n, k, s, d, self.padding, p)
                        for n, (k, s, d, p) in zip(input_shape[1:-1], self.axes()))
        return (input_shape[0], *spatial, self.filters)

    def forward(self, x, *, training=False):
        out = self.compute_output_shape(x.shape)
        # The output, padded by what was cropped (a negative crop added zeros,
        # so there is nothing to pad): the full output lies at its start.
        pads = [(before, max(after, 0)) for before, after in self.crops()]
        padded_shape = (len(x), *(n + before + after for n, (before, after)
                                  in zip(out[1:-1], pads)), self.filters)
        z_padded = conv_utils.spread_windows(x, self.kernel.value, self.strides,
                                             self.dilation_rate, padded_shape)
        z = conv_utils.unpad_spatial(z_padded, pads)
        z = z + self.bias.value if self.use_bias else np.ascontiguousarray(z)
        y, activation_cache = self.activation.forward(z)
        return y, (x, pads, activation_cache)

    def backward(self, dy, cache, *, need_dx=True):
        x, pads, activation_cache = cache
        W = self.kernel.value
        delta = self.activation.backward(dy, activation_cache)
        grads = {}
        cols = conv_utils.im2col(conv_utils.pad_spatial(delta, pads), self.kernel_size,
                                 self.strides, self.dilation_rate, x.shape[1:-1])
        grads["kernel"] = (cols.T @ x.reshape(-1, x.shape[-1])).reshape(W.shape)
        if self.use_bias:
            grads["bias"] = conv_utils.column_sums(delta.reshape(-1, self.filters))
        if not need_dx:
            return None, grads
        return (cols @ W.reshape(-1, W.shape[-1])).reshape(x.shape), grads


@register("layer", family="Convolutional",
          aliases=("conv2dtranspose", "convolution2dtranspose"),
          description="Learned upsampling: each input cell spreads a filter over the output",
          use_case="Decoders: autoencoders, segmentation (U-Net), image generators")
class Conv2DTranspose(ConvTranspose):
    """2-D transposed convolution: ``strides=2`` doubles height and width, with learned filters.

    Input ``(batch, height, width, channels)``, kernel
    ``(kh, kw, filters, channels)`` (Keras's layout: the transpose of
    ``Conv2D``'s last two axes; PyTorch's ``ConvTranspose2d`` stores
    ``(channels, filters, kh, kw)``), bias ``(filters,)``, output
    ``(batch, new_height, new_width, filters)``.  The maths is
    ``ConvTranspose``'s.

    >>> layer = Conv2DTranspose(8, 3, strides=2, padding="same")
    >>> layer(np.ones((1, 7, 7, 3))).shape
    (1, 14, 14, 8)
    >>> layer.kernel.shape
    (3, 3, 8, 3)
    >>> Conv2DTranspose(8, 3, strides=2)(np.ones((1, 7, 7, 3))).shape  # (7 - 1) 2 + 3
    (1, 15, 15, 8)
    """

    rank = 2

    @classmethod
    def gradient_check_sample(cls, rng):
        return (cls(3, (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0),
                    activation="tanh"),
                (rng.normal(size=(2, 3, 4, 2)),))

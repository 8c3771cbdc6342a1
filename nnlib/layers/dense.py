"""Dense: the fully connected layer."""
from .. import activations, initializers, regularizers
from ..checks import component, describe, flag, whole_number
from ..registry import register
from .base import Layer


@register("layer", family="Dense", aliases=("dense",),
          description="Fully connected", use_case="General purpose")
class Dense(Layer):
    """Every output unit is a weighted sum of every input, plus a bias.

    .. math::

        z = x W + b, \\qquad y = f(z)

    with ``x`` of shape ``(..., n_in)``, kernel ``W`` of shape
    ``(n_in, units)``, bias ``b`` of shape ``(units,)`` and ``f`` the
    activation.  Leading axes are batch axes: the layer acts on the last one.
    The backward pass, with :math:`\\delta = \\partial L/\\partial z =
    f'(z) \\odot \\partial L/\\partial y` and the batch axes flattened:

    .. math::

        \\frac{\\partial L}{\\partial W} = x^\\top \\delta, \\qquad
        \\frac{\\partial L}{\\partial b} = \\textstyle\\sum_{\\text{batch}} \\delta, \\qquad
        \\frac{\\partial L}{\\partial x} = \\delta W^\\top

    Args:
        units: number of output units, a whole number ``>= 1`` (``3.0`` is
            taken as 3, ``2.7`` refused rather than cut to 2).
        activation: name or instance of an activation; ``None`` is linear.
        use_bias: whether to add ``b``.
        kernel_initializer, bias_initializer: Keras's defaults,
            ``"glorot_uniform"`` and ``"zeros"``.
        kernel_regularizer, bias_regularizer: a penalty on :math:`W` or
            :math:`b` added to the loss (``"l2"``, ``L1(0.01)``...; see
            ``nnlib.regularizers``); ``activity_regularizer``, which every
            layer takes, one on the outputs :math:`y`.

    Every argument is checked here, an unknown initializer name included,
    rather than when the layer is first called.

    Input shape: ``(batch, ..., n_in)``.  Output shape: ``(batch, ..., units)``.
    A mask on the input (from ``Embedding(mask_zero=True)``) passes on to the
    output unchanged, as in Keras 3.

    >>> layer = Dense(3)
    >>> layer(np.ones((2, 4))).shape
    (2, 3)
    >>> [w.shape for w in layer.get_weights()]
    [(4, 3), (3,)]
    """

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        self.units = whole_number(owner, "units", units)
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
        self.check_rank(input_shape)
        self.kernel = self.add_weight((input_shape[-1], self.units), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def check_rank(self, shape):
        """One input of rank >= 2, ``(batch, ..., n_in)``, with a known last axis."""
        if isinstance(shape, list) or len(shape) < 2 or shape[-1] is None:
            raise self.error(f"expected one input of rank >= 2, (batch, ..., features), with "
                             f"a known last axis, got shape {shape}")

    def check_input_shape(self, shape):
        self.check_rank(shape)
        n_in = self.kernel.shape[0]
        if shape[-1] != n_in:
            raise self.error(f"expected input with last axis {n_in}, got shape {shape}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, *, training=False):
        z = x @ self.kernel.value
        if self.use_bias:
            z = z + self.bias.value
        y, activation_cache = self.activation.forward(z)
        return y, (x, activation_cache)

    def backward(self, dy, cache, *, need_dx=True):
        x, activation_cache = cache
        delta = self.activation.backward(dy, activation_cache)
        x_2d = x.reshape(-1, x.shape[-1])
        delta_2d = delta.reshape(-1, self.units)
        grads = {"kernel": x_2d.T @ delta_2d}
        if self.use_bias:
            grads["bias"] = delta_2d.sum(axis=0)
        dx = delta @ self.kernel.value.T if need_dx else None
        return dx, grads

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(3, activation="tanh"), (rng.normal(size=(4, 2, 5)),)

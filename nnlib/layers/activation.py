"""Activation functions as layers: ``Activation`` for any of them, and Keras's
``ReLU``, ``LeakyReLU``, ``ELU`` and ``Softmax`` layers with their own arguments.

None of them has a weight: the forward and backward passes are the activation
function's own (see ``nnlib.activations``).  ``PReLU``, whose slope is a
weight, lives in ``prelu.py``.
"""
import numpy as np

from .. import activations
from ..checks import component, describe, is_number, real_number, whole_numbers
from ..registry import register
from ..serialization import serialize
from .base import Layer


@register("layer", family="Activation", aliases=("activation",),
          description="Applies an activation function",
          use_case="Non-linearity between layers that have none of their own")
class Activation(Layer):
    """Applies ``activation`` to its input: :math:`y = f(x)`, and
    :math:`\\partial L/\\partial x` is the activation's own backward pass.

    Args:
        activation: a name (``"relu"``), an activation instance, or one of the
            functions of ``nnlib.activations`` (``nnlib.activations.gelu``).

    Input shape: any.  Output shape: the same.

    >>> Activation("relu")(np.array([[-1.0, 2.0]]))
    array([[0., 2.]], dtype=float32)
    """

    supports_masking = True  # element-wise: a mask on the input holds for the output

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = component(describe(self), "activation", activations.get, activation)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, *, training=False):
        return self.activation.forward(x)

    def backward(self, dy, cache, *, need_dx=True):
        return (self.activation.backward(dy, cache) if need_dx else None), {}

    @classmethod
    def gradient_check_sample(cls, rng):
        activation, (x,) = activations.Softmax.gradient_check_sample(rng)
        return cls(activation), (x,)


class ActivationLayer(Activation):
    """An ``Activation`` fixed to one activation class, configured by that
    class's arguments (Keras's ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``).

    A subclass checks its arguments once the layer has its name (so that an
    error names it), then makes ``self.activation`` of them."""

    activation_class = None

    def __init__(self, **kwargs):
        """The layer's own arguments (``name``, ``dtype``, ``trainable``,
        ``activity_regularizer``): there is no activation name to look up."""
        Layer.__init__(self, **kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "trainable": self.trainable,
                "activity_regularizer": serialize(self.activity_regularizer),
                **self.activation.get_config()}

    @classmethod
    def gradient_check_sample(cls, rng):
        activation, inputs = cls.activation_class.gradient_check_sample(rng)
        return cls(**activation.get_config()), inputs


@register("layer", family="Activation",
          description="ReLU with Keras's max_value, negative_slope and threshold",
          use_case="A capped ReLU such as ReLU6 (max_value=6), as a layer")
class ReLU(ActivationLayer):
    """The rectified linear unit as a layer: ``activations.ReLU`` (see there
    for the formula), with Keras's layer argument order and checks.

    Args:
        max_value: cap on the output, ``>= 0``, or ``None`` for none.
        negative_slope: slope below the threshold, ``>= 0``.
        threshold: where the unit switches on, ``>= 0`` (the function
            ``activations.relu`` also takes negative thresholds).

    >>> ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 8.0]]))
    array([[0., 3., 6.]], dtype=float32)
    """

    activation_class = activations.ReLU

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        if max_value is not None:
            max_value = real_number(owner, "max_value", max_value, low=0)
        self.activation = activations.ReLU(
            negative_slope=real_number(owner, "negative_slope", negative_slope, low=0),
            max_value=max_value, threshold=real_number(owner, "threshold", threshold, low=0))


@register("layer", family="Activation",
          description="Leaky ReLU as a layer: slope 0.3 below zero by default",
          use_case="Hidden layers where ReLU units die; GAN discriminators")
class LeakyReLU(ActivationLayer):
    """:math:`f(x) = x` for :math:`x > 0`, :math:`a x` otherwise
    (``activations.LeakyReLU``).

    The layer's default slope is :math:`a = 0.3`, as Keras's layer; the
    ``"leaky_relu"`` activation's is 0.2, as Keras's function.

    >>> LeakyReLU()(np.array([[-1.0, 2.0]]))
    array([[-0.3,  2. ]], dtype=float32)
    """

    activation_class = activations.LeakyReLU

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.LeakyReLU(
            real_number(describe(self), "negative_slope", negative_slope, low=0))


@register("layer", family="Activation",
          description="Exponential linear unit as a layer",
          use_case="Smooth rectifier with negative outputs, after a linear layer")
class ELU(ActivationLayer):
    """:math:`f(x) = x` for :math:`x > 0`, :math:`\\alpha(e^x - 1)` otherwise
    (``activations.ELU``).

    >>> ELU(alpha=2.0)(np.array([[0.0, 1.0]]))
    array([[0., 1.]], dtype=float32)
    """

    activation_class = activations.ELU

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.ELU(real_number(describe(self), "alpha", alpha))


@register("layer", family="Activation",
          description="Softmax as a layer, along any axis",
          use_case="Probabilities over classes, or over positions (attention)")
class Softmax(ActivationLayer):
    """:math:`y_i = e^{x_i} / \\sum_j e^{x_j}` along ``axis`` (``activations.Softmax``);
    ``axis`` may be a tuple of axes, normalised together, as in Keras.

    With a ``mask`` (broadcastable to the input, ``False`` where a score must
    be ignored, as for padded positions in attention), masked scores are
    replaced by :math:`-10^9` before the softmax and their outputs set to 0,
    as Keras does: the kept probabilities sum to 1 and the masked inputs get
    no gradient.

    >>> Softmax()(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]], dtype=float32)
    >>> Softmax().forward(np.zeros((1, 3)), mask=np.array([[True, True, False]]))[0]
    array([[0.5, 0.5, 0. ]])
    """

    activation_class = activations.Softmax

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = whole_numbers(describe(self), "axis", axis, minimum=None, single=True)
        self.activation = activations.Softmax(axes[0] if is_number(axis) else axes)

    def forward(self, x, *, training=False, mask=None):
        if mask is None:
            y, cache = self.activation.forward(x)
            return y, (cache, None)
        if np.ndim(mask) > x.ndim or any(m not in (1, n) for m, n in
                                         zip(np.shape(mask)[::-1], x.shape[::-1])):
            raise self.error(f"the mask must be broadcastable to the input, got mask of "
                             f"shape {np.shape(mask)} for input of shape {x.shape}")
        keep = np.broadcast_to(np.asarray(mask, dtype=bool), x.shape)
        large_negative = -3e4 if x.dtype == np.float16 else -1e9  # Keras's constants
        y, cache = self.activation.forward(np.where(keep, x, large_negative).astype(x.dtype))
        return np.where(keep, y, 0), (cache, keep)

    def backward(self, dy, cache, *, need_dx=True):
        cache, keep = cache
        if not need_dx:
            return None, {}
        if keep is None:
            return self.activation.backward(dy, cache), {}
        return np.where(keep, self.activation.backward(np.where(keep, dy, 0), cache), 0), {}

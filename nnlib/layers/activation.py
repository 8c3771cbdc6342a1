"""Activation: an activation function as a layer of its own."""
from .. import activations
from ..registry import register
from .base import Layer


@register("layer", family="Activation", aliases=("activation",),
          description="Applies an activation function",
          use_case="Non-linearity between layers that have none of their own")
class Activation(Layer):
    """Applies ``activation`` to its input: :math:`y = f(x)`, and
    :math:`\\partial L/\\partial x` is the activation's own backward pass.

    >>> Activation("relu")(np.array([[-1.0, 2.0]]))
    array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, *, training=False):
        return self.activation.forward(x)

    def backward(self, dy, cache, *, need_dx=True):
        return self.activation.backward(dy, cache), {}

    @classmethod
    def gradient_check_sample(cls, rng):
        activation, (x,) = activations.Softmax.gradient_check_sample(rng)
        return cls(activation), (x,)

    def get_config(self):
        return {**super().get_config(), "activation": type(self.activation).__name__.lower()}

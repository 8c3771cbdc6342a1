"""``OpsDense``, the layer the tape's benchmarks time against ``Dense``."""
from nnlib import ops
from nnlib.layers import Layer


class OpsDense(Layer):
    """``Dense`` written the Keras way: its weights made in ``build``, its
    forward pass ``activation(x W + b)`` written with ``nnlib.ops`` in ``call``,
    and no backward pass: the gradient tape differentiates ``call``."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel) + self.bias
        return y if self.activation is None else self.activation(y)

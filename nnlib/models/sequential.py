"""Sequential: a plain stack of layers, each reading the previous one's output."""
import numpy as np

from ..graph import SymbolicTensor
from .functional import Input, Model


class Sequential(Model):
    """A linear stack of layers; a functional model with one chain.

    Give the layers as a list or ``add`` them one by one.  Start with an
    ``Input`` to build at once; otherwise the model builds when it first sees
    data, from that data's shape.

    >>> from nnlib.layers import Dense
    >>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(2)])
    >>> model.outputs[0].shape
    (None, 2)
    """

    def __init__(self, layers=None, name=None, **kwargs):
        # Skip Model.__init__: the graph is wired by rebuild() once the input is known.
        super(Model, self).__init__(name=name, **kwargs)
        self.input_tensor = None
        self.stack = []
        self.built = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or set the input with an ``Input`` tensor)."""
        if isinstance(layer, SymbolicTensor):
            if self.stack or self.input_tensor is not None:
                raise ValueError(f"Sequential '{self.name}': an Input must come first")
            self.input_tensor = layer
        else:
            self.stack.append(layer)
        self.rebuild()

    def pop(self):
        """Remove the last layer."""
        if not self.stack:
            raise ValueError(f"Sequential '{self.name}': there is no layer to pop")
        layer = self.stack.pop()
        self.rebuild()
        return layer

    def rebuild(self):
        """Wire the stack from the input, if the input shape is known."""
        if self.input_tensor is None:
            return
        x = self.input_tensor
        for layer in self.stack:
            x = layer(x)
        self.connect(self.input_tensor, x)

    @property
    def layers(self):
        return list(self.stack)

    def prepare(self, x):
        if not self.built:
            self.input_tensor = Input(np.shape(x)[1:], dtype=self.dtype)
            self.rebuild()
        return super().prepare(x)

    def build(self, input_shape):
        self.input_tensor = Input(tuple(input_shape)[1:], dtype=self.dtype)
        self.rebuild()

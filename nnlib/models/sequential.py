"""Sequential: a plain stack of layers, each reading the previous one's output."""
import warnings

import numpy as np

from ..graph import SymbolicTensor
from ..layers.base import Layer
from ..layers.deserialization import layer_from_config, layer_record
from ..layers.input_layer import Input, InputLayer
from .functional import Model


class Sequential(Model):
    """A linear stack of layers: a functional model with one chain.

    Give the layers as a list or ``add`` them one by one.  Start with an
    ``Input`` to build at once, so that each ``add`` checks the new layer
    against the shape it receives (and ``summary`` shows the shapes so far);
    otherwise the model builds when it first sees data, from that data's
    shape (or on ``build(input_shape)``).  A first layer given an
    ``input_shape`` (``Dense(8, input_shape=(4,))``, as older Keras code
    writes) stands for an ``Input`` of that shape before it.  ``layers`` lists the stack
    without the input, as in Keras.

    >>> from nnlib.layers import Dense
    >>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(2)])
    >>> model.outputs[0].shape
    (None, 2)
    >>> model.pop().units, model.outputs[0].shape
    (2, (None, 8))
    """

    def __init__(self, layers=None, name=None, trainable=None, **kwargs):
        # Not Model.__init__: the graph is wired once the input shape is known.
        Layer.__init__(self, name=name, **kwargs)
        self.stack = []
        self.input_tensor = None
        for layer in layers or []:
            self.add(layer)
        if trainable is not None:
            self.trainable = trainable

    @property
    def layers(self):
        return list(self.stack)

    def sublayers(self):
        return getattr(self, "stack", [])

    def add(self, layer):
        """Append a layer (or, first, set the input with an ``Input`` tensor).

        Once the input is known, the layer is called on the current output
        at once: a layer that cannot take that shape raises here, and the
        model is left as it was.
        """
        if isinstance(layer, InputLayer):
            layer = layer.output
        if isinstance(layer, SymbolicTensor):
            if self.stack or self.input_tensor is not None:
                raise ValueError(f"Sequential '{self.name}': an Input must come first")
            self.input_tensor = layer
            self.rebuild()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential '{self.name}': expected a layer, got {layer!r}")
        if layer.declared_input_shape is not None:
            if not self.stack and self.input_tensor is None:
                self.add(Input(layer.declared_input_shape))
            else:
                warnings.warn(f"Sequential '{self.name}': the input_shape of "
                              f"{type(layer).__name__} '{layer.name}' is ignored: only the "
                              f"first layer's sets the model's input (as in Keras)",
                              stacklevel=2)
        if not self.built:
            self.stack.append(layer)
            return
        output = layer(self.outputs[0])
        if not isinstance(output, SymbolicTensor):
            raise ValueError(f"Sequential '{self.name}': each layer must have one output; "
                             f"{type(layer).__name__} '{layer.name}' has {len(output)}")
        self.stack.append(layer)
        self.connect(self.input_tensor, output)

    def pop(self):
        """Remove the last layer and return it."""
        if not self.stack:
            raise ValueError(f"Sequential '{self.name}': there is no layer to pop")
        layer = self.stack.pop()
        self.rebuild()
        return layer

    def rebuild(self):
        """Wire the whole stack from the input, if the input is known."""
        if self.input_tensor is None:
            return
        x = self.input_tensor
        for layer in self.stack:
            x = layer(x)
        self.connect(self.input_tensor, x)

    def build(self, input_shape):
        """Build from ``input_shape`` (with its batch axis), as on first data."""
        shape = tuple(input_shape)[1:]
        if self.built:
            if self.inputs[0].shape[1:] != shape:
                raise ValueError(f"Sequential '{self.name}' is built for inputs of shape "
                                 f"{self.inputs[0].shape}, got {tuple(input_shape)}")
            return
        self.input_tensor = Input(shape, dtype=self.dtype)
        self.rebuild()

    def prepare(self, x):
        """As ``Model.prepare``, building the model from the data's shape first if
        it has no input yet (``x`` may be the array or a list holding it)."""
        if not self.built:
            one = isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], np.ndarray)
            self.build(np.shape(x[0] if one else x))
        return super().prepare(x)

    def get_config(self):
        """The layers' configs in order, the first an ``InputLayer`` once built."""
        layers = ([self.input_tensor.node.layer] if self.input_tensor is not None else []) \
            + self.stack
        return {"name": self.name, "trainable": self.trainable,
                "layers": [layer_record(layer) for layer in layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The stack of ``get_config()``.  A layer added twice (shared) is listed
        twice under one name: it is made once and added twice."""
        model, made = cls(name=config["name"]), {}
        for spec in config["layers"]:
            layer = layer_from_config(spec, custom_objects)
            first_spec, first = made.setdefault(layer.name, (spec, layer))
            if first_spec != spec:
                raise ValueError(f"Sequential config '{config['name']}': two different layers "
                                 f"are named {layer.name!r}")
            model.add(first)
        if not config.get("trainable", True):
            model.trainable = False
        return model

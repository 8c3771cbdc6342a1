"""InputLayer and ``Input``: where a functional model's data comes in."""
import numpy as np

from ..graph import Node, SymbolicTensor
from .base import Layer


class InputLayer(Layer):
    """The source of an ``Input`` tensor: passes the data through unchanged.

    Its one output, ``layer.output``, is the tensor ``Input`` returns.  Its
    dtype is a float type, or an integer type for ids (``dtype="int32"``,
    read by an ``Embedding``).
    """

    def __init__(self, shape, batch_size=None, dtype=None, **kwargs):
        integer = dtype is not None and np.dtype(dtype).kind in "iu"
        super().__init__(dtype=None if integer else dtype, **kwargs)
        if integer:
            self.dtype = np.dtype(dtype).name
        self.shape = tuple(shape)
        self.batch_size = batch_size
        self.built = True
        Node(self, [], [SymbolicTensor((batch_size,) + self.shape, self.dtype, name=self.name)])

    def forward(self, inputs, *, training=False):
        return inputs, None

    def backward(self, d_outputs, cache, *, need_dx=True):
        return d_outputs, {}


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None):
    """A symbolic input for a functional model: ``shape`` excludes the batch axis.

    As in Keras, ``batch_shape`` gives the batch axis too, and the tensor is
    named after its ``InputLayer`` (``input_layer``, ``input_layer_1``... unless
    ``name`` is given): that name is the key of the input in a dict of data.

    >>> Input((4,)).shape
    (None, 4)
    >>> Input(batch_shape=(8, 3), name="features").name
    'features'
    """
    if batch_shape is not None:
        batch_size, shape = batch_shape[0], batch_shape[1:]
    if shape is None:
        raise ValueError("Input: give shape (without the batch axis) or batch_shape")
    return InputLayer(shape, batch_size, name=name, dtype=dtype).output

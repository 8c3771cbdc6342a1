"""InputLayer and ``Input``: where a functional model's data comes in."""
import numpy as np

from ..backend import standardize_dtype
from ..checks import component, describe, flag, whole_number, whole_numbers
from ..graph import Node, SymbolicTensor
from .base import Layer


class InputLayer(Layer):
    """The source of an ``Input`` tensor: passes the data through unchanged.

    Its one output, ``layer.output``, is the tensor ``Input`` returns.  Its
    dtype is a float type, or an integer type for ids (``dtype="int32"``,
    read by an ``Embedding``).  ``shape`` is a tuple (or list) of sizes
    ``>= 1``, ``None`` for a size known only when data comes.
    """

    def __init__(self, shape, batch_size=None, dtype=None, **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        self.dtype = component(owner, "dtype", input_dtype, dtype)
        self.shape = whole_numbers(owner, "shape", shape, also=(None,))
        self.batch_size = None if batch_size is None else \
            whole_number(owner, "batch_size", batch_size)
        self.built = True
        Node(self, [], [SymbolicTensor((batch_size,) + self.shape, self.dtype, name=self.name)])

    def forward(self, inputs, *, training=False):
        return inputs, None

    def backward(self, d_outputs, cache, *, need_dx=True):
        return d_outputs, {}


def input_dtype(dtype):
    """An integer type (ids for an ``Embedding``) or ``bool`` (a mask) as it is;
    otherwise the float
    type of ``standardize_dtype`` (``None`` is ``floatx()``)."""
    try:
        kind = None if dtype is None else np.dtype(dtype).kind
    except TypeError:  # not a dtype NumPy knows
        kind = "?"
    if kind in ("i", "u", "b"):  # ids, or a mask given as data
        return np.dtype(dtype).name
    if kind in (None, "f"):
        return standardize_dtype(dtype)
    raise ValueError(f"expected a float type ('float16', 'float32', 'float64'), an "
                     f"integer type for ids ('int32'...) or 'bool', got {dtype!r}")


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """A symbolic input for a functional model: ``shape`` excludes the batch axis.

    Keras's arguments, in Keras's order.  As in Keras, ``batch_shape`` gives
    the batch axis too, and the tensor is named after its ``InputLayer``
    (``input_layer``, ``input_layer_1``... unless ``name`` is given): that
    name is the key of the input in a dict of data.  nnlib's arrays are
    dense and always present, so ``sparse``, ``ragged`` and ``optional`` take
    only ``False`` (or ``None``), and ``tensor`` (wrapping an existing
    backend tensor) only ``None``; anything else is refused.

    >>> Input((4,)).shape
    (None, 4)
    >>> Input(batch_shape=(8, 3), name="features").name
    'features'
    """
    for argument, value in (("sparse", sparse), ("ragged", ragged), ("optional", optional)):
        if value is not None and flag("Input", argument, value):
            raise ValueError(f"Input: {argument}=True is not supported by nnlib, whose inputs "
                             f"are dense NumPy arrays that are always given")
    if tensor is not None:
        raise ValueError(f"Input: tensor= (wrapping an existing tensor) is not supported by "
                         f"nnlib, got {type(tensor).__name__}; give shape and dtype instead")
    if batch_shape is not None:
        if shape is not None or batch_size is not None:
            raise ValueError("Input: give shape (and batch_size) or batch_shape, not both")
        if not isinstance(batch_shape, (tuple, list)) or not batch_shape:
            raise (ValueError if isinstance(batch_shape, (tuple, list)) else TypeError)(
                f"Input: batch_shape must be a tuple (batch_size, *shape), got {batch_shape!r}")
        batch_size, shape = batch_shape[0], batch_shape[1:]
    if shape is None:
        raise ValueError("Input: give shape (without the batch axis) or batch_shape")
    return InputLayer(shape, batch_size, name=name, dtype=dtype).output

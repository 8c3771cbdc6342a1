"""The layer protocol every nnlib layer follows.

A layer is a function with weights.  Subclasses write four methods:

``build(input_shape)``
    create the weights with ``add_weight`` (in Keras's order) once the input
    shape is known;
``forward(x, *, training) -> (y, cache)``
    compute the output and keep what the backward pass needs;
``backward(dy, cache, *, need_dx=True) -> (dx, weight_grads)``
    given :math:`\\partial L/\\partial y`, return :math:`\\partial L/\\partial x`
    (or ``None`` when ``need_dx`` is false: nothing upstream learns) and a
    dict of :math:`\\partial L/\\partial W` keyed by weight name;
``check_input_shape(shape)`` (optional)
    raise a clear error for an input the layer cannot take.

``forward`` and ``backward`` never write to ``self``: the cache belongs to the
call, so a layer used twice in one model keeps two caches.
"""
import numpy as np

from ..backend import as_float_array, standardize_dtype
from ..graph import Node, SymbolicTensor, is_symbolic
from ..registry import snake_case
from .. import initializers

_NAME_COUNTS = {}


def unique_name(base):
    """``dense``, then ``dense_1``, ``dense_2``... as Keras names layers."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


class Weight:
    """A named array owned by a layer; optimizers update it with ``assign``."""

    def __init__(self, name, value, layer, trainable=True):
        self.name = name
        self.value = value
        self.layer = layer
        self.trainable = trainable

    @property
    def path(self):
        """``layer_name/weight_name``, e.g. ``dense_1/kernel``."""
        return f"{self.layer.name}/{self.name}"

    @property
    def shape(self):
        return self.value.shape

    def assign(self, value):
        value = np.asarray(value)
        if value.shape != self.value.shape:
            raise ValueError(f"weight '{self.path}': expected shape {self.value.shape}, "
                             f"got {value.shape}")
        self.value = value.astype(self.value.dtype)

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)

    def __repr__(self):
        return f"<Weight {self.path} shape={self.shape} dtype={self.value.dtype}>"


class Layer:
    """Base class of every layer; see the module docstring for the protocol."""

    differentiable = True

    def __init__(self, *, name=None, dtype=None, trainable=True):
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = standardize_dtype(dtype)
        self.trainable = trainable
        self.built = False
        self._weights = []

    # -- weights -------------------------------------------------------------
    def add_weight(self, name, shape, initializer, trainable=True):
        """Create a weight, initialise it and keep it in creation order."""
        value = initializers.get(initializer)(shape, self.dtype)
        weight = Weight(name, value, self, trainable)
        self._weights.append(weight)
        return weight

    @property
    def weights(self):
        """Every weight, in creation (Keras) order."""
        return list(self._weights)

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.trainable and self.trainable]

    def named_weights(self):
        """Weights by the names ``backward`` uses for their gradients."""
        return {w.name: w for w in self.weights}

    def get_weights(self):
        """Copies of the weight values, in Keras's order."""
        return [w.value.copy() for w in self.weights]

    def set_weights(self, values):
        """Replace the weight values; counts and shapes must match."""
        values = list(values)
        if len(values) != len(self.weights):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected "
                             f"{len(self.weights)} weights, got {len(values)}")
        for weight, value in zip(self.weights, values):
            if np.shape(value) != weight.shape:
                raise ValueError(f"{type(self).__name__} '{self.name}': weight "
                                 f"'{weight.name}' expects shape {weight.shape}, "
                                 f"got {np.shape(value)}")
        for weight, value in zip(self.weights, values):
            weight.assign(value)

    def count_params(self):
        return int(sum(w.value.size for w in self.weights))

    # -- the protocol ----------------------------------------------------------
    def build(self, input_shape):
        """Create weights for inputs of ``input_shape``; stateless layers need none."""

    def forward(self, x, *, training=False):
        raise NotImplementedError

    def backward(self, dy, cache, *, need_dx=True):
        raise NotImplementedError

    def check_input_shape(self, shape):
        """Raise ``ValueError`` if the layer cannot take inputs of ``shape``."""

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` for unknown axes).

        The default runs ``forward`` on zeros of that shape (unknown axes as 1)
        and marks the batch axis unknown again; layers override it when the
        shape follows from a formula.
        """
        dummy = np.zeros([1 if d is None else d for d in input_shape], self.dtype)
        y, _ = self.forward(dummy, training=False)
        return (input_shape[0],) + y.shape[1:]

    def error(self, message):
        """A ``ValueError`` whose message names this layer."""
        return ValueError(f"{type(self).__name__} '{self.name}': {message}")

    # -- calling ---------------------------------------------------------------
    def prepare(self, x):
        """Cast ``x`` to the layer's dtype, build on first use, check the shape.

        A layer with several inputs (a merge) gets a list of arrays, and
        ``build`` and ``check_input_shape`` get the list of their shapes.
        """
        owner = f"{type(self).__name__} '{self.name}'"
        if isinstance(x, (list, tuple)):
            x = [as_float_array(a, self.dtype, owner) for a in x]
            self.ensure_built([a.shape for a in x])
        else:
            x = as_float_array(x, self.dtype, owner)
            self.ensure_built(x.shape)
        return x

    def ensure_built(self, input_shape):
        if not isinstance(input_shape, list):
            input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
            self.built = True
        self.check_input_shape(input_shape)

    def __call__(self, x, *, training=False):
        """Apply the layer: eagerly to an array, or symbolically to an ``Input``."""
        if is_symbolic(x):
            return self.call_symbolic(x)
        y, _ = self.forward(self.prepare(x), training=training)
        return y

    def call_symbolic(self, x):
        """Record a graph node for ``layer(tensor)`` (or ``layer([t1, t2])``) and
        return its output tensor."""
        inputs = list(x) if isinstance(x, (list, tuple)) else [x]
        shape = [t.shape for t in inputs] if isinstance(x, (list, tuple)) else x.shape
        self.ensure_built(shape)
        output = SymbolicTensor(self.compute_output_shape(shape), self.dtype)
        Node(self, inputs, [output])
        return output

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "trainable": self.trainable}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

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

Configuration.  ``get_config()`` returns the arguments that rebuild the layer,
``type(layer).from_config(config)``, as plain JSON values: it reads each
argument of ``__init__`` back from the attribute of the same name (so a
layer stores its arguments under their own names), and writes activations,
initializers and other registered components as names or
``{"kind", "class_name", "config"}`` records (``serialize``).  A layer whose
attributes differ from its arguments overrides ``get_config``.

Masks (Keras 3's rules).  A mask is a boolean array beside a tensor, e.g.
``(batch, steps)`` for a sequence, ``False`` where a step is padding.  In a
model the executor carries it from layer to layer:

* a layer whose ``forward`` has a ``mask`` keyword receives its input's mask
  (and keeps in its cache what its backward pass needs of it);
* a layer with ``supports_masking = True`` gives its output the mask
  ``compute_mask(x, mask)``: by default the input's, unchanged (``Dense``
  passes it on); ``Embedding(mask_zero=True)`` makes one; global average
  pooling consumes it (``None``);
* any other layer drops the mask, with a warning, as Keras does.
"""
import functools
import inspect
import warnings

import numpy as np

from ..backend import as_float_array, standardize_dtype
from ..graph import Node, SymbolicTensor, is_symbolic
from ..registry import snake_case
from .. import initializers, registry

_NAME_COUNTS = {}


def unique_name(base):
    """``dense``, then ``dense_1``, ``dense_2``... as Keras names layers."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


@functools.cache
def init_arguments(cls):
    """The keyword arguments ``cls(...)`` takes: its ``__init__``'s, then its
    parents', for as long as an ``__init__`` passes ``**kwargs`` on.

    >>> from nnlib.layers import Dense
    >>> init_arguments(Dense)[:3], init_arguments(Dense)[-3:]
    (('units', 'activation', 'use_bias'), ('name', 'dtype', 'trainable'))
    """
    names = []
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = list(inspect.signature(klass.__init__).parameters.values())[1:]
        names += [p.name for p in parameters if p.name not in names and p.kind in
                  (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return tuple(names)


def registry_entry(obj):
    """The registry's entry for the class of ``obj``, or ``None``."""
    for kind in registry.KINDS:
        for entry in registry.entries(kind):
            if entry.cls is type(obj):
                return entry
    return None


def serialize(value):
    """``value`` as JSON-ready data: numbers, strings, lists and dicts as they
    are; a registered component (an activation, an initializer, a loss...) as
    ``{"kind", "class_name", "config"}``, or as its name when it is an
    activation with its default arguments, as Keras writes ``"relu"``.

    >>> from nnlib.activations import LeakyReLU, ReLU
    >>> serialize([ReLU(), LeakyReLU(0.1)])
    ['relu', {'kind': 'activation', 'class_name': 'LeakyReLU', 'config': {'negative_slope': 0.1}}]
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(serialize(v) for v in value)
    if isinstance(value, dict):
        return {key: serialize(v) for key, v in value.items()}
    entry = registry_entry(value)
    if entry is None:
        raise TypeError(f"cannot serialize {value!r}: expected numbers, strings, lists, "
                        f"dicts or registered nnlib components")
    config = serialize(value.get_config())
    if entry.kind == "activation" and entry.aliases and config == serialize(
            type(value)().get_config()):
        return entry.aliases[0]
    return {"kind": entry.kind, "class_name": entry.name, "config": config}


def deserialize(value):
    """The inverse of ``serialize``: records become components again (names stay
    names; the layers resolve them)."""
    if isinstance(value, list):
        return [deserialize(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"kind", "class_name", "config"}:
        cls = registry.entry_for(value["kind"], value["class_name"]).cls
        config = deserialize(value["config"])
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    return {key: deserialize(v) for key, v in value.items()}


@functools.cache
def forward_takes_mask(cls):
    """Whether ``cls.forward`` has a ``mask`` parameter (read once per class)."""
    return "mask" in inspect.signature(cls.forward).parameters


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
    supports_masking = False

    def __init__(self, *, name=None, dtype=None, trainable=True):
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = standardize_dtype(dtype)
        self.trainable = trainable
        self.built = False
        self._weights = []
        self.inbound_nodes = []  # the graph nodes of this layer's symbolic calls

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

    # -- masks ---------------------------------------------------------------------
    @property
    def uses_mask(self):
        """Whether ``forward`` takes a ``mask`` (Keras looks at ``call``'s signature)."""
        return forward_takes_mask(type(self))

    def compute_mask(self, x, mask):
        """The mask of the output, for a layer that supports masking: by default
        the input's mask, passed on unchanged."""
        return mask

    def output_mask(self, x, mask):
        """The mask the output carries: ``compute_mask`` if the layer supports
        masking; otherwise none, and a warning if a mask is lost here."""
        if self.supports_masking:
            return self.compute_mask(x, mask)
        if mask is not None and not self.uses_mask:
            warnings.warn(f"{type(self).__name__} '{self.name}' does not support masking: "
                          f"the mask of its input stops here", stacklevel=2)
        return None

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

    @property
    def input(self):
        """The input tensor(s) of the layer's first symbolic call (Keras's rule)."""
        inputs = self.first_call("input").inputs
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self):
        """The output tensor(s) of the layer's first symbolic call (Keras's rule):
        ``Model(model.inputs, model.get_layer("hidden").output)`` extracts features."""
        outputs = self.first_call("output").outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def first_call(self, attribute):
        if not self.inbound_nodes:
            raise AttributeError(f"{type(self).__name__} '{self.name}' has never been called "
                                 f"on a symbolic tensor, so it has no {attribute} yet")
        return self.inbound_nodes[0]

    # -- configuration -----------------------------------------------------------
    def get_config(self):
        """The arguments that rebuild this layer, as JSON-ready values."""
        config = {}
        for name in init_arguments(type(self)):
            if not hasattr(self, name):
                raise TypeError(f"{type(self).__name__} '{self.name}': get_config reads each "
                                f"argument of __init__ from the attribute of the same name, "
                                f"but there is no attribute {name!r}; store the argument "
                                f"as self.{name} or override get_config")
            config[name] = serialize(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        """A new, unbuilt layer from ``get_config()``'s output.

        >>> from nnlib.layers import Dense
        >>> Dense.from_config(Dense(3, activation="relu", name="d").get_config())
        <Dense name=d>
        """
        return cls(**deserialize(dict(config)))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

"""Functional models: layers wired into a graph, run by one executor.

``Model(inputs, outputs)`` walks the graph that calling layers on ``Input``
tensors recorded, and orders its nodes so each runs after its inputs.
``forward`` runs them and keeps a *tape*, the list of ``(node, cache)``;
``backward`` walks the tape in reverse.  Gradients are added (``+=``) into
whatever they flow to, so a tensor read twice (a skip connection) or a
layer called twice (a shared layer) gets the sum of its contributions.
"""
from ..backend import as_float_array
from ..graph import Node, SymbolicTensor, topological_order
from ..layers.base import Layer
from .summary import summary_text
from .training import Trainer


class InputLayer(Layer):
    """The source of an ``Input`` tensor: passes the data through unchanged."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.shape = tuple(shape)
        self.built = True

    def forward(self, x, *, training=False):
        return x, None

    def backward(self, dy, cache, *, need_dx=True):
        return dy, {}


def Input(shape, name=None, dtype=None):
    """A symbolic input of ``shape`` (without the batch axis) for a functional model.

    >>> Input((4,)).shape
    (None, 4)
    """
    layer = InputLayer(shape, name=name or None, dtype=dtype)
    tensor = SymbolicTensor((None,) + layer.shape, layer.dtype, name=layer.name)
    Node(layer, [], [tensor])
    return tensor


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _accumulate(store, key, value):
    if value is not None:
        store[key] = value if key not in store else store[key] + value


class Model(Trainer, Layer):
    """A graph of layers from ``inputs`` to ``outputs``; itself usable as a layer.

    >>> x = Input((3,))
    >>> from nnlib.layers import Dense
    >>> model = Model(x, Dense(2)(x))
    >>> model.predict(np.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, inputs, outputs, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.connect(inputs, outputs)

    def connect(self, inputs, outputs):
        """Record the graph: its input and output tensors and its nodes in order."""
        self.single_input = not isinstance(inputs, (list, tuple))
        self.single_output = not isinstance(outputs, (list, tuple))
        self.inputs, self.outputs = _as_list(inputs), _as_list(outputs)
        nodes = topological_order(self.outputs)
        sources = [n for n in nodes if isinstance(n.layer, InputLayer)]
        missing = [n.layer.name for n in sources if n.outputs[0] not in self.inputs]
        if missing:
            raise ValueError(f"Model '{self.name}': the outputs depend on inputs {missing} "
                             f"that are not in the model's inputs")
        self.nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        self.built = True

    @property
    def layers(self):
        unique = {}
        for node in self.nodes:
            unique.setdefault(id(node.layer), node.layer)
        return list(unique.values())

    @property
    def weights(self):
        return list(self.named_weights().values())

    @property
    def trainable_weights(self):
        return [w for w in self.named_weights(trainable_only=True).values()]

    def named_weights(self, trainable_only=False):
        """Every weight by its path, ``layer_name/weight_name``, in layer order."""
        named = {}
        for layer in self.layers:
            if trainable_only and not layer.trainable:
                continue
            for key, weight in layer.named_weights().items():
                if not trainable_only or weight.trainable:
                    named[f"{layer.name}/{key}"] = weight
        return named

    def get_layer(self, name):
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}': no layer named {name!r}; "
                         f"layers: {[layer.name for layer in self.layers]}")

    def summary(self, print_fn=print):
        """Print the layer table: names, types, output shapes, parameter counts."""
        print_fn(summary_text(self))

    # -- execution -------------------------------------------------------------
    def prepare(self, x):
        arrays = _as_list(x)
        if len(arrays) != len(self.inputs):
            raise ValueError(f"Model '{self.name}': expected {len(self.inputs)} inputs, "
                             f"got {len(arrays)}")
        prepared = []
        for tensor, array in zip(self.inputs, arrays):
            array = as_float_array(array, tensor.dtype, f"Model '{self.name}'")
            expected = tensor.shape[1:]
            if array.ndim != len(tensor.shape) or any(
                    e is not None and e != g for e, g in zip(expected, array.shape[1:])):
                raise ValueError(f"Model '{self.name}': input '{tensor.name}' expects shape "
                                 f"{tensor.shape}, got {array.shape}")
            prepared.append(array)
        return prepared[0] if self.single_input else prepared

    def forward(self, x, *, training=False):
        """Run every node in order; returns ``(outputs, tape)``."""
        values = {id(t): a for t, a in zip(self.inputs, _as_list(x))}
        tape = []
        for node in self.nodes:
            args = [values[id(t)] for t in node.inputs]
            layer_input = node.layer.prepare(args[0] if len(args) == 1 else args)
            y, cache = node.layer.forward(layer_input, training=training)
            values[id(node.outputs[0])] = y
            tape.append((node, cache))
        outputs = [values[id(t)] for t in self.outputs]
        return (outputs[0] if self.single_output else outputs), tape

    def backward(self, dy, tape, *, need_dx=True):
        """Walk the tape in reverse; returns ``(d_inputs, weight_grads by path)``."""
        needs = self.inputs_needing_grad(need_dx)
        grads = {id(t): g for t, g in zip(self.outputs, _as_list(dy))}
        weight_grads = {}
        for node, cache in reversed(tape):
            d_out = grads.pop(id(node.outputs[0]), None)
            if d_out is None:
                continue  # this output does not reach the loss
            need = any(needs[id(t)] for t in node.inputs)
            dx, layer_grads = node.layer.backward(d_out, cache, need_dx=need)
            if node.layer.trainable:
                weights = node.layer.named_weights()
                for key, grad in layer_grads.items():
                    if weights[key].trainable:
                        _accumulate(weight_grads, f"{node.layer.name}/{key}", grad)
            if need:
                for tensor, d_in in zip(node.inputs, _as_list(dx) if len(node.inputs) > 1 else [dx]):
                    _accumulate(grads, id(tensor), d_in)
        if not need_dx:
            return None, weight_grads
        d_inputs = [grads.get(id(t)) for t in self.inputs]  # None: input unused
        return (d_inputs[0] if self.single_input else d_inputs), weight_grads

    def inputs_needing_grad(self, need_dx):
        """Which tensors lead back to something that learns (or to a wanted input)."""
        needs = {id(t): need_dx for t in self.inputs}
        for node in self.nodes:
            learns = node.layer.trainable and bool(node.layer.trainable_weights)
            needs[id(node.outputs[0])] = learns or any(needs[id(t)] for t in node.inputs)
        return needs

    def call_symbolic(self, x):
        outputs = [SymbolicTensor(t.shape, t.dtype) for t in self.outputs]
        Node(self, _as_list(x), outputs)
        return outputs[0] if self.single_output else outputs

    def compute_output_shape(self, input_shape):
        return self.outputs[0].shape

"""Functional models: layers wired into a graph, run by one executor.

Calling a layer on an ``Input`` tensor records a node (``nnlib.graph``);
``Model(inputs, outputs)`` walks those records back from the outputs and
orders the nodes so that each runs after the nodes it reads.  ``forward``
runs them and keeps a *tape*, the list of ``(node, cache)``; ``backward``
walks the tape in reverse.  Gradients are added (``+=``) into whatever they
flow to, so a tensor read twice (a skip connection) or a layer called twice
(a shared layer) gets the sum of its contributions:

.. math::

    \\frac{\\partial L}{\\partial x} = \\sum_{\\text{uses } u \\text{ of } x}
        \\frac{\\partial L}{\\partial x}\\Big|_u, \\qquad
    \\frac{\\partial L}{\\partial W} = \\sum_{\\text{calls } c \\text{ of the layer}}
        \\frac{\\partial L}{\\partial W}\\Big|_c

Inputs and outputs may be one tensor, a list or a dict (keyed by name);
data is given in the same structure, or as a dict keyed by the ``Input``
names (inputs) and the output names (outputs).  Masks travel beside the
tensors (see ``nnlib.layers.base``); the tape keeps the outputs' masks for
the loss.  A model is itself a layer: called on new tensors it becomes one
node of a larger graph (nesting), and its weights are listed under its name.
"""
import numpy as np

from ..backend import as_float_array
from ..graph import Node, SymbolicTensor, is_symbolic, topological_order
from ..layers.base import Layer, unique_name
from .summary import summary_text
from .training import Trainer


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

    def forward(self, x, *, training=False):
        return x, None

    def backward(self, dy, cache, *, need_dx=True):
        return dy, {}


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


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _single_or_list(items):
    """One item for one input, else the list (``None`` if every item is ``None``)."""
    if len(items) == 1:
        return items[0]
    return None if all(item is None for item in items) else items


def _kind(structure):
    """``"dict"``, ``"list"`` or ``"single"``: how inputs or outputs were given."""
    if isinstance(structure, dict):
        return "dict"
    return "list" if isinstance(structure, (list, tuple)) else "single"


class Tape(list):
    """The forward pass's record: ``(node, cache)`` pairs in order, and the
    mask of the model's output (``None`` if it has none; a list for several
    outputs), which the loss takes."""

    def __init__(self):
        super().__init__()
        self.output_mask = None
        self.output_templates = {}  # node -> zeros for each output, for nodes with several


def keras_layer_order(nodes, inputs, outputs):
    """The layers of ``nodes`` (in topological order) in Keras's order: by
    decreasing depth (the longest path to an output), ties broken by the order
    in which a depth-first walk from the outputs first meets them."""
    node_depth, layer_depth = {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in node.parents:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    first_met, seen = {}, set()

    def walk(node):
        if id(node) not in seen:
            seen.add(id(node))
            first_met.setdefault(id(node.layer), len(first_met))
            for parent in node.parents:
                walk(parent)
    for tensor in outputs:
        walk(tensor.node)
    layers = {id(n.layer): n.layer for n in nodes}
    for tensor in inputs:  # an input no output reads: depth 0, ahead of the outputs (Keras)
        layers.setdefault(id(tensor.node.layer), tensor.node.layer)
        layer_depth.setdefault(id(tensor.node.layer), 0)
        first_met.setdefault(id(tensor.node.layer), -1)
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)],
                                                      first_met[id(layer)]))


def _accumulate(store, key, value):
    if value is not None:
        store[key] = value if key not in store else store[key] + value


class Model(Trainer, Layer):
    """A graph of layers from ``inputs`` to ``outputs``; itself usable as a layer.

    Args:
        inputs: an ``Input`` tensor, a list of them, or a dict of them keyed
            by their names.
        outputs: a tensor computed from the inputs, a list, or a dict (whose
            keys become the output names).
        name: defaults to ``functional``, ``functional_1``...
        trainable: ``False`` freezes every layer of the model.

    ``model.layers`` lists the ``InputLayer`` objects too, as in Keras.
    Output names (the keys of per-output losses, metrics and logs) are the
    dict keys, or the names of the layers that produce the outputs.

    >>> from nnlib.layers import Dense
    >>> x = Input((3,), name="features")
    >>> model = Model(x, Dense(2, name="scores")(x))
    >>> model.predict(np.ones((5, 3))).shape
    (5, 2)
    >>> [layer.name for layer in model.layers], model.output_names
    (['features', 'scores'], ['scores'])
    """

    def __init__(self, inputs, outputs, name=None, trainable=None, **kwargs):
        if name is None and type(self) is Model:
            name = unique_name("functional")
        super().__init__(name=name, **kwargs)
        self.connect(inputs, outputs)
        if trainable is not None:
            self.trainable = trainable

    # -- the graph -------------------------------------------------------------------
    def connect(self, inputs, outputs):
        """Record the graph: its input and output tensors and its nodes in order."""
        self.input_kind, self.output_kind = _kind(inputs), _kind(outputs)
        flat_in = list(inputs.values()) if self.input_kind == "dict" else _as_list(inputs)
        flat_out = list(outputs.values()) if self.output_kind == "dict" else _as_list(outputs)
        for role, tensors in (("inputs", flat_in), ("outputs", flat_out)):
            bad = [t for t in tensors if not isinstance(t, SymbolicTensor)]
            if bad or not tensors:
                raise TypeError(f"Model '{self.name}': {role} must be symbolic tensors "
                                f"(from Input and layer calls), got {bad or tensors!r}")
        not_inputs = [t for t in flat_in if not isinstance(t.node.layer, InputLayer)]
        if not_inputs:
            raise ValueError(f"Model '{self.name}': inputs must be Input tensors, got tensors "
                             f"computed by {[t.node.layer.name for t in not_inputs]}")
        self.inputs, self.outputs = flat_in, flat_out
        self.input_names = list(inputs) if self.input_kind == "dict" else \
            [t.name for t in flat_in]
        self.output_names = list(outputs) if self.output_kind == "dict" else \
            [t.node.layer.name for t in flat_out]
        nodes = topological_order(self.outputs)
        missing = [n.layer.name for n in nodes
                   if isinstance(n.layer, InputLayer) and n.outputs[0] not in self.inputs]
        if missing:
            raise ValueError(f"Model '{self.name}': the outputs depend on inputs {missing} "
                             f"that are not in the model's inputs")
        self.nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        self.graph_layers = keras_layer_order(nodes, self.inputs, self.outputs)
        names = [layer.name for layer in self.graph_layers]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"Model '{self.name}': layer names must be unique, "
                             f"{repeated} appear more than once")
        self.built = True

    @property
    def layers(self):
        return list(self.graph_layers)

    def sublayers(self):
        """The layers ``trainable`` reaches (none before the graph exists)."""
        return getattr(self, "graph_layers", [])

    def node_indices(self):
        """``{id(node): i}``: each call's rank among its layer's calls in this model
        (the ``node_index`` of Keras's summary and configs)."""
        indices = {id(t.node): 0 for t in self.inputs}
        for node in self.nodes:
            calls = [n for n in node.layer.inbound_nodes if n in self.nodes]
            indices[id(node)] = calls.index(node)
        return indices

    @property
    def input(self):
        """The input tensor(s), in the structure the model was given."""
        return self.pack(self.inputs, self.input_kind, self.input_names)

    @property
    def output(self):
        """The output tensor(s), in the structure the model was given."""
        return self.pack(self.outputs, self.output_kind, self.output_names)

    def get_layer(self, name=None, index=None):
        """A layer by name or by position in ``model.layers``."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}': no layer at index {index}; it has "
                                 f"{len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}': no layer named {name!r}; "
                         f"layers: {[layer.name for layer in self.layers]}")

    # -- weights and freezing -------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Setting it sets every layer's, as Keras does: ``model.trainable = False``
        freezes the whole model."""
        self._trainable = bool(value)
        for layer in self.sublayers():
            layer.trainable = value

    @property
    def weights(self):
        return list(self.named_weights().values())

    @property
    def trainable_weights(self):
        return list(self.named_weights(trainable_only=True).values())

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def named_weights(self, trainable_only=False):
        """Every weight by its path, ``layer_name/weight_name``, in layer order
        (a nested model's weights as ``model_name/layer_name/weight_name``).

        With ``trainable_only``, the weights that learn: none of a frozen
        model or layer (``trainable = False``) nor non-trainable weights."""
        if trainable_only and not self.trainable:
            return {}
        named = {}
        for layer in self.layers:
            if isinstance(layer, Model):
                weights = layer.named_weights(trainable_only)
            else:
                weights = {key: w for key, w in layer.named_weights().items()
                           if not trainable_only or (layer.trainable and w.trainable)}
            named.update({f"{layer.name}/{key}": w for key, w in weights.items()})
        return named

    def summary(self, print_fn=print, show_trainable=False):
        """Print the layer table Keras prints: names and types, output shapes,
        parameter counts (and, for non-linear graphs, what each layer reads)."""
        print_fn(summary_text(self, show_trainable=show_trainable))

    # -- structures of data ---------------------------------------------------------
    @staticmethod
    def pack(items, kind, names):
        """Items in a model's structure: one, a list, or a dict keyed by ``names``."""
        if kind == "dict":
            return dict(zip(names, items))
        return list(items) if kind == "list" else items[0]

    def flatten(self, data, tensors, names, role):
        """``data`` (one array, a list, or a dict keyed by ``names``) as a list
        lined up with ``tensors``; ``role`` names them in errors."""
        if isinstance(data, dict):
            missing = [n for n in names if n not in data]
            if missing:
                raise ValueError(f"Model '{self.name}': no data for {role} {missing}; "
                                 f"the dict has keys {sorted(data)}")
            return [data[n] for n in names]
        if len(tensors) == 1:  # a list holding the one input, or the input as a nested list?
            one_array = isinstance(data, (list, tuple)) and len(data) == 1 and \
                getattr(data[0], "ndim", np.ndim(data[0])) == len(tensors[0].shape)
            return [data[0]] if one_array else [data]
        items = _as_list(data)
        if len(items) != len(tensors):
            raise ValueError(f"Model '{self.name}': expected {len(tensors)} {role} "
                             f"{names}, got {len(items)}")
        return items

    def flatten_inputs(self, x):
        return self.flatten(x, self.inputs, self.input_names, "inputs")

    def flatten_outputs(self, y):
        return self.flatten(y, self.outputs, self.output_names, "outputs")

    def prepare(self, x):
        """Cast the data to the inputs' dtypes and check their shapes."""
        prepared = []
        for tensor, array in zip(self.inputs, self.flatten_inputs(x)):
            array = as_float_array(array, tensor.dtype, f"Model '{self.name}'") \
                if np.dtype(tensor.dtype).kind == "f" else self.as_ids(array, tensor)
            self.check_input_shape_of(tensor, array.shape)
            prepared.append(array)
        return prepared[0] if len(prepared) == 1 else prepared

    def check_input_shape_of(self, tensor, shape):
        """Raise unless ``shape`` fits the input ``tensor`` (``None`` fits any size)."""
        if len(shape) != len(tensor.shape) or any(
                e is not None and g is not None and e != g
                for e, g in zip(tensor.shape[1:], shape[1:])):
            raise ValueError(f"Model '{self.name}': input '{tensor.name}' expects shape "
                             f"{tensor.shape}, got {tuple(shape)}")

    def as_ids(self, array, tensor):
        """``array`` cast to an integer input's dtype; fractional values are an error."""
        array = np.asarray(array)
        if array.dtype.kind not in "biuf" or (array.dtype.kind == "f"
                                               and not np.all(array == np.round(array))):
            raise TypeError(f"Model '{self.name}': input '{tensor.name}' takes integers "
                            f"({tensor.dtype}), got {array.dtype} values that are not whole")
        return array.astype(tensor.dtype)

    # -- execution -------------------------------------------------------------------
    def forward(self, x, *, training=False):
        """Run every node in order; returns ``(outputs, tape)``.

        ``x`` is one array, a list or a dict (see ``flatten_inputs``); the
        outputs come in the structure the model was built with.
        """
        values = {id(t): a for t, a in zip(self.inputs, self.flatten_inputs(x))}
        masks = {}
        tape = Tape()
        for node in self.nodes:
            layer = node.layer
            layer_input = layer.prepare(_single_or_list([values[id(t)] for t in node.inputs]))
            mask = _single_or_list([masks.get(id(t)) for t in node.inputs])
            mask_arg = {"mask": mask} if layer.uses_mask else {}
            y, cache = layer.forward(layer_input, training=training, **mask_arg)
            ys = [y] if len(node.outputs) == 1 else \
                list(y.values()) if isinstance(y, dict) else list(y)
            if len(node.outputs) > 1:
                tape.output_templates[id(node)] = [np.zeros_like(v) for v in ys]
            output_mask = layer.output_mask(layer_input, mask)
            for tensor, value in zip(node.outputs, ys):
                values[id(tensor)] = value
                masks[id(tensor)] = output_mask
            tape.append((node, cache))
        outputs = [values[id(t)] for t in self.outputs]
        tape.output_mask = _single_or_list([masks.get(id(t)) for t in self.outputs])
        return self.pack(outputs, self.output_kind, self.output_names), tape

    def backward(self, dy, tape, *, need_dx=True):
        """Walk the tape in reverse; returns ``(d_inputs, weight_grads by path)``.

        ``dy`` holds :math:`\\partial L/\\partial y` for each output, in the
        outputs' structure (``None`` for an output that does not reach the
        loss).  ``need_dx=False`` skips the input gradients that nothing needs.
        """
        needs = self.inputs_needing_grad(need_dx)
        grads = {}
        for tensor, d in zip(self.outputs, self.flatten_outputs(dy)):
            _accumulate(grads, id(tensor), d)
        weight_grads = {}
        for node, cache in reversed(tape):
            d_outs = [grads.pop(id(t), None) for t in node.outputs]
            if all(d is None for d in d_outs):
                continue  # this node does not reach the loss
            if len(node.outputs) == 1:
                d_out = d_outs[0]
            else:
                d_out = [z if d is None else d
                         for d, z in zip(d_outs, tape.output_templates[id(node)])]
            need = any(needs[id(t)] for t in node.inputs)
            dx, layer_grads = node.layer.backward(d_out, cache, need_dx=need)
            if node.layer.trainable:
                weights = node.layer.named_weights()
                for key, grad in layer_grads.items():
                    if weights[key].trainable:
                        _accumulate(weight_grads, f"{node.layer.name}/{key}", grad)
            if need:
                for tensor, d_in in zip(node.inputs, dx if len(node.inputs) > 1 else [dx]):
                    _accumulate(grads, id(tensor), d_in)
        if not need_dx:
            return None, weight_grads
        d_inputs = [grads.get(id(t)) for t in self.inputs]  # None: input unused
        return self.pack(d_inputs, self.input_kind, self.input_names), weight_grads

    def inputs_needing_grad(self, need_dx):
        """Which tensors lead back to something that learns (or to a wanted input)."""
        needs = {id(t): need_dx for t in self.inputs}
        for node in self.nodes:
            learns = node.layer.trainable and bool(node.layer.trainable_weights)
            need = learns or any(needs[id(t)] for t in node.inputs)
            needs.update({id(t): need for t in node.outputs})
        return needs

    # -- a model as a layer ------------------------------------------------------------
    def __call__(self, x, *, training=False):
        if is_symbolic(list(x.values()) if isinstance(x, dict) else x):
            return self.call_symbolic(x)
        y, _ = self.forward(self.prepare(x), training=training)
        return y

    def call_symbolic(self, x):
        """Record this model as one node of a larger graph (nesting)."""
        inputs = self.flatten_inputs(x)
        for tensor, given in zip(self.inputs, inputs):
            self.check_input_shape_of(tensor, given.shape)
        outputs = [SymbolicTensor(t.shape, t.dtype) for t in self.outputs]
        Node(self, inputs, outputs)
        return self.pack(outputs, self.output_kind, self.output_names)

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    # -- configuration -----------------------------------------------------------------
    def get_config(self):
        """The graph as JSON-ready data, in Keras's layout: each layer's class
        and config with the calls it received (``inbound_nodes``, each a list
        of ``[layer_name, node_index, tensor_index]`` it read), then the
        tensors that are the model's inputs and outputs."""
        node_index = self.node_indices()

        def ref(tensor):
            return [tensor.node.layer.name, node_index[id(tensor.node)],
                    tensor.node.outputs.index(tensor)]

        layers = []
        for layer in self.layers:
            calls = [n for n in self.nodes if n.layer is layer]
            layers.append({"class_name": class_name(layer), "name": layer.name,
                           "config": layer.get_config(),
                           "inbound_nodes": [[ref(t) for t in n.inputs] for n in calls]})

        def structure(tensors, kind, names):
            refs = [ref(t) for t in tensors]
            return dict(zip(names, refs)) if kind == "dict" else refs if kind == "list" \
                else refs[0]

        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": structure(self.inputs, self.input_kind, self.input_names),
                "output_layers": structure(self.outputs, self.output_kind, self.output_names)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the graph of ``get_config()``: create every layer, then call
        each on its recorded inputs once those exist (a worklist, as Keras)."""
        tensors, pending = {}, []
        for spec in config["layers"]:
            layer = layer_from_config(spec, custom_objects)
            if isinstance(layer, InputLayer):
                tensors[(spec["name"], 0, 0)] = layer.output
            pending += [(layer, index, [tuple(r) for r in refs])
                        for index, refs in enumerate(spec["inbound_nodes"])]
        calls_made = {}
        while pending:
            waiting = []
            for layer, index, keys in pending:
                if index != calls_made.get(layer.name, 0) or any(k not in tensors for k in keys):
                    waiting.append((layer, index, keys))
                    continue
                args = [tensors[k] for k in keys]
                outputs = layer(args[0] if len(args) == 1 else args)
                outputs = list(outputs.values()) if isinstance(outputs, dict) else _as_list(outputs)
                tensors.update({(layer.name, index, i): t for i, t in enumerate(outputs)})
                calls_made[layer.name] = index + 1
            if len(waiting) == len(pending):
                names = [layer.name for layer, _, _ in waiting]
                raise ValueError(f"Model config '{config.get('name')}': the calls of {names} "
                                 f"read tensors that no layer produces")
            pending = waiting

        def resolve(structure):
            if isinstance(structure, dict):
                return {key: tensors[tuple(r)] for key, r in structure.items()}
            if structure and isinstance(structure[0], list):
                return [tensors[tuple(r)] for r in structure]
            return tensors[tuple(structure)]

        trainable = config.get("trainable", True)
        return cls(resolve(config["input_layers"]), resolve(config["output_layers"]),
                   name=config["name"], trainable=None if trainable else False)

    # -- saving (see nnlib.saving) ---------------------------------------------------------
    def save_weights(self, filepath):
        """Write every weight to ``filepath`` (``.weights.npz``)."""
        from .. import saving
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Read weights saved by ``save_weights`` (or from a whole-model file);
        nothing changes unless every weight is present with its shape."""
        from .. import saving
        saving.load_weights(self, filepath)

    def save(self, filepath):
        """Write the architecture, the weights and the optimizer's state to one file."""
        from .. import saving
        saving.save_model(self, filepath)


def class_name(layer):
    """The ``class_name`` a config records: ``Functional`` for a ``Model``, as in Keras."""
    return "Functional" if type(layer) is Model else type(layer).__name__


def layer_from_config(spec, custom_objects=None):
    """A layer (or model) from ``{"class_name", "config"}``: found among
    ``custom_objects``, the registered layers and models, or ``InputLayer``."""
    from .. import registry
    name = spec["class_name"]
    custom_objects = custom_objects or {}
    if name in custom_objects:
        cls = custom_objects[name]
    elif name == "InputLayer":
        cls = InputLayer
    else:
        cls = None
        for kind in ("layer", "model"):
            try:
                cls = registry.entry_for(kind, name).cls
                break
            except ValueError:
                continue
        if cls is None:
            raise ValueError(f"unknown layer class {name!r}: not a registered nnlib layer; "
                             f"pass it as custom_objects={{{name!r}: {name}}}")
    if issubclass(cls, Model):
        return cls.from_config(spec["config"], custom_objects)
    return cls.from_config(spec["config"])


__all__ = ["Input", "InputLayer", "Model", "class_name", "layer_from_config"]

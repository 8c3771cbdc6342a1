"""Functional models: layers wired into a graph, run by one executor.

Calling a layer on an ``Input`` tensor records a node (``nnlib.graph``);
``Model(inputs, outputs)`` walks those records back from the outputs and
orders the nodes so that each runs after the nodes it reads.  ``execute``
runs them on a flat list of arrays and keeps a *tape*: one record per node
with its cache, and what the forward passes handed back (state updates,
added losses).  ``execute_backward`` walks the tape in reverse.  Gradients
are added (``+=``) into whatever they flow to, so a tensor read twice (a skip
connection) or a layer called twice (a shared layer) gets the sum of its
contributions:

.. math::

    \\frac{\\partial L}{\\partial x} = \\sum_{\\text{uses } u \\text{ of } x}
        \\frac{\\partial L}{\\partial x}\\Big|_u, \\qquad
    \\frac{\\partial L}{\\partial W} = \\sum_{\\text{calls } c \\text{ of the layer}}
        \\frac{\\partial L}{\\partial W}\\Big|_c

Inputs and outputs may be one tensor, a list or a dict (keyed by name, in
sorted order as Keras flattens dicts); data comes in the same structure, or
as a dict keyed by the input and output names.  ``forward`` and ``backward``
take and give those structures, packed and unpacked once at the edge; the
executor inside works on flat lists.  Masks travel beside the tensors (see
``nnlib.layers.base``); the tape keeps the outputs' masks for the loss.  A
model is itself a layer: called on new tensors it becomes one node of a
larger graph (nesting), and its weights are listed under its name.
"""
import json
from typing import NamedTuple

import numpy as np

from .. import saving
from ..backend import as_float_array
from ..checks import flag, whole_number
from ..graph import Node, SymbolicTensor, flatten, input_gradient_leaves, pack_as, \
    structure_kind, topological_order
from ..layers.base import Effects, Layer, all_trainable, apply_updates, unique_name
from ..layers.deserialization import layer_from_config, layer_record
from ..layers.input_layer import Input, InputLayer
from ..registry import snake_case
from .subclassed import Subclassing
from .summary import summary_text
from .training import Trainer


class Record(NamedTuple):
    """One node's entry on the tape: its cache, its outputs, whether it added losses."""

    node: Node
    cache: object
    outputs: list
    added_losses: bool


class Tape(list):
    """The forward pass's record: a ``Record`` per node, in order; the outputs'
    masks (``output_mask``: one, or a list for several outputs, as the loss
    takes them); the state updates (``{weight: new value}``) and the added
    losses that the forward passes handed back."""

    def __init__(self):
        super().__init__()
        self.output_masks = []
        self.updates = {}
        self.losses = []

    @property
    def output_mask(self):
        masks = self.output_masks
        if len(masks) == 1:
            return masks[0]
        return None if all(m is None for m in masks) else masks

    def apply_updates(self):
        """Give the non-trainable weights the values the forward pass computed."""
        apply_updates(self.updates)

    def effects(self):
        return Effects(self.updates, self.losses)


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


class Model(Subclassing, Trainer, Layer):
    """A graph of layers from ``inputs`` to ``outputs``; itself usable as a layer.

    Args:
        inputs: an ``Input`` tensor, a list of them, or a dict of them keyed
            by their names.
        outputs: a tensor computed from the inputs, a list, or a dict (whose
            keys become the output names, in sorted order, as in Keras).
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
    >>> list(model.named_weights())
    ['scores.kernel', 'scores.bias']
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=None, **kwargs):
        subclassed = inputs is None and outputs is None
        if subclassed and not callable(getattr(type(self), "call", None)):
            raise TypeError("Model: give inputs and outputs, Model(inputs, outputs), or "
                            "subclass Model and write call(inputs) (Keras's subclassing)")
        if not subclassed and (inputs is None or outputs is None):
            raise TypeError(f"Model: give both inputs and outputs, got "
                            f"{'outputs' if inputs is None else 'inputs'} alone")
        if name is None and type(self) is Model:
            name = unique_name("functional")
        super().__init__(name=name, **kwargs)
        if self.activity_regularizer is not None:
            raise ValueError(f"Model '{self.name}': activity_regularizer is for layers; give "
                             f"it to the layer whose outputs it should penalise")
        self.subclassed = subclassed
        if not subclassed:  # a subclassed model is built by its first data
            self.connect(inputs, outputs)
        if trainable is not None:
            self.trainable = trainable

    @classmethod
    def class_name(cls):
        """``Functional`` for a plain ``Model``, as Keras's configs name it."""
        return "Functional" if cls is Model else cls.__name__

    # -- the graph -------------------------------------------------------------------
    def connect(self, inputs, outputs):
        """Record the graph: its input and output tensors and its nodes in order."""
        self.input_kind, self.output_kind = structure_kind(inputs), structure_kind(outputs)
        for role, structure in (("inputs", inputs), ("outputs", outputs)):
            tensors = flatten(structure)
            bad = [t for t in tensors if not isinstance(t, SymbolicTensor)]
            if bad or not tensors:
                raise TypeError(f"Model '{self.name}': {role} must be symbolic tensors "
                                f"(from Input and layer calls), got {bad or structure!r}")
        self.inputs, self.outputs = flatten(inputs), flatten(outputs)
        not_inputs = [t for t in self.inputs if not isinstance(t.node.layer, InputLayer)]
        if not_inputs:
            raise ValueError(f"Model '{self.name}': inputs must be Input tensors, got tensors "
                             f"computed by {[t.node.layer.name for t in not_inputs]}")
        self.input_names = sorted(inputs) if self.input_kind == "dict" else \
            [t.name for t in self.inputs]
        self.output_names = sorted(outputs) if self.output_kind == "dict" else \
            [t.node.layer.name for t in self.outputs]
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
        self._weight_entries = Layer.weight_entries(self)
        self._regularized = [(path, weight, layers)
                             for path, _, weight, layers in self._weight_entries
                             if weight.regularizer is not None
                             and not any(isinstance(layer, Model) for layer in layers[1:])]

    @property
    def layers(self):
        if self.subclassed:  # the layers its attributes hold
            return [layer for _, layer in Layer.children(self)]
        return list(self.graph_layers)

    def children(self):
        """The model's layers, each saved under ``layers/<class>`` with a count for
        repeats (``layers/dense``, ``layers/dense_1``), as Keras's weight files."""
        if self.subclassed:
            return Layer.children(self)
        groups, used = [], {}
        for layer in self.graph_layers if self.built else []:
            base = snake_case(layer.class_name())
            count = used[base] = used.get(base, -1) + 1
            groups.append((f"layers/{base}" + (f"_{count}" if count else ""), layer))
        return groups

    def weight_entries(self):
        """The weight tree (``Layer.weight_entries``), walked once when the graph is
        connected: a model's layers are all built by then."""
        if self.subclassed:
            return Layer.weight_entries(self)
        return self._weight_entries if self.built else []

    def sublayers(self):
        """The layers ``trainable`` reaches (none before the graph exists)."""
        return self.layers if self.subclassed else getattr(self, "graph_layers", [])

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

    @property
    def input_shape(self):
        """The inputs' shapes (batch axis ``None``) in the structure of ``input``;
        a list of one becomes its shape, as in Keras."""
        return self.single_shape(self.pack([t.shape for t in self.inputs], self.input_kind,
                                           self.input_names))

    @property
    def output_shape(self):
        """The outputs' shapes, as ``input_shape``."""
        return self.single_shape(self.pack([t.shape for t in self.outputs], self.output_kind,
                                           self.output_names))

    @staticmethod
    def single_shape(shapes):
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    def get_layer(self, name=None, index=None):
        """A layer by name or by position in ``model.layers``."""
        if index is not None:
            index = whole_number(f"Model '{self.name}'", "index", index, minimum=None)
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}': no layer at index {index}; it has "
                                 f"{len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}': no layer named {name!r}; "
                         f"layers: {[layer.name for layer in self.layers]}")

    # -- freezing ---------------------------------------------------------------------
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

    def summary(self, print_fn=print, show_trainable=False):
        """Print the layer table Keras prints: names and types, output shapes,
        parameter counts (and, for non-linear graphs, what each layer reads)."""
        if not callable(print_fn):
            raise TypeError(f"Model '{self.name}': print_fn must be a function taking a "
                            f"string, got {print_fn!r}")
        print_fn(summary_text(self, show_trainable=flag(f"Model '{self.name}'",
                                                       "show_trainable", show_trainable)))

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
        if not isinstance(data, (list, tuple)) or len(data) != len(tensors):
            given = f"{len(data)} arrays" if isinstance(data, (list, tuple)) else "one array"
            raise ValueError(f"Model '{self.name}': expected {len(tensors)} {role} "
                             f"{names}, got {given}")
        return list(data)

    def flatten_inputs(self, x):
        return self.flatten(x, self.inputs, self.input_names, "inputs")

    def flatten_outputs(self, y):
        return self.flatten(y, self.outputs, self.output_names, "outputs")

    def prepare(self, x):
        """The data as a flat list lined up with the inputs, each array cast to
        its input's dtype and its shape checked (a subclassed model is built
        by its first data)."""
        if self.subclassed and not self.built:
            self.build_from_data(x)
        prepared = []
        for tensor, array in zip(self.inputs, self.flatten_inputs(x)):
            array = as_float_array(array, tensor.dtype, f"Model '{self.name}'") \
                if np.dtype(tensor.dtype).kind == "f" else self.as_ids(array, tensor)
            self.check_input_shape_of(tensor, array.shape)
            prepared.append(array)
        return prepared

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
        return array.astype(tensor.dtype, copy=False)

    # -- execution: the edges ---------------------------------------------------------
    def forward(self, x, *, training=False):
        """Run the model on ``x`` (one array, a list or a dict, see
        ``flatten_inputs``); returns ``(outputs, tape)``, the outputs in the
        structure the model was built with."""
        outputs, tape = self.execute(self.prepare(x), training=training)
        return self.pack(outputs, self.output_kind, self.output_names), tape

    def backward(self, d_outputs, tape, *, need_dx=True):
        """``(d_inputs, weight_grads)`` for :math:`\\partial L/\\partial y` given in the
        outputs' structure (``None`` for an output that does not reach the loss);
        the gradients are keyed by the weights' paths in ``named_weights()``.
        ``need_dx=False`` skips the input gradients that nothing needs."""
        d_inputs, grads = self.execute_backward(self.flatten_outputs(d_outputs), tape,
                                                need_dx=need_dx)
        if d_inputs is not None:
            d_inputs = self.pack(d_inputs, self.input_kind, self.input_names)
        return d_inputs, grads

    def run_forward(self, inputs, *, training=False):
        """The layer protocol's view of ``forward``: the tape is the cache, and its
        updates and added losses are the effects."""
        outputs, tape = self.forward(inputs, training=training)
        return outputs, tape, tape.effects()

    # -- execution: the executor ------------------------------------------------------
    def execute(self, xs, training=False):
        """Run every node in order on ``xs``, a list of arrays lined up with
        ``model.inputs``; returns the list of outputs and the tape."""
        tape = Tape()
        if self.subclassed:
            outputs = self.execute_call(xs, training, tape)
            self.add_weight_penalties(tape)
            tape.output_masks = [None] * len(outputs)
            return outputs, tape
        values = dict(zip(map(id, self.inputs), xs))
        masks = {}
        for node in self.nodes:
            layer = node.layer
            inputs = layer.prepare(gather(values.__getitem__, node.inputs))
            keywords = {key: gather(values.__getitem__, value)
                        for key, value in node.keywords.items()}
            mask = input_mask(masks, node.inputs)
            if layer.uses_mask and "mask" not in keywords:
                keywords["mask"] = mask
            outputs, cache, effects = layer.run_forward(inputs, training=training, **keywords)
            ys = [outputs] if len(node.outputs) == 1 else flatten(outputs)
            output_masks = layer.output_mask(inputs, mask)
            if len(node.outputs) == 1 or not isinstance(output_masks, list):
                output_masks = [output_masks] * len(node.outputs)
            for tensor, y, m in zip(node.outputs, ys, output_masks):
                values[id(tensor)] = y
                masks[id(tensor)] = m
            tape.append(Record(node, cache, ys, bool(effects.losses)))
            tape.updates.update(effects.updates)
            tape.losses.extend(effects.losses)
        self.add_weight_penalties(tape)
        tape.output_masks = [masks.get(id(t)) for t in self.outputs]
        return [values[id(t)] for t in self.outputs], tape

    def execute_backward(self, d_outputs, tape, need_dx=True, learning=None):
        """Walk the tape in reverse from ``d_outputs`` (a list lined up with the
        outputs); returns the list of input gradients (``None`` without
        ``need_dx``) and the gradients of the weights that learn, by path
        (``learning``: ``named_weights(trainable_only=True)``, if already at hand)."""
        if learning is None:
            learning = self.named_weights(trainable_only=True)
        if self.subclassed:
            d_inputs, grads = self.execute_call_backward(d_outputs, tape, need_dx)
            weight_grads = {path: g for path, g in grads.items() if path in learning}
            self.add_penalty_gradients(weight_grads)
            return d_inputs, weight_grads
        needs = self.tensors_needing_grad(need_dx, {path.partition(".")[0] for path in learning})
        grads = {}
        for tensor, d in zip(self.outputs, d_outputs):
            _accumulate(grads, id(tensor), d)
        weight_grads = {}
        for node, cache, outputs, added_losses in reversed(tape):
            d_outs = [grads.pop(id(t), None) for t in node.outputs]
            if not added_losses and all(d is None for d in d_outs):
                continue  # this node does not reach the loss
            d_outs = [np.zeros_like(y) if d is None else d for d, y in zip(d_outs, outputs)]
            layer = node.layer
            need = any(needs[id(t)] for t in node.tensors)
            d_in, layer_grads = layer.run_backward(d_outs[0] if len(d_outs) == 1 else d_outs,
                                                   cache, need_dx=need)
            for key, grad in layer_grads.items():
                path = f"{layer.name}.{key}"
                if path in learning:
                    _accumulate(weight_grads, path, grad)
            if need:
                for tensor, d in zip(node.tensors, input_gradient_leaves(
                        layer, node.inputs, node.keywords, d_in)):
                    _accumulate(grads, id(tensor), d)
        self.add_penalty_gradients(weight_grads)
        if not need_dx:
            return None, weight_grads
        return [grads.get(id(t)) for t in self.inputs], weight_grads  # None: input unused

    def tensors_needing_grad(self, need_dx, learners):
        """Which tensors lead back to a layer that learns (one of ``learners``, by
        name) or to a wanted input."""
        needs = {id(t): need_dx for t in self.inputs}
        for node in self.nodes:
            need = node.layer.name in learners or any(needs[id(t)] for t in node.tensors)
            needs.update({id(t): need for t in node.outputs})
        return needs

    def add_weight_penalties(self, tape):
        """Add each regularized weight's penalty to the tape's losses."""
        tape.losses.extend(weight.regularizer(weight.value)
                           for _, weight, _ in self.regularized_weights())

    def add_penalty_gradients(self, weight_grads):
        """Add each learning weight's penalty gradient to ``weight_grads``."""
        for path, weight, learns in self.regularized_weights():
            if learns:
                _accumulate(weight_grads, path, weight.regularizer.gradient(weight.value))

    def regularized_weights(self):
        """``(path, weight, learns)`` for each weight with a regularizer; a nested
        model counts its own (its tape carries their penalties)."""
        for path, weight, layers in self._regularized:
            yield path, weight, weight.trainable and all_trainable(layers)

    # -- a model as a layer ------------------------------------------------------------
    def call_symbolic(self, inputs):
        """Record this model as one node of a larger graph (nesting)."""
        tensors = self.flatten_inputs(inputs)
        for tensor, given in zip(self.inputs, tensors):
            if not isinstance(given, SymbolicTensor):
                raise TypeError(f"Model '{self.name}': call it on symbolic tensors or on "
                                f"arrays, not a mix; got {given!r}")
            self.check_input_shape_of(tensor, given.shape)
        outputs = [SymbolicTensor(t.shape, t.dtype) for t in self.outputs]
        Node(self, self.pack(tensors, self.input_kind, self.input_names), outputs)
        return self.pack(outputs, self.output_kind, self.output_names)

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    # -- configuration -----------------------------------------------------------------
    def get_config(self):
        """The graph as JSON-ready data, in Keras's layout: each layer's class
        and config with the calls it received (``inbound_nodes``: the tensors
        each call read, each as ``[layer_name, node_index, tensor_index]``, and
        ``{"args": ..., "kwargs": ...}`` for a call with tensors by keyword),
        then the tensors that are the model's inputs and outputs."""
        if self.subclassed:
            raise NotImplementedError(
                f"Model '{self.name}': a subclassed model is its class's code, not a graph "
                f"a config can describe; save its weights (save_weights, load_weights into "
                f"a new {type(self).__name__}()), or write it as a functional model to save "
                f"it whole")
        node_index = self.node_indices()

        def refs(structure):
            return pack_as(structure, [[t.node.layer.name, node_index[id(t.node)], t.index]
                                       for t in flatten(structure)])

        def call(node):
            args = refs(node.inputs if isinstance(node.inputs, list) else [node.inputs])
            if not node.keywords:
                return args
            return {"args": args, "kwargs": {k: refs(v) for k, v in node.keywords.items()}}

        layers = [{**layer_record(layer), "name": layer.name,
                   "inbound_nodes": [call(n) for n in self.nodes if n.layer is layer]}
                  for layer in self.layers]
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": refs(self.pack(self.inputs, self.input_kind, self.input_names)),
                "output_layers": refs(self.pack(self.outputs, self.output_kind,
                                                self.output_names))}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the graph of ``get_config()``: create every layer, then call
        each on its recorded inputs once those exist (a worklist, as Keras)."""
        tensors, pending = {}, []
        for spec in config["layers"]:
            layer = layer_from_config(spec, custom_objects)
            if isinstance(layer, InputLayer):
                tensors[(spec["name"], 0, 0)] = layer.output
            pending += [(layer, index, call) for index, call in enumerate(spec["inbound_nodes"])]

        def resolve(structure):
            if _is_ref(structure):
                if tuple(structure) not in tensors:
                    raise ValueError(f"Model config '{config.get('name')}': it refers to "
                                     f"tensor {tuple(structure)}, which no layer produces")
                return tensors[tuple(structure)]
            if isinstance(structure, dict):
                return {key: resolve(value) for key, value in structure.items()}
            return [resolve(item) for item in structure]

        def ready(structure):
            return all(tuple(r) in tensors for r in _refs_in(structure))

        calls_made = {}
        while pending:
            waiting = []
            for layer, index, call in pending:
                if index != calls_made.get(layer.name, 0) or not ready(call):
                    waiting.append((layer, index, call))
                    continue
                args, kwargs = (call["args"], call["kwargs"]) if isinstance(call, dict) \
                    else (call, {})
                args = resolve(args)
                outputs = layer(args[0] if len(args) == 1 else args,
                                **{key: resolve(value) for key, value in kwargs.items()})
                tensors.update({(layer.name, index, i): t for i, t in enumerate(flatten(outputs))})
                calls_made[layer.name] = index + 1
            if len(waiting) == len(pending):
                names = [layer.name for layer, _, _ in waiting]
                raise ValueError(f"Model config '{config.get('name')}': the calls of {names} "
                                 f"read tensors that no layer produces")
            pending = waiting
        trainable = config.get("trainable", True)
        return cls(resolve(config["input_layers"]), resolve(config["output_layers"]),
                   name=config["name"], trainable=None if trainable else False)

    def to_json(self, **kwargs):
        """The architecture as a JSON string, ``{"class_name", "config"}`` (the
        config of ``get_config``; no weights; see ``layer_record``); keyword
        arguments go to ``json.dumps`` (``indent=2``).  ``model_from_json``
        reads it back."""
        return json.dumps(layer_record(self), **kwargs)

    # -- saving (see nnlib.saving) ---------------------------------------------------------
    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Write every weight to ``filepath``: nnlib's ``.weights.npz`` or Keras's
        ``.weights.h5`` (``nnlib.saving.save_weights``)."""
        saving.save_weights(self, filepath, overwrite, max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False):
        """Read weights saved by ``save_weights`` (or from a whole-model file, nnlib's
        or Keras's); nothing changes unless every weight is present with its shape."""
        saving.load_weights(self, filepath, skip_mismatch)

    def save(self, filepath, overwrite=True, zipped=None):
        """Write the architecture, the weights and the optimizer's state to one file:
        nnlib's ``.nnlib``, or Keras 3's ``.keras``, which ``keras.saving.load_model``
        opens (``nnlib.saving.save_model``)."""
        saving.save_model(self, filepath, overwrite, zipped)


def model_from_json(json_string, custom_objects=None):
    """The model (or layer) a JSON string of ``to_json`` describes, with new
    weights, as Keras's ``keras.models.model_from_json``.  Layers that are not
    nnlib's are found among the custom objects (``nnlib.custom_objects``:
    registered, in a ``custom_object_scope``, or in ``custom_objects``).

    >>> from nnlib.layers import Dense
    >>> x = Input((3,), name="x")
    >>> model = Model(x, Dense(2, name="out")(x), name="tiny")
    >>> copy = model_from_json(model.to_json())
    >>> copy.name, [layer.name for layer in copy.layers], copy is model
    ('tiny', ['x', 'out'], False)
    """
    if not isinstance(json_string, str):
        raise TypeError(f"model_from_json: expected a JSON string (from model.to_json()), got "
                        f"{type(json_string).__name__}")
    depth = saving.json_depth(json_string)
    if depth > saving.MAX_JSON_DEPTH:
        raise ValueError(f"model_from_json: the JSON nests {depth} levels deep; nnlib reads at "
                         f"most {saving.MAX_JSON_DEPTH}")
    try:
        config = json.loads(json_string)
    except ValueError as error:
        raise ValueError(f"model_from_json: the string is not JSON: {error}") from None
    return layer_from_config(config, custom_objects)


def input_mask(masks, structure):
    """The mask of a node's input (a list for several inputs), or ``None`` if no
    input carries one."""
    found = gather(masks.get, structure)
    return found if flatten(found) else None


def gather(lookup, structure):
    """``lookup(id(tensor))`` for each tensor of ``structure``, in its shape
    (``values.__getitem__`` for values every tensor has, ``masks.get`` for masks)."""
    if isinstance(structure, SymbolicTensor):
        return lookup(id(structure))
    return pack_as(structure, [lookup(id(t)) for t in flatten(structure)])


def _is_ref(item):
    """A reference ``[layer_name, node_index, tensor_index]`` in a config."""
    return isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)


def _refs_in(structure):
    """The tensor references in a config's structure of them."""
    if _is_ref(structure):
        return [structure]
    if not isinstance(structure, (dict, list, tuple)):
        raise TypeError(f"expected tensor references [layer_name, node_index, tensor_index] "
                        f"(or lists or dicts of them), got {structure!r}")
    items = structure.values() if isinstance(structure, dict) else structure
    return [ref for item in items for ref in _refs_in(item)]


__all__ = ["Input", "InputLayer", "Model", "Tape", "model_from_json"]

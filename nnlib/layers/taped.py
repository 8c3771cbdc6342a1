"""Layers written the Keras way: ``call`` alone, differentiated by the gradient tape.

A Keras layer defines ``build`` (its weights, with ``add_weight``) and
``call`` (the forward computation, with ``keras.ops``) and never a backward
pass: the framework differentiates ``call``.  nnlib does the same with its
tape (``nnlib.ops.GradientTape``).  A layer that defines ``call`` and no
``forward`` gets

* a forward pass: ``call`` run inside a tape that watches the inputs and,
  by itself, every trainable weight ``call`` reads; the tape is the cache;
* a backward pass: the tape's reverse walk, from the outputs' gradients
  (and 1 for each loss ``call`` added with ``add_loss``) back to the inputs
  and the weights.

``call`` may call other layers.  One written the same way runs its ``call``
on the same tape; one with a hand-written backward pass (``Dense``,
``LSTM``...) is recorded as *one* op whose vector-Jacobian product is its
own ``run_backward``: the tape does not look inside it.  Its state updates
(batch normalization's moving statistics) and added losses join the
caller's, as in any model.
"""
import functools
import inspect
from typing import NamedTuple

import numpy as np

from .. import ops
from ..graph import flatten, input_gradient_leaves, pack_as
from ..ops.tape import Variable, seed_gradient, trace, unwrap

_calls = []  # the CallRecord of each taped call running, innermost last


class CallRecord:
    """What a taped call collects besides its outputs: the losses its layers
    add (tensors on the tape) and the state updates of the hand-written
    layers it calls (``{weight: new value}``).  As a context manager, it
    collects what the layers called inside its block add."""

    def __init__(self):
        self.losses = []
        self.updates = {}

    def __enter__(self):
        _calls.append(self)
        return self

    def __exit__(self, *exc):
        _calls.remove(self)
        return False


def current_call(layer, what):
    """The record of the taped call running now; ``what`` says who asks."""
    if not _calls:
        raise layer.error(f"{what} is for use inside call(), while the layer runs")
    return _calls[-1]


class TapedCache(NamedTuple):
    """A taped call's cache: the tape, the tensors it watched for the inputs
    (flat, then the tensors given by keyword), the outputs and the added losses."""

    tape: ops.GradientTape
    inputs: list
    keywords: dict
    outputs: list
    losses: list


def is_taped(structure):
    """Whether ``structure`` holds a tensor of a running tape."""
    return any(isinstance(x, ops.Tensor) for x in flatten(structure))


def call_parameters(layer):
    """The names ``layer.call`` takes after its inputs."""
    return parameters_after_inputs(type(layer).call)


@functools.cache
def parameters_after_inputs(call):
    """The parameter names of a ``call`` function after ``self`` and the inputs, read once."""
    return list(inspect.signature(call).parameters)[2:]


def call_arguments(layer, training, keywords):
    """The keyword arguments for ``call``: the tensors, and ``training`` if it takes it."""
    if "training" in call_parameters(layer):
        return {**keywords, "training": training}
    return dict(keywords)


def watch_floats(tape, structure):
    """``structure`` with each float array replaced by a fresh tensor the tape
    watches (fresh, so an array given twice gets two gradients)."""
    if isinstance(structure, (list, tuple, dict)):
        return pack_as(structure, [watch_floats(tape, x) for x in flatten(structure)])
    if np.asarray(structure).dtype.kind == "f":
        return tape.watch(ops.Tensor(structure))
    return structure


def taped_forward(layer, inputs, training, keywords):
    """``forward`` of a layer that defines ``call``: ``(outputs, cache, (updates,
    losses))``."""
    with ops.GradientTape() as tape, CallRecord() as record:
        watched = watch_floats(tape, inputs)
        watched_keywords = {key: value if key == "mask" else watch_floats(tape, value)
                            for key, value in keywords.items()}
        result = layer.call(watched, **call_arguments(layer, training, watched_keywords))
    several = isinstance(result, (tuple, list, dict))  # a dict: by sorted key, as flatten
    outputs = flatten(result)
    check_outputs(layer, outputs, tape)
    for loss in record.losses:
        if np.ndim(unwrap(loss)) != 0:
            raise layer.error(f"add_loss takes a scalar, got shape {np.shape(unwrap(loss))}; "
                              f"reduce it first (ops.sum or ops.mean)")
    values = [np.asarray(unwrap(y)) for y in outputs]
    cache = TapedCache(tape, flatten(watched), {key: flatten(value) for key, value in
                                                watched_keywords.items() if key != "mask"},
                       outputs, record.losses)
    losses = [np.asarray(unwrap(loss)) for loss in record.losses]
    return (tuple(values) if several else values[0]), cache, (record.updates, losses)


def check_outputs(layer, outputs, tape):
    """Raise if ``call`` returned nothing, or arrays the tape did not record
    although it computed with traced values or weights (it left the tape:
    ``np.asarray`` on a tensor), which would train nothing without a word."""
    if not outputs:
        raise layer.error(f"call() returned {outputs!r}; it should return its output(s)")
    for y in outputs:
        if isinstance(y, ops.Tensor):
            return
    if tape.nodes or any(w.trainable for w in layer.weights):  # it computed, then left
        raise layer.error(f"call() returned {type(outputs[0]).__name__} values the gradient "
                          f"tape did not record, so nothing upstream of them would learn: "
                          f"compute with nnlib.ops (ops.matmul, ops.where...) or the "
                          f"operators of the tensors call() receives, not NumPy's functions; "
                          f"ops.stop_gradient marks a value that should have no gradient")


def taped_backward(layer, d_outputs, cache, need_dx):
    """``backward`` of a layer that defines ``call``: the tape's reverse walk.

    The targets are the outputs, seeded with their gradients, and the added
    losses, seeded with 1; the sources are the layer's weights ``call`` read
    (a weight it did not read gets no gradient, as in Keras) and, with
    ``need_dx``, the inputs."""
    tape = cache.tape
    d_outputs = flatten(d_outputs) if len(cache.outputs) > 1 else [d_outputs]
    targets, seeds = [], []
    for y, d in zip(cache.outputs + cache.losses, d_outputs + [None] * len(cache.losses)):
        if isinstance(y, ops.Tensor):
            targets.append(y)
            seeds.append(seed_gradient(y.value, d))  # 1 for a loss
    read = weights_read(layer, tape)
    sources = [t for _, t in read]
    if need_dx:
        sources += [t for t in cache.inputs + flatten(cache.keywords) if isinstance(t, ops.Tensor)]
    found = tape.backpropagate(targets, seeds, sources) if targets and sources \
        else [np.zeros_like(t.value) for t in sources]
    grads = {path: g for (path, _), g in zip(read, found)}  # the weights come first
    if not need_dx:
        return None, grads
    by_tensor = {id(t): g for t, g in zip(sources, found)}
    d_inputs = [by_tensor.get(id(t)) for t in cache.inputs]
    if len(cache.inputs) == 1:
        d_inputs = d_inputs[0]
    if not cache.keywords:
        return d_inputs, grads
    return {"inputs": d_inputs, **{key: [by_tensor.get(id(t)) for t in tensors]
                                   for key, tensors in cache.keywords.items()}}, grads


def weights_read(layer, tape):
    """``(path, tensor)`` for each of the layer's weights its ``call`` read on
    ``tape`` (the tape watched them on first sight), by their paths in
    ``named_weights()``: looked up once per layer, and again when a weight is
    new to it (a weight of another layer is not the layer's to update)."""
    paths = layer.__dict__.get("_paths_of_weights", {})  # {weight: path}
    read = []
    for x, tensor in tape.watched.values():
        if isinstance(x, Variable):
            if x not in paths:
                paths = layer._paths_of_weights = {w: path for path, w in
                                                   layer.named_weights().items()}
            if x in paths:
                read.append((paths[x], tensor))
    return read


def call_on_tape(layer, inputs, training, keywords):
    """``layer(tensors)`` inside a taped call: a ``call`` layer runs on the same
    tape; a hand-written layer becomes one recorded op (``layer_op``)."""
    if layer.has_own_backward():
        return layer_op(layer, inputs, training, keywords)
    layer.ensure_built([t.shape for t in inputs] if isinstance(inputs, (list, tuple))
                       else inputs.shape)
    return layer.call(inputs, **call_arguments(layer, training, keywords))


def layer_op(layer, inputs, training, keywords):
    """Record a hand-written layer on the running tape as one op.

    Its inputs are the layer's input tensors, the tensors it takes by keyword
    and its trainable weights; its outputs are the layer's outputs and the
    losses it adds; its vjp is the layer's own ``run_backward``.
    """
    values = layer.prepare(pack_as(inputs, [unwrap(x) for x in flatten(inputs)]))
    keyword_values = layer.prepare_keywords(
        {key: pack_as(value, [unwrap(x) for x in flatten(value)])
         for key, value in keywords.items()})
    trainable = {path: w for path, w in layer.named_weights().items() if w.trainable}
    state = {}

    def forward(*_):  # the values come from the closure; the arguments link the inputs
        outputs, cache, effects = layer.run_forward(values, training=training,
                                                    **keyword_values)
        state["cache"], state["count"] = cache, len(flatten(outputs))
        state["several"] = isinstance(outputs, tuple)
        if _calls:
            _calls[-1].updates.update(effects.updates)
        return (*flatten(outputs), *[np.asarray(loss) for loss in effects.losses])

    def vjp(dys, ys, *_):
        count = state["count"]
        d_outputs = list(dys[:count]) if state["several"] else dys[0]
        d_inputs, grads = layer.run_backward(d_outputs, state["cache"], need_dx=True)
        return [*input_gradient_leaves(layer, inputs, keywords, d_inputs),
                *[grads.get(path) for path in trainable]]

    results = trace(forward, vjp, *flatten(inputs), *flatten(keywords), *trainable.values(),
                    name=type(layer).__name__)
    outputs, losses = results[:state["count"]], results[state["count"]:]
    if _calls:
        _calls[-1].losses.extend(losses)
    return list(outputs) if state["several"] else outputs[0]

"""Models written the Keras way: a ``Model`` subclass with ``__init__`` and ``call``.

Keras's subclassing style builds the layers in ``__init__`` and writes the
forward computation in ``call``, with no inputs or outputs declared::

    class MLP(nnlib.Model):
        def __init__(self):
            super().__init__()
            self.hidden = nnlib.layers.Dense(32, activation="relu")
            self.out = nnlib.layers.Dense(10)

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

Such a model has no graph to walk: it runs its ``call`` on the gradient tape,
as a layer written with ``call`` does (``nnlib.layers.taped``); the tape is
the model's whole record, and its reverse walk the backward pass.  The
hand-written layers ``call`` uses are each one op on that tape, so their own
backward passes still run.  As in Keras, the model is built by its first
data: the inputs take that data's shapes, and one call creates the layers'
weights and shows the outputs.  Everything else (``compile``, ``fit``,
``evaluate``, ``predict``, weights, saving weights) is the ``Model``'s.
"""
import numpy as np

from ..graph import SymbolicTensor, flatten, structure_kind
from ..layers.base import Layer
from ..layers.input_layer import Input
from ..layers.taped import CallRecord, call_arguments, taped_backward, taped_forward


class Subclassing:
    """What a ``Model`` written with ``call`` does instead of walking a graph."""

    subclassed = False  # a Model with inputs and outputs (or a Sequential) has a graph

    def build_from_data(self, x):
        """Build on the first data ``x`` (one array, a list, or a dict by input name)."""
        kind = structure_kind(x)
        if kind == "list" and not any(isinstance(a, np.ndarray) for a in x):
            kind = "single"  # nested lists of numbers: one array
        names = sorted(x) if kind == "dict" else None
        arrays = [np.asarray(x[n]) for n in names] if kind == "dict" else \
            [np.asarray(a) for a in x] if kind == "list" else [np.asarray(x)]
        for array in arrays:
            if array.ndim < 1 or array.dtype.kind not in "biuf":
                raise ValueError(f"Model '{self.name}': expected arrays of numbers with a "
                                 f"batch axis, got shape {array.shape} of {array.dtype}")
        self.inputs = [Input(a.shape[1:], dtype=self.dtype if a.dtype.kind == "f"
                             else a.dtype.name, name=None if names is None else names[i])
                       for i, a in enumerate(arrays)]
        self.input_kind = kind
        self.input_names = names or [t.name for t in self.inputs]
        first = [a[:1].astype(t.dtype) for a, t in zip(arrays, self.inputs)]
        with CallRecord():  # the losses call adds while building are not kept
            result = self.call(self.pack(first, kind, self.input_names),
                               **call_arguments(self, False, {}))
        self.output_kind = structure_kind(result)
        outputs = flatten(result)
        self.outputs = [SymbolicTensor((None,) + np.shape(y)[1:], np.asarray(y).dtype.name)
                        for y in outputs]
        self.output_names = sorted(result) if self.output_kind == "dict" else \
            [f"output_{i}" for i in range(len(outputs))] if len(outputs) > 1 else [self.name]
        self.built = True
        self._regularized = [(path, weight, layers)
                             for path, _, weight, layers in Layer.weight_entries(self)
                             if weight.regularizer is not None]
        if self.compiled:  # compiled before the outputs were known: line the losses up now
            self.compile(**self.compile_config)

    def execute_call(self, xs, training, tape):
        """``execute`` for a subclassed model: ``call`` on the gradient tape,
        recorded in the model's ``tape``; returns the list of outputs."""
        outputs, cache, (updates, losses) = taped_forward(
            self, self.pack(xs, self.input_kind, self.input_names), training, {})
        tape.call_cache = cache
        tape.updates.update(updates)
        tape.losses.extend(losses)
        return list(outputs) if isinstance(outputs, tuple) else [outputs]

    def execute_call_backward(self, d_outputs, tape, need_dx):
        """``execute_backward`` for a subclassed model: the tape's reverse walk.
        Returns the input gradients (a list, or ``None``) and every trainable
        weight's gradient by path."""
        outputs = tape.call_cache.outputs
        d_outputs = [np.zeros(np.shape(y), np.asarray(y).dtype) if d is None else d
                     for d, y in zip(d_outputs, (np.asarray(o) for o in outputs))]
        d_inputs, grads = taped_backward(self, d_outputs if len(d_outputs) > 1
                                         else d_outputs[0], tape.call_cache, need_dx)
        if d_inputs is not None and not isinstance(d_inputs, list):
            d_inputs = [d_inputs]
        return d_inputs, grads

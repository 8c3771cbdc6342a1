"""The layer protocol every nnlib layer follows.

A layer is a function with weights.  Subclasses write these methods:

``build(input_shape)``
    create the weights with ``add_weight`` once the input shape is known;
``forward(inputs, *, training) -> (outputs, cache)``
    compute the output(s) and keep what the backward pass needs;
``backward(d_outputs, cache, *, need_dx=True) -> (d_inputs, weight_grads)``
    given :math:`\\partial L/\\partial y`, return :math:`\\partial L/\\partial x`
    (or ``None`` when ``need_dx`` is false: nothing upstream learns) and a
    dict of :math:`\\partial L/\\partial W` keyed by the weights' names
    (their paths in ``named_weights()``);
``compute_output_shape(input_shape)`` and ``check_input_shape(shape)`` (optional)
    the output shape by formula, and a clear error for an input the layer
    cannot take.

Or, as in Keras, ``call(inputs, training=None)`` alone, written with
``nnlib.ops``, in place of ``forward`` and ``backward``: the gradient tape
differentiates it (``nnlib.layers.taped``); layers assigned to its
attributes are its children, and ``add_loss`` adds a loss from inside it.

``forward`` and ``backward`` never write to ``self``: the cache belongs to the
call, so a layer used twice in one model keeps two caches.

Several inputs, several outputs, tensors by keyword.  ``inputs`` is one
array or a list of them (a merge layer).  A layer with several outputs
returns a tuple from ``forward`` (and a list of shapes from
``compute_output_shape``); its ``backward`` receives a list with a gradient
per output, zeros for an output nothing used.  Other tensors come by keyword
(``forward(x, *, training, initial_state=None)``): ``layer(x,
initial_state=[h, c])`` passes them, a model's graph records them, and
``backward`` then returns a dict ``{"inputs": dx, "initial_state": [dh, dc]}``
with a gradient for each (a ``mask`` has none: a call whose only keyword
tensor is a mask gets ``dx`` alone, see ``graded_keywords``).

Updates and added losses.  A forward pass that has more to say returns
``(outputs, cache, Effects(updates, losses))``: ``updates`` maps
non-trainable weights to their new values (batch normalization's moving
statistics), ``losses`` lists scalars added to the training loss (the layer's
``backward`` adds their gradients to what it returns).  The forward pass only
hands them back; the training step applies the updates after the optimizer
step, and an eager ``layer(x, training=True)`` applies them at once, as
Keras does.  A weight's ``regularizer`` adds its penalty the same way, and
so does a layer's ``activity_regularizer``, a penalty on its outputs
(``run_forward`` adds it to the losses, ``run_backward`` its gradient to the
outputs' gradients, around the layer's own ``forward`` and ``backward``).

Weights form a tree.  A layer may hold other layers (``children()``); its
``named_weights()`` lists its own weights, then its children's under their
names, with dotted paths (``forward_lstm.kernel``), and ``weights``,
``trainable_weights`` and ``get_weights()`` follow that order, Keras's.

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

Configuration.  ``get_config()`` returns the arguments that rebuild the
layer (see ``nnlib.serialization``).
"""
import functools
import inspect
import warnings
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from .. import initializers, regularizers
from ..backend import as_float_array, standardize_dtype
from ..checks import describe, flag, whole_number, whole_numbers
from ..graph import Node, SymbolicTensor, flatten, graded_keywords, is_symbolic, pack_as
from ..ops.tape import Variable
from ..registry import snake_case
from ..serialization import Configurable
from .taped import TapedCache, call_on_tape, current_call, is_taped, taped_backward, \
    taped_forward

_NAME_COUNTS = {}
_DEFERRED = []  # non-empty inside deferred_initialization()


def unique_name(base):
    """``dense``, then ``dense_1``, ``dense_2``... as Keras names layers."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


@contextmanager
def deferred_initialization():
    """Weights created inside this block are declared (name, shape, dtype,
    initializer) but not drawn: a loader builds a model, compares a file's
    shapes with the declared ones and assigns the file's values, without
    allocating initial values first.  A weight that is read before it is
    assigned draws its initial value then."""
    _DEFERRED.append(True)
    try:
        yield
    finally:
        _DEFERRED.pop()


@functools.cache
def written_with_call(cls):
    """Whether the layer class defines ``call`` and no ``forward``: Keras's way,
    differentiated by the gradient tape (``nnlib.layers.taped``); read once."""
    return cls.forward is Layer.forward and callable(getattr(cls, "call", None))


@functools.cache
def forward_keywords(cls):
    """The tensor keywords ``cls.forward`` (or ``cls.call``) takes (all but
    ``training``), read once."""
    method = cls.call if written_with_call(cls) else cls.forward
    parameters = list(inspect.signature(method).parameters.values())[2:]
    return frozenset(p.name for p in parameters if p.name != "training"
                     and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


class Weight(Variable):
    """A named array, usually owned by a layer; optimizers update it with ``assign``.

    ``initializer`` is an initializer (then ``shape`` and ``dtype`` are
    needed) or the initial value itself, an array, as Keras's ``Variable``
    takes either: ``Weight("w", np.zeros(3))``.  ``trainable=False`` weights
    (moving statistics) get no gradient; a ``regularizer`` adds its penalty on
    the weight to the loss.
    """

    def __init__(self, name, initializer, shape=None, dtype=None, layer=None, trainable=True,
                 regularizer=None):
        if not callable(initializer):  # the initial value itself
            value = np.asarray(initializer)
            shape, dtype = value.shape, dtype or value.dtype.name

            def initializer(shape, dtype):
                return value.astype(dtype)
        self.name = name
        self.shape = tuple(shape)
        self.dtype = dtype
        self.initializer = initializer
        self.layer = layer
        self.trainable = trainable
        self.regularizer = regularizer
        self._value = None if _DEFERRED else initializer(self.shape, dtype)

    @property
    def value(self):
        if self._value is None:  # declared under deferred_initialization, never assigned
            self._value = self.initializer(self.shape, self.dtype)
        return self._value

    def assign(self, value, copy=True):
        """Replace the value, cast to the weight's dtype; the shape must match.
        The weight keeps a copy, unless ``copy=False`` says that ``value`` is a
        fresh array nobody else holds (an optimizer's new weight)."""
        value = np.asarray(value)
        if value.shape != self.shape:
            raise ValueError(f"{self.describe()}: expected shape {self.shape}, got "
                             f"{value.shape}")
        self._value = value.astype(self.dtype, copy=copy)

    def describe(self):
        """``weight 'kernel' of Dense 'dense_1'``, for messages."""
        owner = "" if self.layer is None else \
            f" of {type(self.layer).__name__} '{self.layer.name}'"
        return f"weight '{self.name}'{owner}"

    def assign_add(self, delta):
        """``assign(value + delta)``, as Keras's variables."""
        self.assign(self.value + np.asarray(delta))

    def assign_sub(self, delta):
        """``assign(value - delta)``."""
        self.assign(self.value - np.asarray(delta))

    def numpy(self):
        """A copy of the value (Keras's ``variable.numpy()``)."""
        return self.value.copy()

    def __float__(self):
        return float(self.value)

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)

    def __repr__(self):
        owner = "" if self.layer is None else f" of {self.layer.name}"
        return (f"<Weight {self.name}{owner} shape={self.shape} dtype={self.dtype}"
                f"{'' if self.trainable else ' non-trainable'}>")


class Effects(NamedTuple):
    """What a forward pass hands back besides its outputs and cache.

    ``updates``: ``{weight: new value}`` for non-trainable weights; ``losses``:
    scalars to add to the loss.
    """

    updates: dict
    losses: list


NO_EFFECTS = Effects({}, [])


class ActivityCache(NamedTuple):
    """A layer's cache with its outputs, which its activity penalty's gradient reads."""

    cache: object
    outputs: object


def activity_batch(y):
    """The batch size an activity penalty is divided by (1 for a scalar output)."""
    return y.shape[0] if np.ndim(y) > 0 else 1


def apply_updates(updates):
    """Give each weight its new value (``Effects.updates``, ``Tape.updates``)."""
    for weight, value in updates.items():
        weight.assign(value)


class Layer(Configurable):
    """Base class of every layer; see the module docstring for the protocol."""

    differentiable = True
    supports_masking = False
    several_inputs = False  # a merge layer takes a list of inputs (so does a call() layer)

    def __init__(self, *, name=None, dtype=None, trainable=True, activity_regularizer=None,
                 **input_shape_argument):
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"{type(self).__name__}: name must be a non-empty string, "
                            f"got {name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.declared_input_shape = declared_input_shape(self, **input_shape_argument)
        try:
            self.dtype = standardize_dtype(dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{describe(self)}: {error}") from None
        self.trainable = flag(describe(self), "trainable", trainable)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self._weights = []
        self.inbound_nodes = []  # the graph nodes of this layer's symbolic calls
        self.call_losses = []  # the losses the last eager call added

    # -- weights -------------------------------------------------------------
    def add_weight(self, shape, initializer="glorot_uniform", name=None, trainable=True,
                   regularizer=None, dtype=None):
        """Create a weight (Keras's arguments), initialise it and keep it in creation order.

        ``name`` defaults to ``variable``, ``variable_1``...; ``initializer`` and
        ``regularizer`` are names or instances (``initializer=None`` is
        Keras's default, ``glorot_uniform``); ``dtype`` defaults to the layer's.
        """
        if name is None:
            name = unique_among("variable", [w.name for w in self._weights])
        if any(w.name == name for w in self._weights):
            raise self.error(f"it already has a weight named {name!r}")
        try:
            dtype = self.dtype if dtype is None else standardize_dtype(dtype)
        except (TypeError, ValueError) as error:
            raise self.error(f"weight {name!r}: {error}") from None
        weight = Weight(name, initializers.get(initializer or "glorot_uniform"), shape, dtype,
                        self, trainable, regularizers.get(regularizer))
        self._weights.append(weight)
        return weight

    def children(self):
        """The layers this layer holds, as ``(group, layer)`` pairs in Keras's
        order; ``group`` is where Keras saves the held layer's weights (the
        attribute that holds it: ``cell``, ``forward_layer``).  By default the
        layers held by its attributes, in the order they were set, as Keras
        tracks them (a list of layers counts, as ``attribute/0``...)."""
        found, seen = [], {id(self)}
        for attribute, value in vars(self).items():
            held = [(attribute, value)] if isinstance(value, Layer) else \
                [(f"{attribute}/{i}", item) for i, item in enumerate(value)
                 if isinstance(item, Layer)] if isinstance(value, (list, tuple)) else []
            for group, layer in held:
                if id(layer) not in seen:
                    seen.add(id(layer))
                    found.append((group, layer))
        return found

    def weight_entries(self):
        """Every weight of the tree, once, in Keras's order: the layer's own
        trainable weights, its own non-trainable ones, then each child's.

        A list of ``(path, key, weight, layers)``: the weight's path by layer
        names (``forward_lstm.kernel``), its key by Keras's saving groups
        (``forward_layer/cell/kernel``), the weight, and the layers on its
        path (this one first).
        """
        own = [w for w in self._weights if w.trainable] + \
            [w for w in self._weights if not w.trainable]
        entries = [(w.name, w.name, w, (self,)) for w in own]
        seen = {id(w) for w in own}
        for group, child in self.children():
            for path, key, weight, layers in child.weight_entries():
                if id(weight) not in seen:
                    seen.add(id(weight))
                    entries.append((f"{child.name}.{path}", f"{group}/{key}", weight,
                                    (self, *layers)))
        return entries

    def walk_weights(self):
        """``weight_entries`` with, for each weight, whether the optimizer moves it
        (``learns``): it is trainable, and so is every layer on its path."""
        for path, key, weight, layers in self.weight_entries():
            yield path, key, weight, weight.trainable and all_trainable(layers)

    def named_weights(self, trainable_only=False):
        """``{dotted path: Weight}`` in Keras's order (``kernel``, or
        ``forward_lstm.kernel`` for a weight of a held layer); with
        ``trainable_only``, only the weights the optimizer moves."""
        return {path: weight for path, _, weight, learns in self.walk_weights()
                if learns or not trainable_only}

    @property
    def weights(self):
        """Every weight, in Keras's order."""
        return [weight for _, _, weight, _ in self.weight_entries()]

    @property
    def trainable_weights(self):
        return [weight for _, _, weight, learns in self.walk_weights() if learns]

    @property
    def non_trainable_weights(self):
        return [weight for _, _, weight, learns in self.walk_weights() if not learns]

    def get_weights(self):
        """Copies of the weight values, in Keras's order."""
        return [w.value.copy() for w in self.weights]

    def set_weights(self, values):
        """Replace the weight values, in ``weights``'s order; counts and shapes are
        all checked first, so a failed call changes nothing."""
        values, named = list(values), self.named_weights()
        if len(values) != len(named):
            raise self.error(f"expected {len(named)} weights {list(named)}, got {len(values)}")
        for (path, weight), value in zip(named.items(), values):
            if np.asarray(value).dtype.kind not in "biuf":
                raise self.error(f"weight '{path}' takes numbers, got an array of "
                                 f"{np.asarray(value).dtype}")
            if np.shape(value) != weight.shape:
                raise self.error(f"weight '{path}' expects shape {weight.shape}, got "
                                 f"{np.shape(value)}")
        for weight, value in zip(named.values(), values):
            weight.assign(value)

    def count_params(self):
        return int(sum(np.prod(w.shape, dtype=int) for w in self.weights))

    @property
    def losses(self):
        """The penalties of the regularized weights, then what the last eager
        call added (Keras's ``layer.losses``)."""
        return [w.regularizer(w.value) for w in self.weights if w.regularizer] + \
            list(self.call_losses)

    # -- the protocol ----------------------------------------------------------
    def build(self, input_shape):
        """Create weights for inputs of ``input_shape``; stateless layers need none."""

    def forward(self, inputs, *, training=False, **keywords):
        """``call`` on the gradient tape, for a layer written the Keras way."""
        if not written_with_call(type(self)):
            raise NotImplementedError(
                f"{type(self).__name__} must define call(inputs) with nnlib.ops (the tape "
                f"differentiates it), or forward(inputs, *, training) -> (outputs, cache) "
                f"with backward(d_outputs, cache, *, need_dx) -> (d_inputs, weight_grads)")
        outputs, cache, (updates, losses) = taped_forward(self, inputs, training, keywords)
        return outputs, cache, Effects(updates, losses)

    def backward(self, d_outputs, cache, *, need_dx=True):
        """The tape's reverse walk, for a layer written with ``call``."""
        if not isinstance(cache, TapedCache):
            raise NotImplementedError(f"{type(self).__name__} must define backward(d_outputs, "
                                      f"cache, *, need_dx) -> (d_inputs, weight_grads)")
        return taped_backward(self, d_outputs, cache, need_dx)

    def has_own_backward(self):
        """Whether the layer's backward pass is written by hand (not its ``call``'s tape)."""
        return not written_with_call(type(self))

    def add_loss(self, loss):
        """Add a scalar to the training loss, from inside ``call`` (Keras's
        ``add_loss``): the tape differentiates it with the outputs."""
        current_call(self, "add_loss").losses.append(loss)

    def check_input_shape(self, shape):
        """Raise ``ValueError`` if the layer cannot take inputs of ``shape``."""

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` for unknown axes), or a list
        of shapes for a layer with several outputs.

        The default runs ``forward`` on zeros of that shape (unknown axes as 1)
        and marks the batch axis unknown again; layers override it when the
        shape follows from a formula.
        """
        def zeros(shape):
            return np.zeros([1 if d is None else d for d in shape], self.dtype)
        listed = isinstance(input_shape, list)  # several inputs
        outputs = self.run_forward([zeros(s) for s in input_shape] if listed
                                   else zeros(input_shape), training=False)[0]
        several = isinstance(outputs, tuple)
        batch = input_shape[0][0] if listed else input_shape[0]
        shapes = [(batch,) + y.shape[1:] for y in (outputs if several else [outputs])]
        return shapes if several else shapes[0]

    def run_forward(self, inputs, *, training=False, **keywords):
        """``forward``'s result as ``(outputs, cache, effects)`` (no effects if it
        returned two values): what the executor and an eager call run.

        With an ``activity_regularizer`` :math:`\\Omega`, each output :math:`y`
        adds :math:`\\Omega(y) / n` to the losses, :math:`n` its batch size (Keras
        3 divides so that the penalty does not grow with the batch), and the
        cache keeps the outputs for ``run_backward``."""
        result = self.forward(inputs, training=training, **keywords)
        outputs, cache, effects = result if len(result) == 3 else (*result, NO_EFFECTS)
        if self.activity_regularizer is None:
            return outputs, cache, effects
        penalties = [self.activity_regularizer(y) / activity_batch(y) for y in flatten(outputs)]
        return outputs, ActivityCache(cache, outputs), \
            Effects(effects.updates, [*effects.losses, *penalties])

    def run_backward(self, d_outputs, cache, *, need_dx=True):
        """``backward`` as the executor runs it: with an ``activity_regularizer``,
        the penalty's gradient :math:`\\Omega'(y) / n` joins each output's
        gradient first."""
        if isinstance(cache, ActivityCache):
            d_outputs = pack_as(d_outputs, [
                d + self.activity_regularizer.gradient(y) / activity_batch(y)
                for d, y in zip(flatten(d_outputs), flatten(cache.outputs))])
            cache = cache.cache
        return self.backward(d_outputs, cache, need_dx=need_dx)

    # -- masks ---------------------------------------------------------------------
    @property
    def uses_mask(self):
        """Whether ``forward`` takes a ``mask`` (Keras looks at ``call``'s signature)."""
        return "mask" in forward_keywords(type(self))

    def compute_mask(self, inputs, mask):
        """The mask of the output (a list for several outputs), for a layer that
        supports masking: by default the input's, passed on unchanged."""
        return mask

    def output_mask(self, inputs, mask):
        """The mask the output carries: ``compute_mask`` if the layer supports
        masking; otherwise none, and a warning if a mask is lost here."""
        if self.supports_masking:
            return self.compute_mask(inputs, mask)
        if mask is not None and not self.uses_mask:
            warnings.warn(f"{type(self).__name__} '{self.name}' does not support masking: "
                          f"the mask of its input stops here", stacklevel=2)
        return None

    def error(self, message):
        """A ``ValueError`` whose message names this layer."""
        return ValueError(f"{describe(self)}: {message}")

    # -- calling ---------------------------------------------------------------
    def prepare(self, x):
        """Cast ``x`` to the layer's dtype, build on first use, check the shape.

        A layer with several inputs (a merge) gets a list of arrays, and
        ``build`` and ``check_input_shape`` get the list of their shapes; any
        other layer gets one array (nested lists of numbers are one array, a
        list of arrays is a mistake).
        """
        owner = describe(self)
        several_inputs = self.several_inputs or written_with_call(type(self))
        if several_inputs and isinstance(x, (list, tuple)):
            x = [as_float_array(a, self.dtype, owner) for a in x]
            self.ensure_built([a.shape for a in x])
            return x
        if not several_inputs and isinstance(x, (list, tuple)) and \
                any(isinstance(a, np.ndarray) for a in x):
            raise self.error(f"expected one input, got a list of {len(x)} arrays; layers "
                             f"that combine several inputs are the merge layers "
                             f"(Add, Concatenate...)")
        x = as_float_array(x, self.dtype, owner)
        self.ensure_built(x.shape)
        return x

    def check_keywords(self, names):
        """Raise unless ``forward`` takes each of ``names`` (tensors given by keyword)."""
        unknown = sorted(set(names) - forward_keywords(type(self)))
        if unknown:
            takes = sorted(forward_keywords(type(self)))
            raise TypeError(f"{describe(self)}: unexpected argument(s) "
                            f"{unknown}; its forward takes "
                            f"{takes if takes else 'no tensors by keyword'}")

    def prepare_keywords(self, keywords):
        """Tensors given by keyword, checked against ``forward``'s parameters and
        cast: a ``mask`` to booleans, anything else to the layer's dtype."""
        self.check_keywords(keywords)
        owner = describe(self)
        prepared = {}
        for key, value in keywords.items():
            cast = (lambda a: np.asarray(a, dtype=bool)) if key == "mask" else \
                (lambda a: as_float_array(a, self.dtype, owner))
            prepared[key] = pack_as(value, [cast(a) for a in flatten(value)])
        return prepared

    def ensure_built(self, input_shape):
        if not isinstance(input_shape, list):
            input_shape = tuple(input_shape)
        if not self.built:
            if not self._weights:  # else build() was called directly, as Keras code does
                self.build(input_shape)
            self.built = True
        self.check_input_shape(input_shape)

    def __call__(self, inputs, *, training=False, **keywords):
        """Apply the layer: eagerly to arrays, or symbolically to ``Input`` tensors.

        An eager call in training mode applies the forward pass's updates (as
        Keras does) and keeps its added losses in ``call_losses``.
        """
        if is_symbolic([inputs, keywords]):
            return self.call_symbolic(inputs, **keywords)
        if is_taped([inputs, keywords]):  # inside another layer's call, on its tape
            return call_on_tape(self, inputs, training, keywords)
        outputs, _, effects = self.run_forward(self.prepare(inputs), training=training,
                                               **self.prepare_keywords(keywords))
        if training:
            apply_updates(effects.updates)
        self.call_losses = list(effects.losses)
        return list(outputs) if isinstance(outputs, tuple) else outputs

    def call_symbolic(self, inputs, **keywords):
        """Record a graph node for ``layer(tensor)`` (or ``layer([t1, t2])``, and
        tensors by keyword); return its output tensor (a list for several)."""
        self.check_keywords(keywords)
        shape = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
        self.ensure_built(shape)
        shapes = self.compute_output_shape(shape)
        several = isinstance(shapes, list)
        outputs = [SymbolicTensor(s, self.dtype) for s in (shapes if several else [shapes])]
        Node(self, inputs, outputs, keywords)
        return outputs if several else outputs[0]

    @property
    def input(self):
        """The input tensor(s) of the layer's first symbolic call (Keras's rule)."""
        return self.first_call("input").inputs

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
    @classmethod
    def class_name(cls):
        """The ``class_name`` a config records (Keras's class name)."""
        return cls.__name__

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def declared_input_shape(layer, input_shape=None, input_dim=None, **unknown):
    """The input shape (without the batch axis) a layer was given as Keras 3
    still allows, ``Dense(8, input_shape=(4,))`` or ``Dense(8, input_dim=4)``,
    or ``None``.

    As in Keras, only the first layer of a ``Sequential`` uses it (the model
    starts with an ``Input`` of that shape), and giving it warns: an
    ``Input(shape)`` first in the model is the way Keras 3 recommends.  It is
    no part of the layer's config.
    """
    if unknown:
        raise TypeError(f"{describe(layer)}: unexpected keyword argument "
                        f"{sorted(unknown)[0]!r}")
    if input_shape is not None and input_dim is not None:
        raise ValueError(f"{describe(layer)}: give input_shape or input_dim, not both, got "
                         f"input_shape={input_shape!r} and input_dim={input_dim!r}")
    if input_shape is None and input_dim is None:
        return None
    shape = (whole_number(describe(layer), "input_dim", input_dim),) if input_shape is None \
        else whole_numbers(describe(layer), "input_shape", input_shape, also=(None,))
    warnings.warn(f"{describe(layer)}: input_shape/input_dim on a layer is kept for old "
                  f"Keras code; in a Sequential model, prefer an Input(shape) as the first "
                  f"layer", UserWarning, stacklevel=3)
    return shape


def all_trainable(layers):
    """Whether every one of ``layers`` is trainable."""
    for layer in layers:
        if not layer.trainable:
            return False
    return True


def unique_among(base, taken):
    """``base``, or ``base_1``, ``base_2``... whichever is not in ``taken``."""
    name, count = base, 0
    while name in taken:
        count += 1
        name = f"{base}_{count}"
    return name

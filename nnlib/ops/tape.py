"""The gradient tape: the traced tensor type, the record of every op, and
reverse-mode differentiation of that record.

Outside a tape an op is a plain NumPy call on plain arrays. Inside
``with GradientTape() as tape``, an op whose inputs include a traced tensor
(one watched, or one computed from a watched one) returns a ``Tensor`` and
appends a node ``(output, inputs, vjp)`` to the tape. ``tape.gradient`` walks
the nodes backwards from the target: each node's vector-Jacobian product turns
the gradient of its output, :math:`\\bar y`, into contributions to its inputs,
which are *added* to what those inputs already hold (a value used twice gets
both contributions).

>>> import numpy as np
>>> from nnlib import ops
>>> with ops.GradientTape() as tape:
...     x = tape.watch(np.array([1.0, 2.0, 3.0]))
...     y = ops.sum(x * x)
>>> tape.gradient(y, x)
array([2., 4., 6.])
"""
import functools
import inspect

import numpy as np

_active_tapes = []  # the tapes of the enclosing ``with`` blocks, innermost last


class Tensor:
    """An array whose ops are recorded on the active tapes.

    It holds a NumPy array in ``value``; Python's operators
    (``+ - * / ** @``, unary ``-``, ``x[i]``, ``.T``) are the ops of
    ``nnlib.ops`` and record too.
    """

    __array_ufunc__ = None  # ``array * tensor`` calls ``Tensor.__rmul__``, not NumPy
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = np.asarray(value)

    shape = property(lambda self: self.value.shape, doc="The array's shape.")
    dtype = property(lambda self: self.value.dtype, doc="The array's dtype.")
    ndim = property(lambda self: self.value.ndim, doc="The array's number of axes.")

    def __len__(self):
        return len(self.value)

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)

    def __repr__(self):
        return f"Tensor({self.value!r})"


class Node:
    """One recorded op: ``outputs = forward(*values, **params)``, with
    ``inputs`` the traced tensor behind each value (``None`` for a constant).
    Most ops have one output; an op whose forward returns a tuple (a layer
    recorded as one op) has ``several``, and its vjp takes lists."""

    __slots__ = ("forward", "outputs", "inputs", "values", "vjp", "params", "several",
                 "given_name")

    def __init__(self, forward, outputs, inputs, values, vjp, params, several=False,
                 name=None):
        self.forward = forward
        self.outputs = outputs
        self.inputs = inputs
        self.values = values
        self.vjp = vjp
        self.params = params
        self.several = several
        self.given_name = name

    @property
    def name(self):
        """The op's name (``multiply``): the one given, or the forward function's."""
        return self.given_name or op_name(self.forward)

    def __repr__(self):
        shapes = ", ".join(str(t.shape) for t in self.outputs)
        return f"<Node {self.name} -> {shapes}>"


class Variable:
    """What a tape watches by itself: a layer's weight (``nnlib.layers.Weight``).

    Inside a tape, an op that reads a trainable variable records it as a
    source, as TensorFlow's ``GradientTape`` watches the variables it sees:
    a layer's ``call`` reads ``self.kernel`` and the tape knows the kernel.
    A subclass holds its array in ``value``.
    """

    trainable = True
    __array_ufunc__ = None  # ``array * variable`` calls the variable's operator, which records


def unwrap(x):
    """The NumPy value of a tensor, variable, array or number."""
    return x.value if isinstance(x, (Tensor, Variable)) else x


def is_float(value):
    """Whether a value can carry a gradient: a floating-point array or number."""
    dtype = getattr(value, "dtype", None)  # an array's, without converting it
    return (np.asarray(value).dtype if dtype is None else dtype).kind == "f"


def unbroadcast(dy, shape):
    """Sum the gradient ``dy`` down to ``shape``, undoing broadcasting.

    An input of shape ``(3,)`` added to one of shape ``(2, 3)`` was copied along
    the first axis, so its gradient is the sum over that axis.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    dy = np.asarray(dy)
    shape = tuple(shape)
    if dy.shape == shape:
        return dy
    if dy.ndim > len(shape):  # the axes broadcasting put in front
        dy = dy.sum(axis=tuple(range(dy.ndim - len(shape))))
        if dy.shape == shape:  # a bias's gradient: nothing stretched
            return dy
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and dy.shape[axis] != 1)
    if stretched:  # the axes of size 1 broadcasting stretched
        dy = dy.sum(axis=stretched, keepdims=True)
    return dy.reshape(shape)


def op_name(forward):
    """The name a node records: the forward function's (``np.true_divide``
    records as ``true_divide``), without a ``_forward`` suffix."""
    return getattr(forward, "__name__", type(forward).__name__).removesuffix("_forward")


def trace(forward, vjp, *inputs, name=None, **params):
    """Run ``forward`` on the inputs' values and, inside a tape, record it.

    ``vjp(dy, y, *values, **params)`` returns one gradient per input (``None``
    where there is none); ``vjp=None`` marks an op with no gradient (a
    comparison). The output is recorded only if it is a float and some input is
    traced, so constants stay plain arrays. A forward returning a tuple has
    several outputs: the vjp then receives a list of their gradients (zeros
    for an output nothing used) and the tuple of outputs.
    """
    if not _active_tapes or vjp is None:  # nothing to record
        return forward(*[unwrap(x) for x in inputs], **params)
    values, traced = [], []  # each input's value, and the tensor behind it (None: a constant)
    for x in inputs:
        if isinstance(x, Tensor):  # the usual case, in line: every op on a tape runs this
            values.append(x.value)
            traced.append(x)
        else:
            values.append(unwrap(x))
            traced.append(traced_tensor(x))
    output = forward(*values, **params)
    if traced.count(None) == len(traced):
        return output
    several = isinstance(output, tuple)
    if not (all(is_float(y) for y in output) if several else is_float(output)):
        return output
    tensors = tuple(Tensor(y) for y in output) if several else (Tensor(output),)
    node = Node(forward, tensors, traced, values, vjp, params, several, name)
    for tape in _active_tapes:
        tape.nodes.append(node)
    return tensors if several else tensors[0]


def traced_tensor(x):
    """The tensor that stands for ``x`` on the active tapes, or ``None``; a
    trainable ``Variable`` is watched on first sight."""
    if isinstance(x, Tensor):
        return x
    for tape in _active_tapes:
        if id(x) in tape.watched:
            return tape.watched[id(x)][1]
    if isinstance(x, Variable) and x.trainable:
        tensor = Tensor(x.value)
        for tape in _active_tapes:
            tape.adopt(x, tensor)
        return tensor
    return None


class GradientTape:
    """Records the ops run inside its ``with`` block, to differentiate them.

    ``tape.watch(x)`` marks an array as a variable to differentiate with respect
    to; ``tape.gradient(target, sources)`` gives the gradient of the scalar
    ``target`` with respect to each source (an array watched or a tensor
    computed on this tape). A source the target does not depend on gets zeros.
    """

    def __init__(self):
        self.nodes = []
        # id(array) -> (array, its tensor); holding the array keeps its id unique
        self.watched = {}

    def __enter__(self):
        _active_tapes.append(self)
        return self

    def __exit__(self, *exc):
        _active_tapes.remove(self)
        return False

    def adopt(self, x, tensor):
        """Watch ``x`` as ``tensor`` (one tensor for ``x`` on every tape)."""
        self.watched[id(x)] = (x, tensor)

    def tensor_ids(self):
        """The ids of the tensors watched or computed on this tape."""
        return {id(t) for _, t in self.watched.values()} | \
            {id(y) for node in self.nodes for y in node.outputs}

    def watch(self, x):
        """Differentiate with respect to ``x``; returns its traced tensor.

        The ops of ``nnlib.ops`` record on ``x`` itself too (it is recognised
        by identity), but Python's operators on a NumPy array are NumPy's:
        write ``t * w`` with the returned tensor ``t``, not ``x * w``.
        """
        if isinstance(x, Tensor):
            self.adopt(x, x)
            return x
        if not is_float(x):
            raise TypeError(f"GradientTape.watch: expected a float array, got dtype "
                            f"{np.asarray(x).dtype}; cast it first, e.g. ops.cast(x, 'float64')")
        if id(x) not in self.watched:
            self.adopt(x, Tensor(x))
        return self.watched[id(x)][1]

    def source(self, x, position, on_tape):
        """The tensor on this tape behind a source (``on_tape``: ``tensor_ids()``),
        or an error naming it."""
        tensor = x if isinstance(x, Tensor) else self.watched.get(id(x), (None, None))[1]
        if tensor is None or id(tensor) not in on_tape:
            raise ValueError(f"GradientTape.gradient: source {position} (shape "
                             f"{np.shape(unwrap(x))}) is not watched by this tape; call "
                             "tape.watch(x) before using x")
        return tensor

    def gradient(self, target, sources, output_gradients=None):
        """Reverse-mode differentiation of the recorded ops.

        Args:
            target: the tensor to differentiate, a scalar unless
                ``output_gradients`` is given; or a list of tensors (then
                ``output_gradients`` is a list too, one per target, ``None``
                meaning 1 for a scalar): the gradient of their weighted sum.
            sources: one source or a list of them.
            output_gradients: the gradient :math:`\\bar y` of some scalar with
                respect to ``target``, same shape; defaults to 1 for a scalar.

        Returns:
            The gradient for each source (a list if ``sources`` is a list).
        """
        listed = isinstance(sources, (list, tuple))
        on_tape = self.tensor_ids()
        tensors = [self.source(s, i, on_tape) for i, s in
                   enumerate(sources if listed else [sources])]
        targets = list(target) if isinstance(target, (list, tuple)) else [target]
        seeds = list(output_gradients) if isinstance(target, (list, tuple)) and \
            output_gradients is not None else [output_gradients] * len(targets)
        if len(seeds) != len(targets):
            raise ValueError(f"GradientTape.gradient: {len(targets)} targets but "
                             f"{len(seeds)} output_gradients")
        seeds = [seed_gradient(np.asarray(unwrap(y)), dy) for y, dy in zip(targets, seeds)]
        results = self.backpropagate(targets, seeds, tensors)
        return results if listed else results[0]

    def backpropagate(self, targets, seeds, sources):
        """``gradient``'s work, its arguments already checked: the gradients of
        the sources (tensors on this tape) from the targets' seeds."""
        grads = {}
        for y, dy in zip(targets, seeds):
            if isinstance(y, Tensor):
                add_gradient(grads, id(y), dy)
        for _ in self.walk(grads, self.reaching(sources)):
            pass  # each step has added its contributions to grads
        return [np.asarray(gradient_of(t, grads)) for t in sources]

    def reaching(self, sources):
        """The ids of the ``sources`` and of every tensor computed from them:
        the tensors whose gradients a walk back to those sources needs
        (``None``, all of them, when every watched tensor is a source)."""
        ids = {id(t) for t in sources}
        if all(id(t) in ids for _, t in self.watched.values()):
            return None
        for node in self.nodes:
            for t in node.inputs:
                if t is not None and id(t) in ids:
                    ids.update([id(y) for y in node.outputs])
                    break
        return ids

    def walk(self, grads, needed=None):
        """The reverse walk, one node at a time, last node first.

        ``grads`` maps ``id(tensor)`` to its gradient so far: the targets'
        seeds at the start, every tensor's gradient at the end.  For each node
        some gradient reaches, it yields ``(index, node, incoming, vjps,
        contributions)``: the node's position on the tape, the gradients of
        its outputs, what its vjp returned, and each input's contribution
        (``vjps`` with broadcasting undone; ``None`` for a constant), already
        added to ``grads``.  With ``needed`` (ids, see ``reaching``), a vjp
        that takes ``needs`` is told which of its inputs' gradients are
        wanted, and may skip the others (a matrix product's input gradient,
        when nothing before the input learns).
        """
        for index in range(len(self.nodes) - 1, -1, -1):
            node = self.nodes[index]
            if node.several:
                if not any(id(y) in grads for y in node.outputs):
                    continue
                incoming = [gradient_of(y, grads) for y in node.outputs]
                ys = [y.value for y in node.outputs]
            else:  # one output, the usual case
                incoming = grads.get(id(node.outputs[0]))
                if incoming is None:
                    continue  # the target does not depend on this node
                ys = node.outputs[0].value
            if needed is not None and takes_needs(node.vjp):
                needs = [t is not None and id(t) in needed for t in node.inputs]
                vjps = node.vjp(incoming, ys, *node.values, needs=needs, **node.params)
            else:
                vjps = node.vjp(incoming, ys, *node.values, **node.params)
            contributions = []
            for tensor, value, dx in zip(node.inputs, node.values, vjps):
                if tensor is None or dx is None:  # a constant (a traced value is a float)
                    contributions.append(None)
                    continue
                if getattr(dx, "shape", None) != value.shape:
                    dx = unbroadcast(dx, value.shape)
                contributions.append(dx)
                add_gradient(grads, id(tensor), dx)
            yield index, node, incoming, vjps, contributions


@functools.cache
def takes_needs(vjp):
    """Whether a vjp takes ``needs``, one flag per input: the gradients wanted."""
    return "needs" in inspect.signature(vjp).parameters


def gradient_of(tensor, grads):
    """The gradient ``grads`` holds for ``tensor``, or zeros if none reached it."""
    key = id(tensor)
    return grads[key] if key in grads else np.zeros_like(tensor.value)


def seed_gradient(y, dy):
    """The gradient a target ``y`` (an array) starts with: ``dy`` of its shape,
    or 1 for a scalar."""
    if dy is None:
        if y.ndim != 0:
            raise ValueError(f"GradientTape.gradient: the target has shape {y.shape}, "
                             "not a scalar; reduce it first (e.g. ops.sum(y)) or pass "
                             "output_gradients of that shape")
        return np.ones_like(y)
    dy = np.asarray(unwrap(dy))
    if dy.shape != y.shape:
        raise ValueError(f"GradientTape.gradient: output_gradients must have the target's "
                         f"shape {y.shape}, got {dy.shape}")
    return dy


def add_gradient(grads, key, dx):
    """The ``+=`` rule: a tensor used several times gets the sum of its gradients."""
    grads[key] = grads[key] + dx if key in grads else dx


def grad(f, argnums=0):
    """The gradient function of a scalar function ``f``, like ``jax.grad``.

    Args:
        f: a function of arrays returning a scalar, written with ``nnlib.ops``.
        argnums: the position of the argument to differentiate, or a tuple of
            positions (then a tuple of gradients is returned).

    >>> import numpy as np
    >>> from nnlib import ops
    >>> ops.grad(lambda x: ops.sum(ops.square(x)))(np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    several = isinstance(argnums, (tuple, list))
    positions = tuple(argnums) if several else (argnums,)

    def gradient_of_f(*args):
        for p in positions:
            if not isinstance(p, int) or not -len(args) <= p < len(args):
                raise ValueError(f"grad: argnums must be positions among the {len(args)} "
                                 f"arguments, got {argnums!r}")
        with GradientTape() as tape:
            args = list(args)
            for p in positions:
                args[p] = tape.watch(args[p])
            y = f(*args)
        if np.ndim(unwrap(y)) != 0:
            raise ValueError(f"grad: f must return a scalar, got shape {np.shape(unwrap(y))}")
        grads = tape.gradient(y, [args[p] for p in positions])
        return tuple(grads) if several else grads[0]

    return gradient_of_f

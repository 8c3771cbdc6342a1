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
import numpy as np

_active_tapes = []  # the tapes of the enclosing ``with`` blocks, innermost last


class Tensor:
    """An array whose ops are recorded on the active tapes.

    It holds a NumPy array in ``value``; Python's operators
    (``+ - * / ** @``, unary ``-``, ``x[i]``, ``.T``) are the ops of
    ``nnlib.ops`` and record too.
    """

    __array_ufunc__ = None  # ``array * tensor`` calls ``Tensor.__rmul__``, not NumPy

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
    """One recorded op: ``output = forward(*values, **params)``, with
    ``inputs`` the traced tensor behind each value (``None`` for a constant)."""

    __slots__ = ("output", "inputs", "values", "vjp", "params")

    def __init__(self, output, inputs, values, vjp, params):
        self.output, self.inputs, self.values = output, inputs, values
        self.vjp, self.params = vjp, params


def unwrap(x):
    """The NumPy value of a tensor, array or number."""
    return x.value if isinstance(x, Tensor) else x


def is_float(value):
    """Whether a value can carry a gradient: a floating-point array or number."""
    return np.asarray(value).dtype.kind == "f"


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
    if dy.shape == tuple(shape):
        return dy
    dy = dy.sum(axis=tuple(range(dy.ndim - len(shape))))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and dy.shape[axis] != 1)
    return dy.sum(axis=stretched, keepdims=True).reshape(shape)


def trace(forward, vjp, *inputs, **params):
    """Run ``forward`` on the inputs' values and, inside a tape, record it.

    ``vjp(dy, y, *values, **params)`` returns one gradient per input (``None``
    where there is none); ``vjp=None`` marks an op with no gradient (a
    comparison). The output is recorded only if it is a float and some input is
    traced, so constants stay plain arrays.
    """
    if not _active_tapes:
        return forward(*[unwrap(x) for x in inputs], **params)
    values = [unwrap(x) for x in inputs]
    output = forward(*values, **params)
    traced = [traced_tensor(x) for x in inputs]
    if vjp is None or not is_float(output) or all(t is None for t in traced):
        return output
    result = Tensor(output)
    node = Node(result, traced, values, vjp, params)
    for tape in _active_tapes:
        tape.record(node)
    return result


def traced_tensor(x):
    """The tensor that stands for ``x`` on the active tapes, or ``None``."""
    if isinstance(x, Tensor):
        return x
    for tape in _active_tapes:
        if id(x) in tape.watched:
            return tape.watched[id(x)][1]
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
        self.known = set()  # ids of the tensors watched or computed on this tape

    def __enter__(self):
        _active_tapes.append(self)
        return self

    def __exit__(self, *exc):
        _active_tapes.remove(self)
        return False

    def record(self, node):
        """Append one op to the tape."""
        self.nodes.append(node)
        self.known.add(id(node.output))

    def watch(self, x):
        """Differentiate with respect to ``x``; returns its traced tensor.

        The ops of ``nnlib.ops`` record on ``x`` itself too (it is recognised
        by identity), but Python's operators on a NumPy array are NumPy's:
        write ``t * w`` with the returned tensor ``t``, not ``x * w``.
        """
        if isinstance(x, Tensor):
            self.known.add(id(x))
            return x
        if not is_float(x):
            raise TypeError(f"GradientTape.watch: expected a float array, got dtype "
                            f"{np.asarray(x).dtype}; cast it first, e.g. ops.cast(x, 'float64')")
        if id(x) not in self.watched:
            tensor = Tensor(x)
            self.watched[id(x)] = (x, tensor)
            self.known.add(id(tensor))
        return self.watched[id(x)][1]

    def source(self, x, position):
        """The tensor on this tape behind a source, or an error naming it."""
        tensor = x if isinstance(x, Tensor) else self.watched.get(id(x), (None, None))[1]
        if tensor is None or id(tensor) not in self.known:
            raise ValueError(f"GradientTape.gradient: source {position} (shape "
                             f"{np.shape(unwrap(x))}) is not watched by this tape; call "
                             "tape.watch(x) before using x")
        return tensor

    def gradient(self, target, sources, output_gradients=None):
        """Reverse-mode differentiation of the recorded ops.

        Args:
            target: the tensor to differentiate, a scalar unless
                ``output_gradients`` is given.
            sources: one source or a list of them.
            output_gradients: the gradient :math:`\\bar y` of some scalar with
                respect to ``target``, same shape; defaults to 1 for a scalar.

        Returns:
            The gradient for each source (a list if ``sources`` is a list).
        """
        listed = isinstance(sources, (list, tuple))
        tensors = [self.source(s, i) for i, s in enumerate(sources if listed else [sources])]
        y = unwrap(target)
        if output_gradients is None:
            if np.ndim(y) != 0:
                raise ValueError(f"GradientTape.gradient: the target has shape {np.shape(y)}, "
                                 "not a scalar; reduce it first (e.g. ops.sum(y)) or pass "
                                 "output_gradients of that shape")
            dy = np.ones_like(y)
        else:
            dy = np.asarray(unwrap(output_gradients))
            if dy.shape != np.shape(y):
                raise ValueError(f"GradientTape.gradient: output_gradients must have the target's "
                                 f"shape {np.shape(y)}, got {dy.shape}")
        grads = {id(target): dy}
        for node in reversed(self.nodes):
            if id(node.output) not in grads:
                continue
            contributions = node.vjp(grads[id(node.output)], node.output.value,
                                     *node.values, **node.params)
            for tensor, value, dx in zip(node.inputs, node.values, contributions):
                if tensor is None or dx is None or not is_float(value):
                    continue
                dx = unbroadcast(dx, np.shape(value))
                key = id(tensor)
                grads[key] = grads[key] + dx if key in grads else dx  # the += rule
        results = [grads.get(id(t), np.zeros_like(t.value)) for t in tensors]
        return results if listed else results[0]


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

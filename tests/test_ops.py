"""nnlib.ops and its gradient tape: every op's vjp against central differences
(generated from the op table), plain arrays outside a tape, broadcasting,
indexing, reuse, stop_gradient, the errors, and the tape against Dense's
hand-written backward pass."""
import numpy as np
import pytest

import nnlib.ops as ops
from nnlib.backend import floatx_scope
from nnlib.layers import Dense
from nnlib.ops.table import OP_TABLE
from nnlib.ops.tape import Tensor

DIFFERENTIABLE = [case for case in OP_TABLE if case.vjp is not None]
CONSTANT = [case for case in OP_TABLE if case.vjp is None]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def float_leaves(args):
    """The positions of the float arrays in ``args``: ``(i,)`` or ``(i, j)`` in a list."""
    found = []
    for i, arg in enumerate(args):
        for j, item in (enumerate(arg) if isinstance(arg, list) else [(None, arg)]):
            if isinstance(item, np.ndarray) and item.dtype.kind == "f":
                found.append((i,) if j is None else (i, j))
    return found


def replaced(args, leaves, values):
    """``args`` with the arrays at ``leaves`` replaced by ``values``."""
    args = [list(a) if isinstance(a, list) else a for a in args]
    for leaf, value in zip(leaves, values):
        if len(leaf) == 1:
            args[leaf[0]] = value
        else:
            args[leaf[0]][leaf[1]] = value
    return args


def as_list(output):
    return output if isinstance(output, list) else [output]


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar ``f`` at ``x``."""
    dx = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        dx[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return dx


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=lambda case: case.name)
def test_each_vjp_matches_central_differences(case, rng):
    args, kwargs = case.sample(rng)
    leaves = float_leaves(args)
    values = [args[l[0]] if len(l) == 1 else args[l[0]][l[1]] for l in leaves]
    cotangents = [rng.normal(size=np.shape(y)) for y in as_list(case.op(*args, **kwargs))]

    def loss(*leaf_values):  # plain NumPy: the op outside a tape
        outputs = as_list(case.op(*replaced(args, leaves, leaf_values), **kwargs))
        return sum(float(np.sum(y * c)) for y, c in zip(outputs, cotangents))

    with ops.GradientTape() as tape:
        tensors = [tape.watch(v) for v in values]
        outputs = as_list(case.op(*replaced(args, leaves, tensors), **kwargs))
        total = ops.sum(ops.multiply(outputs[0], cotangents[0]))
        for y, c in zip(outputs[1:], cotangents[1:]):
            total = total + ops.sum(y * c)
    assert case.vjp in {node.vjp for node in tape.nodes}
    grads = tape.gradient(total, tensors)
    for k, (value, g) in enumerate(zip(values, grads)):
        def along_k(v, k=k):
            return loss(*[v if m == k else other for m, other in enumerate(values)])
        assert g.shape == value.shape
        np.testing.assert_allclose(g, numeric_gradient(along_k, value), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", OP_TABLE, ids=lambda case: case.name)
def test_outside_a_tape_each_op_returns_plain_arrays_equal_to_the_traced_ones(case, rng):
    args, kwargs = case.sample(rng)
    plain = as_list(case.op(*args, **kwargs))
    assert all(isinstance(y, (np.ndarray, np.generic)) for y in plain)  # NumPy's own types
    leaves = float_leaves(args)
    with ops.GradientTape() as tape:
        traced_args = replaced(args, leaves, [
            tape.watch(args[l[0]] if len(l) == 1 else args[l[0]][l[1]]) for l in leaves])
        traced = as_list(case.op(*traced_args, **kwargs))
    for y, t in zip(plain, traced):
        assert isinstance(t, Tensor) == (case.vjp is not None)
        np.testing.assert_array_equal(ops.convert_to_numpy(t), y)
    if case.vjp is None:
        assert tape.nodes == []


def test_the_op_table_lists_every_public_op():
    tabled = {case.op.__name__ for case in OP_TABLE}
    public = set(ops.__all__) - {"GradientTape", "Tensor", "grad", "unbroadcast"}
    assert public == tabled


def test_a_broadcast_input_gets_the_gradient_summed_over_the_copied_axes(rng):
    x, b, s = rng.normal(size=(4, 3)), rng.normal(size=(3,)), rng.normal(size=(4, 1))
    with ops.GradientTape() as tape:
        for a in (x, b, s):
            tape.watch(a)
        y = ops.sum(ops.multiply(ops.add(x, b), s))
    dx, db, ds = tape.gradient(y, [x, b, s])
    np.testing.assert_allclose(dx, np.broadcast_to(s, (4, 3)))
    np.testing.assert_allclose(db, s.sum() * np.ones(3))
    np.testing.assert_allclose(ds, (x + b).sum(axis=1, keepdims=True))


def test_indexing_scatter_adds_so_an_entry_read_twice_gets_both_gradients():
    x = np.array([1.0, 2.0, 3.0])
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = ops.sum(t[np.array([0, 0, 2])] * np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(tape.gradient(y, x), [11.0, 0.0, 100.0])


def test_a_value_used_twice_and_fanned_out_gets_every_contribution(rng):
    x = rng.normal(size=(3,))
    with ops.GradientTape() as tape:
        tape.watch(x)
        a = ops.multiply(x, x)            # x used twice by one op
        y = ops.sum(a * a + ops.exp(a))  # a fans out to three uses
    expected = (2 * a.value + np.exp(a.value)) * 2 * x
    np.testing.assert_allclose(tape.gradient(y, x), expected)


def test_python_operators_on_a_tensor_record_like_the_ops(rng):
    x, w = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))

    def f(x, w):
        return ops.sum((-(x @ w) + 1.0) * 2.0 / (3.0 - x[:, :2]) ** 2 - (w.T @ w.T.T))

    with ops.GradientTape() as tape:
        tx, tw = tape.watch(x), tape.watch(w)
        assert (tx.shape, tx.dtype, tx.ndim) == ((2, 3), np.float64, 2)
        y = f(tx, tw)
    assert isinstance(y, Tensor) and not isinstance(f(x, w), Tensor)
    np.testing.assert_allclose(y.value, f(x, w))
    dx, dw = tape.gradient(y, [x, w])
    np.testing.assert_allclose(dx, numeric_gradient(lambda v: f(v, w), x), rtol=1e-6)
    np.testing.assert_allclose(dw, numeric_gradient(lambda v: f(x, v), w), rtol=1e-6)


def test_grad_differentiates_a_scalar_function_by_position(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))

    def f(a, b):
        return ops.sum(ops.square(ops.matmul(a, b)))

    da, db = ops.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(da, 2 * np.outer(a @ b, b))
    np.testing.assert_allclose(db, 2 * a.T @ (a @ b))
    np.testing.assert_allclose(ops.grad(f, argnums=1)(a, b), db)
    with pytest.raises(ValueError, match="grad: argnums must be positions among the 2"):
        ops.grad(f, argnums=2)(a, b)
    with pytest.raises(ValueError, match=r"grad: f must return a scalar, got shape \(2,\)"):
        ops.grad(lambda a, b: ops.matmul(a, b))(a, b)


def test_stop_gradient_and_integer_casts_carry_no_gradient(rng):
    x = rng.normal(size=(4,)) * 3
    with ops.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(ops.multiply(x, ops.stop_gradient(x)))
        rounded = ops.cast(ops.cast(x, "int32"), "float64")
        z = ops.sum(ops.multiply(x, rounded))
    assert isinstance(rounded, np.ndarray)
    np.testing.assert_allclose(tape.gradient(y, x), x)
    np.testing.assert_allclose(tape.gradient(z, x), x.astype("int32"))


def test_a_source_the_target_does_not_depend_on_gets_zeros(rng):
    x, w = rng.normal(size=(2,)), rng.normal(size=(3,))
    with ops.GradientTape() as tape:
        tape.watch(x)
        tape.watch(w)
        y = ops.sum(ops.tanh(x))
    assert np.array_equal(tape.gradient(y, [x, w])[1], np.zeros(3))


def test_output_gradients_differentiate_a_non_scalar(rng):
    x, dy = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    with ops.GradientTape() as tape:
        tape.watch(x)
        y = ops.tanh(x)
    expected = dy * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=dy), expected)


def test_the_tape_names_what_is_wrong(rng):
    x, stranger = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    with ops.GradientTape() as tape:
        tape.watch(x)
        y = ops.square(x)
    with pytest.raises(ValueError, match=r"the target has shape \(2, 3\), not a scalar; "
                                         r"reduce it first \(e.g. ops.sum\(y\)\)"):
        tape.gradient(y, x)
    with pytest.raises(ValueError, match=r"source 1 \(shape \(3,\)\) is not watched by this tape"):
        tape.gradient(ops.sum(y), [x, stranger])
    with pytest.raises(ValueError, match=r"output_gradients must have the target's shape "
                                         r"\(2, 3\), got \(3,\)"):
        tape.gradient(y, x, output_gradients=np.ones(3))
    with pytest.raises(TypeError, match="watch: expected a float array, got dtype int64"):
        ops.GradientTape().watch(np.arange(3))
    with pytest.raises(ValueError, match="einsum: a letter repeated within one operand"):
        ops.einsum("ii->i", np.eye(2))
    with pytest.raises(ValueError, match="split: an axis of size 5 does not split into 2"):
        ops.split(np.zeros(5), 2)
    with pytest.raises(TypeError, match="take: indices must be integers, got dtype float64"):
        ops.take(np.zeros(5), np.array([1.0]))


def test_a_tensor_of_an_outer_tape_is_a_source_only_where_it_is_watched(rng):
    x = rng.normal(size=3)
    with ops.GradientTape() as outer:
        t = outer.watch(x)
        h = ops.square(t)  # computed on the outer tape only
        with ops.GradientTape() as inner:
            inner.watch(h)
            y = ops.sum(ops.exp(h))
        with ops.GradientTape() as unwatched:
            z = ops.sum(ops.exp(h))
    np.testing.assert_allclose(inner.gradient(y, h), np.exp(x ** 2))
    np.testing.assert_allclose(outer.gradient(y, t), np.exp(x ** 2) * 2 * x)
    with pytest.raises(ValueError, match=r"source 0 \(shape \(3,\)\) is not watched by this tape"):
        unwatched.gradient(z, [h])


def test_softmax_sigmoid_and_log_softmax_do_not_overflow():
    x = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(ops.softmax(x), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(ops.log_softmax(x), [[0.0, -1000.0, -2000.0]])
    np.testing.assert_allclose(ops.sigmoid(x), [[1.0, 0.5, 0.0]])
    assert np.isfinite(ops.grad(lambda v: ops.sum(ops.log_softmax(v)[0, :2]))(x)).all()


def test_a_dense_layer_written_with_ops_and_taped_equals_dense_backward(rng):
    x, dy = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    with floatx_scope("float64"):
        layer = Dense(3, activation="relu")
        layer.build(x.shape)
        layer.bias.assign(rng.normal(size=3))
        y, cache = layer.forward(x)
        dx, grads = layer.backward(dy, cache)
    kernel, bias = layer.kernel.value, layer.bias.value
    with ops.GradientTape() as tape:
        for a in (x, kernel, bias):
            tape.watch(a)
        y_ops = ops.relu(ops.matmul(x, kernel) + bias)
    np.testing.assert_allclose(y_ops.value, y)
    dx_ops, dkernel, dbias = tape.gradient(y_ops, [x, kernel, bias], output_gradients=dy)
    np.testing.assert_allclose(dx_ops, dx)
    np.testing.assert_allclose(dkernel, grads["kernel"])
    np.testing.assert_allclose(dbias, grads["bias"])


def test_tied_maxima_share_the_gradient_equally():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    np.testing.assert_allclose(ops.grad(lambda v: ops.sum(ops.max(v, axis=1)))(x),
                               [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(ops.grad(lambda v: ops.min(v, initial=-5.0))(x), np.zeros((2, 3)))


def test_numpy_functions_on_a_traced_tensor_are_refused_but_shape_questions_answered():
    with ops.GradientTape() as tape:
        x = tape.watch(np.ones((2, 3)))
        assert (np.shape(x), np.ndim(x), np.size(x)) == ((2, 3), 2, 6)
        with pytest.raises(TypeError, match=r"np.stack on a traced tensor.*nnlib.ops.stack"):
            np.stack([x, x])
        with pytest.raises(TypeError, match=r"np.pad .*use the ops of nnlib.ops"):
            np.pad(x, 1)
        np.stack([ops.stop_gradient(x)])  # no gradient wanted: allowed


def test_a_gradient_is_an_array_even_for_a_scalar_with_two_contributions():
    with ops.GradientTape() as tape:
        s = tape.watch(np.array(2.0))
        y = s * s
    g = tape.gradient(y, s)
    assert isinstance(g, np.ndarray) and g.shape == () and float(g) == 4.0

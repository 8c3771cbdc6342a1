"""Models: Sequential and its functional twin, building, and the executor's backward
pass (model-level gradient checks, shared layers, skip connections).  The
Functional API's structures (several inputs and outputs, nesting, feature
extraction, freezing) are in test_models_functional.py."""
import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers import Activation, Add, Dense
from nnlib.models import Input, Model, Sequential
from nnlib.testing import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def mlp(*, input_first=True):
    layers = [Dense(5, activation="tanh"), Dense(3, activation="softmax")]
    return Sequential(([Input((4,))] if input_first else []) + layers)


# -- Sequential and Functional ---------------------------------------------------------

def test_sequential_equals_its_functional_twin(rng):
    sequential = mlp()
    x = Input((4,))
    functional = Model(x, Dense(3, activation="softmax")(Dense(5, activation="tanh")(x)))
    functional.set_weights(sequential.get_weights())
    data = rng.normal(size=(6, 4))
    np.testing.assert_array_equal(sequential.predict(data), functional.predict(data))
    dy = rng.normal(size=(6, 3))
    y_s, tape_s = sequential.forward(sequential.prepare(data))
    y_f, tape_f = functional.forward(functional.prepare(data))
    dx_s, grads_s = sequential.backward(dy, tape_s)
    dx_f, grads_f = functional.backward(dy, tape_f)
    np.testing.assert_array_equal(dx_s, dx_f)
    assert [g.shape for g in grads_s.values()] == [g.shape for g in grads_f.values()]
    for g_s, g_f in zip(grads_s.values(), grads_f.values()):
        np.testing.assert_array_equal(g_s, g_f)


def test_weights_are_listed_by_path_in_layer_order():
    model = Sequential([Input((2,)), Dense(3, name="hidden"), Dense(1, use_bias=False, name="out")])
    assert list(model.named_weights()) == ["hidden.kernel", "hidden.bias", "out.kernel"]
    assert [w.shape for w in model.get_weights()] == [(2, 3), (3,), (3, 1)]
    assert model.get_layer("out").units == 1
    with pytest.raises(ValueError, match=r"no layer named 'nope'; layers: \['hidden', 'out'\]"):
        model.get_layer("nope")


def test_lazy_build_from_the_first_data(rng):
    model = mlp(input_first=False)
    assert not model.built and model.weights == []
    y = model.predict(rng.normal(size=(2, 7)))
    assert model.built and y.shape == (2, 3)
    assert model.layers[0].kernel.shape == (7, 5)
    assert model.outputs[0].shape == (None, 3)
    with pytest.raises(ValueError, match=r"expects shape \(None, 7\), got \(2, 4\)"):
        model.predict(np.ones((2, 4)))


def test_build_from_a_shape():
    model = mlp(input_first=False)
    model.build((None, 6))
    assert model.layers[0].kernel.shape == (6, 5)
    assert model.count_params() == 6 * 5 + 5 + 5 * 3 + 3


def test_input_must_come_first():
    with pytest.raises(ValueError, match="an Input must come first"):
        Sequential([Dense(2), Input((3,))])
    model = Sequential([Input((3,))])
    with pytest.raises(ValueError, match="an Input must come first"):
        model.add(Input((3,)))


def test_add_and_pop(rng):
    model = Sequential([Input((3,))])
    model.add(Dense(4))
    last = Dense(2)
    model.add(last)
    assert model.outputs[0].shape == (None, 2)
    assert model.predict(rng.normal(size=(5, 3))).shape == (5, 2)
    assert model.pop() is last
    assert model.layers == [model.layers[0]] and model.outputs[0].shape == (None, 4)
    assert model.predict(rng.normal(size=(5, 3))).shape == (5, 4)
    model.pop()
    with pytest.raises(ValueError, match="there is no layer to pop"):
        model.pop()


def test_functional_errors(rng):
    a, b = Input((3,)), Input((3,))
    with pytest.raises(ValueError, match="depend on inputs .* not in the model's inputs"):
        Model(a, Add()([a, b]))
    model = Model([a, b], Add()([a, b]))
    with pytest.raises(ValueError, match=r"expected 2 inputs \[.*\], got one array"):
        model.predict(rng.normal(size=(2, 3)))
    with pytest.raises(TypeError, match="expected numeric input"):
        model([np.array([["x", "y", "z"]]), np.ones((1, 3))])


def test_a_model_can_be_called_on_arrays_and_nested(rng):
    inner = Sequential([Input((3,)), Dense(2, name="inner_dense")], name="inner")
    x = Input((3,))
    outer = Model(x, Dense(1, name="head")(inner(x)))
    data = rng.normal(size=(4, 3))
    np.testing.assert_allclose(outer(data), outer.get_layer("head")(inner(data)), rtol=1e-6)
    assert list(outer.named_weights()) == ["inner.inner_dense.kernel", "inner.inner_dense.bias",
                                           "head.kernel", "head.bias"]


# -- the backward pass, checked against central differences ----------------------------

def test_model_gradient_check_sequential(rng):
    with floatx_scope("float64"):
        model = mlp(input_first=False)
        report = check_gradients(model, rng.normal(size=(3, 4)))
    assert [row[0] for row in report.rows] == ["input"] + list(model.named_weights())
    assert report.max_relative_error < 1e-6, report


def test_model_gradient_check_nested(rng):
    with floatx_scope("float64"):
        inner = Sequential([Input((3,)), Dense(4, activation="tanh")])
        x = Input((3,))
        outer = Model(x, Dense(2)(inner(x)))
        report = check_gradients(outer, rng.normal(size=(5, 3)))
    assert len(report.rows) == 5
    assert report.max_relative_error < 1e-6, report


def test_shared_layer_on_two_inputs_gets_the_sum_of_its_gradients(rng):
    with floatx_scope("float64"):
        shared = Dense(3, activation="tanh", name="shared")
        a, b = Input((4,)), Input((4,))
        model = Model([a, b], Add()([shared(a), shared(b)]))
        xa, xb = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
        report = check_gradients(model, xa, xb)
    assert [row[0] for row in report.rows] == ["input_0", "input_1", "shared.kernel", "shared.bias"]
    assert report.max_relative_error < 1e-6, report
    assert [type(layer).__name__ for layer in model.layers] == \
        ["InputLayer", "InputLayer", "Dense", "Add"]  # Keras's order: by depth
    assert model.count_params() == 4 * 3 + 3

    # The same sum, by hand: the layer's gradients on each input, added.
    dy = rng.normal(size=(5, 3))
    _, tape = model.forward(model.prepare([xa, xb]))
    (dxa, dxb), grads = model.backward(dy, tape)
    by_hand = {}
    for x in (xa, xb):
        _, cache = shared.forward(x)
        _, g = shared.backward(dy, cache)
        for key, value in g.items():
            by_hand[key] = by_hand.get(key, 0) + value
    np.testing.assert_allclose(grads["shared.kernel"], by_hand["kernel"])
    np.testing.assert_allclose(grads["shared.bias"], by_hand["bias"])


def test_a_layer_applied_twice_in_a_chain(rng):
    with floatx_scope("float64"):
        square = Dense(4, activation="tanh", name="twice")
        x = Input((4,))
        model = Model(x, square(square(x)))
        report = check_gradients(model, rng.normal(size=(3, 4)))
    assert [row[0] for row in report.rows] == ["input", "twice.kernel", "twice.bias"]
    assert report.max_relative_error < 1e-6, report


def test_a_skip_connection_reads_a_tensor_twice(rng):
    with floatx_scope("float64"):
        x = Input((3,))
        h = Dense(3, activation="tanh")(x)
        model = Model(x, Dense(2)(Add()([h, Dense(3, activation="tanh")(h)])))
        report = check_gradients(model, rng.normal(size=(4, 3)))
    assert report.max_relative_error < 1e-6, report


def test_frozen_layers_get_no_gradients_but_pass_them_on(rng):
    with floatx_scope("float64"):
        first = Dense(3, name="learns")
        frozen = Dense(2, name="frozen", trainable=False)
        model = Sequential([Input((3,)), first, frozen])
    _, tape = model.forward(model.prepare(rng.normal(size=(2, 3))))
    _, grads = model.backward(np.ones((2, 2)), tape, need_dx=False)
    assert set(grads) == {"learns.kernel", "learns.bias"}
    assert list(model.named_weights(trainable_only=True)) == ["learns.kernel", "learns.bias"]


def test_the_input_gradient_is_skipped_when_not_needed(rng):
    calls = []
    first = Dense(3, name="first")
    original = first.backward

    def spy(dy, cache, *, need_dx=True):
        calls.append(need_dx)
        return original(dy, cache, need_dx=need_dx)

    first.backward = spy
    model = Sequential([Input((2,)), first, Activation("relu"), Dense(1)])
    _, tape = model.forward(model.prepare(rng.normal(size=(4, 2))))
    dx, grads = model.backward(np.ones((4, 1)), tape, need_dx=False)
    assert dx is None and calls == [False]
    assert set(grads) == {"first.kernel", "first.bias", f"{model.layers[2].name}.kernel",
                          f"{model.layers[2].name}.bias"}
    dx, _ = model.backward(np.ones((4, 1)), tape)
    assert dx.shape == (4, 2) and calls == [False, True]


def test_the_reference_table_lists_both_ways_with_the_seed_wording():
    import nnlib
    rows = nnlib.table("model").rows
    assert [row[:2] for row in rows] == [("Sequential", "Sequential"), ("Functional API", "Model")]
    assert rows[0][3].startswith("For linear stacks of layers where each layer has exactly one")
    assert "non-linear topology, shared layers, and even multiple inputs or outputs" in rows[1][3]
    assert nnlib.registry.entry_for("model", "functional").cls is Model

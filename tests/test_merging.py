"""Merge layers: values, shapes, errors (nothing broadcast), gradients and masks; Keras's
functional helpers (``add``, ``concatenate``...).

Every merge is also gradient-checked from its ``gradient_check_sample`` by
tests/test_gradients.py; here each is checked with three inputs too."""
import numpy as np
import pytest

from nnlib.backend import floatx_scope
import nnlib
from nnlib import layers
from nnlib.layers import (Add, Average, Concatenate, Dense, Embedding, Maximum, Minimum, Multiply,
                          Subtract)
from nnlib.models import Input, Model
from nnlib.testing import check_gradients


@pytest.fixture
def xs():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(4, 3)) for _ in range(3)]


@pytest.mark.parametrize("cls, expected", [
    (Add, lambda a, b, c: a + b + c),
    (Multiply, lambda a, b, c: a * b * c),
    (Average, lambda a, b, c: (a + b + c) / 3),
    (Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
])
def test_element_wise_merges_of_three_inputs(cls, expected, xs):
    with floatx_scope("float64"):
        layer = cls()
        np.testing.assert_allclose(layer(xs), expected(*xs))
        report = check_gradients(layer, *xs)
    assert report.max_relative_error < 1e-6, report


def test_subtract_takes_exactly_two(xs):
    with floatx_scope("float64"):
        np.testing.assert_allclose(Subtract()(xs[:2]), xs[0] - xs[1])
        with pytest.raises(ValueError, match="expected exactly 2 inputs, got 3"):
            Subtract()(xs)
        assert check_gradients(Subtract(), *xs[:2]).max_relative_error < 1e-6


def test_concatenate_joins_along_any_axis_and_splits_the_gradient():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    with floatx_scope("float64"):
        layer = Concatenate(axis=1)
        assert layer([a, b]).shape == (2, 8, 4)
        assert check_gradients(layer, a, b).max_relative_error < 1e-6
    assert Concatenate(axis=1).compute_output_shape([(None, 3, 4), (None, None, 4)]) == \
        (None, None, 4)
    with pytest.raises(ValueError, match=r"equal in every axis but -1, got shapes "
                                         r"\[\(2, 3, 4\), \(2, 5, 4\)\]"):
        Concatenate()([a, b])


def test_nothing_is_broadcast():
    x, y = Input((3,)), Input((1,))
    for cls in (Add, Subtract, Multiply, Average, Maximum):
        with pytest.raises(ValueError, match=r"expected inputs of one shape, got shapes "
                                             r"\[\(None, 3\), \(None, 1\)\]"):
            cls()([x, y])
    with pytest.raises(ValueError, match="expected a list of inputs, got one input"):
        Add()(x)
    with pytest.raises(ValueError, match="expected at least 2 inputs, got 1"):
        Add()([x])


def test_maximum_sends_the_gradient_to_the_first_of_tied_inputs():
    layer = Maximum()
    a = np.array([[1.0, 5.0, 2.0]])
    b = np.array([[1.0, 3.0, 4.0]])
    _, cache = layer.forward([a, b])
    (da, db), _ = layer.backward(np.ones((1, 3)), cache)
    np.testing.assert_array_equal(da, [[1, 1, 0]])
    np.testing.assert_array_equal(db, [[0, 0, 1]])


def test_minimum_sends_the_gradient_to_the_first_of_tied_inputs():
    layer = Minimum()
    a = np.array([[1.0, 5.0, 2.0]])
    b = np.array([[1.0, 3.0, 4.0]])
    y, cache = layer.forward([a, b])
    np.testing.assert_array_equal(y, [[1, 3, 2]])
    (da, db), _ = layer.backward(np.array([[2.0, 3.0, 4.0]]), cache)
    np.testing.assert_array_equal(da, [[2, 0, 4]])
    np.testing.assert_array_equal(db, [[0, 3, 0]])


HELPERS = [(layers.add, Add), (layers.subtract, Subtract), (layers.multiply, Multiply),
           (layers.average, Average), (layers.maximum, Maximum), (layers.minimum, Minimum),
           (layers.concatenate, Concatenate)]


@pytest.mark.parametrize("helper, cls", HELPERS)
def test_each_helper_computes_what_its_layer_computes(helper, cls, xs):
    pair = xs[:2]
    np.testing.assert_array_equal(helper(pair), cls()(pair))


@pytest.mark.parametrize("helper, cls", HELPERS)
def test_each_helper_adds_its_layer_to_a_functional_model(helper, cls, xs):
    a, b = Input((3,)), Input((3,))
    out = helper([a, b], name=f"joined_by_{helper.__name__}")
    model = Model([a, b], out)
    layer = model.get_layer(f"joined_by_{helper.__name__}")
    assert type(layer) is cls
    np.testing.assert_allclose(model.predict(xs[:2], verbose=0), cls()(xs[:2]), rtol=1e-6)


def test_helpers_take_keras_arguments():
    """Keras's signatures: ``concatenate(inputs, axis=-1, **kwargs)``, the others
    ``(inputs, **kwargs)``; a keyword the layer does not take is an error."""
    a, b = np.ones((2, 3)), np.zeros((2, 3))
    assert layers.concatenate([a[:, None], b[:, None]], 1).shape == (2, 2, 3)
    assert layers.concatenate([a, b]).shape == (2, 6)
    assert layers.add([a, b], dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="unexpected keyword argument 'axis'"):
        layers.add([a, b], axis=1)
    with pytest.raises(ValueError, match="expected exactly 2 inputs, got 3"):
        layers.subtract([a, a, b])
    assert nnlib.layers.minimum is layers.minimum and "minimum" in layers.__all__


def test_merges_in_a_graph_give_shapes_and_combine_masks():
    ids = Input((4,), dtype="int32")
    embedded = Embedding(5, 2, mask_zero=True)(ids)
    other = Dense(2)(embedded)
    model = Model(ids, [Add()([embedded, other]), Concatenate(axis=1)([embedded, other])])
    assert [t.shape for t in model.outputs] == [(None, 4, 2), (None, 8, 2)]
    data = np.array([[1, 2, 0, 0]])
    _, tape = model.forward(data)
    added_mask, joined_mask = tape.output_mask
    np.testing.assert_array_equal(added_mask, [[True, True, False, False]])
    np.testing.assert_array_equal(joined_mask, [[True, True, False, False] * 2])
    assert Add().compute_mask(None, [None, None]) is None

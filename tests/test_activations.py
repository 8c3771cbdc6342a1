"""Activations: values at known points, derivatives, extreme inputs, dtypes."""
import math
import warnings

import numpy as np
import pytest

from nnlib import activations, registry
from nnlib.activations import Linear, ReLU, Sigmoid, Softmax, Tanh
from nnlib.backend import floatx_scope
from nnlib.layers import Activation

ACTIVATIONS = registry.entries("activation")


def value_and_gradient(activation, x, dy=None):
    y, cache = activation.forward(x)
    dx = activation.backward(np.ones_like(y) if dy is None else dy, cache)
    return y, dx


def test_relu_values_and_derivative():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    y, dx = value_and_gradient(ReLU(), x)
    np.testing.assert_array_equal(y, [0, 0, 0, 0.5, 3])
    np.testing.assert_array_equal(dx, [0, 0, 0, 1, 1])  # 0 at the kink, as Keras
    assert not np.signbit(y).any()  # no -0.0


def test_relu_with_slope_cap_and_threshold_follows_keras():
    relu = ReLU(negative_slope=0.1, max_value=2.0, threshold=0.5)
    x = np.array([-1.0, 0.5, 1.0, 3.0])
    y, dx = value_and_gradient(relu, x)
    # Keras: x * (x > threshold), clipped to max_value, minus slope * relu(threshold - x).
    np.testing.assert_allclose(y, [-0.15, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(dx, [0.1, 0.1, 1.0, 0.0])


def test_sigmoid_values_and_derivative():
    x = np.array([0.0, math.log(3.0), -math.log(3.0)])
    y, dx = value_and_gradient(Sigmoid(), x)
    np.testing.assert_allclose(y, [0.5, 0.75, 0.25])
    np.testing.assert_allclose(dx, [0.25, 0.1875, 0.1875])


def test_tanh_values_and_derivative():
    x = np.array([0.0, math.atanh(0.5)])
    y, dx = value_and_gradient(Tanh(), x)
    np.testing.assert_allclose(y, [0.0, 0.5], atol=1e-15)
    np.testing.assert_allclose(dx, [1.0, 0.75])


def test_linear_is_the_identity():
    x = np.array([-3.0, 0.0, 2.5])
    y, dx = value_and_gradient(Linear(), x, dy=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(dx, [1.0, 2.0, 3.0])
    assert isinstance(activations.get(None), Linear)


def test_softmax_values():
    y = Softmax()(np.array([[0.0, math.log(3.0)], [5.0, 5.0]]))
    np.testing.assert_allclose(y, [[0.25, 0.75], [0.5, 0.5]])
    shifted = Softmax()(np.array([[1000.0, 1000.0 + math.log(3.0)]]))
    np.testing.assert_allclose(shifted, [[0.25, 0.75]])
    columns = Softmax(axis=0)(np.array([[0.0, 1.0], [0.0, 1.0]]))
    np.testing.assert_allclose(columns.sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(columns, 0.5)


def test_softmax_backward_is_the_jacobian_product():
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=4), rng.normal(size=4)
    y, dx = value_and_gradient(Softmax(), x, dy)
    jacobian = np.diag(y) - np.outer(y, y)
    np.testing.assert_allclose(dx, jacobian.T @ dy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("entry", ACTIVATIONS, ids=lambda e: e.name)
def test_extreme_inputs_give_finite_values_and_gradients(entry, dtype):
    x = np.array([[-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4]], dtype=dtype)
    activation = entry.cls()
    # Overflow, division by zero and invalid operations raise; underflow to 0 is
    # the right answer (sigmoid(-1e4) is 0 in floating point) and NumPy never warns
    # about it, so it stays allowed.
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y, dx = value_and_gradient(activation, x)
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert y.dtype == dtype and dx.dtype == dtype


def test_extreme_values_saturate_exactly():
    for dtype in (np.float32, np.float64):
        x = np.array([-1e4, 1e4], dtype=dtype)
        np.testing.assert_array_equal(Sigmoid()(x), [0.0, 1.0])
        np.testing.assert_array_equal(Tanh()(x), [-1.0, 1.0])
        np.testing.assert_array_equal(Softmax()(x), [0.0, 1.0])


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=lambda e: e.name)
def test_integer_input_is_cast_to_floatx(entry):
    activation = entry.cls()
    x = np.array([[-2, -1, 0, 1, 2]])
    y = activation(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, activation(x.astype(np.float64)), rtol=1e-6)
    with floatx_scope("float64"):
        assert activation(x).dtype == np.float64
    with pytest.raises(TypeError, match=f"{entry.name}: expected numeric input"):
        activation(np.array(["1"]))


def test_sigmoid_of_integers_is_not_truncated():
    np.testing.assert_allclose(Sigmoid()([-1, 0, 1]), [0.26894142, 0.5, 0.73105858], rtol=1e-6)


def test_get_by_name_and_repr():
    assert isinstance(activations.get("RELU"), ReLU)
    assert repr(Softmax(axis=1)) == "Softmax(axis=1)"
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        activations.get("gelu")


def test_activation_layer_applies_the_function():
    layer = Activation("tanh")
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(layer(x), np.tanh(x), rtol=1e-6)
    assert layer(x).dtype == np.float32
    assert layer.weights == [] and layer.count_params() == 0
    assert layer.get_config()["activation"] == "tanh"
    y, cache = layer.forward(x.astype(np.float32))
    dx, grads = layer.backward(np.ones_like(y), cache)
    np.testing.assert_allclose(dx, 1 - np.tanh(x) ** 2, rtol=1e-6)
    assert grads == {}


def test_activation_layer_accepts_an_instance():
    relu = ReLU(max_value=1.0)
    layer = Activation(relu)
    assert layer.activation is relu
    np.testing.assert_array_equal(layer(np.array([[-1.0, 0.5, 4.0]])), [[0.0, 0.5, 1.0]])

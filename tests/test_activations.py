"""Activations: values at known points, derivatives, extreme inputs, dtypes."""
import math
import warnings

import numpy as np
import pytest

from nnlib import Input, Sequential, activations, layers, registry
from nnlib.activations import (ELU, GELU, SELU, ElementwiseActivation, HardSigmoid, LeakyReLU,
                               Linear, ReLU, Sigmoid, SiLU, Softmax, Tanh, away_from)
from nnlib.backend import floatx_scope
from nnlib.layers import Activation, Dense
from nnlib.testing import check_gradients

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
    with pytest.raises(ValueError, match="unknown activation 'mish'"):
        activations.get("mish")


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


# -- beyond the author's five ------------------------------------------------------------

ELEMENTWISE = [e for e in ACTIVATIONS if issubclass(e.cls, ElementwiseActivation)]

# Non-default configurations, checked like the defaults.
CONFIGURED = [ReLU(negative_slope=0.1, max_value=6.0, threshold=0.5),
              ReLU(negative_slope=0.3, max_value=2.0, threshold=-1.0),
              ReLU(threshold=-1.0), LeakyReLU(0.01), ELU(alpha=2.0), GELU(approximate=True),
              Softmax(axis=0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", CONFIGURED, ids=repr)
def test_configured_activations_are_finite_at_extreme_inputs(activation, dtype):
    x = np.array([[-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4]] * 2, dtype=dtype)
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y, dx = value_and_gradient(activation, x)
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert y.dtype == dtype and dx.dtype == dtype


@pytest.mark.parametrize("activation", CONFIGURED[:-1], ids=repr)
def test_configured_activations_pass_the_gradient_check(activation):
    kinks = [0.0, getattr(activation, "threshold", 0.0)]
    if getattr(activation, "max_value", None) is not None:
        kinks.append(activation.max_value)
    x = away_from(np.random.default_rng(0), (5, 8), kinks)
    report = check_gradients(activation, x)
    assert report.passed, repr(report)


@pytest.mark.parametrize("entry", ELEMENTWISE, ids=lambda e: e.name)
def test_derivative_is_the_slope_of_the_function(entry):
    # Central differences on a grid clear of every kink (0, +-3 and ReLU's threshold).
    activation = entry.cls()
    x = away_from(np.random.default_rng(1), (200,), kinks=(-3.0, 0.0, 3.0), low=-6, high=6)
    h = 1e-6
    slope = (activation(x + h) - activation(x - h)) / (2 * h)
    _, dx = value_and_gradient(activation, x)
    np.testing.assert_allclose(dx, slope, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name, x, expected", [
    ("leaky_relu", [-2.0, 0.0, 3.0], [-0.4, 0.0, 3.0]),
    ("elu", [-1.0, 0.0, 2.0], [math.expm1(-1.0), 0.0, 2.0]),
    ("selu", [-1.0, 1.0], [1.0507009873554805 * 1.6732632423543772 * math.expm1(-1.0),
                           1.0507009873554805]),
    ("gelu", [-1.0, 0.0, 2.0], [-0.15865525393145707, 0.0, 1.9544997361036416]),
    ("silu", [-1.0, 0.0, 2.0], [-1 / (1 + math.e), 0.0, 2 / (1 + math.exp(-2.0))]),
    ("swish", [1.0], [1 / (1 + math.exp(-1.0))]),
    ("softplus", [-1.0, 0.0, 50.0], [math.log1p(math.exp(-1.0)), math.log(2.0), 50.0]),
    ("hard_sigmoid", [-3.0, -1.5, 0.0, 3.0], [0.0, 0.25, 0.5, 1.0]),
    ("softsign", [-3.0, 0.0, 1.0], [-0.75, 0.0, 0.5]),
])
def test_values_at_known_points(name, x, expected):
    np.testing.assert_allclose(activations.get(name)(np.array(x)), expected, rtol=1e-12,
                               atol=1e-15)


def test_gelu_tanh_approximation_is_close_to_the_exact_form():
    x = np.linspace(-6, 6, 1201)
    exact, approximate = GELU()(x), GELU(approximate=True)(x)
    gap = np.abs(exact - approximate)
    assert 1e-4 < gap.max() < 5e-4
    np.testing.assert_allclose(approximate[600], 0.0)
    np.testing.assert_allclose(GELU(approximate=True)(np.array([1.0])), [0.8411919906082768])


def test_selu_keeps_mean_zero_and_variance_one_through_a_lecun_layer():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(4000, 256))
    for _ in range(8):
        weights = rng.normal(scale=1 / math.sqrt(256), size=(256, 256))
        h = SELU()(h @ weights)
    assert abs(h.mean()) < 0.05 and abs(h.var() - 1) < 0.1


def test_hard_sigmoid_is_the_keras_3_form():
    # x/6 + 1/2 with kinks at +-3 (Keras 2 used 0.2x + 0.5, kinks at +-2.5).
    y, dx = value_and_gradient(HardSigmoid(), np.array([-2.75, -2.5, 2.5, 2.75, 3.5]))
    np.testing.assert_allclose(y, [1 / 24, 1 / 12, 11 / 12, 23 / 24, 1.0])
    np.testing.assert_allclose(dx, [1 / 6, 1 / 6, 1 / 6, 1 / 6, 0.0])


@pytest.mark.parametrize("threshold, max_value, expected", [
    (0.0, None, [0.0, 0.0, 0.0, 0.5, 3.0]),
    (-1.0, None, [0.0, -0.5, 0.0, 0.5, 3.0]),     # (t, 0) passes through unchanged...
    (-1.0, 2.0, [0.0, 0.0, 0.0, 0.5, 2.0]),       # ...unless a cap clips it to [0, max]
    (1.0, None, [0.0, 0.0, 0.0, 0.0, 3.0]),       # jumps from 0 to x past the threshold
    (0.0, 6.0, [0.0, 0.0, 0.0, 0.5, 3.0]),        # relu6
])
def test_relu_branches(threshold, max_value, expected):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(ReLU(max_value=max_value, threshold=threshold)(x), expected)


def test_relu_slope_applies_below_the_threshold_only():
    relu = ReLU(negative_slope=0.5, threshold=1.0)
    y, dx = value_and_gradient(relu, np.array([-1.0, 0.5, 2.0]))
    np.testing.assert_allclose(y, [-1.0, -0.25, 2.0])  # slope * (x - threshold), then x
    np.testing.assert_allclose(dx, [0.5, 0.5, 1.0])


def test_leaky_relu_defaults_differ_between_function_and_layer():
    x = np.array([[-1.0, 1.0]])
    np.testing.assert_allclose(activations.leaky_relu(x), [[-0.2, 1.0]])
    np.testing.assert_allclose(activations.get("leaky_relu")(x), [[-0.2, 1.0]])
    np.testing.assert_allclose(layers.LeakyReLU()(x), [[-0.3, 1.0]])
    assert repr(LeakyReLU()) == "LeakyReLU(negative_slope=0.2)"


FUNCTIONS = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu",
             "gelu", "silu", "swish", "softplus", "hard_sigmoid", "softsign"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_apply_their_class(name):
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_array_equal(getattr(activations, name)(x), activations.get(name)(x))
    assert getattr(activations, name)([[1, 2]]).dtype == np.float32  # a list: floatx


def test_functions_forward_their_arguments():
    x = np.array([-2.0, 0.5, 8.0])
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.1, max_value=6.0,
                                                threshold=1.0), [-0.3, -0.05, 6.0])
    np.testing.assert_allclose(activations.elu(x, alpha=2.0)[0], 2 * math.expm1(-2.0))
    assert activations.gelu(x, approximate=True)[0] != activations.gelu(x)[0]
    np.testing.assert_allclose(activations.softmax(np.eye(2), axis=0).sum(axis=0), [1, 1])


def test_every_registered_activation_has_a_function_and_a_cost():
    for entry in ACTIVATIONS:
        assert type(activations.get(getattr(activations, entry.aliases[0]))) is entry.cls
        assert entry.cls.cost, entry.name


def test_get_takes_names_instances_functions_and_classes():
    assert isinstance(activations.get(activations.gelu), GELU)
    assert isinstance(activations.get(activations.swish), SiLU)
    assert isinstance(activations.get(ELU), ELU)
    mine = Square()
    assert activations.get(mine) is mine  # an unregistered activation is used as it is
    with pytest.raises(TypeError, match="expected an activation name or instance"):
        activations.get(3)


class Square(ElementwiseActivation):
    """:math:`x^2`, not registered."""

    def function(self, x):
        return x * x

    def derivative(self, x, y):
        return 2 * x


def test_dense_and_activation_layer_take_any_form():
    x = np.array([[-1.0, 0.5]])
    for form in ("gelu", GELU(), activations.gelu, Square()):
        assert isinstance(Dense(2, activation=form).activation, type(activations.get(form)))
        assert Activation(form)(x).shape == (1, 2)


# -- the activation layers -----------------------------------------------------------------

@pytest.mark.parametrize("layer, expected", [
    (layers.ReLU(), [0.0, 0.0, 0.5, 8.0]),
    (layers.ReLU(max_value=6.0, negative_slope=0.5, threshold=1.0), [-1.5, -0.5, -0.25, 6.0]),
    (layers.LeakyReLU(), [-0.6, 0.0, 0.5, 8.0]),
    (layers.LeakyReLU(negative_slope=0.1), [-0.2, 0.0, 0.5, 8.0]),
    (layers.ELU(alpha=2.0), [2 * math.expm1(-2.0), 0.0, 0.5, 8.0]),
])
def test_activation_layers_compute_their_function(layer, expected):
    x = np.array([[-2.0, 0.0, 0.5, 8.0]])
    y = layer(x)
    assert y.dtype == np.float32 and layer.weights == []
    np.testing.assert_allclose(y, [expected], rtol=1e-6)


def test_softmax_layer_takes_an_axis_or_several():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    np.testing.assert_allclose(layers.Softmax(axis=1)(x).sum(axis=1), 1, rtol=1e-6)
    both = layers.Softmax(axis=(1, 2))(x)
    np.testing.assert_allclose(both.sum(axis=(1, 2)), 1, rtol=1e-6)
    np.testing.assert_allclose(both, np.exp(x) / np.exp(x).sum(axis=(1, 2), keepdims=True),
                               rtol=1e-5)


def test_activation_layer_configs_are_their_arguments():
    config = layers.ReLU(max_value=6.0, name="relu6").get_config()
    assert config == {"name": "relu6", "dtype": "float32", "trainable": True,
                      "activity_regularizer": None, "negative_slope": 0.0, "max_value": 6.0,
                      "threshold": 0.0}
    assert layers.LeakyReLU().get_config()["negative_slope"] == 0.3
    assert layers.ELU().get_config()["alpha"] == 1.0
    assert layers.Softmax(axis=1).get_config()["axis"] == 1


@pytest.mark.parametrize("make, message", [
    (lambda: layers.ReLU(max_value=-1.0, name="r"), r"ReLU 'r': max_value must be .*>= 0, got -1"),
    (lambda: layers.ReLU(negative_slope=-0.1), r"negative_slope must be .*>= 0"),
    (lambda: layers.ReLU(threshold=-0.5), r"threshold must be .*>= 0, got -0.5"),
    (lambda: layers.LeakyReLU(negative_slope=-0.3), r"LeakyReLU .*negative_slope must be .*>= 0"),
])
def test_activation_layers_reject_negative_arguments_as_keras_does(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_prelu_learns_one_slope_per_unit():
    layer = layers.PReLU(alpha_initializer="ones", name="p")
    x = np.array([[-2.0, 3.0], [-1.0, -4.0]])
    np.testing.assert_allclose(layer(x), x)  # alpha = 1: the identity
    assert [w.name for w in layer.weights] == ["alpha"] and layer.alpha.shape == (2,)
    layer.set_weights([np.array([0.5, 0.0])])
    np.testing.assert_allclose(layer(x), [[-1.0, 3.0], [-0.5, 0.0]])
    y, cache = layer.forward(layer.prepare(x))
    dx, grads = layer.backward(np.ones_like(y), cache)
    np.testing.assert_allclose(grads["alpha"], [-3.0, -4.0])  # sum of min(x, 0)
    np.testing.assert_allclose(dx, [[0.5, 1.0], [0.5, 0.0]])


def test_prelu_shared_axes_give_keras_weight_shapes():
    x = np.zeros((2, 5, 4, 3))
    assert layers.PReLU()(x).shape == x.shape
    for shared, shape in [(None, (5, 4, 3)), ([1, 2], (1, 1, 3)), (1, (1, 4, 3))]:
        layer = layers.PReLU(shared_axes=shared)
        layer(x)
        assert layer.alpha.shape == shape
        np.testing.assert_array_equal(layer.alpha.value, 0)
    assert layers.PReLU(shared_axes=[1, 2]).get_config()["shared_axes"] == [1, 2]


def test_prelu_errors_name_the_layer_and_the_shapes():
    layer = layers.PReLU(shared_axes=[1], name="slopes")
    layer(np.zeros((2, 5, 3)))
    layer(np.zeros((7, 9, 3)))  # the shared axis may change size
    with pytest.raises(ValueError, match=r"PReLU 'slopes': expected input of shape "
                                         r"\(None, None, 3\), got shape \(2, 5, 4\)"):
        layer(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"shared_axes must be axes 1\.\.2"):
        layers.PReLU(shared_axes=[3], name="bad")(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="rank >= 2"):
        layers.PReLU()(np.zeros(3))


def test_activation_layers_train_in_a_model():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)), rng.integers(0, 3, size=64)
    model = Sequential([Input((4,)), Dense(8), layers.PReLU(), Dense(8),
                        layers.LeakyReLU(), Dense(3), layers.Softmax()])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    assert np.abs(model.layers[1].alpha.value).max() > 0  # the slopes moved


def test_masked_softmax_ignores_masked_scores_and_checks_the_mask():
    layer = layers.Softmax(name="attention")
    x = np.array([[1.0, 2.0, 50.0], [0.0, 0.0, 0.0]])
    mask = np.array([[True, True, False], [True, False, False]])
    y, cache = layer.forward(x, mask=mask)
    np.testing.assert_allclose(y, [[1 / (1 + math.e), math.e / (1 + math.e), 0.0],
                                   [1.0, 0.0, 0.0]])
    masked = (lambda v: layer.forward(v, mask=mask)[0],
              lambda dy, v: layer.backward(dy, layer.forward(v, mask=mask)[1])[0])
    assert check_gradients(masked, x).passed
    dx, _ = layer.backward(np.ones_like(y), cache)
    np.testing.assert_array_equal(dx[~mask], 0)
    with pytest.raises(ValueError, match=r"Softmax 'attention': the mask must be broadcastable"):
        layer.forward(x, mask=np.ones((2, 2), bool))

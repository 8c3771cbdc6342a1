"""Activations against Keras 3 (on PyTorch) and PyTorch: values and gradients.

Keras is the oracle for its own forms (ReLU's slope/cap/threshold, the hard
sigmoid, the defaults of functions and layers); PyTorch is checked wherever it
computes the same function.  Gradients come from ``torch.autograd`` through
Keras's own code, for a random upstream gradient.  Tolerances: relative 1e-6
in float64, 1e-5 in float32.
"""
import inspect
import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nnlib import activations, layers, registry  # noqa: E402
from nnlib.activations import away_from  # noqa: E402

TOLERANCE = {"float32": 1e-5, "float64": 1e-6}
# Absolute slack for values near zero that are differences of numbers near one, such as
# tanh'(8) = 1 - tanh(8)^2 = 4.5e-7: float32 rounds each operand by 6e-8 already.
ABSOLUTE = {"float32": 1e-6, "float64": 1e-12}
DTYPES = ["float32", "float64"]


def inputs(dtype, shape=(3, 40), kinks=(-3.0, 0.0, 3.0)):
    """Values on [-8, 8] clear of the kinks, plus large ones of both signs."""
    x = away_from(np.random.default_rng(0), shape, kinks, low=-8.0, high=8.0)
    x[:, :4] = [-1e4, -40.0, 40.0, 1e4]
    return x.astype(dtype)


def reference(function, x, dy, *params):
    """Value and ``dL/dx`` (and ``dL/dparam``) of a torch-computed ``function``."""
    xt = torch.tensor(x, requires_grad=True)
    y = function(xt)
    grads = torch.autograd.grad(y, [xt, *params], grad_outputs=torch.tensor(dy))
    return y.detach().numpy(), [g.detach().numpy() for g in grads]


def assert_close(actual, expected, dtype):
    assert actual.dtype == np.dtype(dtype)
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE[dtype], atol=ABSOLUTE[dtype])


def check_against(activation, function, dtype, x=None):
    x = inputs(dtype) if x is None else x
    dy = np.random.default_rng(1).normal(size=x.shape).astype(dtype)
    y, cache = activation.forward(x)
    dx = activation.backward(dy, cache)
    y_ref, (dx_ref,) = reference(function, x, dy)
    assert_close(y, y_ref, dtype)
    assert_close(dx, dx_ref, dtype)


# name in nnlib's registry, the Keras function, the PyTorch function (None: Keras-only form)
CASES = [
    ("relu", keras.activations.relu, torch.relu),
    ("leaky_relu", keras.activations.leaky_relu, lambda x: F.leaky_relu(x, 0.2)),
    ("elu", keras.activations.elu, F.elu),
    ("selu", keras.activations.selu, F.selu),
    ("gelu", keras.activations.gelu, F.gelu),
    ("silu", keras.activations.silu, F.silu),
    ("swish", keras.activations.get("swish"), F.silu),
    ("softplus", keras.activations.softplus, F.softplus),
    ("sigmoid", keras.activations.sigmoid, torch.sigmoid),
    ("hard_sigmoid", keras.activations.hard_sigmoid, F.hardsigmoid),
    ("tanh", keras.activations.tanh, torch.tanh),
    ("softsign", keras.activations.softsign, F.softsign),
    ("softmax", keras.activations.softmax, lambda x: F.softmax(x, dim=-1)),
    ("linear", keras.activations.linear, None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, keras_fn, torch_fn", CASES, ids=[c[0] for c in CASES])
def test_default_activation_matches_keras_and_pytorch(name, keras_fn, torch_fn, dtype):
    activation = activations.get(name)
    check_against(activation, keras_fn, dtype)
    if torch_fn is not None:
        check_against(activation, torch_fn, dtype)


def test_every_registered_activation_is_compared():
    compared = {type(activations.get(name)) for name, _, _ in CASES}
    assert compared == {e.cls for e in registry.entries("activation")}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("arguments, torch_fn", [
    ({"alpha": 0.5}, lambda x: F.elu(x, alpha=0.5)),
    ({"negative_slope": 0.01}, F.leaky_relu),
    ({"approximate": True}, lambda x: F.gelu(x, approximate="tanh")),
    ({"axis": 0}, lambda x: F.softmax(x, dim=0)),
], ids=["elu-alpha", "leaky_relu-slope", "gelu-tanh", "softmax-axis0"])
def test_arguments_match_keras_and_pytorch(arguments, torch_fn, dtype):
    name = {"alpha": "elu", "negative_slope": "leaky_relu", "approximate": "gelu",
            "axis": "softmax"}[next(iter(arguments))]
    activation = registry.get("activation", name, **arguments)
    check_against(activation, lambda x: getattr(keras.activations, name)(x, **arguments), dtype)
    check_against(activation, torch_fn, dtype)


# ReLU's three arguments together, on a grid that takes every branch of Keras's code:
# the leaky_relu shortcut, relu6, the threshold branch, the clip to [0, max_value]
# (which zeroes inputs in (threshold, 0) for a negative threshold), and negative_part.
RELU_GRID = list(itertools.product([0.0, 0.1, 0.5], [None, 0.5, 2.0, 6.0],
                                   [-1.0, -0.25, 0.0, 0.5, 3.0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_arguments_match_keras_on_every_branch(dtype):
    grid = np.concatenate([np.linspace(-4, 8, 121), [-1e4, 1e4]]).astype(dtype)
    dy = np.random.default_rng(2).normal(size=grid.shape).astype(dtype)
    for slope, max_value, threshold in RELU_GRID:
        relu = activations.ReLU(slope, max_value, threshold)
        y, cache = relu.forward(grid)
        dx = relu.backward(dy, cache)
        y_ref, (dx_ref,) = reference(
            lambda x: keras.activations.relu(x, negative_slope=slope, max_value=max_value,
                                             threshold=threshold), grid, dy)
        context = f"slope={slope}, max_value={max_value}, threshold={threshold}"
        np.testing.assert_allclose(y, y_ref, rtol=TOLERANCE[dtype], atol=ABSOLUTE[dtype],
                                   err_msg=context)
        # At a kink any one-sided derivative is right: compare away from them.
        kinks = [threshold, 0.0] + ([max_value] if max_value is not None else [])
        smooth = np.min(np.abs(grid[:, None] - np.array(kinks, dtype)), axis=1) > 1e-3
        np.testing.assert_allclose(dx[smooth], dx_ref[smooth], rtol=TOLERANCE[dtype],
                                   atol=ABSOLUTE[dtype], err_msg=context)


def test_negative_threshold_with_a_cap_clips_at_zero_as_keras_does():
    x = np.array([-2.0, -0.5, 0.5, 3.0])
    uncapped = keras.activations.relu(torch.tensor(x), threshold=-1.0).numpy()
    capped = keras.activations.relu(torch.tensor(x), threshold=-1.0, max_value=2.0).numpy()
    np.testing.assert_array_equal(uncapped, [0.0, -0.5, 0.5, 3.0])
    np.testing.assert_array_equal(capped, [0.0, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(activations.relu(x, threshold=-1.0), uncapped)
    np.testing.assert_array_equal(activations.relu(x, threshold=-1.0, max_value=2.0), capped)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "selu", "gelu", "silu",
                                  "softplus", "sigmoid", "hard_sigmoid", "tanh", "softsign",
                                  "softmax", "linear"])
def test_functions_have_keras_names_arguments_and_defaults(name):
    ours = inspect.signature(getattr(activations, name))
    theirs = inspect.signature(getattr(keras.activations, name))
    assert ours == theirs


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU"])
def test_layers_have_keras_arguments_and_defaults(name):
    ours = inspect.signature(getattr(layers, name)).parameters
    theirs = inspect.signature(getattr(keras.layers, name)).parameters
    unsupported = {"alpha_constraint"}  # nnlib has no constraints

    def spelled(default):  # Keras spells PReLU's initializer "Zeros"; nnlib ignores case
        return default.lower() if isinstance(default, str) else default

    expected = [(p.name, spelled(p.default)) for p in theirs.values() if p.name not in unsupported]
    assert [(p.name, spelled(p.default)) for p in ours.values()] == expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kwargs", [
    ("ReLU", {}), ("ReLU", {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    ("LeakyReLU", {}), ("ELU", {"alpha": 0.7}), ("Softmax", {}), ("Softmax", {"axis": 1}),
], ids=["relu", "relu-all", "leaky_relu-default-0.3", "elu", "softmax", "softmax-axis1"])
def test_activation_layers_match_keras(name, kwargs, dtype):
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    theirs = getattr(keras.layers, name)(**kwargs, dtype=dtype)
    x = inputs(dtype, kinks=(-3.0, 0.0, 0.5, 3.0, 6.0))
    check_against(ours.activation, theirs, dtype, x)
    if name == "LeakyReLU":
        assert ours.activation.negative_slope == theirs.negative_slope == 0.3


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2]])
def test_prelu_matches_keras_with_the_same_alpha(shared_axes, dtype):
    rng = np.random.default_rng(3)
    x = away_from(rng, (4, 3, 5), kinks=(0.0,)).astype(dtype)
    dy = rng.normal(size=x.shape).astype(dtype)
    ours = layers.PReLU(shared_axes=shared_axes, dtype=dtype)
    theirs = keras.layers.PReLU(shared_axes=shared_axes, dtype=dtype)
    ours(x)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    np.testing.assert_array_equal(ours.alpha.value, 0)  # "zeros", as Keras
    ours.set_weights([rng.uniform(-0.5, 0.5, size=ours.alpha.shape)])
    theirs.set_weights(ours.get_weights())
    y, cache = ours.forward(x)
    dx, grads = ours.backward(dy, cache)
    y_ref, (dx_ref, d_alpha_ref) = reference(theirs, x, dy, theirs.alpha.value)
    assert_close(y, y_ref, dtype)
    assert_close(dx, dx_ref, dtype)
    assert_close(grads["alpha"], d_alpha_ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_softmax_layer_matches_keras(dtype):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 5)).astype(dtype)
    dy = rng.normal(size=x.shape).astype(dtype)
    mask = rng.random(size=(2, 1, 5)) > 0.3
    y, cache = layers.Softmax().forward(x, mask=mask)
    dx, _ = layers.Softmax().backward(dy, cache)
    theirs = keras.layers.Softmax(dtype=dtype)
    y_ref, (dx_ref,) = reference(lambda t: theirs(t, mask=torch.tensor(mask)), x, dy)
    assert_close(y, y_ref, dtype)
    assert_close(dx, dx_ref, dtype)


def test_tanh_gelu_gradient_at_huge_inputs_is_finite_where_keras_gives_nan():
    """Keras's tanh GELU multiplies sech^2(u) = 0 by an overflowing x^2 at +-1e20 in
    float32: NaN.  nnlib computes that term on x clipped to +-10, where tanh u is
    already +-1, and gives the exact slopes, 1 and 0 (the value agrees)."""
    x = np.array([1e20, -1e20], dtype="float32")
    dy = np.ones_like(x)
    gelu = lambda t: keras.activations.gelu(t, approximate=True)  # noqa: E731
    y_keras, (dx_keras,) = reference(gelu, x, dy)
    assert np.isnan(dx_keras).all()
    activation = activations.GELU(approximate=True)
    y, cache = activation.forward(x)
    np.testing.assert_array_equal(y, y_keras)
    np.testing.assert_array_equal(activation.backward(dy, cache), [1.0, 0.0])

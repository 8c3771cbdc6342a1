"""Dense: shapes, weights in Keras's order, dtypes, errors, and the formula."""
import re

import numpy as np
import pytest

from nnlib.activations import ReLU
from nnlib.backend import floatx_scope
from nnlib.layers import Dense
from nnlib.layers.base import Layer, Weight
from nnlib.regularizers import L1, L2


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("input_shape, output_shape", [((2, 4), (2, 3)),
                                                       ((2, 5, 4), (2, 5, 3)),
                                                       ((1, 1, 1, 4), (1, 1, 1, 3))])
def test_output_shape_follows_the_last_axis(input_shape, output_shape, rng):
    layer = Dense(3)
    y = layer(rng.normal(size=input_shape))
    assert y.shape == output_shape
    assert layer.compute_output_shape((None,) + input_shape[1:]) == (None,) + output_shape[1:]


def test_weights_are_kernel_then_bias(rng):
    layer = Dense(3, name="order_check")
    assert not layer.built and layer.weights == []
    layer(rng.normal(size=(2, 4)))
    assert layer.built
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert list(layer.named_weights()) == ["kernel", "bias"]
    assert all(w.layer is layer for w in layer.weights)
    assert [w.shape for w in layer.get_weights()] == [(4, 3), (3,)]
    assert layer.count_params() == 4 * 3 + 3
    np.testing.assert_array_equal(layer.bias.value, np.zeros(3))


def test_use_bias_false_has_only_a_kernel(rng):
    layer = Dense(3, use_bias=False)
    x = rng.normal(size=(2, 4))
    y = layer(x)
    assert [w.name for w in layer.weights] == ["kernel"]
    # float32 against float64: an entry near zero is a difference of rounded terms
    np.testing.assert_allclose(y, x @ layer.kernel.value, rtol=1e-6, atol=1e-6)
    _, grads = layer.backward(np.ones_like(y), layer.forward(layer.prepare(x))[1])
    assert set(grads) == {"kernel"}


def test_forward_is_x_times_w_plus_b_then_the_activation(rng):
    layer = Dense(3, activation="relu", dtype="float64")
    x = rng.normal(size=(5, 4))
    layer(x)  # builds
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    layer.set_weights([W, b])
    np.testing.assert_allclose(layer(x), np.maximum(x @ W + b, 0.0))
    assert isinstance(layer.activation, ReLU)


def test_float64_input_gives_float32_output_by_default(rng):
    layer = Dense(2)
    y = layer(rng.normal(size=(3, 4)))
    assert y.dtype == np.float32
    assert layer.kernel.value.dtype == np.float32


def test_float64_when_asked(rng):
    layer = Dense(2, dtype="float64")
    assert layer(rng.normal(size=(3, 4)).astype(np.float32)).dtype == np.float64
    assert layer.kernel.value.dtype == np.float64
    with floatx_scope("float64"):
        scoped = Dense(2)
    assert scoped(np.ones((1, 4), dtype=np.float32)).dtype == np.float64


def test_integer_and_boolean_inputs_are_cast():
    layer = Dense(2)
    assert layer(np.ones((2, 3), dtype=int)).dtype == np.float32
    assert layer(np.ones((2, 3), dtype=bool)).dtype == np.float32


def test_wrong_last_axis_names_the_layer_the_expected_axis_and_the_shape():
    layer = Dense(3, name="dense_3")
    layer(np.ones((2, 4)))
    expected = "Dense 'dense_3': expected input with last axis 4, got shape (2, 5)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        layer(np.ones((2, 5)))


def test_rank_one_input_is_rejected_as_a_wrong_rank_built_or_not():
    # A 1-D input whose length matches the kernel used to pass as "last axis 4".
    rank = "expected one input of rank >= 2, (batch, ..., features), with a known last axis"
    with pytest.raises(ValueError, match=re.escape(f"Dense 'flat': {rank}, got shape (4,)")):
        Dense(2, name="flat")(np.ones(4))
    built = Dense(2, name="built")
    built(np.ones((1, 4)))
    with pytest.raises(ValueError, match=re.escape(f"Dense 'built': {rank}, got shape (4,)")):
        built(np.ones(4))
    with pytest.raises(ValueError, match=re.escape(f"Dense 'built': {rank}, got shape (3,)")):
        built(np.ones(3))


def test_a_list_of_inputs_is_rejected_and_a_nested_list_is_one_input():
    with pytest.raises(ValueError, match=re.escape(
            "Dense 'single': expected one input, got a list of 2 arrays; layers that combine "
            "several inputs are the merge layers (Add, Concatenate...)")):
        Dense(2, name="single")([np.ones((1, 3)), np.ones((1, 3))])
    assert Dense(2)([[1.0, 2.0, 3.0]]).shape == (1, 2)  # nested lists of numbers: one array


@pytest.mark.parametrize("bad", [np.array([["a", "b"]]), np.array([[1 + 1j, 2]]),
                                 np.array([[None, 1]], dtype=object)])
def test_non_numeric_input_is_rejected(bad):
    with pytest.raises(TypeError, match="Dense 'strict': expected numeric input"):
        Dense(2, name="strict")(bad)


def test_set_weights_checks_count_and_shapes(rng):
    layer = Dense(3, name="weights_check")
    layer(np.ones((1, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "Dense 'weights_check': expected 2 weights ['kernel', 'bias'], got 1")):
        layer.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=re.escape(
            "Dense 'weights_check': weight 'bias' expects shape (3,), got (4,)")):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])
    # A failed set_weights changes nothing.
    before = layer.get_weights()
    with pytest.raises(ValueError):
        layer.set_weights([np.ones((4, 3)), np.ones(2)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_get_weights_returns_copies_and_set_weights_casts(rng):
    layer = Dense(2)
    layer(np.ones((1, 3)))
    values = layer.get_weights()
    values[0][:] = 99.0
    assert not np.any(layer.kernel.value == 99.0)
    new = [rng.normal(size=(3, 2)), np.arange(2.0)]
    layer.set_weights(new)
    assert layer.kernel.value.dtype == np.float32
    np.testing.assert_allclose(layer.get_weights()[0], new[0], rtol=1e-6)


def test_weight_assign_checks_the_shape():
    layer = Dense(2, name="assign_check")
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "weight 'kernel' of Dense 'assign_check': expected shape (3, 2), got (2, 3)")):
        layer.kernel.assign(np.zeros((2, 3)))
    assert isinstance(layer.kernel, Weight)
    assert np.asarray(layer.kernel).shape == (3, 2)


def test_backward_matches_the_formulas(rng):
    layer = Dense(3, dtype="float64")
    x = rng.normal(size=(2, 5, 4))
    y, cache = layer.forward(layer.prepare(x))
    dy = rng.normal(size=y.shape)
    dx, grads = layer.backward(dy, cache)
    np.testing.assert_allclose(dx, dy @ layer.kernel.value.T)
    np.testing.assert_allclose(grads["kernel"], np.einsum("bti,btj->ij", x, dy))
    np.testing.assert_allclose(grads["bias"], dy.sum(axis=(0, 1)))
    no_dx, same = layer.backward(dy, cache, need_dx=False)
    assert no_dx is None
    np.testing.assert_allclose(same["kernel"], grads["kernel"])


def test_forward_does_not_write_to_the_layer(rng):
    layer = Dense(3)
    layer(np.ones((1, 4)))
    before, kernel = dict(vars(layer)), layer.kernel.value.copy()
    y, cache = layer.forward(layer.prepare(rng.normal(size=(2, 4))))
    layer.backward(np.ones_like(y), cache)
    assert dict(vars(layer)) == before
    np.testing.assert_array_equal(layer.kernel.value, kernel)


def test_default_names_count_up():
    class Probe(Layer):
        pass

    first, second = Probe(), Probe()
    assert first.name == "probe"
    assert second.name == "probe_1"


def test_config():
    config = Dense(4, activation="tanh", use_bias=False, name="cfg").get_config()
    assert config == {"name": "cfg", "dtype": "float32", "trainable": True, "units": 4,
                      "activation": "tanh", "use_bias": False,
                      "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros",
                      "kernel_regularizer": None, "bias_regularizer": None,
                      "activity_regularizer": None}


def test_regularizers_by_name_or_instance_travel_in_the_config():
    layer = Dense(4, kernel_regularizer="l2", activity_regularizer=L1(0.5))
    again = Dense.from_config(layer.get_config())
    assert isinstance(again.kernel_regularizer, L2) and again.kernel_regularizer.l2 == 0.01
    assert isinstance(again.activity_regularizer, L1) and again.activity_regularizer.l1 == 0.5
    assert again.bias_regularizer is None
    again.build((None, 3))
    assert again.kernel.regularizer is again.kernel_regularizer
    with pytest.raises(ValueError, match="bias_regularizer: unknown regularizer 'l3'; expected"):
        Dense(4, bias_regularizer="l3")


def test_any_rank_acts_on_the_last_axis(rng):
    layer = Dense(3, dtype="float64")
    x = rng.normal(size=(2, 4, 5, 6))
    y, cache = layer.forward(layer.prepare(x))
    assert y.shape == (2, 4, 5, 3)
    np.testing.assert_allclose(y[1, 2, 3], x[1, 2, 3] @ layer.kernel.value + layer.bias.value)
    dx, grads = layer.backward(np.ones_like(y), cache)
    assert dx.shape == x.shape and grads["kernel"].shape == (6, 3)
    np.testing.assert_allclose(grads["bias"], np.full(3, 2 * 4 * 5))


def test_a_mask_passes_through_unchanged():
    layer = Dense(2)
    mask = np.array([[True, False]])
    assert layer.supports_masking and not layer.uses_mask
    assert layer.output_mask(np.ones((1, 2, 3)), mask) is mask

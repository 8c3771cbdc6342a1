"""Conv1D and Conv2D: shapes for every padding/stride/dilation, values against a
direct loop over the definition, the input gradient skipped when not needed,
dtypes and errors."""
import itertools
import math
import re

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers.conv import Conv1D, Conv2D
from nnlib.layers import conv_utils
from nnlib.testing import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def keras_padding(n, k, s, d, padding):
    """Keras's rule, written out again: ``same`` pads to ceil(n/s) outputs, odd cell after."""
    extent = (k - 1) * d + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return extent - 1, 0
    total = max((math.ceil(n / s) - 1) * s + extent - n, 0)
    return total // 2, total - total // 2


def direct_conv(x, W, b, strides, dilation, padding):
    """The definition, one output cell at a time (any rank)."""
    rank = W.ndim - 2
    pads = [keras_padding(n, k, s, d, padding)
            for n, k, s, d in zip(x.shape[1:-1], W.shape[:rank], strides, dilation)]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out = [(n - (k - 1) * d - 1) // s + 1
           for n, k, s, d in zip(xp.shape[1:-1], W.shape[:rank], strides, dilation)]
    y = np.zeros((len(x), *out, W.shape[-1]))
    for p in np.ndindex(*out):
        for u in np.ndindex(*W.shape[:rank]):
            cell = tuple(pi * s + ui * d for pi, ui, s, d in zip(p, u, strides, dilation))
            y[(slice(None), *p)] += xp[(slice(None), *cell)] @ W[u]
    return y + b


CONV2D_CASES = [(k, s, d, padding, hw)
                for k, s, d, padding, hw in itertools.product(
                    [(3, 3), (2, 2), (1, 3)], [1, 2, (2, 3)], [1, 2], ["valid", "same"],
                    [(7, 7), (8, 5)])
                if not (max(np.atleast_1d(s)) > 1 and d > 1)]


@pytest.mark.parametrize("kernel, strides, dilation, padding, hw", CONV2D_CASES)
def test_conv2d_shapes_and_values_match_the_definition(kernel, strides, dilation, padding, hw,
                                                       rng):
    layer = Conv2D(4, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                   dtype="float64")
    x = rng.normal(size=(2, *hw, 3))
    y = layer(x)
    s = conv_utils.normalize_tuple(strides, 2, "strides", "test")
    d = (dilation, dilation)
    expected = direct_conv(x, layer.kernel.value, layer.bias.value if layer.use_bias else 0,
                           s, d, padding)
    assert y.shape == expected.shape
    assert layer.compute_output_shape((None, *hw, 3)) == (None, *expected.shape[1:])
    if padding == "same":
        assert y.shape[1:3] == tuple(math.ceil(n / si) for n, si in zip(hw, s))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel, strides, dilation, padding",
                         [(3, 1, 1, "causal"), (3, 1, 2, "causal"), (2, 1, 3, "same"),
                          (4, 3, 1, "same"), (5, 2, 1, "valid"), (1, 1, 1, "valid")])
def test_conv1d_shapes_and_values_match_the_definition(kernel, strides, dilation, padding, rng):
    layer = Conv1D(3, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                   dtype="float64")
    x = rng.normal(size=(2, 11, 2))
    y = layer(x)
    expected = direct_conv(x, layer.kernel.value, layer.bias.value, (strides,), (dilation,),
                           padding)
    assert y.shape == expected.shape
    assert layer.compute_output_shape((None, 11, 2)) == (None, *expected.shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_causal_output_never_reads_the_future(rng):
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = rng.normal(size=(1, 10, 1)).astype("float32")
    changed = x.copy()
    changed[0, 6:] += 5.0  # the future from step 6 on
    np.testing.assert_array_equal(layer(x)[0, :6], layer(changed)[0, :6])
    assert not np.allclose(layer(x)[0, 6:], layer(changed)[0, 6:])


def test_same_padding_puts_the_odd_cell_after():
    assert conv_utils.padding_amounts(5, 2, 1, 1, "same") == (0, 1)
    assert conv_utils.padding_amounts(6, 3, 2, 1, "same") == (0, 1)
    assert conv_utils.padding_amounts(7, 3, 2, 1, "same") == (1, 1)
    assert conv_utils.padding_amounts(7, 3, 1, 2, "same") == (2, 2)
    assert conv_utils.padding_amounts(4, 1, 3, 1, "same") == (0, 0)
    assert conv_utils.output_length(None, 3, 2, 1, "same") is None


@pytest.mark.parametrize("sample", [
    lambda: (Conv2D(2, 3, strides=2, padding="valid", use_bias=False), (2, 7, 6, 2)),
    lambda: (Conv2D(2, (2, 3), dilation_rate=(2, 1), padding="same", activation="sigmoid"),
             (1, 6, 5, 3)),
    lambda: (Conv1D(2, 4, strides=3, padding="same", activation="tanh"), (2, 9, 2)),
])
def test_gradients_for_more_configurations(sample, rng):
    with floatx_scope("float64"):
        layer, shape = sample()
        report = check_gradients(layer, rng.normal(size=shape))
    assert report.passed, repr(report)
    assert {row[0] for row in report.rows} >= {"input", "kernel"}


def test_no_input_gradient_when_none_is_needed(rng):
    layer = Conv2D(3, 3, padding="same", dtype="float64")
    x = rng.normal(size=(2, 5, 5, 2))
    y, cache = layer.forward(layer.prepare(x))
    dy = rng.normal(size=y.shape)
    dx, grads = layer.backward(dy, cache)
    none, same = layer.backward(dy, cache, need_dx=False)
    assert dx.shape == x.shape and none is None
    for key in grads:
        np.testing.assert_array_equal(grads[key], same[key])


def test_backward_formulas(rng):
    layer = Conv2D(3, 2, dtype="float64")
    x = rng.normal(size=(2, 4, 4, 2))
    y, cache = layer.forward(layer.prepare(x))
    dy = rng.normal(size=y.shape)
    _, grads = layer.backward(dy, cache)
    np.testing.assert_allclose(grads["bias"], dy.sum(axis=(0, 1, 2)))
    expected = np.zeros((2, 2, 2, 3))
    for i, j in np.ndindex(2, 2):  # dL/dW[i, j] = sum over positions of x[p + (i, j)] dy[p]
        expected[i, j] = np.einsum("nhwc,nhwf->cf", x[:, i:i + 3, j:j + 3], dy)
    np.testing.assert_allclose(grads["kernel"], expected)


def test_weights_layout_and_parameter_count():
    layer = Conv2D(16, (3, 5), name="layout")
    layer(np.zeros((1, 8, 8, 3)))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 5, 3, 16) and layer.bias.shape == (16,)
    assert layer.count_params() == 3 * 5 * 3 * 16 + 16
    assert Conv1D(4, 3, use_bias=False).get_config()["use_bias"] is False


def test_dtypes(rng):
    x = rng.normal(size=(1, 5, 5, 2))
    assert Conv2D(2, 3)(x).dtype == np.float32
    layer = Conv2D(2, 3, dtype="float64")
    assert layer(x.astype("float32")).dtype == np.float64
    assert layer.kernel.value.dtype == np.float64
    assert Conv1D(2, 3)(np.ones((1, 5, 2), dtype=int)).dtype == np.float32


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'c2': expected input of rank 4 (batch, height, width, channels), "
            "got shape (2, 5, 3)")):
        Conv2D(2, 3, name="c2")(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv1D 'c1': expected input of rank 3 (batch, steps, channels), "
            "got shape (2, 5, 5, 3)")):
        Conv1D(2, 3, name="c1")(np.ones((2, 5, 5, 3)))
    layer = Conv2D(2, 3, name="c3")
    layer(np.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'c3': expected input with 3 channels (last axis), got shape (1, 5, 5, 4)")):
        layer(np.ones((1, 5, 5, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'c4': input of spatial shape (2, 5) is smaller than the window (3, 3) "
            "with padding 'valid', got shape (1, 2, 5, 1)")):
        Conv2D(2, 3, name="c4")(np.ones((1, 2, 5, 1)))
    with pytest.raises(ValueError, match=r"window \(5,\) with padding 'valid'"):
        Conv1D(2, 3, dilation_rate=2, name="c5")(np.ones((1, 4, 1)))


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="strides > 1 cannot be combined with dilation_rate > 1"):
        Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"padding must be one of \('valid', 'same'\), "
                                         r"got 'causal'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="kernel_size must be a whole number >= 1 or a tuple "
                                         "of 2 of them, got \\(3, 3, 3\\)"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="Conv1D 'c0': filters must be a whole number >= 1, "
                                         "got 0"):
        Conv1D(0, 3, name="c0")
    assert Conv2D(2, 3, padding="SAME").padding == "same"


@pytest.mark.parametrize("arguments, error, message", [
    ({"filters": 2.5}, ValueError, "filters must be a whole number >= 1, got 2.5"),
    ({"filters": "8"}, TypeError, "filters must be a whole number >= 1, got '8'"),
    ({"kernel_size": 0}, ValueError, "kernel_size must be a whole number >= 1 or a tuple of 2 "
                                     "of them, got 0"),
    ({"kernel_size": (3, -1)}, ValueError, r"kernel_size .* got \(3, -1\)"),
    ({"kernel_size": "3"}, TypeError, "kernel_size must be a whole number >= 1 or a tuple of 2 "
                                      "of them, got '3'"),
    # strides=2.0 used to fail with "'float' object is not iterable".
    ({"strides": 2.5}, ValueError, "strides must be a whole number >= 1 or a tuple of 2 of "
                                   "them, got 2.5"),
    ({"strides": (1, 0)}, ValueError, r"strides .* got \(1, 0\)"),
    ({"dilation_rate": (2, 2, 2)}, ValueError, r"dilation_rate .* got \(2, 2, 2\)"),
    ({"padding": "sme"}, ValueError, r"padding must be one of \('valid', 'same'\), got 'sme' "
                                     r"\(did you mean 'same'\?\)"),
    ({"padding": None}, TypeError, r"padding must be one of \('valid', 'same'\), got None"),
    ({"activation": "rleu"}, ValueError, r"Conv2D 'bad': activation: unknown activation "
                                         r"'rleu' \(did you mean 'relu'\?\)"),
    ({"kernel_initializer": "he_nromal"}, ValueError, r"kernel_initializer: unknown "
                                                      r"initializer 'he_nromal'"),
    ({"use_bias": "no"}, TypeError, "use_bias must be True or False, got 'no'"),
])
def test_each_argument_is_checked_at_construction(arguments, error, message):
    with pytest.raises(error, match=message):
        Conv2D(**{"filters": 2, "kernel_size": 3, **arguments}, name="bad")


def test_whole_floats_are_accepted_as_integers():
    layer = Conv2D(2.0, 3.0, strides=2.0, dilation_rate=(1.0, 1))
    assert (layer.filters, layer.kernel_size, layer.strides, layer.dilation_rate) == \
        (2, (3, 3), (2, 2), (1, 1))
    assert type(layer.get_config()["filters"]) is int


def test_forward_does_not_write_to_the_layer(rng):
    layer = Conv2D(2, 3)
    layer(np.ones((1, 5, 5, 1)))
    before = dict(vars(layer))
    y, cache = layer.forward(layer.prepare(rng.normal(size=(2, 5, 5, 1))))
    layer.backward(np.ones_like(y), cache)
    assert dict(vars(layer)) == before


def test_config_rebuilds_the_layer():
    layer = Conv2D(4, (3, 2), strides=2, padding="same", activation="relu", name="cfg_conv")
    config = layer.get_config()
    assert config["kernel_size"] == (3, 2) and config["strides"] == (2, 2)
    assert config["activation"] == "relu" and config["padding"] == "same"
    clone = Conv2D.from_config(config)
    assert clone.get_config() == config
    assert Conv1D.from_config(Conv1D(2, 3, padding="causal").get_config()).padding == "causal"

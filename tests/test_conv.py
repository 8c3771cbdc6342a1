"""Conv1D, Conv2D and Conv2DTranspose: shapes for every padding/stride/dilation, values
against a direct loop over the definition, the transposed convolution as the
convolution's input gradient, the input gradient skipped when not needed, dtypes and
errors."""
import itertools
import math
import re

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers.conv import Conv1D, Conv2D, Conv2DTranspose
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
    lambda: (Conv2DTranspose(2, 3, strides=2, padding="valid", output_padding=1), (2, 3, 2, 2)),
    lambda: (Conv2DTranspose(2, (2, 3), dilation_rate=(2, 1), padding="same",
                             activation="sigmoid"), (1, 3, 4, 3)),
    lambda: (Conv2DTranspose(3, 1, strides=3, padding="same", use_bias=False), (2, 2, 3, 2)),
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


# -- Conv2DTranspose -------------------------------------------------------------------

def direct_conv_transpose(x, W, b, strides, dilation, out_shape, crops_before):
    """The definition, one input cell at a time: each spreads x[p] W[u]^T over
    cell p s + u d of the full output, which is then cut to ``out_shape``
    starting ``crops_before`` cells in (zeros beyond the full output)."""
    full = [(n - 1) * s + (k - 1) * d + 1
            for n, k, s, d in zip(x.shape[1:-1], W.shape[:2], strides, dilation)]
    size = [max(f, c + o) for f, c, o in zip(full, crops_before, out_shape)]
    y = np.zeros((len(x), *size, W.shape[2]))
    for p in np.ndindex(*x.shape[1:-1]):
        for u in np.ndindex(*W.shape[:2]):
            cell = tuple(pi * s + ui * d for pi, ui, s, d in zip(p, u, strides, dilation))
            y[(slice(None), *cell)] += x[(slice(None), *p)] @ W[u].T
    index = tuple(slice(c, c + o) for c, o in zip(crops_before, out_shape))
    return y[(slice(None), *index)] + b


def keras_transpose_length(n, k, s, d, padding, output_padding):
    """Keras's ``compute_conv_transpose_output_shape`` for one axis, written out again."""
    extent = (k - 1) * d + 1
    if padding == "valid":
        extra = max(extent, s) - extent if output_padding is None else output_padding
        return (n - 1) * s + extent + extra
    return n * s if output_padding is None else (n - 1) * s + extent % 2 + output_padding


CONV2D_TRANSPOSE_CASES = [(k, s, d, padding, op)
                          for k, s, d, padding, op in itertools.product(
                              [(3, 3), (2, 2), (1, 3)], [1, 2, (2, 3)], [1, 2],
                              ["valid", "same"], [None, 0, 1])
                          if not (max(np.atleast_1d(s)) > 1 and d > 1)
                          and (op is None or op < min(np.atleast_1d(s)))]


@pytest.mark.parametrize("kernel, strides, dilation, padding, output_padding",
                         CONV2D_TRANSPOSE_CASES)
def test_conv2d_transpose_shapes_and_values_match_the_definition(kernel, strides, dilation,
                                                                 padding, output_padding, rng):
    layer = Conv2DTranspose(4, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                            output_padding=output_padding, bias_initializer="random_normal",
                            dtype="float64")
    x = rng.normal(size=(2, 4, 3, 2))
    y = layer(x)
    out = [keras_transpose_length(n, k, s, d, padding, output_padding) for n, k, s, d in
           zip(x.shape[1:-1], layer.kernel_size, layer.strides, layer.dilation_rate)]
    assert y.shape == (2, *out, 4) == (2, *layer.compute_output_shape((None, 4, 3, 2))[1:])
    crops = [conv_utils.transpose_crops(k, s, d, padding, op)[0] for k, s, d, op in
             zip(layer.kernel_size, layer.strides, layer.dilation_rate,
                 layer.output_padding or (None, None))]
    np.testing.assert_allclose(y, direct_conv_transpose(
        x, layer.kernel.value, layer.bias.value, layer.strides, layer.dilation_rate, out, crops))


def test_transpose_crops_keep_the_middle_of_the_full_output():
    """'same' cuts the full output's surplus evenly, the odd cell after; a negative crop
    after is the zeros an output_padding adds to 'valid'."""
    for kernel, stride in itertools.product(range(1, 6), range(1, 4)):
        before, after = conv_utils.transpose_crops(kernel, stride, 1, "same")
        assert before >= 0 and before + after == kernel - stride
        assert 0 <= after - before <= 1 or before == 0 and after < 0  # kernel < stride
    assert conv_utils.transpose_crops(3, 2, 1, "valid") == (0, 0)
    assert conv_utils.transpose_crops(1, 3, 1, "valid") == (0, -2)  # max(k, s) cells per input
    assert conv_utils.transpose_output_length(None, 3, 2, 1, "same") is None


@pytest.mark.parametrize("kernel, strides, dilation, padding, hw", [
    (3, 2, 1, "same", (8, 7)), (3, 2, 1, "valid", (7, 9)), ((2, 3), (2, 1), 1, "same", (6, 5)),
    (3, 1, 2, "same", (6, 6)), (3, 1, 2, "valid", (7, 6)), (1, 3, 1, "same", (6, 9))])
def test_conv2d_transpose_is_the_input_gradient_of_conv2d(kernel, strides, dilation, padding,
                                                          hw, rng):
    """With one kernel, Conv2DTranspose(dy) is Conv2D's backward pass dL/dx for dL/dy = dy,
    when the sizes agree (here the transposed layer maps the conv's output size back)."""
    options = dict(strides=strides, padding=padding, dilation_rate=dilation, use_bias=False,
                   dtype="float64")
    conv = Conv2D(3, kernel, **options)
    x = rng.normal(size=(2, *hw, 2))
    y, cache = conv.forward(conv.prepare(x))
    dy = rng.normal(size=y.shape)
    dx, _ = conv.backward(dy, cache)
    axes = list(zip(hw, y.shape[1:-1], conv.kernel_size, conv.strides, conv.dilation_rate))
    output_padding = None if all(keras_transpose_length(m, k, s, d, padding, None) == n
                                 for n, m, k, s, d in axes) else \
        [n - keras_transpose_length(m, k, s, d, padding, 0) for n, m, k, s, d in axes]
    transpose = Conv2DTranspose(2, kernel, output_padding=output_padding, **options)
    transpose(dy)
    transpose.set_weights([conv.kernel.value])  # (kh, kw, 2, 3): filters 2, 3 channels in
    np.testing.assert_allclose(transpose(dy), dx)


def test_conv2d_transpose_without_input_gradient(rng):
    layer = Conv2DTranspose(3, 3, strides=2, padding="same", dtype="float64")
    x = rng.normal(size=(2, 3, 4, 2))
    y, cache = layer.forward(layer.prepare(x))
    dy = rng.normal(size=y.shape)
    dx, grads = layer.backward(dy, cache)
    none, same = layer.backward(dy, cache, need_dx=False)
    assert dx.shape == x.shape and none is None and set(grads) == {"kernel", "bias"}
    for key in grads:
        np.testing.assert_array_equal(grads[key], same[key])
    np.testing.assert_allclose(grads["bias"], dy.sum(axis=(0, 1, 2)))


def test_conv2d_transpose_weights_dtypes_and_config(rng):
    layer = Conv2DTranspose(16, (3, 5), name="up")
    y = layer(rng.normal(size=(1, 4, 4, 3)))  # float64 data, float32 layer
    assert y.dtype == np.float32 and layer.kernel.value.dtype == np.float32
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 5, 16, 3) and layer.bias.shape == (16,)
    assert layer.count_params() == 3 * 5 * 16 * 3 + 16
    assert Conv2DTranspose(2, 3, dtype="float64")(np.ones((1, 2, 2, 1), int)).dtype == np.float64
    layer = Conv2DTranspose(4, 3, strides=(2, 3), padding="same", output_padding=(1, 0),
                            activation="relu", name="cfg_up")
    config = layer.get_config()
    assert config["output_padding"] == (1, 0) and config["strides"] == (2, 3)
    assert Conv2DTranspose.from_config(config).get_config() == config
    assert Conv2DTranspose(2, 3).get_config()["output_padding"] is None


def test_conv2d_transpose_errors_name_the_layer_and_the_shapes():
    layer = Conv2DTranspose(2, 3, name="t1")
    layer(np.ones((1, 4, 4, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2DTranspose 't1': expected input with 3 channels (last axis), "
            "got shape (1, 4, 4, 2)")):
        layer(np.ones((1, 4, 4, 2)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2DTranspose 't2': expected input of rank 4 (batch, height, width, channels), "
            "got shape (4, 4, 3)")):
        Conv2DTranspose(2, 3, name="t2")(np.ones((4, 4, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2DTranspose 't3': the output would have spatial shape (0, 0), got input "
            "shape (1, 1, 1, 1); use an output_padding or padding='valid'")):
        Conv2DTranspose(2, 2, strides=2, padding="same", output_padding=0,
                        name="t3")(np.ones((1, 1, 1, 1)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2DTranspose 't4': each output_padding must be below its stride (as in Keras), "
            "got output_padding=(1, 1) and strides=(1, 1)")):
        Conv2DTranspose(2, 3, output_padding=1, name="t4")

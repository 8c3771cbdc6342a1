"""Parity with Keras 3 (on PyTorch) and with PyTorch itself: the feed-forward layers'
outputs, input gradients and weight gradients, with weights copied across, in
float32 to a relative tolerance of 1e-5."""
import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nnlib.layers import Dense  # noqa: E402
from nnlib.layers import conv_utils  # noqa: E402
from nnlib.layers.conv import Conv1D, Conv2D, Conv2DTranspose  # noqa: E402
from nnlib.layers.embedding import Embedding  # noqa: E402
from nnlib.layers.pooling import (AveragePooling1D, AveragePooling2D,  # noqa: E402
                                  GlobalAveragePooling1D, GlobalAveragePooling2D,
                                  GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D,
                                  MaxPooling2D)
from nnlib.layers.reshaping import Flatten, Reshape  # noqa: E402
from nnlib.layers.upsampling import UpSampling2D  # noqa: E402
from nnlib.losses import SparseCategoricalCrossentropy  # noqa: E402
from nnlib.models import Input, Sequential  # noqa: E402
from parity import RTOL, close, numpy  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def keras_forward_backward(keras_layer, x, dy_seed=1):
    """Keras's output, input gradient and weight gradients for an upstream gradient."""
    x_t = torch.tensor(x, requires_grad=x.dtype.kind == "f")
    y = keras_layer(x_t)
    dy = np.random.default_rng(dy_seed).normal(size=tuple(y.shape)).astype("float32")
    y.backward(torch.tensor(dy))
    grads = [numpy(w.value.grad) for w in keras_layer.weights]
    return numpy(y), (numpy(x_t.grad) if x_t.grad is not None else None), grads, dy


def nnlib_forward_backward(layer, x, dy, keras_layer=None):
    if keras_layer is not None:
        layer(x)  # build, then copy Keras's weights
        layer.set_weights([numpy(w.value) for w in keras_layer.weights])
    y, cache = layer.forward(layer.prepare(x))
    dx, grads = layer.backward(dy, cache)
    return y, dx, [grads[w.name] for w in layer.weights]


def check_against_keras(layer, keras_layer, x):
    y_k, dx_k, grads_k, dy = keras_forward_backward(keras_layer, x)
    y, dx, grads = nnlib_forward_backward(layer, x, dy, keras_layer)
    close(y, y_k)
    if dx_k is not None:
        close(dx, dx_k)
    assert len(grads) == len(grads_k)
    for g, g_k in zip(grads, grads_k):
        close(g, g_k)


# -- Keras: convolution -------------------------------------------------------------------

CONV2D = [(3, 1, 1, "same"), (3, 2, 1, "same"), (2, 2, 1, "same"), ((3, 2), (2, 1), 1, "valid"),
          (3, 1, 2, "same"), (3, 1, 2, "valid"), (1, 3, 1, "same")]


@pytest.mark.parametrize("kernel, strides, dilation, padding", CONV2D)
def test_conv2d_matches_keras(kernel, strides, dilation, padding, rng):
    options = dict(strides=strides, padding=padding, dilation_rate=dilation, activation="relu")
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    check_against_keras(Conv2D(4, kernel, **options), keras.layers.Conv2D(4, kernel, **options),
                        x)


@pytest.mark.parametrize("kernel, strides, dilation, padding",
                         [(3, 1, 1, "causal"), (3, 1, 2, "causal"), (4, 2, 1, "same"),
                          (3, 3, 1, "valid")])
def test_conv1d_matches_keras(kernel, strides, dilation, padding, rng):
    options = dict(strides=strides, padding=padding, dilation_rate=dilation, use_bias=False)
    x = rng.normal(size=(2, 9, 3)).astype("float32")
    check_against_keras(Conv1D(2, kernel, **options), keras.layers.Conv1D(2, kernel, **options),
                        x)


def test_output_shapes_match_keras():
    for kernel, strides, dilation, padding, hw in itertools.product(
            [1, 2, 3, 5], [1, 2, 3], [1, 2], ["valid", "same"], [(5, 5), (8, 7), (9, 4)]):
        if strides > 1 and dilation > 1 or (padding == "valid" and (kernel - 1) * dilation >= 4):
            continue
        shape = (None, *hw, 2)
        options = dict(strides=strides, padding=padding, dilation_rate=dilation)
        expected = keras.layers.Conv2D(3, kernel, **options).compute_output_shape(shape)
        assert Conv2D(3, kernel, **options).compute_output_shape(shape) == tuple(expected)
        if dilation == 1 and padding == "same" or hw[0] >= kernel <= hw[1]:
            pool = keras.layers.MaxPooling2D(kernel, strides, padding).compute_output_shape(shape)
            assert MaxPooling2D(kernel, strides, padding).compute_output_shape(shape) == pool


# -- Keras: transposed convolution and upsampling ------------------------------------------

# (kernel, strides, dilation, padding, output_padding): both paddings, the default
# sizes and explicit output paddings (0 differs from None), even and odd kernels,
# kernels smaller than the stride, dilation.
CONV2D_TRANSPOSE = [(3, 1, 1, "same", None), (3, 2, 1, "same", None), (2, 2, 1, "same", None),
                    (4, 2, 1, "same", 1), (3, 2, 1, "same", 0), (3, 2, 1, "valid", None),
                    (3, 2, 1, "valid", 1), ((3, 2), (2, 3), 1, "valid", (1, 2)),
                    (1, 3, 1, "same", None), (1, 3, 1, "valid", None), (2, 3, 1, "same", 2),
                    (3, 1, 2, "same", None), (3, 1, 2, "valid", None),
                    ((2, 3), 1, (2, 1), "same", 0)]


@pytest.mark.parametrize("kernel, strides, dilation, padding, output_padding", CONV2D_TRANSPOSE)
def test_conv2d_transpose_matches_keras(kernel, strides, dilation, padding, output_padding, rng):
    options = dict(strides=strides, padding=padding, output_padding=output_padding,
                   dilation_rate=dilation, activation="tanh")
    x = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    check_against_keras(Conv2DTranspose(2, kernel, **options),
                        keras.layers.Conv2DTranspose(2, kernel, **options), x)


def test_conv2d_transpose_output_shapes_match_keras():
    checked = 0
    for kernel, strides, dilation, padding, output_padding, hw in itertools.product(
            [1, 2, 3, 4], [1, 2, 3], [1, 2], ["valid", "same"], [None, 0, 1, 2],
            [(1, 1), (4, 5), (7, 2)]):
        if strides > 1 and dilation > 1 or output_padding is not None and \
                output_padding >= strides:
            continue
        shape = (None, *hw, 2)
        options = dict(strides=strides, padding=padding, dilation_rate=dilation,
                       output_padding=output_padding)
        expected = keras.layers.Conv2DTranspose(3, kernel, **options).compute_output_shape(shape)
        if min(expected[1:3]) <= 0:  # an empty output, which nnlib refuses at the call
            continue
        assert Conv2DTranspose(3, kernel, **options).compute_output_shape(shape) == \
            tuple(expected), options
        checked += 1
    assert checked > 200


@pytest.mark.parametrize("size", [2, (3, 2), (1, 4)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_upsampling2d_matches_keras(size, interpolation, rng):
    x = rng.normal(size=(2, 5, 3, 2)).astype("float32")
    check_against_keras(UpSampling2D(size, interpolation=interpolation),
                        keras.layers.UpSampling2D(size, interpolation=interpolation), x)


# -- Keras: pooling -----------------------------------------------------------------------

POOL_CASES = [(2, None, "valid"), (3, 1, "valid"), (3, 2, "valid"), (2, None, "same"),
              (3, 1, "same"), (3, 2, "same"), ((2, 3), (1, 2), "same")]
POOL_LAYERS = [(MaxPooling2D, keras.layers.MaxPooling2D),
               (AveragePooling2D, keras.layers.AveragePooling2D)]


def agrees_with_keras_on_torch(ours, pool, strides, padding, spatial):
    """Everything but an average over lopsided 'same' padding (see the test below)."""
    if ours not in (AveragePooling1D, AveragePooling2D) or padding == "valid":
        return True
    rank = len(spatial)
    pool = conv_utils.normalize_tuple(pool, rank, "pool", "test")
    strides = pool if strides is None else conv_utils.normalize_tuple(strides, rank, "s", "test")
    pads = [conv_utils.padding_amounts(n, k, s, 1, "same")
            for n, k, s in zip(spatial, pool, strides)]
    return all(before == after for before, after in pads)


@pytest.mark.parametrize("ours, theirs, pool, strides, padding", [
    (ours, theirs, *case) for (ours, theirs), case in itertools.product(POOL_LAYERS, POOL_CASES)
    if agrees_with_keras_on_torch(ours, *case, (7, 7))])
def test_pooling2d_matches_keras(ours, theirs, pool, strides, padding, rng):
    x = rng.normal(size=(2, 7, 7, 3)).astype("float32")
    check_against_keras(ours(pool, strides, padding), theirs(pool, strides, padding), x)


@pytest.mark.parametrize("ours, theirs", [(MaxPooling1D, keras.layers.MaxPooling1D),
                                          (AveragePooling1D, keras.layers.AveragePooling1D)])
def test_pooling1d_matches_keras(ours, theirs, rng):
    x = rng.normal(size=(2, 9, 3)).astype("float32")
    cases = [(2, None, "valid"), (3, 2, "same"), (4, 1, "same"), (3, 1, "same")]
    agreeing = [case for case in cases if agrees_with_keras_on_torch(ours, *case, (9,))]
    assert len(agreeing) >= 3
    for pool, strides, padding in agreeing:
        check_against_keras(ours(pool, strides, padding), theirs(pool, strides, padding), x)


def test_keras_on_torch_counts_replicated_cells_where_padding_is_lopsided():
    """Keras's TensorFlow and JAX backends (and its NumPy reference) average the
    real cells only; on PyTorch, when 'same' padding is lopsided, Keras pads by
    replicating the edge and averages those copies too.  nnlib follows the
    former; this pins the difference the book describes."""
    x = np.arange(1.0, 7.0, dtype="float32").reshape(1, 6, 1)
    ours = AveragePooling1D(3, strides=2, padding="same")(x)[0, :, 0]
    theirs = numpy(keras.layers.AveragePooling1D(3, 2, "same")(x))[0, :, 0]
    np.testing.assert_allclose(ours, [2.0, 4.0, 5.5])     # (5 + 6) / 2
    np.testing.assert_allclose(theirs, [2.0, 4.0, 17 / 3])  # (5 + 6 + 6) / 3


@pytest.mark.parametrize("ours, theirs, shape", [
    (GlobalMaxPooling1D, keras.layers.GlobalMaxPooling1D, (2, 6, 3)),
    (GlobalMaxPooling2D, keras.layers.GlobalMaxPooling2D, (2, 4, 3, 3)),
    (GlobalAveragePooling1D, keras.layers.GlobalAveragePooling1D, (2, 6, 3)),
    (GlobalAveragePooling2D, keras.layers.GlobalAveragePooling2D, (2, 4, 3, 3))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_keras(ours, theirs, shape, keepdims, rng):
    x = rng.normal(size=shape).astype("float32")
    check_against_keras(ours(keepdims=keepdims), theirs(keepdims=keepdims), x)


# -- Keras: dense, embedding, reshaping, masks ---------------------------------------------

def test_dense_on_a_sequence_matches_keras(rng):
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    check_against_keras(Dense(3, activation="tanh"), keras.layers.Dense(3, activation="tanh"), x)


def test_embedding_matches_keras(rng):
    ids = rng.integers(0, 6, size=(3, 4))
    check_against_keras(Embedding(6, 2), keras.layers.Embedding(6, 2), ids)


def test_flatten_and_reshape_match_keras(rng):
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    np.testing.assert_array_equal(Flatten()(x), numpy(keras.layers.Flatten()(x)))
    np.testing.assert_array_equal(Reshape((4, -1))(x), numpy(keras.layers.Reshape((4, -1))(x)))


def keras_embedding_model(head, ids_shape):
    inputs = keras.Input(ids_shape)
    outputs = head(keras.layers.Embedding(7, 3, mask_zero=True)(inputs))
    return keras.Model(inputs, outputs)


IDS = np.array([[3, 1, 4, 0, 0], [2, 6, 0, 0, 0], [5, 1, 2, 6, 3]])


def test_masked_global_average_matches_keras():
    pool = keras.layers.GlobalAveragePooling1D()
    dense = keras.layers.Dense(2)
    theirs = keras_embedding_model(lambda t: dense(pool(t)), (5,))
    ours = Sequential([Input((5,)), Embedding(7, 3, mask_zero=True), GlobalAveragePooling1D(),
                       Dense(2)])
    ours.set_weights([numpy(w.value) for w in theirs.weights])
    close(ours.predict(IDS), numpy(theirs(IDS)))


def test_masked_loss_matches_keras():
    dense = keras.layers.Dense(4, activation="softmax")
    theirs = keras_embedding_model(dense, (5,))
    ours = Sequential([Input((5,)), Embedding(7, 3, mask_zero=True),
                       Dense(4, activation="softmax")])
    ours.set_weights([numpy(w.value) for w in theirs.weights])
    labels = np.array([[1, 2, 3, 0, 0], [0, 1, 0, 0, 0], [3, 2, 1, 0, 2]])
    y_theirs = theirs(IDS)
    assert y_theirs._keras_mask is not None
    loss_theirs = float(numpy(keras.losses.SparseCategoricalCrossentropy()(labels, y_theirs)))
    y_ours, tape = ours.forward(ours.prepare(IDS))
    np.testing.assert_array_equal(tape.output_mask, numpy(y_theirs._keras_mask))
    loss_ours = float(SparseCategoricalCrossentropy()(labels, y_ours, mask=tape.output_mask))
    assert loss_ours == pytest.approx(loss_theirs, rel=RTOL)


# -- PyTorch: weights transposed to its layout, channels first ------------------------------

def torch_same_pads(spatial, kernel, strides, dilation):
    """Keras's 'same' amounts as F.pad wants them: last axis first, (before, after)."""
    pads = [conv_utils.padding_amounts(n, k, s, d, "same")
            for n, k, s, d in zip(spatial, kernel, strides, dilation)]
    return [p for pair in reversed(pads) for p in pair]


@pytest.mark.parametrize("kernel, strides, dilation", [(3, 1, 1), (3, 2, 1), (2, 1, 2), (5, 3, 1)])
def test_conv2d_matches_pytorch(kernel, strides, dilation, rng):
    layer = Conv2D(5, kernel, strides=strides, padding="same", dilation_rate=dilation)
    x = rng.normal(size=(2, 8, 7, 3)).astype("float32")
    layer(x)
    W, b = layer.get_weights()
    x_t = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)        # NCHW
    W_t = torch.tensor(W.transpose(3, 2, 0, 1).copy(), requires_grad=True)  # (F, C, kh, kw)
    b_t = torch.tensor(b, requires_grad=True)
    pads = torch_same_pads(x.shape[1:3], layer.kernel_size, layer.strides, layer.dilation_rate)
    y_t = F.conv2d(F.pad(x_t, pads), W_t, b_t, stride=strides, dilation=dilation)
    dy = rng.normal(size=y_t.shape).astype("float32")
    y_t.backward(torch.tensor(dy))
    y, cache = layer.forward(layer.prepare(x))
    dx, grads = layer.backward(dy.transpose(0, 2, 3, 1), cache)
    close(y, numpy(y_t).transpose(0, 2, 3, 1))
    close(dx, numpy(x_t.grad).transpose(0, 2, 3, 1))
    close(grads["kernel"], numpy(W_t.grad).transpose(2, 3, 1, 0))
    close(grads["bias"], numpy(b_t.grad))


@pytest.mark.parametrize("ours, theirs, options", [
    (MaxPooling2D, F.max_pool2d, {}),
    (AveragePooling2D, F.avg_pool2d, {"count_include_pad": False})])
@pytest.mark.parametrize("pool, strides, padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1)])
def test_pooling2d_matches_pytorch(ours, theirs, options, pool, strides, padding, rng):
    """PyTorch pads symmetrically: compared where Keras's 'same' rule does too."""
    x = rng.normal(size=(2, 7, 7, 3)).astype("float32")
    layer = ours(pool, strides, "same" if padding else "valid")
    x_t = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    y_t = theirs(x_t, pool, strides, padding, **options)
    dy = rng.normal(size=y_t.shape).astype("float32")
    y_t.backward(torch.tensor(dy))
    y, cache = layer.forward(layer.prepare(x))
    dx, _ = layer.backward(dy.transpose(0, 2, 3, 1), cache)
    close(y, numpy(y_t).transpose(0, 2, 3, 1))
    close(dx, numpy(x_t.grad).transpose(0, 2, 3, 1))


def test_max_pooling_ties_match_pytorch():
    x = np.ones((1, 4, 4, 1), "float32")
    layer = MaxPooling2D(2)
    y, cache = layer.forward(layer.prepare(x))
    dx, _ = layer.backward(np.ones_like(y), cache)
    x_t = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    F.max_pool2d(x_t, 2).sum().backward()
    np.testing.assert_array_equal(dx, numpy(x_t.grad).transpose(0, 2, 3, 1))


def test_embedding_gradient_matches_pytorch(rng):
    layer = Embedding(6, 3)
    ids = np.array([[1, 1, 5], [0, 1, 2]])
    y, cache = layer.forward(layer.prepare(ids))
    dy = rng.normal(size=y.shape).astype("float32")
    table = torch.tensor(layer.embeddings.value, requires_grad=True)
    F.embedding(torch.tensor(ids), table).backward(torch.tensor(dy))
    close(layer.backward(dy, cache)[1]["embeddings"], numpy(table.grad))


def test_a_fully_masked_sample_is_nan_in_keras_and_zero_here():
    x = np.ones((2, 3, 2), "float32")
    mask = np.array([[False] * 3, [True, False, False]])
    theirs = numpy(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    ours, _ = GlobalAveragePooling1D().forward(x, mask=mask)
    assert np.isnan(theirs[0]).all() and np.array_equal(theirs[1], [1, 1])
    np.testing.assert_array_equal(ours, [[0, 0], [1, 1]])

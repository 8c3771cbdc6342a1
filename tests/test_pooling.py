"""Pooling: shapes for every padding and stride, values against a direct loop
(the average excludes padded cells), one winner per max window and where
its gradient goes, global pooling, errors."""
import itertools
import math
import re

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                  GlobalAveragePooling2D, GlobalMaxPooling1D,
                                  GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)
from nnlib.testing import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def direct_pool(x, pool, strides, padding, reduce):
    """Each window's real cells (padding excluded), reduced: the definition."""
    rank = len(pool)
    out, starts = [], []
    for n, k, s in zip(x.shape[1:-1], pool, strides):
        if padding == "valid":
            o, before = (n - k) // s + 1, 0
        else:
            o = math.ceil(n / s)
            before = max((o - 1) * s + k - n, 0) // 2
        out.append(o)
        starts.append([p * s - before for p in range(o)])
    y = np.zeros((len(x), *out, x.shape[-1]))
    for p in np.ndindex(*out):
        index = tuple(slice(max(starts[a][p[a]], 0), starts[a][p[a]] + pool[a])
                      for a in range(rank))
        window = x[(slice(None), *index)].reshape(len(x), -1, x.shape[-1])
        y[(slice(None), *p)] = reduce(window, axis=1)
    return y


POOL2D_CASES = list(itertools.product([2, 3, (2, 3)], [None, 1, 2, (1, 2)], ["valid", "same"],
                                      [(6, 6), (7, 5)]))


@pytest.mark.parametrize("pool, strides, padding, hw", POOL2D_CASES)
@pytest.mark.parametrize("cls, reduce", [(MaxPooling2D, np.max), (AveragePooling2D, np.mean)])
def test_pooling2d_matches_the_definition(cls, reduce, pool, strides, padding, hw, rng):
    layer = cls(pool, strides=strides, padding=padding, dtype="float64")
    x = rng.normal(size=(2, *hw, 3))
    y = layer(x)
    p = (pool, pool) if isinstance(pool, int) else pool
    s = p if strides is None else ((strides, strides) if isinstance(strides, int) else strides)
    expected = direct_pool(x, p, s, padding, reduce)
    assert y.shape == expected.shape
    assert layer.compute_output_shape((None, *hw, 3)) == (None, *expected.shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12)


@pytest.mark.parametrize("pool, strides, padding", list(itertools.product(
    [2, 3], [None, 1, 2], ["valid", "same"])))
@pytest.mark.parametrize("cls, reduce", [(MaxPooling1D, np.max), (AveragePooling1D, np.mean)])
def test_pooling1d_matches_the_definition(cls, reduce, pool, strides, padding, rng):
    layer = cls(pool, strides=strides, padding=padding, dtype="float64")
    x = rng.normal(size=(2, 7, 2))
    expected = direct_pool(x, (pool,), (strides or pool,), padding, reduce)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12)


def test_same_average_excludes_padded_cells():
    # 5 cells, windows of 2 with stride 2: the last window holds one real cell.
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0]).reshape(1, 5, 1)
    np.testing.assert_allclose(AveragePooling1D(2, padding="same")(x)[0, :, 0], [1.5, 3.5, 10.0])
    # Windows of 3 with stride 2 over 6 cells pad one cell after: (5 + 6) / 2, not / 3.
    x = np.arange(1.0, 7.0).reshape(1, 6, 1)
    np.testing.assert_allclose(AveragePooling1D(3, strides=2, padding="same")(x)[0, :, 0],
                               [2.0, 4.0, 5.5])


def test_defaults():
    assert MaxPooling2D().pool_size == (2, 2) and MaxPooling2D().strides == (2, 2)
    assert MaxPooling1D().pool_size == (2,)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)
    assert MaxPooling2D(padding="SAME").padding == "same"
    assert MaxPooling2D().get_config()["padding"] == "valid"


def test_max_pooling_sends_each_windows_gradient_to_one_winner(rng):
    layer = MaxPooling2D(2, dtype="float64")
    x = rng.normal(size=(2, 4, 6, 3))
    y, cache = layer.forward(layer.prepare(x))
    dy = rng.uniform(1, 2, size=y.shape)
    dx, grads = layer.backward(dy, cache)
    assert grads == {}
    windows = dx.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(2, 2, 3, 3, 4)
    assert np.all((windows != 0).sum(axis=-1) == 1)  # one cell per window
    np.testing.assert_allclose(windows.sum(axis=-1), dy)  # carrying the window's gradient
    x_windows = x.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(2, 2, 3, 3, 4)
    np.testing.assert_array_equal(windows.argmax(axis=-1), x_windows.argmax(axis=-1))


def test_ties_go_to_the_first_cell():
    layer = MaxPooling2D(2)
    x = np.ones((1, 2, 2, 1))
    y, cache = layer.forward(layer.prepare(x))
    dx, _ = layer.backward(np.full_like(y, 3.0), cache)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[3.0, 0.0], [0.0, 0.0]])


def test_overlapping_windows_add_their_gradients():
    layer = MaxPooling1D(3, strides=1)
    x = np.array([0.0, 1.0, 9.0, 2.0, 0.0]).reshape(1, 5, 1)
    y, cache = layer.forward(layer.prepare(x))
    np.testing.assert_array_equal(y[0, :, 0], [9.0, 9.0, 9.0])
    dx, _ = layer.backward(np.array([1.0, 2.0, 4.0]).reshape(1, 3, 1), cache)
    np.testing.assert_array_equal(dx[0, :, 0], [0.0, 0.0, 7.0, 0.0, 0.0])


def test_average_gradient_is_shared_over_real_cells():
    layer = AveragePooling1D(2, padding="same")
    x = np.zeros((1, 3, 1))
    y, cache = layer.forward(layer.prepare(x))
    dx, _ = layer.backward(np.array([2.0, 6.0]).reshape(1, 2, 1), cache)
    np.testing.assert_allclose(dx[0, :, 0], [1.0, 1.0, 6.0])


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D])
@pytest.mark.parametrize("pool, strides, padding", [(2, 1, "same"), (3, 2, "valid"),
                                                    ((2, 3), (3, 1), "same")])
def test_gradients_for_more_configurations(cls, pool, strides, padding, rng):
    rank = cls.rank
    if rank == 1:
        pool, strides = np.atleast_1d(pool)[0], np.atleast_1d(strides)[0]
    shape = (2, 7, 2) if rank == 1 else (2, 5, 6, 2)
    x = rng.permutation(math.prod(shape)).reshape(shape) / 7.0  # no ties
    with floatx_scope("float64"):
        report = check_gradients(cls(pool, strides=strides, padding=padding), x)
    assert report.passed, repr(report)


def test_global_pooling_values_and_gradients(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(GlobalMaxPooling2D(dtype="float64")(x), x.max(axis=(1, 2)))
    np.testing.assert_allclose(GlobalAveragePooling2D(dtype="float64")(x), x.mean(axis=(1, 2)))
    kept = GlobalAveragePooling2D(keepdims=True, dtype="float64")
    assert kept(x).shape == (2, 1, 1, 5)
    assert kept.compute_output_shape((None, 3, 4, 5)) == (None, 1, 1, 5)
    assert GlobalMaxPooling1D().compute_output_shape((None, 7, 5)) == (None, 5)
    layer = GlobalMaxPooling1D(dtype="float64")
    seq = rng.normal(size=(2, 6, 3))
    y, cache = layer.forward(seq)
    dx, _ = layer.backward(np.ones_like(y), cache)
    np.testing.assert_array_equal(dx.sum(axis=1), np.ones((2, 3)))
    np.testing.assert_array_equal(dx.argmax(axis=1), seq.argmax(axis=1))
    with floatx_scope("float64"):
        assert check_gradients(GlobalAveragePooling1D(keepdims=True), seq).passed
        assert check_gradients(GlobalMaxPooling2D(), x).passed


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=re.escape(
            "MaxPooling2D 'mp': expected input of rank 4 (batch, height, width, channels), "
            "got shape (2, 8, 3)")):
        MaxPooling2D(name="mp")(np.ones((2, 8, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "AveragePooling1D 'ap': input of spatial shape (2,) is smaller than the window (3,) "
            "with padding 'valid', got shape (1, 2, 4)")):
        AveragePooling1D(3, name="ap")(np.ones((1, 2, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "GlobalAveragePooling2D 'gap': expected input of rank 4 (batch, height, width, "
            "channels), got shape (2, 3)")):
        GlobalAveragePooling2D(name="gap")(np.ones((2, 3)))
    with pytest.raises(ValueError, match="MaxPooling2D 'mp0': pool_size must be a whole number "
                                         ">= 1 or a tuple of 2 of them, got 0"):
        MaxPooling2D(0, name="mp0")
    with pytest.raises(ValueError, match=r"strides must be .* got \(2, 0\)"):
        MaxPooling2D(2, strides=(2, 0))
    with pytest.raises(ValueError, match="pool_size must be .* got 1.5"):
        AveragePooling1D(1.5)
    with pytest.raises(TypeError, match="pool_size must be .* got '2'"):
        AveragePooling2D("2")
    with pytest.raises(ValueError, match=r"padding must be one of \('valid', 'same'\), got "
                                         r"'vaild' \(did you mean 'valid'\?\)"):
        MaxPooling2D(padding="vaild")
    with pytest.raises(TypeError, match="keepdims must be True or False, got 'yes'"):
        GlobalMaxPooling2D(keepdims="yes")
    assert MaxPooling1D(2.0, strides=1.0).pool_size == (2,)
    with pytest.raises(ValueError, match=r"padding must be one of \('valid', 'same'\)"):
        MaxPooling1D(padding="causal")
    assert MaxPooling2D(padding="same")(np.ones((1, 1, 1, 2))).shape == (1, 1, 1, 2)


def test_config_rebuilds_the_layer():
    for layer in (MaxPooling2D(3, strides=1, padding="same"), AveragePooling1D(2),
                  GlobalAveragePooling2D(keepdims=True)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert MaxPooling2D().get_config()["pool_size"] == (2, 2)

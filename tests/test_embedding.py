"""Embedding: row lookup, the gradient of repeated ids, integer ids only, range errors."""
import re

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers import Dense
from nnlib.layers.embedding import Embedding
from nnlib.testing import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_lookup_returns_the_rows(rng):
    layer = Embedding(6, 3, dtype="float64")
    ids = np.array([[5, 0, 2], [2, 2, 1]])
    y = layer(ids)
    assert y.shape == (2, 3, 3) and y.dtype == np.float64
    np.testing.assert_array_equal(y, layer.embeddings.value[ids])
    assert layer.compute_output_shape((None, 3)) == (None, 3, 3)
    assert [w.name for w in layer.weights] == ["embeddings"]
    assert layer.count_params() == 18


def test_default_initializer_is_keras_uniform():
    layer = Embedding(1000, 8)
    layer(np.array([[1]]))
    values = layer.embeddings.value
    assert values.dtype == np.float32
    assert -0.05 <= values.min() < -0.04 and 0.04 < values.max() <= 0.05


def test_same_as_dense_on_one_hot_vectors(rng):
    layer = Embedding(5, 4, dtype="float64")
    ids = rng.integers(0, 5, size=(3, 2))
    dense = Dense(4, use_bias=False, dtype="float64")
    dense(np.zeros((1, 5)))
    layer(ids)
    dense.set_weights(layer.get_weights())
    one_hot = np.eye(5)[ids]
    np.testing.assert_allclose(layer(ids), dense(one_hot))
    dy = rng.normal(size=(3, 2, 4))
    _, grads = layer.backward(dy, layer.forward(layer.prepare(ids))[1])
    _, dense_grads = dense.backward(dy, dense.forward(dense.prepare(one_hot))[1])
    np.testing.assert_allclose(grads["embeddings"], dense_grads["kernel"])


def test_repeated_ids_add_their_gradients():
    layer = Embedding(4, 2, dtype="float64")
    ids = np.array([[1, 1, 3]])
    y, cache = layer.forward(layer.prepare(ids))
    dy = np.array([[[1.0, 2.0], [10.0, 20.0], [5.0, 5.0]]])
    dx, grads = layer.backward(dy, cache)
    assert dx is None
    np.testing.assert_array_equal(grads["embeddings"], [[0, 0], [11, 22], [0, 0], [5, 5]])


def test_gradient_check_skips_the_integer_ids(rng):
    with floatx_scope("float64"):
        report = check_gradients(Embedding(7, 3), rng.integers(0, 7, size=(2, 5)))
    assert [row[0] for row in report.rows] == ["embeddings"]
    assert report.passed


def test_whole_number_floats_are_ids_and_everything_else_is_rejected():
    layer = Embedding(10, 2, name="words")
    np.testing.assert_array_equal(layer(np.array([[3.0, 4.0]], dtype="float32")),
                                  layer(np.array([[3, 4]])))
    with pytest.raises(TypeError, match=re.escape(
            "Embedding 'words': expected integer ids, got dtype float64 with fractional values")):
        layer(np.array([[1.5, 2.0]]))
    with pytest.raises(TypeError, match="Embedding 'words': expected integer ids, got dtype bool"):
        layer(np.array([[True]]))
    with pytest.raises(TypeError, match="expected integer ids, got dtype <U1"):
        layer(np.array([["a"]]))


def test_ids_outside_the_vocabulary_are_rejected():
    layer = Embedding(10, 2, name="vocab")
    with pytest.raises(ValueError, match=re.escape(
            "Embedding 'vocab': ids must lie in [0, 10) (input_dim=10), got values from 0 to 10")):
        layer(np.array([[0, 10]]))
    with pytest.raises(ValueError, match=r"got values from -1 to 3"):
        layer(np.array([[-1, 3]]))
    with pytest.raises(ValueError, match="expected one array of ids, got a list of 2"):
        layer([np.array([1]), np.array([2])])


def test_mask_zero():
    ids = np.array([[3, 1, 0, 0]])
    np.testing.assert_array_equal(Embedding(5, 2, mask_zero=True).compute_mask(ids, None),
                                  [[True, True, False, False]])
    assert Embedding(5, 2).compute_mask(ids, None) is None
    assert Embedding(5, 2, mask_zero=True).get_config()["mask_zero"] is True


def test_config_rebuilds_the_layer():
    config = Embedding(10, 4, mask_zero=True, name="cfg_emb").get_config()
    assert config["input_dim"] == 10 and config["output_dim"] == 4 and config["mask_zero"]
    assert Embedding.from_config(config).get_config() == config

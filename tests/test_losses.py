"""Losses: Keras's values, reductions, sample weights, logits, clipping, label checks."""
import math
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import nnlib
from nnlib import losses
from nnlib.activations import Softmax
from nnlib.layers import Dense
from nnlib.losses import (CategoricalCrossentropy, MeanSquaredError,
                          SparseCategoricalCrossentropy)
from nnlib.models import Sequential
from nnlib.testing import check_gradients

# The examples of Keras's documentation, with Keras's printed results.
CCE_TRUE = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
CCE_PRED = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
SPARSE_TRUE = np.array([1, 2])


@contextmanager
def no_floating_point_trouble():
    """Raise on overflow, division by zero, invalid values and warnings
    (underflow to zero is a correct result, which NumPy never warns about)."""
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_mse_keras_example():
    loss = MeanSquaredError()
    value = loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    assert value.dtype == np.float32 and value.shape == ()
    assert float(value) == pytest.approx(0.5)


@pytest.mark.parametrize("reduction, expected", [
    ("sum_over_batch_size", 1.177), ("sum", 2.354), ("none", [0.0513, 2.303])])
def test_categorical_crossentropy_reductions(reduction, expected):
    value = CategoricalCrossentropy(reduction=reduction)(CCE_TRUE, CCE_PRED)
    np.testing.assert_allclose(value, expected, rtol=1e-3)


def test_sample_weight_scales_each_sample_and_divides_by_the_batch_size():
    weights = np.array([0.3, 0.7])
    value = CategoricalCrossentropy()(CCE_TRUE, CCE_PRED, sample_weight=weights)
    assert float(value) == pytest.approx(0.814, rel=1e-3)  # Keras's documented value
    mse = MeanSquaredError(reduction="sum")
    y_true, y_pred = np.zeros((3, 2)), np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    # Per-sample losses 1, 2, 4.5.
    assert float(mse(y_true, y_pred, sample_weight=[1.0, 0.5, 0.0])) == pytest.approx(2.0)
    mean = MeanSquaredError()
    assert float(mean(y_true, y_pred, sample_weight=[1.0, 0.5, 0.0])) == pytest.approx(2.0 / 3)


def test_sample_weight_of_the_wrong_length_is_rejected():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit"):
        MeanSquaredError()(np.zeros((2, 2)), np.zeros((2, 2)), sample_weight=[1, 2, 3])


def test_unknown_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction must be one of"):
        MeanSquaredError(reduction="mean")


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("cls", [MeanSquaredError, CategoricalCrossentropy])
def test_backward_with_reductions_and_sample_weights(cls, reduction):
    rng = np.random.default_rng(0)
    loss = cls(reduction=reduction, dtype="float64")
    y_true = np.eye(4)[rng.integers(0, 4, size=5)]
    y_pred = rng.uniform(0.1, 1.0, size=(5, 4))
    weights = rng.uniform(0.0, 2.0, size=5)

    def forward(p):
        return loss.forward(y_true, p, weights)[0]

    def backward(d_loss, p):
        return loss.backward(d_loss, loss.forward(y_true, p, weights)[1])

    assert check_gradients((forward, backward), y_pred).max_relative_error < 1e-6


def test_mse_gradient_formula():
    loss = MeanSquaredError(dtype="float64")
    y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[1.0, 3.0]])
    _, cache = loss.forward(y_true, y_pred)
    # d/dp mean over 1 sample of mean((p - y)^2) = 2 (p - y) / 2.
    np.testing.assert_allclose(loss.backward(1.0, cache), [[1.0, 2.0]])


def test_probabilities_are_rescaled_to_sum_to_one():
    loss = CategoricalCrossentropy()
    assert float(loss([[0.0, 1.0, 0.0]], [[0.4, 1.4, 0.2]])) == pytest.approx(-math.log(0.7))


def test_from_logits_matches_the_probability_path():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=2.0, size=(6, 4))
    y_true = np.eye(4)[rng.integers(0, 4, size=6)]
    softmax = Softmax()
    probabilities, softmax_cache = softmax.forward(logits)
    from_logits = CategoricalCrossentropy(from_logits=True, dtype="float64")
    from_probs = CategoricalCrossentropy(dtype="float64")
    value_l, cache_l = from_logits.forward(y_true, logits)
    value_p, cache_p = from_probs.forward(y_true, probabilities)
    assert float(value_l) == pytest.approx(float(value_p), rel=1e-9)
    # The gradient wrt the logits: directly, or through the softmax.
    direct = from_logits.backward(1.0, cache_l)
    chained = softmax.backward(from_probs.backward(1.0, cache_p), softmax_cache)
    np.testing.assert_allclose(direct, chained, atol=1e-12)
    np.testing.assert_allclose(direct, (probabilities - y_true) / 6, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_from_logits_is_stable_for_huge_logits(dtype):
    loss = CategoricalCrossentropy(from_logits=True, dtype=dtype)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    y_true = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    with no_floating_point_trouble():
        value, cache = loss.forward(y_true, logits)
        grad = loss.backward(1.0, cache)
    assert float(value) == pytest.approx(1e4)  # (2e4 + 0) / 2
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-7)
    assert grad.dtype == dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_probabilities_of_exactly_zero_and_one_are_clipped(dtype):
    loss = CategoricalCrossentropy(reduction="none", dtype=dtype)
    y_true = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    y_pred = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    with no_floating_point_trouble():
        value, cache = loss.forward(y_true, y_pred)
        grad = loss.backward(np.ones(2), cache)
    # Clipped to [1e-7, 1 - 1e-7], as Keras: -log(1e-7) and -log(1 - 1e-7), which is
    # 1e-7 in float64 and 1.19e-7 in float32 (1 - 1e-7 rounds to 1 - 2**-23).
    assert value[0] == pytest.approx(-math.log(1e-7), rel=1e-6)
    assert 0 < value[1] == pytest.approx(1e-7, abs=2e-8 if dtype == "float32" else 1e-12)
    assert np.isfinite(grad).all()
    # Where the clip is active the gradient is zero.
    np.testing.assert_array_equal(grad, 0.0)


def test_label_smoothing():
    s, k = 0.2, 3
    smoothed = CCE_TRUE * (1 - s) + s / k
    expected = -(smoothed * np.log(CCE_PRED.clip(1e-7, 1 - 1e-7))).sum(axis=-1).mean()
    value = CategoricalCrossentropy(label_smoothing=s, dtype="float64")(CCE_TRUE, CCE_PRED)
    assert float(value) == pytest.approx(expected)


def test_sparse_keras_example_and_label_shapes():
    loss = SparseCategoricalCrossentropy()
    flat = loss(SPARSE_TRUE, CCE_PRED)
    column = loss(SPARSE_TRUE[:, None], CCE_PRED)
    assert float(flat) == pytest.approx(1.177, rel=1e-3)
    assert float(column) == float(flat)
    assert float(flat) == float(CategoricalCrossentropy()(CCE_TRUE, CCE_PRED))
    assert float(loss(np.array([1.0, 2.0]), CCE_PRED)) == float(flat)  # whole floats


def test_sparse_from_logits_matches_categorical():
    rng = np.random.default_rng(2)
    logits, labels = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    sparse = SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    dense = CategoricalCrossentropy(from_logits=True, dtype="float64")
    value_s, cache_s = sparse.forward(labels, logits)
    value_d, cache_d = dense.forward(np.eye(3)[labels], logits)
    assert float(value_s) == pytest.approx(float(value_d))
    np.testing.assert_allclose(sparse.backward(1.0, cache_s), dense.backward(1.0, cache_d))


@pytest.mark.parametrize("labels, message", [
    ([0, 3], r"labels must lie in \[0, 3\), got values from 0 to 3"),
    ([-1, 2], r"labels must lie in \[0, 3\), got values from -1 to 2"),
    ([0.5, 1.0], "labels must be whole numbers"),
    ([[0, 1], [1, 0]], r"labels of shape \(2,\) or \(2, 1\) expected .* got \(2, 2\)"),
])
def test_sparse_label_errors(labels, message):
    loss = SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy "
                                         "'sparse_categorical_crossentropy': " + message):
        loss(np.array(labels), CCE_PRED)


def test_shape_mismatch_names_the_loss_and_both_shapes():
    with pytest.raises(ValueError, match=r"MeanSquaredError 'mean_squared_error': y_true and "
                                         r"y_pred must have the same shape, got \(2, 3\) and \(2, 2\)"):
        MeanSquaredError()(np.zeros((2, 3)), np.zeros((2, 2)))


def test_non_numeric_targets_are_rejected():
    with pytest.raises(TypeError, match="MeanSquaredError 'mean_squared_error': expected numeric"):
        MeanSquaredError()(np.array([["a"]]), np.zeros((1, 1)))


@pytest.mark.parametrize("name, cls", [("sparse_categorical_crossentropy", SparseCategoricalCrossentropy),
                                       ("mse", MeanSquaredError),
                                       ("categorical_crossentropy", CategoricalCrossentropy)])
def test_losses_by_name(name, cls):
    assert isinstance(losses.get(name), cls)
    assert isinstance(nnlib.get("loss", name), cls)
    model = Sequential([Dense(2)])
    model.compile(optimizer="sgd", loss=name)
    assert isinstance(model.loss, cls)


def test_loss_dtype_and_names():
    assert MeanSquaredError().name == "mean_squared_error"
    assert SparseCategoricalCrossentropy(name="xent").name == "xent"
    assert MeanSquaredError(dtype="float64")(np.zeros((1, 2)), np.ones((1, 2))).dtype == np.float64
    assert CategoricalCrossentropy(from_logits=True).get_config() == {
        "reduction": "sum_over_batch_size", "name": "categorical_crossentropy",
        "dtype": "float32", "from_logits": True, "label_smoothing": 0.0, "axis": -1}

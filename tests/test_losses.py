"""Losses: Keras's values, reductions, sample weights, masks, logits, clipping, label checks,
extreme inputs and shape errors, for every registered loss."""
import math
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import nnlib
from nnlib import losses, ops, registry
from nnlib.activations import Softmax
from nnlib.backend import floatx_scope
from nnlib.layers import Dense
from nnlib.losses import (BinaryCrossentropy, CategoricalCrossentropy, Hinge, Huber,
                          KLDivergence, LogCosh, MeanAbsoluteError, MeanSquaredError,
                          SparseCategoricalCrossentropy)
from nnlib.models import Input, Sequential
from nnlib.utils import set_random_seed
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
        MeanSquaredError(reduction="average")


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


def mean_fourth_power(y_true, y_pred):
    return ops.mean((y_pred - y_true) ** 4, axis=-1)


def test_a_function_of_ops_is_a_loss_the_tape_differentiates():
    rng = np.random.default_rng(0)
    loss = losses.get(mean_fourth_power)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "mean_fourth_power"
    loss.dtype = "float64"
    y_true, y_pred = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert float(loss(y_true, y_pred)) == pytest.approx(np.mean((y_pred - y_true) ** 4))
    weights = rng.uniform(size=4)
    _, cache = loss.forward(y_true, y_pred, sample_weight=weights)
    # L = (1/4) sum_m w_m mean_j (p_mj - t_mj)^4, so dL/dp_mj = w_m (p_mj - t_mj)^3 / 3
    expected = weights[:, None] * (y_pred - y_true) ** 3 / 3
    np.testing.assert_allclose(loss.backward(1.0, cache), expected, rtol=1e-12)


def test_a_function_loss_trains_as_the_same_built_in_loss():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    trained = []
    for loss in ("mse", lambda y_true, y_pred: ops.mean(ops.square(y_pred - y_true), axis=-1)):
        set_random_seed(0)
        model = Sequential([Input((3,)), Dense(2)])
        model.compile(optimizer="sgd", loss=loss)
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for mine, built_in in zip(*trained):
        np.testing.assert_allclose(mine, built_in, rtol=1e-5, atol=1e-7)


def test_a_function_loss_that_leaves_the_tape_is_refused():
    def with_numpy(y_true, y_pred):
        return np.mean(np.asarray(y_pred) - y_true, axis=-1)
    with pytest.raises(ValueError, match="returned a ndarray the tape did not record"):
        losses.get(with_numpy)(np.zeros((2, 2)), np.ones((2, 2)))


def test_loss_dtype_and_names():
    assert MeanSquaredError().name == "mean_squared_error"
    assert SparseCategoricalCrossentropy(name="xent").name == "xent"
    assert MeanSquaredError(dtype="float64")(np.zeros((1, 2)), np.ones((1, 2))).dtype == np.float64
    assert CategoricalCrossentropy(from_logits=True).get_config() == {
        "reduction": "sum_over_batch_size", "name": "categorical_crossentropy",
        "dtype": "float32", "from_logits": True, "label_smoothing": 0.0, "axis": -1}


# -- every registered loss -------------------------------------------------------------

# Inputs at the edges each loss must survive: probabilities of exactly 0 and 1,
# logits of +-1e4, regression errors of 1e4.
EDGE = np.array([[0.0, 1.0, 1.0, 0.0]])
EXTREME_CASES = [
    (MeanSquaredError(), EDGE, np.array([[1e4, -1e4, 0.0, 1.0]])),
    (MeanAbsoluteError(), EDGE, np.array([[1e4, -1e4, 0.0, 1.0]])),
    (Huber(), EDGE, np.array([[1e4, -1e4, 0.0, 1.0]])),
    (LogCosh(), EDGE, np.array([[1e4, -1e4, 0.0, 1.0]])),
    (Hinge(), EDGE, np.array([[1e4, -1e4, 1.0, -1.0]])),
    (BinaryCrossentropy(), EDGE, np.array([[0.0, 1.0, 0.0, 1.0]])),
    (BinaryCrossentropy(from_logits=True), EDGE, np.array([[1e4, -1e4, 1e4, -1e4]])),
    (BinaryCrossentropy(label_smoothing=0.1), EDGE, np.array([[1.0, 0.0, 1.0, 0.0]])),
    (CategoricalCrossentropy(), np.eye(3), np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0],
                                                     [1.0, 0.0, 0.0]])),
    (CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), np.eye(3),
     np.array([[-1e4, 1e4, 0.0], [1e4, -1e4, 0.0], [0.0, 0.0, 1e4]])),
    (SparseCategoricalCrossentropy(), np.array([0, 1]), np.array([[0.0, 1.0], [1.0, 0.0]])),
    (SparseCategoricalCrossentropy(from_logits=True), np.array([0, 1]),
     np.array([[-1e4, 1e4], [1e4, -1e4]])),
    (KLDivergence(), np.array([[0.0, 1.0, 0.0]]), np.array([[1.0, 0.0, 0.0]])),
]


def test_every_registered_loss_has_an_extreme_case():
    covered = {type(loss) for loss, _, _ in EXTREME_CASES}
    assert {entry.cls for entry in registry.entries("loss")} <= covered


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", EXTREME_CASES,
                         ids=[f"{i}-{case[0].name}" for i, case in enumerate(EXTREME_CASES)])
def test_extreme_inputs_give_finite_values_and_gradients(case, dtype):
    template, y_true, y_pred = case
    config = {k: v for k, v in template.get_config().items() if k not in ("dtype", "name")}
    loss = type(template)(**config, dtype=dtype)
    with no_floating_point_trouble():
        value, cache = loss.forward(y_true, y_pred)
        grad = loss.backward(1.0, cache)
    assert value.dtype == dtype and grad.dtype == dtype
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert grad.shape == np.shape(y_pred)


@pytest.mark.parametrize("entry", registry.entries("loss"), ids=lambda e: e.name)
def test_float32_by_default_and_float64_when_asked(entry):
    loss32, (y_true, y_pred) = entry.cls.gradient_check_sample(np.random.default_rng(0))
    value, cache = loss32.forward(y_true, y_pred)
    assert value.dtype == np.float32 and loss32.backward(1.0, cache).dtype == np.float32
    with floatx_scope("float64"):
        loss64 = entry.cls()
    value64, cache64 = loss64.forward(y_true, y_pred)
    assert value64.dtype == np.float64 and loss64.backward(1.0, cache64).dtype == np.float64
    assert float(value) == pytest.approx(float(value64), rel=1e-5)


@pytest.mark.parametrize("entry", registry.entries("loss"), ids=lambda e: e.name)
def test_shape_mismatch_raises_instead_of_broadcasting(entry):
    loss = entry.cls()
    if isinstance(loss, SparseCategoricalCrossentropy):
        y_true, y_pred = np.zeros((3, 1)), np.full((1, 3, 2), 0.5)  # (3, 1) against (1, 3)
        message = r"labels of shape \(1, 3\) or \(1, 3, 1\) expected .* got \(3, 1\)"
    else:
        y_true, y_pred = np.zeros((3, 1)), np.full((1, 3), 0.5)
        message = r"y_true and y_pred must have the same shape, got \(3, 1\) and \(1, 3\)"
    with pytest.raises(ValueError, match=f"{entry.name} '{loss.name}': {message}"):
        loss(y_true, y_pred)


@pytest.mark.parametrize("entry", registry.entries("loss"), ids=lambda e: e.name)
def test_keras_default_names_and_lookup_by_every_alias(entry):
    keras_names = {"MeanSquaredError": "mean_squared_error", "Huber": "huber_loss",
                   "MeanAbsoluteError": "mean_absolute_error", "LogCosh": "log_cosh",
                   "BinaryCrossentropy": "binary_crossentropy", "Hinge": "hinge",
                   "CategoricalCrossentropy": "categorical_crossentropy",
                   "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
                   "KLDivergence": "kl_divergence"}
    assert entry.cls().name == keras_names[entry.name]
    for alias in entry.aliases:
        assert type(losses.get(alias)) is entry.cls
    model = Sequential([Dense(2)])
    model.compile(optimizer="sgd", loss=entry.aliases[0])
    assert type(model.loss) is entry.cls


def test_labels_of_rank_one_against_a_single_output_column():
    """Keras reads labels (n,) against predictions (n, 1) as (n, 1): no (n, n) broadcast."""
    y_true, y_pred = np.array([0.0, 1.0, 1.0]), np.array([[0.2], [0.9], [0.4]])
    loss = BinaryCrossentropy(dtype="float64")
    value, cache = loss.forward(y_true, y_pred)
    assert float(value) == pytest.approx(float(loss(y_true[:, None], y_pred)))
    assert loss.backward(1.0, cache).shape == (3, 1)
    flat_value, flat_cache = loss.forward(y_true[:, None], y_pred[:, 0])
    assert float(flat_value) == pytest.approx(float(value))
    assert loss.backward(1.0, flat_cache).shape == (3,)


def test_scalar_predictions_are_rejected():
    with pytest.raises(ValueError, match="at least one axis, got a scalar"):
        MeanSquaredError()(1.0, 2.0)


# -- the formulas --------------------------------------------------------------------

def per_sample(loss, y_true, y_pred):
    return type(loss)(**{**loss.get_config(), "reduction": "none", "dtype": "float64"})(
        y_true, y_pred)


def test_mae_huber_log_cosh_values():
    y_true, y_pred = np.zeros((1, 4)), np.array([[0.5, -2.0, 3.0, -0.1]])
    errors = np.abs(y_pred[0])
    assert float(MeanAbsoluteError(dtype="float64")(y_true, y_pred)) == pytest.approx(errors.mean())
    huber = np.where(errors <= 1.0, 0.5 * errors ** 2, errors - 0.5).mean()
    assert float(Huber(dtype="float64")(y_true, y_pred)) == pytest.approx(huber)
    assert float(LogCosh(dtype="float64")(y_true, y_pred)) == pytest.approx(
        np.log(np.cosh(errors)).mean())


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_pieces_meet_with_the_same_value_and_slope(delta):
    huber = Huber(delta, reduction="none", dtype="float64")
    y_pred = np.array([[delta - 1e-9], [delta + 1e-9]])
    value, cache = huber.forward(np.zeros((2, 1)), y_pred)
    np.testing.assert_allclose(value, 0.5 * delta ** 2, rtol=1e-8)
    np.testing.assert_allclose(huber.backward(np.ones(2), cache), delta, rtol=1e-8)
    # Beyond delta the gradient is capped: an outlier pulls no harder than delta.
    _, far = huber.forward(np.zeros((1, 1)), np.array([[-50.0]]))
    assert float(huber.backward(np.ones(1), far)[0, 0]) == -delta


def test_huber_rejects_a_non_positive_delta():
    with pytest.raises(ValueError, match="Huber 'huber_loss': delta must be positive, got 0"):
        Huber(0)


def test_log_cosh_is_quadratic_near_zero_and_linear_far_away():
    y_pred = np.array([[1e-3], [30.0], [-1e4]])
    value = per_sample(LogCosh(), np.zeros((3, 1)), y_pred)
    np.testing.assert_allclose(value, [0.5e-6, 30 - math.log(2), 1e4 - math.log(2)], rtol=1e-6)


def test_binary_crossentropy_values_and_label_smoothing():
    y_true, p = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(per_sample(BinaryCrossentropy(), y_true, p), [0.9163, 0.7136],
                               atol=1e-4)  # Keras's documented values
    smoothed = BinaryCrossentropy(label_smoothing=0.2, dtype="float64")
    # Labels 0 and 1 become 0.1 and 0.9, so the best probability is 0.9, not 1.
    candidates = np.linspace(0.5, 0.999, 500)[:, None]
    values = per_sample(smoothed, np.ones_like(candidates), candidates)
    assert candidates[np.argmin(values), 0] == pytest.approx(0.9, abs=1e-3)


def test_binary_crossentropy_from_logits_matches_sigmoid_then_probabilities():
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(4, 3)), rng.integers(0, 2, size=(4, 3)).astype(float)
    p = 1 / (1 + np.exp(-z))
    logits = BinaryCrossentropy(from_logits=True, dtype="float64")
    probs = BinaryCrossentropy(dtype="float64")
    value_z, cache_z = logits.forward(y, z)
    value_p, cache_p = probs.forward(y, p)
    assert float(value_z) == pytest.approx(float(value_p), rel=1e-12)
    # Chain rule through the sigmoid: dL/dz = dL/dp * p (1 - p) = (p - y) / size.
    np.testing.assert_allclose(logits.backward(1.0, cache_z),
                               probs.backward(1.0, cache_p) * p * (1 - p), atol=1e-12)
    np.testing.assert_allclose(logits.backward(1.0, cache_z), (p - y) / y.size, atol=1e-12)


def test_binary_crossentropy_averages_over_its_axis():
    y, p = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]), np.full((2, 3), 0.7)
    along_0 = per_sample(BinaryCrossentropy(axis=0), y, p)
    assert along_0.shape == (3,)
    elementwise = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(along_0, elementwise.mean(axis=0))


def test_categorical_crossentropy_along_another_axis():
    rng = np.random.default_rng(4)
    y_true = np.moveaxis(np.eye(3)[rng.integers(0, 3, size=(2, 4))], -1, 1)  # (2, 3, 4)
    logits = rng.normal(size=(2, 3, 4))
    along_1 = CategoricalCrossentropy(from_logits=True, axis=1, reduction="none",
                                      dtype="float64")
    last = CategoricalCrossentropy(from_logits=True, reduction="none", dtype="float64")
    np.testing.assert_allclose(along_1(y_true, logits),
                               last(np.moveaxis(y_true, 1, -1), np.moveaxis(logits, 1, -1)))


@pytest.mark.parametrize("label_smoothing", [-0.1, 1.5])
@pytest.mark.parametrize("cls", [BinaryCrossentropy, CategoricalCrossentropy])
def test_label_smoothing_outside_zero_one_is_rejected(cls, label_smoothing):
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\]"):
        cls(label_smoothing=label_smoothing)


def test_kl_divergence_is_crossentropy_minus_entropy_and_clips_both_sides():
    rng = np.random.default_rng(5)
    y = np.exp(losses.log_softmax(rng.normal(size=(3, 4))))
    q = np.exp(losses.log_softmax(rng.normal(size=(3, 4))))
    entropy = -(y * np.log(y)).sum(axis=-1)
    crossentropy = per_sample(CategoricalCrossentropy(), y, q)
    np.testing.assert_allclose(per_sample(KLDivergence(), y, q), crossentropy - entropy,
                               rtol=1e-10)
    assert float(KLDivergence(dtype="float64")(y, y)) == pytest.approx(0.0, abs=1e-15)
    # A zero target is clipped to 1e-7; a zero prediction against target 1 costs -log(1e-7).
    value = per_sample(KLDivergence(), np.array([[0.0, 1.0]]), np.array([[0.5, 0.0]]))
    expected = 1e-7 * math.log(1e-7 / 0.5) + math.log(1 / 1e-7)
    assert float(value[0]) == pytest.approx(expected)


def test_hinge_converts_zero_one_labels_only_when_all_are():
    scores = np.array([[0.3], [-2.0]])
    assert float(Hinge()(np.array([[1.0], [0.0]]), scores)) == pytest.approx((0.7 + 0.0) / 2)
    assert float(Hinge()(np.array([[1.0], [-1.0]]), scores)) == pytest.approx(0.35)


@pytest.mark.parametrize("labels, values", [
    ([0.0, 1.0, 2.0], "0, 1, 2"),    # class indices
    ([1.0, 0.5, 1.0], "0.5, 1"),     # soft labels (Keras takes them as they are)
    ([-1.0, 0.0, 1.0], "-1, 0, 1"),  # the two conventions mixed
])
def test_hinge_refuses_labels_that_are_not_binary(labels, values):
    with pytest.raises(ValueError, match=rf"Hinge 'hinge': labels must be -1 or 1, or all 0 or 1 "
                                         rf"\(read as -1 and 1\), got the values {values}\. The "
                                         rf"hinge is a binary loss; integer class labels: use "
                                         rf"sparse_categorical_crossentropy"):
        Hinge()(np.array(labels)[:, None], np.zeros((3, 1)))


def test_hinge_gradient_is_zero_beyond_the_margin():
    hinge = Hinge(reduction="sum", dtype="float64")
    y_true, scores = np.array([[1.0, -1.0, 1.0]]), np.array([[2.0, -0.5, 0.2]])
    _, cache = hinge.forward(y_true, scores)
    np.testing.assert_allclose(hinge.backward(1.0, cache), [[0.0, 1 / 3, -1 / 3]])


def test_best_constant_prediction_is_the_mean_for_mse_and_the_median_for_mae():
    targets = np.array([1.0, 2.0, 3.0, 4.0, 100.0])[:, None]
    constants = np.linspace(0, 100, 10001)

    def best(loss):
        return constants[np.argmin([float(loss(targets, np.full_like(targets, c)))
                                    for c in constants])]
    assert best(MeanSquaredError(dtype="float64")) == pytest.approx(targets.mean())
    assert best(MeanAbsoluteError(dtype="float64")) == pytest.approx(np.median(targets))


# -- labels and predictions outside a loss's domain ----------------------------------------

def test_binary_crossentropy_refuses_class_indices_as_labels():
    labels = np.arange(10.0)[:, None]  # digits 0..9
    with pytest.raises(ValueError, match=r"BinaryCrossentropy 'binary_crossentropy': y_true "
                                         r"\(labels\) must be in \[0, 1\], got 2 at index "
                                         r"\(2, 0\) \(values from 0 to 9\)\. Integer class "
                                         r"labels: use sparse_categorical_crossentropy"):
        BinaryCrossentropy()(labels, np.full((10, 1), 0.5))
    # Soft labels inside [0, 1] are labels too.
    assert np.isfinite(BinaryCrossentropy()([[0.2], [0.9]], [[0.5], [0.5]]))


@pytest.mark.parametrize("loss, y_true, message", [
    (BinaryCrossentropy(), np.ones((2, 2)),
     r"y_pred \(probabilities\) must be in \[0, 1\], got -1\.5 at index \(0, 0\) \(values "
     r"from -1\.5 to 2\)\. For scores \(logits\) use from_logits=True, or end the model with "
     r"a sigmoid\. The order is loss\(y_true, y_pred\)\."),
    (CategoricalCrossentropy(), np.eye(2),
     r"y_pred \(probabilities, rescaled to sum to one\) must be >= 0, got -1\.5 at index "
     r"\(0, 0\) .* use from_logits=True, or end the model with a softmax"),
    (SparseCategoricalCrossentropy(), np.array([0, 1]),
     r"y_pred \(probabilities, rescaled to sum to one\) must be >= 0, got -1\.5 .* use "
     r"from_logits=True"),
    (KLDivergence(), np.eye(2),
     r"y_pred \(a probability distribution\) must be >= 0, got -1\.5 .* apply a softmax"),
])
def test_probability_losses_refuse_scores_and_say_what_to_do(loss, y_true, message):
    scores = np.array([[-1.5, 2.0], [0.3, 0.7]])  # logits, most likely
    with pytest.raises(ValueError, match=f"'{loss.name}': {message}"):
        loss(y_true, scores)
    if hasattr(loss, "from_logits"):
        logits = type(loss)(from_logits=True)
        assert np.isfinite(logits(y_true, scores))


def test_categorical_crossentropy_still_rescales_positive_outputs():
    """Outputs above 1 are no error: Keras rescales each row to sum to one."""
    assert float(CategoricalCrossentropy()([[0.0, 1.0]], [[1.0, 3.0]])) == \
        pytest.approx(-math.log(0.75))


@pytest.mark.parametrize("loss", [BinaryCrossentropy(), CategoricalCrossentropy(),
                                  KLDivergence()], ids=lambda loss: loss.name)
def test_nan_predictions_pass_the_checks(loss):
    """A diverged model's NaN reaches the loss, whose NaN value ``TerminateOnNaN`` sees."""
    y_pred = np.array([[np.nan, 0.5], [0.5, 0.5]])
    with np.errstate(invalid="ignore"):
        assert np.isnan(loss(np.eye(2), y_pred))


@pytest.mark.parametrize("loss, y_true, y_pred, message", [
    # Integer labels given to the categorical losses: the sparse loss.
    (CategoricalCrossentropy(), np.array([0, 2]), CCE_PRED,
     r"got \(2,\) and \(2, 3\)\. Integer class labels: use sparse_categorical_crossentropy"),
    (CategoricalCrossentropy(), np.array([[0], [2]]), CCE_PRED,
     r"got \(2, 1\) and \(2, 3\)\. Integer class labels: use sparse_categorical_crossentropy"),
    (BinaryCrossentropy(), np.array([0, 2]), CCE_PRED,
     r"got \(2,\) and \(2, 3\)\. Integer class labels: use sparse_categorical_crossentropy"),
    # One-hot or probability labels given to the sparse loss: the categorical loss.
    (SparseCategoricalCrossentropy(), CCE_TRUE, CCE_PRED,
     r"got \(2, 3\)\. Labels with the predictions' shape are one-hot or probabilities: use "
     r"categorical_crossentropy"),
    (SparseCategoricalCrossentropy(), np.array([0.2, 0.7]), CCE_PRED,
     r"labels must be whole numbers \(class indices\)\. Probabilities or soft labels: use "
     r"categorical_crossentropy"),
    # Labels and predictions swapped: the order.
    (SparseCategoricalCrossentropy(), CCE_PRED, np.array([1, 2]),
     r"y_pred has the shape of class labels for y_true: swapped\? The order is "
     r"loss\(y_true, y_pred\)\."),
    (CategoricalCrossentropy(), CCE_PRED, np.array([1, 2]),
     r"got \(2, 3\) and \(2,\)\. y_pred has the shape of class labels for y_true: swapped\? "
     r"The order is loss\(y_true, y_pred\)\."),
    (BinaryCrossentropy(), np.array([[0.9], [0.2]]), np.array([[1.0], [3.0]]),
     r"y_pred \(probabilities\) must be in \[0, 1\], got 3 .* The order is "
     r"loss\(y_true, y_pred\)\."),
])
def test_label_mix_ups_name_the_loss_to_use_or_the_order(loss, y_true, y_pred, message):
    with pytest.raises(ValueError, match=f"{type(loss).__name__} '{loss.name}': .*{message}"):
        loss(y_true, y_pred)


@pytest.mark.parametrize("weight", [2.0, np.float32(2.0), np.array(2.0), np.array([2.0])],
                         ids=["float", "numpy scalar", "0-d array", "(1,)"])
@pytest.mark.parametrize("entry", registry.entries("loss"), ids=lambda e: e.name)
def test_a_scalar_sample_weight_scales_every_loss(entry, weight):
    with floatx_scope("float64"):
        loss, (y_true, y_pred) = entry.cls.gradient_check_sample(np.random.default_rng(9))
    value, cache = loss.forward(y_true, y_pred)
    weighted, weighted_cache = loss.forward(y_true, y_pred, sample_weight=weight)
    assert float(weighted) == pytest.approx(2 * float(value))
    np.testing.assert_allclose(loss.backward(1.0, weighted_cache), 2 * loss.backward(1.0, cache))


@pytest.mark.parametrize("entry", registry.entries("loss"), ids=lambda e: e.name)
def test_float16_losses_compute_in_float32_and_return_float16(entry):
    loss64, (y_true, y_pred) = entry.cls.gradient_check_sample(np.random.default_rng(10))
    config = {k: v for k, v in loss64.get_config().items() if k != "dtype"}
    loss16 = type(loss64)(**config, dtype="float16")
    assert loss16.compute_dtype == np.float32
    value, cache = loss16.forward(y_true, y_pred)
    grad = loss16.backward(1.0, cache)
    assert value.dtype == np.float16 and grad.dtype == np.float16
    # The float16 inputs' exact loss, rounded once to float16.
    exact = type(loss64)(**config, dtype="float64")(
        y_true if isinstance(loss16, SparseCategoricalCrossentropy) else
        np.asarray(y_true, np.float16), np.asarray(y_pred, np.float16))
    assert float(value) == pytest.approx(float(exact), rel=1e-3)


# -- gradients of every option, reduction and weighting ------------------------------------

GRADIENT_VARIANTS = [
    (Huber, {"delta": 0.5}), (BinaryCrossentropy, {"label_smoothing": 0.2}),
    (BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1}),
    (CategoricalCrossentropy, {"label_smoothing": 0.2}),
    (CategoricalCrossentropy, {"from_logits": True}),
    (SparseCategoricalCrossentropy, {"from_logits": True}),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none",
                                       "mean_with_sample_weight"])
@pytest.mark.parametrize("cls, options", [(entry.cls, {}) for entry in registry.entries("loss")]
                         + GRADIENT_VARIANTS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_gradients_with_options_reductions_weights_and_masks(cls, options, reduction):
    with floatx_scope("float64"):
        _, (y_true, y_pred) = cls.gradient_check_sample(np.random.default_rng(6))
        if options.get("from_logits"):
            y_pred = np.log(y_pred)
        loss = cls(**options, reduction=reduction)
    n = len(y_pred)
    rng = np.random.default_rng(7)
    weights, mask = rng.uniform(0.5, 2.0, size=n), np.arange(n) % 3 != 1

    def forward(p):
        return loss.forward(y_true, p, weights, mask)[0]

    def backward(d_loss, p):
        return loss.backward(d_loss, loss.forward(y_true, p, weights, mask)[1])

    report = check_gradients((forward, backward), y_pred)
    assert report.max_relative_error < 1e-6, repr(report)


# -- masks -------------------------------------------------------------------------------

SEQ_TRUE = np.arange(24, dtype=float).reshape(2, 4, 3) / 10
SEQ_PRED = SEQ_TRUE + np.linspace(-1, 1, 24).reshape(2, 4, 3)
SEQ_MASK = np.array([[True, True, True, False], [True, False, False, False]])


def test_mask_averages_over_the_valid_positions_only():
    losses_ = per_sample(MeanSquaredError(), SEQ_TRUE, SEQ_PRED)  # (2, 4)
    value = MeanSquaredError(dtype="float64")(SEQ_TRUE, SEQ_PRED, mask=SEQ_MASK)
    assert float(value) == pytest.approx(losses_[SEQ_MASK].mean())
    # Padding values do not matter at all.
    changed = SEQ_PRED.copy()
    changed[~SEQ_MASK] = 1e6
    assert float(MeanSquaredError(dtype="float64")(SEQ_TRUE, changed, mask=SEQ_MASK)) == \
        pytest.approx(float(value))


def test_mask_multiplies_the_sample_weights():
    weights = np.array([[1.0, 2.0, 0.5, 3.0], [0.5, 1.0, 1.0, 1.0]])
    losses_ = per_sample(MeanSquaredError(), SEQ_TRUE, SEQ_PRED)
    weighted = (losses_ * weights)[SEQ_MASK]
    mse = {r: MeanSquaredError(reduction=r, dtype="float64") for r in
           ("sum_over_batch_size", "sum", "mean_with_sample_weight", "none")}
    assert float(mse["sum_over_batch_size"](SEQ_TRUE, SEQ_PRED, weights, SEQ_MASK)) == \
        pytest.approx(weighted.sum() / SEQ_MASK.sum())
    assert float(mse["sum"](SEQ_TRUE, SEQ_PRED, weights, SEQ_MASK)) == \
        pytest.approx(weighted.sum())
    assert float(mse["mean_with_sample_weight"](SEQ_TRUE, SEQ_PRED, weights, SEQ_MASK)) == \
        pytest.approx(weighted.sum() / weights[SEQ_MASK].sum())
    none = mse["none"](SEQ_TRUE, SEQ_PRED, weights, SEQ_MASK)
    np.testing.assert_allclose(none, np.where(SEQ_MASK, losses_ * weights, 0))


def test_masked_positions_get_no_gradient():
    loss = MeanSquaredError(dtype="float64")
    _, cache = loss.forward(SEQ_TRUE, SEQ_PRED, mask=SEQ_MASK)
    grad = loss.backward(1.0, cache)
    assert np.all(grad[~SEQ_MASK] == 0) and np.all(grad[SEQ_MASK] != 0)
    # The gradient of the mean over the 4 valid positions of 3 values each.
    np.testing.assert_allclose(grad[SEQ_MASK], 2 * (SEQ_PRED - SEQ_TRUE)[SEQ_MASK] / (4 * 3))


def test_everything_masked_gives_zero_and_no_nan():
    loss = CategoricalCrossentropy(dtype="float64")
    mask = np.zeros(2, dtype=bool)
    with no_floating_point_trouble():
        value, cache = loss.forward(CCE_TRUE, CCE_PRED, mask=mask)
        grad = loss.backward(1.0, cache)
    assert float(value) == 0.0 and np.all(grad == 0.0)


def test_mask_accepts_zeros_and_ones_and_a_trailing_axis():
    as_bool = MeanSquaredError()(SEQ_TRUE, SEQ_PRED, mask=SEQ_MASK)
    assert MeanSquaredError()(SEQ_TRUE, SEQ_PRED, mask=SEQ_MASK.astype(int)) == as_bool
    assert MeanSquaredError()(SEQ_TRUE, SEQ_PRED, mask=SEQ_MASK[..., None]) == as_bool


def test_mask_of_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"MeanSquaredError 'mean_squared_error': mask of shape "
                                         r"\(4, 2\) does not fit per-sample losses of shape "
                                         r"\(2, 4\)"):
        MeanSquaredError()(SEQ_TRUE, SEQ_PRED, mask=SEQ_MASK.T)


def test_ignore_class_masks_its_positions():
    rng = np.random.default_rng(8)
    tokens = np.array([[3, 1, 0, 0], [2, 2, 1, 0]])
    logits = rng.normal(size=(2, 4, 4))
    ignoring = SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, dtype="float64")
    plain = SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    value, cache = ignoring.forward(tokens, logits)
    assert float(value) == pytest.approx(float(plain(tokens, logits, mask=tokens != 0)))
    grad = ignoring.backward(1.0, cache)
    assert np.all(grad[tokens == 0] == 0)
    # Labels outside [0, K) are fine where they are ignored (-1 marks padding here).
    padded = np.where(tokens == 0, -1, tokens)
    minus_one = SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, dtype="float64")
    assert float(minus_one(padded, logits)) == pytest.approx(float(value))
    # And a mask given as well is combined with it.
    mask = np.array([[True, False, True, True], [True, True, True, True]])
    assert float(ignoring(tokens, logits, mask=mask)) == pytest.approx(
        float(plain(tokens, logits, mask=mask & (tokens != 0))))


# -- sample weights ------------------------------------------------------------------------

@pytest.mark.parametrize("weights", [2.0, [2.0, 2.0, 2.0], [[2.0], [2.0], [2.0]]],
                         ids=["scalar", "(n,)", "(n, 1)"])
def test_sample_weight_shapes_keras_accepts(weights):
    y_true, y_pred = np.zeros((3, 2)), np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    assert float(MeanSquaredError(reduction="sum")(y_true, y_pred, weights)) == \
        pytest.approx(2 * (1 + 2 + 4.5))


def test_sample_weight_for_sequences():
    losses_ = per_sample(MeanSquaredError(), SEQ_TRUE, SEQ_PRED)  # (2, 4)
    mse = MeanSquaredError(reduction="sum", dtype="float64")
    per_step = np.arange(8.0).reshape(2, 4)
    assert float(mse(SEQ_TRUE, SEQ_PRED, per_step)) == pytest.approx((losses_ * per_step).sum())
    per_sample_column = np.array([[1.0], [3.0]])
    assert float(mse(SEQ_TRUE, SEQ_PRED, per_sample_column)) == pytest.approx(
        (losses_ * per_sample_column).sum())
    # (n,) against losses (n, T): Keras broadcasts from the right and fails; so does nnlib,
    # saying what would fit.
    with pytest.raises(ValueError, match=r"sample_weight of shape \(2,\) does not fit "
                                         r"per-sample losses of shape \(2, 4\) \(one weight "
                                         r"per sample: shape \(2, 1\)\)"):
        mse(SEQ_TRUE, SEQ_PRED, np.ones(2))


def test_mean_with_sample_weight_divides_by_the_weights():
    y_true, y_pred = np.zeros((3, 2)), np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    loss = MeanSquaredError(reduction="mean_with_sample_weight", dtype="float64")
    assert float(loss(y_true, y_pred, [1.0, 3.0, 0.0])) == pytest.approx((1 + 6) / 4)
    assert float(loss(y_true, y_pred, 0.5)) == pytest.approx((1 + 2 + 4.5) / 3)
    assert float(loss(y_true, y_pred, [0.0, 0.0, 0.0])) == 0.0
    assert float(loss(y_true, y_pred)) == pytest.approx((1 + 2 + 4.5) / 3)
    mean = MeanSquaredError(reduction="mean", dtype="float64")
    assert float(mean(y_true, y_pred)) == float(MeanSquaredError(dtype="float64")(y_true, y_pred))


def test_reduction_none_returns_weighted_per_sample_losses_and_takes_their_gradient():
    loss = CategoricalCrossentropy(reduction=None, dtype="float64")
    value, cache = loss.forward(CCE_TRUE, CCE_PRED, sample_weight=[2.0, 0.0])
    np.testing.assert_allclose(value, [2 * 0.0513, 0.0], atol=1e-4)
    grad = loss.backward(np.array([1.0, 1.0]), cache)
    assert np.all(grad[1] == 0) and grad[0, 1] == pytest.approx(2 * (-1 / 0.95 + 1))


def test_get_config_of_each_option():
    assert Huber(0.5).get_config()["delta"] == 0.5
    assert BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=0).get_config() == {
        "reduction": "sum_over_batch_size", "name": "binary_crossentropy", "dtype": "float32",
        "from_logits": True, "label_smoothing": 0.1, "axis": 0}
    assert SparseCategoricalCrossentropy(ignore_class=0).get_config() == {
        "reduction": "sum_over_batch_size", "name": "sparse_categorical_crossentropy",
        "dtype": "float32", "from_logits": False, "axis": -1, "ignore_class": 0}
    assert repr(LogCosh()) == "LogCosh(reduction='sum_over_batch_size', name='log_cosh', " \
                              "dtype='float32')"

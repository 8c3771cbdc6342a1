"""Numerics: no NaN, and no inf that the exact result does not call for, from any
activation or loss, in every float type.

Generated from the registry: every registered activation and loss, with its
constructor's defaults, each of its boolean options flipped
(``approximate=True``, ``from_logits=True``), its ``gradient_check_sample``
instance and the few numeric options in ``VARIANTS``, in float16, float32 and
float64.  The inputs sweep zero, the smallest subnormal and normal numbers,
ordinary values, the thresholds where an exponential, a cube or a square
overflows, and powers of ten up to each type's limit (float16 6e4; float32 and
float64 1e30), of both signs; losses also get predictions of exactly 0 and 1,
all-zero probability rows and labels at both ends of their range.

For each input the forward value and the backward gradient (``backward`` of
ones for an activation, ``backward(1.0, cache)`` for a loss) are computed with
NumPy's floating-point errors raised, and checked against the exact value: the
same computation in float64 on the same (rounded) inputs.

* No NaN, ever.
* An inf only where the exact value overflows the type: the MSE of 1e30 in
  float32 is rightly inf (1e60), a softplus of 1e30 is not.  Every exact value
  of the sweep fits in float64, so a float64 result has no inf at all.
* A warning from NumPy (overflow, invalid, division by zero) only in a call
  whose result has such a legitimate inf: a finite result computed through an
  overflowing intermediate is a bug waiting for the next input.
"""
import inspect
import math
import warnings

import numpy as np
import pytest

from nnlib import registry
from nnlib.activations import ELU, GELU, Softplus
from nnlib.losses import (BinaryCrossentropy, CategoricalCrossentropy, Hinge, Huber,
                          KLDivergence, LogCosh, MeanAbsoluteError, MeanSquaredError,
                          SparseCategoricalCrossentropy)

LIMITS = {"float16": 6e4, "float32": 1e30, "float64": 1e30}
DTYPES = list(LIMITS)

# Non-default numeric options, swept like the defaults.
VARIANTS = [ELU(alpha=2.0), Huber(delta=0.1), BinaryCrossentropy(label_smoothing=0.1),
            CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)]


def magnitudes(dtype, smallest=True, decades=1):
    """Zero, the smallest subnormal and normal numbers (``smallest``), ordinary
    values, the overflow thresholds of ``exp``, cubes and squares (just below and
    above), and powers of ten (every ``decades``-th) up to the type's limit."""
    info, limit = np.finfo(dtype), LIMITS[dtype]
    thresholds = [math.log(info.max), float(info.max) ** (1 / 3), math.sqrt(info.max)]
    values = [1e-3, 0.5, 1.0, 3.0, 10.0, 30.0, 100.0, limit]
    values += [10.0 ** k for k in range(3, int(math.log10(limit)) + 1, decades)]
    values += [t * f for t in thresholds for f in (0.99, 1.01)]
    if smallest:
        values += [info.smallest_subnormal, info.tiny]
    kept = np.unique(np.array([v for v in values if v <= limit], dtype=dtype))
    return np.concatenate([[0.0], kept]).astype(dtype)


def signed(dtype, **kwargs):
    """``magnitudes`` with both signs, from the most negative to the largest."""
    m = magnitudes(dtype, **kwargs)
    return np.concatenate([-m[:0:-1], m])


# -- the check -----------------------------------------------------------------------------

def computed(compute):
    """``compute()`` with NumPy's floating-point errors raised, and the error
    (``None`` if there was none); after an error, the result computed without
    raising."""
    try:
        with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")
            return compute(), None
    except FloatingPointError as error:
        with np.errstate(all="ignore"):
            return compute(), error


def assert_sound(result, exact, error, what):
    """No NaN; an inf only where ``exact`` (float64) overflows ``result``'s type;
    a NumPy error only in a result that holds such an inf."""
    result = np.atleast_1d(result)
    exact = np.broadcast_to(np.asarray(exact, np.float64), result.shape)
    assert np.isfinite(exact).all(), f"{what}: the float64 value itself is not finite"
    nan = np.argwhere(np.isnan(result))
    assert not nan.size, f"{what}: NaN at {tuple(nan[0])}, where the exact value is " \
                         f"{exact[tuple(nan[0])]:.6g}"
    with np.errstate(over="ignore"):
        overflows = np.isinf(exact.astype(result.dtype))
    spurious = np.argwhere(np.isinf(result) & ~overflows)
    assert not spurious.size, f"{what}: inf at {tuple(spurious[0])}, where the exact value " \
                              f"is {exact[tuple(spurious[0])]:.6g}"
    assert error is None or np.isinf(result).any(), \
        f"{what}: NumPy raised {error!r} on the way to a finite result"


# -- the components: defaults, flipped boolean options, samples, VARIANTS -------------------

def variants(entry):
    """The instances of ``entry`` to sweep, each once."""
    found = [entry.cls()]
    for name, parameter in inspect.signature(entry.cls).parameters.items():
        if isinstance(parameter.default, bool):
            found.append(entry.cls(**{name: not parameter.default}))
    found.append(entry.cls.gradient_check_sample(np.random.default_rng(0))[0])
    found += [v for v in VARIANTS if type(v) is entry.cls]
    return list({repr(v): v for v in found}.values())


def cases(kind):
    return [pytest.param(v, dtype, id=f"{v!r}-{dtype}")
            for entry in registry.entries(kind) for v in variants(entry) for dtype in DTYPES]


# -- activations -------------------------------------------------------------------------

def activation_inputs(dtype):
    """The signed sweep as one row, then the rows a softmax finds hardest:
    constant at either limit, alternating limits, zeros."""
    row, limit = signed(dtype), LIMITS[dtype]
    alternating = np.where(np.arange(row.size) % 2, limit, -limit)
    rows = [row, np.full_like(row, limit), np.full_like(row, -limit), alternating,
            np.zeros_like(row)]
    return np.stack(rows).astype(dtype)


@pytest.mark.parametrize("activation, dtype", cases("activation"))
def test_activations_give_no_nan_and_no_spurious_inf(activation, dtype):
    x = activation_inputs(dtype)
    exact_y, exact_cache = activation.forward(x.astype(np.float64))
    exact_dx = activation.backward(np.ones_like(exact_y), exact_cache)
    (y, cache), error = computed(lambda: activation.forward(x))
    assert y.dtype == dtype
    assert_sound(y, exact_y, error, f"{activation!r} forward in {dtype}")
    dx, error = computed(lambda: activation.backward(np.ones_like(y), cache))
    assert dx.dtype == dtype
    assert_sound(dx, exact_dx, error, f"{activation!r} backward in {dtype}")


# -- losses ------------------------------------------------------------------------------

def real_batches(dtype, from_logits):
    """Labels and predictions both from the signed sweep (every third power of
    ten): two samples of two values, so that the mean over the last axis and
    the sum over the batch each see two equal terms."""
    values = signed(dtype, decades=3)
    for a in values:
        for b in values:
            yield [[a, a], [a, 0]], [[b, b], [b, 0]]


def hinge_batches(dtype, from_logits):
    """Labels -1/1 and 0/1 against scores from the signed sweep."""
    for labels in ([[1, -1], [-1, 1]], [[1, 0], [0, 1]]):
        for b in signed(dtype):
            yield labels, [[b, b], [b, -b]]


def probabilities(dtype):
    """0 and 1 exactly, the numbers next to them, the clipping bound 1e-7 on both
    sides, and ordinary probabilities."""
    below_one = np.nextafter(np.array(1.0, dtype), np.array(0.0, dtype))
    values = [0.0, np.finfo(dtype).smallest_subnormal, np.finfo(dtype).tiny, 1e-8, 1e-7,
              1e-3, 0.5, 1 - 1e-7, 1 - 1e-3, below_one, 1.0]
    return np.unique(np.array(values, dtype=dtype))


def binary_batches(dtype, from_logits):
    """Labels 0, 1 and 1/2 against probabilities (or logits from the sweep)."""
    predictions = signed(dtype) if from_logits else probabilities(dtype)
    for p in predictions:
        yield [[0.0, 1.0, 0.5]] * 2, [[p, p, p], [p, p, p]]


def probability_rows(dtype):
    """Rows that a probability loss must survive: all zero (a ReLU output), one
    class certain, the smallest numbers, the clipping bound, rows at the limit
    (rescaled to sum to one), an ordinary distribution."""
    info, limit = np.finfo(dtype), LIMITS[dtype]
    rows = [[0, 0, 0], [1, 0, 0], [0, 0, 1], [info.tiny, 0, 0], [info.tiny] * 3,
            [info.smallest_subnormal, 1, 0], [1e-7, 1 - 1e-7, 0], [limit] * 3,
            [limit, 0, 0], [limit, info.tiny, 0], [0.2, 0.3, 0.5], [0.5, 0.5, 0]]
    return np.array(rows, dtype=dtype)


def logit_rows(dtype):
    """Every pair of values of the sweep (every third power of ten) in a row of
    three logits."""
    values = signed(dtype, smallest=False, decades=3)
    return np.array([[a, b, -a] for a in values for b in values], dtype=dtype)


def rows_against(labels, rows):
    """Each prediction row, repeated for each label."""
    for row in rows:
        yield labels, np.repeat(row[None], len(labels), axis=0)


def categorical_batches(dtype, from_logits):
    """One-hot labels of the first and last class and a uniform distribution."""
    labels = np.array([[1, 0, 0], [0, 0, 1], [1 / 3] * 3])
    return rows_against(labels, logit_rows(dtype) if from_logits else probability_rows(dtype))


def sparse_batches(dtype, from_logits):
    """Labels of the first and the last class."""
    return rows_against(np.array([0, 2]),
                        logit_rows(dtype) if from_logits else probability_rows(dtype))


def distribution_batches(dtype, from_logits):
    """Target distributions with zeros and ones."""
    return rows_against(np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 0, 1]]), probability_rows(dtype))


# The inputs each registered loss is swept with: a new loss needs its entry.
LOSS_INPUTS = {MeanSquaredError: real_batches, MeanAbsoluteError: real_batches,
               Huber: real_batches, LogCosh: real_batches, Hinge: hinge_batches,
               BinaryCrossentropy: binary_batches, CategoricalCrossentropy: categorical_batches,
               SparseCategoricalCrossentropy: sparse_batches, KLDivergence: distribution_batches}


def loss_batches(loss, dtype):
    """The (labels, predictions) batches that ``loss`` is swept with."""
    return LOSS_INPUTS[type(loss)](dtype, getattr(loss, "from_logits", False))


def test_every_registered_loss_has_its_inputs():
    assert {entry.cls for entry in registry.entries("loss")} <= set(LOSS_INPUTS)


def in_dtype(loss, dtype):
    return type(loss).from_config({**loss.get_config(), "dtype": dtype})


@pytest.mark.parametrize("loss, dtype", cases("loss"))
def test_losses_give_no_nan_and_no_spurious_inf(loss, dtype):
    loss, exact_loss = in_dtype(loss, dtype), in_dtype(loss, "float64")
    for y_true, y_pred in loss_batches(loss, dtype):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred, dtype)
        exact_value, exact_cache = exact_loss.forward(y_true, y_pred.astype(np.float64))
        exact_grad = exact_loss.backward(1.0, exact_cache)
        what = f"{loss!r} on y_true={y_true.tolist()}, y_pred={y_pred.tolist()}"
        (value, cache), error = computed(lambda: loss.forward(y_true, y_pred))
        assert value.dtype == dtype
        assert_sound(value, exact_value, error, f"{what}: value")
        grad, error = computed(lambda: loss.backward(1.0, cache))
        assert grad.dtype == dtype
        assert_sound(grad, exact_grad, error, f"{what}: gradient")


# -- the check itself, and a few exact values from Python's math ---------------------------

def test_the_check_tells_an_overflow_from_a_bug():
    with np.errstate(over="ignore"):
        mse = MeanSquaredError(dtype="float32")(np.zeros((1, 1)), np.full((1, 1), 1e30))
    assert np.isinf(mse) and (1e30) ** 2 > float(np.finfo(np.float32).max)  # Python's floats
    assert_sound(mse, 1e60, None, "mse")  # a legitimate inf passes...
    with pytest.raises(AssertionError, match="inf at"):
        assert_sound(np.float32(np.inf), 1e30, None, "softplus")  # ...a spurious one fails
    with pytest.raises(AssertionError, match="NaN at"):
        assert_sound(np.array([np.nan], np.float32), [0.0], None, "gelu")
    with pytest.raises(AssertionError, match="on the way to a finite result"):
        assert_sound(np.float32(0.0), 0.0, FloatingPointError("overflow"), "softsign")


@pytest.mark.parametrize("x", [6e4, 1e20, 1e30], ids=["float16-limit", "1e20", "1e30"])
@pytest.mark.parametrize("activation", [GELU(approximate=True), GELU(), Softplus()], ids=repr)
def test_large_inputs_give_their_exact_values(activation, x):
    """x Phi(x) and log(1 + e^x) are x, then 0, with slopes 1 and 0, to every
    precision: in float16 at its limit, and at 1e20 (the tanh GELU's gradient was
    NaN there in float32) and 1e30."""
    dtype = "float16" if x == 6e4 else "float32"
    x = np.array([x, -x], dtype)
    (y, cache), error = computed(lambda: activation.forward(x))
    dx, backward_error = computed(lambda: activation.backward(np.ones_like(y), cache))
    assert error is None and backward_error is None
    np.testing.assert_array_equal(y, [x[0], 0.0])
    np.testing.assert_array_equal(dx, [1.0, 0.0])


def test_a_mean_squared_error_that_fits_is_finite():
    """Errors of 2e19 and 0 in float32: the square 4e38 exceeds float32's range
    (3.4e38), the mean 2e38 does not (Python's floats say so)."""
    error = 2e19
    assert error ** 2 > float(np.finfo(np.float32).max) > error ** 2 / 2
    mse = MeanSquaredError(dtype="float32")
    (value, cache), error_raised = computed(lambda: mse.forward([[0.0, 0.0]], [[2e19, 0.0]]))
    assert error_raised is None
    assert float(value) == pytest.approx(2e38, rel=1e-6)
    np.testing.assert_allclose(mse.backward(1.0, cache), [[2e19, 0.0]], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_crossentropy_of_an_all_zero_row(dtype):
    """A ReLU output of zeros: the loss of a zero probability for the true class,
    -log(1e-7), with a zero gradient (the clip is active everywhere)."""
    loss = CategoricalCrossentropy(dtype=dtype)
    (value, cache), error = computed(lambda: loss.forward([[0, 1, 0]], np.zeros((1, 3))))
    grad, backward_error = computed(lambda: loss.backward(1.0, cache))
    assert error is None and backward_error is None
    assert float(value) == pytest.approx(-math.log(1e-7), rel=1e-3)
    np.testing.assert_array_equal(grad, 0.0)


def test_float16_binary_crossentropy_at_one():
    """1 - 1e-7 rounds to 1 in float16; float16 losses compute in float32, where
    the clipping bound is representable: -log(1 - (1 - 1e-7)) in float32."""
    loss = BinaryCrossentropy(dtype="float16")
    (value, cache), error = computed(lambda: loss.forward([[0.0, 1.0]], [[1.0, 1.0]]))
    grad, backward_error = computed(lambda: loss.backward(1.0, cache))
    assert error is None and backward_error is None
    bound = 1 - float(np.float32(1 - 1e-7))  # 2**-23 below one
    assert float(value) == pytest.approx(-math.log(bound) / 2, rel=1e-3)
    assert value.dtype == np.float16 and np.isfinite(grad).all()

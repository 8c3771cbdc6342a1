"""The dropout family: statistics of the noise, the structure of the spatial
masks, the identity at inference, the backward pass, seeds, refusals and configs.

Statistical tolerances.  Each statistic is an average over ``N = 10**5``
independent draws, so its standard error is known from the distribution
(``sd / sqrt(N)``; for a sample standard deviation of normal draws
``sd / sqrt(2 N)``, for a sample variance ``sqrt((mu_4 - sigma^4) / N)``) and
the tests allow ``Z = 5`` standard errors: a correct layer fails with
probability below 1e-6 per check, whatever the seed, while a wrong formula
(a missing ``1/(1-p)``, a variance instead of a standard deviation) is off by
tens or hundreds of standard errors.  The draws are seeded, so a run repeats.
"""
import json
import math
import re

import numpy as np
import pytest

from nnlib import Input, Model, Sequential
from nnlib.activations import SELU
from nnlib.backend import floatx_scope
from nnlib.layers import (AlphaDropout, Dense, Dropout, Embedding, GaussianDropout,
                          GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from nnlib.layers.dropout import RandomNoise
from nnlib.testing import check_gradients
from nnlib.utils import set_random_seed

N = 10 ** 5
Z = 5  # standard errors allowed


@pytest.fixture(autouse=True)
def seeded():
    set_random_seed(0)


def within(estimate, expected, standard_error, what):
    assert abs(estimate - expected) <= Z * standard_error, (
        f"{what}: {estimate:.6g}, expected {expected:.6g} within {Z} standard errors "
        f"({Z * standard_error:.3g})")


# -- statistics over many draws ----------------------------------------------------------

@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_dropout_drops_the_rate_and_keeps_the_mean(rate):
    x = np.ones((100, 1000), "float32")
    y = Dropout(rate)(x, training=True)
    dropped = y == 0
    # The fraction dropped: a mean of N Bernoulli(p), standard error sqrt(p(1-p)/N).
    within(dropped.mean(), rate, math.sqrt(rate * (1 - rate) / N), "fraction dropped")
    # Kept values are exactly x / (1 - p) ...
    np.testing.assert_array_equal(y[~dropped], np.float32(1) / np.float32(1 - rate))
    # ... so y = m / (1 - p), of mean 1 and variance p / (1 - p).
    within(y.mean(), 1.0, math.sqrt(rate / (1 - rate) / N), "mean of y")


def test_dropout_keeps_the_mean_of_varied_inputs():
    """E[y | x] = x value by value: the mean of y - x over N values is 0, with
    variance p/(1-p) x^2 per value."""
    rate, x = 0.4, np.random.default_rng(1).normal(size=(N,)).astype("float32")
    y = Dropout(rate)(x[:, None], training=True)[:, 0]
    se = math.sqrt(rate / (1 - rate) * np.mean(x.astype(float) ** 2) / N)
    within(float(np.mean(y - x)), 0.0, se, "mean of y - x")


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_gaussian_dropout_noise_has_mean_one_and_the_dropout_deviation(rate):
    x = np.ones((N, 1))
    noise = GaussianDropout(rate, dtype="float64")(x, training=True)[:, 0]
    sigma = math.sqrt(rate / (1 - rate))
    within(noise.mean(), 1.0, sigma / math.sqrt(N), "mean of the noise")
    within(noise.std(ddof=1), sigma, sigma / math.sqrt(2 * N), "std of the noise")
    assert np.all(noise != 0), "Gaussian dropout zeroes nothing"


@pytest.mark.parametrize("stddev", [0.05, 0.5, 1.0])
def test_gaussian_noise_is_additive_with_mean_zero(stddev):
    x = np.random.default_rng(2).normal(size=(N, 1))
    noise = (GaussianNoise(stddev, dtype="float64")(x, training=True) - x)[:, 0]
    within(noise.mean(), 0.0, stddev / math.sqrt(N), "mean of the noise")
    within(noise.std(ddof=1), stddev, stddev / math.sqrt(2 * N), "std of the noise")


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.3])
def test_alpha_dropout_keeps_mean_zero_and_variance_one(rate):
    """On standard-normal input (what SELU keeps), the output has mean 0 and
    variance 1; a dropped value is a alpha' + b with Keras's constants."""
    layer = AlphaDropout(rate, dtype="float64")
    x = np.random.default_rng(3).normal(size=(N, 1))
    y = layer(x, training=True)[:, 0]
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    assert layer.affine == pytest.approx((a, b), rel=1e-15)
    assert layer.dropped_value == pytest.approx(a * alpha_p + b, rel=1e-15)
    dropped = y == layer.dropped_value
    within(dropped.mean(), rate, math.sqrt(rate * (1 - rate) / N), "fraction dropped")
    np.testing.assert_allclose(y[~dropped], a * x[~dropped, 0] + b, rtol=1e-12)
    # Mean: variance 1 per value.  Variance: standard error from the sample's
    # fourth central moment, sqrt((mu_4 - sigma^4) / N).
    within(y.mean(), 0.0, 1 / math.sqrt(N), "mean of y")
    centred = y - y.mean()
    variance, mu_4 = float(np.mean(centred ** 2)), float(np.mean(centred ** 4))
    within(variance, 1.0, math.sqrt((mu_4 - variance ** 2) / N), "variance of y")


def test_alpha_dropout_keeps_selu_outputs_self_normalised():
    """The setting AlphaDropout is for: SELU of standard-normal values has mean 0 and
    variance 1 (to 1e-11, by quadrature: SELU's constants make it so), and so has
    AlphaDropout's output of it, within the standard errors of the sample."""
    z = SELU()(np.random.default_rng(4).normal(size=(N, 1)))
    y = AlphaDropout(0.1, dtype="float64")(z, training=True)
    centred = y - y.mean()
    variance, mu_4 = float(np.mean(centred ** 2)), float(np.mean(centred ** 4))
    within(float(y.mean()), 0.0, 1 / math.sqrt(N), "mean")
    within(variance, 1.0, math.sqrt((mu_4 - variance ** 2) / N), "variance")


# -- spatial dropout drops whole feature maps ---------------------------------------------

SPATIAL = [(SpatialDropout1D, {}, (64, 7, 16)),
           (SpatialDropout2D, {}, (32, 5, 6, 16)),
           (SpatialDropout2D, {"data_format": "channels_first"}, (32, 16, 5, 6)),
           (SpatialDropout3D, {}, (16, 3, 4, 5, 16)),
           (SpatialDropout3D, {"data_format": "channels_first"}, (16, 16, 3, 4, 5))]


@pytest.mark.parametrize("cls, options, shape", SPATIAL,
                         ids=[f"{c.__name__}-{o.get('data_format', 'channels_last')}"
                              for c, o, _ in SPATIAL])
def test_spatial_dropout_drops_whole_feature_maps(cls, options, shape):
    rate = 0.5
    x = np.random.default_rng(5).uniform(1, 2, size=shape).astype("float32")  # no zeros
    y = cls(rate, **options)(x, training=True)
    channels = 1 if options.get("data_format") == "channels_first" else len(shape) - 1
    spatial = tuple(axis for axis in range(1, len(shape)) if axis != channels)
    dropped = y == 0
    # Every value of a (sample, channel) map is dropped, or none is.
    all_dropped, any_dropped = dropped.all(axis=spatial), dropped.any(axis=spatial)
    np.testing.assert_array_equal(all_dropped, any_dropped)
    maps = all_dropped.size
    within(all_dropped.mean(), rate, math.sqrt(rate * (1 - rate) / maps), "maps dropped")
    np.testing.assert_allclose(y[~dropped], x[~dropped] / (1 - rate), rtol=1e-6)


def test_a_spatial_dropout_is_a_dropout_with_a_noise_shape():
    layer = SpatialDropout2D(0.3)
    assert isinstance(layer, Dropout) and isinstance(layer, RandomNoise)
    assert layer.noise_shape_for((8, 5, 6, 3)) == (8, 1, 1, 3)
    assert SpatialDropout3D(0.3, "channels_first").noise_shape_for((8, 3, 2, 2, 2)) == \
        (8, 3, 1, 1, 1)
    assert SpatialDropout1D(0.3).noise_shape_for((8, 10, 4)) == (8, 1, 4)


def test_dropout_with_a_noise_shape_shares_its_draws_along_the_axes_of_size_one():
    x = np.ones((50, 6, 8), "float32")
    y = Dropout(0.5, noise_shape=(None, 1, 8))(x, training=True)
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert 0 < (y == 0).mean() < 1
    y = Dropout(0.5, noise_shape=(1, 6, 1))(x, training=True)  # one mask for the batch
    np.testing.assert_array_equal(y, np.broadcast_to(y[:1, :, :1], y.shape))


# -- the identity at inference -----------------------------------------------------------

LAYERS = [lambda: Dropout(0.5), lambda: Dropout(0.5, noise_shape=(None, 1, 4)),
          lambda: SpatialDropout1D(0.5), lambda: AlphaDropout(0.5),
          lambda: GaussianDropout(0.5), lambda: GaussianNoise(0.5)]
INACTIVE = [lambda: Dropout(0.0), lambda: SpatialDropout1D(0), lambda: AlphaDropout(0.0),
            lambda: GaussianDropout(0.0), lambda: GaussianNoise(0.0)]


def layer_id(make):
    return repr(make().get_config())


@pytest.mark.parametrize("make", LAYERS, ids=layer_id)
def test_inference_gives_the_input_itself_and_an_identity_backward(make):
    layer = make()
    x = np.random.default_rng(6).normal(size=(3, 5, 4)).astype("float32")
    assert layer(x) is x
    assert layer(x, training=False) is x
    y, cache = layer.forward(x, training=False)
    dy = np.full_like(x, 3.0)
    assert y is x and layer.backward(dy, cache)[0] is dy
    assert layer.backward(dy, cache, need_dx=False) == (None, {})
    assert layer.count_params() == 0 and layer.weights == []


@pytest.mark.parametrize("make", INACTIVE, ids=layer_id)
def test_a_rate_of_zero_is_the_identity_in_training_too(make):
    x = np.random.default_rng(7).normal(size=(3, 5, 4)).astype("float32")
    y = make()(x, training=True)
    assert y is x
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("make", LAYERS, ids=layer_id)
def test_training_changes_the_values(make):
    x = np.random.default_rng(8).normal(size=(3, 5, 4)).astype("float32")
    y = make()(x, training=True)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert not np.array_equal(y, x)


def test_predict_and_evaluate_never_drop_and_fit_does():
    """With x = y = 1 every value of a training pass is 0 (dropped) or 2 (kept):
    an error of 1 either way, so the training loss is exactly 1, and exactly 0
    when nothing is dropped."""
    model = Sequential([Input((8,)), Dropout(0.5)])
    model.compile("sgd", "mse")
    x = np.ones((16, 8), "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert model.evaluate(x, x, verbose=0) == 0.0
    history = model.fit(x, x, epochs=2, batch_size=16, verbose=0)
    assert history.history["loss"] == [1.0, 1.0]
    assert model.train_on_batch(x, x) == 1.0
    assert model.evaluate(x, x, verbose=0) == 0.0


def test_monte_carlo_dropout_varies_only_in_training_mode():
    set_random_seed(1)
    model = Sequential([Input((10,)), Dense(32, activation="relu"), Dropout(0.5), Dense(1)])
    x = np.random.default_rng(9).normal(size=(4, 10))
    inference = [model(x) for _ in range(3)]
    for y in inference[1:]:
        np.testing.assert_array_equal(y, inference[0])
    np.testing.assert_array_equal(model.predict(x, verbose=0), inference[0])
    samples = np.stack([model(x, training=True) for _ in range(400)]).astype(float)
    assert np.all(samples.std(axis=0) > 0), "every prediction varies over the MC samples"
    # Only a linear layer follows the dropout, so the samples' expectation is the
    # inference output: their mean is within 5 standard errors of it.
    standard_error = samples.std(axis=0, ddof=1) / math.sqrt(len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - inference[0]) <= Z * standard_error)


def test_a_mask_passes_through():
    embedding = Embedding(10, 4, mask_zero=True)
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    mask = ids != 0
    for layer in (Dropout(0.5), SpatialDropout1D(0.5), AlphaDropout(0.5),
                  GaussianDropout(0.5), GaussianNoise(0.5)):
        assert layer.supports_masking
        assert layer.output_mask(embedding(ids), mask) is mask


# -- the backward pass uses the forward's mask ----------------------------------------------

def test_dropout_backward_zeroes_exactly_the_dropped_values():
    rate = 0.4
    layer = Dropout(rate, dtype="float64")
    rng = np.random.default_rng(10)
    x = rng.uniform(1, 2, size=(20, 30))  # no zeros: y == 0 exactly where dropped
    y, cache = layer.forward(x, training=True)
    dy = rng.normal(size=x.shape)
    dx, grads = layer.backward(dy, cache)
    assert grads == {}
    dropped = y == 0
    assert dropped.any() and not dropped.all()
    np.testing.assert_array_equal(dx == 0, dropped)
    np.testing.assert_allclose(dx, dy * (~dropped) / (1 - rate), rtol=1e-15)
    np.testing.assert_allclose(y, x * (~dropped) / (1 - rate), rtol=1e-15)


@pytest.mark.parametrize("cls", [SpatialDropout1D, lambda rate, **kw: Dropout(
    rate, noise_shape=(None, 1, 6), **kw)], ids=["SpatialDropout1D", "Dropout-noise_shape"])
def test_a_shared_mask_is_broadcast_in_the_backward_pass_too(cls):
    layer = cls(0.5, dtype="float64")
    rng = np.random.default_rng(11)
    x = rng.uniform(1, 2, size=(10, 4, 6))
    y, cache = layer.forward(x, training=True)
    dx, _ = layer.backward(np.ones_like(x), cache)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx, (y != 0) * 2.0)


def test_the_other_layers_backward_passes():
    rng = np.random.default_rng(12)
    x = rng.uniform(0.5, 2, size=(20, 8))
    dy = rng.normal(size=x.shape)
    alpha = AlphaDropout(0.3, dtype="float64")
    y, cache = alpha.forward(x, training=True)
    a, _ = alpha.affine
    kept = ~np.isclose(y, alpha.dropped_value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(alpha.backward(dy, cache)[0], dy * a * kept, rtol=1e-15)
    gaussian = GaussianDropout(0.3, dtype="float64")
    y, cache = gaussian.forward(x, training=True)
    np.testing.assert_allclose(gaussian.backward(dy, cache)[0], dy * (y / x), rtol=1e-12)
    noise = GaussianNoise(0.3, dtype="float64")
    y, cache = noise.forward(x, training=True)
    assert noise.backward(dy, cache)[0] is dy


def test_gradients_of_a_model_with_dropout_match_central_differences():
    """check_gradients re-seeds nnlib's generator before every forward pass, so an
    unseeded Dropout draws the same mask each time."""
    with floatx_scope("float64"):
        set_random_seed(2)
        model = Sequential([Input((5,)), Dense(6, activation="tanh"), Dropout(0.5),
                            Dense(6, activation="selu"), AlphaDropout(0.2), Dense(2)])
        report = check_gradients(model, np.random.default_rng(13).normal(size=(4, 5)))
    assert report.passed, repr(report)


# -- seeds ----------------------------------------------------------------------------------

SEEDABLE = [lambda **kw: Dropout(0.5, **kw), lambda **kw: AlphaDropout(0.5, **kw),
            lambda **kw: GaussianDropout(0.5, **kw), lambda **kw: GaussianNoise(0.5, **kw),
            lambda **kw: SpatialDropout1D(0.5, **kw)]


@pytest.mark.parametrize("make", SEEDABLE, ids=lambda make: type(make()).__name__)
def test_set_random_seed_repeats_the_draws_of_an_unseeded_layer(make):
    x = np.ones((4, 6, 5), "float32")
    layer = make()
    set_random_seed(5)
    first = layer(x, training=True)
    second = layer(x, training=True)
    assert not np.array_equal(first, second), "each call draws anew"
    set_random_seed(5)
    np.testing.assert_array_equal(layer(x, training=True), first)
    set_random_seed(5)
    np.testing.assert_array_equal(make()(x, training=True), first)  # any layer of the kind


@pytest.mark.parametrize("make", SEEDABLE, ids=lambda make: type(make()).__name__)
def test_layers_of_the_same_seed_draw_the_same_sequence(make):
    x = np.ones((4, 6, 5), "float32")
    a, b = make(seed=7), make(seed=7)
    a_first, b_first = a(x, training=True), b(x, training=True)
    np.testing.assert_array_equal(a_first, b_first)
    a_second = a(x, training=True)
    assert not np.array_equal(a_first, a_second), "a seeded layer's second call draws anew"
    np.testing.assert_array_equal(b(x, training=True), a_second)
    assert not np.array_equal(make(seed=8)(x, training=True), a_first)


def test_a_seeded_layer_ignores_the_global_seed():
    x = np.ones((4, 6), "float32")
    set_random_seed(0)
    first = Dropout(0.5, seed=3)(x, training=True)
    set_random_seed(1)
    np.testing.assert_array_equal(Dropout(0.5, seed=3)(x, training=True), first)


# -- refusals -------------------------------------------------------------------------------

RATE_LAYERS = [Dropout, AlphaDropout, GaussianDropout, SpatialDropout1D, SpatialDropout2D,
               SpatialDropout3D]
BAD_RATES = [
    (-0.1, ValueError, re.escape("rate must be a finite number in [0, 1), got -0.1")),
    (1.0, ValueError, re.escape("rate must be a finite number in [0, 1), got 1.0: a rate of 1 "
                                "drops every value, and the scale of the kept ones, "
                                "1/(1 - rate), divides by zero")),
    (1, ValueError, re.escape("rate must be a finite number in [0, 1), got 1.0: a rate of 1")),
    (1.5, ValueError, re.escape("rate must be a finite number in [0, 1), got 1.5")),
    ("0.5", TypeError, "rate must be a number, got '0.5'"),
    (float("nan"), ValueError, re.escape("rate must be a finite number in [0, 1), got nan")),
    (None, TypeError, "rate must be a number, got None"),
    (True, TypeError, "rate must be a number, got True"),
]


@pytest.mark.parametrize("cls", RATE_LAYERS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("rate, error, message", BAD_RATES, ids=[repr(r[0]) for r in BAD_RATES])
def test_a_rate_outside_zero_one_is_refused(cls, rate, error, message):
    with pytest.raises(error, match=f"^{cls.__name__} 'bad': {message}"):
        cls(rate, name="bad")


@pytest.mark.parametrize("stddev, error, message", [
    (-0.1, ValueError, re.escape("stddev must be a finite number in [0, 1], got -0.1")),
    (1.5, ValueError, re.escape("stddev must be a finite number in [0, 1], got 1.5")),
    (float("inf"), ValueError, "stddev must be a finite number"),
    ("0.1", TypeError, "stddev must be a number, got '0.1'"),
])
def test_gaussian_noise_refuses_a_bad_stddev(stddev, error, message):
    with pytest.raises(error, match=f"^GaussianNoise 'bad': {message}"):
        GaussianNoise(stddev, name="bad")


NOT_A_SHAPE = "noise_shape must be a tuple of whole numbers >= 1 or None, got "


@pytest.mark.parametrize("noise_shape, error, message", [
    ("abc", TypeError, "'abc'$"),
    (4, TypeError, "4; for one axis of 4 write noise_shape=(4,)"),
    ((None, 0, 4), ValueError, "(None, 0, 4)"),
    ((None, 2.5), ValueError, "(None, 2.5)"),
    ([None, "1"], TypeError, "[None, '1']"),
])
def test_a_noise_shape_that_is_no_shape_is_refused_at_once(noise_shape, error, message):
    for cls in (Dropout, AlphaDropout):
        with pytest.raises(error, match=f"^{cls.__name__} 'bad': " + re.escape(NOT_A_SHAPE) +
                           (message if message.endswith("$") else re.escape(message))):
            cls(0.5, noise_shape=noise_shape, name="bad")


@pytest.mark.parametrize("noise_shape, message", [
    ((None, 4), "noise_shape (None, 4) has 2 entries, but the input has rank 3 (shape "
                "(2, 3, 4)): noise_shape needs one entry per axis of the input, batch included"),
    ((None, 1, 4, 1), "noise_shape (None, 1, 4, 1) has 4 entries, but the input has rank 3"),
    ((None, 2, 4), "noise_shape[1] is 2, but axis 1 of the input has size 3 (input shape "
                   "(2, 3, 4), noise_shape (None, 2, 4)): each entry must be None, 1 or the "
                   "input's size on that axis"),
    ((5, 1, 1), "noise_shape[0] is 5, but axis 0 of the input has size 2"),
])
def test_a_noise_shape_that_does_not_fit_the_input_is_refused_naming_the_axis(noise_shape,
                                                                               message):
    x = np.ones((2, 3, 4))
    for cls in (Dropout, AlphaDropout):
        layer = cls(0.5, noise_shape=noise_shape, name="bad")
        for training in (True, False):  # a mistake even when inference ignores it
            with pytest.raises(ValueError, match=f"^{cls.__name__} 'bad': " +
                               re.escape(message)):
                layer(x, training=training)
    with pytest.raises(ValueError, match=re.escape(message)):  # symbolically too
        Dropout(0.5, noise_shape=noise_shape)(Input((3, 4), batch_size=2))


def test_a_noise_shape_fits_a_symbolic_input_of_unknown_batch():
    x = Input((3, 4))
    y = Dropout(0.5, noise_shape=(None, 1, 4))(x)
    assert y.shape == (None, 3, 4)
    assert Model(x, y).predict(np.ones((2, 3, 4)), verbose=0).shape == (2, 3, 4)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Dropout(0.5, seed=-1, name="bad"), ValueError,
     "Dropout 'bad': seed must be a whole number >= 0, got -1"),
    (lambda: GaussianNoise(0.5, seed="7", name="bad"), TypeError,
     "GaussianNoise 'bad': seed must be a whole number >= 0, got '7'"),
    (lambda: SpatialDropout2D(0.5, data_format="channels_middle", name="bad"), ValueError,
     re.escape("SpatialDropout2D 'bad': data_format must be one of ('channels_last', "
               "'channels_first'), got 'channels_middle'")),
    (lambda: SpatialDropout1D(0.5, data_format="channels_first"), TypeError,
     re.escape("SpatialDropout1D takes no data_format (nor does Keras's): it drops whole "
               "feature maps of its inputs (batch, steps, channels), one draw per sample and "
               "channel")),
    (lambda: SpatialDropout2D(0.5, "channels_first", noise_shape=(None, 3, 1, 1)), TypeError,
     re.escape("SpatialDropout2D takes no noise_shape (nor does Keras's): it drops whole "
               "feature maps of its inputs (batch, channels, dim1, dim2)")),
    (lambda: SpatialDropout3D(0.5, noise_shape=None), TypeError,
     "SpatialDropout3D takes no noise_shape"),
    (lambda: GaussianDropout(0.5, noise_shape=(None, 3)), TypeError,
     "unexpected keyword argument 'noise_shape'"),
])
def test_other_arguments_are_checked(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("layer, shape, message", [
    (SpatialDropout1D(0.5, name="bad"), (2, 3), "expected one input of rank 3, "
                                                "(batch, steps, channels), got shape (2, 3)"),
    (SpatialDropout2D(0.5, name="bad"), (2, 3, 4), "expected one input of rank 4, "
                                                   "(batch, dim1, dim2, channels)"),
    (SpatialDropout3D(0.5, "channels_first", name="bad"), (2, 3, 4, 5),
     "expected one input of rank 5, (batch, channels, dim1, dim2, dim3)"),
])
def test_a_spatial_dropout_refuses_inputs_of_another_rank(layer, shape, message):
    with pytest.raises(ValueError, match=f"^{type(layer).__name__} 'bad': " +
                       re.escape(message)):
        layer(np.ones(shape))


# -- configs ----------------------------------------------------------------------------

@pytest.mark.parametrize("layer, expected", [
    (Dropout(0.3, noise_shape=(None, 1, 4), seed=7),
     {"rate": 0.3, "noise_shape": [None, 1, 4], "seed": 7}),
    (SpatialDropout1D(0.2, seed=1), {"rate": 0.2, "seed": 1}),
    (SpatialDropout2D(0.2, data_format="channels_first"),
     {"rate": 0.2, "data_format": "channels_first", "seed": None}),
    (SpatialDropout3D(0.2), {"rate": 0.2, "data_format": "channels_last", "seed": None}),
    (AlphaDropout(0.1, noise_shape=[None, 1, 4], seed=0),
     {"rate": 0.1, "noise_shape": [None, 1, 4], "seed": 0}),
    (GaussianDropout(0.25, seed=2), {"rate": 0.25, "seed": 2}),
    (GaussianNoise(0.1, seed=3), {"stddev": 0.1, "seed": 3}),
], ids=["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
        "GaussianDropout", "GaussianNoise"])
def test_the_config_keeps_rate_noise_shape_and_seed(layer, expected):
    config = json.loads(json.dumps(layer.get_config()))
    assert {key: config.get(key, "missing") for key in expected} == expected
    # The spatial layers set their noise shape: it is no argument of theirs, as in Keras.
    assert ("noise_shape" in config) == (type(layer) in (Dropout, AlphaDropout))
    assert config["name"] == layer.name and config["dtype"] == "float32"
    copy = type(layer).from_config(config)
    assert json.loads(json.dumps(copy.get_config())) == config
    if layer.seed is not None:  # the copy draws what a fresh layer of that seed draws
        x = np.ones((3, 2, 4), "float32")
        np.testing.assert_array_equal(copy(x, training=True),
                                      type(layer).from_config(config)(x, training=True))


def test_a_model_with_dropout_saves_and_loads(tmp_path):
    from nnlib.saving import load_model
    set_random_seed(0)
    x = Input((6, 4))
    y = Dense(2)(SpatialDropout1D(0.3, seed=5)(Dropout(0.2, noise_shape=(None, 1, 4))(x)))
    model = Model(x, GaussianNoise(0.1)(AlphaDropout(0.1)(y)))
    model.save(tmp_path / "model.nnlib")
    loaded = load_model(tmp_path / "model.nnlib")
    assert loaded.get_config() == model.get_config()
    data = np.random.default_rng(14).normal(size=(3, 6, 4))
    np.testing.assert_array_equal(loaded.predict(data, verbose=0),
                                  model.predict(data, verbose=0))

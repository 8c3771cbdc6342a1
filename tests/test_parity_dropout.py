"""Parity of the dropout family with Keras 3 (on PyTorch).

Keras draws its masks from another generator, so the tests compare formulas,
not draws: Keras's layer runs in training mode, the test reads which values
it dropped (``Dropout``: the zeros; ``AlphaDropout``: the values at the
dropped constant, the only negative ones for inputs >= 0), and nnlib's
``apply`` with that same mask must give Keras's output, and nnlib's backward
pass Keras's input gradient.  The spatial layers must draw masks of the same
shape; Gaussian noise must have the same statistics (``N = 10**5`` draws,
5 standard errors, as in tests/test_dropout.py).  Keras's configs load into
nnlib.
"""
import math
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nnlib.layers import (AlphaDropout, Dropout, GaussianDropout, GaussianNoise,  # noqa: E402
                          SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from nnlib.layers.base import Layer  # noqa: E402
from nnlib.serialization import init_arguments  # noqa: E402
from parity import close, numpy  # noqa: E402

N = 10 ** 5
Z = 5  # standard errors allowed


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def keras_training(keras_layer, x, dy):
    """Keras's output in training mode and its input gradient for upstream ``dy``."""
    x_t = torch.tensor(x, requires_grad=True)
    y = keras_layer(x_t, training=True)
    y.backward(torch.tensor(dy))
    return numpy(y), numpy(x_t.grad)


def within(estimate, expected, standard_error, what):
    assert abs(estimate - expected) <= Z * standard_error, (
        f"{what}: {estimate:.6g}, expected {expected:.6g} within {Z} standard errors")


# -- Dropout: the kept values are x / (1 - rate) ---------------------------------------------

@pytest.mark.parametrize("rate, seed", [(0.2, None), (0.5, None), (0.5, 3)])
def test_dropout_keeps_what_keras_keeps_as_nnlib_scales_it(rate, seed, rng):
    x = rng.uniform(0.5, 1.5, size=(64, 8, 16)).astype("float32")  # no zeros
    dy = rng.normal(size=x.shape).astype("float32")
    y_k, dx_k = keras_training(keras.layers.Dropout(rate, seed=seed), x, dy)
    kept = y_k != 0
    within(1 - kept.mean(), rate, math.sqrt(rate * (1 - rate) / kept.size), "Keras drops")
    layer = Dropout(rate)
    y, slope = layer.apply(x, kept)
    close(y, y_k)
    close(y[kept], x[kept] / (1 - rate))
    close(layer.backward(dy, slope)[0], dx_k)
    y = layer(x, training=True)  # nnlib's own draw: the same statistics
    within((y == 0).mean(), rate, math.sqrt(rate * (1 - rate) / y.size), "nnlib drops")


def test_dropout_with_a_noise_shape_shares_draws_as_keras_does(rng):
    x = rng.uniform(0.5, 1.5, size=(32, 6, 16)).astype("float32")
    dy = rng.normal(size=x.shape).astype("float32")
    y_k, dx_k = keras_training(keras.layers.Dropout(0.5, noise_shape=(None, 1, 16), seed=1),
                               x, dy)
    layer = Dropout(0.5, noise_shape=(None, 1, 16))
    y = layer(x, training=True)
    for dropped in (y_k == 0, y == 0):
        np.testing.assert_array_equal(dropped, np.broadcast_to(dropped[:, :1], x.shape))
        assert 0 < dropped.mean() < 1
    kept = (y_k != 0)[:, :1]  # Keras's mask, in the noise shape
    assert layer.noise_shape_for(x.shape) == kept.shape
    y, slope = layer.apply(x, kept)
    close(y, y_k)
    close(layer.backward(dy, slope)[0], dx_k)


# -- the spatial layers: the same mask shape ----------------------------------------------------

SPATIAL = [(SpatialDropout1D, keras.layers.SpatialDropout1D, {}, (16, 7, 8)),
           (SpatialDropout2D, keras.layers.SpatialDropout2D, {}, (16, 5, 6, 8)),
           (SpatialDropout2D, keras.layers.SpatialDropout2D,
            {"data_format": "channels_first"}, (16, 8, 5, 6)),
           (SpatialDropout3D, keras.layers.SpatialDropout3D, {}, (8, 3, 4, 5, 8)),
           (SpatialDropout3D, keras.layers.SpatialDropout3D,
            {"data_format": "channels_first"}, (8, 8, 3, 4, 5))]


@pytest.mark.parametrize("ours, theirs, options, shape", SPATIAL,
                         ids=[f"{o.__name__}-{opt.get('data_format', 'channels_last')}"
                              for o, _, opt, _ in SPATIAL])
def test_spatial_dropout_drops_the_maps_keras_drops(ours, theirs, options, shape, rng):
    x = rng.uniform(0.5, 1.5, size=shape).astype("float32")
    dy = rng.normal(size=shape).astype("float32")
    keras_layer, layer = theirs(0.5, **options), ours(0.5, **options)
    noise_shape = tuple(keras_layer._get_noise_shape(torch.tensor(x)))
    assert layer.noise_shape_for(shape) == noise_shape
    y_k, dx_k = keras_training(keras_layer, x, dy)
    spatial = tuple(axis for axis, n in enumerate(noise_shape) if n == 1)
    kept = (y_k != 0).any(axis=spatial, keepdims=True)  # Keras's mask, in the noise shape
    np.testing.assert_array_equal(y_k != 0, np.broadcast_to(kept, shape))  # whole maps
    y, slope = layer.apply(x, kept)
    close(y, y_k)
    close(layer.backward(dy, slope)[0], dx_k)
    dropped = layer(x, training=True) == 0  # nnlib's own draw has the same structure
    np.testing.assert_array_equal(dropped.all(axis=spatial), dropped.any(axis=spatial))


# -- AlphaDropout: the same constants -------------------------------------------------------

@pytest.mark.parametrize("rate, noise_shape", [(0.1, None), (0.3, None), (0.2, (None, 1, 16))])
def test_alpha_dropout_drops_to_keras_s_constant_and_maps_as_keras_does(rate, noise_shape, rng):
    x = rng.uniform(0.0, 2.0, size=(64, 8, 16)).astype("float32")
    dy = rng.normal(size=x.shape).astype("float32")
    y_k, dx_k = keras_training(keras.layers.AlphaDropout(rate, noise_shape=noise_shape), x, dy)
    layer = AlphaDropout(rate, noise_shape=noise_shape)
    a, b = layer.affine
    # a x + b >= b > 0 for x >= 0, and the dropped constant a alpha' + b < 0.
    assert b > 0 > layer.dropped_value
    dropped = y_k < 0
    within(dropped.mean(), rate, math.sqrt(rate * (1 - rate) / dropped.size), "Keras drops")
    np.testing.assert_allclose(y_k[dropped], layer.dropped_value, rtol=1e-6)
    close(y_k[~dropped], a * x[~dropped] + b)
    kept = ~dropped if noise_shape is None else ~dropped[:, :1]
    if noise_shape is not None:
        np.testing.assert_array_equal(dropped, np.broadcast_to(dropped[:, :1], x.shape))
    y, slope = layer.apply(x, kept)
    close(y, y_k)
    close(layer.backward(dy, slope)[0], dx_k)


# -- Gaussian noise: the same statistics ------------------------------------------------------

@pytest.mark.parametrize("rate", [0.1, 0.4])
def test_gaussian_dropout_noise_has_keras_s_deviation(rate):
    x = np.ones((N, 1), "float32")
    sigma = math.sqrt(rate / (1 - rate))
    dy = np.ones_like(x)
    y_k, dx_k = keras_training(keras.layers.GaussianDropout(rate), x, dy)
    np.testing.assert_array_equal(dx_k, y_k / x)  # the backward pass multiplies by the noise
    for name, ratio in (("Keras", y_k / x), ("nnlib", GaussianDropout(rate)(x, training=True)
                                              / x)):
        within(float(ratio.mean()), 1.0, sigma / math.sqrt(N), f"{name}: mean")
        within(float(ratio.std(ddof=1)), sigma, sigma / math.sqrt(2 * N), f"{name}: std")
    layer = GaussianDropout(rate)
    y, slope = layer.apply(x, y_k / x)
    close(y, y_k)


@pytest.mark.parametrize("stddev", [0.1, 1.0])
def test_gaussian_noise_has_keras_s_deviation(stddev, rng):
    x = rng.normal(size=(N, 1)).astype("float32")
    y_k, dx_k = keras_training(keras.layers.GaussianNoise(stddev), x, np.ones_like(x))
    np.testing.assert_array_equal(dx_k, 1.0)
    for name, noise in (("Keras", y_k - x), ("nnlib", GaussianNoise(stddev)(x, training=True)
                                             - x)):
        within(float(noise.mean()), 0.0, stddev / math.sqrt(N), f"{name}: mean")
        within(float(noise.std(ddof=1)), stddev, stddev / math.sqrt(2 * N), f"{name}: std")


# -- inference and configs ------------------------------------------------------------------

PAIRS = [(Dropout(0.3, noise_shape=(None, 1, 4), seed=7),
          keras.layers.Dropout(0.3, noise_shape=(None, 1, 4), seed=7)),
         (SpatialDropout1D(0.2, seed=1), keras.layers.SpatialDropout1D(0.2, seed=1)),
         (SpatialDropout2D(0.2, data_format="channels_first"),
          keras.layers.SpatialDropout2D(0.2, data_format="channels_first")),
         (SpatialDropout3D(0.2), keras.layers.SpatialDropout3D(0.2)),
         (AlphaDropout(0.1, noise_shape=(None, 1, 4), seed=0),
          keras.layers.AlphaDropout(0.1, noise_shape=(None, 1, 4), seed=0)),
         (GaussianDropout(0.25, seed=2), keras.layers.GaussianDropout(0.25, seed=2)),
         (GaussianNoise(0.1, seed=3), keras.layers.GaussianNoise(0.1, seed=3))]
SHAPES = {SpatialDropout2D: (2, 3, 4, 4), SpatialDropout3D: (2, 3, 4, 4, 4)}


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[type(p[0]).__name__ for p in PAIRS])
def test_both_are_the_identity_at_inference(ours, theirs, rng):
    x = rng.normal(size=SHAPES.get(type(ours), (2, 3, 4))).astype("float32")
    np.testing.assert_array_equal(numpy(theirs(torch.tensor(x), training=False)), x)
    assert ours(x) is x


def nnlib_config(keras_config):
    """Keras's config as nnlib reads it: Keras writes the dtype as a ``DTypePolicy``
    record, nnlib takes the dtype's name."""
    dtype = keras_config.get("dtype")
    if isinstance(dtype, dict):
        dtype = dtype["config"]["name"]
    return {**keras_config, "dtype": dtype}


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[type(p[0]).__name__ for p in PAIRS])
def test_keras_configs_load_into_nnlib(ours, theirs):
    keras_config = nnlib_config(theirs.get_config())
    loaded = type(ours).from_config(keras_config)
    config = loaded.get_config()
    for key, value in keras_config.items():
        expected = tuple(value) if isinstance(value, list) else value
        assert config[key] == expected, key
    # ... and nnlib's config has nothing more than the arguments of every nnlib layer.
    assert set(config) - set(keras_config) <= set(init_arguments(Layer))
    same = {key: config[key] for key in ("rate", "stddev", "noise_shape", "seed",
                                         "data_format") if key in config}
    assert same == {key: ours.get_config()[key] for key in same}

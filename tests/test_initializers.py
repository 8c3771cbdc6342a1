"""Initializers: Keras 3's defaults, the variance-scaling formulas, seeding."""
import math

import numpy as np
import pytest

from nnlib import initializers, registry
from nnlib.backend import floatx_scope
from nnlib.initializers import (Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
                                LecunNormal, LecunUniform, Ones, Orthogonal, RandomNormal,
                                RandomUniform, TruncatedNormal, VarianceScaling, Zeros,
                                compute_fans)
from nnlib.layers import Dense
from nnlib.utils import generator, set_random_seed

TRUNCATED_STDDEV = 0.87962566103423978  # stddev of a standard normal truncated at +-2


def test_keras_defaults():
    assert (RandomUniform().minval, RandomUniform().maxval) == (-0.05, 0.05)
    assert (RandomNormal().mean, RandomNormal().stddev) == (0.0, 0.05)
    assert (TruncatedNormal().mean, TruncatedNormal().stddev) == (0.0, 0.05)
    assert Constant().value == 0.0
    assert Orthogonal().gain == 1.0
    vs = VarianceScaling()
    assert (vs.scale, vs.mode, vs.distribution) == (1.0, "fan_in", "truncated_normal")
    dense = Dense(4)
    assert (dense.kernel_initializer, dense.bias_initializer) == ("glorot_uniform", "zeros")


@pytest.mark.parametrize("cls, scale, mode, distribution", [
    (GlorotUniform, 1.0, "fan_avg", "uniform"),
    (GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (HeUniform, 2.0, "fan_in", "uniform"),
    (HeNormal, 2.0, "fan_in", "truncated_normal"),
    (LecunUniform, 1.0, "fan_in", "uniform"),
    (LecunNormal, 1.0, "fan_in", "truncated_normal"),
])
def test_variance_scaling_presets(cls, scale, mode, distribution):
    init = cls(seed=1)
    assert (init.scale, init.mode, init.distribution, init.seed) == (scale, mode, distribution, 1)
    assert repr(init) == f"{cls.__name__}(seed=1)"


@pytest.mark.parametrize("entry", registry.entries("initializer"), ids=lambda e: e.name)
@pytest.mark.parametrize("shape", [(7,), (4, 5), (3, 3, 2, 4)])
def test_every_initializer_gives_its_shape_in_floatx(entry, shape):
    init = entry.cls()
    assert init(shape).shape == shape
    assert init(shape).dtype == np.float32
    assert init(shape, "float64").dtype == np.float64
    with floatx_scope("float64"):
        assert init(shape).dtype == np.float64


def test_constants():
    assert np.all(Zeros()((2, 3)) == 0)
    assert np.all(Ones()((2, 3)) == 1)
    np.testing.assert_array_equal(Constant(0.25)((2, 2), "float64"), np.full((2, 2), 0.25))


@pytest.mark.parametrize("shape, fans", [((), (1, 1)), ((5,), (5, 5)), ((4, 3), (4, 3)),
                                         ((3, 3, 16, 32), (144, 288)), ((2, 7, 5), (14, 10))])
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


def test_glorot_uniform_limit():
    fan_in, fan_out = 40, 60
    limit = math.sqrt(6 / (fan_in + fan_out))
    w = GlorotUniform(seed=0)((fan_in, fan_out), "float64")
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.98 * limit  # the whole range is used
    assert abs(w.mean()) < 0.01


@pytest.mark.parametrize("init, stddev", [
    (TruncatedNormal(stddev=0.05, seed=0), 0.05),
    (TruncatedNormal(mean=1.0, stddev=0.2, seed=0), 0.2),
    (GlorotNormal(seed=0), math.sqrt(2 / (400 + 500)) / TRUNCATED_STDDEV),
    (HeNormal(seed=0), math.sqrt(2 / 400) / TRUNCATED_STDDEV),
    (LecunNormal(seed=0), math.sqrt(1 / 400) / TRUNCATED_STDDEV),
])
def test_truncated_normals_stay_within_two_stddevs(init, stddev):
    w = init((400, 500), "float64")
    mean = getattr(init, "mean", 0.0)
    assert np.abs(w - mean).max() <= 2 * stddev
    assert np.abs(w - mean).max() > 1.95 * stddev  # truncated, not shrunk
    # A normal truncated at two stddevs keeps (0.8796 * stddev)^2 of the variance.
    assert w.var() == pytest.approx((TRUNCATED_STDDEV * stddev) ** 2, rel=0.02)


@pytest.mark.parametrize("cls, variance", [
    (GlorotUniform, 2 / (288 + 576)), (GlorotNormal, 2 / (288 + 576)),
    (HeUniform, 2 / 288), (HeNormal, 2 / 288),
    (LecunUniform, 1 / 288), (LecunNormal, 1 / 288),
])
def test_variance_scaling_variances_on_a_conv_kernel(cls, variance):
    # A (3, 3, 32, 64) kernel: fan_in = 9 * 32 = 288, fan_out = 9 * 64 = 576.
    w = cls(seed=3)((3, 3, 32, 64), "float64")
    assert w.var() == pytest.approx(variance, rel=0.04)
    assert abs(w.mean()) < 0.1 * math.sqrt(variance)


def test_random_uniform_and_normal():
    u = RandomUniform(-0.2, 0.1, seed=0)((200, 100), "float64")
    assert u.min() >= -0.2 and u.max() <= 0.1 and u.min() < -0.19 and u.max() > 0.09
    n = RandomNormal(mean=2.0, stddev=0.5, seed=0)((200, 100), "float64")
    assert n.mean() == pytest.approx(2.0, abs=0.02)
    assert n.std() == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (5, 5), (3, 3, 4, 5)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, gain):
    w = Orthogonal(gain=gain, seed=0)(shape, "float64")
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    rows, cols = flat.shape
    # Tall (or square): the columns are orthogonal, W^T W = g^2 I; wide: W W^T = g^2 I.
    product = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(product, gain ** 2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_is_not_always_the_same_matrix():
    a, b = Orthogonal(seed=0)((4, 4)), Orthogonal(seed=1)((4, 4))
    assert not np.allclose(a, b)


def test_seeded_initializers_repeat():
    for cls in (GlorotUniform, HeNormal, RandomNormal, TruncatedNormal, Orthogonal):
        first = cls(seed=7)((5, 4))
        set_random_seed(123)  # the global generator plays no part
        np.testing.assert_array_equal(first, cls(seed=7)((5, 4)))
        assert not np.array_equal(first, cls(seed=8)((5, 4)))


def test_unseeded_initializers_draw_from_the_global_generator():
    init = GlorotUniform()
    set_random_seed(0)
    a, b = init((5, 4)), init((5, 4))
    assert not np.array_equal(a, b)
    set_random_seed(0)
    np.testing.assert_array_equal(a, init((5, 4)))
    np.testing.assert_array_equal(b, init((5, 4)))


def test_set_random_seed_makes_layers_reproducible():
    set_random_seed(42)
    first = Dense(3)
    first.build((None, 4))
    draw = generator().normal()
    set_random_seed(42)
    second = Dense(3)
    second.build((None, 4))
    np.testing.assert_array_equal(first.kernel.value, second.kernel.value)
    assert generator().normal() == draw
    set_random_seed(43)
    third = Dense(3)
    third.build((None, 4))
    assert not np.array_equal(first.kernel.value, third.kernel.value)


def test_get_by_name_and_errors():
    assert isinstance(initializers.get("he_normal"), HeNormal)
    assert isinstance(initializers.get("Orthogonal"), Orthogonal)
    with pytest.raises(ValueError, match="unknown initializer 'xavier'"):
        initializers.get("xavier")
    with pytest.raises(ValueError, match="mode must be fan_in, fan_out or fan_avg"):
        VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution must be"):
        VarianceScaling(distribution="cauchy")


def test_an_initializer_of_ones_own_needs_no_registering():
    class Arange(initializers.Initializer):
        """:math:`w_i = i`, in the weight's flat order."""

        def sample(self, shape, rng):
            return np.arange(math.prod(shape))

    init = Arange()
    assert initializers.get(init) is init and init.get_config() == {"seed": None}
    dense = Dense(2, kernel_initializer=init)
    dense.build((None, 3))
    np.testing.assert_array_equal(dense.kernel.value, np.arange(6).reshape(3, 2))


def test_configs_are_the_arguments():
    assert Constant(0.3).get_config() == {"value": 0.3}  # Constant takes no seed
    assert GlorotUniform(seed=1).get_config() == {"seed": 1}
    assert VarianceScaling(2.0, "fan_out").get_config() == {
        "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal", "seed": None}


@pytest.mark.parametrize("make, error, message", [
    (lambda: Constant("0.5"), TypeError, "Constant: value must be a number, got '0.5'"),
    (lambda: Constant(float("nan")), ValueError, "Constant: value must be a finite number"),
    (lambda: RandomUniform(0.5, 0.1), ValueError, "RandomUniform: minval must not exceed maxval, "
                                                 r"got minval=0.5 and maxval=0.1 \(swapped\?\)"),
    (lambda: RandomUniform(maxval=float("inf")), ValueError, "maxval must be a finite number"),
    (lambda: RandomNormal(stddev=-0.1), ValueError, "RandomNormal: stddev must be a finite number "
                                                   ">= 0, got -0.1"),
    (lambda: TruncatedNormal(mean=[0.0]), TypeError, "TruncatedNormal: mean must be a number"),
    (lambda: VarianceScaling(scale=0), ValueError, "VarianceScaling: scale must be a finite "
                                                  "number > 0, got 0"),
    (lambda: Orthogonal(gain=None), TypeError, "Orthogonal: gain must be a number, got None"),
    (lambda: GlorotUniform(seed=-1), ValueError, "GlorotUniform: seed must be a whole number "
                                                ">= 0, got -1"),
    (lambda: HeNormal(seed=1.5), ValueError, "HeNormal: seed must be a whole number"),
    (lambda: RandomNormal(seed="7"), TypeError, "RandomNormal: seed must be a whole number"),
], ids=["constant-text", "constant-nan", "uniform-swapped", "uniform-inf", "normal-stddev",
        "truncated-mean", "scale", "gain", "seed-negative", "seed-fraction", "seed-text"])
def test_arguments_are_checked_when_the_initializer_is_made(make, error, message):
    """Before, these were accepted and failed (or drew NaN) at the layer's first build."""
    with pytest.raises(error, match=message):
        make()


def test_configs_of_older_nnlib_versions_still_build():
    """nnlib once wrote every attribute of an initializer, ``"seed": null`` for
    ``Constant`` too, which takes no seed: those configs did not build."""
    assert Constant.from_config({"seed": None, "value": 0.5}).value == 0.5
    with pytest.raises(TypeError, match="unexpected keyword argument 'seed'"):
        Constant.from_config({"seed": 3, "value": 0.5})  # a seed it would ignore: refused
    assert RandomNormal.from_config({"seed": None, "mean": 0.0, "stddev": 0.1}).seed is None

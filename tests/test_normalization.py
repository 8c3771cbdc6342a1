"""BatchNormalization and LayerNormalization: the statistics of the outputs, the
moving statistics (updated only through the training step's update channel),
the frozen layer, masks, gradients in float64, saving, configs and refusals.
Keras parity is in tests/test_parity_normalization.py."""
import json
import re

import numpy as np
import pytest

import nnlib
from nnlib import Input, Model, Sequential
from nnlib.backend import floatx_scope
from nnlib.initializers import RandomNormal, RandomUniform
from nnlib.layers import BatchNormalization, Dense, Embedding, LayerNormalization
from nnlib.layers.base import Effects
from nnlib.optimizers import SGD
from nnlib.saving import load_model
from nnlib.testing import check_gradients
from nnlib.utils import set_random_seed

EPS = 1e-3  # Keras's default epsilon, both layers


@pytest.fixture(autouse=True)
def seeded():
    set_random_seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def spread(rng, shape, mean=3.0, scale=2.0):
    """Values of another mean and scale than 0 and 1, per channel (last axis)."""
    return mean + scale * rng.uniform(-1.0, 1.0, size=shape) * (1 + np.arange(shape[-1]))


def affine_weights(layer, rng):
    """Random gamma and beta (keeping the moving statistics)."""
    values = layer.get_weights()
    values[0] = rng.uniform(0.5, 1.5, size=values[0].shape)
    values[1] = rng.normal(size=values[1].shape)
    layer.set_weights(values)
    return values[0], values[1]


# -- BatchNormalization: forward -------------------------------------------------------------

@pytest.mark.parametrize("axis, shape", [(-1, (64, 5)), (-1, (16, 7, 4)), (1, (8, 3, 4, 5)),
                                         (2, (6, 4, 3, 2))])
def test_training_output_has_mean_zero_and_variance_near_one_per_channel(axis, shape, rng):
    x = spread(rng, shape)
    layer = BatchNormalization(axis=axis, dtype="float64")
    y = layer(x, training=True)
    reduce = tuple(a for a in range(len(shape)) if a != axis % len(shape))
    variance = x.var(axis=reduce)  # biased, as the layer divides by N
    np.testing.assert_allclose(y.mean(axis=reduce), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=reduce), variance / (variance + EPS), rtol=1e-12)


def test_training_output_is_the_formula_with_gamma_and_beta(rng):
    x = spread(rng, (10, 3))
    layer = BatchNormalization(dtype="float64")
    layer.ensure_built((None, 3))
    gamma, beta = affine_weights(layer, rng)
    mean, variance = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(layer(x, training=True),
                               gamma * (x - mean) / np.sqrt(variance + EPS) + beta, rtol=1e-12)


def test_inference_uses_the_moving_statistics(rng):
    x = spread(rng, (10, 2, 3), mean=0.0)
    layer = BatchNormalization(axis=1, dtype="float64")
    layer.ensure_built((None, 2, 3))
    gamma, beta = affine_weights(layer, rng)
    moving_mean, moving_variance = np.array([0.5, -1.0]), np.array([2.0, 0.25])
    layer.set_weights([gamma, beta, moving_mean, moving_variance])
    b = (slice(None), None)  # channels on axis 1
    expected = gamma[b] * (x - moving_mean[b]) / np.sqrt(moving_variance[b] + EPS) + beta[b]
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12)
    # Each sample's output depends on that sample alone.
    np.testing.assert_allclose(layer(x[:1]), expected[:1], rtol=1e-12)


def test_center_and_scale_choose_the_weights_in_keras_order():
    def names(layer):
        layer.ensure_built((None, 4))
        return [w.name for w in layer.weights], [w.name for w in layer.trainable_weights]
    full = ["gamma", "beta", "moving_mean", "moving_variance"]
    assert names(BatchNormalization()) == (full, ["gamma", "beta"])
    assert names(BatchNormalization(center=False)) == (
        ["gamma", "moving_mean", "moving_variance"], ["gamma"])
    assert names(BatchNormalization(scale=False)) == (
        ["beta", "moving_mean", "moving_variance"], ["beta"])
    assert names(LayerNormalization(scale=False, center=False)) == ([], [])
    x = np.arange(8.0).reshape(4, 2)
    plain = BatchNormalization(center=False, scale=False, dtype="float64")
    np.testing.assert_allclose(plain(x, training=True),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + EPS))


def test_forward_hands_back_the_updates_and_writes_nothing(rng):
    x = spread(rng, (8, 3))
    layer = BatchNormalization(momentum=0.9, dtype="float64")
    layer.ensure_built((None, 3))
    before = layer.get_weights()
    y, cache, effects = layer.run_forward(x, training=True)
    assert isinstance(effects, Effects) and effects.losses == []
    assert list(effects.updates) == [layer.moving_mean, layer.moving_variance]
    np.testing.assert_allclose(effects.updates[layer.moving_mean], 0.1 * x.mean(0))
    np.testing.assert_allclose(effects.updates[layer.moving_variance],
                               0.9 + 0.1 * x.var(0))
    for now, then in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(now, then)  # forward never writes to self
    assert len(layer.run_forward(x, training=False)) == 3  # run_forward adds no effects
    assert layer.run_forward(x, training=False)[2].updates == {}


# -- the moving statistics ------------------------------------------------------------------

def moving_by_hand(batches, momentum, mean=0.0, variance=1.0):
    """Keras's recurrence, with the biased batch variance."""
    for batch in batches:
        flat = batch.reshape(-1, batch.shape[-1])
        mean = mean * momentum + flat.mean(axis=0) * (1 - momentum)
        variance = variance * momentum + flat.var(axis=0) * (1 - momentum)
    return mean, variance


def test_eager_training_calls_apply_the_recurrence_and_inference_calls_do_not(rng):
    layer = BatchNormalization(momentum=0.8, dtype="float64")
    batches = [spread(rng, (6, 4, 3)) for _ in range(4)]
    for batch in batches:
        layer(batch, training=True)
        layer(batch)  # inference: no update
    mean, variance = moving_by_hand(batches, 0.8)
    np.testing.assert_allclose(layer.moving_mean.value, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.value, variance, rtol=1e-12)


def bn_model(momentum=0.9, **bn_arguments):
    """Input -> BatchNormalization -> Dense: the normalized inputs are the data
    themselves, so the moving statistics can be computed by hand."""
    set_random_seed(0)
    model = Sequential([Input((3,)), BatchNormalization(momentum=momentum, name="bn",
                                                         **bn_arguments),
                        Dense(2, name="out")])
    model.compile(SGD(0.1), "mse")
    return model


def test_fit_applies_the_updates_once_per_step_and_predict_evaluate_never(rng):
    x, y = spread(rng, (32, 3)), rng.normal(size=(32, 2))
    model = bn_model()
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    bn = model.get_layer("bn")
    mean, variance = moving_by_hand([x[i:i + 8] for i in range(0, 32, 8)] * 2, 0.9)
    np.testing.assert_allclose(bn.moving_mean.value, mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.value, variance, rtol=1e-5)
    trained = model.get_weights()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.test_on_batch(x, y)
    model(x)
    for now, then in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(now, then)
    model.train_on_batch(x[:8], y[:8])
    mean, variance = moving_by_hand([x[:8]], 0.9, mean, variance)
    np.testing.assert_allclose(bn.moving_mean.value, mean, rtol=1e-5)


def test_the_training_step_applies_the_updates_from_the_tape(rng):
    model = bn_model()
    x = spread(rng, (8, 3))
    _, tape = model.forward(x, training=True)
    bn = model.get_layer("bn")
    assert set(tape.updates) == {bn.moving_mean, bn.moving_variance}
    assert np.all(bn.moving_mean.value == 0)  # only handed back so far
    tape.apply_updates()
    np.testing.assert_allclose(bn.moving_mean.value, 0.1 * x.mean(0), rtol=1e-6)


def test_a_frozen_layer_runs_in_inference_mode_even_in_fit(rng):
    x, y = spread(rng, (32, 3)), rng.normal(size=(32, 2))
    model = bn_model()
    bn = model.get_layer("bn")
    affine_weights(bn, rng)
    bn.trainable = False
    before = bn.get_weights()
    # Training mode is inference mode: the same output, no updates handed back.
    np.testing.assert_array_equal(bn(x, training=True), bn(x))
    assert bn.run_forward(bn.prepare(x), training=True)[2].updates == {}
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
    dense_before = model.get_layer("out").get_weights()
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for now, then in zip(bn.get_weights(), before):  # statistics, gamma and beta alike
        np.testing.assert_array_equal(now, then)
    assert not np.allclose(model.get_layer("out").get_weights()[0], dense_before[0])


def test_freezing_a_model_freezes_its_batch_normalization(rng):
    inner = Sequential([Input((3,)), BatchNormalization(name="inner_bn")], name="inner")
    x = Input((3,))
    model = Model(x, Dense(2)(inner(x)))
    model.compile(SGD(0.1), "mse")
    inner.trainable = False
    model.fit(spread(rng, (16, 3)), rng.normal(size=(16, 2)), batch_size=8, verbose=0)
    bn = inner.get_layer("inner_bn")
    np.testing.assert_array_equal(bn.moving_mean.value, 0)
    np.testing.assert_array_equal(bn.moving_variance.value, 1)


# -- masks ------------------------------------------------------------------------------------

def test_masked_steps_are_left_out_of_the_batch_statistics(rng):
    x = spread(rng, (4, 6, 3))
    mask = np.ones((4, 6), bool)
    mask[1, 3:] = mask[3, 1:] = False
    layer = BatchNormalization(momentum=0.5, dtype="float64")
    y = layer(x, training=True, mask=mask)
    kept = x[mask]  # (values kept, channels)
    count = mask.sum() + 1e-7  # Keras divides by count + backend.epsilon()
    mean = kept.sum(0) / count
    variance = ((kept - mean) ** 2).sum(0) / count
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(variance + EPS), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.value, 0.5 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.value, 0.5 + 0.5 * variance, rtol=1e-12)
    # What the masked steps hold changes nothing at the kept ones.
    changed = np.where(mask[..., None], x, 1e3)
    np.testing.assert_allclose(layer(changed, training=True, mask=mask)[mask], y[mask],
                               rtol=1e-12)
    # At inference the mask changes nothing: the moving statistics are used.
    np.testing.assert_array_equal(layer(x, mask=mask), layer(x))


def test_a_mask_reaches_the_layer_in_a_model_and_passes_on():
    ids = np.array([[1, 2, 0, 0], [3, 1, 2, 0]])
    tokens = Input((4,), dtype="int32")
    hidden = Embedding(5, 3, mask_zero=True)(tokens)
    normalized = BatchNormalization(name="bn")(hidden)
    model = Model(tokens, LayerNormalization(name="ln")(normalized))
    _, tape = model.forward(ids, training=True)
    np.testing.assert_array_equal(tape.output_mask, ids != 0)
    embedded = model.layers[1].embeddings.value[ids][ids != 0]
    np.testing.assert_allclose(tape.updates[model.get_layer("bn").moving_mean],
                               0.01 * embedded.sum(0) / (embedded.shape[0] + 1e-7), rtol=1e-5)


def test_a_mask_of_the_wrong_shape_is_refused():
    layer = BatchNormalization(name="bn")
    with pytest.raises(ValueError, match=re.escape(
            "BatchNormalization 'bn': a mask must have the input's axes but the last (shape "
            "(2, 3) for inputs of shape (2, 3, 4)), got a mask of shape (2, 3, 4)")):
        layer(np.ones((2, 3, 4)), training=True, mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match=r"got a mask of shape \(2, 5\)"):
        layer(np.ones((2, 3, 4)), mask=np.ones((2, 5), bool))


# -- LayerNormalization ----------------------------------------------------------------------

@pytest.mark.parametrize("axis, shape, gamma_shape", [
    (-1, (5, 8), (8,)), (-1, (4, 6, 8), (8,)), ([1, 2], (4, 6, 8), (6, 8)),
    ([-2, -1], (4, 6, 8), (6, 8)), (1, (4, 6, 8), (6,)), ([1, 2], (3, 4, 5, 2), (4, 5)),
    ([3, 1], (3, 4, 5, 2), (4, 2))])
def test_layer_normalization_standardizes_each_sample_over_its_axes(axis, shape, gamma_shape,
                                                                     rng):
    x = spread(rng, shape)
    layer = LayerNormalization(axis=axis, dtype="float64")
    y = layer(x, training=True)
    assert layer.gamma.shape == layer.beta.shape == gamma_shape
    axes = tuple(sorted(a % len(shape) for a in np.atleast_1d(axis)))
    variance = x.var(axis=axes, keepdims=True)
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=axes, keepdims=True), variance / (variance + EPS),
                               rtol=1e-10)
    np.testing.assert_array_equal(layer(x), y)  # no training mode, no state
    np.testing.assert_allclose(layer(x[:1]), y[:1], rtol=1e-12)  # no batch statistics


def test_layer_normalization_scales_and_shifts_along_its_axes(rng):
    x = spread(rng, (3, 4, 5))
    layer = LayerNormalization(axis=[1, 2], dtype="float64")
    layer.ensure_built((None, 4, 5))
    gamma, beta = affine_weights(layer, rng)
    mean = x.mean(axis=(1, 2), keepdims=True)
    variance = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(layer(x), gamma * (x - mean) / np.sqrt(variance + EPS) + beta,
                               rtol=1e-12)


# -- gradients --------------------------------------------------------------------------------

def checked(layer, x, **keywords):
    report = check_gradients(layer, x, **keywords)
    assert report.max_relative_error < 1e-6, repr(report)
    return report


def with_random_weights(layer, shape, rng):
    layer.ensure_built(shape)
    values = [rng.uniform(0.5, 1.5, size=w.shape) for w in layer.weights]
    if layer.center:
        values[int(layer.scale)] = rng.normal(size=values[int(layer.scale)].shape)
    layer.set_weights(values)
    return layer


@pytest.mark.parametrize("arguments, shape", [
    ({}, (6, 4)), ({}, (3, 4, 5)), ({"axis": 1}, (4, 3, 2, 3)), ({"axis": 2}, (2, 3, 4, 2)),
    ({"axis": 1, "center": False}, (4, 3, 2, 2)), ({"scale": False}, (5, 3)),
    ({"epsilon": 0.5}, (4, 3))])
@pytest.mark.parametrize("mode", ["training", "inference"])
def test_batch_normalization_gradients_in_float64(arguments, shape, mode, rng):
    """``check_gradients`` runs in training mode; a frozen layer runs as at
    inference (the moving statistics as constants) and has no weight that learns."""
    with floatx_scope("float64"):
        layer = BatchNormalization(**arguments, trainable=mode == "training")
        with_random_weights(layer, (None, *shape[1:]), rng)
        report = checked(layer, rng.uniform(-2, 4, size=shape))
    checked_arrays = {row[0] for row in report.rows}
    assert "input" in checked_arrays and "moving_mean" not in checked_arrays
    assert bool({"gamma", "beta"} & checked_arrays) == (mode == "training")


def test_batch_normalization_gradients_with_a_mask(rng):
    mask = np.ones((4, 5), bool)
    mask[0, 2:] = mask[2, 4:] = False
    with floatx_scope("float64"):
        layer = with_random_weights(BatchNormalization(), (None, 5, 3), rng)
        checked(layer, rng.uniform(-2, 4, size=(4, 5, 3)), mask=mask)


@pytest.mark.parametrize("axis, shape", [(-1, (4, 6)), ([1, 2], (3, 4, 5)), (1, (3, 4, 5)),
                                         ([1, 2], (2, 3, 4, 2)), ([1, 3], (2, 3, 2, 4)),
                                         ([-3, -2, -1], (2, 2, 3, 2))])
def test_layer_normalization_gradients_in_float64(axis, shape, rng):
    with floatx_scope("float64"):
        layer = with_random_weights(LayerNormalization(axis=axis), (None, *shape[1:]), rng)
        checked(layer, rng.uniform(-2, 4, size=shape))


def test_gradients_through_a_model_with_batch_normalization(rng):
    """Dense -> BatchNormalization -> Dense in training mode: the input's and the
    learning weights' gradients (gamma and beta among them; the moving statistics
    learn nothing) match central differences."""
    with floatx_scope("float64"):
        model = Sequential([Input((3,)), Dense(4, activation="tanh"),
                            BatchNormalization(axis=-1), Dense(2)])
    report = checked(model, rng.uniform(-1, 1, size=(6, 3)))
    assert len(report.rows) == 1 + 6


# -- saving and configs ----------------------------------------------------------------------

def test_save_and_load_keep_the_moving_statistics(tmp_path, rng):
    x_in = Input((4, 4, 2))
    hidden = BatchNormalization(momentum=0.5, name="bn")(nnlib.layers.Conv2D(3, 3)(x_in))
    out = LayerNormalization(axis=[1, 2])(hidden)
    model = Model(x_in, Dense(1)(nnlib.layers.Flatten()(out)))
    model.compile(SGD(0.05), "mse")
    x, y = rng.normal(size=(16, 4, 4, 2)), rng.normal(size=(16, 1))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    bn = model.get_layer("bn")
    assert not np.allclose(bn.moving_mean.value, 0)
    model.save(tmp_path / "model.nnlib")
    loaded = load_model(tmp_path / "model.nnlib")
    for name in ("moving_mean", "moving_variance", "gamma", "beta"):
        np.testing.assert_array_equal(getattr(loaded.get_layer("bn"), name).value,
                                      getattr(bn, name).value)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.get_config() == model.get_config()


@pytest.mark.parametrize("layer", [
    BatchNormalization(),
    BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                       gamma_initializer=RandomUniform(0.5, 1.5),
                       moving_variance_initializer="zeros", gamma_regularizer="l2",
                       trainable=False, name="bn_custom"),
    LayerNormalization(),
    LayerNormalization(axis=[1, 2], epsilon=1e-6, scale=False,
                       beta_initializer=RandomNormal(stddev=0.1), beta_regularizer="l1",
                       dtype="float64"),
], ids=["bn-default", "bn-custom", "ln-default", "ln-custom"])
def test_the_config_round_trips(layer):
    config = json.loads(json.dumps(layer.get_config()))
    copy = type(layer).from_config(config)
    assert copy.get_config() == layer.get_config()
    assert copy.trainable == layer.trainable


def test_the_config_has_keras_s_keys():
    config = BatchNormalization(axis=1).get_config()
    assert list(config)[:11] == [
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
        "beta_regularizer", "gamma_regularizer"]
    assert config["axis"] == 1 and config["momentum"] == 0.99 and config["epsilon"] == 1e-3
    assert LayerNormalization(axis=[1, 2]).get_config()["axis"] == [1, 2]
    assert LayerNormalization().get_config()["axis"] == -1


def test_keras_s_defaults_for_what_nnlib_does_not_implement_are_accepted():
    """A Keras config lists them; their defaults mean nothing is asked of nnlib."""
    BatchNormalization(beta_constraint=None, gamma_constraint=None, renorm=False,
                       renorm_clipping=None, renorm_momentum=0.99, synchronized=False)
    LayerNormalization(rms_scaling=False, beta_constraint=None, gamma_constraint=None)


def test_the_regularizers_add_their_penalties(rng):
    layer = BatchNormalization(gamma_regularizer=nnlib.regularizers.L2(0.5),
                               beta_regularizer="l1", dtype="float64")
    layer.ensure_built((None, 3))
    gamma, beta = affine_weights(layer, rng)
    assert layer.losses == pytest.approx([0.5 * np.sum(gamma ** 2), 0.01 * np.sum(np.abs(beta))])


# -- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, shape, message", [
    (lambda: BatchNormalization(axis=3, name="bn"), (None, 4),
     "BatchNormalization 'bn': axis 3 is out of range for inputs of shape (None, 4) (rank 2: "
     "axes 1..1 or -1..-1)"),
    (lambda: BatchNormalization(axis=-3, name="bn"), (None, 4),
     "axis -3 is out of range for inputs of shape (None, 4)"),
    (lambda: BatchNormalization(axis=-2, name="bn"), (None, 4),
     "BatchNormalization 'bn': axis -2 is the batch axis of inputs of shape (None, 4)"),
    (lambda: BatchNormalization(axis=1, name="bn"), (None, None, 4),
     "BatchNormalization 'bn': axis 1 of inputs of shape (None, None, 4) has no known size"),
    (lambda: BatchNormalization(name="bn"), (None,),
     "BatchNormalization 'bn': expected one input of rank >= 2, (batch, ...), got shape "
     "(None,)"),
    (lambda: LayerNormalization(axis=[1, 5], name="ln"), (None, 3, 4),
     "LayerNormalization 'ln': axis 5 is out of range for inputs of shape (None, 3, 4) "
     "(rank 3: axes 1..2 or -2..-1)"),
    (lambda: LayerNormalization(axis=[-3, -1], name="ln"), (None, 4),
     "LayerNormalization 'ln': axis -3 is out of range for inputs of shape (None, 4)"),
])
def test_an_axis_the_input_lacks_is_refused_at_build_naming_both(make, shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()(Input(shape[1:]))


def test_inputs_unlike_the_built_ones_are_refused():
    layer = BatchNormalization(axis=1, name="bn")
    layer(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "BatchNormalization 'bn': was built for inputs of shape (None, 3, None), got shape "
            "(2, 4, 4)")):
        layer(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="was built for inputs of shape"):
        layer(np.ones((2, 3)))
    ln = LayerNormalization(axis=[1, 2], name="ln")
    ln(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "LayerNormalization 'ln': was built for inputs of shape (None, 3, 4), got shape "
            "(2, 3, 5)")):
        ln(np.ones((2, 3, 5)))


@pytest.mark.parametrize("make, error, message", [
    (lambda: BatchNormalization(axis="channels"), TypeError, "axis must be a whole number"),
    (lambda: BatchNormalization(momentum=-0.1), ValueError,
     r"momentum must be a finite number in \[0, 1\], got -0.1"),
    (lambda: BatchNormalization(epsilon=float("nan")), ValueError,
     "epsilon must be a finite number > 0, got nan"),
    (lambda: BatchNormalization(scale=None), TypeError, "scale must be True or False"),
    (lambda: BatchNormalization(gamma_regularizer="l3"), ValueError,
     "gamma_regularizer: unknown regularizer 'l3'"),
    (lambda: BatchNormalization(renorm_clipping={"rmax": 3}), ValueError,
     "renorm_clipping=.* is not supported by nnlib"),
    (lambda: BatchNormalization(renorm_momentum=0.5), ValueError,
     "renorm_momentum=0.5 is not supported by nnlib"),
    (lambda: BatchNormalization(beta_constraint="non_neg"), ValueError,
     "beta_constraint='non_neg' is not supported by nnlib"),
    (lambda: LayerNormalization(axis=[1, 1]), ValueError, r"axis names an axis twice: \[1, 1\]"),
    (lambda: LayerNormalization(axis=0), ValueError, "axis 0 includes the batch axis"),
    (lambda: LayerNormalization(axis=(1, 2.5)), ValueError, "axis must be a whole number or"),
    (lambda: LayerNormalization(gamma_initializer="once"), ValueError,
     "gamma_initializer: unknown initializer 'once'"),
    (lambda: LayerNormalization(rms_scaling="yes"), TypeError,
     "rms_scaling must be True or False"),
    (lambda: LayerNormalization(gamma_constraint="unit_norm"), ValueError,
     "gamma_constraint='unit_norm' is not supported by nnlib"),
])
def test_arguments_that_mean_nothing_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


# -- float16 ----------------------------------------------------------------------------------

def test_float16_statistics_are_computed_in_float32(rng):
    """Squares of float16 values near 3e4 overflow float16 (max 6.5e4): the
    statistics run in float32, the output is float16, as in Keras."""
    x = (3e4 + 300 * rng.uniform(-1, 1, size=(8, 4))).astype("float16")
    for layer in (BatchNormalization(dtype="float16"), LayerNormalization(dtype="float16")):
        with np.errstate(all="raise"):
            y = layer(x, training=True)
        assert y.dtype == np.float16 and np.all(np.isfinite(y))
        assert np.abs(y).max() < 3

"""The normalization section's helpers and explorer, driven from Python.

The deep sigmoid stack with each kind of normalization, its training, the
per-block statistics (checked against the normalization formulas on the
batch), then the explorer (trained on 200 images so that each run is short)."""
import numpy as np
import pytest

from nnlib import Input, Sequential
from nnlib.layers import Activation, BatchNormalization, Dense, LayerNormalization
from nnlib.widgets import normalization
from nnlib.widgets.normalization import (KINDS, SNAPSHOTS, deep_mlp, layer_statistics,
                                         normalization_data, normalization_explorer,
                                         train_deep)
from nnlib.widgets.regularization import overfitting_data
from widget_testing import control

EPSILON = 1e-3  # both layers' default


@pytest.fixture(scope="module")
def small_data():
    """200 training images (the explorer's runs take a fraction of a second), 400
    validation images."""
    return overfitting_data(train_size=200)


@pytest.fixture(scope="module")
def batch(small_data):
    return small_data.x_val[:64]


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


# -- the network and its training --------------------------------------------------------------

@pytest.mark.parametrize("kind, norm_type", [("none", None), ("batch", BatchNormalization),
                                             ("layer", LayerNormalization)])
def test_deep_mlp_puts_the_normalization_between_dense_and_activation(kind, norm_type):
    model = deep_mlp(kind, seed=0)
    block = ["Dense"] + ([norm_type.__name__] if norm_type else []) + ["Activation"]
    assert [type(layer).__name__ for layer in model.layers] == block * 8 + ["Dense"]
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert [layer.units for layer in dense] == [64] * 8 + [10]
    # A normalization subtracts a mean: the Dense before it needs no bias.
    assert [layer.use_bias for layer in dense] == [kind == "none"] * 8 + [True]
    assert type(dense[-1].activation).__name__ == "Softmax"
    activations = [layer for layer in model.layers if isinstance(layer, Activation)]
    assert {type(layer.activation).__name__ for layer in activations} == {"Sigmoid"}
    # One seed, one start: every kind has the same kernels.
    reference = [layer.kernel.value for layer in deep_mlp("none", seed=0).layers
                 if isinstance(layer, Dense)]
    for layer, kernel in zip(dense, reference):
        np.testing.assert_array_equal(layer.kernel.value, kernel)


def test_deep_mlp_takes_its_sizes_and_refuses_unknown_kinds():
    model = deep_mlp("layer", depth=3, width=16, activation="tanh")
    assert [layer.units for layer in model.layers if isinstance(layer, Dense)] == [16] * 3 + [10]
    with pytest.raises(ValueError, match=r"deep_mlp: normalization must be one of "
                                         r"\('none', 'batch', 'layer'\), got 'group'"):
        deep_mlp("group")
    with pytest.raises(TypeError, match="deep_mlp: normalization must be one of"):
        deep_mlp(None)
    with pytest.raises(ValueError, match="deep_mlp: depth must be a whole number >= 1"):
        deep_mlp("batch", depth=0)


def test_normalization_data_is_the_1000_image_cut():
    data = normalization_data()
    assert (data.x_train.shape, data.x_val.shape, data.x_test.shape) == \
        ((1000, 64), (400, 64), (397, 64))


@pytest.mark.parametrize("kind", KINDS)
def test_train_deep_records_each_epoch(small_data, kind):
    model, history = train_deep(kind, seed=0, data=small_data, epochs=2)
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 2 for values in history.values())
    p = model.predict(small_data.x_val)
    accuracy = np.mean(p.argmax(axis=1) == small_data.y_val)
    assert history["val_accuracy"][-1] == pytest.approx(accuracy)


# -- the statistics of each block --------------------------------------------------------------

def test_batch_normalization_standardizes_each_unit_over_the_batch(batch):
    model = deep_mlp("batch", seed=0)
    stats = layer_statistics(model, batch, training=True)
    assert stats.pre.shape == stats.post.shape == stats.activated.shape == (8, 64, 64)
    # gamma = 1, beta = 0: the normalized values are x_hat, per unit mean 0 and
    # standard deviation sqrt(var / (var + epsilon)), 1 but for epsilon.
    variance = stats.pre.astype(np.float64).var(axis=1)
    np.testing.assert_allclose(stats.post.mean(axis=1), 0, atol=2e-6)
    np.testing.assert_allclose(stats.post.std(axis=1), np.sqrt(variance / (variance + EPSILON)),
                               rtol=1e-4)
    assert np.all(np.abs(stats.post.std(axis=1) - 1) < EPSILON / variance.min())
    np.testing.assert_allclose(stats.activated, sigmoid(stats.post), rtol=1e-5)
    # Training mode on a batch does not move the moving statistics.
    for layer in model.layers:
        if isinstance(layer, BatchNormalization):
            np.testing.assert_array_equal(layer.moving_mean.value, 0)
            np.testing.assert_array_equal(layer.moving_variance.value, 1)


def test_batch_statistics_follow_the_formula_after_training(small_data, batch):
    model, _ = train_deep("batch", seed=0, data=small_data, epochs=2)
    norms = [layer for layer in model.layers if isinstance(layer, BatchNormalization)]
    for training in (True, False):
        stats = layer_statistics(model, batch, training=training)
        for pre, post, layer in zip(stats.pre, stats.post, norms):
            if training:
                mean, variance = pre.mean(axis=0), pre.var(axis=0)
            else:
                mean, variance = layer.moving_mean.value, layer.moving_variance.value
            expected = layer.gamma.value * (pre - mean) / np.sqrt(variance + EPSILON) \
                + layer.beta.value
            np.testing.assert_allclose(post, expected, rtol=1e-4, atol=1e-4)


def test_batch_normalization_at_inference_starts_as_nearly_nothing(batch):
    """Moving mean 0 and variance 1 at initialisation: y = x / sqrt(1 + epsilon)."""
    stats = layer_statistics(deep_mlp("batch", seed=0), batch)
    assert not stats.training
    np.testing.assert_allclose(stats.post, stats.pre / np.sqrt(1 + EPSILON), rtol=1e-5,
                               atol=1e-7)


def test_layer_normalization_standardizes_each_sample_over_its_units(batch):
    for training in (True, False):  # the same computation in both modes
        stats = layer_statistics(deep_mlp("layer", seed=0), batch, training=training)
        variance = stats.pre.astype(np.float64).var(axis=2)
        np.testing.assert_allclose(stats.post.mean(axis=2), 0, atol=2e-6)
        np.testing.assert_allclose(stats.post.std(axis=2),
                                   np.sqrt(variance / (variance + EPSILON)), rtol=1e-4)


def test_without_normalization_post_is_the_dense_output(batch):
    stats = layer_statistics(deep_mlp("none", seed=0), batch)
    np.testing.assert_array_equal(stats.post, stats.pre)
    np.testing.assert_allclose(stats.activated, sigmoid(stats.pre), rtol=1e-5)
    np.testing.assert_allclose(stats.pre_std, stats.pre.reshape(8, -1).std(axis=1))
    # The images' differences die out block after block; batch normalization keeps them.
    spread = stats.spread_between_images
    assert np.all(np.diff(spread) < 0) and spread[-1] < 1e-3 * spread[0]
    kept = layer_statistics(deep_mlp("batch", seed=0), batch, training=True)
    assert kept.spread_between_images.min() > 0.1
    with pytest.raises(ValueError, match="layer_statistics: expected a deep_mlp"):
        layer_statistics(Sequential([Input((64,)), Dense(8, activation="relu"), Dense(10)]),
                         batch)
    table = repr(stats.table())
    assert table.splitlines()[0].startswith("block  Dense mean") and len(table.splitlines()) == 10


# -- the explorer ------------------------------------------------------------------------------

@pytest.fixture
def counted_training(monkeypatch):
    """Every (normalization, seed) the explorer trains, in order."""
    trained, train = [], normalization.train_deep

    def counting(kind, seed, data, **keywords):
        trained.append((kind, seed))
        return train(kind, seed, data, **keywords)
    monkeypatch.setattr(normalization, "train_deep", counting)
    return trained


def test_explorer_first_view_is_the_untrained_network(small_data, batch, counted_training):
    widget = normalization_explorer(small_data)
    result = widget.result
    assert (result.normalization, result.mode, result.epoch, result.seed) == \
        ("none", "training batch", 0, 0)
    assert control(widget, "epoch").options == SNAPSHOTS
    assert len(result.history["val_accuracy"]) == SNAPSHOTS[-1]
    assert "at initialisation" in result.figure._suptitle.get_text()
    for kind in KINDS:
        control(widget, "normalization").value = kind
        for mode, training in (("training batch", True), ("inference", False)):
            control(widget, "mode").value = mode
            untrained = layer_statistics(deep_mlp(kind, seed=0), batch, training=training)
            for key in ("pre", "post", "activated"):
                np.testing.assert_array_equal(getattr(widget.result.statistics, key),
                                              getattr(untrained, key))
        control(widget, "mode").value = "training batch"
    assert counted_training == [("none", 0), ("batch", 0), ("layer", 0)]


def test_explorer_trains_once_per_normalization_and_seed(small_data, counted_training):
    widget = normalization_explorer(small_data)
    epoch, kind = control(widget, "epoch"), control(widget, "normalization")
    snapshots = {}
    for value in SNAPSHOTS:
        epoch.value = value
        snapshots[value] = widget.result.weights
    assert not np.array_equal(snapshots[0][0], snapshots[SNAPSHOTS[-1]][0])  # it trained
    kind.value = "batch"
    batch_last = widget.result.weights
    assert widget.result.epoch == SNAPSHOTS[-1]
    kind.value = "none"
    assert widget.result.weights is snapshots[SNAPSHOTS[-1]]
    epoch.value = 0
    assert widget.result.weights is snapshots[0]
    control(widget, "mode").value = "inference"
    assert widget.result.weights is snapshots[0]
    kind.value, epoch.value = "batch", SNAPSHOTS[-1]
    assert widget.result.weights is batch_last
    control(widget, "seed").value = 1
    assert widget.result.seed == 1
    assert counted_training == [("none", 0), ("batch", 0), ("batch", 1)]


def test_explorer_inference_uses_the_moving_statistics(small_data):
    widget = normalization_explorer(small_data)
    control(widget, "normalization").value = "batch"
    control(widget, "epoch").value = SNAPSHOTS[-1]
    training = widget.result.statistics
    control(widget, "mode").value = "inference"
    inference = widget.result.statistics
    assert not inference.training and training.training
    np.testing.assert_array_equal(inference.pre[0], training.pre[0])  # the same first Dense
    assert not np.allclose(inference.post[0], training.post[0])
    assert "inference mode" in widget.result.figure._suptitle.get_text()

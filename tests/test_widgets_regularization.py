"""The regularization chapter's helpers and explorers, driven from Python.

The overfitting lab's data, network and training, then the two explorers: the
regularization explorer (trained on 50 images so that each run is short) and
the mask explorer (each noise layer's pass through an image or the feature
maps of a small CNN)."""
import numpy as np
import pytest

from nnlib.layers import Dense, Dropout
from nnlib.regularizers import L1, L2
from nnlib.widgets import regularization
from nnlib.widgets.dropout_explorer import DROPPING, FEATURE_MAPS, mask_explorer
from nnlib.widgets.regularization import (DEFAULT_STRENGTHS, KINDS, digits, first_kernel,
                                          near_zero_fraction, overfitting_data,
                                          regularization_explorer, regularized_mlp,
                                          train_regularized)
from widget_testing import control


@pytest.fixture(scope="module")
def data():
    return overfitting_data()


# -- the overfitting lab -----------------------------------------------------------------------

def test_overfitting_data_is_a_stratified_partition_of_the_digits(data):
    assert (data.x_train.shape, data.x_val.shape, data.x_test.shape) == \
        ((200, 64), (400, 64), (1197, 64))
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() <= data.x_train.max() <= 1
    images, labels = digits()
    share = np.bincount(labels) / len(labels)  # each class about a tenth
    for part, size in ((data.y_train, 200), (data.y_val, 400), (data.y_test, 1197)):
        assert np.abs(np.bincount(part, minlength=10) - share * size).max() <= 1
    # Disjoint and complete: the three parts, sorted, are the digits, sorted, so
    # each image (with its label) is in exactly one part.
    parts = np.column_stack([np.concatenate([data.x_train, data.x_val, data.x_test]),
                             np.concatenate([data.y_train, data.y_val, data.y_test])])
    whole = np.column_stack([images.reshape(len(images), -1), labels])
    np.testing.assert_array_equal(parts[np.lexsort(parts.T)], whole[np.lexsort(whole.T)])


def test_overfitting_data_follows_its_seed_and_checks_its_size(data):
    np.testing.assert_array_equal(overfitting_data(seed=0).x_train, data.x_train)
    assert not np.array_equal(overfitting_data(seed=1).x_train, data.x_train)
    assert overfitting_data(train_size=50).x_train.shape == (50, 64)
    with pytest.raises(ValueError, match="overfitting_data: train_size must be at most 1387"):
        overfitting_data(train_size=1500)


@pytest.mark.parametrize("kind", KINDS)
def test_regularized_mlp_is_one_network_with_the_kind_added(kind):
    strength = DEFAULT_STRENGTHS[kind]
    model = regularized_mlp(kind, strength, seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert [layer.units for layer in dense] == [256, 256, 10]
    assert [type(layer.activation).__name__ for layer in dense] == ["ReLU", "ReLU", "Softmax"]
    dropouts = [layer.rate for layer in model.layers if isinstance(layer, Dropout)]
    assert dropouts == ([strength] * 2 if kind == "dropout" else [])
    if kind == "dropout":  # after each hidden layer
        assert [type(layer).__name__ for layer in model.layers] == \
            ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    penalty = {"l2": L2, "l1": L1}.get(kind)
    for layer in dense:
        if penalty is None:
            assert layer.kernel_regularizer is None
        else:
            assert type(layer.kernel_regularizer) is penalty
            assert getattr(layer.kernel_regularizer, kind) == strength
        assert layer.bias_regularizer is None
    # One seed, one start: every kind begins from the same weights.
    np.testing.assert_array_equal(first_kernel(model), first_kernel(regularized_mlp("none", 0)))


def test_regularized_mlp_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match=r"kind must be one of \('none', 'dropout', 'l2', 'l1'\)"):
        regularized_mlp("l3", 0.1)
    with pytest.raises(ValueError, match="kind 'none' takes strength 0"):
        regularized_mlp("none", 0.5)
    with pytest.raises(ValueError, match=r"dropout rate\) must be a finite number in \[0, 1\)"):
        regularized_mlp("dropout", 1.0)
    with pytest.raises(ValueError, match=r"L1 factor\) must be a finite number >= 0"):
        regularized_mlp("l1", -1e-4)


def test_train_regularized_records_each_epoch_and_the_penalty_apart(data):
    model, history = train_regularized("l2", 1e-3, seed=0, data=data, epochs=3)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "penalty", "val_cross_entropy"):
        assert len(history[key]) == 3, key
    penalty = sum(1e-3 * float(np.square(layer.kernel.value).sum())
                  for layer in model.layers if isinstance(layer, Dense))
    assert history["penalty"][-1] == pytest.approx(penalty, rel=1e-5)
    p = model.predict(data.x_val)
    cross_entropy = -np.log(p[np.arange(len(data.y_val)), data.y_val]).mean()
    assert history["val_cross_entropy"][-1] == pytest.approx(cross_entropy, rel=1e-4)
    _, history = train_regularized("dropout", 0.5, seed=0, data=data, epochs=2)
    assert history["penalty"] == [0.0, 0.0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l1_switches_first_layer_weights_off(data, seed):
    """10 epochs on the 200 images, L1 3e-4: for seeds 0-9 the fraction of
    |w| < 1e-3 was 0.12 to 0.13 against 0.006 to 0.008 unregularized (the
    initial share: 1e-3 over the Glorot limit 0.137)."""
    fractions = {kind: near_zero_fraction(first_kernel(
        train_regularized(kind, strength, seed, data, epochs=10)[0]))
        for kind, strength in (("none", 0.0), ("l1", 3e-4))}
    assert fractions["l1"] > 5 * fractions["none"]


# -- the regularization explorer ---------------------------------------------------------------

@pytest.fixture
def counted_training(monkeypatch):
    """Every (kind, strength, seed) the explorer trains, in order."""
    trained, train = [], regularization.train_regularized

    def counting(kind, strength, seed, data):
        trained.append((kind, strength, seed))
        return train(kind, strength, seed, data)
    monkeypatch.setattr(regularization, "train_regularized", counting)
    return trained


def test_regularization_explorer_first_view_and_kinds(counted_training):
    widget = regularization_explorer(overfitting_data(train_size=50))
    result = widget.result
    assert (result.kind, result.strength, result.seed) == ("none", 0.0, 0)
    assert len(result.history["loss"]) == len(result.history["val_loss"]) == 100
    assert result.history["loss"][-1] < 0.01 < result.history["val_loss"][-1]  # memorised
    assert result.kernel.shape == (64, 256)
    assert control(widget, "strength").disabled
    assert "validation accuracy" in result.figure._suptitle.get_text()
    control(widget, "kind").value = "l1"
    strength = control(widget, "strength")
    assert not strength.disabled and strength.value == DEFAULT_STRENGTHS["l1"]
    assert strength.options[0] == ("1e-05", 1e-5) and strength.options[-1] == ("0.01", 1e-2)
    assert widget.result.kind == "l1" and widget.result.strength == DEFAULT_STRENGTHS["l1"]
    # The switch trained the new kind at its default once, never the slider's first value.
    assert counted_training == [("none", 0.0, 0), ("l1", DEFAULT_STRENGTHS["l1"], 0)]
    assert near_zero_fraction(widget.result.kernel) > 5 * near_zero_fraction(result.kernel)


def test_regularization_explorer_keeps_each_run(counted_training):
    widget = regularization_explorer(overfitting_data(train_size=50))
    first = widget.result.history
    control(widget, "kind").value = "l2"
    l2 = widget.result.history
    control(widget, "kind").value = "none"
    assert widget.result.history is first
    control(widget, "kind").value = "l2"  # back to its default strength, 1e-3
    assert widget.result.history is l2
    control(widget, "strength").value = 1e-4
    assert widget.result.history is not l2
    control(widget, "strength").value = 1e-3
    assert widget.result.history is l2
    assert counted_training == [("none", 0.0, 0), ("l2", 1e-3, 0), ("l2", 1e-4, 0)]


# -- the mask explorer -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def masks():
    return mask_explorer()


@pytest.fixture
def masks_at(masks):
    """Set the mask explorer's controls, returning its result."""
    def set_controls(**values):
        for description, value in values.items():
            control(masks, description).value = value
        return masks.result
    set_controls(input="Grace Hopper", variant="Dropout", rate=0.5, mode="training", seed=0)
    return set_controls


@pytest.mark.parametrize("variant", ["Dropout", "SpatialDropout2D", "GaussianDropout",
                                     "AlphaDropout", "GaussianNoise"])
def test_every_variant_is_the_identity_at_inference(masks_at, variant):
    for image in ("Grace Hopper", FEATURE_MAPS):
        result = masks_at(input=image, variant=variant, mode="inference")
        assert not result.training
        np.testing.assert_array_equal(result.y, result.x)
        assert "the identity" in result.figure._suptitle.get_text()
        assert result.kept_fraction == (1.0 if variant in DROPPING else None)


def test_dropout_keeps_a_value_scaled_or_drops_it(masks_at):
    result = masks_at(variant="Dropout", rate=0.3)
    x, y = result.x, result.y
    assert np.all((y == 0) | np.isclose(y, x / 0.7, rtol=1e-6))
    np.testing.assert_allclose(result.noise[result.noise != 0], 1 / 0.7, rtol=1e-6)
    assert result.x.mean() == pytest.approx(result.y.mean(), rel=0.02)  # the expectation kept


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_kept_fraction_is_near_one_minus_rate(masks_at, rate):
    result = masks_at(rate=rate)  # Grace Hopper: 19,200 pixels, a standard error below 0.003
    assert result.x.shape == (150, 128, 1)
    assert result.kept_fraction == pytest.approx(1 - rate, abs=0.015)


def test_spatial_dropout_drops_whole_feature_maps(masks_at):
    result = masks_at(input=FEATURE_MAPS, variant="SpatialDropout2D", rate=0.5)
    assert result.x.shape == (8, 8, 8)
    dropped = []
    for seed in range(3):
        result = masks_at(seed=seed)
        for channel in range(8):
            multiplier = np.unique(result.noise[..., channel])
            assert len(multiplier) == 1, "a map is kept or dropped whole"
            np.testing.assert_allclose(result.y[..., channel],
                                       result.x[..., channel] * multiplier[0], rtol=1e-6)
            dropped.append(multiplier[0] == 0)
        assert result.kept_fraction == 1 - np.mean(dropped[-8:])
    assert 0 < np.mean(dropped) < 1
    # Dropout, by contrast, drops values inside every map.
    result = masks_at(variant="Dropout")
    assert all(len(np.unique(result.noise[..., channel])) == 2 for channel in range(8))


def test_the_seed_chooses_the_noise(masks_at):
    first = masks_at(seed=0).noise.copy()
    assert not np.array_equal(masks_at(seed=1).noise, first)
    np.testing.assert_array_equal(masks_at(seed=0).noise, first)


def test_gaussian_noise_reads_the_rate_as_its_standard_deviation(masks_at):
    result = masks_at(variant="GaussianNoise", rate=0.3)
    noise = result.y - result.x
    np.testing.assert_allclose(result.noise, noise)
    assert noise.std() == pytest.approx(0.3, rel=0.02) and abs(noise.mean()) < 0.01
    assert result.kept_fraction is None
    assert "stddev 0.3" in result.figure._suptitle.get_text()


def test_mask_explorer_checks_its_images():
    with pytest.raises(ValueError, match=r"mask_explorer: images\['photo'\] must be a 2-D"):
        mask_explorer({"photo": np.zeros((4, 4, 3))})
    with pytest.raises(TypeError, match="mask_explorer: images must be a non-empty dict"):
        mask_explorer([np.zeros((4, 4))])

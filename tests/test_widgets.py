"""The explorers driven from Python, as a reader's slider drag drives them."""
import numpy as np
import pytest
from sklearn.datasets import load_wine

from nnlib.widgets import decision_boundary_explorer
from widget_testing import control


@pytest.fixture(scope="module")
def wine_2d():
    wine = load_wine()
    columns = [list(wine.feature_names).index(n) for n in ("alcohol", "color_intensity")]
    x = wine.data[:, columns]
    return ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32"), wine.target


def test_first_view_is_drawn(wine_2d):
    widget = decision_boundary_explorer(*wine_2d, epochs=30)
    result = widget.result
    assert result.model.layers[0].units == 8
    assert len(result.history["loss"]) == 30
    assert result.grid_classes.shape == result.grid_x.shape
    assert set(np.unique(result.grid_classes)) == {0, 1, 2}
    assert result.figure.axes[0].get_title().startswith("8 hidden units")


def test_hidden_units_slider_retrains_and_redraws(wine_2d):
    widget = decision_boundary_explorer(*wine_2d, epochs=30)
    before = widget.result
    control(widget, "hidden units").value = 1
    after = widget.result
    assert after is not before
    assert after.model.layers[0].units == 1
    assert after.model.layers[0].kernel.shape == (2, 1)
    assert after.figure.axes[0].get_title().startswith("1 hidden units")
    # One ReLU unit can only draw a less flexible boundary: the regions change.
    assert not np.array_equal(after.grid_classes, before.grid_classes)


def test_learning_rate_slider_changes_training(wine_2d):
    widget = decision_boundary_explorer(*wine_2d, epochs=30)
    fast_loss = widget.result.history["loss"][-1]
    control(widget, "learning rate").value = 0.001
    slow = widget.result
    assert slow.model.optimizer.learning_rate == pytest.approx(0.001)
    # A learning rate 100 times smaller leaves the loss far higher after the same epochs.
    assert slow.history["loss"][-1] > fast_loss + 0.2


def test_explorer_is_deterministic(wine_2d):
    first = decision_boundary_explorer(*wine_2d, epochs=10).result
    second = decision_boundary_explorer(*wine_2d, epochs=10).result
    assert first.history == second.history

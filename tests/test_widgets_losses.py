"""The loss explorers driven from Python, as a reader's controls drive them."""
import numpy as np
import pytest

from nnlib import registry
from nnlib.losses import (BinaryCrossentropy, Hinge, Huber, LogCosh,
                          MeanAbsoluteError, MeanSquaredError)
from nnlib.widgets.losses import (draw_loss_comparison, loss_curve,
                                  loss_explorer, neuron_race_explorer, train_neuron)
from widget_testing import control


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_loss_menu_lists_every_registered_loss():
    widget = loss_explorer()
    names = [entry.name for entry in registry.entries("loss")]
    assert list(control(widget, "loss").options) == names
    for name in names:
        control(widget, "loss").value = name
        result = widget.result
        assert type(result.loss).__name__ == name
        assert np.isfinite(result.values).all() and np.isfinite(result.slopes).all()
        assert result.figure.axes[0].get_title().startswith(name)


def test_first_view_is_huber_with_delta_one():
    result = loss_explorer().result
    assert isinstance(result.loss, Huber) and result.loss.delta == 1.0
    error = result.x - 1.0
    expected = np.where(np.abs(error) <= 1, 0.5 * error ** 2, np.abs(error) - 0.5)
    np.testing.assert_allclose(result.values, expected, atol=1e-12)
    np.testing.assert_allclose(result.slopes, np.clip(error, -1, 1), atol=1e-12)


def test_delta_slider_caps_the_huber_gradient():
    widget = loss_explorer()
    control(widget, "delta (Huber)").value = 0.5
    result = widget.result
    assert result.loss.delta == 0.5
    assert result.slopes.max() == pytest.approx(0.5) and result.slopes.min() == pytest.approx(-0.5)
    # Quadratic inside delta, linear outside: the values at the ends grow by 0.5 per unit.
    assert result.values[-1] - result.values[-2] == pytest.approx(0.5 * (result.x[1] - result.x[0]))


def test_delta_slider_does_not_touch_other_losses():
    widget = loss_explorer("MeanSquaredError")
    before = widget.result.values
    control(widget, "delta (Huber)").value = 2.5
    np.testing.assert_array_equal(widget.result.values, before)
    np.testing.assert_allclose(widget.result.slopes, 2 * (widget.result.x - 1.0), atol=1e-12)


def test_target_slider_moves_the_cross_entropy_minimum():
    widget = loss_explorer("BinaryCrossentropy")
    control(widget, "target y").value = 0.3
    result = widget.result
    assert result.x[np.argmin(result.values)] == pytest.approx(0.3, abs=3e-3)
    # The slope (p - y) / (p (1 - p)) changes sign at p = y.
    assert np.all(result.slopes[result.x < 0.29] < 0) and np.all(result.slopes[result.x > 0.31] > 0)


def test_from_logits_checkbox_switches_to_logits_with_slope_sigmoid_minus_y():
    widget = loss_explorer("BinaryCrossentropy")
    control(widget, "from_logits").value = True
    result = widget.result
    assert result.loss.from_logits
    assert result.x.min() == -8 and result.x.max() == 8
    np.testing.assert_allclose(result.slopes, sigmoid(result.x) - 1.0, atol=1e-12)


def test_two_class_slice_of_categorical_losses_is_binary_crossentropy():
    for name in ("CategoricalCrossentropy", "SparseCategoricalCrossentropy"):
        _, values, slopes = loss_curve(registry.get("loss", name), target=1.0)
        line, bce_values, bce_slopes = loss_curve(BinaryCrossentropy(), target=1.0)
        np.testing.assert_allclose(values, bce_values, rtol=1e-9)
        np.testing.assert_allclose(slopes, bce_slopes, rtol=1e-9)


def test_race_first_view_cross_entropy_learns_first():
    result = neuron_race_explorer().result
    learned = result.epochs_to_learn
    assert learned["cross-entropy"] is not None and learned["mean squared error"] is not None
    assert learned["cross-entropy"] * 3 < learned["mean squared error"]
    # The slowdown: after 50 epochs the MSE neuron has barely moved from 0.98.
    assert result.outputs["mean squared error"][50] > 0.9
    assert result.outputs["mean squared error"][0] == pytest.approx(sigmoid(4.0), rel=1e-6)


def test_race_from_a_worse_start_leaves_mse_stuck():
    widget = neuron_race_explorer()
    control(widget, "start w = b").value = 3.5
    learned = widget.result.epochs_to_learn
    assert learned["mean squared error"] is None
    assert learned["cross-entropy"] is not None and learned["cross-entropy"] < 100


def test_race_the_bad_start_costs_mse_far_more_than_cross_entropy():
    widget = neuron_race_explorer()
    bad = widget.result.epochs_to_learn
    control(widget, "start w = b").value = 0.0  # output 0.5: no saturation
    neutral = widget.result.epochs_to_learn
    assert widget.result.outputs["cross-entropy"][0] == 0.5
    extra = {name: bad[name] - neutral[name] for name in bad}
    assert extra["mean squared error"] > 5 * extra["cross-entropy"] > 0


def test_race_learning_rate_speeds_both():
    widget = neuron_race_explorer()
    slow = widget.result.epochs_to_learn
    control(widget, "learning rate").value = 0.6
    fast = widget.result.epochs_to_learn
    assert all(fast[name] < slow[name] for name in slow)


def test_train_neuron_follows_the_gradient_by_hand():
    outputs, values = train_neuron(MeanSquaredError(dtype="float64"), 2.0, 0.15, 2)
    a0 = sigmoid(4.0)
    gradient = 2 * a0 * a0 * (1 - a0)  # d/dw (a - 0)^2 with x = 1 (same for b)
    assert values[0] == pytest.approx(a0 ** 2, rel=1e-6)
    assert outputs[1] == pytest.approx(sigmoid(2 * (2.0 - 0.15 * gradient)), rel=1e-6)


def test_comparison_draws_one_line_per_loss_on_each_panel():
    chosen = [MeanSquaredError(), MeanAbsoluteError(), Huber(), LogCosh()]
    figure = draw_loss_comparison(chosen, target=0.0)
    left, right = figure.axes
    assert [line.get_label() for line in left.lines] == [
        "MeanSquaredError", "MeanAbsoluteError", "Huber", "LogCosh"]
    # The right panel holds the slopes: 2e for MSE, tanh(e) for log-cosh.
    x, mse_slope = right.lines[0].get_data()
    np.testing.assert_allclose(mse_slope, 2 * x, atol=1e-12)
    np.testing.assert_allclose(right.lines[3].get_ydata(), np.tanh(x), atol=1e-12)
    labelled = draw_loss_comparison([Hinge(), BinaryCrossentropy(from_logits=True)], target=1.0,
                                    labels=["hinge", "logistic"], xlim=(-2, 2), xlabel="margin")
    assert [line.get_label() for line in labelled.axes[0].lines] == ["hinge", "logistic"]
    assert labelled.axes[0].get_xlabel() == "margin"
    # Only the part inside xlim is drawn, though the logit slice reaches -8.
    for line in labelled.axes[0].lines:
        assert line.get_xdata().min() >= -2 and line.get_xdata().max() <= 2
    highest = max(line.get_ydata().max() for line in labelled.axes[0].lines)
    assert highest == pytest.approx(3, abs=0.02)  # the hinge at margin -2


def test_the_hinge_slice_takes_a_fractional_target_as_its_rounded_label():
    from nnlib.losses import Hinge
    from nnlib.widgets.losses import loss_curve, prediction_slice
    assert prediction_slice(Hinge(), 0.35).y_true.tolist() == [0.0]
    _, values, slopes = loss_curve(Hinge(), 0.35)  # the label 0 reads as -1
    assert np.all(np.isfinite(values)) and values[0] == 0.0 and values[-1] == 4.0

"""The activation chapter's explorers and measurements, driven from Python."""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from nnlib import registry
from nnlib.activations import ElementwiseActivation, away_from
from nnlib.widgets.activations import (activation_properties, compare_activations,
                                       dead_unit_fraction, dead_units_against_learning_rate,
                                       dense_stack, draw_dead_units, draw_layer_statistics,
                                       draw_softmax_temperature, elementwise_entries, entropy,
                                       function_explorer, gradient_flow, gradient_flow_explorer,
                                       gradient_norms, layer_statistics,
                                       softmax_with_temperature)
from widget_testing import control


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    x = (data.data / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(x, data.target, test_size=0.25,
                                                        random_state=0, stratify=data.target)
    return x_train, y_train, x_test, y_test


# -- the function explorer ---------------------------------------------------------------------

def test_function_explorer_first_view_draws_values_and_backward_slopes():
    widget = function_explorer()
    curves = widget.result
    assert list(curves.values) == ["ReLU", "Sigmoid", "Tanh"]
    x = curves.x
    assert (x.min(), x.max()) == (-5.0, 5.0)
    np.testing.assert_array_equal(curves.values["ReLU"], np.maximum(x, 0))
    np.testing.assert_allclose(curves.values["Tanh"], np.tanh(x))
    np.testing.assert_allclose(curves.derivatives["Tanh"], 1 - np.tanh(x) ** 2)
    values_axis, slopes_axis = curves.figure.axes
    assert len(values_axis.get_legend().get_texts()) == 3


def test_every_elementwise_activation_and_argument_has_a_control():
    widget = function_explorer()
    names = [e.name for e in elementwise_entries()]
    assert list(control(widget, "functions").options) == names
    for expected in ("ReLU negative_slope", "ReLU max_value", "ReLU threshold",
                     "LeakyReLU negative_slope", "ELU alpha", "GELU approximate"):
        assert control(widget, expected) is not None
    assert control(widget, "LeakyReLU negative_slope").value == 0.2  # the class's default


def test_relu_slope_control_bends_the_negative_side():
    widget = function_explorer()
    control(widget, "ReLU negative_slope").value = 0.1
    curves = widget.result
    x, negative = curves.x, curves.x < 0
    np.testing.assert_allclose(curves.values["ReLU"][negative], 0.1 * x[negative], rtol=1e-6)
    np.testing.assert_allclose(curves.derivatives["ReLU"][negative], 0.1)
    assert curves.activations["ReLU"].negative_slope == 0.1


def test_relu_cap_and_negative_threshold_follow_keras():
    widget = function_explorer(functions=("ReLU",))
    control(widget, "x range").value = (-3.0, 8.0)
    control(widget, "ReLU threshold").value = -1.0
    x, y = widget.result.x, widget.result.values["ReLU"]
    between = (x > -1) & (x < 0)
    np.testing.assert_allclose(y[between], x[between])  # passed through, uncapped
    control(widget, "ReLU max_value").value = 6.0
    curves = widget.result
    assert curves.values["ReLU"].max() == 6.0
    np.testing.assert_array_equal(curves.values["ReLU"][between], 0)  # the clip to [0, 6]
    np.testing.assert_array_equal(curves.derivatives["ReLU"][curves.x > 6], 0)


def test_x_range_and_function_choice():
    widget = function_explorer()
    control(widget, "x range").value = (-2.0, 1.0)
    control(widget, "functions").value = ("ELU", "Softsign")
    curves = widget.result
    assert (curves.x.min(), curves.x.max()) == (-2.0, 1.0)
    assert list(curves.values) == ["ELU", "Softsign"]
    control(widget, "ELU alpha").value = 2.0
    np.testing.assert_allclose(widget.result.values["ELU"][0], 2 * np.expm1(-2.0), rtol=1e-6)


def test_gelu_approximation_toggle_moves_the_curve_slightly():
    widget = function_explorer(functions=("GELU",))
    exact = widget.result.values["GELU"]
    control(widget, "GELU approximate").value = True
    gap = np.abs(widget.result.values["GELU"] - exact)
    assert 0 < gap.max() < 5e-4


@pytest.mark.parametrize("entry", elementwise_entries(), ids=lambda e: e.name)
def test_drawn_slope_is_the_slope_of_the_drawn_curve(entry):
    widget = function_explorer(functions=(entry.name,))
    curves = widget.result
    x, y, dy = curves.x, curves.values[entry.name], curves.derivatives[entry.name]
    numeric = np.gradient(y, x)
    smooth = np.min(np.abs(x[:, None] - np.array([-3.0, 0.0, 3.0])), axis=1) > 0.1
    np.testing.assert_allclose(dy[smooth], numeric[smooth], atol=2e-3)


class Scaled(ElementwiseActivation):
    """:math:`f(x) = \\beta x`: an activation with an argument the explorer has no range for."""

    def __init__(self, beta=1.5):
        self.beta = beta

    def function(self, x):
        return self.beta * x

    def derivative(self, x, y):
        return np.full_like(x, self.beta)


def test_a_newly_registered_activation_gets_its_menu_entry_and_control():
    registry.register("activation", description="beta x", use_case="a test")(Scaled)
    try:
        widget = function_explorer(functions=("Scaled",))
        slider = control(widget, "Scaled beta")
        assert (slider.value, slider.min, slider.max) == (1.5, 0.0, 3.0)
        slider.value = 2.0
        np.testing.assert_allclose(widget.result.derivatives["Scaled"], 2.0)
    finally:
        registry.unregister("activation", "Scaled")


# -- the gradient-flow explorer ---------------------------------------------------------------

def test_gradient_flow_first_view_shows_sigmoid_gradients_vanishing(digits):
    widget = gradient_flow_explorer(digits, epochs=1)
    flow = widget.result.flow
    assert (flow.activation, flow.depth) == ("Sigmoid", 8)
    norms = flow.norms_before
    assert len(norms) == 9  # eight hidden layers and the classifier
    # sigma' <= 1/4: each sigmoid layer shrinks the gradient on its way to the input.
    assert np.all(np.diff(norms[:-1]) > 0)
    assert norms[0] / norms[-2] < 4.0 ** -5
    assert widget.result.figure.axes[0].get_yscale() == "log"


def test_gradient_flow_tanh_keeps_the_gradient_and_learns(digits):
    widget = gradient_flow_explorer(digits, epochs=2)
    sigmoid = widget.result.flow
    control(widget, "activation").value = "Tanh"
    tanh = widget.result.flow
    assert tanh.activation == "Tanh"
    assert tanh.norms_before[0] / tanh.norms_before[-2] > 0.5
    assert tanh.test_accuracy[-1] > sigmoid.test_accuracy[-1] + 0.3


def test_gradient_flow_depth_and_initializer_controls(digits):
    widget = gradient_flow_explorer(digits, epochs=1)
    control(widget, "depth").value = 2
    assert len(widget.result.flow.norms_before) == 3
    control(widget, "activation").value = "ReLU"
    glorot = widget.result.flow.norms_before
    control(widget, "kernel init").value = "he_normal"
    he = widget.result.flow
    assert he.model.layers[0].kernel_initializer == "he_normal"
    assert not np.allclose(he.norms_before, glorot)


def test_gradient_norms_match_the_model_backward_pass(digits):
    x, y = digits[0][:64], digits[1][:64]
    model = dense_stack(2, "tanh", width=8)
    norms = gradient_norms(model, x, y)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    y_pred, tape = model.forward(x, training=True)
    _, cache = model.loss.forward(y, y_pred)
    _, grads = model.backward(model.loss.backward(1.0, cache), tape)
    expected = [np.linalg.norm(grads[f"{layer.name}.kernel"]) for layer in model.layers]
    np.testing.assert_allclose(norms, expected)



def test_layer_statistics_separate_the_forward_and_backward_scales(digits):
    x, y = digits[0][:64], digits[1][:64]
    model = dense_stack(2, "tanh", width=8)
    statistics = layer_statistics(model, x, y)
    np.testing.assert_allclose(statistics["weight_grad"], gradient_norms(model, x, y)[:-1])
    # by hand: h1 = tanh(x W1 + b1), h2 = tanh(h1 W2 + b2), p = softmax(h2 W3 + b3)
    (w1, b1), (w2, b2), (w3, b3) = [(layer.kernel.value.astype(float),
                                     layer.bias.value.astype(float)) for layer in model.layers]
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    z = h2 @ w3 + b3
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d_z = (p - np.eye(10)[y]) / len(x)  # mean cross-entropy through the softmax
    d_h2 = d_z @ w3.T
    d_h1 = (d_h2 * (1 - h2 ** 2)) @ w2.T
    np.testing.assert_allclose(statistics["activation_grad"],
                               [np.linalg.norm(d_h1), np.linalg.norm(d_h2)], rtol=1e-4)
    np.testing.assert_allclose(statistics["spread"], [h1.std(), h2.std()], rtol=1e-4)


def test_gradient_flow_keeps_the_statistics_and_draws_them(digits):
    small = tuple(a[:200] for a in digits)
    flow = gradient_flow(small, depth=3, activation="relu", epochs=1)
    for statistics in (flow.statistics_before, flow.statistics_after):
        assert set(statistics) == {"weight_grad", "activation_grad", "spread"}
        assert all(len(values) == 3 for values in statistics.values())
    np.testing.assert_allclose(flow.statistics_before["weight_grad"], flow.norms_before[:-1])
    figure = draw_layer_statistics([flow])
    assert len(figure.axes) == 3 and all(ax.get_yscale() == "log" for ax in figure.axes)
    np.testing.assert_allclose(figure.axes[1].get_lines()[0].get_ydata(),
                               flow.statistics_before["activation_grad"])
    after = draw_layer_statistics([flow], when="after")
    np.testing.assert_allclose(after.axes[2].get_lines()[0].get_ydata(),
                               flow.statistics_after["spread"])

# -- dead units, temperature, tables ---------------------------------------------------------------

def test_dead_unit_fraction_counts_units_with_zero_slope_everywhere(digits):
    x = digits[0][:100]
    for activation, expected in [("relu", 3 / 8), ("leaky_relu", 0.0)]:
        model = dense_stack(2, activation, width=8)
        model.layers[1].bias.assign(np.array([-100.0] * 3 + [100.0] * 5))
        fractions = dead_unit_fraction(model, x)
        assert len(fractions) == 2
        assert fractions[1] == expected


def test_dead_units_sweep_and_figure(digits):
    small = tuple(a[:200] for a in digits)
    sweep = dead_units_against_learning_rate(small, "relu", [0.01, 5.0], epochs=2)
    assert sweep.dead.shape == (2, 3) and sweep.test_accuracy.shape == (2,)
    assert sweep.dead[1].mean() > sweep.dead[0].mean()  # a huge step kills units
    figure = draw_dead_units([sweep])
    drawn = figure.axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(drawn, sweep.dead.mean(axis=1))


def test_softmax_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    np.testing.assert_allclose(softmax_with_temperature(logits, 1.0),
                               np.exp(logits) / np.exp(logits).sum())
    entropies = [entropy(softmax_with_temperature(logits, t)) for t in (0.05, 0.5, 1, 2, 100)]
    assert np.all(np.diff(entropies) > 0)
    assert entropies[0] < 1e-6 and abs(entropies[-1] - np.log(4)) < 1e-3
    figure = draw_softmax_temperature(logits, [0.5, 1, 2])
    assert len(figure.axes) == 3
    assert all(ax.get_xlabel() == "class" for ax in figure.axes)
    assert "probability" in figure.axes[0].get_ylabel()


def test_properties_table_is_measured():
    table = activation_properties()
    rows = {row[0]: dict(zip(table.columns, row)) for row in table.rows}
    assert list(rows) == [e.name for e in elementwise_entries()]
    assert rows["ReLU"]["range"] == "0 to ∞" and rows["Tanh"]["range"] == "-1 to 1"
    assert rows["Sigmoid"]["f'(0)"] == "0.25" and rows["Sigmoid"]["E[f(z)]"] == "0.5"
    assert rows["Tanh"]["E[f(z)]"] == "0" and rows["SELU"]["E[f(z)]"] == "0"
    assert rows["ReLU"]["E[f(z)]"] == f"{1 / np.sqrt(2 * np.pi):.4g}"
    assert rows["HardSigmoid"]["f'(10)"] == "0" and rows["LeakyReLU"]["f'(-10)"] == "0.2"
    assert "<td>ReLU</td>" in table._repr_html_() and "activation" in repr(table)


def test_compare_activations_trains_one_model_per_activation(digits):
    small = tuple(a[:300] for a in digits)
    table = compare_activations(small, ["relu", "linear"], hidden=(16,), epochs=2)
    assert [row[0] for row in table.rows] == ["relu", "linear"]
    assert all(0 <= float(row[2]) <= 1 for row in table.rows)


def test_away_from_keeps_its_distance():
    x = away_from(np.random.default_rng(0), (1000,), kinks=(-1.0, 2.0), margin=0.2)
    assert np.min(np.abs(x[:, None] - np.array([-1.0, 2.0]))) >= 0.2

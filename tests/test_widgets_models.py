"""The model-builder explorer driven from Python, as a reader's clicks drive it."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from nnlib.layers import Add, Conv2D, MaxPooling2D
from nnlib.widgets.model_builder import build_model, model_builder_explorer
from widget_testing import control


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    # A small fixed split keeps every view fast.
    return x[:300], data.target[:300], x[300:450], data.target[300:450]


def test_first_view_builds_trains_and_draws(digits):
    widget = model_builder_explorer(*digits)
    result = widget.result
    assert result.output_shapes == {"flatten": (None, 64), "hidden_1": (None, 32),
                                    "classes": (None, 10)}
    assert len(result.history["loss"]) == 3 and result.test_accuracy > 0.5
    assert 'Model: "built"' in result.summary and "Total params: 2,410" in result.summary
    assert result.graph.axes[0].get_title() == 'Model "built"'


def test_depth_and_width_change_the_shapes_and_the_count(digits):
    widget = model_builder_explorer(*digits)
    control(widget, "hidden layers").value = 3
    control(widget, "units").value = 8
    result = widget.result
    assert [name for name in result.output_shapes] == ["flatten", "hidden_1", "hidden_2",
                                                       "hidden_3", "classes"]
    assert result.output_shapes["hidden_3"] == (None, 8)
    assert result.model.count_params() == 64 * 8 + 8 + 2 * (8 * 8 + 8) + 8 * 10 + 10


def test_the_residual_box_adds_skip_connections(digits):
    widget = model_builder_explorer(*digits)
    control(widget, "hidden layers").value = 3
    plain = widget.result.model
    control(widget, "residual (Add)").value = True
    model = widget.result.model
    adds = [layer for layer in model.layers if isinstance(layer, Add)]
    assert len(adds) == 2 and not any(isinstance(layer, Add) for layer in plain.layers)
    assert model.count_params() == plain.count_params()  # a skip connection has no weights
    assert "skip_2[0][0]" in widget.result.summary  # Connected to: a non-linear graph


def test_a_convolutional_front_changes_the_shapes(digits):
    widget = model_builder_explorer(*digits)
    control(widget, "first block").value = "Conv2D + MaxPooling2D"
    shapes = widget.result.output_shapes
    assert shapes["conv"] == (None, 8, 8, 8) and shapes["pool"] == (None, 4, 4, 8)
    assert shapes["flatten"] == (None, 128)
    control(widget, "epochs").value = 1
    assert len(widget.result.history["accuracy"]) == 1


def test_build_model_options():
    model = build_model((8, 8, 1), 10, front="Conv2D", hidden_layers=0, activation="tanh")
    assert [type(layer).__name__ for layer in model.layers] == \
        ["InputLayer", "Conv2D", "Flatten", "Dense"]
    assert not any(isinstance(layer, MaxPooling2D) for layer in model.layers)
    assert isinstance(model.get_layer("conv"), Conv2D)
    assert type(model.get_layer("conv").activation).__name__ == "Tanh"
    with pytest.raises(ValueError, match="front must be one of"):
        build_model((8, 8, 1), 10, front="LSTM")
    np.testing.assert_array_equal(model.predict(np.zeros((2, 8, 8, 1))).sum(axis=1), [1, 1])

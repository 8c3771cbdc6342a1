"""Model-builder explorer: choose the layers and their sizes, watch the summary,
the graph and the output shapes change, then train the model briefly on digits."""
from dataclasses import dataclass

import ipywidgets
from IPython.display import display
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Model
from ..layers import Add, Conv2D, Dense, Flatten, MaxPooling2D
from ..models.plot import plot_model
from ..models.summary import summary_text
from ..optimizers import Adam
from ..utils import set_random_seed
from .controls import interactive

FRONTS = ("Flatten", "Conv2D", "Conv2D + MaxPooling2D")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu")
CONV_FILTERS = 8  # few enough that every view trains in about a second


@dataclass
class BuilderResult:
    """What the explorer shows: the model, its summary, each layer's output
    shape, the training history and test accuracy, and the two figures."""

    model: Model
    summary: str
    output_shapes: dict
    history: dict
    test_accuracy: float
    graph: plt.Figure
    curves: plt.Figure


def build_model(input_shape, n_classes, front="Flatten", hidden_layers=1, units=32,
                activation="relu", residual=False):
    """An image classifier: a front (``Flatten``, or a ``Conv2D`` of
    ``CONV_FILTERS`` filters, optionally pooled, then ``Flatten``),
    ``hidden_layers`` Dense layers of ``units``, and a softmax.  With
    ``residual``, each hidden layer after the first adds its input to its
    output (``Add``), the Functional API's skip connection."""
    if front not in FRONTS:
        raise ValueError(f"front must be one of {FRONTS}, got {front!r}")
    x = Input(input_shape, name="image")
    h = x
    if front != "Flatten":
        h = Conv2D(CONV_FILTERS, 3, padding="same", activation=activation, name="conv")(h)
        if front.endswith("MaxPooling2D"):
            h = MaxPooling2D(name="pool")(h)
    h = Flatten(name="flatten")(h)
    for i in range(hidden_layers):
        y = Dense(units, activation=activation, name=f"hidden_{i + 1}")(h)
        h = Add(name=f"skip_{i + 1}")([h, y]) if residual and i > 0 else y
    outputs = Dense(n_classes, activation="softmax", name="classes")(h)
    return Model(x, outputs, name="built")


def build_and_train(data, front="Flatten", hidden_layers=1, units=32, activation="relu",
                    residual=False, epochs=3, seed=0):
    """Build, summarise, draw and train the model on ``data = (x_train, y_train,
    x_test, y_test)``; returns a ``BuilderResult``."""
    x_train, y_train, x_test, y_test = data
    set_random_seed(seed)
    model = build_model(x_train.shape[1:], int(y_train.max()) + 1, front, hidden_layers,
                        units, activation, residual)
    summary = summary_text(model)  # before training, as one calls it: no optimizer state yet
    model.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0,
                        validation_data=(x_test, y_test)).history
    shapes = {node.layer.name: node.outputs[0].shape for node in model.nodes}
    graph = plot_model(model, show_shapes=True, dpi=90)
    curves = plot_curves({"train": history, "test": {"accuracy": history["val_accuracy"]}},
                         ["accuracy"], dpi=72)
    curves.axes[0].set(ylim=(0, 1.02), title=f"{model.count_params():,} parameters, test "
                                             f"accuracy {history['val_accuracy'][-1]:.3f}")
    return BuilderResult(model, summary, shapes, history,
                         history["val_accuracy"][-1], graph, curves)


def plot_curves(histories, keys=("loss",), dpi=100):
    """Training curves: one panel per logged quantity in ``keys``, one line per
    run in ``histories`` (``{label: history.history}``); returns the figure."""
    figure, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3), dpi=dpi,
                                squeeze=False)
    for ax, key in zip(axes[0], keys):
        for label, history in histories.items():
            if key in history:
                epochs = np.arange(1, len(history[key]) + 1)
                ax.plot(epochs, history[key], marker="o", markersize=3, label=label)
        ax.set(xlabel="epoch", title=key)
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def model_builder_explorer(x_train, y_train, x_test, y_test):
    """Controls for the front, depth, width, activation, skip connections and
    epochs over ``build_and_train``; prints the summary and shows the graph
    and the accuracy curves."""
    controls = {
        "front": ipywidgets.Dropdown(options=FRONTS, value="Flatten", description="first block"),
        "hidden_layers": ipywidgets.IntSlider(value=1, min=0, max=3, description="hidden layers",
                                              continuous_update=False),
        "units": ipywidgets.SelectionSlider(options=[4, 8, 16, 32, 64], value=32,
                                            description="units",
                                            continuous_update=False),
        "activation": ipywidgets.Dropdown(options=ACTIVATIONS, value="relu",
                                          description="activation"),
        "residual": ipywidgets.Checkbox(value=False, description="residual (Add)"),
        "epochs": ipywidgets.IntSlider(value=3, min=1, max=5, description="epochs",
                                       continuous_update=False),
    }
    data = (x_train, y_train, x_test, y_test)

    def explore(front, hidden_layers, units, activation, residual, epochs):
        result = build_and_train(data, front, hidden_layers, units, activation, residual, epochs)
        print(result.summary)
        display(result.graph, result.curves)
        plt.close(result.graph)
        plt.close(result.curves)
        return result

    return interactive(explore, **controls)

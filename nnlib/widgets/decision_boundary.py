"""Decision-boundary explorer: an MLP's hidden units and learning rate against
the regions it carves out of a 2-D data set, with its training curve."""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential
from ..layers import Dense
from ..optimizers import SGD
from ..utils import set_random_seed
from .controls import interactive


@dataclass
class BoundaryResult:
    """What the explorer drew: the trained model, its history and the grid's classes."""

    model: Sequential
    history: dict
    grid_x: np.ndarray
    grid_y: np.ndarray
    grid_classes: np.ndarray
    figure: plt.Figure


def train_classifier_2d(x, y, hidden_units, learning_rate, epochs=100, seed=0):
    """Train ``Dense(hidden_units, relu) -> Dense(n_classes, softmax)`` with SGD."""
    set_random_seed(seed)
    model = Sequential([Input((x.shape[1],)),
                        Dense(hidden_units, activation="relu"),
                        Dense(int(y.max()) + 1, activation="softmax")])
    model.compile(optimizer=SGD(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model, history.history


def class_grid(model, x, resolution=150, margin=0.5):
    """The predicted class on a ``resolution`` x ``resolution`` grid around ``x``."""
    low, high = x.min(axis=0) - margin, x.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution),
                                 np.linspace(low[1], high[1], resolution))
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    classes = model.predict(points, batch_size=4096).argmax(axis=1)
    return grid_x, grid_y, classes.reshape(grid_x.shape)


def draw_boundary(x, y, hidden_units, learning_rate, epochs=100, feature_names=("x1", "x2"),
                  class_names=None):
    """Train, then draw the decision regions beside the loss and accuracy curves."""
    model, history = train_classifier_2d(x, y, hidden_units, learning_rate, epochs)
    grid_x, grid_y, classes = class_grid(model, x)
    n_classes = int(y.max()) + 1
    figure, (regions, curves) = plt.subplots(1, 2, figsize=(10, 4))
    cmap = plt.get_cmap("tab10")
    regions.contourf(grid_x, grid_y, classes, levels=np.arange(n_classes + 1) - 0.5,
                     colors=[cmap(k) for k in range(n_classes)], alpha=0.25)
    for k in range(n_classes):
        label = class_names[k] if class_names is not None else f"class {k}"
        regions.scatter(*x[y == k].T, s=14, color=cmap(k), edgecolor="k", linewidth=0.3,
                        label=label)
    regions.set(xlabel=feature_names[0], ylabel=feature_names[1],
                title=f"{hidden_units} hidden units, learning rate {learning_rate:g}")
    regions.legend(loc="best", fontsize=8)
    epochs_axis = np.arange(1, epochs + 1)
    curves.plot(epochs_axis, history["loss"], label="loss")
    curves.plot(epochs_axis, history["accuracy"], label="accuracy")
    curves.set(xlabel="epoch", ylim=(0, max(1.05, history["loss"][0])),
               title=f"final accuracy {history['accuracy'][-1]:.3f}")
    curves.legend(loc="best")
    figure.tight_layout()
    return BoundaryResult(model, history, grid_x, grid_y, classes, figure)


def decision_boundary_explorer(x, y, feature_names=("x1", "x2"), class_names=None,
                               epochs=100):
    """Sliders for hidden units and learning rate over ``draw_boundary``."""
    units = ipywidgets.SelectionSlider(options=[1, 2, 4, 8, 16, 32, 64], value=8,
                                       description="hidden units", continuous_update=False)
    rate = ipywidgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.5,
                                     description="learning rate", continuous_update=False)

    def explore(hidden_units, learning_rate):
        return draw_boundary(x, y, hidden_units, learning_rate, epochs, feature_names,
                             class_names)

    return interactive(explore, hidden_units=units, learning_rate=rate)

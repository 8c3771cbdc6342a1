"""Loss explorers: each loss and its gradient against the prediction, and a race
between mean squared error and cross-entropy on one sigmoid neuron."""
import inspect
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential, registry
from ..layers import Dense
from ..losses import (BinaryCrossentropy, CategoricalCrossentropy, Hinge, KLDivergence,
                      Loss, MeanSquaredError, SparseCategoricalCrossentropy)
from ..optimizers import SGD
from .controls import interactive

# -- loss and gradient along one line of predictions -----------------------------------


@dataclass
class PredictionSlice:
    """A line of predictions :math:`\\hat y(x) = a + x\\,u` and the label they face.

    ``y_true`` is one sample's label, ``base`` and ``direction`` are
    :math:`a` and :math:`u` (one sample's prediction shape); by the chain
    rule the loss's slope along the line is :math:`\\nabla_{\\hat y}\\ell \\cdot u`.
    """

    x: np.ndarray
    y_true: np.ndarray
    base: np.ndarray
    direction: np.ndarray
    x_label: str


def prediction_slice(loss, target, points=401):
    """The line the explorer moves the prediction along, chosen from what ``y_pred`` means.

    Regression losses: the prediction itself, around ``target``.  Hinge: a
    score against the label ``round(target)`` (0/1 read as -1/1).  Binary
    cross-entropy: the probability of a 1 (or its logit).  Categorical
    losses and KL divergence: two classes, probabilities :math:`(1-p, p)`
    (or logits :math:`(0, z)`) against the label distribution
    :math:`(1-t, t)` (class ``round(t)`` for sparse labels).
    """
    logits = getattr(loss, "from_logits", False)
    if isinstance(loss, (CategoricalCrossentropy, KLDivergence)):
        if isinstance(loss, SparseCategoricalCrossentropy):
            y_true = np.array(round(target))
        else:
            y_true = np.array([1 - target, target])
        if logits:
            return PredictionSlice(np.linspace(-8, 8, points), y_true, np.zeros(2),
                                   np.array([0.0, 1.0]), "logit $z$ of class 1 (class 0 at 0)")
        return PredictionSlice(np.linspace(1e-3, 1 - 1e-3, points), y_true, np.array([1.0, 0.0]),
                               np.array([-1.0, 1.0]), "probability $p$ of class 1")
    y_true = np.array([target])
    if isinstance(loss, BinaryCrossentropy):
        if logits:
            return PredictionSlice(np.linspace(-8, 8, points), y_true, np.zeros(1), np.ones(1),
                                   "logit $z$")
        return PredictionSlice(np.linspace(1e-3, 1 - 1e-3, points), y_true, np.zeros(1),
                               np.ones(1), "probability $p$")
    if isinstance(loss, Hinge):
        return PredictionSlice(np.linspace(-3, 3, points), np.array([float(round(target))]),
                               np.zeros(1), np.ones(1), "score $\\hat y$")
    return PredictionSlice(np.linspace(target - 3, target + 3, points), y_true, np.zeros(1),
                           np.ones(1), "prediction $\\hat y$")


def loss_curve(loss, target, points=401):
    """One sample's loss and its slope at every point of ``prediction_slice``.

    Returns ``(slice, values, slopes)``; the values and the gradients come
    from the loss's own ``forward`` and ``backward``.
    """
    line = prediction_slice(loss, target, points)
    y_pred = line.base + line.x[:, None] * line.direction
    y_true = np.broadcast_to(line.y_true, (points,) + line.y_true.shape)
    per_sample = type(loss)(**{**loss.get_config(), "reduction": "none", "dtype": "float64"})
    values, cache = per_sample.forward(y_true, y_pred)
    gradients = per_sample.backward(np.ones(points), cache)
    return line, values, gradients @ line.direction


def build_loss(name, **options):
    """The registered loss ``name``, given those of ``options`` its class accepts."""
    cls = registry.entry_for("loss", name).cls
    accepted = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in options.items() if k in accepted})


@dataclass
class CurveResult:
    """What the loss explorer drew."""

    loss: Loss
    x: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    figure: plt.Figure


def draw_loss_curve(name, target=1.0, delta=1.0, from_logits=False):
    """Draw the loss (left) and its slope (right) along the prediction slice."""
    loss = build_loss(name, delta=delta, from_logits=from_logits)
    line, values, slopes = loss_curve(loss, target)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(line.x, values, color="C0")
    right.plot(line.x, slopes, color="C3")
    right.axhline(0, color="grey", linewidth=0.8)
    left.set(xlabel=line.x_label, ylabel="loss", title=f"{type(loss).__name__}, target {target:g}")
    right.set(xlabel=line.x_label, ylabel="slope of the loss",
              title="gradient along the prediction")
    if isinstance(loss, BinaryCrossentropy) or isinstance(loss, (CategoricalCrossentropy,
                                                                 KLDivergence)):
        right.set_ylim(max(slopes.min(), -20) - 1, min(slopes.max(), 20) + 1)
    figure.tight_layout()
    return CurveResult(loss, line.x, values, slopes, figure)


def draw_loss_comparison(losses, target=0.0, xlim=None, labels=None, xlabel=None):
    """Several losses and their slopes on shared axes, for one ``target``.

    ``xlim`` keeps the part of each curve inside it; ``labels`` and ``xlabel``
    replace the class names and the prediction slice's axis label.
    """
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for index, loss in enumerate(losses):
        line, values, slopes = loss_curve(loss, target)
        inside = slice(None) if xlim is None else (line.x >= xlim[0]) & (line.x <= xlim[1])
        label = labels[index] if labels else type(loss).__name__
        left.plot(line.x[inside], values[inside], label=label)
        right.plot(line.x[inside], slopes[inside], label=label)
    right.axhline(0, color="grey", linewidth=0.8)
    xlabel = xlabel or line.x_label
    left.set(xlabel=xlabel, ylabel="loss", title=f"target {target:g}")
    right.set(xlabel=xlabel, ylabel="slope of the loss")
    left.legend(fontsize=8)
    figure.tight_layout()
    return figure


def loss_explorer(default="Huber"):
    """A menu of every registered loss, the label, Huber's delta and ``from_logits``."""
    names = [entry.name for entry in registry.entries("loss")]
    return interactive(
        draw_loss_curve,
        name=ipywidgets.Dropdown(options=names, value=default, description="loss"),
        target=ipywidgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05,
                                      description="target y", continuous_update=False),
        delta=ipywidgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1,
                                     description="delta (Huber)", continuous_update=False),
        from_logits=ipywidgets.Checkbox(value=False, description="from_logits"))


# -- the race: one sigmoid neuron, two losses ------------------------------------------

RACERS = {"mean squared error": MeanSquaredError, "cross-entropy": BinaryCrossentropy}


def train_neuron(loss, start, learning_rate, epochs, x=1.0, y=0.0):
    """Train ``Dense(1, sigmoid)`` with weight and bias both ``start`` to map ``x`` to ``y``.

    Plain gradient descent, written out; returns the output and the loss
    before each step, as arrays of length ``epochs``.
    """
    model = Sequential([Input((1,)), Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([np.array([[start]]), np.array([start])])
    optimizer = SGD(learning_rate)
    x, y = np.array([[x]]), np.array([[y]])
    outputs, values = np.zeros(epochs), np.zeros(epochs)
    for epoch in range(epochs):
        y_pred, tape = model.forward(x, training=True)
        value, cache = loss.forward(y, y_pred)
        _, grads = model.backward(loss.backward(1.0, cache), tape, need_dx=False)
        optimizer.apply(grads, model.named_weights())
        outputs[epoch], values[epoch] = float(y_pred[0, 0]), float(value)
    return outputs, values


@dataclass
class RaceResult:
    """The two neurons' outputs and losses per epoch, and when each got below 0.1."""

    outputs: dict
    losses: dict
    epochs_to_learn: dict
    figure: plt.Figure


def epochs_below(outputs, level=0.1):
    """The first epoch whose output is below ``level`` (``None`` if never)."""
    below = np.flatnonzero(outputs < level)
    return int(below[0]) if below.size else None


def draw_race(start=2.0, learning_rate=0.15, epochs=300):
    """Race mean squared error against cross-entropy from ``w = b = start``."""
    outputs, values, learned = {}, {}, {}
    for name, cls in RACERS.items():
        outputs[name], values[name] = train_neuron(cls(), start, learning_rate, epochs)
        learned[name] = epochs_below(outputs[name])
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for color, name in zip(("C1", "C0"), RACERS):
        when = learned[name]
        label = f"{name}: below 0.1 at epoch {when}" if when is not None else \
            f"{name}: not below 0.1"
        left.plot(outputs[name], color=color, label=label)
        right.plot(values[name], color=color, label=name)
    left.axhline(0.1, color="grey", linewidth=0.8, linestyle=":")
    left.set(xlabel="epoch", ylabel="output $\\sigma(w + b)$", ylim=(-0.02, 1.02),
             title=f"start w = b = {start:g}, learning rate {learning_rate:g}")
    right.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss (log scale)")
    left.legend(loc="upper right", fontsize=8)
    right.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    return RaceResult(outputs, values, learned, figure)


def neuron_race_explorer(epochs=300):
    """Sliders for the starting weight and bias and the learning rate over ``draw_race``."""
    return interactive(
        lambda start, learning_rate: draw_race(start, learning_rate, epochs),
        start=ipywidgets.FloatSlider(value=2.0, min=-1.0, max=4.0, step=0.25,
                                     description="start w = b", continuous_update=False),
        learning_rate=ipywidgets.FloatSlider(value=0.15, min=0.05, max=1.0, step=0.05,
                                             description="learning rate",
                                             continuous_update=False))

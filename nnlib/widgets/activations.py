"""The activation chapter's explorers and measurements.

* ``function_explorer``: curves and derivatives of the element-wise
  activations, with their parameters and the x range as controls;
* ``gradient_flow_explorer``: depth and activation of a Dense stack trained on
  real data, against the gradient norm that reaches each layer;
* the measurements behind the chapter's tables and figures:
  ``activation_properties``, ``gradient_flow``, ``dead_unit_fraction``,
  ``compare_activations``.

Every derivative drawn here is the activation's own ``backward`` pass and
every gradient norm comes from ``model.backward``: nothing is recomputed.
"""
import inspect
from dataclasses import dataclass, field

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential, activations, registry
from ..layers import Dense
from ..losses import SparseCategoricalCrossentropy
from ..optimizers import SGD
from ..utils import set_random_seed
from .controls import interactive


def elementwise_entries():
    """Registry entries of the activations applied element by element (all but
    Softmax), in the order of the chapter's table (grouped by family)."""
    return [e for e in registry.table("activation").entries
            if issubclass(e.cls, activations.ElementwiseActivation)]


def value_and_derivative(activation, x):
    """:math:`f(x)` and :math:`f'(x)`, the latter from the activation's backward pass."""
    y, cache = activation.forward(x)
    return y, activation.backward(np.ones_like(y), cache)


class Table:
    """A small table that renders as HTML in a notebook and as text elsewhere."""

    def __init__(self, columns, rows):
        self.columns, self.rows = list(columns), [list(map(str, r)) for r in rows]

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                       for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self):
        widths = [max(len(r[i]) for r in [self.columns, *self.rows])
                  for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                 for row in [self.columns, *self.rows]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def significant(value):
    """A number to 4 significant digits (no "-0"), infinities as the symbol."""
    return "∞" if value == np.inf else "-∞" if value == -np.inf else f"{value + 0.0:.4g}"


# -- properties of each activation ---------------------------------------------------------

def activation_properties():
    """Range, slopes in the tails and at 0, mean output, cost: one row per
    element-wise activation (with its default arguments), all measured.

    * range: the smallest and largest value on a fine grid of [-20, 20] and at
      :math:`\\pm 10^{12}` (beyond :math:`10^3` in size means unbounded);
    * :math:`f'(-10)`, :math:`f'(0)`, :math:`f'(10)`: the backward pass at
      those points; a tail slope of (nearly) 0 means the function saturates;
    * :math:`E[f(z)]` for :math:`z \\sim N(0, 1)`, by quadrature: 0 for a
      zero-centred activation.
    """
    grid = np.concatenate([[-1e12], np.linspace(-20, 20, 40001), [1e12]])
    z = np.linspace(-12, 12, 24001)
    density = np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    rows = []
    for entry in elementwise_entries():
        activation = entry.cls()
        values = activation(grid)
        low, high = [v if abs(v) < 1e3 else np.sign(v) * np.inf
                     for v in (values.min(), values.max())]
        _, slopes = value_and_derivative(activation, np.array([-10.0, 0.0, 10.0]))
        mean = np.sum(activation(z) * density) * (z[1] - z[0])
        rows.append([entry.name, f"{significant(low)} to {significant(high)}",
                     *map(significant, slopes), significant(round(mean, 6)),
                     activation.cost])
    return Table(["activation", "range", "f'(-10)", "f'(0)", "f'(10)", "E[f(z)]", "cost"], rows)


# -- explorer 1: functions and derivatives --------------------------------------------------

# Slider ranges for the activations' arguments: (min, max, step), or the choices.
PARAMETER_RANGES = {"negative_slope": (0.0, 1.0, 0.05), "alpha": (0.0, 3.0, 0.1),
                    "threshold": (-2.0, 2.0, 0.25),
                    "max_value": [("none", None)] + [(str(v), float(v)) for v in range(1, 7)]}


def parameter_control(cls, name, default):
    """A control for argument ``name`` of activation ``cls``, at its default."""
    description = f"{cls.__name__} {name}"
    if isinstance(default, bool):
        return ipywidgets.Checkbox(value=default, description=description)
    choices = PARAMETER_RANGES.get(name)
    if isinstance(choices, list):
        index = [value for _, value in choices].index(default)  # value=None means "unset"
        return ipywidgets.SelectionSlider(options=choices, index=index,
                                          description=description, continuous_update=False)
    low, high, step = choices or (min(0.0, default), max(1.0, 2 * default), 0.05)
    return ipywidgets.FloatSlider(value=default, min=low, max=high, step=step,
                                  description=description, continuous_update=False)


def parameter_controls():
    """One control per argument of each element-wise activation, keyed
    ``ClassName_argument`` (e.g. ``ReLU_max_value``)."""
    controls = {}
    for entry in elementwise_entries():
        for name, parameter in inspect.signature(entry.cls).parameters.items():
            controls[f"{entry.name}_{name}"] = parameter_control(entry.cls, name,
                                                                 parameter.default)
    return controls


@dataclass
class Curves:
    """What the function explorer drew: the activations, the grid, values and slopes."""

    x: np.ndarray
    activations: dict
    values: dict = field(default_factory=dict)
    derivatives: dict = field(default_factory=dict)
    figure: plt.Figure = None


def draw_curves(names, x_range=(-5.0, 5.0), arguments=None, points=801):
    """Plot :math:`f` and :math:`f'` of the activations ``names`` on ``x_range``.

    ``arguments`` maps a name to the keyword arguments of its class, e.g.
    ``{"ReLU": {"max_value": 6.0}}``.
    """
    arguments = arguments or {}
    x = np.linspace(*x_range, points)
    built = {name: registry.get("activation", name, **arguments.get(name, {}))
             for name in names}
    curves = Curves(x, built)
    figure, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, activation in built.items():
        curves.values[name], curves.derivatives[name] = value_and_derivative(activation, x)
        ax_f.plot(x, curves.values[name], label=repr(activation))
        ax_d.plot(x, curves.derivatives[name], label=name)
    for ax, title in [(ax_f, "f(x)"), (ax_d, "f'(x), from the backward pass")]:
        ax.axhline(0, color="0.6", linewidth=0.6)
        ax.axvline(0, color="0.6", linewidth=0.6)
        ax.set(xlabel="x", title=title, xlim=x_range)
    if built:
        ax_f.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    curves.figure = figure
    return curves


def function_explorer(functions=("ReLU", "Sigmoid", "Tanh")):
    """Choose activations, their arguments and the x range; see each curve and
    its derivative."""
    names = [e.name for e in elementwise_entries()]
    menu = ipywidgets.SelectMultiple(options=names, value=tuple(functions), rows=6,
                                     description="functions")
    x_range = ipywidgets.FloatRangeSlider(value=(-5.0, 5.0), min=-10.0, max=10.0, step=0.5,
                                          description="x range", continuous_update=False)
    controls = parameter_controls()

    def explore(functions, x_range, **parameters):
        arguments = {}
        for key, value in parameters.items():
            name, argument = key.split("_", 1)
            arguments.setdefault(name, {})[argument] = value
        return draw_curves(functions, x_range, arguments)

    return interactive(explore, functions=menu, x_range=x_range, **controls)


# -- gradients through a deep stack ------------------------------------------------------------

def dense_stack(depth, activation, width=32, n_inputs=64, n_classes=10,
                kernel_initializer="glorot_uniform", output_activation="softmax"):
    """``depth`` hidden ``Dense(width, activation)`` layers, then a classifier layer."""
    return Sequential([Input((n_inputs,)),
                       *[Dense(width, activation=activation,
                               kernel_initializer=kernel_initializer) for _ in range(depth)],
                       Dense(n_classes, activation=output_activation)])


def gradient_norms(model, x, y, loss=None):
    """:math:`\\|\\partial L/\\partial W\\|` of each ``Dense`` kernel, first layer first,
    for the batch ``(x, y)``."""
    loss = loss or SparseCategoricalCrossentropy()
    y_pred, tape = model.forward(model.prepare(x), training=True)
    _, loss_cache = loss.forward(y, y_pred)
    _, grads = model.backward(loss.backward(1.0, loss_cache), tape, need_dx=False)
    return np.array([np.linalg.norm(grads[f"{layer.name}.kernel"])
                     for layer in model.layers if isinstance(layer, Dense)])


def layer_statistics(model, x, y, loss=None):
    """Per hidden ``Dense`` layer :math:`l` of a stack, first layer first, for
    the batch ``(x, y)``: ``"weight_grad"``, :math:`\\|\\partial L/\\partial W_l\\|`;
    ``"activation_grad"``, :math:`\\|\\partial L/\\partial h_l\\|`, the gradient
    with respect to the layer's outputs; ``"spread"``, the standard deviation
    of :math:`h_l` over the batch and the units.

    :math:`\\partial L/\\partial W_l = h_{l-1}^\\top (\\partial L/\\partial h_l \\odot f'(z_l))`
    grows with the scale of the layer's inputs :math:`h_{l-1}` as well as with
    the gradient that reaches it: the second and third measures separate the
    two. The walk backward is the model's own tape, layer by layer."""
    loss = loss or SparseCategoricalCrossentropy()
    y_pred, tape = model.forward(model.prepare(x), training=True)
    _, loss_cache = loss.forward(y, y_pred)
    d = loss.backward(1.0, loss_cache)
    records = [record for record in tape if isinstance(record.node.layer, Dense)]
    weight_grad, activation_grad, spread = [], [], []
    for index, record in enumerate(reversed(records)):
        if index > 0:  # a hidden layer: d is dL/dh of its outputs
            activation_grad.append(np.linalg.norm(d))
            spread.append(float(np.std(record.outputs[0])))
        d, grads = record.node.layer.run_backward(d, record.cache, need_dx=True)
        if index > 0:
            weight_grad.append(np.linalg.norm(grads["kernel"]))
    return {name: np.array(values[::-1]) for name, values in
            [("weight_grad", weight_grad), ("activation_grad", activation_grad),
             ("spread", spread)]}


@dataclass
class GradientFlow:
    """One stack's run: per-layer gradient norms before and after training, and
    its accuracy on held-out data after each epoch."""

    activation: str
    depth: int
    norms_before: np.ndarray
    norms_after: np.ndarray
    test_accuracy: list
    model: Sequential
    statistics_before: dict = None
    statistics_after: dict = None


def gradient_flow(data, depth, activation, epochs=10, learning_rate=0.01, momentum=0.9,
                  width=32, kernel_initializer="glorot_uniform", seed=0, probe=256):
    """Train a ``dense_stack`` on ``data = (x_train, y_train, x_test, y_test)``
    with SGD, measuring the gradient norms on the first ``probe`` training
    examples before and after."""
    x_train, y_train, x_test, y_test = data
    set_random_seed(seed)
    model = dense_stack(depth, activation, width, x_train.shape[1], int(y_train.max()) + 1,
                        kernel_initializer)
    model.compile(optimizer=SGD(learning_rate, momentum=momentum),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probe = (x_train[:probe], y_train[:probe])
    before, statistics_before = gradient_norms(model, *probe), layer_statistics(model, *probe)
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0,
                        validation_data=(x_test, y_test))
    after, statistics_after = gradient_norms(model, *probe), layer_statistics(model, *probe)
    return GradientFlow(activation, depth, before, after, history.history["val_accuracy"],
                        model, statistics_before, statistics_after)


def draw_gradient_flow(flows, title=None):
    """Per-layer gradient norms (log scale) before and after training, and the
    test accuracy per epoch, for one or more ``GradientFlow`` runs."""
    figure, (ax_before, ax_after, ax_accuracy) = plt.subplots(1, 3, figsize=(12, 3.6))
    for flow in flows:
        layers = np.arange(1, len(flow.norms_before) + 1)
        label = f"{flow.activation}, depth {flow.depth}"
        line, = ax_before.semilogy(layers, flow.norms_before, "o-", label=label)
        ax_after.semilogy(layers, flow.norms_after, "o-", color=line.get_color())
        ax_accuracy.plot(np.arange(1, len(flow.test_accuracy) + 1), flow.test_accuracy,
                         color=line.get_color(), label=label)
    for ax, heading in [(ax_before, "at initialisation"), (ax_after, "after training")]:
        ax.set(xlabel="layer (1 = next to the input)", ylabel="‖∂L/∂W‖",
               title=f"gradient norm per layer, {heading}")
    ax_accuracy.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
                    title="test accuracy")
    ax_before.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def draw_layer_statistics(flows, when="before"):
    """The three measures of ``layer_statistics`` per hidden layer (log scale),
    at initialisation (``when="before"``) or after training (``"after"``), for
    one or more ``GradientFlow`` runs."""
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    measures = [("weight_grad", "‖∂L/∂W_l‖", "weight gradient"),
                ("activation_grad", "‖∂L/∂h_l‖", "gradient reaching the outputs"),
                ("spread", "std of h_l", "spread of the outputs")]
    heading = "at initialisation" if when == "before" else "after training"
    for flow in flows:
        statistics = flow.statistics_before if when == "before" else flow.statistics_after
        layers = np.arange(1, len(statistics["spread"]) + 1)
        for ax, (key, _, _) in zip(axes, measures):
            ax.semilogy(layers, statistics[key], "o-", label=f"{flow.activation}")
    for ax, (_, label, title) in zip(axes, measures):
        ax.set(xlabel="hidden layer l (1 = next to the input)", ylabel=label,
               title=f"{title}, {heading}")
        ax.title.set_fontsize(9)
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    return figure


@dataclass
class FlowView:
    """What the gradient-flow explorer drew."""

    flow: GradientFlow
    figure: plt.Figure


def gradient_flow_explorer(data, epochs=3):
    """Depth and activation of a Dense stack against the gradient norm that
    reaches each layer, before and after ``epochs`` of training on ``data``."""
    names = [e.name for e in elementwise_entries()]
    depth = ipywidgets.IntSlider(value=8, min=1, max=12, description="depth",
                                 continuous_update=False)
    activation = ipywidgets.Dropdown(options=names, value="Sigmoid", description="activation")
    initializer = ipywidgets.Dropdown(options=["glorot_uniform", "he_normal", "lecun_normal"],
                                      value="glorot_uniform", description="kernel init")

    def explore(depth, activation, kernel_initializer):
        flow = gradient_flow(data, depth, activation, epochs=epochs,
                             kernel_initializer=kernel_initializer)
        return FlowView(flow, draw_gradient_flow([flow]))

    return interactive(explore, depth=depth, activation=activation,
                                  kernel_initializer=initializer)


# -- dead units -------------------------------------------------------------------------------

def dead_unit_fraction(model, x):
    """For each hidden ``Dense`` layer, the fraction of its units whose
    activation has a zero derivative on every input of ``x``: units that no
    longer learn (a "dead" ReLU outputs 0 for all of them)."""
    _, tape = model.forward(model.prepare(x), training=False)
    hidden = [(record.node.layer, record.cache) for record in tape
              if isinstance(record.node.layer, Dense)][:-1]
    fractions = []
    for layer, (_, activation_cache) in hidden:
        ones = np.ones((len(x), layer.units), dtype=layer.dtype)
        slope = layer.activation.backward(ones, activation_cache)
        fractions.append(float(np.all(slope == 0, axis=0).mean()))
    return fractions


@dataclass
class DeadUnits:
    """A learning-rate sweep: the dead fraction of each hidden layer and the
    test accuracy, one row per learning rate."""

    activation: str
    learning_rates: list
    dead: np.ndarray
    test_accuracy: np.ndarray


def dead_units_against_learning_rate(data, activation, learning_rates, depth=3, width=64,
                                     epochs=10, seed=0):
    """Train the same ``dense_stack`` with plain SGD at each learning rate and
    measure ``dead_unit_fraction`` on the training inputs afterwards."""
    x_train, y_train, x_test, y_test = data
    dead, accuracy = [], []
    for learning_rate in learning_rates:
        set_random_seed(seed)
        model = dense_stack(depth, activation, width, x_train.shape[1], int(y_train.max()) + 1)
        model.compile(optimizer=SGD(learning_rate), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
        dead.append(dead_unit_fraction(model, x_train))
        accuracy.append(model.evaluate(x_test, y_test, verbose=0)[1])
    return DeadUnits(activation, list(learning_rates), np.array(dead), np.array(accuracy))


def draw_dead_units(sweeps):
    """Fraction of dead hidden units (all layers together), and test accuracy,
    against the learning rate."""
    figure, (ax_dead, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 3.6))
    for sweep in sweeps:
        ax_dead.plot(sweep.learning_rates, sweep.dead.mean(axis=1), "o-", label=sweep.activation)
        ax_accuracy.plot(sweep.learning_rates, sweep.test_accuracy, "o-", label=sweep.activation)
    ax_dead.set(xlabel="learning rate", ylabel="fraction of dead hidden units",
                ylim=(-0.05, 1.05), title="units with zero gradient on every training input")
    ax_accuracy.set(xlabel="learning rate", ylabel="test accuracy", ylim=(0, 1),
                    title="test accuracy after training")
    for ax in (ax_dead, ax_accuracy):
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


# -- softmax with a temperature ---------------------------------------------------------------

def softmax_with_temperature(logits, temperature):
    """:math:`\\operatorname{softmax}(z / T)`: sharper for :math:`T < 1`, flatter for
    :math:`T > 1`."""
    return activations.softmax(np.asarray(logits, dtype=np.float64) / temperature)


def entropy(p):
    """:math:`H(p) = -\\sum_k p_k \\log p_k` in nats: 0 for a one-hot
    :math:`p`, :math:`\\log K` for the uniform distribution over :math:`K` classes."""
    p = np.asarray(p)
    return float(-np.sum(p * np.log(np.where(p > 0, p, 1))))


def draw_softmax_temperature(logits, temperatures):
    """Bar charts of ``softmax(logits / T)`` for each temperature, titled with
    the entropy."""
    figure, axes = plt.subplots(1, len(temperatures), figsize=(2.6 * len(temperatures), 2.6),
                                sharey=True)
    for ax, temperature in zip(np.atleast_1d(axes), temperatures):
        p = softmax_with_temperature(logits, temperature)
        ax.bar(np.arange(len(p)), p, color=plt.get_cmap("tab10")(np.arange(len(p))))
        ax.set(xticks=np.arange(len(p)), ylim=(0, 1), xlabel="class",
               title=f"T = {temperature:g}, H = {entropy(p):.3g}")
        ax.tick_params(labelsize=7)
    np.atleast_1d(axes)[0].set_ylabel("probability softmax(z / T)")
    figure.tight_layout()
    return figure


def compare_activations(data, names, hidden=(64, 64), epochs=10, learning_rate=0.05,
                        momentum=0.9, seed=0):
    """Train the same MLP with each activation of ``names``; one row each:
    name, final training loss, test accuracy."""
    x_train, y_train, x_test, y_test = data
    rows = []
    for name in names:
        set_random_seed(seed)
        model = Sequential([Input((x_train.shape[1],)),
                            *[Dense(units, activation=name) for units in hidden],
                            Dense(int(y_train.max()) + 1, activation="softmax")])
        model.compile(optimizer=SGD(learning_rate, momentum=momentum),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        rows.append([name, significant(history.history["loss"][-1]), significant(accuracy)])
    return Table(["activation", "final training loss", "test accuracy"], rows)

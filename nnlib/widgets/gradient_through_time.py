"""How far back a gradient reaches in a recurrent layer, measured: the norm of
:math:`\\partial L / \\partial h_t` against the distance :math:`T - t` from the
step whose output the loss reads, and the chapter's explorer of it.

The loss is :math:`L = h_T \\cdot r` for a random unit vector :math:`r` per
sequence, so :math:`\\lVert \\partial L/\\partial h_T \\rVert = 1` and every
other norm reads as "the fraction of the gradient left :math:`k` steps back".
:math:`\\partial L/\\partial h_t` is the gradient of the steps after
:math:`t` with respect to their initial state: the layer is run again from
the states it had at step :math:`t` (``trace``), and its backward pass hands
back the gradient of ``initial_state``.  For an LSTM the cell state
:math:`c_t` is the second initial state, so :math:`\\partial L/\\partial c_t`
comes with it.
"""
import functools
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import initializers
from ..layers import GRU, LSTM, SimpleRNN
from ..utils import set_random_seed
from .controls import interactive
from .embedding_explorer import VOCABULARY, letter_ids, python_help_text

LAYERS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


@functools.lru_cache(maxsize=1)
def help_letters():
    """The help text as letter ids, read once."""
    return letter_ids(python_help_text())


def letter_sequences(count, steps, seed, text=None):
    """``count`` passages of ``steps`` letters of the help text, one-hot
    ``(count, steps, 27)``, from places drawn with ``seed``."""
    ids = help_letters() if text is None else letter_ids(text)
    starts = np.random.default_rng(seed).integers(0, len(ids) - steps, count)
    return np.eye(len(VOCABULARY), dtype="float32")[np.stack([ids[s:s + steps]
                                                             for s in starts])]


def state_gradient_norms(layer, x, seed=0):
    """``{state: norms}``: for each state of ``layer`` (``"h"``, and ``"c"``
    for an LSTM), the mean over the batch of :math:`\\lVert \\partial L /
    \\partial s_{T-k} \\rVert` for :math:`k = 0, \\dots, T-1`, with
    :math:`L = h_T \\cdot r`."""
    if layer.return_state:
        raise ValueError(f"state_gradient_norms: expected a layer without return_state, "
                         f"got {layer.name}")
    batch, steps, _ = x.shape
    r = np.random.default_rng(seed).normal(size=(batch, layer.units)).astype(x.dtype)
    r /= np.linalg.norm(r, axis=1, keepdims=True)
    inside = layer.trace(x)
    names = layer.cell.state_names
    norms = {name: np.empty(steps) for name in names}
    for name in names:  # distance 0: the loss reads h_T itself, not c_T
        norms[name][0] = 1.0 if name == "h" else 0.0
    for k in range(1, steps):
        t = steps - k  # the states after step t (1-based) start the last k steps
        start = [inside[name][:, t - 1] for name in names]
        _, cache = layer.forward(layer.prepare(x[:, t:]), initial_state=start)
        d_inputs, _ = layer.backward(last_output_gradient(layer, r, k), cache)
        for name, d_state in zip(names, d_inputs["initial_state"]):
            norms[name][k] = np.linalg.norm(d_state, axis=1).mean()
    return norms


def last_output_gradient(layer, r, steps):
    """The gradient of :math:`L = h_T \\cdot r` at the layer's output: ``r``, at
    the last of the ``steps`` outputs of a layer that returns sequences."""
    if not layer.return_sequences:
        return r
    d_outputs = np.zeros((r.shape[0], steps, r.shape[1]), r.dtype)
    d_outputs[:, -1] = r
    return d_outputs


def make_layer(kind, units, recurrent_gain=1.0, forget_bias=1.0, seed=0):
    """A fresh ``kind`` layer with Keras's initializers, its orthogonal recurrent
    kernel scaled by ``recurrent_gain`` and (LSTM) its forget gate's bias set
    to ``forget_bias``."""
    set_random_seed(seed)
    arguments = {"recurrent_initializer": initializers.Orthogonal(gain=recurrent_gain)}
    layer = LAYERS[kind](units, **arguments)
    layer.build((None, None, len(VOCABULARY)))
    if kind == "LSTM":
        layer.cell.bias.value[units:2 * units] = forget_bias
    return layer


@dataclass
class GradientResult:
    """The curves of every seed (``{state: (seeds, steps)}``) behind the figure."""

    kind: str
    norms: dict
    figure: plt.Figure


def gradient_curves(kind, units=32, steps=60, recurrent_gain=1.0, forget_bias=1.0,
                    seeds=range(5), batch=16):
    """``{state: array (seeds, steps)}`` of ``state_gradient_norms`` over seeds
    (each seed draws the layer's weights and the passages)."""
    runs = [state_gradient_norms(make_layer(kind, units, recurrent_gain, forget_bias, seed),
                                 letter_sequences(batch, steps, seed), seed)
            for seed in seeds]
    return {name: np.stack([run[name] for run in runs]) for name in runs[0]}


def draw_curves(curves, axes=None, label="", colour=None):
    """Each state's mean over seeds against the distance, the seeds' range shaded.
    A curve stops where a seed's gradient underflows to 0: a log scale cannot
    show it."""
    axes = axes if axes is not None else plt.gca()
    for name, values in curves.items():
        if not values[:, 1:].any():
            continue
        underflow = np.flatnonzero((values[:, 1:] <= 0).any(axis=0))
        shown = slice(1, 1 + underflow[0] if underflow.size else values.shape[1])
        distance = np.arange(values.shape[1])[shown]
        values = values[:, shown]
        style = "-" if name == "h" else "--"
        line, = axes.plot(distance, values.mean(axis=0), style, color=colour,
                          label=f"{label} ∂L/∂{name}")
        axes.fill_between(distance, values.min(axis=0), values.max(axis=0),
                          color=line.get_color(), alpha=0.2)
    axes.set(yscale="log", xlabel="distance k = T − t (steps back)",
             ylabel="‖∂L/∂state‖  (‖∂L/∂h_T‖ = 1)")
    return axes


def gradient_through_time_explorer(seeds=range(5)):
    """Pick a layer, the scale of its recurrent kernel and (LSTM) its forget
    bias; see how much gradient is left each step back, over ``seeds``."""

    def explore(kind, recurrent_gain, forget_bias, steps):
        curves = gradient_curves(kind, steps=steps, recurrent_gain=recurrent_gain,
                                 forget_bias=forget_bias, seeds=seeds)
        figure, axes = plt.subplots(figsize=(8, 4))
        draw_curves(curves, axes, kind)
        axes.legend()
        axes.set_title(f"{kind}, recurrent kernel ×{recurrent_gain:g}"
                       + (f", forget bias {forget_bias:g}" if kind == "LSTM" else "")
                       + f": mean and range over {len(list(seeds))} seeds")
        figure.tight_layout()
        return GradientResult(kind, curves, figure)

    return interactive(
        explore,
        kind=ipywidgets.ToggleButtons(options=list(LAYERS), value="SimpleRNN",
                                      description="layer"),
        recurrent_gain=ipywidgets.FloatSlider(value=1.0, min=0.25, max=2.0, step=0.25,
                                              description="recurrent ×",
                                              continuous_update=False),
        forget_bias=ipywidgets.FloatSlider(value=1.0, min=-2.0, max=5.0, step=0.5,
                                           description="forget bias",
                                           continuous_update=False),
        steps=ipywidgets.IntSlider(value=60, min=10, max=120, step=10, description="steps",
                                   continuous_update=False))

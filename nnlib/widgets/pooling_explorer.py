"""Pooling explorer: which input cell wins each window, and where the gradient goes.

A small image (a digit, 8×8) goes through ``MaxPooling2D`` or
``AveragePooling2D``; the backward pass is run with an upstream gradient of
ones, so the third panel shows how much of the gradient each input cell gets.
"""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..layers.pooling import AveragePooling2D, MaxPooling2D
from .controls import interactive

LAYERS = {"max": MaxPooling2D, "average": AveragePooling2D}


@dataclass
class PoolingResult:
    """The input, the pooled output, the input gradient for ``dy = 1``, and for
    max pooling the cells that win at least one window."""

    x: np.ndarray
    y: np.ndarray
    dx: np.ndarray
    winners: np.ndarray
    figure: plt.Figure


def pool_and_route(image, mode, pool_size, strides, padding):
    """Forward and backward through the layer, on one image with one channel."""
    layer = LAYERS[mode](pool_size, strides=strides, padding=padding, dtype="float64")
    x = image[None, :, :, None].astype("float64")
    y, cache = layer.forward(layer.prepare(x))
    dx, _ = layer.backward(np.ones_like(y), cache)
    return y[0, :, :, 0], dx[0, :, :, 0]


def annotate(ax, values, fmt="{:.2g}", highlight=None):
    ax.imshow(values, cmap="Blues", vmin=0)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                color="white" if v > 0.6 * values.max() else "black")
    if highlight is not None:
        for i, j in zip(*np.nonzero(highlight)):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                   edgecolor="tab:red", linewidth=2))
    ax.set_xticks([])
    ax.set_yticks([])


def draw_pooling(image, mode, pool_size, strides, padding):
    """Input with the first window outlined, output, and the routed gradient."""
    y, dx = pool_and_route(image, mode, pool_size, strides, padding)
    winners = dx > 0 if mode == "max" else np.zeros(dx.shape, bool)
    figure, (ax_x, ax_y, ax_dx) = plt.subplots(1, 3, figsize=(11, 4))
    annotate(ax_x, image, highlight=winners)
    ax_x.add_patch(Rectangle((-0.5, -0.5), pool_size, pool_size, fill=False,
                             edgecolor="tab:orange", linewidth=2, linestyle="--"))
    ax_x.set_title("input" + (" (red: a window's maximum)" if mode == "max" else ""))
    annotate(ax_y, y)
    ax_y.set_title(f"{mode} pooled: {y.shape[0]}×{y.shape[1]}")
    annotate(ax_dx, dx)
    ax_dx.set_title("∂L/∂x when every ∂L/∂y = 1")
    figure.text(0.5, 0.01, f"pool {pool_size}×{pool_size}, stride {strides}, padding "
                f"'{padding}'", ha="center", va="bottom", family="monospace")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    return PoolingResult(image, y, dx, winners, figure)


def pooling_explorer(images):
    """Controls over ``draw_pooling``: an image from ``images`` (name -> 2-D array),
    max or average, pool size, stride and padding."""

    def explore(image, mode, pool_size, strides, padding):
        return draw_pooling(images[image], mode, pool_size, strides, padding)

    return interactive(
        explore,
        image=ipywidgets.Dropdown(options=list(images), description="image"),
        mode=ipywidgets.ToggleButtons(options=list(LAYERS), description="pooling"),
        pool_size=ipywidgets.IntSlider(2, 1, 4, description="pool size",
                                       continuous_update=False),
        strides=ipywidgets.IntSlider(2, 1, 4, description="stride",
                                     continuous_update=False),
        padding=ipywidgets.ToggleButtons(options=["valid", "same"], description="padding"))

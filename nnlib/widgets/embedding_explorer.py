"""Embedding explorer: 2-D vectors for the 26 letters and the space, learned
by predicting the next (or previous) letter of English text.

The model is ``Embedding(27, 2) -> Flatten -> Dense(27, softmax)``: the only
way a letter can tell the classifier what tends to follow it is through its
two numbers, so letters that are followed alike end up close.  The text is
the help of Python itself (``pydoc_data.topics``, shipped with Python).
"""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential
from ..layers import Dense
from ..layers.embedding import Embedding
from ..layers.reshaping import Flatten
from ..losses import SparseCategoricalCrossentropy
from ..optimizers import Adam
from ..utils import set_random_seed
from .controls import interactive

VOCABULARY = " abcdefghijklmnopqrstuvwxyz"
VOWELS = set("aeiou")
SNAPSHOTS = (0, 10, 30, 100, 300, 1000, 2000)


@dataclass
class EmbeddingResult:
    """The letters' vectors after ``step`` updates, and the loss curve."""

    embeddings: np.ndarray
    vocabulary: str
    step: int
    losses: np.ndarray
    figure: plt.Figure


def python_help_text():
    """About 465,000 characters of English: the topics of Python's ``help()``."""
    from pydoc_data.topics import topics
    return " ".join(topics[key] for key in sorted(topics))


def letter_ids(text):
    """``text`` lower-cased, anything but a letter read as a space, runs of
    spaces collapsed, as ids into ``VOCABULARY``."""
    kept = "".join(c if c in VOCABULARY else " " for c in text.lower())
    return np.array([VOCABULARY.index(c) for c in " ".join(kept.split())])


def train_letter_embeddings(ids, direction="next", snapshots=SNAPSHOTS, batch_size=256,
                            learning_rate=0.01, seed=0):
    """Train the model on (letter, neighbour) pairs; returns the embeddings at
    each step of ``snapshots`` and the loss of every step."""
    x, y = (ids[:-1], ids[1:]) if direction == "next" else (ids[1:], ids[:-1])
    set_random_seed(seed)
    model = Sequential([Input((1,)), Embedding(len(VOCABULARY), 2), Flatten(),
                        Dense(len(VOCABULARY), activation="softmax")])
    loss_fn, optimizer = SparseCategoricalCrossentropy(), Adam(learning_rate)
    order = np.random.default_rng(seed).permutation(len(x))
    table = model.layers[0].embeddings
    saved, losses = {0: table.value.copy()}, []
    for step in range(1, max(snapshots) + 1):
        batch = order[(step - 1) * batch_size % len(x):][:batch_size]
        y_pred, tape = model.forward(model.prepare(x[batch, None]), training=True)
        loss, cache = loss_fn.forward(y[batch], y_pred)
        _, grads = model.backward(loss_fn.backward(1.0, cache), tape, need_dx=False)
        optimizer.apply(grads, model.named_weights())
        losses.append(float(loss))
        if step in snapshots:
            saved[step] = table.value.copy()
    return saved, np.array(losses)


def draw_embeddings(embeddings, losses, step, direction):
    figure, (ax, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.5),
                                         gridspec_kw={"width_ratios": [3, 2]})
    for letter, (u, v) in zip(VOCABULARY, embeddings):
        colour = ("tab:red" if letter in VOWELS else "tab:gray" if letter == " "
                  else "tab:blue")
        ax.scatter(u, v, s=160, color=colour, alpha=0.35)
        ax.text(u, v, "␣" if letter == " " else letter, ha="center", va="center",
                fontsize=11, color=colour)
    ax.set(xlabel="dimension 1", ylabel="dimension 2",
           title=f"letters after {step} steps (red: vowels, blue: consonants)")
    ax.margins(0.15)
    ax_loss.plot(np.arange(1, len(losses) + 1), losses, lw=0.6, color="tab:gray")
    ax_loss.axvline(max(step, 1), color="tab:red")
    ax_loss.set(xscale="log", xlabel="step", ylabel="cross-entropy",
                title=f"predicting the {direction} letter")
    figure.tight_layout()
    return figure


def embedding_explorer(text=None, snapshots=SNAPSHOTS):
    """A slider over training steps and a choice of task; both tasks are trained
    once, when the explorer is made, so moving the slider only draws."""
    ids = letter_ids(python_help_text() if text is None else text)
    runs = {direction: train_letter_embeddings(ids, direction, snapshots)
            for direction in ("next", "previous")}

    def explore(direction, step):
        saved, losses = runs[direction]
        figure = draw_embeddings(saved[step], losses, step, direction)
        return EmbeddingResult(saved[step], VOCABULARY, step, losses, figure)

    return interactive(
        explore,
        direction=ipywidgets.ToggleButtons(options=["next", "previous"],
                                           description="predict the"),
        step=ipywidgets.SelectionSlider(options=list(snapshots), value=max(snapshots),
                                        description="step", continuous_update=False))

"""Normalization in a deep stack: the same eight-layer network on the digits
without normalization, with ``BatchNormalization`` or with
``LayerNormalization`` after each hidden ``Dense``; how each block's values are
distributed (``layer_statistics``); and an explorer that shows those
distributions on a batch of digits, at initialisation and after a few epochs.

The network (``deep_mlp``) is ``Input(64) -> 8 x [Dense(64) -> normalization
-> sigmoid] -> Dense(10, softmax)``, trained with Keras's default optimizer
settings, ``Adam(0.001)``, on 1,000 digits for 15 epochs (``train_deep``).
Without normalization the sigmoid stack barely learns in that time; with
either normalization it reaches 95 to 96% validation accuracy (measurements
in ``train_deep``).

The digits are scikit-learn's, cut by ``nnlib.widgets.regularization``'s
``overfitting_data``: 1,000 images to train on, 400 to validate, 397 to test.
"""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential
from ..callbacks import Callback
from ..checks import one_of, whole_number
from ..layers import Activation, BatchNormalization, Dense, LayerNormalization
from ..optimizers import Adam
from ..utils import set_random_seed
from .activations import Table
from .controls import interactive
from .regularization import overfitting_data

KINDS = ("none", "batch", "layer")
NORMALIZATIONS = {"batch": BatchNormalization, "layer": LayerNormalization}
TRAIN_SIZE = 1000
EPOCHS = 15
LEARNING_RATE = 1e-3  # Adam's default, Keras's
SNAPSHOTS = (0, 1, 5, EPOCHS)  # the explorer's epochs: 0 is the initialisation
MODES = {"training batch": True, "inference": False}
BATCH = 64  # the explorer's batch: the first 64 validation images


def normalization_data(seed=0):
    """The digits as ``overfitting_data(1000, seed)`` cuts them: 1,000 training
    images, 400 validation images, 397 test images, stratified, flattened to
    64 pixels in [0, 1]."""
    return overfitting_data(train_size=TRAIN_SIZE, seed=seed)


def deep_mlp(normalization, depth=8, width=64, activation="sigmoid", seed=0):
    """``Input(64) -> depth x [Dense(width) -> normalization -> Activation] ->
    Dense(10, softmax)``, with ``normalization`` one of

    ``"none"``
        nothing between ``Dense`` and its activation (the ``Dense`` has a bias);
    ``"batch"``
        ``BatchNormalization()`` (Keras's defaults: momentum 0.99, epsilon 1e-3);
    ``"layer"``
        ``LayerNormalization()`` (epsilon 1e-3).

    With a normalization the hidden ``Dense`` layers have no bias
    (``use_bias=False``): the normalization subtracts a mean, which removes
    any constant the ``Dense`` would add, and its :math:`\\beta` is the shift
    instead.  The activation is a layer of its own so that the normalization
    sits between the ``Dense`` output and it, as in Ioffe and Szegedy (2015).

    Why these settings (measured over seeds 0-4 with ``train_deep``): a deep
    stack of sigmoids with Keras's default (Glorot uniform) initialisation
    is the case batch normalization was invented for.  Each sigmoid outputs
    values around 0.5, all positive, so the differences between images
    shrink block after block and so does the gradient: at initialisation
    the first kernel's gradient norm is about :math:`10^{-5}` (seeds 0 and
    1; the last hidden kernel's 0.2 to 0.3), against 0.5 with batch
    normalization.  At depth 8
    the unnormalised network is still near chance after ``train_deep``'s 15
    epochs (20% validation accuracy; at depth 6 it starts learning, 33%).
    With ``"tanh"`` (zero-centred) or ``"relu"`` and Adam the unnormalised
    stack trains as well as the normalised ones (0.96 validation accuracy
    for every kind with tanh, 0.94 to 0.96 with relu), so there is nothing
    for normalization to show.

    ``nnlib.utils.set_random_seed(seed)`` comes first: the initial weights
    (and ``fit``'s shuffling) repeat with ``seed``, and the three kinds
    share the same ``Dense`` kernels for one seed.
    """
    owner = "deep_mlp"
    normalization = one_of(owner, "normalization", normalization, KINDS)
    depth = whole_number(owner, "depth", depth)
    width = whole_number(owner, "width", width)
    set_random_seed(seed)
    layers = [Input((64,))]
    for _ in range(depth):
        layers.append(Dense(width, use_bias=normalization == "none"))
        if normalization in NORMALIZATIONS:
            layers.append(NORMALIZATIONS[normalization]())
        layers.append(Activation(activation))
    layers.append(Dense(10, activation="softmax"))
    return Sequential(layers)


def train_deep(normalization, seed=0, data=None, epochs=EPOCHS, batch_size=32,
               learning_rate=LEARNING_RATE, callbacks=None):
    """Train ``deep_mlp(normalization, seed=seed)`` on ``data.x_train`` (by
    default ``normalization_data()``: 1,000 digits), watching ``data.x_val``,
    with ``Adam(learning_rate)``; returns ``(model, history)``, the history a
    dict of per-epoch lists ``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy``.  ``callbacks`` are passed to ``fit``.

    Measured over seeds 0-4 (the default data, 15 epochs of 32 steps), means
    over the seeds of the validation loss and accuracy after the last epoch
    and at their best, and the time of a run on one BLAS thread:

    =====  ==========  =========  =========  =========  ======================
    kind   val. loss   best       val. acc.  best       time per run
    =====  ==========  =========  =========  =========  ======================
    none   1.92        1.92       0.20       0.20       0.65 s (at most 0.70)
    batch  0.33        0.33       0.96       0.96       1.37 s (at most 1.49)
    layer  0.29        0.27       0.95       0.96       1.38 s (at most 1.59)
    =====  ==========  =========  =========  =========  ======================

    Every seed of "none" ends between 0.198 and 0.205 accuracy (seed 0 calls
    nearly every validation image a 4 or a 5; 60 epochs bring it to 43%,
    seed 1 stays at 21%), every seed of "batch" or "layer" between 0.94 and
    0.97.  The three kinds times five seeds take about 17 s.

    Two things the curves show that are not about learning speed:

    * Batch normalization's validation accuracy stays at chance for the
      first 5 or 6 epochs (every seed), although the network has learnt:
      its training accuracy is 0.86 to 0.90 after 2 epochs, and the
      validation images classified with the batch's own statistics give
      0.84 after one epoch (seed 0).  Validation runs in inference mode,
      with the moving averages, and with Keras's momentum 0.99 these still
      weigh their initial values (0 and 1) by :math:`0.99^{32} = 0.72`
      after one epoch, 0.20 after five; the error compounds through the
      eight blocks (the explorer's inference mode shows it).
      ``BatchNormalization(momentum=0.9)`` gives 0.69 after one epoch.
    * With ``SGD(0.01, momentum=0.9)`` instead of Adam only batch
      normalization trains (0.96 after 15 epochs); layer normalization
      stays at chance (0.10), as no normalization does.  At initialisation
      the images' differences die out with layer normalization as without:
      the spread between images after each sigmoid
      (``LayerStatistics.spread_between_images``, seed 0) falls from 0.12
      at block 1 to below 0.001 at block 6 (without: from 0.065), and the
      first kernel's gradient norm is :math:`10^{-3}` of the classifier's.
      Layer normalization standardizes each image over its units, which
      keeps the units' offsets, common to all images; batch normalization
      standardizes each unit over the images, which removes them (0.21 at
      every block).  With Adam, layer normalization reaches 0.77 to 0.89
      validation accuracy after 5 epochs.
    """
    data = normalization_data() if data is None else data
    model = deep_mlp(normalization, seed=seed)
    model.compile(optimizer=Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=batch_size,
                        validation_data=(data.x_val, data.y_val), callbacks=callbacks,
                        verbose=0)
    return model, history.history


# -- what each block does to its values --------------------------------------------------------

@dataclass
class LayerStatistics:
    """Each hidden block's values on one batch: ``pre`` the ``Dense`` outputs,
    ``post`` the normalization's outputs (``pre`` itself without a
    normalization), ``activated`` the activation's outputs; each an array
    ``(blocks, batch, width)``, index 0 the block next to the input.  The means and
    standard deviations are over the batch and the units together, one per
    block."""

    pre: np.ndarray
    post: np.ndarray
    activated: np.ndarray
    training: bool

    @property
    def pre_mean(self):
        return self.pre.mean(axis=(1, 2))

    @property
    def pre_std(self):
        return self.pre.std(axis=(1, 2))

    @property
    def post_mean(self):
        return self.post.mean(axis=(1, 2))

    @property
    def post_std(self):
        return self.post.std(axis=(1, 2))

    @property
    def activated_mean(self):
        return self.activated.mean(axis=(1, 2))

    @property
    def activated_std(self):
        return self.activated.std(axis=(1, 2))

    @property
    def spread_between_images(self):
        """For each block, how much the activations differ from image to image:
        the standard deviation over the batch of each unit's value, averaged
        over the units.  Near 0, every image looks the same to the next layer."""
        return self.activated.std(axis=1).mean(axis=1)

    def table(self):
        """One row per block: the means and standard deviations above."""
        columns = ["block", "Dense mean", "Dense std", "normalized mean", "normalized std",
                   "activation mean", "activation std", "std between images"]
        rows = zip(range(1, len(self.pre) + 1), self.pre_mean, self.pre_std, self.post_mean,
                   self.post_std, self.activated_mean, self.activated_std,
                   self.spread_between_images)
        return Table(columns, [[block, *(f"{v:.3f}" for v in values)]
                               for block, *values in rows])


def layer_statistics(model, x, training=False):
    """Run ``x`` through ``model`` (a ``deep_mlp``) once, in training mode
    (``training=True``: batch normalization uses the batch's own mean and
    variance; its moving statistics are not updated) or inference mode (the
    default: the moving statistics), and keep each hidden block's values:
    the ``Dense`` output, the normalization's output, the activation's
    output.  Returns a ``LayerStatistics``.

    The values are read from the tape of ``model.forward``: each record holds
    the outputs of one layer, in order, so the ``Dense`` records (all but
    the classifier) open the blocks."""
    _, tape = model.forward(x, training=training)
    blocks = []
    for record in tape:
        layer, (output,) = record.node.layer, record.outputs
        if isinstance(layer, Dense):
            blocks.append({"pre": output, "post": output})
        elif isinstance(layer, (BatchNormalization, LayerNormalization)):
            blocks[-1]["post"] = output
        elif isinstance(layer, Activation):
            blocks[-1]["activated"] = output
    blocks = blocks[:-1]  # the classifier
    if not blocks or any("activated" not in block for block in blocks):
        raise ValueError("layer_statistics: expected a deep_mlp, blocks of Dense -> "
                         "(normalization) -> Activation layer before a classifier Dense")
    return LayerStatistics(*(np.stack([block[key] for block in blocks])
                             for key in ("pre", "post", "activated")), training=training)


# -- the explorer ------------------------------------------------------------------------------

class WeightSnapshots(Callback):
    """Keeps ``model.get_weights()`` (copies) at the end of the epochs in
    ``epochs`` (counted from 1), in ``saved`` keyed by epoch; epoch 0, the
    initialisation, is kept when training begins."""

    def __init__(self, epochs=SNAPSHOTS):
        self.epochs = set(epochs)
        self.saved = {}

    def on_train_begin(self, logs=None):
        if 0 in self.epochs:
            self.saved[0] = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            self.saved[epoch + 1] = self.model.get_weights()


@dataclass
class NormalizationRun:
    """One trained network, kept by the explorer: the model (its weights are
    set to a snapshot before each view), the snapshots and the history."""

    model: Sequential
    snapshots: dict
    history: dict


@dataclass
class NormalizationResult:
    """What the explorer drew: the block statistics of ``deep_mlp(normalization,
    seed=seed)`` after ``epoch`` epochs on the explorer's batch, in ``mode``."""

    normalization: str
    mode: str
    epoch: int
    seed: int
    statistics: LayerStatistics
    weights: list  # the snapshot the statistics were computed with
    history: dict
    figure: plt.Figure


PANELS = (("pre", "Dense output (before normalization)"),
          ("post", "after normalization"),
          ("activated", "after the sigmoid"))
COLOURS = {"none": "tab:gray", "batch": "tab:blue", "layer": "tab:green"}
LABELS = {"none": "no normalization", "batch": "BatchNormalization",
          "layer": "LayerNormalization"}
SPREAD_FLOOR = 1e-6  # the spread panel's lowest value (log scale)


def draw_normalization(normalization, mode, epoch, seed, statistics, history):
    """Top: three panels of violins, one violin per hidden block (all the
    batch's values at that block, every unit together): the ``Dense``
    outputs, the normalized values, the sigmoid's outputs.  Bottom left: the
    spread between images after each block's sigmoid (log scale), which
    the violins cannot show (they mix the units' offsets with the images'
    differences).  Bottom right: the validation accuracy per epoch, the
    shown epoch marked."""
    figure = plt.figure(figsize=(14, 7.5), layout="constrained")
    grid = figure.add_gridspec(2, 6)
    violins = [figure.add_subplot(grid[0, 2 * i:2 * i + 2]) for i in range(3)]
    spread, accuracy = figure.add_subplot(grid[1, :3]), figure.add_subplot(grid[1, 3:])
    blocks = np.arange(1, len(statistics.pre) + 1)
    colour = COLOURS[normalization]
    for ax, (key, title) in zip(violins, PANELS):
        values = getattr(statistics, key)
        parts = ax.violinplot([v.ravel() for v in values], positions=blocks, widths=0.8,
                              points=60, showextrema=False, showmedians=True)
        for body in parts["bodies"]:
            body.set(facecolor=colour, alpha=0.5)
        parts["cmedians"].set_color(colour)
        ax.axhline(0, color="0.6", linewidth=0.6)
        if key == "post" and normalization == "none":
            title = "no normalization: the Dense output again"
        ax.set(xticks=blocks, xlabel="block (1 = next to the input)", title=title)
    violins[0].set_ylabel("value")
    violins[2].set_ylim(-0.05, 1.05)
    spread.semilogy(blocks, np.maximum(statistics.spread_between_images, SPREAD_FLOOR), "o-",
                    color=colour)
    spread.set(xticks=blocks, ylim=(SPREAD_FLOOR / 2, 1), xlabel="block",
               ylabel="std over the images, mean over units",
               title="how much the images differ after each sigmoid")
    epochs = np.arange(1, len(history["val_accuracy"]) + 1)
    accuracy.plot(epochs, history["val_accuracy"], color=colour)
    if epoch:
        accuracy.plot(epoch, history["val_accuracy"][epoch - 1], "o", color=colour)
    accuracy.axhline(0.1, color="0.6", linewidth=0.6, linestyle=":")
    accuracy.set(xlabel="epoch", ylim=(0, 1), xlim=(0, len(epochs) + 0.5),
                 title="validation accuracy (inference mode; dotted: chance)")
    when = "at initialisation" if epoch == 0 else f"after {epoch} epoch{'s' * (epoch > 1)}"
    figure.suptitle(f"{LABELS[normalization]}, seed {seed}, {when}, {mode} mode, on "
                    f"{len(statistics.pre[0])} validation digits")
    return figure


def normalization_explorer(data=None):
    """Normalization (none, batch, layer), mode, epoch and seed over
    ``draw_normalization``.

    The network of a (normalization, seed) is trained (``train_deep``, about
    a second) the first time it is shown, keeping its weights at the epochs
    of ``SNAPSHOTS`` (0, the initialisation, then 1, 5, 15); moving the epoch
    or the mode only recomputes the statistics of the batch and redraws.
    The batch is the first 64 validation images of ``data`` (a
    ``normalization_data()`` split, the default).  In "training batch" mode
    batch normalization standardizes with the batch's statistics, as in
    ``fit``; in "inference" mode with its moving averages, as ``predict``
    does (at initialisation they are 0 and 1: the layer does nearly nothing).
    Layer normalization and no normalization compute the same in both modes.
    """
    data = normalization_data() if data is None else data
    batch = data.x_val[:BATCH]
    runs = {}

    def explore(normalization, mode, epoch, seed):
        if (normalization, seed) not in runs:
            snapshots = WeightSnapshots(SNAPSHOTS)
            model, history = train_deep(normalization, seed, data, callbacks=[snapshots])
            runs[normalization, seed] = NormalizationRun(model, snapshots.saved, history)
        run = runs[normalization, seed]
        weights = run.snapshots[epoch]
        run.model.set_weights(weights)
        statistics = layer_statistics(run.model, batch, training=MODES[mode])
        figure = draw_normalization(normalization, mode, epoch, seed, statistics, run.history)
        return NormalizationResult(normalization, mode, epoch, seed, statistics, weights,
                                   run.history, figure)

    return interactive(
        explore,
        normalization=ipywidgets.ToggleButtons(options=KINDS, description="normalization"),
        mode=ipywidgets.ToggleButtons(options=list(MODES), description="mode"),
        epoch=ipywidgets.SelectionSlider(options=list(SNAPSHOTS), value=0, description="epoch",
                                         continuous_update=False),
        seed=ipywidgets.IntSlider(0, 0, 4, description="seed",
                                  continuous_update=False))

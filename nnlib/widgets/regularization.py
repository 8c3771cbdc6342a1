"""Overfitting and its cures: one network, trained on 200 handwritten digits,
without regularization, with dropout, or with an L2 or L1 penalty, and an
explorer that shows its loss curves and the weights it ends with.

The network, ``Input(64) -> Dense(256, relu) -> Dense(256, relu) ->
Dense(10, softmax)``, has about 85,000 weights for 200 training images: it
learns them by heart (training loss near 0) within a few dozen epochs, after
which the validation loss climbs.  The regularizers change what it can
memorise:

* dropout zeroes each hidden value with probability :math:`p` in training
  (and scales the rest by :math:`1/(1-p)`), so no unit can rely on another;
* L2 adds :math:`\\lambda \\sum w^2` to the loss (gradient :math:`2\\lambda w`:
  every weight shrinks in proportion to its size);
* L1 adds :math:`\\lambda \\sum |w|` (gradient :math:`\\lambda
  \\operatorname{sign} w`: every weight is pulled towards 0 by the same
  amount, so those the data does not need end at 0, a sparse network).

The digits are scikit-learn's (``load_digits``, 1,797 images of 8×8 pixels).
"""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential
from ..callbacks import Callback
from ..checks import one_of, real_number, whole_number
from ..layers import Dense, Dropout
from ..optimizers import Adam
from ..regularizers import L1, L2
from ..utils import set_random_seed
from .controls import interactive

KINDS = ("none", "dropout", "l2", "l1")
PENALTIES = {"l2": L2, "l1": L1}
PENALTY_STRENGTHS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
STRENGTHS = {"none": (0.0,), "dropout": (0.1, 0.2, 0.3, 0.5, 0.7),
             "l2": PENALTY_STRENGTHS, "l1": PENALTY_STRENGTHS}
# Where the effect is clear over seeds 0-4 (validation cross-entropy below the
# unregularized network's for every seed): see train_regularized.
DEFAULT_STRENGTHS = {"none": 0.0, "dropout": 0.5, "l2": 1e-3, "l1": 3e-4}
HIDDEN_UNITS = 256
VALIDATION_SIZE = 400
NEAR_ZERO = 1e-3  # |w| below this counts as a weight L1 has switched off


def digits():
    """scikit-learn's handwritten digits: ``(images, labels)``, 1,797 images of
    8×8 grey levels in [0, 1] (the pixels' 0..16 divided by 16), float32."""
    from sklearn.datasets import load_digits  # the book's dependency, not the widgets'
    data = load_digits()
    return (data.images / 16.0).astype("float32"), data.target


@dataclass
class DigitSplits:
    """Flattened digits (64 pixels each) in three disjoint, stratified parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def overfitting_data(train_size=200, seed=0):
    """The digits cut for an overfitting lab: ``train_size`` images to train on,
    ``VALIDATION_SIZE`` (400) to watch during training, the rest (1,197 with
    the defaults) to test on; each part has the ten classes in the
    proportions of the whole (stratified), and ``seed`` chooses the cut."""
    from sklearn.model_selection import train_test_split
    images, labels = digits()
    largest = len(labels) - VALIDATION_SIZE - 10
    train_size = whole_number("overfitting_data", "train_size", train_size, minimum=10)
    if train_size > largest:
        raise ValueError(f"overfitting_data: train_size must be at most {largest}, so that "
                         f"{VALIDATION_SIZE} validation images and one test image per class "
                         f"remain of {len(labels)}, got {train_size}")
    seed = whole_number("overfitting_data", "seed", seed, minimum=0)
    x = images.reshape(len(images), -1)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, labels, train_size=train_size, stratify=labels, random_state=seed)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=VALIDATION_SIZE, stratify=y_rest, random_state=seed)
    return DigitSplits(x_train, y_train, x_val, y_val, x_test, y_test)


def check_strength(kind, strength):
    """``kind`` (one of ``KINDS``) and ``strength`` as the kind takes it: 0 for
    ``"none"``, a dropout rate in [0, 1), a penalty factor >= 0."""
    owner = "regularized_mlp"
    kind = one_of(owner, "kind", kind, KINDS)
    if kind == "none":
        if real_number(owner, "strength", strength) != 0:
            raise ValueError(f"{owner}: kind 'none' takes strength 0, got {strength!r}; "
                             f"choose a kind among {KINDS[1:]} to regularize")
        return kind, 0.0
    if kind == "dropout":
        return kind, real_number(owner, "strength (the dropout rate)", strength, 0.0, 1.0,
                                 high_open=True)
    return kind, real_number(owner, f"strength (the {kind.upper()} factor)", strength, 0.0)


def regularized_mlp(kind, strength, seed=0):
    """``Input(64) -> Dense(256, relu) -> Dense(256, relu) -> Dense(10, softmax)``,
    the same for every ``kind``, which adds:

    ``"none"`` (``strength`` 0)
        nothing;
    ``"dropout"``
        ``Dropout(strength)`` after each hidden layer;
    ``"l2"``, ``"l1"``
        ``kernel_regularizer=L2(strength)`` (or ``L1``) on every ``Dense``.

    ``nnlib.utils.set_random_seed(seed)`` comes first, so the initial weights
    (and, in ``fit``, the shuffling and the dropout masks) repeat with ``seed``;
    every kind starts from the same weights for one seed.
    """
    kind, strength = check_strength(kind, strength)
    set_random_seed(seed)
    penalty = PENALTIES[kind](strength) if kind in PENALTIES else None
    layers = [Input((64,))]
    for _ in range(2):
        layers.append(Dense(HIDDEN_UNITS, activation="relu", kernel_regularizer=penalty))
        if kind == "dropout":
            layers.append(Dropout(strength))
    layers.append(Dense(10, activation="softmax", kernel_regularizer=penalty))
    return Sequential(layers)


class PenaltyLog(Callback):
    """Adds to each epoch's logs the weight ``penalty`` (the sum of the
    regularizers' penalties, 0 without any) and ``val_cross_entropy``, the
    validation loss without it.

    Keras's ``loss`` and ``val_loss`` both include the penalty, so an L2
    network's validation loss sits above the unregularized one's even when
    it predicts better; the cross-entropy alone tells which predicts better.
    ``val_loss`` is computed with the weights at the end of the epoch, the
    ones the penalty is read from here, so the difference is exact.
    """

    def on_epoch_end(self, epoch, logs=None):
        penalty = float(sum(self.model.losses))
        logs["penalty"] = penalty
        logs["val_cross_entropy"] = logs["val_loss"] - penalty


def train_regularized(kind, strength, seed=0, data=None, epochs=100, batch_size=32):
    """Train ``regularized_mlp(kind, strength, seed)`` on ``data.x_train`` (by
    default ``overfitting_data()``: 200 images), watching ``data.x_val``;
    returns ``(model, history)``, the history a dict of per-epoch lists:
    ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` (the losses include
    the penalty, as in Keras), ``penalty`` and ``val_cross_entropy`` (see
    ``PenaltyLog``).

    The optimizer is ``Adam(0.001)``: with it each of the three regularizers
    lowers the final validation cross-entropy on these 200 images, as the
    chapter's lab measures over five seeds.
    """
    data = overfitting_data() if data is None else data
    model = regularized_mlp(kind, strength, seed)
    model.compile(optimizer=Adam(0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=batch_size,
                        validation_data=(data.x_val, data.y_val), callbacks=[PenaltyLog()],
                        verbose=0)
    return model, history.history


def first_kernel(model):
    """The kernel of the model's first ``Dense`` layer, (64, 256): one weight per
    pixel and hidden unit."""
    return next(layer for layer in model.layers if isinstance(layer, Dense)).kernel.value


def near_zero_fraction(weights):
    """The fraction of ``weights`` with :math:`|w| <` ``NEAR_ZERO`` (1e-3)."""
    return float(np.mean(np.abs(weights) < NEAR_ZERO))


@dataclass
class RegularizationResult:
    """One trained network: its training history and first-layer kernel."""

    kind: str
    strength: float
    seed: int
    history: dict
    kernel: np.ndarray
    figure: plt.Figure


def draw_regularization(kind, strength, seed, history, kernel):
    """Left: the training loss (solid) and validation loss (dashed) per epoch,
    log scale, with the validation cross-entropy alone (dotted) when a
    penalty is part of the loss.  Right: the histogram of the first layer's
    weights, log-scale counts, with the range of the initial (Glorot
    uniform) weights, :math:`\\pm\\sqrt{6/(64 + 256)}`, marked."""
    figure, (curves, weights) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    curves.plot(epochs, history["loss"], color="tab:blue", label="training loss")
    curves.plot(epochs, history["val_loss"], "--", color="tab:orange",
                label="validation loss")
    if max(history["penalty"]) > 0:
        curves.plot(epochs, history["val_cross_entropy"], ":", color="tab:orange",
                    label="validation cross-entropy\n(loss without the penalty)")
    curves.set(yscale="log", xlabel="epoch", ylabel="loss (log scale)",
               title="loss per epoch")
    curves.legend(loc="best", fontsize=8)
    limit = max(float(np.abs(kernel).max()), np.sqrt(6 / sum(kernel.shape)))
    weights.hist(kernel.ravel(), bins=np.linspace(-limit, limit, 81), color="tab:gray")
    for side in (-1, 1):
        weights.axvline(side * np.sqrt(6 / sum(kernel.shape)), color="tab:red", lw=0.8,
                        ls="--", label="initial range" if side == 1 else None)
    weights.set(yscale="log", xlabel="weight", ylabel="count (log scale)",
                title=f"first layer's {kernel.size:,} weights")
    weights.legend(loc="upper right", fontsize=8)
    label = "no regularization" if kind == "none" else f"{kind} {strength:g}"
    figure.suptitle(f"{label}, seed {seed}: validation accuracy "
                    f"{history['val_accuracy'][-1]:.3f}; |w| < {NEAR_ZERO:g} for "
                    f"{near_zero_fraction(kernel):.1%} of the first layer's weights")
    figure.tight_layout()
    return figure


def strength_options(kind):
    """The strength slider's ``(label, value)`` pairs for ``kind``."""
    return [(f"{value:g}", value) for value in STRENGTHS[kind]]


def regularization_explorer(data=None):
    """Kind (none, dropout, L2, L1), strength and seed over ``draw_regularization``.

    The strength slider offers the chosen kind's values (dropout rates 0.1 to
    0.7, penalty factors 1e-5 to 1e-2) and moves to the kind's default when
    the kind changes.  A network is trained (about a second) the first time
    a (kind, strength, seed) is shown and kept, so going back is instant.
    ``data`` is an ``overfitting_data()`` split (the default).
    """
    data = overfitting_data() if data is None else data
    runs = {}
    kind = ipywidgets.ToggleButtons(options=KINDS, description="kind")
    strength = ipywidgets.SelectionSlider(options=strength_options("none"), disabled=True,
                                          description="strength",
                                          continuous_update=False)

    def follow_kind(change):
        # Registered before the interactive's own observer, so it runs first: the
        # slider gets the new kind's values without the interactive drawing the
        # half-switched state (setting the options first moves the slider to the
        # first value); the interactive then draws once, for the kind's change.
        strength.unobserve(widget.update, names="value")
        strength.options = strength_options(change["new"])
        strength.value = DEFAULT_STRENGTHS[change["new"]]
        strength.disabled = change["new"] == "none"
        strength.observe(widget.update, names="value")

    kind.observe(follow_kind, names="value")

    def explore(kind, strength, seed):
        if (kind, strength, seed) not in runs:
            model, history = train_regularized(kind, strength, seed, data)
            runs[kind, strength, seed] = history, first_kernel(model)
        history, kernel = runs[kind, strength, seed]
        figure = draw_regularization(kind, strength, seed, history, kernel)
        return RegularizationResult(kind, strength, seed, history, kernel, figure)

    widget = interactive(
        explore, kind=kind, strength=strength,
        seed=ipywidgets.IntSlider(0, 0, 4, description="seed",
                                  continuous_update=False))
    return widget

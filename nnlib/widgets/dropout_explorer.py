"""Mask explorer: what dropout and its family do to real data, drawn by the
layers themselves.

Each layer of ``nnlib.layers.dropout`` is, once its noise is drawn, linear in
its input: :math:`y = s \\odot x + c`.  The figure shows the input
:math:`x`, the noise the layer drew, and the output :math:`y`; in training:

Dropout
    :math:`y = m \\odot x / (1 - p)`, one draw per value; shown:
    :math:`s = m / (1 - p)`.
SpatialDropout2D
    the same with one draw per feature map (channel); shown: :math:`s`.
GaussianDropout
    :math:`y = \\varepsilon \\odot x`, :math:`\\varepsilon \\sim \\mathcal N(1,
    p/(1-p))`; shown: :math:`s = \\varepsilon`.
AlphaDropout
    :math:`y = a(m \\odot x + \\alpha'(1 - m)) + b`; shown: :math:`s = a\\,m`.
GaussianNoise
    :math:`y = x + \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0,
    \\sigma^2)`; shown: :math:`\\varepsilon = y - x`.

with :math:`m_i \\sim \\text{Bernoulli}(1 - p)`.  The multiplier :math:`s =
\\partial y/\\partial x` is what ``layer.forward`` returns as its cache (the
backward pass multiplies by it).  Every variant but AlphaDropout keeps the
expectation, :math:`\\mathbb E[y] = x`, so the means of input and output in
the title stay close; AlphaDropout keeps the mean and variance of
standardized inputs (mean 0, variance 1), which grey levels in [0, 1] are
not.  At inference every layer is the identity.
"""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential
from ..layers import (AlphaDropout, Conv2D, Dense, Dropout, Flatten, GaussianDropout,
                      GaussianNoise, MaxPooling2D, SpatialDropout2D)
from ..optimizers import Adam
from ..utils import set_random_seed
from .controls import interactive
from .conv_explorer import grace_hopper
from .regularization import digits

VARIANTS = {"Dropout": Dropout, "SpatialDropout2D": SpatialDropout2D,
            "GaussianDropout": GaussianDropout, "AlphaDropout": AlphaDropout,
            "GaussianNoise": GaussianNoise}
DROPPING = ("Dropout", "SpatialDropout2D", "AlphaDropout")  # a kept fraction means something
ADDED = ("GaussianNoise",)  # its noise is shown as added; the others' as a multiplier
FEATURE_MAPS = "feature maps"
DIGIT = 3  # the digit shown, as an image and through the CNN's first layer


def feature_maps(image, seed=0, epochs=2):
    """The 8 feature maps ``(8, 8, 8)`` (height, width, channel) that the first
    layer of a small CNN computes from ``image`` (8×8).  The CNN,
    ``Conv2D(8, 3, "same", relu) -> MaxPooling2D(2) -> Flatten ->
    Dense(10, softmax)``, is trained for ``epochs`` epochs on all the digits
    (about 0.1 s; 93% training accuracy after 2), seeded with ``seed``."""
    images, labels = digits()
    set_random_seed(seed)
    model = Sequential([Input((8, 8, 1)), Conv2D(8, 3, padding="same", activation="relu"),
                        MaxPooling2D(2), Flatten(), Dense(10, activation="softmax")])
    model.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(images[..., None], labels, epochs=epochs, batch_size=32, verbose=0)
    return model.layers[0](image[None, :, :, None].astype("float32"))[0]


@dataclass
class MaskResult:
    """One pass through a noise layer: ``x`` and ``y`` are ``(height, width,
    channels)`` (one channel for an image), ``noise`` what the layer drew
    (see ``drawn_noise``), ``kept_fraction`` the fraction of values kept
    (``None`` for the Gaussian variants, which drop nothing)."""

    variant: str
    rate: float
    training: bool
    x: np.ndarray
    noise: np.ndarray
    y: np.ndarray
    kept_fraction: float
    figure: plt.Figure


def drawn_noise(variant, x, y, slope):
    """What the figure shows as the noise: for the ``ADDED`` variants
    (``GaussianNoise``) the added :math:`\\varepsilon = y - x`; for the others
    the multiplier :math:`s = \\partial y/\\partial x`, the ``slope`` the
    layer's forward pass returned (``None`` for 1, the identity), broadcast
    to ``x``."""
    if variant in ADDED:
        return y - x
    return np.broadcast_to(1.0 if slope is None else slope, x.shape)


def pass_through(variant, rate, x, training, seed):
    """``x`` (height, width, channels) through ``VARIANTS[variant]`` made with
    ``rate`` (the ``stddev`` of ``GaussianNoise``) and ``seed``, as a batch of
    one: ``(y, noise, kept_fraction, identity)``, ``identity`` true when the
    layer handed its input back (inference, or a rate of 0)."""
    layer = VARIANTS[variant](rate, seed=seed)
    batch = x[None]
    y, slope = layer.forward(batch, training=training)
    noise = drawn_noise(variant, batch, y, slope)
    kept = float(np.mean(noise != 0)) if variant in DROPPING else None
    return y[0], noise[0], kept, y is batch


def describe_pass(variant, rate, training, x, y, kept, identity):
    """The title: the layer, the means of input and output (equal in
    expectation) and the fraction kept, or that the layer is the identity."""
    strength = f"stddev {rate:g}" if variant == "GaussianNoise" else f"rate {rate:g}"
    means = f"mean {x.mean():.3f} → {y.mean():.3f}"
    if identity:
        mode = "training, nothing drawn" if training else "inference"
        return f"{variant}, {strength} ({mode}): the identity, {means}"
    kept_text = "" if kept is None else f", {kept:.1%} of values kept"
    return f"{variant}, {strength} (training): {means}{kept_text}"


def draw_pass(x, noise, y, title, added):
    """Input, noise and output side by side for one image (one channel), or
    as three rows of feature maps (one column a map).  Input and output share
    one grey scale, so kept values scaled by :math:`1/(1-p)` look brighter;
    the noise is red above and blue below its neutral value (0 if it is
    ``added``, 1 for a multiplier)."""
    channels = x.shape[-1]
    if channels == 1:
        figure, axes = plt.subplots(1, 3, figsize=(11, 4))
        axes = axes.reshape(3, 1)
    else:
        figure, axes = plt.subplots(3, channels, figsize=(1.5 * channels, 5.2))
    low, high = min(x.min(), y.min()), max(x.max(), y.max())
    noise_name, neutral = ("added noise y − x", 0.0) if added else ("multiplier ∂y/∂x", 1.0)
    spread = max(float(np.abs(noise - neutral).max()), 1e-6)
    rows = [("input x", x, dict(cmap="gray", vmin=low, vmax=high)),
            (f"{noise_name} ({noise.min():.3g} to {noise.max():.3g})", noise,
             dict(cmap="RdBu_r", vmin=neutral - spread, vmax=neutral + spread)),
            ("output y", y, dict(cmap="gray", vmin=low, vmax=high))]
    for row, (name, values, colours) in zip(axes, rows):
        for channel, ax in enumerate(row):
            ax.imshow(values[..., channel], **colours)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_title(name, fontsize=9 if channels > 1 else 11, loc="left")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def default_images():
    """Grace Hopper's photograph (150×128, about 19,000 pixels) and a digit 3."""
    images, _ = digits()
    return {"Grace Hopper": grace_hopper(factor=4), f"digit {DIGIT}": images[DIGIT]}


def check_images(images):
    """``images`` as ``{label: float32 (height, width, 1)}``: each a 2-D array."""
    if not isinstance(images, dict) or not images:
        raise TypeError(f"mask_explorer: images must be a non-empty dict {{label: 2-D array}}, "
                        f"got {images!r}")
    checked = {}
    for label, image in images.items():
        image = np.asarray(image, dtype="float32")
        if image.ndim != 2:
            raise ValueError(f"mask_explorer: images[{label!r}] must be a 2-D array "
                             f"(height, width), got shape {image.shape}")
        if label == FEATURE_MAPS:
            raise ValueError(f"mask_explorer: the label {FEATURE_MAPS!r} is the explorer's "
                             f"own choice (the CNN's maps); name the image otherwise")
        checked[label] = image[..., None]
    return checked


def mask_explorer(images=None):
    """Controls over one noise layer's pass: the input (an image of ``images``,
    ``{label: 2-D array in [0, 1]}``, by default Grace Hopper and a digit, or
    the 8 feature maps of a small CNN's first layer on digit 3, computed
    when the explorer is made), the variant, its rate (the standard deviation
    for GaussianNoise), training or inference, and the layer's seed (the
    same seed draws the same noise).

    Dropout drops scattered values, SpatialDropout2D whole feature maps (on
    a one-channel image: the whole image or nothing).
    """
    inputs = check_images(default_images() if images is None else images)
    inputs[FEATURE_MAPS] = feature_maps(digits()[0][DIGIT])

    def explore(image, variant, rate, mode, seed):
        x, training = inputs[image], mode == "training"
        y, noise, kept, identity = pass_through(variant, rate, x, training, seed)
        title = describe_pass(variant, rate, training, x, y, kept, identity)
        figure = draw_pass(x, noise, y, title, added=variant in ADDED)
        return MaskResult(variant, rate, training, x, noise, y, kept, figure)

    return interactive(
        explore,
        image=ipywidgets.Dropdown(options=list(inputs), description="input"),
        variant=ipywidgets.ToggleButtons(options=list(VARIANTS), description="variant"),
        rate=ipywidgets.FloatSlider(0.5, min=0.0, max=0.9, step=0.05, description="rate",
                                    continuous_update=False),
        mode=ipywidgets.ToggleButtons(options=["training", "inference"], description="mode"),
        seed=ipywidgets.IntSlider(0, 0, 9, description="seed",
                                  continuous_update=False))

"""Convolution explorer: a 3×3 kernel slid over a real image by ``Conv2D``, with
stride, padding and dilation, and the output-shape formula worked out."""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import cbook
from matplotlib.patches import Rectangle

from ..layers import conv_utils
from ..layers.conv import Conv2D
from .controls import interactive, styled

PRESETS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "Gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16],
                      [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "edges (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


@dataclass
class ConvResult:
    """What the explorer drew: the image, the kernel, the feature map and the
    shape arithmetic (``error`` says why nothing was computed, if so)."""

    image: np.ndarray
    kernel: np.ndarray
    feature_map: np.ndarray
    output_shape: tuple
    formula: str
    error: str
    figure: plt.Figure


def grace_hopper(factor=4):
    """Matplotlib's sample photograph in grey levels in [0, 1], shrunk ``factor``
    times by averaging blocks of pixels (600×512 becomes 150×128)."""
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        rgb = plt.imread(file).astype("float32") / 255.0
    grey = rgb @ np.array([0.299, 0.587, 0.114], "float32")
    h, w = (n // factor * factor for n in grey.shape)
    return grey[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def format_kernel(kernel):
    """A 3×3 kernel as three lines of numbers, as the text box shows it."""
    return "\n".join(" ".join(f"{v:.4g}" for v in row) for row in np.asarray(kernel))


def parse_kernel(text):
    """Three lines of three numbers (commas allowed) as a 3×3 array."""
    rows = [line.replace(",", " ").split() for line in text.strip().splitlines() if line.strip()]
    kernel = np.array([[float(v) for v in row] for row in rows], dtype="float32")
    if kernel.shape != (3, 3):
        raise ValueError(f"expected 3 lines of 3 numbers, got shape {kernel.shape}")
    return kernel


def shape_formula(n, stride, padding, dilation, k=3):
    """The output length along one axis, with the arithmetic written out."""
    out = conv_utils.output_length(n, k, stride, dilation, padding)
    if padding == "valid":
        return out, (f"⌊({n} − {dilation}·({k}−1) − 1) / {stride}⌋ + 1 = {out}")
    before, after = conv_utils.padding_amounts(n, k, stride, dilation, padding)
    return out, f"⌈{n} / {stride}⌉ = {out}  (padding {before} before, {after} after)"


def convolve(image, kernel, stride, padding, dilation):
    """``image`` (h, w) through a one-filter ``Conv2D`` holding ``kernel``, no bias."""
    layer = Conv2D(1, 3, strides=stride, padding=padding, dilation_rate=dilation,
                   use_bias=False)
    x = image[None, :, :, None].astype("float32")
    layer(x)
    layer.set_weights([kernel.reshape(3, 3, 1, 1)])
    return layer(x)[0, :, :, 0]


def mark_windows(ax, stride, padding, dilation, shape):
    """Outline the cells read by the first two windows of the top row."""
    (top, _), (left, _) = (conv_utils.padding_amounts(n, 3, stride, dilation, padding)
                           for n in shape)
    for window, colour in ((0, "tab:red"), (1, "tab:orange")):
        for i, j in np.ndindex(3, 3):
            row, col = i * dilation - top, window * stride + j * dilation - left
            ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False,
                                   edgecolor=colour, linewidth=1.5, clip_on=False))


def draw_convolution(image, kernel_text, stride, padding, dilation, image_name=""):
    """Compute and draw: input (with two windows marked), kernel, feature map
    with a colour bar (its values are signed, in the kernel's units)."""
    figure, (ax_in, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=(11, 4), gridspec_kw={"width_ratios": [4, 2, 4]})
    formula, error, kernel, feature_map, out_shape = "", "", None, None, None
    try:
        kernel = parse_kernel(kernel_text)
        if stride > 1 and dilation > 1:
            raise ValueError("strides > 1 cannot be combined with dilation_rate > 1 (as in Keras)")
        if padding == "valid" and min(image.shape) < 2 * dilation + 1:
            raise ValueError(f"the dilated window ({2 * dilation + 1} cells) is larger than "
                             f"the image {image.shape}")
        (_, text_h), (_, text_w) = (shape_formula(n, stride, padding, dilation)
                                    for n in image.shape)
        formula = f"height: {text_h}\nwidth:  {text_w}"
        feature_map = convolve(image, kernel, stride, padding, dilation)
        out_shape = feature_map.shape
    except ValueError as exc:
        error = str(exc)
    ax_in.imshow(image, cmap="gray")
    ax_in.set_title(f"{image_name} {image.shape[0]}×{image.shape[1]}")
    if not error:
        mark_windows(ax_in, stride, padding, dilation, image.shape)
    if kernel is not None:
        limit = max(float(np.abs(kernel).max()), 1e-6)
        ax_k.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (i, j), v in np.ndenumerate(kernel):
            ax_k.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=9)
    ax_k.set_title("kernel")
    if feature_map is not None:
        shown = ax_out.imshow(feature_map, cmap="gray")
        ax_out.set_title(f"feature map {out_shape[0]}×{out_shape[1]}")
        # The map is signed (an edge kernel gives negative values): the bar reads its grey levels.
        figure.colorbar(shown, ax=ax_out, fraction=0.046, pad=0.03)
    for ax in (ax_in, ax_k, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])
    figure.text(0.5, 0.01, error or formula, ha="center", va="bottom", family="monospace",
                color="tab:red" if error else "black")
    figure.subplots_adjust(bottom=0.2, wspace=0.1)
    return ConvResult(image, kernel, feature_map, out_shape, formula, error, figure)


def conv_explorer(images, kernel="vertical edges (Sobel x)"):
    """Controls over ``draw_convolution``: an image from ``images`` (name -> 2-D
    array), a kernel preset or your own numbers, stride, padding and dilation."""
    preset = ipywidgets.Dropdown(options=[*PRESETS, "your own"], value=kernel,
                                 description="preset")
    text = ipywidgets.Textarea(value=format_kernel(PRESETS[kernel]), rows=3,
                               description="kernel", continuous_update=False,
                               layout={"width": "220px"})

    def use_preset(change):
        if change["new"] in PRESETS:
            text.value = format_kernel(PRESETS[change["new"]])

    def mark_own(change):
        if preset.value in PRESETS and change["new"] != format_kernel(PRESETS[preset.value]):
            preset.value = "your own"

    preset.observe(use_preset, names="value")
    text.observe(mark_own, names="value")

    def explore(image, kernel, stride, padding, dilation):
        return draw_convolution(images[image], kernel, stride, padding, dilation, image)

    widget = interactive(
        explore,
        image=ipywidgets.Dropdown(options=list(images), description="image"),
        kernel=text,
        stride=ipywidgets.IntSlider(1, 1, 3, description="stride",
                                    continuous_update=False),
        padding=ipywidgets.ToggleButtons(options=["valid", "same"], value="same",
                                         description="padding"),
        dilation=ipywidgets.IntSlider(1, 1, 3, description="dilation",
                                      continuous_update=False))
    widget.children = (styled(preset), *widget.children)
    return widget

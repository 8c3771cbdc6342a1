"""The Layers chapter's explorers, driven from Python as a reader's clicks drive them."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from nnlib.widgets.conv_explorer import PRESETS, conv_explorer, grace_hopper
from nnlib.widgets.embedding_explorer import (VOCABULARY, VOWELS,
                                              embedding_explorer, python_help_text)
from nnlib.widgets.pooling_explorer import pooling_explorer
from widget_testing import control


@pytest.fixture(scope="module")
def images():
    digits = load_digits()
    return {"digit 0": digits.images[0] / 16.0, "digit 3": digits.images[3] / 16.0,
            "Grace Hopper": grace_hopper(factor=8)}


def test_grace_hopper_is_a_grey_photograph():
    photo = grace_hopper()
    assert photo.shape == (150, 128)
    assert 0 <= photo.min() < 0.1 and 0.9 < photo.max() <= 1


def test_conv_explorer_first_view(images):
    widget = conv_explorer(images)
    result = widget.result
    np.testing.assert_allclose(result.kernel, PRESETS["vertical edges (Sobel x)"])
    assert result.feature_map.shape == (8, 8) and result.output_shape == (8, 8)
    assert "⌈8 / 1⌉ = 8" in result.formula and not result.error
    # input, kernel, feature map and the feature map's colour bar
    assert len(result.figure.axes) == 4


def test_feature_map_colour_bar_spans_the_signed_values(images):
    widget = conv_explorer(images)
    control(widget, "image").value = "Grace Hopper"
    result = widget.result
    assert result.feature_map.min() < 0 < result.feature_map.max()  # Sobel x: signed
    bar = result.figure.axes[-1]
    low, high = sorted(bar.get_ylim())
    assert low == pytest.approx(result.feature_map.min(), rel=1e-5)
    assert high == pytest.approx(result.feature_map.max(), rel=1e-5)


def test_no_colour_bar_without_a_feature_map(images):
    widget = conv_explorer(images)
    control(widget, "kernel").value = "1 2\n3 4"
    assert widget.result.feature_map is None and len(widget.result.figure.axes) == 3


def test_identity_kernel_returns_the_image(images):
    widget = conv_explorer(images)
    control(widget, "preset").value = "identity"
    assert control(widget, "kernel").value.splitlines()[1] == "0 1 0"
    np.testing.assert_allclose(widget.result.feature_map, images["digit 0"], atol=1e-6)


def test_stride_padding_and_dilation_follow_the_formula(images):
    widget = conv_explorer(images)
    control(widget, "image").value = "Grace Hopper"  # 75 × 64
    control(widget, "stride").value = 2
    assert widget.result.output_shape == (38, 32)
    control(widget, "padding").value = "valid"
    assert widget.result.output_shape == (37, 31)
    assert "⌊(75 − 1·(3−1) − 1) / 2⌋ + 1 = 37" in widget.result.formula
    control(widget, "stride").value = 1
    control(widget, "dilation").value = 3
    assert widget.result.output_shape == (75 - 6, 64 - 6)


def test_your_own_kernel_and_its_errors(images):
    widget = conv_explorer(images)
    text = control(widget, "kernel")
    text.value = "0 0 0\n0 2 0\n0 0 0"
    assert control(widget, "preset").value == "your own"
    np.testing.assert_allclose(widget.result.feature_map, 2 * images["digit 0"], atol=1e-6)
    text.value = "1 2\n3 4"
    assert "expected 3 lines of 3 numbers" in widget.result.error
    assert widget.result.feature_map is None
    text.value = "1, 0, 0\n0 0 0\n0 0 0"
    control(widget, "stride").value = 2
    control(widget, "dilation").value = 2
    assert "cannot be combined" in widget.result.error


def test_pooling_explorer_routes_max_gradients_to_winners(images):
    widget = pooling_explorer(images)
    result = widget.result
    assert result.y.shape == (4, 4)
    # Each 2×2 window sends its gradient of 1 to one cell, its maximum.
    windows = result.dx.reshape(4, 2, 4, 2).transpose(0, 2, 1, 3).reshape(4, 4, 4)
    assert np.all((windows > 0).sum(axis=-1) == 1) and result.dx.sum() == 16
    x_windows = result.x.reshape(4, 2, 4, 2).transpose(0, 2, 1, 3).reshape(4, 4, 4)
    np.testing.assert_allclose(result.y, x_windows.max(axis=-1))
    assert result.winners.sum() == 16


def test_pooling_explorer_average_and_overlap(images):
    widget = pooling_explorer(images)
    control(widget, "pooling").value = "average"
    np.testing.assert_allclose(widget.result.dx, 0.25)
    control(widget, "pool size").value = 3
    control(widget, "stride").value = 1
    assert widget.result.y.shape == (6, 6)
    assert widget.result.dx[2, 2] == pytest.approx(9 / 9)  # in nine windows, 1/9 from each
    assert widget.result.dx[0, 0] == pytest.approx(1 / 9)
    control(widget, "padding").value = "same"
    assert widget.result.y.shape == (8, 8)
    assert not widget.result.winners.any()


@pytest.fixture(scope="module")
def embedding_widget():
    return embedding_explorer(python_help_text()[:60_000], snapshots=(0, 10, 400))


def test_embedding_explorer_learns_vowels_apart(embedding_widget):
    result = embedding_widget.result
    assert result.step == 400 and result.embeddings.shape == (27, 2)
    assert result.vocabulary == VOCABULARY and len(result.losses) == 400
    assert result.losses[-50:].mean() < result.losses[:10].mean() - 0.3
    vectors = dict(zip(VOCABULARY, result.embeddings))
    vowels = np.array([vectors[v] for v in sorted(VOWELS)])
    consonants = np.array([vectors[c] for c in "bcdfghklmnprst"])
    within = np.linalg.norm(vowels[:, None] - vowels[None], axis=-1).sum() / 20
    across = np.linalg.norm(vowels[:, None] - consonants[None], axis=-1).mean()
    assert within < across


def test_embedding_explorer_slider_shows_earlier_steps(embedding_widget):
    final = embedding_widget.result.embeddings
    control(embedding_widget, "step").value = 0
    start = embedding_widget.result.embeddings
    assert np.abs(start).max() <= 0.05  # Keras's uniform initialisation
    assert not np.allclose(start, final)
    control(embedding_widget, "predict the").value = "previous"
    assert embedding_widget.result.step == 0
    control(embedding_widget, "step").value = 400
    assert not np.allclose(embedding_widget.result.embeddings, final)

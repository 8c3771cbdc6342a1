"""Flatten and Reshape: shapes (known and unknown), the gradient reshaped back, errors;
UpSampling2D: its two interpolations, their backward passes, shapes and errors."""
import re

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers.reshaping import Flatten, Reshape
from nnlib.layers.upsampling import UpSampling2D
from nnlib.models import Input, Sequential
from nnlib.testing import check_gradients


def test_flatten_keeps_row_major_order():
    x = np.arange(24.0).reshape(2, 2, 3, 2)
    y = Flatten()(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y[1], np.arange(12.0, 24.0))
    assert Flatten()(np.arange(3.0)).shape == (3, 1)
    assert Flatten().compute_output_shape((None, 4, 5)) == (None, 20)
    assert Flatten().compute_output_shape((None, None, 5)) == (None, None)


def test_backward_reshapes_the_gradient_back():
    layer = Reshape((3, -1))
    x = np.arange(12.0).reshape(2, 6)
    y, cache = layer.forward(layer.prepare(x))
    assert y.shape == (2, 3, 2)
    dx, grads = layer.backward(y * 2, cache)
    np.testing.assert_array_equal(dx, x * 2)
    assert grads == {}


def test_reshape_shapes():
    assert Reshape((4, -1))(np.ones((2, 3, 4))).shape == (2, 4, 3)
    assert Reshape((2, 2, 3)).compute_output_shape((None, 12)) == (None, 2, 2, 3)
    assert Reshape((-1, 2)).compute_output_shape((None, None)) == (None, None, 2)
    model = Sequential([Input((8, 8)), Reshape((8, 8, 1)), Flatten()])
    assert model.outputs[0].shape == (None, 64)
    assert Reshape((2, 3)).get_config()["target_shape"] == (2, 3)


def test_reshape_errors():
    with pytest.raises(ValueError, match=re.escape(
            "Reshape 'r': cannot reshape each sample of 6 values to (4, 2), got shape (2, 6)")):
        Reshape((4, 2), name="r")(np.ones((2, 6)))
    with pytest.raises(ValueError, match=r"cannot reshape each sample of 7 values to \(2, -1\)"):
        Reshape((2, -1))(np.ones((1, 7)))
    with pytest.raises(ValueError, match=r"Reshape 'rr': target_shape takes at most one -1 "
                                         r"\(the size to infer\), got \(-1, -1\)"):
        Reshape((-1, -1), name="rr")
    sizes = "target_shape must be a tuple of whole numbers >= 1 or -1"
    for bad in [(0, 3), (-2, 3), (2.5, 2)]:
        with pytest.raises(ValueError, match=re.escape(f"{sizes}, got {bad}")):
            Reshape(bad)
    # A single number used to escape as "'int' object is not iterable".
    with pytest.raises(TypeError, match=re.escape(f"{sizes}, got 6; for one axis of 6 write "
                                                  f"target_shape=(6,)")):
        Reshape(6)
    with pytest.raises(TypeError, match=re.escape(f"{sizes}, got ('2', 3)")):
        Reshape(("2", 3))
    assert Reshape([2.0, -1]).target_shape == (2, -1)
    with pytest.raises(ValueError, match=r"Flatten 'f': expected one input with a batch axis"):
        Flatten(name="f")(np.float32(3.0))


def test_config_rebuilds_the_layer():
    config = Reshape((3, -1), name="cfg_reshape").get_config()
    assert config["target_shape"] == (3, -1)
    assert Reshape.from_config(config).target_shape == (3, -1)
    assert Flatten.from_config(Flatten(name="f_cfg").get_config()).name == "f_cfg"


# -- UpSampling2D ----------------------------------------------------------------------

@pytest.fixture
def images():
    return np.random.default_rng(0).normal(size=(2, 3, 4, 2))


def test_nearest_repeats_each_cell_and_sums_the_gradient_back(images):
    layer = UpSampling2D((2, 3), dtype="float64")
    y, cache = layer.forward(layer.prepare(images))
    np.testing.assert_array_equal(y, images.repeat(2, axis=1).repeat(3, axis=2))
    dy = np.random.default_rng(1).normal(size=y.shape)
    dx, grads = layer.backward(dy, cache)
    np.testing.assert_allclose(dx, dy.reshape(2, 3, 2, 4, 3, 2).sum(axis=(2, 4)))
    assert grads == {} and layer.backward(dy, cache, need_dx=False)[0] is None


def test_bilinear_reproduces_a_linear_ramp_inside_and_holds_the_edges():
    """Output cell o sits at input position (o + 1/2)/s - 1/2: a ramp x[h] = h gives
    exactly that position, clamped to [0, n - 1] near the edges."""
    ramp = np.broadcast_to(np.arange(5.0)[None, :, None, None], (1, 5, 3, 1))
    y = UpSampling2D((4, 1), interpolation="bilinear", dtype="float64")(ramp)[0, :, 0, 0]
    positions = np.clip((np.arange(20) + 0.5) / 4 - 0.5, 0, 4)
    np.testing.assert_allclose(y, positions)
    assert y[0] == y[1] == 0 and y[-1] == y[-2] == 4  # the edges are held


def test_bilinear_keeps_a_constant_image_and_each_cells_total_weight(images):
    layer = UpSampling2D(3, interpolation="bilinear", dtype="float64")
    constant = np.full((1, 3, 4, 2), 7.0)
    np.testing.assert_allclose(layer(constant), np.full((1, 9, 12, 2), 7.0))
    y, cache = layer.forward(layer.prepare(images))
    dx, _ = layer.backward(np.ones_like(y), cache)
    assert np.isclose(dx.sum(), y[..., 0].size * 2)  # each output cell's weights sum to 1


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_upsampling_gradients(interpolation, images):
    with floatx_scope("float64"):
        report = check_gradients(UpSampling2D((3, 2), interpolation=interpolation), images)
    assert report.passed, repr(report)


def test_upsampling_shapes_config_and_errors():
    layer = UpSampling2D(interpolation="BILINEAR", name="up")
    assert layer.size == (2, 2) and layer.interpolation == "bilinear"
    assert layer.compute_output_shape((None, 5, None, 3)) == (None, 10, None, 3)
    assert Sequential([Input((None, 4, 3)), UpSampling2D((1, 3))]).outputs[0].shape == \
        (None, None, 12, 3)
    assert layer(np.ones((1, 2, 2, 1), int)).dtype == np.float32
    config = UpSampling2D((2, 3), name="up_cfg").get_config()
    assert config["size"] == (2, 3) and config["interpolation"] == "nearest"
    assert UpSampling2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=re.escape(
            "UpSampling2D 'u': expected input of rank 4 (batch, height, width, channels), "
            "got shape (2, 4, 3)")):
        UpSampling2D(name="u")(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "UpSampling2D 'u2': interpolation='lanczos3' is not supported by nnlib (only "
            "('nearest', 'bilinear'))")):
        UpSampling2D(interpolation="lanczos3", name="u2")

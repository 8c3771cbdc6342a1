"""Flatten and Reshape: shapes (known and unknown), the gradient reshaped back, errors."""
import re

import numpy as np
import pytest

from nnlib.layers.reshaping import Flatten, Reshape
from nnlib.models import Input, Sequential


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

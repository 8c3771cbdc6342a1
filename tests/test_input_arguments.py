"""Where a model's data comes in, written as Keras 3 code writes it: ``Input`` with
Keras's signature, and ``input_shape=``/``input_dim=`` on a Sequential's first layer
(each checked against Keras 3 run here)."""
import inspect
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from nnlib import layers  # noqa: E402

LEGACY_WARNING = "prefer an Input\\(shape\\) as the first layer"


def test_input_has_keras_signature():
    ours = inspect.signature(nnlib.layers.Input).parameters
    theirs = inspect.signature(keras.layers.Input).parameters
    assert list(ours) == list(theirs)
    assert {name: p.default for name, p in ours.items()} == \
        {name: p.default for name, p in theirs.items()}
    assert nnlib.layers.Input is nnlib.Input


def test_input_takes_keras_arguments_that_mean_something_here():
    tensor = nnlib.layers.Input(shape=(4,), batch_size=8, dtype="float64", sparse=False,
                                ragged=False, name="features", optional=False)
    expected = keras.layers.Input(shape=(4,), batch_size=8, dtype="float64", name="features")
    assert tensor.shape == tuple(expected.shape) and tensor.dtype == expected.dtype
    assert tensor.name == expected.name
    assert nnlib.layers.Input((None, 3), None, "int32").shape == (None, None, 3)
    assert nnlib.layers.Input(batch_shape=(2, 5)).shape == (2, 5)


@pytest.mark.parametrize("arguments, error, message", [
    ({"sparse": True}, ValueError, "^Input: sparse=True is not supported by nnlib"),
    ({"ragged": True}, ValueError, "^Input: ragged=True is not supported by nnlib"),
    ({"optional": True}, ValueError, "^Input: optional=True is not supported by nnlib"),
    ({"sparse": "no"}, TypeError, "^Input: sparse must be True or False, got 'no'$"),
    ({"tensor": np.zeros((1, 4))}, ValueError,
     "^Input: tensor= \\(wrapping an existing tensor\\) is not supported by nnlib, got "
     "ndarray; give shape and dtype instead$"),
])
def test_input_refuses_what_nnlib_cannot_do(arguments, error, message):
    with pytest.raises(error, match=message):
        nnlib.layers.Input((4,), **arguments)


def sequential_pair(make_layers):
    """The same stack built by nnlib and by Keras (``make_layers(module)``), and
    whether each warned about a legacy input shape."""
    built = []
    for module in (nnlib, keras):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = module.Sequential(make_layers(module.layers))
        said = " ".join(str(w.message) for w in caught)
        built.append((model, "input_shape" in said))
    return built


def test_input_shape_on_the_first_layer_starts_the_model_as_in_keras():
    (ours, ours_warned), (theirs, theirs_warned) = sequential_pair(
        lambda m: [m.Dense(8, activation="relu", input_shape=(4,)), m.Dense(2)])
    assert ours_warned and theirs_warned
    assert ours.built and theirs.built
    assert ours.inputs[0].shape == tuple(theirs.inputs[0].shape) == (None, 4)
    assert ours.outputs[0].shape == tuple(theirs.outputs[0].shape)
    assert len(ours.layers) == len(theirs.layers) == 2  # no InputLayer among the layers
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_input_dim_is_input_shape_of_one_axis_as_in_keras():
    (ours, _), (theirs, _) = sequential_pair(lambda m: [m.Dense(3, input_dim=7)])
    assert ours.inputs[0].shape == tuple(theirs.inputs[0].shape) == (None, 7)


def test_input_shape_after_the_first_layer_is_ignored_as_in_keras_with_a_warning():
    (ours, _), (theirs, _) = sequential_pair(
        lambda m: [m.Dense(8), m.Dense(2, input_shape=(5,))])
    assert not ours.built and not theirs.built
    with pytest.warns(UserWarning, match=LEGACY_WARNING):
        late = layers.Dense(2, input_shape=(9,), name="late")
    with pytest.warns(UserWarning, match="the input_shape of Dense 'late' is ignored"):
        model = nnlib.Sequential([layers.Input((3,)), late])
    assert model.inputs[0].shape == (None, 3)


def test_add_uses_the_input_shape_of_the_first_layer():
    model = nnlib.Sequential()
    with pytest.warns(UserWarning, match=LEGACY_WARNING):
        model.add(layers.Conv2D(4, 3, input_shape=(8, 8, 1)))
    assert model.built and model.outputs[0].shape == (None, 6, 6, 4)
    model.add(layers.Flatten())
    assert model.outputs[0].shape == (None, 144)


def test_input_shape_is_no_part_of_the_config():
    with pytest.warns(UserWarning, match=LEGACY_WARNING):
        layer = layers.Dense(3, input_shape=(4,))
    assert layer.declared_input_shape == (4,)
    assert "input_shape" not in layer.get_config()
    with pytest.warns(UserWarning, match=LEGACY_WARNING):
        model = nnlib.Sequential([layers.Dense(3, input_shape=(4,))])
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert nnlib.Sequential.from_config(config).inputs[0].shape == (None, 4)


def test_every_layer_takes_input_shape_and_only_it():
    assert layers.Dense(3).declared_input_shape is None
    with pytest.warns(UserWarning, match="Flatten 'flat': input_shape/input_dim on a layer"):
        assert layers.Flatten(input_shape=[2, None], name="flat").declared_input_shape == \
            (2, None)
    with pytest.raises(TypeError, match="^Flatten 'f2': unexpected keyword argument 'input'$"):
        layers.Flatten(input=(2, 2), name="f2")

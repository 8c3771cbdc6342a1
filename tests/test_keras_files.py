"""Keras 3's ``.keras`` and ``.weights.h5`` files, written by nnlib and read by
Keras, written by Keras and read by nnlib; generated from the registry: every
registered layer with a Keras twin, wrapped in a functional model, crosses both
ways with the same predictions (inference mode)."""
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from nnlib import registry  # noqa: E402
from nnlib.interop import from_keras, to_keras  # noqa: E402
from nnlib.interop.keras_file import dataset_paths  # noqa: E402
from nnlib.layers import LSTM, BatchNormalization, Bidirectional, Dense, Dropout  # noqa: E402
from nnlib.models import Input, Model, Sequential  # noqa: E402
from nnlib.regularizers import L2  # noqa: E402

from parity import close  # noqa: E402
from test_gradients import entry_id  # noqa: E402
from test_layer_contract import (  # noqa: E402
    as_argument, contract_sample, is_ids, keras_arguments, keras_twin, outputs_of)


def twin_entries():
    """Every registered layer that Keras has under the same name."""
    return [entry for entry in registry.entries("layer") if keras_twin(entry) is not None]


parametrize_twins = pytest.mark.parametrize("entry", twin_entries(), ids=entry_id)


def sample_inputs(entry):
    """The layer of ``entry``'s sample and its inputs, values as float32."""
    layer, inputs = contract_sample(entry)
    return layer, [a if is_ids(a) else a.astype("float32") for a in inputs]


def nnlib_model_of(layer, inputs):
    tensors = [Input(a.shape[1:], dtype="int32" if is_ids(a) else None) for a in inputs]
    return Model(as_argument(tensors), layer(as_argument(tensors)))


def keras_predict(keras_model, inputs):
    """Keras's outputs (a list) in inference mode."""
    y = keras_model(as_argument(inputs), training=False)
    return [keras.ops.convert_to_numpy(t) for t in outputs_of(y)]


def assert_same_outputs(actual, expected):
    actual = outputs_of(actual)
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        close(a, b)


# Layers whose Keras twin computes otherwise on the PyTorch backend, for some
# samples: {name: why}.  Their files are still checked, against the Keras twin.
KERAS_ON_TORCH_DIFFERS = {
    name: "average over lopsided 'same' padding counts replicated edge cells on "
          "PyTorch (pinned in tests/test_parity_layers.py)"
    for name in ("AveragePooling1D", "AveragePooling2D")}


def twin_pair(entry):
    """``(nnlib model, Keras model, inputs)``: the sample layer in a functional
    model, and its Keras twin in one, with the same weights."""
    layer, inputs = sample_inputs(entry)
    model = nnlib_model_of(layer, inputs)
    twin = keras_twin(entry)(name=layer.name, **keras_arguments(layer.get_config()))
    tensors = [keras.Input(a.shape[1:], dtype="int32" if is_ids(a) else "float32",
                           name=t.name) for a, t in zip(inputs, model.inputs)]
    keras_model = keras.Model(as_argument(tensors), twin(as_argument(tensors)),
                              name=model.name)
    twin.set_weights([w.value for w in layer.weights])
    if entry.name not in KERAS_ON_TORCH_DIFFERS:
        assert_same_outputs(keras_predict(keras_model, inputs),
                            outputs_of(model.predict(as_argument(inputs))))
    return model, keras_model, inputs


@parametrize_twins
def test_nnlib_keras_file_opens_in_keras(entry, tmp_path):
    """nnlib -> .keras -> keras.saving.load_model, and in memory by to_keras,
    predict what the Keras twin predicts (which is what nnlib predicts)."""
    model, twin, inputs = twin_pair(entry)
    expected = keras_predict(twin, inputs)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert [lay.name for lay in loaded.layers] == [lay.name for lay in model.layers]
    assert_same_outputs(keras_predict(loaded, inputs), expected)
    assert_same_outputs(keras_predict(to_keras(model), inputs), expected)


@parametrize_twins
def test_keras_file_opens_in_nnlib(entry, tmp_path):
    """Keras's twin -> .keras -> nnlib.load_model, and in memory by from_keras,
    predict what nnlib's layer predicts (which is what Keras predicts)."""
    model, twin, inputs = twin_pair(entry)
    expected = outputs_of(model.predict(as_argument(inputs)))
    twin.save(tmp_path / "k.keras")
    loaded = nnlib.load_model(tmp_path / "k.keras")
    assert [lay.name for lay in loaded.layers] == [lay.name for lay in twin.layers]
    assert_same_outputs(loaded.predict(as_argument(inputs)), expected)
    assert_same_outputs(from_keras(twin).predict(as_argument(inputs)), expected)


def test_import_nnlib_imports_neither_keras_nor_h5py():
    import subprocess
    code = ("import sys, nnlib, nnlib.interop, nnlib.saving; "
            "print(sorted({'keras', 'h5py', 'torch'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# -- the layout of the weights ---------------------------------------------------------------

def nested_model():
    inner = Sequential([Input((4,)), Dense(3, name="inner_dense"), BatchNormalization()],
                       name="inner")
    x = Input((4,), name="x")
    return Model(x, Dense(2, name="head")(inner(x)), name="outer")


def test_dataset_paths_are_keras_layout_in_nested_models(tmp_path):
    """The datasets nnlib writes are those Keras writes for the same model."""
    import h5py
    model = nested_model()
    keras_model = to_keras(model)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    with h5py.File(tmp_path / "k.weights.h5") as file:
        keras_paths = set()
        file.visititems(lambda name, item: keras_paths.add(name)
                        if isinstance(item, h5py.Dataset) else None)
    assert set(dataset_paths(model)) == keras_paths
    assert "layers/sequential/layers/batch_normalization/vars/3" in keras_paths


def test_weights_h5_both_ways(tmp_path):
    model = nested_model()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    model.save_weights(tmp_path / "n.weights.h5")
    keras_model = to_keras(nested_model())  # other weights, same architecture
    keras_model.load_weights(tmp_path / "n.weights.h5")
    close(keras_predict(keras_model, [x])[0], model.predict(x))
    for variable in keras_model.weights:  # Keras moves its weights, nnlib reads them back
        variable.assign(variable.numpy() * 0.5 + 0.25)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    model.load_weights(tmp_path / "k.weights.h5")
    close(model.predict(x), keras_predict(keras_model, [x])[0])
    for weight, variable in zip(model.weights, keras_model.weights):
        np.testing.assert_array_equal(weight.value, variable.numpy())


def test_sequential_stays_sequential_and_nested_models_stay_nested(tmp_path):
    model = nested_model()
    keras_model = to_keras(model)
    assert type(keras_model).__name__ == "Functional"
    assert isinstance(keras_model.get_layer("inner"), keras.Sequential)
    assert [lay.name for lay in keras_model.get_layer("inner").layers] == \
        [lay.name for lay in model.get_layer("inner").layers]
    keras_model.save(tmp_path / "k.keras")
    back = nnlib.load_model(tmp_path / "k.keras")
    assert type(back.get_layer("inner")) is Sequential and back.name == "outer"
    stack = Sequential([Input((3,)), Dense(2), Dropout(0.5)], name="stack")
    assert isinstance(to_keras(stack), keras.Sequential)
    assert type(from_keras(to_keras(stack))) is Sequential


def test_layer_configuration_crosses_unchanged():
    """The nnlib layer's config, through Keras and back, is what it was."""
    x = Input((6, 3))
    layer = Bidirectional(LSTM(4, return_sequences=True, recurrent_dropout=0.0,
                               kernel_regularizer=L2(0.5), unit_forget_bias=False))
    model = Model(x, Dense(2, activation="tanh", use_bias=False)(layer(x)))
    back = from_keras(to_keras(model))
    assert back.get_config() == model.get_config()


def test_weights_of_a_trained_keras_model_load_into_an_uncompiled_one(tmp_path):
    """The file holds Adam's slots too (three times the weights): still within bounds."""
    keras_model = keras.Sequential([keras.Input((128,)), keras.layers.Dense(256)])
    keras_model.compile(optimizer=keras.optimizers.Adam(amsgrad=True), loss="mse")
    keras_model.train_on_batch(np.ones((2, 128)), np.ones((2, 256)))
    keras_model.save_weights(tmp_path / "k.weights.h5")
    model = Sequential([Input((128,)), Dense(256)])
    model.load_weights(tmp_path / "k.weights.h5")
    for weight, variable in zip(model.weights, keras_model.weights, strict=True):
        np.testing.assert_array_equal(weight.value, variable.numpy())


def test_a_layer_of_the_user_s_own_class_is_named_when_saved_for_keras(tmp_path):
    class Doubling(nnlib.layers.Layer):
        def forward(self, x, *, training=False):
            return 2 * x, None

        def backward(self, dy, cache, *, need_dx=True):
            return 2 * dy, {}

    inputs = nnlib.Input((3,))
    inner = nnlib.Model(inputs, Doubling()(inputs), name="inner")
    model = nnlib.Model(inputs, nnlib.layers.Dense(2)(inner(inputs)))
    with pytest.warns(UserWarning, match=r"\['Doubling'\] are not Keras layers"):
        model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nnlib.Sequential([nnlib.Input((3,)), nnlib.layers.Dense(2)]).save(tmp_path / "n.keras")

"""nnlib models handed to Keras 3 and back: in memory (``to_keras``,
``from_keras``) and through ``.keras`` files, with their graphs, names,
weights and ``compile`` arguments; one training step agrees on both sides."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from nnlib.activations import LeakyReLU  # noqa: E402
from nnlib.interop import from_keras, to_keras  # noqa: E402
from nnlib.layers import Add, BatchNormalization, Concatenate, Dense, Dropout  # noqa: E402
from nnlib.models import Input, Model, Sequential  # noqa: E402
from nnlib.losses import BinaryCrossentropy  # noqa: E402
from nnlib.metrics import AUC  # noqa: E402
from nnlib.optimizers import SGD, Adadelta, Adagrad, Adam, Nadam, RMSprop  # noqa: E402
from nnlib.optimizers.schedules import ExponentialDecay  # noqa: E402
from nnlib.serialization import serialize  # noqa: E402

from parity import close  # noqa: E402
from test_gradients import register_temporarily  # noqa: E402,F401
from test_layer_contract import Doubler  # noqa: E402


def keras_numpy(values):
    return {k: keras.ops.convert_to_numpy(v) for k, v in values.items()} \
        if isinstance(values, dict) else [keras.ops.convert_to_numpy(v) for v in values]


def two_way_model():
    """Two inputs by name, a layer called twice (shared), two outputs by name."""
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = Dense(3, activation="relu", name="shared")
    merged = Add(name="merge")([shared(a), shared(b)])
    hidden = BatchNormalization(name="norm")(Dropout(0.25, name="drop")(merged))
    scores = Dense(2, name="scores")(Concatenate(name="both")([hidden, shared(a)]))
    return Model({"a": a, "b": b}, {"score": scores, "hidden": hidden}, name="two_way")


def data(rng=None):
    rng = rng or np.random.default_rng(0)
    return {"a": rng.normal(size=(6, 4)).astype("float32"),
            "b": rng.normal(size=(6, 4)).astype("float32")}


def assert_same_model(back, model):
    """Same class, names, graph and weights (bit for bit)."""
    assert type(back) is type(model)
    assert back.name == model.name
    assert [layer.name for layer in back.layers] == [layer.name for layer in model.layers]
    assert back.get_config() == model.get_config()
    assert [w.name for w in back.weights] == [w.name for w in model.weights]
    for ours, theirs in zip(back.weights, model.weights, strict=True):
        assert np.array_equal(ours.value, theirs.value)


def moved(model, rng):
    """``model`` with every weight changed (to positive values: moving variances
    too), so that a copy cannot pass by chance."""
    for weight in model.weights:
        weight.assign(rng.uniform(0.5, 1.5, size=weight.shape).astype("float32"))
    return model


def test_multi_input_multi_output_shared_layers_survive_both_round_trips(tmp_path):
    model = moved(two_way_model(), np.random.default_rng(1))
    x = data()
    expected = model.predict(x)
    model.save(tmp_path / "n.keras")
    keras_model = keras.saving.load_model(tmp_path / "n.keras")
    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in model.layers]
    outputs = keras_numpy(keras_model(x, training=False))
    assert sorted(outputs) == model.output_names
    for name, y in outputs.items():
        close(y, expected[name])
    keras_model.save(tmp_path / "k.keras")
    assert_same_model(nnlib.load_model(tmp_path / "k.keras"), model)
    assert_same_model(from_keras(to_keras(model)), model)


def test_keras_functional_config_uses_keras_call_layout():
    """to_keras gives the graph Keras would write itself (calls as
    ``{"args", "kwargs"}`` with ``__keras_tensor__`` records)."""
    model = two_way_model()
    keras_model = to_keras(model)
    config = keras_model.get_config()
    shared = next(layer for layer in config["layers"] if layer["name"] == "shared")
    assert [node["args"][0]["config"]["keras_history"] for node in shared["inbound_nodes"]] \
        == [["a", 0, 0], ["b", 0, 0], ["a", 0, 0]]
    assert config["output_layers"] == {"hidden": ["norm", 0, 0], "score": ["scores", 0, 0]}


def compiled_pair(optimizer):
    rng = np.random.default_rng(2)
    model = moved(Sequential([Input((5,)), Dense(4, activation="tanh"),
                              BatchNormalization(), Dense(3)], name="net"), rng)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model, to_keras(model), rng


@pytest.mark.parametrize("optimizer", [SGD(0.1, momentum=0.9), Adam(0.01, beta_1=0.8)],
                         ids=["SGD", "Adam"])
def test_one_training_step_agrees_with_keras(optimizer):
    model, keras_model, rng = compiled_pair(optimizer)
    assert type(keras_model.optimizer).__name__ == type(optimizer).__name__
    x, y = rng.normal(size=(8, 5)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
    model.train_on_batch(x, y)
    keras_model.train_on_batch(x, y)
    for weight, variable in zip(model.weights, keras_model.weights, strict=True):
        close(weight.value, keras.ops.convert_to_numpy(variable))


@pytest.mark.parametrize("optimizer", [
    SGD(0.1, momentum=0.5), SGD(ExponentialDecay(0.1, 2, 0.5), momentum=0.5), Adam(0.01),
    Adam(0.01, amsgrad=True), RMSprop(0.01, momentum=0.5, centered=True), Adagrad(0.1),
    Adadelta(1.0)],
    ids=["SGD", "SGD-schedule", "Adam", "Adam-amsgrad", "RMSprop-centered", "Adagrad",
         "Adadelta"])
def test_optimizer_state_crosses_in_keras_files(optimizer, tmp_path):
    """Keras steps once and saves; nnlib loads (with the optimizer's slots, in
    Keras's order) and steps again: the same weights as Keras's steps.  And the
    other way."""
    model, keras_model, rng = compiled_pair(optimizer)
    batches = [(rng.normal(size=(8, 5)).astype("float32"),
                rng.normal(size=(8, 3)).astype("float32")) for _ in range(3)]
    keras_model.train_on_batch(*batches[0])
    keras_model.save(tmp_path / "k.keras")
    loaded = nnlib.load_model(tmp_path / "k.keras")
    assert loaded.optimizer.iterations == 1
    for x, y in batches[1:]:
        keras_model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
    for weight, variable in zip(loaded.weights, keras_model.weights, strict=True):
        close(weight.value, keras.ops.convert_to_numpy(variable))
    loaded.save(tmp_path / "n.keras")
    reloaded = keras.saving.load_model(tmp_path / "n.keras")
    assert int(reloaded.optimizer.iterations) == 3
    x, y = batches[0]
    reloaded.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    for weight, variable in zip(loaded.weights, reloaded.weights, strict=True):
        close(weight.value, keras.ops.convert_to_numpy(variable))


def test_compile_arguments_are_carried_both_ways(tmp_path):
    model, keras_model, _ = compiled_pair(Adam(0.005, beta_2=0.99, amsgrad=True))
    config = keras_model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    optimizer = keras_model.optimizer
    assert type(optimizer).__name__ == "Adam" and optimizer.amsgrad is True
    assert np.isclose(float(optimizer.learning_rate), 0.005) and optimizer.beta_2 == 0.99
    keras_model.save(tmp_path / "k.keras")
    for back in (from_keras(keras_model), nnlib.load_model(tmp_path / "k.keras")):
        assert back.compile_config["loss"] == "mse" and back.compile_config["metrics"] == ["mae"]
        assert type(back.optimizer) is Adam and back.optimizer.amsgrad is True
        assert np.isclose(back.optimizer.learning_rate, 0.005) and back.optimizer.beta_2 == 0.99
    assert not nnlib.load_model(tmp_path / "k.keras", compile=False).compiled


def test_a_component_keras_lacks_is_named(register_temporarily):
    x = Input((3,))
    model = Model(x, Dense(2, activation=LeakyReLU(0.3))(x))
    with pytest.raises(ValueError, match="activation LeakyReLU .* has no Keras twin"):
        to_keras(model)
    register_temporarily("layer", Doubler)
    model = Model(x, Doubler()(Dense(2)(x)))
    with pytest.raises(ValueError, match=r"Keras does not have: \['keras.layers.Doubler'\]"):
        to_keras(model)


def test_a_keras_component_nnlib_lacks_is_named():
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    keras_model.compile(optimizer=keras.optimizers.Lion(), loss="mse")
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'"):
        from_keras(keras_model)
    keras_model.compile(optimizer="adam", loss="mse", steps_per_execution=4)
    with pytest.raises(ValueError, match="'steps_per_execution' is 4"):
        from_keras(keras_model)
    lambda_model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2)])
    with pytest.raises(ValueError, match="Lambda .* has no nnlib twin"):
        from_keras(lambda_model)


def test_from_keras_checks_its_argument():
    with pytest.raises(TypeError, match="expected a Keras model"):
        from_keras(two_way_model())


def test_schedules_losses_and_metrics_cross_as_objects():
    model = Sequential([Input((4,)), Dense(2, activation="sigmoid")])
    model.compile(optimizer=SGD(ExponentialDecay(0.1, 10, 0.5), momentum=0.5),
                  loss=BinaryCrossentropy(from_logits=True, label_smoothing=0.25),
                  metrics=[AUC(num_thresholds=50), "accuracy"])
    keras_model = to_keras(model)
    assert isinstance(keras_model.optimizer._learning_rate,
                      keras.optimizers.schedules.ExponentialDecay)
    back = from_keras(keras_model)
    assert serialize(back.compile_config) == serialize(model.compile_config)


def test_an_optimizer_state_keras_keeps_otherwise_is_not_written_silently(tmp_path):
    model = Sequential([Input((4,)), Dense(2)])
    model.compile(optimizer=Nadam(), loss="mse")
    model.train_on_batch(np.ones((3, 4)), np.ones((3, 2)))
    with pytest.warns(UserWarning, match="the state of Nadam is not written"):
        model.save(tmp_path / "n.keras")
    assert nnlib.load_model(tmp_path / "n.keras").optimizer.iterations == 1

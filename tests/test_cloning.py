"""clone_model: each scenario written once, run with nnlib and with Keras 3, and the facts
(names, types, sharing, compiled or not, errors) compared; then nnlib's own checks."""
import os
import warnings

import numpy as np
import pytest

import nnlib
from nnlib.models import Model, Sequential, clone_model

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    import keras
    return keras


def names(model):
    return [layer.name for layer in model.layers]


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def stack(lib):
    return lib.Sequential([lib.Input((3,), name="x"), lib.layers.Dense(4, name="hidden"),
                           lib.layers.Dense(2, name="out")], name="stack")


def shared_graph(lib):
    x = lib.Input((3,), name="x")
    shared = lib.layers.Dense(3, name="shared")
    return lib.Model(x, lib.layers.Dense(1, name="out")(shared(shared(x))), name="graph")


def sequential_compiled(lib):
    model = stack(lib)
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    clone = lib.models.clone_model(model)
    return {"name": clone.name, "layers": names(clone), "compiled": clone.compiled,
            "new optimizer": clone.optimizer is not model.optimizer,
            "optimizer": type(clone.optimizer).__name__,
            "rate": round(float(clone.optimizer.learning_rate), 6),
            "new layers": all(a is not b for a, b in zip(clone.layers, model.layers)),
            "new weights": not np.array_equal(clone.get_weights()[0], model.get_weights()[0]),
            "input": clone.inputs[0].name if hasattr(clone.inputs[0], "name") else None}


def functional_shared(lib):
    model = shared_graph(lib)
    model.compile(optimizer="sgd", loss="mse")
    clone = lib.models.clone_model(model)
    return {"name": clone.name, "layers": names(clone), "weights": len(clone.weights),
            "compiled": clone.compiled, "new layers": clone.layers[1] is not model.layers[1]}


def given_inputs(lib):
    functional = lib.models.clone_model(shared_graph(lib),
                                        input_tensors=lib.Input((3,), name="given"))
    sequential = lib.models.clone_model(stack(lib), input_tensors=lib.Input((3,), name="given2"))
    return {"functional": names(functional), "sequential": names(sequential),
            "sequential input": sequential.inputs[0].name}


def reused_layers(lib):
    model = stack(lib)
    clone = lib.models.clone_model(model, clone_function=lambda layer: layer)
    return {"same layers": all(a is b for a, b in zip(clone.layers, model.layers)),
            "layers": names(clone)}


def seeded(lib):
    def clone_function(layer):
        config = layer.get_config()
        config["units"] = 5 if layer.name == "hidden" else config["units"]
        return type(layer).from_config(config)
    clone = lib.models.clone_model(stack(lib), clone_function=clone_function)
    return {"units": [layer.units for layer in clone.layers],
            "output": tuple(clone.outputs[0].shape)}


def dropout_after_dense(lib):
    added = []

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, lib.layers.Dense) and layer.name != "out":
            added.append(lib.layers.Dropout(0.5, name=f"{layer.name}_dropout_{len(added)}"))
            out = added[-1](out)
        return out
    clone = lib.models.clone_model(shared_graph(lib), clone_function=lambda layer: layer,
                                   call_function=call_function)
    return {"layers": names(clone), "kinds": kinds(clone)}


def nested(lib):
    inner = lib.Sequential([lib.Input((3,), name="inner_x"), lib.layers.Dense(2, name="d")],
                           name="inner")
    x = lib.Input((3,), name="x")
    outer = lib.Model(x, inner(x), name="outer")
    plain = lib.models.clone_model(outer)
    recursive = lib.models.clone_model(outer, recursive=True)
    identity = lib.models.clone_model(outer, clone_function=lambda layer: layer)
    return {"plain": (plain.layers[1] is not inner, plain.layers[1].name,
                      type(plain.layers[1]).__name__),
            "recursive": (recursive.layers[1] is not inner, recursive.layers[1].name,
                          names(recursive.layers[1])),
            "identity": identity.layers[1] is inner}


def frozen(lib):
    model = stack(lib)
    model.trainable = False
    clone = lib.models.clone_model(model)
    return {"trainable": clone.trainable,
            "layers trainable": [layer.trainable for layer in clone.layers]}


def unbuilt(lib):
    clone = lib.models.clone_model(lib.Sequential([lib.layers.Dense(2, name="a")], name="u"))
    return {"built": clone.built, "layers": names(clone)}


def a_layer(lib):
    layer = lib.layers.Dense(2, activation="relu", name="lonely")
    clone = lib.models.clone_model(layer)
    return {"kind": type(clone).__name__, "name": clone.name, "new": clone is not layer,
            "units": clone.units}


def errors(lib):
    def error(call):
        with pytest.raises(Exception) as caught:
            call()
        return type(caught.value).__name__
    return {"call_function on Sequential": error(lambda: lib.models.clone_model(
                stack(lib), call_function=lambda layer, *a, **k: layer(*a, **k))),
            "unknown keyword": error(lambda: lib.models.clone_model(stack(lib), cache2={})),
            "clone_function on a layer": error(lambda: lib.models.clone_model(
                lib.layers.Dense(2), clone_function=lambda layer: layer))}


SCENARIOS = [sequential_compiled, functional_shared, given_inputs, reused_layers, seeded,
             dropout_after_dense, nested, frozen, unbuilt, a_layer, errors]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_clone_model_does_what_keras_does(scenario, keras):
    assert scenario(nnlib) == scenario(keras)


def test_the_clone_computes_what_the_model_computes_once_given_its_weights():
    model = shared_graph(nnlib)
    clone = clone_model(model)
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert clone.get_config() == model.get_config()


def test_a_model_with_several_inputs_and_dict_outputs_is_cloned():
    a, b = nnlib.Input((2,), name="a"), nnlib.Input((3,), name="b")
    joined = nnlib.layers.Concatenate(name="join")([a, b])
    model = Model([a, b], {"y": nnlib.layers.Dense(1, name="y")(joined),
                           "z": nnlib.layers.Dense(2, name="z")(joined)}, name="two")
    clone = clone_model(model)
    assert clone.input_names == ["a", "b"] and clone.output_names == ["y", "z"]
    assert names(clone) == names(model) and clone.get_config() == model.get_config()
    given = [nnlib.Input((2,), name="c"), nnlib.Input((3,), name="d")]
    assert clone_model(model, input_tensors=given).input_names == ["c", "d"]
    with pytest.raises(ValueError, match=r"clone_model: input_tensors must be 2 Input "
                                         r"tensor\(s\), in the structure of model.input "
                                         r"\(\['a', 'b'\]\), got"):
        clone_model(model, input_tensors=given[:1])


def test_compile_arguments_that_cannot_be_written_leave_the_clone_uncompiled():
    def plain_metric(y_true, y_pred):
        return np.mean(y_true == y_pred)

    model = stack(nnlib)
    model.compile(optimizer="sgd", loss="mse", metrics=[plain_metric])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clone = clone_model(model)
    assert not clone.compiled
    assert any("clone_model: the clone of 'stack' is not compiled" in str(w.message)
               for w in caught)


@pytest.mark.parametrize("arguments, error, message", [
    ({"model": "stack"}, TypeError, "clone_model: expected a Sequential or functional Model, "
                                    "got 'stack'"),
    ({"clone_function": 3}, TypeError, "clone_model: clone_function must be a function, got 3"),
    ({"call_function": "relu"}, TypeError, "clone_model: call_function must be a function"),
    ({"cache": {}}, ValueError, r"clone_model: unexpected keyword argument\(s\) \['cache'\]"),
    ({"recursive": "yes"}, TypeError, "clone_model: recursive must be True or False, got 'yes'"),
    ({"input_tensors": [1, 2]}, ValueError, "clone_model: a Sequential takes one Input tensor"),
], ids=["not-a-model", "clone_function", "call_function", "keyword", "recursive",
        "input_tensors"])
def test_bad_arguments_are_named(arguments, error, message):
    arguments = {"model": stack(nnlib), **arguments}
    with pytest.raises(error, match=message):
        clone_model(**arguments)


def test_a_sequential_with_a_layer_added_twice_shares_its_copy():
    shared = nnlib.layers.Dense(3, name="twice")
    model = Sequential([nnlib.Input((3,)), shared, shared])
    clone = clone_model(model)
    assert clone.layers[0] is clone.layers[1] and clone.layers[0] is not shared
    assert len(clone.weights) == len(model.weights) == 2

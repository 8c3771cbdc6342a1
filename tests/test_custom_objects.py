"""Custom objects (nnlib.custom_objects): registration, the global dict, scopes, and a
layer written the nnlib way that round-trips through every reader of configs once
registered, without custom_objects=; the names and records compared with Keras's."""
import json
import os

import numpy as np
import pytest

import nnlib
from nnlib import regularizers
from nnlib.custom_objects import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                  get_registered_name, get_registered_object,
                                  register_keras_serializable)
from nnlib.layers import Dense, Input, Layer
from nnlib.layers.deserialization import layer_from_config
from nnlib.models import Model, Sequential, load_model, model_from_json
from nnlib.serialization import (deserialize, deserialize_keras_object, serialize,
                                 serialize_keras_object)


class Scale(Layer):
    """``y = factor * w * x``, ``w`` one weight per feature: a layer the nnlib way."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), initializer="random_normal", name="w")

    def forward(self, x, *, training=False):
        return self.factor * self.w.value * x, x

    def backward(self, d_y, x, *, need_dx=True):
        return self.factor * self.w.value * d_y, {"w": (self.factor * d_y * x).sum(axis=0)}

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Shrink(regularizers.Regularizer):
    """``rate * sum(w^4)``: a regularizer of the user's."""

    def __init__(self, rate=0.01):
        self.rate = rate

    def penalty(self, w):
        return self.rate * float(np.sum(w ** 4))

    def gradient(self, w):
        return 4 * self.rate * w ** 3


@pytest.fixture(autouse=True)
def global_objects():
    """Each test registers into a global dict left as it found it."""
    saved = dict(get_custom_objects())
    yield get_custom_objects()
    get_custom_objects().clear()
    get_custom_objects().update(saved)


def registered():
    register_keras_serializable(package="Tests")(Scale)
    register_keras_serializable(package="Tests")(Shrink)


def scaled_model(functional):
    x = Input((3,), name="x")
    layers = [Scale(3.0, name="scale"), Dense(2, kernel_regularizer=Shrink(0.5), name="out")]
    if not functional:
        return Sequential([x, *layers], name="stack")
    return Model(x, layers[1](layers[0](x)), name="graph")


# -- registration ---------------------------------------------------------------------------

def test_registering_stores_the_class_under_package_and_name():
    assert register_keras_serializable(package="Tests")(Scale) is Scale
    assert get_custom_objects()["Tests>Scale"] is Scale
    assert get_registered_name(Scale) == "Tests>Scale"
    assert get_registered_object("Tests>Scale") is Scale
    register_keras_serializable("Other", name="Scaling")(Scale)
    assert get_registered_object("Other>Scaling") is Scale
    assert get_registered_name(Scale) == "Other>Scaling"  # the last name wins
    assert get_registered_name(Shrink) == "Shrink"  # not registered: its name
    assert register_keras_serializable()(Shrink) is Shrink
    assert get_registered_object("Custom>Shrink") is Shrink  # the default package


def test_the_global_dict_is_live_and_writable():
    get_custom_objects()["Scale"] = Scale
    assert get_registered_object("Scale") is Scale
    assert get_custom_objects() is get_custom_objects()
    get_custom_objects().clear()
    assert get_registered_object("Scale") is None


def test_a_function_may_be_registered_and_is_written_by_its_key():
    def squared(y_true, y_pred):
        return (y_true - y_pred) ** 2

    register_keras_serializable(package="Tests")(squared)
    record = serialize(squared)
    assert record == {"class_name": "function", "config": "squared",
                      "registered_name": "Tests>squared"}
    assert deserialize(json.loads(json.dumps(record))) is squared


def test_registering_a_class_without_get_config_is_refused():
    class Plain:
        pass

    with pytest.raises(ValueError, match="register_keras_serializable: cannot register class "
                                         r"Plain: it has no get_config\(\) method"):
        register_keras_serializable()(Plain)
    assert "Custom>Plain" not in get_custom_objects()


@pytest.mark.parametrize("arguments, message", [
    ({"package": 3}, "package must be a non-empty string, got 3"),
    ({"package": ""}, "package must be a non-empty string, got ''"),
    ({"name": ["x"]}, r"name must be a non-empty string, got \['x'\]"),
], ids=["number-package", "empty-package", "list-name"])
def test_bad_package_or_name_is_refused(arguments, message):
    with pytest.raises(TypeError, match="register_keras_serializable: " + message):
        register_keras_serializable(**arguments)


def test_only_classes_and_functions_can_be_registered():
    with pytest.raises(TypeError, match="register_keras_serializable: expected a class or a "
                                        "function, got 3"):
        register_keras_serializable()(3)


def test_a_taken_name_is_refused_but_a_redefinition_replaces():
    register_keras_serializable(package="Tests", name="Thing")(Scale)

    class Scale2(Scale):
        pass

    with pytest.raises(ValueError, match="the name 'Tests>Thing' is taken by "
                                         "test_custom_objects.Scale; choose another"):
        register_keras_serializable(package="Tests", name="Thing")(Scale2)
    assert get_custom_objects()["Tests>Thing"] is Scale
    first = type("Twin", (Scale,), {"__module__": "notebook"})
    again = type("Twin", (Scale,), {"__module__": "notebook"})  # a cell run twice
    register_keras_serializable(package="Tests")(first)
    register_keras_serializable(package="Tests")(again)
    assert get_custom_objects()["Tests>Twin"] is again


# -- scopes ---------------------------------------------------------------------------------

def test_a_scope_s_objects_are_found_inside_the_block_only():
    assert custom_object_scope is CustomObjectScope
    with custom_object_scope({"Scale": Scale}) as scope:
        assert isinstance(scope, CustomObjectScope)
        assert get_registered_object("Scale") is Scale
        with CustomObjectScope({"Shrink": Shrink}):
            assert get_registered_object("Shrink") is Shrink
            assert get_registered_object("Scale") is Scale  # the outer scope's too
        assert get_registered_object("Shrink") is None
    assert get_registered_object("Scale") is None
    assert "Scale" not in get_custom_objects()


def test_a_scope_ends_with_its_block_even_on_an_error():
    with pytest.raises(KeyError):
        with custom_object_scope({"Scale": Scale}):
            raise KeyError("inside")
    assert get_registered_object("Scale") is None


def test_the_order_is_scope_then_registered_then_custom_objects():
    get_custom_objects()["Thing"] = Scale
    assert get_registered_object("Thing", custom_objects={"Thing": Shrink}) is Scale
    with custom_object_scope({"Thing": Dense}):
        assert get_registered_object("Thing", custom_objects={"Thing": Shrink}) is Dense
    assert get_registered_object("Other", custom_objects={"Other": Shrink}) is Shrink
    assert get_registered_object("Other", module_objects={"Other": Dense}) is Dense


@pytest.mark.parametrize("objects", [["Scale"], {3: Scale}], ids=["list", "number-key"])
def test_a_scope_takes_a_dict_of_names(objects):
    with pytest.raises(TypeError, match=r"custom_object_scope: expected a dict \{name: class "
                                        r"or function\}, got"):
        custom_object_scope(objects)


# -- reading configs ------------------------------------------------------------------------

def test_a_registered_class_is_found_by_its_registered_name_or_its_class_name():
    registered()
    for spec in ({"class_name": "Scale", "config": {"factor": 4.0}},
                 {"class_name": "Scale", "config": {"factor": 4.0},
                  "registered_name": "Tests>Scale"},
                 {"class_name": "Tests>Scale", "config": {"factor": 4.0}}):
        layer = layer_from_config(spec)
        assert type(layer) is Scale and layer.factor == 4.0


def test_a_class_name_registered_by_two_packages_is_ambiguous():
    registered()
    register_keras_serializable(package="Elsewhere")(type("Scale", (Scale,), {}))
    with pytest.raises(ValueError, match=r"the class name 'Scale' is registered by several "
                                         r"packages \(\['Elsewhere>Scale', 'Tests>Scale'\]\)"):
        layer_from_config({"class_name": "Scale", "config": {}})
    layer = layer_from_config({"class_name": "Scale", "config": {},
                               "registered_name": "Tests>Scale"})
    assert type(layer) is Scale


def test_a_registered_name_must_be_a_string():
    with pytest.raises(TypeError, match=r'a layer\'s config must be \{"class_name": a string, '
                                        r'"config": a dict, and optionally "registered_name": '
                                        r"a string\}, got .*'registered_name': 3"):
        layer_from_config({"class_name": "Dense", "config": {"units": 2}, "registered_name": 3})


def test_an_unknown_layer_says_how_to_make_it_known():
    with pytest.raises(ValueError, match=r"unknown layer class 'Scale': not a registered nnlib "
                                         r"layer; decorate the class with "
                                         r"@register_keras_serializable\(\) or pass it as "
                                         r"custom_objects=\{'Scale': Scale\}"):
        layer_from_config({"class_name": "Scale", "config": {}})
    with custom_object_scope({"Scale": Scale}):
        assert type(layer_from_config({"class_name": "Scale", "config": {}})) is Scale


def test_a_registered_component_nested_in_a_layer_is_written_and_read():
    registered()
    layer = Dense(2, kernel_regularizer=Shrink(0.5))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["kernel_regularizer"] == {"class_name": "Shrink", "config": {"rate": 0.5},
                                            "registered_name": "Tests>Shrink"}
    copy = Dense.from_config(config)
    assert isinstance(copy.kernel_regularizer, Shrink) and copy.kernel_regularizer.rate == 0.5


def test_deserialize_finds_custom_objects_given_or_in_scope():
    record = {"class_name": "Shrink", "config": {"rate": 0.5}, "registered_name": None}
    with pytest.raises(ValueError, match="unknown class 'Shrink'"):
        deserialize(record)
    assert deserialize(record, custom_objects={"Shrink": Shrink}).rate == 0.5
    assert deserialize_keras_object(record, custom_objects={"Shrink": Shrink}).rate == 0.5
    with custom_object_scope({"Shrink": Shrink}):
        assert deserialize(record).rate == 0.5
    # Nested in a layer's config: Dense.from_config reads it inside the scope.
    config = {"class_name": "Dense", "config": {"units": 2, "kernel_regularizer": record}}
    assert deserialize_keras_object(config, {"Shrink": Shrink}).kernel_regularizer.rate == 0.5


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_a_registered_layer_round_trips_through_files_and_json(functional, tmp_path):
    """Saved and loaded, and through to_json and model_from_json, with no custom_objects=."""
    registered()
    model = scaled_model(functional)
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.zeros((8, 2))
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "model.nnlib")
    loaded = load_model(tmp_path / "model.nnlib")
    assert type(loaded.get_layer("scale")) is Scale and loaded.get_layer("scale").factor == 3.0
    assert isinstance(loaded.get_layer("out").kernel_regularizer, Shrink)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled
    copy = model_from_json(model.to_json())
    assert type(copy) is type(model) and copy.name == model.name
    assert [type(layer) for layer in copy.layers] == [type(layer) for layer in model.layers]
    assert [layer.name for layer in copy.layers] == [layer.name for layer in model.layers]
    assert copy.get_config() == model.get_config()
    assert not np.array_equal(copy.get_layer("scale").w.value, model.get_layer("scale").w.value)


def test_a_registered_class_named_like_an_nnlib_layer_keeps_its_identity():
    """A functional model's config writes Keras's registered_name beside the class name,
    so a registered ``Dense`` of the user's is not read back as nnlib's."""
    mine = register_keras_serializable(package="Tests")(type("Dense", (Dense,), {}))
    x = Input((3,), name="x")
    model = Model(x, Dense(2, name="nnlib_dense")(mine(2, name="my_dense")(x)))
    entries = {entry["name"]: entry for entry in model.get_config()["layers"]}
    assert entries["my_dense"]["registered_name"] == "Tests>Dense"
    assert "registered_name" not in entries["nnlib_dense"]
    copy = model_from_json(model.to_json())
    assert type(copy.get_layer("my_dense")) is mine
    assert type(copy.get_layer("nnlib_dense")) is Dense


def test_without_registration_files_need_custom_objects(tmp_path):
    model = scaled_model(functional=False)
    model.save(tmp_path / "model.nnlib")
    with pytest.raises(nnlib.saving.ModelFileError, match="unknown layer class 'Scale'"):
        load_model(tmp_path / "model.nnlib")
    with pytest.raises(nnlib.saving.ModelFileError, match="unknown class 'Shrink'"):
        load_model(tmp_path / "model.nnlib", custom_objects={"Scale": Scale})
    objects = {"Scale": Scale, "Shrink": Shrink}
    assert type(load_model(tmp_path / "model.nnlib", custom_objects=objects).layers[0]) is Scale
    with custom_object_scope(objects):
        assert type(load_model(tmp_path / "model.nnlib").layers[0]) is Scale
    assert type(model_from_json(model.to_json(), custom_objects=objects).layers[0]) is Scale


# -- Keras --------------------------------------------------------------------------------

def test_names_and_records_are_keras_s():
    """The key, the registered name and the record of a registered layer, as Keras
    makes them for a layer of the same name (Keras writes more keys: module, build_config,
    and its layers' own arguments in the config)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    saved = dict(keras.saving.get_custom_objects())
    try:
        keras_class = keras.saving.register_keras_serializable(package="Tests")(
            type("Scale", (keras.layers.Layer,), {}))
        registered()
        assert set(get_custom_objects()) - set(saved) >= \
            set(keras.saving.get_custom_objects()) - set(saved)
        assert get_registered_name(Scale) == keras.saving.get_registered_name(keras_class)
        mine, theirs = serialize_keras_object(Scale()), \
            keras.saving.serialize_keras_object(keras_class())
        for key in ("class_name", "registered_name"):
            assert mine[key] == theirs[key]
        with pytest.raises(TypeError):  # Keras: a class name alone is not a registered name
            keras.saving.deserialize_keras_object({"class_name": "Scale", "config": {},
                                                   "module": None})
    finally:
        keras.saving.get_custom_objects().clear()
        keras.saving.get_custom_objects().update(saved)


def test_the_import_paths_keras_code_uses():
    assert nnlib.models.model_from_json is model_from_json
    assert nnlib.custom_objects.register_keras_serializable is register_keras_serializable

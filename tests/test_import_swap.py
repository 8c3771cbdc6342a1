"""Keras code run with ``import nnlib as keras``: snippets adapted from Keras's guides "The
Sequential model", "The Functional API" and "Serialization and saving", each written once as
a function of the module (``snippet(keras)``), run with nnlib and, where cheap, with Keras 3,
and what they print (shapes, names, counts, keys) compared.

The adaptations: arrays from NumPy where the guides call ``keras.ops``; scikit-learn's 8x8
digits where they download MNIST; smaller images and batches; layers written the nnlib way
(``forward``/``backward``) where the guides write ``call`` with ``keras.ops``; no files in
Keras's formats."""
import os
import types
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import nnlib

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    import keras
    return keras


def both(snippet, keras):
    """What ``snippet`` gives with nnlib, checked equal to what it gives with Keras."""
    mine = snippet(nnlib)
    assert mine == snippet(keras)
    return mine


def shape(tensor):
    return tuple(tensor.shape)


def names(model):
    return [layer.name for layer in model.layers]


# -- "The Sequential model" ---------------------------------------------------------------

def sequential_model(keras):
    layers = keras.layers
    model = keras.Sequential([layers.Dense(2, activation="relu", name="layer1"),
                              layers.Dense(3, activation="relu", name="layer2"),
                              layers.Dense(4, name="layer3")])
    y = model(np.ones((3, 3)))
    facts = {"y": shape(y), "layers": names(model)}
    model.pop()
    facts["after pop"] = len(model.layers)
    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    facts["name"] = model.name
    return facts


def input_shape_argument(keras):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.Sequential([keras.layers.Dense(2, activation="relu", input_shape=(4,))])
    return {"layers": len(model.layers), "output": shape(model.outputs[0]),
            "params": model.count_params(),
            "advises an Input": any("input_shape" in str(w.message) for w in caught)}


def weights_come_with_the_input_shape(keras):
    layer = keras.layers.Dense(3)
    before = len(layer.weights)
    layer(np.ones((1, 4)))
    model = keras.Sequential([keras.layers.Dense(2, activation="relu"),
                              keras.layers.Dense(3, activation="relu"), keras.layers.Dense(4)])
    unbuilt = len(model.weights)
    model(np.ones((1, 4)))
    return {"layer": (before, len(layer.weights)), "model": (unbuilt, len(model.weights))}


def input_first(keras):
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(keras.layers.Dense(2, activation="relu"))
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return {"layers": len(model.layers), "params": model.count_params(),
            "summary says": any("Total params: 10" in line for line in lines)}


def convolutional_stack(keras):
    layers = keras.layers
    model = keras.Sequential()
    model.add(keras.Input(shape=(40, 40, 3)))
    model.add(layers.Conv2D(8, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(8, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    facts = {"feature map": shape(model.outputs[0])}
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    facts.update(output=shape(model.outputs[0]), params=model.count_params())
    return facts


def feature_extraction(keras):
    layers = keras.layers
    initial_model = keras.Sequential([
        keras.Input(shape=(20, 20, 3)),
        layers.Conv2D(4, 5, strides=2, activation="relu"),
        layers.Conv2D(4, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(4, 3, activation="relu"),
    ])
    everything = keras.Model(inputs=initial_model.inputs,
                             outputs=[layer.output for layer in initial_model.layers])
    one = keras.Model(inputs=initial_model.inputs,
                      outputs=initial_model.get_layer(name="my_intermediate_layer").output)
    x = np.ones((1, 20, 20, 3))
    return {"all": [shape(f) for f in everything(x)], "one": shape(one(x))}


def freezing(keras):
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    for layer in model.layers[:-1]:
        layer.trainable = False
    return {"trainable": len(model.trainable_weights), "all": len(model.weights)}


# -- "The Functional API" -----------------------------------------------------------------

def first_functional_model(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    img_inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    return {"shapes": (shape(inputs), shape(img_inputs)), "dtype": str(inputs.dtype),
            "name": model.name, "params": model.count_params(), "layers": len(model.layers)}


def digits():
    """The digits as the guide prepares MNIST: flat float32 images scaled to [0, 1]."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype("float32")
    return (x[:1400], y[:1400]), (x[1400:], y[1400:])


def training_on_digits(keras):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    model = keras.Model(inputs=inputs, outputs=layers.Dense(10)(x), name="digits_model")
    (x_train, y_train), (x_test, y_test) = digits()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2,
                        verbose=0)
    test_scores = model.evaluate(x_test, y_test, verbose=0)
    return {"history": sorted(history.history), "epochs": len(history.history["loss"]),
            "scores": len(test_scores), "learned": test_scores[1] > 0.6}


def autoencoder(keras):
    layers = keras.layers
    encoder_input = keras.Input(shape=(28, 28, 1), name="img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    x = layers.Reshape((4, 4, 1))(encoder_output)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
    model = keras.Model(encoder_input, decoder_output, name="autoencoder")
    return {"code": shape(encoder.outputs[0]), "output": shape(model.outputs[0]),
            "params": (encoder.count_params(), model.count_params())}


def ensembling(keras):
    def get_model():
        inputs = keras.Input(shape=(128,))
        return keras.Model(inputs, keras.layers.Dense(1)(inputs))

    model1, model2, model3 = get_model(), get_model(), get_model()
    inputs = keras.Input(shape=(128,))
    outputs = keras.layers.average([model1(inputs), model2(inputs), model3(inputs)])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
    return {"output": shape(ensemble_model.outputs[0]), "layers": len(ensemble_model.layers),
            "params": ensemble_model.count_params()}


def several_inputs_and_outputs(keras):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    num_tags, num_words, num_departments = 12, 100, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.LSTM(8)(layers.Embedding(num_words, 8)(title_input))
    body_features = layers.LSTM(4)(layers.Embedding(num_words, 8)(body_input))
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(inputs=[title_input, body_input, tags_input],
                        outputs={"priority": priority_pred, "department": department_pred})
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    rng = np.random.default_rng(0)
    title_data = rng.integers(num_words, size=(32, 6))
    body_data = rng.integers(num_words, size=(32, 9))
    tags_data = rng.integers(2, size=(32, num_tags)).astype("float32")
    priority_targets = rng.random(size=(32, 1))
    dept_targets = rng.integers(2, size=(32, num_departments)).astype("float32")
    history = model.fit({"title": title_data, "body": body_data, "tags": tags_data},
                        {"priority": priority_targets, "department": dept_targets},
                        epochs=1, batch_size=16, verbose=0)
    return {"history": sorted(history.history), "outputs": sorted(model.output_names),
            "shapes": sorted((k, shape(v)) for k, v in model.output.items())}


def toy_resnet(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(16, 16, 3), name="img")
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(16, 3, activation="relu")(block_2_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    model = keras.Model(inputs, layers.Dense(10)(x), name="toy_resnet")
    return {"params": model.count_params(), "output": shape(model(np.ones((2, 16, 16, 3)))),
            "layers": len(model.layers)}


def shared_embedding(keras):
    shared = keras.layers.Embedding(1000, 16)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    return {"a": shape(shared(text_input_a)), "b": shape(shared(text_input_b)),
            "weights": len(shared.weights)}


# -- "Serialization and saving" -------------------------------------------------------------

def layer_and_model_configs(keras):
    layer = keras.layers.Dense(3, activation="relu")
    new_layer = keras.layers.Dense.from_config(layer.get_config())
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    new_sequential = keras.Sequential.from_config(model.get_config())
    inputs = keras.Input((32,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    new_functional = keras.Model.from_config(functional.get_config())
    return {"layer": (new_layer.units, new_layer.name == layer.name),
            "sequential": (type(new_sequential).__name__, names(new_sequential) == names(model)),
            "functional": names(new_functional) == names(functional)}


def json_round_trip(keras):
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1, name="out")],
                             name="json_model")
    json_config = model.to_json()
    new_model = keras.models.model_from_json(json_config)
    return {"name": new_model.name, "layers": names(new_model),
            "same weights": np.array_equal(new_model.get_weights()[0], model.get_weights()[0]),
            "indented": model.to_json(indent=2).startswith("{\n  ")}


def cloning(keras):
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1, name="out")])
    new_model = keras.models.clone_model(model)
    return {"layers": names(new_model), "new layer": new_model.layers[0] is not model.layers[0]}


def regularizer_record(keras):
    my_reg = keras.regularizers.L1(0.005)
    config = keras.saving.serialize_keras_object(my_reg)
    new_reg = keras.saving.deserialize_keras_object(config)
    return {"type": type(new_reg).__name__, "l1": round(float(new_reg.l1), 6)}


def weight_transfer(keras):
    def create_layer():
        layer = keras.layers.Dense(64, activation="relu", name="dense_2")
        layer(np.ones((1, 784)))
        return layer

    layer_1, layer_2 = create_layer(), create_layer()
    layer_2.set_weights(layer_1.get_weights())

    def create_model(dropout):
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
        if dropout:  # a layer without weights changes nothing
            x = keras.layers.Dropout(0.5)(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    functional_model, with_dropout = create_model(False), create_model(True)
    with_dropout.set_weights(functional_model.get_weights())
    return {"layers": all(np.array_equal(a, b) for a, b in
                          zip(layer_1.get_weights(), layer_2.get_weights())),
            "models": all(np.array_equal(a, b) for a, b in
                          zip(functional_model.get_weights(), with_dropout.get_weights()))}


SNIPPETS = [sequential_model, input_shape_argument, weights_come_with_the_input_shape,
            input_first, convolutional_stack, feature_extraction, freezing,
            first_functional_model, training_on_digits, autoencoder, ensembling,
            several_inputs_and_outputs, toy_resnet, shared_embedding, layer_and_model_configs,
            json_round_trip, cloning, weight_transfer]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.__name__)
def test_the_guides_snippets_give_what_keras_gives(snippet, keras):
    facts = both(snippet, keras)
    assert facts  # each snippet reports what it saw


# The names of keras.saving beside the files' four functions: Keras exports them from
# keras.utils too.
SAVING_NAMES = ("CustomObjectScope", "custom_object_scope", "get_custom_objects",
                "get_registered_name", "get_registered_object", "register_keras_serializable",
                "serialize_keras_object", "deserialize_keras_object")
SAVING = nnlib.saving


NAMESPACES = ["Input", "Model", "Sequential", "layers", "models", "saving", "utils",
              "optimizers", "optimizers.schedules", "callbacks", "initializers", "regularizers",
              "activations", "losses", "metrics", "models.Model", "models.Sequential",
              "models.load_model", "models.save_model", "models.model_from_json",
              "models.clone_model", "utils.set_random_seed", "utils.to_categorical"]


def reach(module, dotted):
    for name in dotted.split("."):
        module = getattr(module, name)
    return module


@pytest.mark.parametrize("name", NAMESPACES)
def test_the_names_keras_code_reaches_first_are_there(name, keras):
    reach(keras, name)  # a name Keras has...
    assert reach(nnlib, name) is not None  # ...and nnlib too


def test_the_keras_saving_names_of_custom_objects_are_all_there(keras):
    keras_names = {name for name in dir(keras.saving) if not name.startswith("_")} - {
        "KerasFileEditor", "load_model", "load_weights", "save_model", "save_weights"}
    assert keras_names == set(SAVING_NAMES)
    assert all(callable(getattr(SAVING, name)) for name in SAVING_NAMES)
    assert all(getattr(nnlib.utils, name) is getattr(SAVING, name) for name in SAVING_NAMES)
    assert {name for name in SAVING_NAMES if hasattr(keras.utils, name)} == set(SAVING_NAMES)
    assert {name for name in dir(keras.models) if not name.startswith("_")} <= \
        set(dir(nnlib.models))


def test_a_regularizer_record_round_trips_and_keras_s_record_is_read(keras):
    lib = types.SimpleNamespace(regularizers=nnlib.regularizers, saving=SAVING)
    assert regularizer_record(lib) == regularizer_record(keras)
    theirs = keras.saving.serialize_keras_object(keras.regularizers.L1(0.005))
    read = SAVING.deserialize_keras_object(theirs)
    assert type(read) is nnlib.regularizers.L1 and read.l1 == pytest.approx(0.005)


def test_custom_objects_as_the_guide_uses_them(tmp_path):
    """The guide's custom layer, written the nnlib way: registered, it comes back from a
    file and from JSON with no custom_objects=; unregistered, through custom_objects= or a
    custom_object_scope."""
    keras = nnlib
    saving = SAVING
    saved = dict(saving.get_custom_objects())
    try:
        @saving.register_keras_serializable(package="MyLayers")
        class CustomLayer(keras.layers.Layer):
            def __init__(self, factor, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def forward(self, x, *, training=False):
                return x * self.factor, None

            def backward(self, d_y, cache, *, need_dx=True):
                return d_y * self.factor, {}

            def get_config(self):
                return {**super().get_config(), "factor": self.factor}

        class CustomDense(keras.layers.Dense):
            pass

        inputs = keras.Input(shape=(4,))
        mid = CustomLayer(0.5)(inputs)
        outputs = CustomDense(1)(mid)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="rmsprop", loss="mean_squared_error")
        assert "MyLayers>CustomLayer" in saving.get_custom_objects()
        model.save(tmp_path / "custom_model.nnlib")
        custom = {"CustomDense": CustomDense}
        reconstructed = keras.models.load_model(tmp_path / "custom_model.nnlib",
                                                custom_objects=custom)
        x = np.random.default_rng(0).random((8, 4))
        np.testing.assert_array_equal(reconstructed.predict(x, verbose=0),
                                      model.predict(x, verbose=0))
        with saving.custom_object_scope(custom):
            reconstructed = keras.models.load_model(tmp_path / "custom_model.nnlib")
        assert [type(layer) for layer in reconstructed.layers][1:] == [CustomLayer, CustomDense]
        new_model = keras.Model.from_config(model.get_config(), custom_objects=custom)
        assert names(new_model) == names(model)
        from_json = keras.models.model_from_json(model.to_json(), custom_objects=custom)
        assert type(from_json.layers[1]) is CustomLayer and from_json.layers[1].factor == 0.5
    finally:
        saving.get_custom_objects().clear()
        saving.get_custom_objects().update(saved)


def test_a_layer_written_with_call_alone_runs_as_in_keras():
    class Linear(nnlib.layers.Layer):  # Keras's guide: no backward pass anywhere
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="random_normal")

        def call(self, inputs):
            return inputs @ self.w

    layer = Linear()
    x = np.ones((2, 3), dtype="float32")
    np.testing.assert_allclose(layer(x), x @ layer.w.value)


def test_a_layer_with_neither_call_nor_forward_is_told_what_to_write():
    class Empty(nnlib.layers.Layer):
        pass

    with pytest.raises(NotImplementedError) as error:
        Empty()(np.ones((2, 3)))
    assert "must define call(inputs)" in str(error.value)
    assert "backward(d_outputs, cache" in str(error.value)


def test_a_layer_built_by_hand_is_not_built_again_when_called(keras):
    def built_by_hand(keras):
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        kernel = np.array(layer.weights[0])
        y = layer(np.ones((2, 4), "float32"))
        return {"weights": len(layer.weights), "output": shape(y),
                "same kernel": bool(np.array_equal(np.array(layer.weights[0]), kernel))}
    assert both(built_by_hand, keras) == {"weights": 2, "output": (2, 3), "same kernel": True}


def test_a_plain_function_as_activation_is_told_what_to_write_instead():
    with pytest.raises(TypeError) as error:
        nnlib.layers.Dense(2, activation=lambda x: 2 * x)
    assert "got the function '<lambda>'" in str(error.value)
    assert "subclass ElementwiseActivation with function(x) and derivative(x, y)" in \
        str(error.value)
    assert isinstance(nnlib.layers.Dense(2, activation=nnlib.activations.relu).activation,
                      nnlib.activations.ReLU)  # nnlib's own functions still resolve


def test_shapes_and_compile_configs_as_keras_gives_them(keras):
    def facts(keras):
        a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
        joined = keras.layers.Concatenate()([a, b])
        model = keras.Model([a, b], [keras.layers.Dense(3)(joined), keras.layers.Dense(1)(joined)])
        single = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
        before = single.get_compile_config()
        single.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        again = keras.models.clone_model(single)
        again.compile_from_config(single.get_compile_config())
        return {"input_shape": [tuple(s) for s in model.input_shape],
                "output_shape": [tuple(s) for s in model.output_shape],
                "single": (tuple(single.input_shape), tuple(single.output_shape)),
                "before compile": before,
                "optimizer": (type(again.optimizer).__name__,
                              round(float(np.array(again.optimizer.learning_rate)), 6))}
    assert both(facts, keras)["optimizer"] == ("SGD", 0.5)


def test_a_loss_written_as_a_function_of_ops_trains_as_in_keras(keras):
    """Keras's guide writes a loss as a function of keras.ops; under the import swap it is
    a function of nnlib.ops, which the gradient tape differentiates."""
    def step(keras):
        def custom_mean_squared_error(y_true, y_pred):
            return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.set_weights([np.arange(6, dtype="float32").reshape(3, 2) / 10,
                           np.array([0.1, -0.2], "float32")])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=custom_mean_squared_error)
        x = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
        y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], "float32")
        loss = float(np.array(model.train_on_batch(x, y)))
        return loss, [np.array(w) for w in model.get_weights()]
    mine, theirs = step(nnlib), step(keras)
    assert mine[0] == pytest.approx(theirs[0], rel=1e-5)
    for ours, keras_weight in zip(mine[1], theirs[1]):
        np.testing.assert_allclose(ours, keras_weight, rtol=1e-5, atol=1e-7)

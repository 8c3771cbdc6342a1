"""The Functional API: graph order, structures of inputs and outputs, nesting,
feature extraction, freezing, and Sequential's shape debugging."""
import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.graph import topological_order
from nnlib.layers import Add, Concatenate, Dense, Embedding, Flatten, Multiply
from nnlib.models import Input, InputLayer, Model, Sequential
from nnlib.optimizers import SGD, Adam
from nnlib.testing import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def diamond():
    """x -> a, x -> b, (a, b) -> Add -> out: a node is read twice and joined."""
    x = Input((3,), name="x")
    a = Dense(4, activation="tanh", name="a")(x)
    b = Dense(4, activation="tanh", name="b")(x)
    return Model(x, Dense(2, name="out")(Add(name="join")([a, b])), name="diamond")


# -- the graph ---------------------------------------------------------------------------

def test_topological_order_puts_every_node_after_the_nodes_it_reads():
    model = diamond()
    order = topological_order(model.outputs)
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        assert all(position[id(parent)] < position[id(node)] for parent in node.parents)
    assert [n.layer.name for n in order] == ["x", "a", "b", "join", "out"]
    assert [n.layer.name for n in model.nodes] == ["a", "b", "join", "out"]


def test_each_node_runs_once_in_the_recorded_order(rng):
    model = diamond()
    calls = []
    for layer in model.layers[1:]:
        original = layer.forward

        def spy(x, *, training=False, original=original, name=layer.name):
            calls.append(name)
            return original(x, training=training)
        layer.forward = spy
    model.predict(rng.normal(size=(2, 3)))
    assert calls == ["a", "b", "join", "out"]


def test_diamond_gradients_match_finite_differences(rng):
    with floatx_scope("float64"):
        report = check_gradients(diamond(), rng.normal(size=(5, 3)))
    assert report.max_relative_error < 1e-6, report


def test_layers_include_inputs_and_names_must_be_unique():
    model = diamond()
    assert [type(layer).__name__ for layer in model.layers] == \
        ["InputLayer", "Dense", "Dense", "Add", "Dense"]
    assert model.get_layer(index=-1).name == "out" and model.get_layer("join").name == "join"
    with pytest.raises(ValueError, match="no layer at index 7"):
        model.get_layer(index=7)
    x = Input((2,))
    with pytest.raises(ValueError, match=r"layer names must be unique, \['twin'\]"):
        Model(x, Dense(1, name="twin")(Dense(2, name="twin")(x)))


def test_inputs_must_be_input_tensors():
    x = Input((2,))
    hidden = Dense(3)(x)
    with pytest.raises(ValueError, match="inputs must be Input tensors, got tensors computed by"):
        Model(hidden, Dense(1)(hidden))
    with pytest.raises(TypeError, match="outputs must be symbolic tensors"):
        Model(x, np.ones(3))


# -- several inputs and outputs ---------------------------------------------------------------

def two_by_two():
    image, extra = Input((6,), name="image"), Input((2,), name="extra")
    h = Dense(5, activation="tanh", name="h")(image)
    joined = Concatenate(name="joined")([h, extra])
    return Model([image, extra], [Dense(3, activation="softmax", name="digit")(joined),
                                  Dense(1, name="size")(joined)], name="two_by_two")


def test_names_and_structures_of_inputs_and_outputs(rng):
    model = two_by_two()
    assert model.input_names == ["image", "extra"] and model.output_names == ["digit", "size"]
    x = [rng.normal(size=(4, 6)), rng.normal(size=(4, 2))]
    by_list = model.predict(x)
    by_name = model.predict({"extra": x[1], "image": x[0]})
    assert [p.shape for p in by_list] == [(4, 3), (4, 1)]
    for a, b in zip(by_list, by_name):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"no data for inputs \['extra'\]"):
        model.predict({"image": x[0]})
    with pytest.raises(ValueError, match=r"expected 2 inputs \['image', 'extra'\], got 3"):
        model.predict(x + x[:1])


def test_dict_outputs_come_back_as_dicts(rng):
    a, b = Input((2,), name="a"), Input((3,), name="b")
    model = Model({"a": a, "b": b}, {"total": Dense(1)(Concatenate()([a, b])),
                                     "from_b": Dense(2)(b)})
    assert model.output_names == ["from_b", "total"]  # sorted, as Keras flattens dicts
    y = model.predict({"a": rng.normal(size=(3, 2)), "b": rng.normal(size=(3, 3))})
    assert {k: v.shape for k, v in y.items()} == {"total": (3, 1), "from_b": (3, 2)}
    assert set(model.output) == {"total", "from_b"} and set(model.input) == {"a", "b"}


def test_two_input_two_output_gradients(rng):
    with floatx_scope("float64"):
        model = two_by_two()
        # The checker takes one output: join the two, which runs both heads' backward.
        joined = Model(model.inputs, Concatenate()(model.outputs))
        x = [rng.normal(size=(4, 6)), rng.normal(size=(4, 2))]
        report = check_gradients(joined, *x)
    assert [row[0] for row in report.rows][:2] == ["input_0", "input_1"]
    assert report.max_relative_error < 1e-6, report
    dy = rng.normal(size=(4, 4))
    d_joined, g_joined = joined.backward(dy, joined.forward(x)[1])
    d_model, g_model = model.backward([dy[:, :3], dy[:, 3:]], model.forward(x)[1])
    for a, b in zip(d_joined, d_model):
        np.testing.assert_allclose(a, b)
    assert g_joined.keys() == g_model.keys()


def test_an_output_without_gradient_is_skipped(rng):
    model = two_by_two()
    y, tape = model.forward([rng.normal(size=(2, 6)), rng.normal(size=(2, 2))])
    (d_image, d_extra), grads = model.backward([np.ones((2, 3)), None], tape)
    assert "size.kernel" not in grads and "digit.kernel" in grads
    assert d_image.shape == (2, 6) and d_extra.shape == (2, 2)


def test_an_unused_input_gets_no_gradient(rng):
    used, unused = Input((2,)), Input((2,))
    model = Model([used, unused], Dense(1)(used))
    (d_used, d_unused), _ = model.backward(np.ones((3, 1)), model.forward(
        [rng.normal(size=(3, 2)), rng.normal(size=(3, 2))])[1])
    assert d_used.shape == (3, 2) and d_unused is None


# -- shared layers --------------------------------------------------------------------------

def test_a_shared_embedding_counts_once_and_sums_its_gradients(rng):
    with floatx_scope("float64"):
        left, right = Input((4,), dtype="int32", name="left"), Input((4,), dtype="int32",
                                                                        name="right")
        table = Embedding(6, 3, name="table")
        model = Model([left, right], Dense(1, name="head")(
            Concatenate()([Flatten()(table(left)), Flatten()(table(right))])))
        ids = [rng.integers(0, 6, size=(5, 4)), rng.integers(0, 6, size=(5, 4))]
        report = check_gradients(model, *ids)
    assert report.max_relative_error < 1e-6, report
    assert model.count_params() == 6 * 3 + 2 * 4 * 3 + 1
    assert len(table.inbound_nodes) == 2 and table.output is table.inbound_nodes[0].outputs[0]
    # The shared table's gradient is the sum of the gradients two untied copies would get.
    with floatx_scope("float64"):
        copies = [Embedding(6, 3, name=f"copy_{side}") for side in ("left", "right")]
        untied = Model([left, right], Dense(1, name="head_copy")(
            Concatenate()([Flatten()(copies[0](left)), Flatten()(copies[1](right))])))
    for copy in copies:
        copy.set_weights(table.get_weights())
    untied.get_layer("head_copy").set_weights(model.get_layer("head").get_weights())
    dy = rng.normal(size=(5, 1))
    _, shared_grads = model.backward(dy, model.forward(ids)[1])
    _, untied_grads = untied.backward(dy, untied.forward(ids)[1])
    np.testing.assert_allclose(shared_grads["table.embeddings"],
                               untied_grads["copy_left.embeddings"]
                               + untied_grads["copy_right.embeddings"])


# -- nesting and feature extraction -------------------------------------------------------------

def test_a_model_called_on_new_inputs_is_one_node(rng):
    encoder_in = Input((4,))
    encoder = Model(encoder_in, Dense(2, activation="tanh", name="code")(encoder_in),
                    name="encoder")
    x = Input((4,))
    classifier = Model(x, Dense(3, name="head")(encoder(x)), name="classifier")
    assert [layer.name for layer in classifier.layers][1:] == ["encoder", "head"]
    assert list(classifier.named_weights())[:2] == ["encoder.code.kernel", "encoder.code.bias"]
    data = rng.normal(size=(5, 4))
    np.testing.assert_allclose(classifier.predict(data),
                               classifier.get_layer("head")(encoder.predict(data)), rtol=1e-6)
    with pytest.raises(ValueError, match=r"input '.*' expects shape \(None, 4\), got \(None, 5\)"):
        encoder(Input((5,)))


def test_a_nested_model_with_two_outputs_passes_gradients_through(rng):
    with floatx_scope("float64"):
        i = Input((3,))
        h = Dense(4, activation="tanh")(i)
        inner = Model(i, [Dense(2)(h), Dense(1, activation="tanh")(h)], name="two_heads")
        x = Input((3,))
        first, second = inner(x)
        both = Model(x, Dense(1)(Concatenate()([first, second])))
        only_first = Model(x, Dense(1)(inner(x)[0]))
        data = rng.normal(size=(4, 3))
        for model in (both, only_first):
            report = check_gradients(model, data)
            assert report.max_relative_error < 1e-6, report


def test_feature_extraction_from_a_layer_output(rng):
    model = Sequential([Input((4,)), Dense(5, activation="relu", name="hidden"),
                        Dense(2, name="scores")])
    features = Model(model.inputs, model.get_layer("hidden").output)
    data = rng.normal(size=(3, 4))
    np.testing.assert_allclose(features.predict(data), model.get_layer("hidden")(data),
                               rtol=1e-6)
    assert features.get_layer("hidden") is model.get_layer("hidden")  # the same weights
    every = Model(model.inputs, [layer.output for layer in model.layers])
    assert [y.shape for y in every.predict(data)] == [(3, 5), (3, 2)]
    assert model.get_layer("hidden").input is model.inputs[0]
    with pytest.raises(AttributeError, match="never been called on a symbolic tensor"):
        Dense(2).output


def test_several_models_share_one_graph(rng):
    x = Input((6,))
    code = Dense(2, activation="tanh", name="code")(x)
    encoder = Model(x, code)
    autoencoder = Model(x, Dense(6, name="decoded")(code))
    autoencoder.compile(SGD(0.1), "mse")
    before = encoder.predict(np.eye(6))
    autoencoder.fit(rng.normal(size=(32, 6)), rng.normal(size=(32, 6)), epochs=2, verbose=0)
    assert not np.allclose(encoder.predict(np.eye(6)), before)  # trained through the autoencoder
    assert encoder.get_layer("code") is autoencoder.get_layer("code")


# -- freezing -------------------------------------------------------------------------------------

def test_frozen_weights_stay_bit_identical_through_fit(rng):
    base = Sequential([Input((4,)), Dense(8, activation="relu", name="base")], name="pretrained")
    x = Input((4,))
    model = Model(x, Dense(3, activation="softmax", name="new_head")(base(x)))
    base.trainable = False
    frozen = base.get_weights()
    head = model.get_layer("new_head").get_weights()
    model.compile(Adam(0.01, weight_decay=0.1), "sparse_categorical_crossentropy")
    model.fit(rng.normal(size=(40, 4)), rng.integers(0, 3, 40), epochs=3, batch_size=8, verbose=0)
    for before, after in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(head[0], model.get_layer("new_head").get_weights()[0])
    assert list(model.named_weights(trainable_only=True)) == ["new_head.kernel", "new_head.bias"]
    non_trainable = {id(w) for w in model.non_trainable_weights}
    assert [path for path, w in model.named_weights().items() if id(w) in non_trainable] == \
        ["pretrained.base.kernel", "pretrained.base.bias"]


def test_a_model_set_untrainable_freezes_every_layer_and_back():
    model = diamond()
    model.trainable = False
    assert all(not layer.trainable for layer in model.layers)
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 6
    model.trainable = True
    assert all(layer.trainable for layer in model.layers) and len(model.trainable_weights) == 6


def test_a_frozen_layer_inside_keeps_its_flag_when_the_model_is_built():
    frozen = Dense(3, name="frozen", trainable=False)
    x = Input((2,))
    model = Model(x, Dense(1)(frozen(x)))
    assert not frozen.trainable and model.trainable
    assert "frozen.kernel" not in model.named_weights(trainable_only=True)


# -- Sequential's shape debugging ---------------------------------------------------------

def test_add_checks_the_new_layer_and_leaves_the_model_unchanged_on_error():
    model = Sequential([Input((8, 8, 1)), Flatten()])
    assert model.outputs[0].shape == (None, 64)
    model.add(Dense(16))
    nodes, layers = list(model.nodes), model.layers
    bad = Multiply()
    with pytest.raises(ValueError, match="Multiply '.*': expected a list of inputs"):
        model.add(bad)
    assert model.nodes == nodes and model.layers == layers
    assert model.outputs[0].shape == (None, 16)


def test_sequential_rejects_two_inputs_and_non_layers():
    with pytest.raises(TypeError, match="expected a layer"):
        Sequential([Input((2,)), "dense"])
    model = Sequential([InputLayer((2,), name="given"), Dense(1)])
    assert model.inputs[0].name == "given" and model.layers[0].units == 1


def test_a_nested_model_takes_a_dict_or_a_list_of_one_tensor(rng):
    a, b = Input((2,), name="a"), Input((3,), name="b")
    inner = Model({"a": a, "b": b}, Concatenate()([a, b]), name="joiner")
    x, y = Input((2,)), Input((3,))
    outer = Model([x, y], Dense(1)(inner({"a": x, "b": y})))
    assert outer.outputs[0].shape == (None, 1)
    single_in = Input((4,))
    single = Model(single_in, Dense(2)(single_in))
    z = Input((4,))
    assert single([z]).shape == (None, 2)
    data = [rng.normal(size=(3, 2)), rng.normal(size=(3, 3))]
    by_name = dict(zip(outer.input_names, data))
    np.testing.assert_array_equal(outer.predict(data), outer.predict(by_name))

"""Saving and loading: configs of every layer, weights files, whole-model files,
and every damaged or mismatched file rejected with the model left as it was."""
import json
import zipfile

import numpy as np
import pytest

import nnlib
from nnlib import registry
from nnlib.activations import LeakyReLU
from nnlib.backend import floatx_scope
from nnlib.initializers import Constant, RandomNormal
from nnlib.layers import Add, Concatenate, Dense, Embedding, Flatten
from nnlib.layers.base import Layer
from nnlib.models import Input, Model, Sequential
from nnlib.optimizers import Adam
from nnlib.optimizers.schedules import ExponentialDecay
from nnlib.saving import ModelFileError, load_model, weight_keys
from nnlib.utils import set_random_seed


def json_round_trip(config):
    return json.loads(json.dumps(config))


# -- configs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", registry.entries("layer"), ids=lambda e: e.name)
def test_every_registered_layer_round_trips_through_its_config(entry):
    with floatx_scope("float64"):
        layer, inputs = entry.cls.gradient_check_sample(np.random.default_rng(0))
    x = inputs[0] if len(inputs) == 1 else list(inputs)
    expected = layer(x)
    config = json_round_trip(layer.get_config())
    copy = type(layer).from_config(config)
    copy(x)  # builds the copy's weights
    copy.set_weights(layer.get_weights())
    np.testing.assert_array_equal(copy(x), expected)
    assert json_round_trip(copy.get_config()) == config
    assert copy.dtype == "float64" and copy.name == layer.name


def test_configs_write_components_by_name_or_record():
    layer = Dense(3, activation=LeakyReLU(0.1), kernel_initializer=RandomNormal(stddev=0.2),
                  name="leaky")
    config = layer.get_config()
    assert config["activation"] == {"kind": "activation", "class_name": "LeakyReLU",
                                    "config": {"negative_slope": 0.1}}
    assert config["kernel_initializer"]["class_name"] == "RandomNormal"
    assert Dense(3, activation="relu").get_config()["activation"] == "relu"
    copy = Dense.from_config(json_round_trip(config))
    assert copy.activation.negative_slope == 0.1 and copy.kernel_initializer.stddev == 0.2


def test_a_layer_that_hides_an_argument_says_so():
    class Scaled(Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.scale = factor

    with pytest.raises(TypeError, match="no attribute 'factor'; store the argument as "
                                        "self.factor or override get_config"):
        Scaled(2.0, name="scaled").get_config()


def functional_model(suffix=""):
    """Two inputs, a shared layer, a skip connection, two outputs and a nested model
    (every layer's name ends in ``suffix``)."""
    set_random_seed(0)
    inner_in = Input((4,))
    inner = Model(inner_in, Dense(4, activation="tanh", name="inner_dense" + suffix)(inner_in),
                  name="inner" + suffix)
    a, b = Input((4,), name="a" + suffix), Input((4,), name="b" + suffix)
    shared = Dense(4, activation="tanh", name="shared" + suffix)
    h = Add(name="skip" + suffix)([shared(a), inner(shared(b))])
    return Model([a, b], [Dense(3, activation="softmax", name="digit" + suffix)(h),
                          Dense(1, name="size" + suffix)(Concatenate()([h, a]))], name="graph")


def test_model_configs_rebuild_the_same_graph():
    model = functional_model()
    copy = Model.from_config(json_round_trip(model.get_config()))
    assert json_round_trip(copy.get_config()) == json_round_trip(model.get_config())
    copy.set_weights(model.get_weights())
    x = [np.random.default_rng(1).normal(size=(5, 4)) for _ in range(2)]
    for a, b in zip(copy.predict(x), model.predict(x)):
        np.testing.assert_array_equal(a, b)
    config = model.get_config()
    shared = next(spec for spec in config["layers"] if spec["name"] == "shared")
    assert shared["inbound_nodes"] == [[["a", 0, 0]], [["b", 0, 0]]]
    assert config["output_layers"] == [["digit", 0, 0], ["size", 0, 0]]


# -- weights files ------------------------------------------------------------------------------

def test_weights_are_keyed_by_class_and_position_not_by_name(tmp_path):
    model = functional_model()
    keys = list(weight_keys(model))
    assert keys[:3] == ["layers/dense/kernel", "layers/dense/bias",
                        "layers/functional/layers/dense/kernel"]
    model.save_weights(tmp_path / "graph.weights.npz")
    rebuilt = functional_model(suffix="_again")  # the same architecture, other names
    assert set(weight_keys(rebuilt)) == set(keys)
    assert not set(rebuilt.named_weights()) & set(model.named_weights())
    rebuilt.set_weights([w + 1 for w in rebuilt.get_weights()])
    rebuilt.load_weights(tmp_path / "graph.weights.npz")
    x = [np.ones((2, 4)), np.zeros((2, 4))]
    for a, b in zip(rebuilt.predict(x), model.predict(x)):
        np.testing.assert_array_equal(a, b)


def test_save_weights_needs_its_suffix_and_a_built_model(tmp_path):
    with pytest.raises(ValueError, match=r"must end in '\.weights\.npz'"):
        functional_model().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="is not built yet"):
        Sequential([Dense(2)]).save_weights(tmp_path / "w.weights.npz")


# -- whole models -----------------------------------------------------------------------------

def trained_sequential():
    set_random_seed(0)
    model = Sequential([Input((6,)), Dense(8, activation="relu"), Dense(3, activation="softmax")],
                       name="digits")
    model.compile(Adam(ExponentialDecay(0.01, 10, 0.9)), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)), rng.integers(0, 3, 40)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x, y


def test_save_and_load_give_bit_identical_predictions(tmp_path):
    model, x, y = trained_sequential()
    model.save(tmp_path / "digits.nnlib")
    loaded = load_model(tmp_path / "digits.nnlib")
    assert type(loaded) is Sequential and loaded.name == "digits"
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    graph = functional_model()
    graph.save(tmp_path / "graph.nnlib")
    again = nnlib.load_model(tmp_path / "graph.nnlib")
    inputs = [x[:, :4], x[:, 2:]]
    for a, b in zip(again.predict(inputs), graph.predict(inputs)):
        np.testing.assert_array_equal(a, b)
    assert not again.compiled


def test_a_loaded_model_resumes_training_exactly(tmp_path):
    model, x, y = trained_sequential()
    model.save(tmp_path / "digits.nnlib")
    loaded = load_model(tmp_path / "digits.nnlib")
    assert loaded.optimizer.iterations == model.optimizer.iterations == 10
    assert loaded.metrics_names == ["loss"]  # metrics are built from the first batch
    set_random_seed(5)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    set_random_seed(5)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.metrics_names == ["loss", "accuracy"]


def test_frozen_layers_stay_frozen_after_loading(tmp_path):
    model, x, _ = trained_sequential()
    model.layers[0].trainable = False
    model.save(tmp_path / "frozen.nnlib")
    loaded = load_model(tmp_path / "frozen.nnlib")
    assert not loaded.layers[0].trainable and loaded.layers[1].trainable


def test_custom_layers_need_custom_objects(tmp_path):
    class Doubling(Layer):
        def forward(self, x, *, training=False):
            return 2 * x, None

        def backward(self, dy, cache, *, need_dx=True):
            return 2 * dy, {}

    x = Input((2,))
    model = Model(x, Dense(1)(Doubling(name="doubling")(x)))
    model.save(tmp_path / "custom.nnlib")
    with pytest.raises(ModelFileError, match="unknown layer class 'Doubling'.*custom_objects"):
        load_model(tmp_path / "custom.nnlib")
    loaded = load_model(tmp_path / "custom.nnlib", custom_objects={"Doubling": Doubling})
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 2))), model.predict(np.ones((1, 2))))


# -- damaged and mismatched files ----------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    model, x, _ = trained_sequential()
    model.save(tmp_path / "digits.nnlib")
    model.save_weights(tmp_path / "digits.weights.npz")
    return model, x, tmp_path


def assert_rejected(model, path, message):
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=message):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def rewrite_npz(source, target, change):
    arrays = dict(np.load(source))
    change(arrays)
    np.savez(target, **arrays)


def test_a_missing_weight_is_named_and_nothing_changes(saved):
    model, _, tmp = saved
    rewrite_npz(tmp / "digits.weights.npz", tmp / "missing.weights.npz",
                lambda a: a.pop("layers/dense_1/bias"))
    assert_rejected(model, tmp / "missing.weights.npz",
                    r"missing weight layers/dense_1/bias \(weight 'bias' of layer 'dense")


def test_a_weight_of_another_shape_is_named(saved):
    model, _, tmp = saved
    rewrite_npz(tmp / "digits.weights.npz", tmp / "shape.weights.npz",
                lambda a: a.update({"layers/dense/kernel": np.zeros((6, 9), "float32")}))
    assert_rejected(model, tmp / "shape.weights.npz",
                    r"weight layers/dense/kernel \(layer '.*'\) has shape \(6, 9\) in the file, "
                    r"\(6, 8\) in the model")


def test_another_architecture_is_rejected(saved, tmp_path):
    model, _, tmp = saved
    other = Sequential([Input((6,)), Dense(8), Dense(8), Dense(3)])
    other.save_weights(tmp_path / "other.weights.npz")
    assert_rejected(model, tmp_path / "other.weights.npz",
                    r"unexpected weight layers/dense_2/kernel: the model has no such weight")
    functional_model().save(tmp_path / "graph.nnlib")
    assert_rejected(model, tmp_path / "graph.nnlib", "does not match model 'digits'")


def test_truncated_and_corrupted_files_are_rejected(saved):
    model, x, tmp = saved
    for name in ("digits.nnlib", "digits.weights.npz"):
        content = (tmp / name).read_bytes()
        (tmp / f"truncated_{name}").write_bytes(content[: len(content) // 2])
        assert_rejected(model, tmp / f"truncated_{name}", "damaged or truncated")
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        load_model(tmp / "truncated_digits.nnlib")
    # A flipped byte inside the compressed weights fails the archive's checksum.
    content = bytearray((tmp / "digits.nnlib").read_bytes())
    with zipfile.ZipFile(tmp / "digits.nnlib") as archive:
        info = archive.getinfo("model.weights.npz")
    content[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF
    (tmp / "flipped.nnlib").write_bytes(bytes(content))
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        load_model(tmp / "flipped.nnlib")
    np.testing.assert_array_equal(model.predict(x), load_model(tmp / "digits.nnlib").predict(x))


def test_files_that_are_not_nnlib_files_are_rejected(saved, tmp_path):
    model, _, _ = saved
    (tmp_path / "text.weights.npz").write_text("just some text")
    assert_rejected(model, tmp_path / "text.weights.npz", "cannot be read as an .npz archive")
    np.savez(tmp_path / "plain.weights.npz", kernel=np.zeros(3))
    assert_rejected(model, tmp_path / "plain.weights.npz", "is not an nnlib weights file")
    np.save(tmp_path / "array.npy", np.zeros(3))
    (tmp_path / "array.weights.npz").write_bytes((tmp_path / "array.npy").read_bytes())
    assert_rejected(model, tmp_path / "array.weights.npz", "not an .npz archive")
    (tmp_path / "text.nnlib").write_text("just some text")
    with pytest.raises(ModelFileError, match="not a readable nnlib model file"):
        load_model(tmp_path / "text.nnlib")
    with zipfile.ZipFile(tmp_path / "other.nnlib", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match=r"lacks \['metadata.json', 'config.json'"):
        load_model(tmp_path / "other.nnlib")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.nnlib")


def test_pickled_arrays_are_never_loaded(saved, tmp_path):
    model, _, tmp = saved
    rewrite_npz(tmp / "digits.weights.npz", tmp_path / "pickled.weights.npz",
                lambda a: a.update({"layers/dense/kernel": np.array([object()], dtype=object)}))
    assert_rejected(model, tmp_path / "pickled.weights.npz", "allow_pickle=False|pickled")


def edit_member(source, target, member, change):
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def test_damaged_configs_and_optimizer_states_are_rejected(saved, tmp_path):
    _, _, tmp = saved
    edit_member(tmp / "digits.nnlib", tmp_path / "json.nnlib", "config.json", lambda c: c[:20])
    with pytest.raises(ModelFileError, match="JSONDecodeError"):
        load_model(tmp_path / "json.nnlib")

    def other_layer(content):
        config = json.loads(content)
        config["config"]["layers"][1]["class_name"] = "Conv9D"
        return json.dumps(config)
    edit_member(tmp / "digits.nnlib", tmp_path / "class.nnlib", "config.json", other_layer)
    with pytest.raises(ModelFileError, match="unknown layer class 'Conv9D'"):
        load_model(tmp_path / "class.nnlib")

    def wider(content):
        config = json.loads(content)
        config["config"]["layers"][1]["config"]["units"] = 9
        return json.dumps(config)
    edit_member(tmp / "digits.nnlib", tmp_path / "wider.nnlib", "config.json", wider)
    with pytest.raises(ModelFileError, match=r"has shape \(6, 8\) in the file, \(6, 9\)"):
        load_model(tmp_path / "wider.nnlib")

    def metadata(content):
        return json.dumps({"format": "something.else"})
    edit_member(tmp / "digits.nnlib", tmp_path / "meta.nnlib", "metadata.json", metadata)
    with pytest.raises(ModelFileError, match="metadata.json says"):
        load_model(tmp_path / "meta.nnlib")

    def slot(content):
        with np.load(__import__("io").BytesIO(content)) as data:
            arrays = dict(data)
        arrays["layers/dense/kernel/m"] = np.zeros((2, 2), "float32")
        buffer = __import__("io").BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()
    edit_member(tmp / "digits.nnlib", tmp_path / "slot.nnlib", "optimizer.npz", slot)
    with pytest.raises(ModelFileError, match=r"optimizer slot layers/dense/kernel/m has shape "
                                             r"\(2, 2\)"):
        load_model(tmp_path / "slot.nnlib")
    assert load_model(tmp_path / "slot.nnlib", compile=False).compiled is False


def test_embedding_and_integer_inputs_survive_saving(tmp_path):
    ids = Input((5,), dtype="int32", name="ids")
    model = Model(ids, Dense(1)(Flatten()(Embedding(10, 2, mask_zero=False)(ids))))
    model.save(tmp_path / "ids.nnlib")
    loaded = load_model(tmp_path / "ids.nnlib")
    assert loaded.inputs[0].dtype == "int32"
    data = np.arange(10).reshape(2, 5)
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))


def test_files_older_nnlib_wrote_with_a_constant_initializer_load(tmp_path):
    """nnlib once saved ``Constant(0.5)`` as ``{"seed": null, "value": 0.5}``, a config
    ``Constant`` (which takes no seed) did not read back: those files now load."""
    set_random_seed(0)
    model = Sequential([Input((4,)), Dense(3, bias_initializer=Constant(0.5))])
    model.save(tmp_path / "new.nnlib")

    def as_older_nnlib_wrote_it(content):
        config = json.loads(content)
        config["config"]["layers"][1]["config"]["bias_initializer"]["config"] = {
            "seed": None, "value": 0.5}
        return json.dumps(config)
    edit_member(tmp_path / "new.nnlib", tmp_path / "old.nnlib", "config.json",
                as_older_nnlib_wrote_it)
    loaded = load_model(tmp_path / "old.nnlib")
    assert loaded.layers[0].bias_initializer.value == 0.5
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 4))), model.predict(np.ones((2, 4))))


def test_a_model_file_is_read_within_its_limits(saved, tmp_path):
    """The weights member is read whole only after its size is checked against the
    model; a larger model's file is refused from the zip's directory."""
    model, _, tmp = saved
    Sequential([Input((6,)), Dense(800), Dense(3)]).save(tmp_path / "larger.nnlib")
    assert_rejected(model, tmp_path / "larger.nnlib",
                    r"model.weights.npz holds \d+ bytes, more than its 4 arrays \(83 numbers\) "
                    r"can take, \d+ bytes: the file is for another, larger model")


def test_keras_s_saving_arguments_are_taken_and_the_unfollowed_ones_refused(tmp_path):
    model = Sequential([Input((3,)), Dense(2)])
    path = tmp_path / "m.nnlib"
    model.save(path, overwrite=True, zipped=True)
    with pytest.raises(FileExistsError, match="exists and overwrite=False"):
        model.save(path, overwrite=False)
    with pytest.raises(ValueError, match="one zip archive; leave zipped out"):
        model.save(tmp_path / "other.nnlib", zipped=False)
    assert not (tmp_path / "other.nnlib").exists()
    weights = tmp_path / "m.weights.npz"
    model.save_weights(weights, overwrite=True)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(weights, overwrite=False)
    with pytest.raises(ValueError, match="in one file; leave max_shard_size out"):
        model.save_weights(tmp_path / "w.weights.npz", max_shard_size=1)
    with pytest.raises(ValueError, match="every weight or none"):
        model.load_weights(weights, skip_mismatch=True)
    model.load_weights(weights, skip_mismatch=False)
    assert load_model(path, safe_mode=True).count_params() == model.count_params()
    with pytest.raises(TypeError, match="safe_mode must be True or False"):
        load_model(path, safe_mode="yes")

"""Damaged and forged Keras files: each is refused with a ``ModelFileError``
naming the problem (an ``ImportError`` without h5py), before any weight of a
model it is loaded into changes.  The files start as ones Keras itself wrote."""
import io
import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from nnlib.interop import from_keras  # noqa: E402
from nnlib.interop.keras_file import H5_FIXED  # noqa: E402
from nnlib.saving import ModelFileError  # noqa: E402


@pytest.fixture
def keras_file(tmp_path):
    """``(path, model)``: a .keras file Keras wrote, and the nnlib model it holds
    with other weights (so that a load that should not happen would show)."""
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
                                    keras.layers.Dense(2, name="out")], name="net")
    path = tmp_path / "model.keras"
    keras_model.save(path)
    model = from_keras(keras_model)
    for weight in model.weights:
        weight.assign(np.full(weight.shape, 7.0))
    return path, model


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def with_config(path, change):
    """The file at ``path`` with its config.json changed by ``change(config)`` (a
    copy beside it, named after the change)."""
    members = members_of(path)
    path = path.with_name(f"{change.__name__}.keras")
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config)
    return write_members(path, members)


def with_h5(path, change):
    """The file at ``path`` with its weights changed by ``change(h5 file)``."""
    members = members_of(path)
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as file:
        change(file)
    members["model.weights.h5"] = buffer.getvalue()
    return write_members(path, members)


def weights_h5_of(path, tmp_path):
    """The weights of the .keras file at ``path`` as a .weights.h5 file."""
    target = tmp_path / "model.weights.h5"
    target.write_bytes(members_of(path)["model.weights.h5"])
    return target


def refused(path, message, model=None):
    """``load_model(path)`` (of a .keras file) raises ``ModelFileError`` matching
    ``message``, and so does ``model.load_weights(path)``, leaving ``model`` as it was."""
    if str(path).endswith(".keras"):
        with pytest.raises(ModelFileError, match=message):
            nnlib.load_model(path)
    if model is not None:
        before = model.get_weights()
        with pytest.raises(ModelFileError, match=message):
            model.load_weights(path)
        for a, b in zip(model.get_weights(), before, strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_untouched_file_loads(keras_file):
    path, model = keras_file
    model.load_weights(path)
    assert not np.array_equal(model.get_weights()[0], np.full((4, 3), 7.0))


def test_a_file_that_is_not_a_zip(keras_file):
    path, model = keras_file
    path.write_bytes(b"not a zip archive at all")
    refused(path, "is not a readable .keras file", model)


def test_a_member_missing_or_added(keras_file):
    path, model = keras_file
    members = members_of(path)
    write_members(path, {**members, "assets/run.py": b"print('hello')"})
    refused(path, r"unexpected members \['assets/run.py'\]", model)
    write_members(path, {k: v for k, v in members.items() if k != "model.weights.h5"})
    refused(path, r"lacks \['model.weights.h5'\]", model)


def test_metadata_of_another_format(keras_file):
    path, model = keras_file
    members = members_of(path)
    write_members(path, {**members, "metadata.json": json.dumps({"keras_version": "2.15.0"})})
    refused(path, "must name a Keras 3 version", model)


def test_a_layer_nnlib_does_not_have(keras_file):
    path, _ = keras_file

    def lambda_layer(config):
        layer = config["config"]["layers"][1]
        layer["class_name"] = "Lambda"
        layer["config"] = {"name": "hidden", "function": {"class_name": "__lambda__",
                                                          "config": {"code": "..."}}}
    refused(with_config(path, lambda_layer), "Lambda 'hidden': Keras's Lambda has no nnlib twin")


def test_a_module_pointing_elsewhere_is_never_imported(keras_file):
    path, _ = keras_file

    def elsewhere(config):
        config["config"]["layers"][1]["module"] = "attacker.payload"
    refused(with_config(path, elsewhere), "comes from module 'attacker.payload', not from Keras")
    assert "attacker" not in sys.modules

    def elsewhere_initializer(config):
        dense = config["config"]["layers"][1]["config"]
        dense["kernel_initializer"]["module"] = "os"
    refused(with_config(path, elsewhere_initializer), "GlorotUniform comes from module 'os'")


def test_a_class_registered_by_another_package(keras_file):
    path, _ = keras_file

    def registered(config):
        config["config"]["layers"][2]["registered_name"] = "my_package>Dense"
    refused(with_config(path, registered), "registered in Keras as 'my_package>Dense'")


def test_a_keras_only_argument_with_an_effect(keras_file):
    path, _ = keras_file

    def constrained(config):
        config["config"]["layers"][1]["config"]["kernel_constraint"] = {
            "module": "keras.constraints", "class_name": "NonNeg", "config": {},
            "registered_name": None}
    refused(with_config(path, constrained),
            r"Dense 'hidden': Keras's 'kernel_constraint' is .*NonNeg.*; nnlib has no "
            r"counterpart and reads only None")

    def unknown_key(config):
        config["config"]["layers"][1]["config"]["units_per_head"] = 4
    refused(with_config(path, unknown_key), "'units_per_head'=4, an argument nnlib's Dense "
                                            "does not take")


def test_a_dataset_with_another_shape(keras_file, tmp_path):
    path, model = keras_file

    def reshaped(file):
        del file["layers/dense/vars/0"]
        file["layers/dense/vars/0"] = np.zeros((5, 3), "float32")
    with_h5(path, reshaped)
    message = r"weight layers/dense/kernel \(layer 'hidden'\) has shape \(5, 3\) in the file"
    refused(path, message, model)
    refused(weights_h5_of(path, tmp_path), message, model)


def test_a_dataset_missing_or_one_too_many(keras_file, tmp_path):
    path, model = keras_file
    with_h5(path, lambda file: file.move("layers/dense_1/vars/1", "layers/dense_1/vars/2"))
    message = r"missing weight layers/dense_1/bias[\s\S]*unexpected weight layers/dense_1/vars/2"
    refused(path, message, model)
    refused(weights_h5_of(path, tmp_path), message, model)


def test_a_dataset_of_text(keras_file):
    path, model = keras_file

    def text(file):
        del file["layers/dense/vars/1"]
        file["layers/dense/vars/1"] = np.array([b"a", b"b", b"c"])
    refused(with_h5(path, text), "has dtype |S1 in the file, expected numbers", model)


def test_links_and_data_outside_the_file(keras_file, tmp_path):
    path, model = keras_file
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.zeros(12, "float32").tobytes())
    original = members_of(path)

    def soft_link(file):
        del file["layers/dense/vars/0"]
        file["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")
    refused(with_h5(path, soft_link), "is a SoftLink", model)

    write_members(path, original)

    def external(file):
        del file["layers/dense/vars/0"]
        file.create_dataset("layers/dense/vars/0", (4, 3), "float32",
                            external=[(str(secret), 0, h5py.h5f.UNLIMITED)])
    refused(with_h5(path, external), "is stored outside the file", model)


def test_an_h5_member_far_larger_than_the_weights(keras_file):
    path, model = keras_file
    with_h5(path, lambda file: file.create_dataset("padding", data=np.zeros(10 * H5_FIXED,
                                                                            "uint8")))
    refused(path, r"model.weights.h5 holds \d+ bytes, more than the weights of model 'net' "
                  r"can take", model)


def test_damaged_h5_bytes(keras_file):
    path, model = keras_file
    members = members_of(path)
    data = bytearray(members["model.weights.h5"])
    data[:8] = b"garbage!"
    write_members(path, {**members, "model.weights.h5": bytes(data)})
    refused(path, "cannot be read as an HDF5 file", model)


def test_optimizer_state_that_does_not_fit(tmp_path):
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    keras_model.compile(optimizer="adam", loss="mse")
    keras_model.train_on_batch(np.ones((2, 4)), np.ones((2, 2)))
    path = tmp_path / "trained.keras"
    keras_model.save(path)

    def reshaped_slot(file):
        del file["optimizer/vars/3"]
        file["optimizer/vars/3"] = np.zeros((4, 5), "float32")
    refused(with_h5(path, reshaped_slot), r"optimizer variable 3 has shape \(4, 5\)")
    assert nnlib.load_model(path, compile=False).built  # the weights alone are fine


def test_without_h5py_the_error_says_what_to_install(keras_file, tmp_path, monkeypatch):
    path, model = keras_file
    monkeypatch.setitem(sys.modules, "h5py", None)
    install = r"need h5py: pip install nnlib-reference\[keras\]"
    with pytest.raises(ImportError, match=install):
        nnlib.load_model(path)
    with pytest.raises(ImportError, match=install):
        model.load_weights(path)
    with pytest.raises(ImportError, match=install):
        model.save(tmp_path / "again.keras")
    with pytest.raises(ImportError, match=install):
        model.save_weights(tmp_path / "again.weights.h5")
    assert not (tmp_path / "again.keras").exists()


def test_a_wrong_suffix_lists_both_formats(keras_file, tmp_path):
    _, model = keras_file
    with pytest.raises(ValueError, match=r"end in '.nnlib' or '.keras'"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"end in '.weights.npz' or '.weights.h5'"):
        model.save_weights(tmp_path / "model.h5")


def test_a_call_nnlib_cannot_make(tmp_path):
    """Dropout kept on at inference (``training=True`` in the call) is refused."""
    x = keras.Input((4,))
    keras_model = keras.Model(x, keras.layers.Dropout(0.5)(x, training=True))
    keras_model.save(tmp_path / "mc.keras")
    refused(tmp_path / "mc.keras", "Keras's call argument 'training' is True; nnlib has no "
                                   "counterpart and reads only False or None")

"""Hostile and malformed model files, built here in ``tmp_path``: every one is refused
with the loader's own ``ModelFileError`` and its reason, the model it was loading
into keeps its weights, and refusing takes memory in proportion to the model the
file really holds, not to what it claims (measured with ``tracemalloc``).

The sections follow the loader's order of checks (see ``nnlib.saving``): the zip's
directory, the JSON members, the config, the weights' headers, the optimizer state;
the last tests fuzz valid files, value by value and byte by byte."""
import io
import json
import re
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from nnlib import saving
from nnlib.initializers import Constant
from nnlib.layers import Add, Concatenate, Conv2D, Dense, Embedding, Flatten
from nnlib.models import Input, Model, Sequential
from nnlib.optimizers import Adam
from nnlib.saving import MAX_JSON_BYTES, MAX_JSON_DEPTH, ModelFileError, load_model
from nnlib.utils import set_random_seed

MiB = 2 ** 20


# -- files to attack -----------------------------------------------------------------------------

def trained_model():
    """A small compiled Sequential after a few Adam steps (every slot non-zero)."""
    set_random_seed(0)
    model = Sequential([Input((6,)), Dense(8, activation="relu"), Dense(3, activation="softmax")],
                       name="digits")
    model.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6)), rng.integers(0, 3, 16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model


def graph_model():
    """Two inputs, a shared layer, a nested model and two outputs, compiled."""
    set_random_seed(0)
    inner_in = Input((4,))
    inner = Model(inner_in, Dense(4, activation="tanh", bias_initializer=Constant(0.5))(inner_in),
                  name="inner")
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = Dense(4, name="shared")
    h = Add()([shared(a), inner(shared(b))])
    model = Model([a, b], [Dense(3, activation="softmax", name="digit")(h),
                           Dense(1, name="size")(Concatenate()([h, a]))], name="graph")
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], []])
    return model


@pytest.fixture
def saved(tmp_path):
    """``(model, path of its .nnlib, path of its .weights.npz)``."""
    model = trained_model()
    model.save(tmp_path / "digits.nnlib")
    model.save_weights(tmp_path / "digits.weights.npz")
    return model, tmp_path / "digits.nnlib", tmp_path / "digits.weights.npz"


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    """A zip of ``members``, a dict or a list of ``(name, bytes)`` (names may repeat)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in (members.items() if isinstance(members, dict) else members):
            archive.writestr(name, content)
    return buffer.getvalue()


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npz_arrays(content):
    with np.load(io.BytesIO(content)) as data:
        return dict(data)


def with_member(path, target, name, content):
    """Write ``target``: the model file ``path`` with member ``name`` replaced (or
    added); ``content`` is bytes or a function of the old bytes."""
    members = members_of(path)
    members[name] = content(members[name]) if callable(content) else content
    target.write_bytes(zip_bytes(members))
    return target


def with_config(path, target, change, member="config.json"):
    """``with_member`` for a JSON member: ``change(data)`` edits it in place or
    returns a replacement."""
    def edit(content):
        data = json.loads(content)
        changed = change(data)
        return json.dumps(data if changed is None else changed)
    return with_member(path, target, member, edit)


def with_arrays(path, target, change, member="model.weights.npz"):
    """``with_member`` for an .npz member (or, for a .weights.npz ``path``, the
    file itself): ``change(arrays)`` edits the dict in place."""
    def edit(content):
        arrays = npz_arrays(content)
        change(arrays)
        return npz_bytes(arrays)
    if str(path).endswith(".weights.npz"):
        target.write_bytes(edit(path.read_bytes()))
        return target
    return with_member(path, target, member, edit)


def central_entry(content, name):
    """Where the central directory of the zip ``content`` describes member ``name``."""
    entry = content.find(b"PK\x01\x02")
    while content[entry + 46: entry + 46 + len(name)] != name.encode():
        entry = content.find(b"PK\x01\x02", entry + 1)
    return entry


def forge_sizes(content, name, file_size=None, compress_size=None):
    """``content``, a zip, with the sizes its central directory gives for member
    ``name`` replaced: a header that lies about what the member holds."""
    content = bytearray(content)
    entry = central_entry(content, name)
    for offset, value in ((20, compress_size), (24, file_size)):
        if value is not None:
            content[entry + offset: entry + offset + 4] = struct.pack("<I", value)
    return bytes(content)


def npy_member(shape, dtype, data=b""):
    """The bytes of an .npy file: a header declaring ``shape`` of ``dtype``, then ``data``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.dtype(dtype).str,
                                                  "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def refused(path, message, model=None, **kwargs):
    """The file at ``path`` is refused with a ``ModelFileError`` matching ``message``:
    by ``load_model`` (a model file) and, given a ``model``, by ``model.load_weights``,
    which leaves the model as it was."""
    if str(path).endswith(".nnlib"):
        with pytest.raises(ModelFileError, match=message):
            load_model(path, **kwargs)
    if model is not None:
        before = model.get_weights()
        with pytest.raises(ModelFileError, match=message):
            model.load_weights(path)
        for a, b in zip(model.get_weights(), before):
            np.testing.assert_array_equal(a, b)


def peak_memory(function):
    """The most memory Python allocated while ``function()`` ran (tracemalloc)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused_within(limit, path, message, **kwargs):
    """``refused(path, message)``, allocating less than ``limit`` bytes meanwhile."""
    peak = peak_memory(lambda: refused(path, message, **kwargs))
    assert peak < limit, f"refusing {path.name} took {peak / MiB:.1f} MiB"


# -- the zip's directory -----------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.1, 0.5, 0.9, 0.99])
def test_a_truncated_file_is_refused_at_any_length(saved, tmp_path, fraction):
    model, path, weights = saved
    for source, name, message in ((path, "cut.nnlib", "not a readable nnlib model file"),
                                  (weights, "cut.weights.npz", "cannot be read")):
        content = source.read_bytes()
        (tmp_path / name).write_bytes(content[:int(len(content) * fraction)])
        refused(tmp_path / name, message, model)


def test_extra_members_are_refused(saved, tmp_path):
    model, path, _ = saved
    target = with_member(path, tmp_path / "extra.nnlib", "notes.txt", b"hello")
    refused(target, r"unexpected members \['notes.txt'\]; a model file holds \['metadata.json'",
            model)


def test_a_member_that_is_a_directory_is_refused(saved, tmp_path):
    model, path, _ = saved
    members = list(members_of(path).items()) + [("weights/", b"")]
    (tmp_path / "dir.nnlib").write_bytes(zip_bytes(members))
    refused(tmp_path / "dir.nnlib", "member 'weights/' is a directory", model)


def test_duplicate_member_names_are_refused(saved, tmp_path):
    model, path, _ = saved
    members = members_of(path)
    doubled = list(members.items()) + [("config.json", b'{"class_name": "Sequential"}')]
    with pytest.warns(UserWarning, match="Duplicate name"):
        (tmp_path / "twice.nnlib").write_bytes(zip_bytes(doubled))
    refused(tmp_path / "twice.nnlib", "member 'config.json' appears twice", model)


@pytest.mark.parametrize("member", saving.MEMBERS)
def test_a_missing_member_is_named(saved, tmp_path, member):
    model, path, _ = saved
    members = members_of(path)
    del members[member]
    (tmp_path / "missing.nnlib").write_bytes(zip_bytes(members))
    refused(tmp_path / "missing.nnlib", rf"it lacks \['{member}'\]", model)


def test_encrypted_and_unusually_compressed_members_are_refused(saved, tmp_path):
    model, path, _ = saved
    content = bytearray(path.read_bytes())
    content[central_entry(content, "config.json") + 8] |= 0x1  # the "encrypted" flag
    (tmp_path / "encrypted.nnlib").write_bytes(bytes(content))
    refused(tmp_path / "encrypted.nnlib", "member 'config.json' is encrypted", model)
    members = members_of(path)
    (tmp_path / "lzma.nnlib").write_bytes(zip_bytes(members, zipfile.ZIP_LZMA))
    refused(tmp_path / "lzma.nnlib", "uses compression method 14; nnlib reads stored or deflated",
            model)


def test_a_zip_of_a_version_zipfile_cannot_read_is_refused(saved, tmp_path):
    model, path, _ = saved
    content = bytearray(path.read_bytes())
    entry = central_entry(content, "config.json")
    content[entry + 6: entry + 8] = struct.pack("<H", 235)  # "version needed": 23.5
    (tmp_path / "version.nnlib").write_bytes(bytes(content))
    refused(tmp_path / "version.nnlib", "not a readable nnlib model file.*NotImplementedError: "
                                        "zip file version 23.5", model)


def test_a_member_claiming_more_than_its_compression_can_give_is_refused(saved, tmp_path):
    model, path, _ = saved
    content = path.read_bytes()
    (tmp_path / "claims.nnlib").write_bytes(forge_sizes(content, "model.weights.npz",
                                                        file_size=2 ** 31))
    refused(tmp_path / "claims.nnlib", "claims 2147483648 bytes from .* more than deflate can "
                                       "give", model)
    (tmp_path / "longer.nnlib").write_bytes(forge_sizes(content, "config.json",
                                                        compress_size=2 ** 30))
    refused(tmp_path / "longer.nnlib", r"claim \d+ compressed bytes; the archive has \d+", model)


# -- bounded reading: what a file claims against what it holds -------------------------------------

def test_a_weights_archive_of_deflated_zeros_is_refused_at_once(saved, tmp_path):
    """The issue's zip bomb: 50 M zeros deflated twice into a few kB took 431 MB to
    reject; the weights member is now refused from its size in the zip's directory."""
    model, path, _ = saved
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{"__format__": np.array("nnlib.weights"),
                                   "layers/dense/kernel": np.zeros(50_000_000, "uint8")})
    target = with_member(path, tmp_path / "bomb.nnlib", "model.weights.npz", buffer.getvalue())
    assert target.stat().st_size < 10_000
    refused_within(MiB, target, r"model.weights.npz holds \d+ bytes, more than its 4 arrays "
                                r"\(83 numbers\) can take")
    # The same archive as a weights file: the member's header is refused before its data.
    (tmp_path / "bomb.weights.npz").write_bytes(buffer.getvalue())
    peak = peak_memory(lambda: refused(tmp_path / "bomb.weights.npz",
                                       r"layers/dense/kernel \(layer '.*'\) has shape "
                                       r"\(50000000,\) in the file, \(6, 8\)", model))
    assert peak < MiB


def test_an_array_padded_beyond_its_header_is_refused_before_it_is_read(saved, tmp_path):
    model, _, weights = saved
    members = members_of(weights)
    members["layers/dense/kernel.npy"] = npy_member((6, 8), "<f4", bytes(50_000_000))
    (tmp_path / "padded.weights.npz").write_bytes(zip_bytes(members))
    peak = peak_memory(lambda: refused(tmp_path / "padded.weights.npz",
                                       r"'layers/dense/kernel.npy' holds 50000\d+ bytes; its "
                                       r"header declares \(6, 8\) of float32", model))
    assert peak < MiB


@pytest.mark.parametrize("make, edits, shape", [
    (lambda: Sequential([Input((6,)), Dense(8), Dense(3)]),
     {0: {"shape": [8000]}, 1: {"units": 8000}}, (8000, 8000)),
    (lambda: Sequential([Input((4, 4, 1)), Conv2D(2, 3), Flatten(), Dense(1)]),
     {0: {"shape": [64, 64, 1]}, 1: {"filters": 65536, "kernel_size": [64, 64]}},
     (64, 64, 1, 65536)),
    (lambda: Sequential([Input((5,), dtype="int32"), Embedding(10, 2), Flatten(), Dense(1)]),
     {1: {"input_dim": 10 ** 9}}, (10 ** 9, 2)),
], ids=["Dense", "Conv2D", "Embedding"])
def test_a_config_declaring_huge_weights_allocates_nothing(tmp_path, make, edits, shape):
    """The issue's 1.9 kB config declaring Dense(8000) on 8000 inputs allocated and
    initialised 788 MB before comparing the weights; now the model is built without
    values, the file's headers are compared with its shapes, and nothing is drawn."""
    make().save(tmp_path / "small.nnlib")

    def grow(config):
        for index, changes in edits.items():
            config["config"]["layers"][index]["config"].update(changes)
    target = with_config(tmp_path / "small.nnlib", tmp_path / "huge.nnlib", grow)
    assert target.stat().st_size < 10_000
    refused_within(2 * MiB, target,
                   rf"has shape \(.*\) in the file, {re.escape(str(shape))} in the model")


def test_an_npy_header_that_lies_about_its_data_is_refused_before_allocation(tmp_path):
    """A header declaring the config's (8000, 8000) kernel in a member of a few
    bytes that claims 256 MB: refused from the zip's sizes, before the array."""
    Sequential([Input((6,)), Dense(8)]).save(tmp_path / "small.nnlib")
    members = members_of(tmp_path / "small.nnlib")
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["shape"] = [8000]
    config["config"]["layers"][1]["config"]["units"] = 8000
    members["config.json"] = json.dumps(config).encode()
    header = npy_member((8000, 8000), "<f4")
    for compression, method in ((zipfile.ZIP_STORED, "storing"), (zipfile.ZIP_DEFLATED, "deflate")):
        inner = zip_bytes([("__format__.npy", npy_member((), "<U13",
                                                         "nnlib.weights".encode("utf-32-le"))),
                           ("layers/dense/kernel.npy", header),
                           ("layers/dense/bias.npy", npy_member((8000,), "<f4",
                                                                bytes(4 * 8000)))],
                          compression)
        members["model.weights.npz"] = forge_sizes(inner, "layers/dense/kernel.npy",
                                                   file_size=len(header) + 4 * 8000 ** 2)
        (tmp_path / "lying.nnlib").write_bytes(zip_bytes(members))
        refused_within(2 * MiB, tmp_path / "lying.nnlib",
                       rf"member 'layers/dense/kernel.npy' claims 256000\d+ bytes from \d+ "
                       rf"compressed, more than {method} can give")


def test_loading_a_real_model_takes_a_small_multiple_of_its_size(tmp_path):
    """The bound the hostile files are held to, on a model that really is large:
    4 MB of weights and 8 MB of Adam slots load in less than three times their size
    (the file's bytes, then the arrays read from them)."""
    model = Sequential([Input((512,)), Dense(1024), Dense(512)])
    model.compile(Adam(), "mse")
    model.train_on_batch(np.ones((2, 512)), np.ones((2, 512)))
    model.save(tmp_path / "large.nnlib")
    weights = sum(w.nbytes for w in model.get_weights())
    for compile, size in ((False, weights), (True, 3 * weights)):  # Adam: m and v
        peak = peak_memory(lambda: load_model(tmp_path / "large.nnlib", compile=compile))
        assert peak < 3 * size, f"compile={compile}: {peak / size:.1f} times the model's size"


def test_json_members_are_bounded_in_size_and_depth(saved, tmp_path):
    model, path, _ = saved
    spaces = with_member(path, tmp_path / "spaces.nnlib", "config.json",
                         b" " * (100 * MiB) + b"{}")
    assert spaces.stat().st_size < MiB
    refused_within(MiB, spaces, rf"config.json holds {100 * MiB + 2} bytes; nnlib reads at "
                                rf"most {MAX_JSON_BYTES}")
    depth = 100_000  # RecursionError from json.loads before
    nested = with_member(path, tmp_path / "nested.nnlib", "config.json",
                         b"[" * depth + b"]" * depth)
    refused(nested, f"config.json nests {depth} levels deep; nnlib reads at most "
                    f"{MAX_JSON_DEPTH}")
    quoted = with_member(path, tmp_path / "quoted.nnlib", "metadata.json",
                         json.dumps({"format": "nnlib.model", "format_version": 1,
                                     "note": "[" * depth}).encode())
    assert isinstance(load_model(quoted), Sequential)  # brackets inside strings do not count


def test_json_depth_is_linear_on_hostile_strings():
    """Escaped quotes that never close a string: one pass, not one per quote."""
    text = '"' + '\\"' * 1_000_000
    start = time.perf_counter()
    assert saving.json_depth(text) == 0
    assert time.perf_counter() - start < 1.0
    assert saving.json_depth('[{"a": "]]"}, [[]]]') == 3


# -- metadata and config ------------------------------------------------------------------------

@pytest.mark.parametrize("metadata, message", [
    ("[1, 2]", r"metadata.json says \[1, 2\]"),
    ('{"format": "keras"}', "metadata.json says {'format': 'keras'}"),
    ('{"format": "nnlib.model", "format_version": "1"}', "format_version must be a whole "
                                                        "number >= 1, got '1'"),
    ('{"format": "nnlib.model", "format_version": 1.5}', "format_version must be a whole"),
    ('{"format": "nnlib.model", "format_version": true}', "format_version must be a whole"),
    ('{"format": "nnlib.model", "format_version": 0}', "format_version must be a whole"),
    ('{"format": "nnlib.model"}', "format_version must be a whole number >= 1, got None"),
    ('{"format": "nnlib.model", "format_version": 2}', "has format version 2; this nnlib "
                                                      "reads up to 1"),
    (b"\xff\xfe", "metadata.json cannot be read.*UnicodeDecodeError"),
    ("{'format': 1}", "metadata.json cannot be read.*JSONDecodeError"),
], ids=["list", "format", "string-version", "float-version", "bool-version", "zero-version",
        "no-version", "future-version", "not-utf8", "not-json"])
def test_bad_metadata_is_refused(saved, tmp_path, metadata, message):
    model, path, _ = saved
    content = metadata if isinstance(metadata, bytes) else metadata.encode()
    refused(with_member(path, tmp_path / "meta.nnlib", "metadata.json", content), message,
            model)


def set_path(data, path, value):
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@pytest.mark.parametrize("path, value, message", [
    ((), [1, 2], "config.json must hold an object with 'class_name'"),
    (("class_name",), 7, r"a layer's config must be {\"class_name\": a string.*got {'class_name"
                         r"': 7"),
    ((), {"class_name": "InputLayer", "config": {"shape": [6], "name": "x"}},
     "config.json describes InputLayer 'x', not a model"),
    (("class_name",), "Dense", "config.json does not describe a model.*TypeError"),
    (("class_name",), "Conv9D", "unknown layer class 'Conv9D'"),
    (("config",), [], r"a layer's config must be"),
    (("config", "layers"), 5, "does not describe a model nnlib can build: TypeError"),
    (("config", "layers", 1), "dense", r"a layer's config must be .* got 'dense'"),
    (("config", "layers", 1, "class_name"), 3.5, r"a layer's config must be"),
    (("config", "layers", 2, "class_name"), "InputLayer", "does not describe a model"),
    (("config", "layers", 1, "config", "units"), "eight", "does not describe a model"),
    (("config", "layers", 1, "config", "units"), 9, r"has shape \(6, 8\) in the file, \(6, 9\)"),
], ids=["list", "number-class", "InputLayer-model", "layer-model", "unknown-class",
        "list-config", "number-layers", "string-layer", "number-layer-class",
        "InputLayer-inside", "string-units", "other-units"])
def test_bad_configs_are_refused(saved, tmp_path, path, value, message):
    model, source, _ = saved

    def change(config):
        if not path:
            return value
        set_path(config, path, value)
    refused(with_config(source, tmp_path / "config.nnlib", change), message)


def graph_config_change(change):
    """A test of the functional graph's config: refused, naming what is wrong."""
    def run(tmp_path, message):
        graph_model().save(tmp_path / "graph.nnlib")
        refused(with_config(tmp_path / "graph.nnlib", tmp_path / "bad.nnlib",
                            lambda config: change(config["config"])), message)
    return run


def layer_spec(config, name):
    return next(spec for spec in config["layers"] if spec["name"] == name)


def test_a_cycle_between_layers_is_refused(tmp_path):
    def cycle(config):  # 'shared' reads the output of 'digit', which reads 'shared'
        layer_spec(config, "shared")["inbound_nodes"][0] = [["digit", 0, 0]]
    graph_config_change(cycle)(tmp_path, "read tensors that no layer produces")


def test_calls_of_unknown_tensors_are_refused(tmp_path):
    def unknown(config):
        layer_spec(config, "shared")["inbound_nodes"][1] = [["nowhere", 0, 0]]
    graph_config_change(unknown)(tmp_path, "read tensors that no layer produces")

    def unknown_output(config):
        config["output_layers"][1] = ["nowhere", 0, 0]
    graph_config_change(unknown_output)(tmp_path, r"refers to tensor \(.nowhere., 0, 0\), "
                                                  r"which no layer produces")

    def bad_reference(config):
        layer_spec(config, "shared")["inbound_nodes"][0] = [[["a"], 0, 0]]
    graph_config_change(bad_reference)(tmp_path, r"expected tensor references \[layer_name, "
                                                 r"node_index, tensor_index\]")


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(loss="mean_squared_eror"), "cannot compile the model.*unknown loss "
                                                   "'mean_squared_eror'"),
    (lambda c: c.update(loss=5), "cannot compile the model"),
    (lambda c: c.update(optimizer=[1]), "cannot compile the model"),
    (lambda c: c.update(optimizer={"kind": "optimizer", "class_name": "Adam",
                                   "config": {"beta_1": "high"}}), "cannot compile the model"),
    (lambda c: c.update(optimizer={"kind": "loss", "class_name": 3, "config": {}}),
     "cannot compile the model"),
    (lambda c: c.update(metrics="accuracy!"), "cannot compile the model"),
    (lambda c: c.update(unknown_argument=1), "cannot compile the model.*unknown_argument"),
    (lambda c: "adam", "cannot compile the model.*TypeError"),
], ids=["unknown-loss", "number-loss", "list-optimizer", "string-beta", "number-class",
        "string-metrics", "extra-argument", "string"])
def test_bad_compile_configs_are_refused(saved, tmp_path, change, message):
    _, path, _ = saved

    def edit(config):
        changed = change(config["compile_config"])
        if changed is not None:
            config["compile_config"] = changed
    target = with_config(path, tmp_path / "compile.nnlib", edit)
    refused(target, message)
    assert not load_model(target, compile=False).compiled  # the model itself is fine


# -- weights and optimizer state ------------------------------------------------------------------

KERNEL = "layers/dense/kernel"


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update({KERNEL: np.array([object()] * 48, dtype=object).reshape(6, 8)}),
     "holds Python objects, which only unpickling can read"),
    (lambda a: a.update({KERNEL: np.zeros((6, 8), "complex64")}),
     "weight layers/dense/kernel has dtype complex64 in the file, expected numbers"),
    (lambda a: a.update({KERNEL: np.zeros((6, 8), "U3")}),
     "weight layers/dense/kernel has dtype <U3 in the file, expected numbers"),
    (lambda a: a.update({KERNEL: np.zeros((6, 8), np.longdouble)}), "expected numbers"),
    (lambda a: a.update({KERNEL: np.zeros((6, 9), "float32")}),
     r"has shape \(6, 9\) in the file, \(6, 8\) in the model"),
    (lambda a: a.pop("__format__"), "is not an nnlib weights file"),
    (lambda a: a.update(__format__=np.array("nnlib.weights" * 10)), "not an nnlib weights"),
    (lambda a: a.update(__format__=np.zeros(3)), "is not an nnlib weights file"),
    (lambda a: [a.update({f"layers/extra_{i}/kernel": np.zeros(1)}) for i in range(12)],
     r"unexpected weight layers/extra_0/kernel(.|\n)*\.\.\. and 2 more"),
], ids=["object", "complex", "text", "longdouble", "wrong-shape", "no-format", "long-format",
        "array-format", "many-extra"])
def test_bad_weight_arrays_are_refused_before_any_is_read(saved, tmp_path, change, message):
    model, path, weights = saved
    refused(with_arrays(path, tmp_path / "weights.nnlib", change), message, model)
    refused(with_arrays(weights, tmp_path / "weights.weights.npz", change), message, model)


@pytest.mark.parametrize("member, message", [
    (("notes.txt", b"hello"), "member 'notes.txt' is not an array"),
    ((f"{KERNEL}.npy", b"\x93NUMPY\x03\x00" + b"\x00" * 100), r"version \(3, 0\); nnlib reads"),
    ((f"{KERNEL}.npy", b"PK\x03\x04 not an array"), "the header of 'layers/dense/kernel.npy' "
                                                    "cannot be read"),
    ((f"{KERNEL}.npy", npy_member((6, 8), "<f4", bytes(10))),
     r"holds \d+ bytes; its header declares \(6, 8\) of float32"),
    ((f"{KERNEL}.npy", npy_member((-6, -8), "<f4", bytes(4 * 48))), r"declares \(-6, -8\)"),
], ids=["not-npy", "npy-version-3", "not-magic", "truncated-data", "negative-shape"])
def test_bad_npz_members_are_refused(saved, tmp_path, member, message):
    model, path, weights = saved
    members = members_of(weights)
    members[member[0]] = member[1]
    content = zip_bytes(members)
    (tmp_path / "bad.weights.npz").write_bytes(content)
    refused(tmp_path / "bad.weights.npz", message, model)
    refused(with_member(path, tmp_path / "bad.nnlib", "model.weights.npz", content), message,
            model)


def test_an_npy_header_too_long_to_be_safe_is_refused(saved, tmp_path):
    model, _, weights = saved
    members = members_of(weights)
    members[f"{KERNEL}.npy"] = b"\x93NUMPY\x02\x00" + struct.pack("<I", 10 ** 6) + b" " * 10 ** 6
    (tmp_path / "header.weights.npz").write_bytes(zip_bytes(members))
    refused(tmp_path / "header.weights.npz", "the header of 'layers/dense/kernel.npy' cannot "
                                             "be read.*Header info length", model)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update(iterations=np.array(-5)), "iterations must be a whole number >= 0, "
                                                  "got -5"),
    (lambda a: a.update(iterations=np.array(2.5)), "iterations must be a whole number >= 0, "
                                                   "got 2.5"),
    (lambda a: a.update(iterations=np.array(np.nan)), "iterations must be a whole number"),
    (lambda a: a.update(iterations=np.array(True)), r"iterations is an array \(\) of bool"),
    (lambda a: a.update(iterations=np.array("2")), "iterations is an array"),
    (lambda a: a.update(iterations=np.arange(100)), r"iterations is an array \(100,\)"),
    (lambda a: a.pop("iterations"), "the optimizer state has no 'iterations'"),
    (lambda a: a.update({"layers/dense_7/kernel/m": np.zeros(3)}),
     "optimizer state for layers/dense_7/kernel, a weight the model does not have"),
    (lambda a: a.update({f"{KERNEL}/velocity": np.zeros((6, 8))}),
     r"optimizer slot layers/dense/kernel/velocity has shape \(6, 8\) \(float64\); Adam "
     r"expects slots"),
    (lambda a: a.update({f"{KERNEL}/m": np.zeros((6, 8), "complex64")}),
     "optimizer slot layers/dense/kernel/m has shape"),
    (lambda a: a.pop(f"{KERNEL}/v"), r"weight layers/dense/kernel has optimizer slots \['m'\]; "
                                     r"Adam keeps \['m', 'v'\]"),
], ids=["negative", "fraction", "nan", "bool", "text", "array", "missing", "unknown-weight",
        "unknown-slot", "complex-slot", "missing-slot"])
def test_bad_optimizer_states_are_refused(saved, tmp_path, change, message):
    model, path, _ = saved
    target = with_arrays(path, tmp_path / "state.nnlib", change, member="optimizer.npz")
    refused(target, message)
    loaded = load_model(target, compile=False)  # the weights alone are fine
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_an_optimizer_state_out_of_proportion_is_refused(saved, tmp_path):
    _, path, _ = saved
    target = with_arrays(path, tmp_path / "big.nnlib",
                         lambda a: a.update(padding=np.random.default_rng(0).normal(size=10 ** 5)),
                         member="optimizer.npz")
    refused_within(2 * MiB, target, r"optimizer.npz holds \d+ bytes, more than its 9 arrays")


# -- fuzzing valid files ------------------------------------------------------------------------

def positions(data, path=()):
    """The path of every value inside ``data`` (JSON), containers included."""
    items = data.items() if isinstance(data, dict) else \
        enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield path + (key,), value
        yield from positions(value, path + (key,))


def other_types(value):
    """Three values of other JSON types than ``value``'s: a scalar, ``None`` and a
    container.  (A wider run, every type and 0, -1, 1e12, 1e308 at every place,
    found no other exception either.)"""
    scalar = 7 if isinstance(value, str) else "x"
    container = {} if isinstance(value, list) else []
    return [v for v in (scalar, None, container) if v is not value]


@pytest.mark.parametrize("make", [trained_model, graph_model],
                         ids=["sequential", "functional"])
def test_every_config_value_of_another_type_gives_a_model_file_error(tmp_path, make):
    """Replace each value of config.json in turn by a value of each other JSON type:
    the file loads, or ``ModelFileError`` says why; no other exception escapes."""
    make().save(tmp_path / "model.nnlib")
    members = members_of(tmp_path / "model.nnlib")
    original = members["config.json"]
    refusals = loads = 0
    for path, value in list(positions(json.loads(original))):
        for replacement in other_types(value):
            edited = json.loads(original)
            set_path(edited, path, replacement)
            members["config.json"] = json.dumps(edited).encode()
            (tmp_path / "fuzz.nnlib").write_bytes(zip_bytes(members))
            try:
                load_model(tmp_path / "fuzz.nnlib")
                loads += 1
            except ModelFileError:
                refusals += 1
    assert refusals > 100 and loads > 0


@pytest.mark.parametrize("make", [trained_model, graph_model],
                         ids=["sequential", "functional"])
def test_flipped_bytes_give_a_model_file_error(tmp_path, make):
    """Every 7th byte of a model file and of a weights file in turn XORed with 0xFF:
    the file loads (the byte was one nothing reads, as a timestamp, or an array's
    data) or is refused; nothing else escapes.  (Run on every byte with three
    masks, this found the NotImplementedError of
    test_a_zip_of_a_version_zipfile_cannot_read_is_refused.)"""
    model = make()
    model.save(tmp_path / "model.nnlib")
    model.save_weights(tmp_path / "model.weights.npz")
    outcomes = set()
    for name in ("model.nnlib", "model.weights.npz"):
        content = (tmp_path / name).read_bytes()
        for position in range(0, len(content), 7):
            damaged = bytearray(content)
            damaged[position] ^= 0xFF
            (tmp_path / f"flipped.{name}").write_bytes(bytes(damaged))
            try:
                if name.endswith(".nnlib"):
                    load_model(tmp_path / f"flipped.{name}")
                else:
                    model.load_weights(tmp_path / f"flipped.{name}")
                outcomes.add("loaded")
            except ModelFileError:
                outcomes.add("refused")
    assert outcomes == {"loaded", "refused"}

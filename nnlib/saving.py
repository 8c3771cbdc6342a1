"""Saving and loading models: weights as ``.npz``, whole models as one zip file.

``model.save_weights("m.weights.npz")`` and ``model.load_weights(...)`` write
and read every weight as a NumPy array, keyed by where it sits in the model:
``layers/dense_1/kernel`` is the kernel of the second ``Dense`` layer.  As in
Keras, the key comes from the layer's class and position, not from its name,
which changes between two builds of one architecture (``dense_3`` the second
time); a nested model adds its own level, ``layers/functional/layers/dense/kernel``.

``model.save("m.nnlib")`` and ``load_model("m.nnlib")`` keep everything in one
zip archive, like Keras's ``.keras`` files:

* ``metadata.json``: what the file is (``{"format": "nnlib.model", ...}``);
* ``config.json``: the architecture (``model.get_config()``) and the
  arguments of ``compile``;
* ``model.weights.npz``: the weights, as ``save_weights`` writes them;
* ``optimizer.npz``: the optimizer's state (``iterations`` and its slots
  per weight, e.g. Adam's ``m`` and ``v``), so training resumes where it stopped.

Files are written to a temporary name first and renamed, so an interrupted
save never leaves half a file.

Loading treats the file as untrusted.  It runs no code from it: classes are
found only in the registry (or ``custom_objects``) and arrays are read
without pickle.  It checks everything before it changes anything: a file
that is not an nnlib file, is damaged, lacks a weight, has a weight of
another shape or describes another architecture raises ``ModelFileError``
naming the problem, and the model keeps its weights.  And it is bounded: a
file can make the loader do no more work, nor take more memory, than the
model the file really holds needs.  Before any array is read or any weight
allocated:

1. the zip's directory is checked: no member twice, no directory, no
   encryption, only stored or deflated members, none claiming to expand
   beyond what its compression can give (deflate: 1032 to 1), and no more
   compressed bytes than the file has; a model file holds exactly the members
   above;
2. ``metadata.json`` and ``config.json`` are read only if they are at most
   ``MAX_JSON_BYTES`` long, and parsed only if they nest at most
   ``MAX_JSON_DEPTH`` deep (``json_depth`` measures it on the text);
3. the model is built from the config under ``deferred_initialization``:
   its weights have shapes and dtypes but no values;
4. ``model.weights.npz`` is read only if it is no larger than the weights
   can take (``MAX_ITEMSIZE`` bytes a number, plus ``ARRAY_OVERHEAD`` for the
   headers of each array), and ``optimizer.npz`` only if it is no larger than
   the slots the optimizer keeps for those weights;
5. the ``.npy`` header at the start of each member (its first bytes) must
   declare the shape of the weight of that key and a numeric dtype, and the
   member must be exactly the header plus the data it declares;
6. only then is each array read, into an array of the size just checked.
"""
import contextlib
import io
import json
import math
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from typing import NamedTuple

import numpy as np

from . import registry
from .checks import whole_number
from .layers.base import deferred_initialization
from .layers.deserialization import layer_from_config
from .serialization import deserialize, serialize
from .version import __version__

FORMAT = "nnlib.model"
FORMAT_VERSION = 1
WEIGHTS_FORMAT = "nnlib.weights"
FORMAT_KEY = "__format__"
# The file names save and save_weights take: nnlib's own formats, and Keras 3's
# (written and read by nnlib.interop, which needs h5py: pip install nnlib-reference[keras]).
MODEL_SUFFIXES = (".nnlib", ".keras")
WEIGHTS_SUFFIXES = (".weights.npz", ".weights.h5")
MEMBERS = ("metadata.json", "config.json", "model.weights.npz")
OPTIONAL_MEMBERS = ("optimizer.npz",)

MAX_JSON_BYTES = 4 * 2 ** 20  # a layer's config takes a few hundred bytes
MAX_JSON_DEPTH = 100  # a nested model adds about five levels
MAX_DEFLATE_RATIO = 1032  # the most that deflate expands: 258 bytes from 2 bits
MAX_ITEMSIZE = 8  # the widest number a weights file may hold (float64, int64)
ARRAY_OVERHEAD = 1024  # the bytes an array takes in an .npz beyond its data and twice
#                        its key: its .npy header and the zip's two headers
MAX_LISTED = 10  # the problems a message lists

# What reading damaged data raises (zipfile: NotImplementedError for a zip version it
# cannot read; numpy: ValueError for a damaged .npy header).
READ_ERRORS = (ValueError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError,
               OSError, NotImplementedError)


class ModelFileError(ValueError):
    """A file that cannot be loaded into the model: what it is, and what is wrong."""


def weight_keys(model):
    """``{key: Weight}`` for every weight of ``model``, keyed by class and position:
    the groups of the weight tree (``Layer.weight_entries``), as Keras's files."""
    _require_built(model)
    return {key: weight for _, key, weight, _ in model.weight_entries()}


def _file_keys_by_path(model):
    """``{weight path in named_weights(): file key}``, from the same walk."""
    _require_built(model)
    return {path: key for path, key, _, _ in model.weight_entries()}


def _require_built(model):
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: it has no weights to save "
                         f"or load; call it on data (or build it) first")


def _check_suffix(filepath, suffix, what):
    filepath = os.fspath(filepath)
    if not filepath.endswith(suffix):
        raise ValueError(f"{what}: the file name must end in {suffix!r}, got {filepath!r}")
    return filepath


def _write_atomically(filepath, write):
    """``write(file)`` into a temporary file beside ``filepath``, then rename it."""
    directory = os.path.dirname(os.path.abspath(filepath))
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, filepath)
    except BaseException:
        os.unlink(temporary)
        raise


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _exists(filepath):
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"no such file: {filepath!r}")


def _short(value, limit=200):
    """``repr(value)``, cut to ``limit`` characters: file content quoted in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _listing(problems):
    """The problems, one a line, at most ``MAX_LISTED`` of them."""
    more = len(problems) - MAX_LISTED
    return "\n  ".join(problems[:MAX_LISTED] + ([f"... and {more} more"] if more > 0 else []))


@contextlib.contextmanager
def _refused(message, errors=READ_ERRORS):
    """Turn ``errors`` raised inside the block into ``ModelFileError(message: error)``."""
    try:
        yield
    except ModelFileError:
        raise
    except errors as error:
        raise ModelFileError(f"{message}: {type(error).__name__}: {error}") from error


# -- reading within bounds ---------------------------------------------------------------------

@contextlib.contextmanager
def _zip(source, label, failure):
    """``(archive, {name: ZipInfo})`` of the zip at path or in bytes ``source``,
    its directory checked (``_members``); ``failure`` says what a damaged one is."""
    size = len(source) if isinstance(source, bytes) else os.path.getsize(source)
    with _refused(failure):
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    with archive:
        yield archive, _members(archive, size, label)


def _members(archive, size, label):
    """``{name: ZipInfo}``, each member one that reading cannot blow up: listed
    once, a file, not encrypted, stored or deflated, claiming no more bytes than
    its compressed ones can give; together no more compressed bytes than the
    ``size`` of the archive."""
    members = {}
    for info in archive.infolist():
        stored = info.compress_type == zipfile.ZIP_STORED
        if info.filename in members:
            problem = "appears twice"
        elif info.is_dir():
            problem = "is a directory"
        elif info.flag_bits & 0x1:
            problem = "is encrypted"
        elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problem = (f"uses compression method {info.compress_type}; nnlib reads stored or "
                       f"deflated members")
        elif info.file_size > info.compress_size * (1 if stored else MAX_DEFLATE_RATIO):
            problem = (f"claims {info.file_size} bytes from {info.compress_size} compressed, "
                       f"more than {'storing' if stored else 'deflate'} can give (forged?)")
        else:
            members[info.filename] = info
            continue
        raise ModelFileError(f"{label}: member {info.filename!r} {problem}")
    compressed = sum(info.compress_size for info in members.values())
    if compressed > size:
        raise ModelFileError(f"{label}: its members claim {compressed} compressed bytes; the "
                             f"archive has {size} (truncated or forged)")
    return members


# A string (to its closing quote, or the end), or a run of anything but brackets and quotes.
_NOT_A_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^\[\]{}"]+', re.DOTALL)


def json_depth(text):
    """How deeply the JSON ``text`` nests arrays and objects, measured without
    parsing it, in one pass (strings are skipped whole).

    >>> json_depth('{"layers": [{"name": "[[["}, []]}')
    3
    """
    depth = deepest = 0
    for bracket in _NOT_A_BRACKET.sub("", text):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _read_json(archive, info, label):
    """The JSON member ``info``, read only if it is small enough, parsed only if
    it is nested shallowly enough."""
    name = info.filename
    if info.file_size > MAX_JSON_BYTES:
        raise ModelFileError(f"{label}: {name} holds {info.file_size} bytes; nnlib reads at most "
                             f"{MAX_JSON_BYTES} (MAX_JSON_BYTES)")
    with _refused(f"{label}: {name} cannot be read (damaged or truncated?)"):
        text = archive.read(info).decode("utf-8")
        depth = json_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise ModelFileError(f"{label}: {name} nests {depth} levels deep; nnlib reads at "
                                 f"most {MAX_JSON_DEPTH} (MAX_JSON_DEPTH)")
        return json.loads(text)


class Header(NamedTuple):
    """What the ``.npy`` header of an ``.npz`` member declares."""

    info: zipfile.ZipInfo
    shape: tuple
    dtype: np.dtype


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def _npz_headers(archive, members, label):
    """``{key: Header}`` for every member of an ``.npz``, from the first bytes of
    each: a member must be an ``.npy`` array of numbers or text (no Python
    objects: reading them would mean unpickling), exactly as long as its header
    and the data the header declares."""
    headers = {}
    for name, info in members.items():
        if not name.endswith(".npy"):
            raise ModelFileError(f"{label}: member {name!r} is not an array (.npy)")
        with _refused(f"{label}: the header of {name!r} cannot be read (damaged or "
                      f"truncated?)"), archive.open(info) as stream:
            version = np.lib.format.read_magic(stream)
            if version not in _HEADER_READERS:
                raise ModelFileError(f"{label}: {name!r} is an .npy file of version "
                                     f"{version}; nnlib reads versions 1.0 and 2.0")
            shape, _, dtype = _HEADER_READERS[version](stream)
            data_start = stream.tell()
        if dtype.hasobject:
            raise ModelFileError(f"{label}: {name!r} holds Python objects, which only "
                                 f"unpickling can read, and unpickling can run code: nnlib "
                                 f"reads files with allow_pickle=False")
        size = data_start + math.prod(shape) * dtype.itemsize
        if min(shape, default=0) < 0 or info.file_size != size:
            raise ModelFileError(f"{label}: {name!r} holds {info.file_size} bytes; its header "
                                 f"declares {shape} of {dtype}, {size} bytes with the header "
                                 f"(truncated or forged)")
        headers[name[:-len(".npy")]] = Header(info, shape, dtype)
    return headers


def _read_array(archive, header, label):
    """The array of a member whose header has been checked."""
    with _refused(f"{label}: {header.info.filename!r} cannot be read (damaged or "
                  f"truncated?)"), archive.open(header.info) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def _is_number(header):
    return header.dtype.kind in "fiu" and header.dtype.itemsize <= MAX_ITEMSIZE


@contextlib.contextmanager
def _npz_member(archive, members, name, sizes, label):
    """``(archive, members, label)`` of the ``.npz`` member ``name`` of a model
    file, opened as a zip if it is no larger than arrays of ``sizes``
    (``{key: number of values}``) can be."""
    info = members[name]
    budget = ARRAY_OVERHEAD + sum(MAX_ITEMSIZE * n + 2 * len(key) + ARRAY_OVERHEAD
                                  for key, n in sizes.items())
    if info.file_size > budget:
        raise ModelFileError(f"{label}: {name} holds {info.file_size} bytes, more than its "
                             f"{len(sizes)} arrays ({sum(sizes.values())} numbers) can take, "
                             f"{budget} bytes: the file is for another, larger model (or "
                             f"forged)")
    with _refused(f"{label}: {name} cannot be read (damaged or truncated?)"), \
            archive.open(info) as stream:  # by chunks: read() briefly takes 3 times the size
        data = b"".join(iter(lambda: stream.read(2 ** 20), b""))
    inner = f"{label} ({name})"
    with _zip(data, inner, f"{inner} cannot be read as an .npz archive (damaged or "
                           f"truncated?)") as (npz, npz_members):
        yield npz, npz_members, inner


# -- weights -----------------------------------------------------------------------------------

def save_weights(model, filepath):
    """Write every weight of ``model`` to ``filepath``, which ends in ``.weights.npz``."""
    filepath = _check_suffix(filepath, ".weights.npz", "save_weights")
    data = _npz_bytes({FORMAT_KEY: np.array(WEIGHTS_FORMAT),
                       **{key: w.value for key, w in weight_keys(model).items()}})
    _write_atomically(filepath, lambda file: file.write(data))


def check_weights(model, headers, label):
    """Nothing, or ``ModelFileError`` listing everything in ``headers`` (the
    ``{key: Header}`` of a weights file, its format entry removed) that does not
    fit ``model``."""
    expected = weight_keys(model)
    problems = [f"missing weight {key} (weight '{w.name}' of layer '{w.layer.name}')"
                for key, w in expected.items() if key not in headers]
    problems += [f"unexpected weight {key}: the model has no such weight (another "
                 f"architecture?)" for key in headers if key not in expected]
    for key, weight in expected.items():
        header = headers.get(key)
        if header is None:
            continue
        if header.shape != weight.shape:
            problems.append(f"weight {key} (layer '{weight.layer.name}') has shape "
                            f"{header.shape} in the file, {weight.shape} in the model")
        elif not _is_number(header):
            problems.append(f"weight {key} has dtype {header.dtype} in the file, expected "
                            f"numbers")
    if problems:
        raise ModelFileError(f"{label} does not match model '{model.name}':\n  "
                             + _listing(problems))


def _weights_from(model, archive, members, label):
    """``[(Weight, array)]`` for every weight of ``model`` from an opened weights
    ``.npz``, its headers checked against the model before any array is read."""
    headers = _npz_headers(archive, members, label)
    marker = headers.pop(FORMAT_KEY, None)
    if marker is None or marker.shape != () or marker.dtype.kind != "U" or \
            marker.dtype.itemsize != 4 * len(WEIGHTS_FORMAT) or \
            str(_read_array(archive, marker, label)) != WEIGHTS_FORMAT:
        raise ModelFileError(f"{label} is not an nnlib weights file (no "
                             f"{FORMAT_KEY!r} = {WEIGHTS_FORMAT!r} entry)")
    check_weights(model, headers, label)
    return [(weight, _read_array(archive, headers[key], label))
            for key, weight in weight_keys(model).items()]


def _assign(pairs):
    """Give each weight its array from the file (read for it alone: no copy)."""
    for weight, array in pairs:
        weight.assign(array, copy=False)


def _weights_in_model_file(model, archive, members, label):
    """``_weights_from`` the ``model.weights.npz`` of an opened model file."""
    sizes = {key: math.prod(w.shape) for key, w in weight_keys(model).items()}
    with _npz_member(archive, members, "model.weights.npz", sizes, label) as opened:
        return _weights_from(model, *opened)


def load_weights(model, filepath):
    """Read weights into ``model`` from a ``.weights.npz`` file or a whole-model
    ``.nnlib`` file; nothing changes unless every weight fits."""
    filepath = os.fspath(filepath)
    _exists(filepath)
    label = f"'{filepath}'"
    _require_built(model)
    if filepath.endswith(".nnlib"):
        with _model_archive(filepath, label) as (archive, members):
            pairs = _weights_in_model_file(model, archive, members, label)
    else:
        with open(filepath, "rb") as file:
            if file.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
                raise ModelFileError(f"{label} is an .npy file (one array), not an .npz "
                                     f"archive of weights")
        with _zip(filepath, label, f"{label} cannot be read as an .npz archive (damaged or "
                                   f"truncated?)") as (archive, members):
            pairs = _weights_from(model, archive, members, label)
    _assign(pairs)


# -- whole models ------------------------------------------------------------------------------

def save_model(model, filepath):
    """Write ``model`` (architecture, weights, compile arguments and optimizer
    state) to ``filepath``, which ends in ``.nnlib``."""
    filepath = _check_suffix(filepath, ".nnlib", "save")
    keys = weight_keys(model)
    compile_config = None
    if getattr(model, "compiled", False):
        try:
            # The optimizer as it is now (a scheduler may have changed its rate).
            compile_config = serialize({**model.compile_config, "optimizer": model.optimizer})
        except TypeError as error:
            warnings.warn(f"save: the compile arguments are not saved ({error}); compile the "
                          f"loaded model yourself", stacklevel=2)
    config = {"class_name": model.class_name(), "config": model.get_config(),
              "compile_config": compile_config}
    members = {"metadata.json": json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                                            "nnlib_version": __version__}),
               "config.json": json.dumps(config, indent=1),
               "model.weights.npz": _npz_bytes({FORMAT_KEY: np.array(WEIGHTS_FORMAT),
                                                **{k: w.value for k, w in keys.items()}})}
    if compile_config is not None:
        members["optimizer.npz"] = _npz_bytes(_optimizer_arrays(model))

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in members.items():
                archive.writestr(name, content)
    _write_atomically(filepath, write)


def _optimizer_arrays(model):
    """The optimizer's state with each weight's slots under its file key."""
    key_of = _file_keys_by_path(model)
    state = model.optimizer.get_state()
    arrays = {"iterations": np.array(state["iterations"])}
    for path, slots in state["weights"].items():
        if path in key_of:
            arrays.update({f"{key_of[path]}/{slot}": a for slot, a in slots.items()})
    return arrays


def _optimizer_state(model, pairs, archive, members, label):
    """The state in ``optimizer.npz``, keyed by the model's weight paths, checked
    against the slots the optimizer gives each weight (``init_state`` of the
    weight's value from the file, ``pairs``) before any of it is read: a weight
    has all its slots or none, each of the weight's shape."""
    optimizer = model.optimizer
    path_of = {key: path for path, key in _file_keys_by_path(model).items()}
    key_of = {id(weight): key for key, weight in weight_keys(model).items()}
    slots = {key_of[id(weight)]: {slot: a.shape for slot, a in
                                  optimizer.init_state(array).items()}
             for weight, array in pairs}
    sizes = {"iterations": 1, **{f"{key}/{slot}": math.prod(shape)
                                 for key, shapes in slots.items()
                                 for slot, shape in shapes.items()}}
    with _npz_member(archive, members, "optimizer.npz", sizes, label) as (npz, inner, label):
        headers = _npz_headers(npz, inner, label)
        iterations = headers.pop("iterations", None)
        if iterations is None:
            raise ModelFileError(f"{label}: the optimizer state has no 'iterations'")
        problems = [] if iterations.shape == () and _is_number(iterations) else \
            [f"iterations is an array {iterations.shape} of {iterations.dtype}, expected one "
             f"whole number"]
        found = {}
        for name, header in headers.items():
            key, _, slot = name.rpartition("/")
            if key not in slots:
                problems.append(f"optimizer state for {key}, a weight the model does not have")
            elif slots[key].get(slot) != header.shape or not _is_number(header):
                problems.append(f"optimizer slot {name} has shape {header.shape} "
                                f"({header.dtype}); {type(optimizer).__name__} expects slots "
                                f"{slots[key]} of numbers")
            else:
                found.setdefault(key, {})[slot] = header
        problems += [f"weight {key} has optimizer slots {sorted(have)}; "
                     f"{type(optimizer).__name__} keeps {sorted(slots[key])}"
                     for key, have in found.items() if set(have) != set(slots[key])]
        if problems:
            raise ModelFileError(f"{label}: the optimizer state does not match the model:\n  "
                                 + _listing(problems))
        try:
            count = whole_number(label, "iterations", _read_array(npz, iterations, label).item(),
                                 minimum=0)
        except (TypeError, ValueError) as error:
            raise ModelFileError(str(error)) from None
        return {"iterations": count,
                "weights": {path_of[key]: {slot: _read_array(npz, header, label)
                                           for slot, header in have.items()}
                            for key, have in found.items()}}


@contextlib.contextmanager
def _model_archive(filepath, label):
    """``(archive, {name: ZipInfo})`` of a model file: a zip of the members
    nnlib writes, none else, whose metadata says it is a model file nnlib reads."""
    with _zip(filepath, label, f"{label} is not a readable nnlib model file (a zip archive; "
                               f"damaged or truncated?)") as (archive, members):
        missing = [m for m in MEMBERS if m not in members]
        if missing:
            raise ModelFileError(f"{label} is not an nnlib model file: it lacks {missing}")
        metadata = _read_json(archive, members["metadata.json"], label)
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise ModelFileError(f"{label} is not an nnlib model file: metadata.json says "
                                 f"{_short(metadata)}")
        version = metadata.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ModelFileError(f"{label}: metadata.json's format_version must be a whole "
                                 f"number >= 1, got {_short(version)}")
        if version > FORMAT_VERSION:
            raise ModelFileError(f"{label} has format version {version}; this nnlib reads up "
                                 f"to {FORMAT_VERSION}")
        extra = sorted(set(members) - set(MEMBERS) - set(OPTIONAL_MEMBERS))
        if extra:
            raise ModelFileError(f"{label}: unexpected members {_short(extra)}; a model file "
                                 f"holds {list(MEMBERS + OPTIONAL_MEMBERS)}")
        yield archive, members


def _build(config, custom_objects, label):
    """The model ``config.json`` describes, its weights declared but not drawn."""
    if not isinstance(config, dict):
        raise ModelFileError(f"{label}: config.json must hold an object with 'class_name', "
                             f"'config' and 'compile_config', got {_short(config)}")
    with _refused(f"{label}: config.json does not describe a model nnlib can build",
                  Exception), deferred_initialization():
        model = layer_from_config(config, custom_objects)
    if not isinstance(model, tuple(entry.cls for entry in registry.entries("model"))):
        raise ModelFileError(f"{label}: config.json describes {type(model).__name__} "
                             f"'{getattr(model, 'name', '?')}', not a model")
    if not model.built:  # save writes built models only: a Sequential lost its input
        raise ModelFileError(f"{label}: config.json describes {type(model).__name__} "
                             f"'{model.name}' without its input, so without weights")
    return model


def load_model(filepath, custom_objects=None, compile=True):
    """The model saved in ``filepath`` by ``model.save``, with its weights and,
    if it was compiled (and ``compile`` is true), compiled with its optimizer's
    state restored.  Layers that are not registered with nnlib are found in
    ``custom_objects`` (``{"MyLayer": MyLayer}``).  Every check of the module
    docstring comes first: a file that fails one raises ``ModelFileError``."""
    filepath = os.fspath(filepath)
    _exists(filepath)
    label = f"'{filepath}'"
    with _model_archive(filepath, label) as (archive, members):
        config = _read_json(archive, members["config.json"], label)
        model = _build(config, custom_objects, label)
        pairs = _weights_in_model_file(model, archive, members, label)
        compile_config = config.get("compile_config")
        if compile and compile_config is not None:
            with _refused(f"{label}: the compile arguments in config.json cannot compile "
                          f"the model", Exception):
                model.compile(**deserialize(compile_config))
            if "optimizer.npz" in members:
                model.optimizer.set_state(_optimizer_state(model, pairs, archive, members,
                                                           label))
    _assign(pairs)
    return model

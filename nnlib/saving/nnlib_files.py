"""nnlib's own files: weights as ``.weights.npz``, whole models as ``.nnlib``.

``model.save_weights("m.weights.npz")`` writes every weight as a NumPy array
in an ``.npz`` archive, keyed by where it sits in the model
(``nnlib.saving.bounds.weight_keys``: ``layers/dense_1/kernel``), beside a
``__format__`` entry saying what the file is.

``model.save("m.nnlib")`` keeps everything in one zip archive, like Keras's
``.keras`` files:

* ``metadata.json``: what the file is (``{"format": "nnlib.model", ...}``);
* ``config.json``: the architecture (``model.get_config()``) and the
  arguments of ``compile``;
* ``model.weights.npz``: the weights, as ``save_weights`` writes them;
* ``optimizer.npz``: the optimizer's state (``iterations`` and its slots
  per weight, e.g. Adam's ``m`` and ``v``), so training resumes where it stopped.

An ``.npz`` member is read only if it is no larger than its arrays can take
(``MAX_ITEMSIZE`` bytes a number, plus ``ARRAY_OVERHEAD`` for each array's
headers), and each array only after its ``.npy`` header declared the shape of
its weight and a numeric dtype, the member being exactly that long.
"""
import contextlib
import io
import json
import math
import warnings
import zipfile
from typing import NamedTuple

import numpy as np

from ..checks import short_repr, whole_number
from ..version import __version__
from .bounds import (MAX_ITEMSIZE, ModelFileError, assign, build_model, check_weights,
                     file_keys_by_path, is_number, listing, open_zip, read_json, refused,
                     weight_keys, write_atomically)

FORMAT = "nnlib.model"
FORMAT_VERSION = 1
WEIGHTS_FORMAT = "nnlib.weights"
FORMAT_KEY = "__format__"
MEMBERS = ("metadata.json", "config.json", "model.weights.npz")
OPTIONAL_MEMBERS = ("optimizer.npz",)
ARRAY_OVERHEAD = 1024  # the bytes an array takes in an .npz beyond its data and twice
#                        its key: its .npy header and the zip's two headers


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()

class Header(NamedTuple):
    """What the ``.npy`` header of an ``.npz`` member declares."""

    info: zipfile.ZipInfo
    shape: tuple
    dtype: np.dtype

_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}

def npz_headers(archive, members, label):
    """``{key: Header}`` for every member of an ``.npz``, from the first bytes of
    each: a member must be an ``.npy`` array of numbers or text (no Python
    objects: reading them would mean unpickling), exactly as long as its header
    and the data the header declares."""
    headers = {}
    for name, info in members.items():
        if not name.endswith(".npy"):
            raise ModelFileError(f"{label}: member {name!r} is not an array (.npy)")
        with refused(f"{label}: the header of {name!r} cannot be read (damaged or "
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

def read_array(archive, header, label):
    """The array of a member whose header has been checked."""
    with refused(f"{label}: {header.info.filename!r} cannot be read (damaged or "
                  f"truncated?)"), archive.open(header.info) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)

@contextlib.contextmanager
def npz_member(archive, members, name, sizes, label):
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
    with refused(f"{label}: {name} cannot be read (damaged or truncated?)"), \
            archive.open(info) as stream:  # by chunks: read() briefly takes 3 times the size
        data = b"".join(iter(lambda: stream.read(2 ** 20), b""))
    inner = f"{label} ({name})"
    with open_zip(data, inner, f"{inner} cannot be read as an .npz archive (damaged or "
                           f"truncated?)") as (npz, npz_members):
        yield npz, npz_members, inner


# -- weights -----------------------------------------------------------------------------------

def save_weights(model, filepath):
    """Write every weight of ``model`` to ``filepath``, an ``.weights.npz``."""
    data = npz_bytes({FORMAT_KEY: np.array(WEIGHTS_FORMAT),
                      **{key: w.value for key, w in weight_keys(model).items()}})
    write_atomically(filepath, lambda file: file.write(data))

def weights_from(model, archive, members, label):
    """``[(Weight, array)]`` for every weight of ``model`` from an opened weights
    ``.npz``, its headers checked against the model before any array is read."""
    headers = npz_headers(archive, members, label)
    marker = headers.pop(FORMAT_KEY, None)
    if marker is None or marker.shape != () or marker.dtype.kind != "U" or \
            marker.dtype.itemsize != 4 * len(WEIGHTS_FORMAT) or \
            str(read_array(archive, marker, label)) != WEIGHTS_FORMAT:
        raise ModelFileError(f"{label} is not an nnlib weights file (no "
                             f"{FORMAT_KEY!r} = {WEIGHTS_FORMAT!r} entry)")
    check_weights(model, headers, label)
    return [(weight, read_array(archive, headers[key], label))
            for key, weight in weight_keys(model).items()]

def weights_in_model_file(model, archive, members, label):
    """``weights_from`` the ``model.weights.npz`` of an opened model file."""
    sizes = {key: math.prod(w.shape) for key, w in weight_keys(model).items()}
    with npz_member(archive, members, "model.weights.npz", sizes, label) as opened:
        return weights_from(model, *opened)


def load_weights(model, filepath, label):
    """Read weights into ``model`` from a ``.weights.npz`` file or a whole-model
    ``.nnlib`` file; nothing changes unless every weight fits."""
    if filepath.endswith(".nnlib"):
        with model_archive(filepath, label) as (archive, members):
            pairs = weights_in_model_file(model, archive, members, label)
    else:
        with open(filepath, "rb") as file:
            if file.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
                raise ModelFileError(f"{label} is an .npy file (one array), not an .npz "
                                     f"archive of weights")
        with open_zip(filepath, label, f"{label} cannot be read as an .npz archive (damaged "
                                       f"or truncated?)") as (archive, members):
            pairs = weights_from(model, archive, members, label)
    assign(pairs)

# -- whole models ------------------------------------------------------------------------------

def save_model(model, filepath):
    """Write ``model`` (architecture, weights, compile arguments and optimizer
    state) to ``filepath``, an ``.nnlib`` file."""
    keys = weight_keys(model)
    compile_config = None
    if getattr(model, "compiled", False):
        try:
            compile_config = model.get_compile_config()
        except TypeError as error:
            warnings.warn(f"save: the compile arguments are not saved ({error}); compile the "
                          f"loaded model yourself", stacklevel=3)
    config = {"class_name": model.class_name(), "config": model.get_config(),
              "compile_config": compile_config}
    members = {"metadata.json": json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                                            "nnlib_version": __version__}),
               "config.json": json.dumps(config, indent=1),
               "model.weights.npz": npz_bytes({FORMAT_KEY: np.array(WEIGHTS_FORMAT),
                                               **{k: w.value for k, w in keys.items()}})}
    if compile_config is not None:
        members["optimizer.npz"] = npz_bytes(optimizer_arrays(model))

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in members.items():
                archive.writestr(name, content)
    write_atomically(filepath, write)

def optimizer_arrays(model):
    """The optimizer's state with each weight's slots under its file key."""
    key_of = file_keys_by_path(model)
    state = model.optimizer.get_state()
    arrays = {"iterations": np.array(state["iterations"])}
    for path, slots in state["weights"].items():
        if path in key_of:
            arrays.update({f"{key_of[path]}/{slot}": a for slot, a in slots.items()})
    return arrays

def optimizer_state(model, pairs, archive, members, label):
    """The state in ``optimizer.npz``, keyed by the model's weight paths, checked
    against the slots the optimizer gives each weight (``init_state`` of the
    weight's value from the file, ``pairs``) before any of it is read: a weight
    has all its slots or none, each of the weight's shape."""
    optimizer = model.optimizer
    path_of = {key: path for path, key in file_keys_by_path(model).items()}
    key_of = {id(weight): key for key, weight in weight_keys(model).items()}
    slots = {key_of[id(weight)]: {slot: a.shape for slot, a in
                                  optimizer.init_state(array).items()}
             for weight, array in pairs}
    sizes = {"iterations": 1, **{f"{key}/{slot}": math.prod(shape)
                                 for key, shapes in slots.items()
                                 for slot, shape in shapes.items()}}
    with npz_member(archive, members, "optimizer.npz", sizes, label) as (npz, inner, label):
        headers = npz_headers(npz, inner, label)
        iterations = headers.pop("iterations", None)
        if iterations is None:
            raise ModelFileError(f"{label}: the optimizer state has no 'iterations'")
        problems = [] if iterations.shape == () and is_number(iterations) else \
            [f"iterations is an array {iterations.shape} of {iterations.dtype}, expected one "
             f"whole number"]
        found = {}
        for name, header in headers.items():
            key, _, slot = name.rpartition("/")
            if key not in slots:
                problems.append(f"optimizer state for {key}, a weight the model does not have")
            elif slots[key].get(slot) != header.shape or not is_number(header):
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
                                 + listing(problems))
        try:
            count = whole_number(label, "iterations", read_array(npz, iterations, label).item(),
                                 minimum=0)
        except (TypeError, ValueError) as error:
            raise ModelFileError(str(error)) from None
        return {"iterations": count,
                "weights": {path_of[key]: {slot: read_array(npz, header, label)
                                           for slot, header in have.items()}
                            for key, have in found.items()}}

@contextlib.contextmanager
def model_archive(filepath, label):
    """``(archive, {name: ZipInfo})`` of a model file: a zip of the members
    nnlib writes, none else, whose metadata says it is a model file nnlib reads."""
    with open_zip(filepath, label, f"{label} is not a readable nnlib model file (a zip archive; "
                               f"damaged or truncated?)") as (archive, members):
        missing = [m for m in MEMBERS if m not in members]
        if missing:
            raise ModelFileError(f"{label} is not an nnlib model file: it lacks {missing}")
        metadata = read_json(archive, members["metadata.json"], label)
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise ModelFileError(f"{label} is not an nnlib model file: metadata.json says "
                                 f"{short_repr(metadata)}")
        version = metadata.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ModelFileError(f"{label}: metadata.json's format_version must be a whole "
                                 f"number >= 1, got {short_repr(version)}")
        if version > FORMAT_VERSION:
            raise ModelFileError(f"{label} has format version {version}; this nnlib reads up "
                                 f"to {FORMAT_VERSION}")
        extra = sorted(set(members) - set(MEMBERS) - set(OPTIONAL_MEMBERS))
        if extra:
            raise ModelFileError(f"{label}: unexpected members {short_repr(extra)}; a model file "
                                 f"holds {list(MEMBERS + OPTIONAL_MEMBERS)}")
        yield archive, members


def load_model(filepath, label, custom_objects=None, compile=True):
    """The model in the ``.nnlib`` file at ``filepath`` (see ``nnlib.saving.load_model``)."""
    with model_archive(filepath, label) as (archive, members):
        config = read_json(archive, members["config.json"], label)
        model = build_model(config, custom_objects, label)
        pairs = weights_in_model_file(model, archive, members, label)
        compile_config = config.get("compile_config")
        if compile and compile_config is not None:
            with refused(f"{label}: the compile arguments in config.json cannot compile "
                         f"the model", Exception):
                model.compile_from_config(compile_config)
            if "optimizer.npz" in members:
                model.optimizer.set_state(optimizer_state(model, pairs, archive, members,
                                                          label))
    assign(pairs)
    return model

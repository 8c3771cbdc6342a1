"""Saving and loading models: weights as ``.npz``, whole models as one zip file.

``model.save_weights("m.weights.npz")`` and ``model.load_weights(...)`` write
and read every weight as a NumPy array, keyed by where it sits in the model:
``layers/dense_1/kernel`` is the kernel of the second ``Dense`` layer.  As in
Keras, the key comes from the layer's class and position, not from its name,
which changes between two builds of one architecture (``dense_3`` the second
time); a nested model adds its own level, ``layers/functional/layers/dense/kernel``.
Files are read with ``allow_pickle=False``: loading runs no code from the file.

``model.save("m.nnlib")`` and ``load_model("m.nnlib")`` keep everything in one
zip archive, like Keras's ``.keras`` files:

* ``metadata.json``: what the file is (``{"format": "nnlib.model", ...}``);
* ``config.json``: the architecture (``model.get_config()``) and the
  arguments of ``compile``;
* ``model.weights.npz``: the weights, as ``save_weights`` writes them;
* ``optimizer.npz``: the optimizer's state (``iterations`` and its slots
  per weight, e.g. Adam's ``m`` and ``v``), so training resumes where it stopped.

Loading checks everything before it changes anything: a file that is not
an nnlib file, is truncated, lacks a weight, has a weight of another shape
or describes another architecture raises ``ModelFileError`` naming the
problem, and the model keeps its weights.  Files are written to a temporary
name first and renamed, so an interrupted save never leaves half a file.
"""
import io
import json
import os
import pickle
import tempfile
import warnings
import zipfile
import zlib

import numpy as np

from .layers.base import deferred_initialization
from .layers.deserialization import layer_from_config
from .serialization import deserialize, serialize
from .version import __version__

FORMAT = "nnlib.model"
FORMAT_VERSION = 1
WEIGHTS_FORMAT = "nnlib.weights"
FORMAT_KEY = "__format__"
MEMBERS = ("metadata.json", "config.json", "model.weights.npz")
READ_ERRORS = (ValueError, EOFError, zipfile.BadZipFile, zlib.error, pickle.UnpicklingError,
               KeyError, UnicodeDecodeError, OSError)


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


def _read_npz(source, label):
    """Every array of an ``.npz`` (a path or bytes), read without pickle."""
    try:
        with np.load(io.BytesIO(source) if isinstance(source, bytes) else source,
                     allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (AttributeError, TypeError):  # np.load gave a plain array: an .npy, not an .npz
        raise ModelFileError(f"{label} is not an .npz archive of weights") from None
    except READ_ERRORS as error:
        raise ModelFileError(f"{label} cannot be read as an .npz archive (damaged or "
                             f"truncated?): {type(error).__name__}: {error}") from None


def _exists(filepath):
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"no such file: {filepath!r}")


# -- weights -----------------------------------------------------------------------------------

def save_weights(model, filepath):
    """Write every weight of ``model`` to ``filepath``, which ends in ``.weights.npz``."""
    filepath = _check_suffix(filepath, ".weights.npz", "save_weights")
    data = _npz_bytes({FORMAT_KEY: np.array(WEIGHTS_FORMAT),
                       **{key: w.value for key, w in weight_keys(model).items()}})
    _write_atomically(filepath, lambda file: file.write(data))


def check_weights(model, arrays, label):
    """``[(Weight, array)]`` for every weight, or ``ModelFileError`` listing
    everything in ``arrays`` that does not fit ``model``."""
    arrays = dict(arrays)
    if str(arrays.pop(FORMAT_KEY, "")) != WEIGHTS_FORMAT:
        raise ModelFileError(f"{label} is not an nnlib weights file (no "
                             f"{FORMAT_KEY!r} = {WEIGHTS_FORMAT!r} entry)")
    expected = weight_keys(model)
    problems = [f"missing weight {key} (weight '{w.name}' of layer '{w.layer.name}')"
                for key, w in expected.items() if key not in arrays]
    problems += [f"unexpected weight {key}: the model has no such weight (another "
                 f"architecture?)" for key in arrays if key not in expected]
    for key, weight in expected.items():
        array = arrays.get(key)
        if array is None:
            continue
        if array.shape != weight.shape:
            problems.append(f"weight {key} (layer '{weight.layer.name}') has shape "
                            f"{array.shape} in the file, {weight.shape} in the model")
        elif array.dtype.kind not in "fiu":
            problems.append(f"weight {key} has dtype {array.dtype} in the file, expected floats")
    if problems:
        raise ModelFileError(f"{label} does not match model '{model.name}':\n  "
                             + "\n  ".join(problems))
    return [(weight, arrays[key]) for key, weight in expected.items()]


def load_weights(model, filepath):
    """Read weights into ``model`` from a ``.weights.npz`` file or a whole-model
    ``.nnlib`` file; nothing changes unless every weight fits."""
    filepath = os.fspath(filepath)
    _exists(filepath)
    if filepath.endswith(".nnlib"):
        arrays = _read_archive(filepath)[2]
    else:
        arrays = _read_npz(filepath, f"'{filepath}'")
    for weight, array in check_weights(model, arrays, f"'{filepath}'"):
        weight.assign(array)


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


def _optimizer_state(model, arrays, label):
    """The optimizer state of ``arrays`` keyed by the model's weight paths, checked
    against the slots the optimizer gives each weight."""
    arrays = dict(arrays)
    if "iterations" not in arrays:
        raise ModelFileError(f"{label}: the optimizer state has no 'iterations'")
    iterations = int(arrays.pop("iterations"))
    path_of = {key: path for path, key in _file_keys_by_path(model).items()}
    by_key = weight_keys(model)
    state, problems = {}, []
    for name, array in arrays.items():
        key, _, slot = name.rpartition("/")
        weight = by_key.get(key)
        if weight is None:
            problems.append(f"optimizer state for {key}, a weight the model does not have")
            continue
        fresh = model.optimizer.init_state(np.zeros(weight.shape, weight.dtype))
        if slot not in fresh or fresh[slot].shape != array.shape:
            problems.append(f"optimizer slot {name} has shape {array.shape}; "
                            f"{type(model.optimizer).__name__} expects slots "
                            f"{ {s: a.shape for s, a in fresh.items()} }")
            continue
        state.setdefault(path_of[key], {})[slot] = array
    if problems:
        raise ModelFileError(f"{label}: the optimizer state does not match the model:\n  "
                             + "\n  ".join(problems))
    return {"iterations": iterations, "weights": state}


def _read_archive(filepath):
    """``(metadata, config, weight arrays, optimizer arrays or None)`` of a model file."""
    label = f"'{filepath}'"
    try:
        with zipfile.ZipFile(filepath) as archive:
            missing = [m for m in MEMBERS if m not in archive.namelist()]
            if missing:
                raise ModelFileError(f"{label} is not an nnlib model file: it lacks {missing}")
            metadata = json.loads(archive.read("metadata.json"))
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.npz")
            optimizer = archive.read("optimizer.npz") \
                if "optimizer.npz" in archive.namelist() else None
    except ModelFileError:
        raise
    except READ_ERRORS as error:
        raise ModelFileError(f"{label} is not a readable nnlib model file (a zip archive; "
                             f"damaged or truncated?): {type(error).__name__}: {error}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{label} is not an nnlib model file: metadata.json says "
                             f"{metadata!r}")
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{label} has format version {metadata['format_version']}; this "
                             f"nnlib reads up to {FORMAT_VERSION}")
    return (metadata, config, _read_npz(weights, f"{label} (model.weights.npz)"),
            None if optimizer is None else _read_npz(optimizer, f"{label} (optimizer.npz)"))


def load_model(filepath, custom_objects=None, compile=True):
    """The model saved in ``filepath`` by ``model.save``, with its weights and,
    if it was compiled (and ``compile`` is true), compiled with its optimizer's
    state restored.  Layers that are not registered with nnlib are found in
    ``custom_objects`` (``{"MyLayer": MyLayer}``)."""
    filepath = os.fspath(filepath)
    _exists(filepath)
    label = f"'{filepath}'"
    _, config, weights, optimizer_arrays = _read_archive(filepath)
    try:
        with deferred_initialization():  # no initial values drawn: the file's replace them
            model = layer_from_config(config, custom_objects)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ModelFileError(f"{label}: config.json does not describe a model nnlib can "
                             f"build: {type(error).__name__}: {error}") from None
    pairs = check_weights(model, weights, label)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        model.compile(**deserialize(compile_config))
        if optimizer_arrays is not None:
            model.optimizer.set_state(_optimizer_state(model, optimizer_arrays, label))
    for weight, array in pairs:
        weight.assign(array)
    return model

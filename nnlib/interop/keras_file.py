"""Keras 3's files: the ``.keras`` archive and ``.weights.h5``, written and read.

A ``.keras`` file is a zip archive of three members:

* ``metadata.json``: ``{"keras_version": "3.15.1", "date_saved": ...}``;
* ``config.json``: the model as Keras describes it (``keras_model.to_json()``),
  with ``compile_config`` when the model is compiled; ``keras_config``
  translates it from and to nnlib's configs;
* ``model.weights.h5``: the weights, in an HDF5 file.

A ``.weights.h5`` file is that HDF5 file alone.  Inside, each layer's weights
sit in a group named by the layer's class and position (not its name), as
nnlib's weight keys are: the weight ``layers/lstm/cell/recurrent_kernel`` is
the dataset ``layers/lstm/cell/vars/1``, the second weight of that group (the
group of a key, then ``vars``, then the weight's index in the group).  A
compiled model adds ``optimizer/vars``: ``0`` the step count, ``1`` the
learning rate (unless a schedule gives it), then, once the optimizer has
stepped, its slots.  Keras creates them in groups, each group interleaved over
the learning weights (Adam: ``m`` and ``v`` of the first weight, of the
second..., then, with ``amsgrad``, every weight's ``v_hat``);
``KERAS_SLOT_GROUPS`` lists the groups of each optimizer.

Reading follows ``nnlib.saving``'s rules for untrusted files: nothing from the
file is run or imported (``keras_config`` only compares Keras's ``module``
names with its table), every check comes before any weight changes, a bad
file raises ``ModelFileError`` naming the problem, and the work is bounded:

1. the zip's directory passes ``nnlib.saving``'s checks, and the archive holds
   exactly the three members;
2. the JSON members are read within ``MAX_JSON_BYTES`` and ``MAX_JSON_DEPTH``;
3. the model is built with its weights declared, not drawn;
4. the HDF5 data is read only if it is no larger than the weights (and
   optimizer slots) can take plus ``H5_OVERHEAD`` bytes for each weight and
   layer and ``H5_FIXED`` for the file's own structure;
5. the HDF5 tree is walked link by link: a link to another place or file, a
   dataset stored outside the file, a dataset or group nnlib does not expect,
   or a dataset whose shape or dtype differs from its weight's, is refused
   before any dataset is read.

h5py is needed for these files only: ``pip install nnlib-reference[keras]``.
"""
import contextlib
import datetime
import io
import json
import math
import os
import warnings
import zipfile

import numpy as np

from ..checks import short_repr
from ..saving.bounds import (MAX_ITEMSIZE, READ_ERRORS, ModelFileError, assign, build_model,
                             check_weights, is_number, listing, open_zip, read_json, refused,
                             require_built, weight_keys, write_atomically)
from .keras_config import foreign_layers, model_from_keras, model_to_keras

KERAS_VERSION = "3.15.1"  # the Keras release whose files this module writes
MEMBERS = ("metadata.json", "config.json", "model.weights.h5")
H5_FIXED = 64 * 2 ** 10  # the HDF5 superblock, root group and optimizer groups
H5_OVERHEAD = 4 * 2 ** 10  # a dataset's header, or a layer's groups (Keras: about 1.5 kB)
ITERATIONS = "0"  # the first optimizer variable
MAX_SLOTS = 3  # the most slots a Keras optimizer keeps a weight (centered RMSprop, AMSGrad)
# What h5py raises on damaged data, beside what nnlib.saving lists for zip and numpy.
H5_READ_ERRORS = READ_ERRORS + (KeyError, RuntimeError, TypeError)


def _h5py():
    try:
        import h5py
    except ImportError:
        h5py = None
    if h5py is None:
        raise ImportError("Keras's .keras and .weights.h5 files need h5py: "
                          "pip install nnlib-reference[keras]")
    return h5py


# -- where each weight sits ----------------------------------------------------------------

def dataset_paths(model):
    """``{dataset path: weight key}``: each weight's place in Keras's HDF5 layout.

    >>> from nnlib.models import Input, Model
    >>> from nnlib.layers import Dense
    >>> x = Input((4,))
    >>> list(dataset_paths(Model(x, Dense(2)(Dense(3)(x)))))  # doctest: +NORMALIZE_WHITESPACE
    ['layers/dense/vars/0', 'layers/dense/vars/1',
     'layers/dense_1/vars/0', 'layers/dense_1/vars/1']
    """
    paths, counts = {}, {}
    for key in weight_keys(model):
        group = key.rpartition("/")[0]
        index = counts[group] = counts.get(group, -1) + 1
        paths[f"{group}/vars/{index}".lstrip("/")] = key
    return paths


# The order in which Keras creates each optimizer's slots (nnlib's slot names):
# a group's slots are interleaved over the weights, then comes the next group.
# Nadam is missing: Keras keeps one ``u_product`` for all weights, nnlib one each.
KERAS_SLOT_GROUPS = {
    "SGD": (("velocity",),),
    "Adam": (("m", "v"), ("v_hat",)),
    "AdamW": (("m", "v"), ("v_hat",)),
    "RMSprop": (("v",), ("velocity",), ("m",)),
    "Adagrad": (("accumulator",),),
    "Adadelta": (("accumulated_grad", "accumulated_delta_var"),),
}


def first_slot(optimizer):
    """Where the slots start in ``optimizer/vars``: after the step count and the
    learning rate (2), or after the step count alone (1) when the rate comes from
    a schedule, which Keras keeps no variable for."""
    return 1 if isinstance(optimizer.get_config()["learning_rate"], dict) else 2


def optimizer_variables(model):
    """``[(weight path, slot, shape)]``: the optimizer's slots in the order of
    Keras's ``optimizer/vars`` (from ``first_slot``), or ``None`` for an optimizer whose
    state Keras keeps in another form (not in ``KERAS_SLOT_GROUPS``)."""
    optimizer = model.optimizer
    groups = KERAS_SLOT_GROUPS.get(type(optimizer).__name__)
    weights = model.named_weights(trainable_only=True)
    # A weight's shape without its value (a loader's weights have none yet).
    shapes = {path: {slot: a.shape for slot, a in optimizer.init_state(
        np.broadcast_to(np.zeros((), w.dtype), w.shape)).items()} for path, w in weights.items()}
    if groups is None:
        return None if any(shapes.values()) else []
    return [(path, slot, shapes[path][slot]) for group in groups
            for path in weights for slot in group if slot in shapes[path]]


def _count_layers(layer):
    return 1 + sum(_count_layers(child) for _, child in layer.children())


# -- writing ---------------------------------------------------------------------------------

def _h5_bytes(model):
    """The HDF5 file of ``model``'s weights (and optimizer, if compiled), as bytes."""
    h5py = _h5py()
    buffer = io.BytesIO()
    keys = weight_keys(model)
    with h5py.File(buffer, "w") as file:
        file.create_group("vars").attrs["name"] = model.name
        for path, key in dataset_paths(model).items():
            group = path.rpartition("/")[0]
            if group not in file:
                file.create_group(group).attrs["name"] = keys[key].layer.name
            file[path] = keys[key].value
        if getattr(model, "compiled", False):
            _write_optimizer(model, file)
    return buffer.getvalue()


def _write_optimizer(model, file):
    optimizer = model.optimizer
    state = optimizer.get_state()
    variables = file.create_group("optimizer/vars")
    variables.attrs["name"] = getattr(optimizer, "name", type(optimizer).__name__.lower())
    variables[ITERATIONS] = np.array(state["iterations"], np.int64)
    first = first_slot(optimizer)
    if first == 2:
        variables["1"] = np.array(optimizer.learning_rate, np.float32)
    slots = optimizer_variables(model)
    if not state["weights"]:
        return  # not stepped yet: Keras writes no slots either
    if slots is None:
        warnings.warn(f"save: the state of {type(optimizer).__name__} is not written (Keras "
                      f"keeps it in another form); the loaded optimizer starts afresh",
                      stacklevel=4)
        return
    weights = model.named_weights()
    for index, (path, slot, _) in enumerate(slots, start=first):
        if path not in state["weights"]:  # a weight no gradient has reached yet
            state["weights"][path] = optimizer.init_state(weights[path].value)
        variables[str(index)] = state["weights"][path][slot]


def save_keras(model, filepath):
    """Write ``model`` as a Keras 3 ``.keras`` archive at ``filepath``.  A layer
    of the user's own class is written under its class name, with a warning:
    Keras loads the file only with a class of that name given to it (Keras has
    no way to run nnlib's forward and backward)."""
    require_built(model)
    foreign = foreign_layers(model)
    if foreign:
        warnings.warn(f"save: {sorted(set(foreign))} are not Keras layers; keras.saving."
                      f"load_model reads this file only with classes of those names in its "
                      f"custom_objects (or registered with "
                      f"keras.saving.register_keras_serializable)", stacklevel=3)
    config = json.dumps(model_to_keras(model), indent=1)
    metadata = json.dumps({"keras_version": KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    weights = _h5_bytes(model)

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", metadata)
            archive.writestr("config.json", config)
            archive.writestr("model.weights.h5", weights, zipfile.ZIP_STORED)
    write_atomically(filepath, write)


def save_weights_h5(model, filepath):
    """Write ``model``'s weights as Keras's ``.weights.h5`` at ``filepath``."""
    data = _h5_bytes(model)
    write_atomically(filepath, lambda file: file.write(data))


# -- reading ---------------------------------------------------------------------------------

def _budget(model):
    """The most bytes the HDF5 file of ``model`` may take (module docstring, 4).
    The slots of an uncompiled model's optimizer are unknown: a file of a
    compiled Keras model may hold up to ``MAX_SLOTS`` for each learning weight."""
    numbers = sum(math.prod(w.shape) for w in weight_keys(model).values())
    entries = len(weight_keys(model)) + _count_layers(model) + 2
    if getattr(model, "compiled", False):
        slots = [math.prod(shape) for _, _, shape in optimizer_variables(model) or []]
    else:
        slots = [math.prod(w.shape) for w in model.named_weights(trainable_only=True).values()
                 for _ in range(MAX_SLOTS)]
    numbers += sum(slots) + 2
    entries += len(slots)
    return H5_FIXED + MAX_ITEMSIZE * numbers + H5_OVERHEAD * entries


def _walk(h5py, group, prefix, label):
    """``{path: Dataset}`` below ``group``, every link checked to be a plain one
    to an object inside this file, every dataset stored inside it."""
    found = {}
    for name in group:
        path = f"{prefix}{name}"
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise ModelFileError(f"{label}: {path!r} is a {type(link).__name__} (a link to "
                                 f"another place or file); Keras's files hold plain groups and "
                                 f"datasets")
        item = group[name]
        if isinstance(item, h5py.Group):
            found.update(_walk(h5py, item, f"{path}/", label))
        elif isinstance(item, h5py.Dataset):
            if item.is_virtual or item.external:
                raise ModelFileError(f"{label}: dataset {path!r} is stored outside the file; "
                                     f"nnlib reads no other file")
            found[path] = item
        else:
            raise ModelFileError(f"{label}: {path!r} is a {type(item).__name__}, not a group "
                                 f"or a dataset")
    return found


def _checked_weights(model, datasets, label):
    """``[(Weight, Dataset)]`` once every dataset of the layers fits ``model``
    (``check_weights`` lists what does not)."""
    paths = dataset_paths(model)
    headers = {paths.get(path, path): dataset for path, dataset in datasets.items()
               if not path.startswith("optimizer/")}
    check_weights(model, headers, label)
    keys = weight_keys(model)
    return [(keys[key], headers[key]) for key in paths.values()]


def _checked_optimizer_state(model, datasets, label):
    """The optimizer state the file holds, as ``optimizer.set_state`` takes it,
    its datasets checked against the slots the optimizer keeps; ``None`` for a
    file with no optimizer variables."""
    variables = {path.removeprefix("optimizer/vars/"): d for path, d in datasets.items()
                 if path.startswith("optimizer/")}
    if not variables:
        return None
    slots = optimizer_variables(model)
    first = first_slot(model.optimizer)
    expected = [(str(index), ()) for index in range(first)]  # iterations, learning rate
    if len(variables) > first and slots is None:
        warnings.warn(f"{label}: the state of {type(model.optimizer).__name__} is not read "
                      f"(Keras keeps it in another form); the optimizer starts afresh",
                      stacklevel=5)
        return None
    if len(variables) > first:  # it has stepped: the slots follow
        expected += [(str(index), shape)
                     for index, (_, _, shape) in enumerate(slots, start=first)]
    problems = [f"optimizer variable {name} has shape {variables[name].shape} "
                f"({variables[name].dtype}), expected {shape} of numbers"
                for name, shape in expected if name in variables and (
                    variables[name].shape != shape or not is_number(variables[name]))]
    names = {name for name, _ in expected}
    problems += [f"missing optimizer variable {name}" for name in sorted(names - set(variables))]
    problems += [f"unexpected optimizer variable {name}: {type(model.optimizer).__name__} "
                 f"keeps {len(expected)}" for name in sorted(set(variables) - names)]
    if problems:
        raise ModelFileError(f"{label}: the optimizer state does not match model "
                             f"'{model.name}':\n  " + listing(problems))
    iterations = variables[ITERATIONS][()]
    if variables[ITERATIONS].dtype.kind not in "iu" or iterations < 0:
        raise ModelFileError(f"{label}: the optimizer's step count must be a whole number "
                             f">= 0, got {iterations!r}")
    weights = {}
    for index, (path, slot, _) in enumerate(slots if len(variables) > first else [],
                                            start=first):
        weights.setdefault(path, {})[slot] = variables[str(index)][()]
    return {"iterations": int(iterations), "weights": weights}


def _open_h5(h5py, source, label):
    with refused(f"{label} cannot be read as an HDF5 file (damaged or truncated?)",
                         H5_READ_ERRORS):
        return h5py.File(source, "r")


def _read_h5(model, source, label, compile_state):
    """``(pairs, optimizer state)`` from the HDF5 file at ``source`` (a path or
    bytes), all checked; the state only if ``compile_state`` and it has one."""
    h5py = _h5py()
    with _open_h5(h5py, io.BytesIO(source) if isinstance(source, bytes) else source,
                  label) as file, \
            refused(f"{label}: the HDF5 data cannot be read (damaged?)",
                            H5_READ_ERRORS):
        datasets = _walk(h5py, file, "", label)
        pairs = _checked_weights(model, datasets, label)
        state = _checked_optimizer_state(model, datasets, label) if compile_state else None
        arrays = [(weight, np.asarray(dataset[()])) for weight, dataset in pairs]
    return arrays, state


def _check_size(size, model, label, name):
    budget = _budget(model)
    if size > budget:
        raise ModelFileError(f"{label}: {name} holds {size} bytes, more than the weights of "
                             f"model '{model.name}' can take ({budget} bytes): the file is for "
                             f"another, larger model (or forged)")


def load_weights_h5(model, filepath, label):
    """Read Keras's ``.weights.h5`` into ``model``; nothing changes unless every
    weight fits (and the optimizer state, for a compiled model)."""
    require_built(model)
    _check_size(os.path.getsize(filepath), model, label, "the file")
    compiled = getattr(model, "compiled", False)
    pairs, state = _read_h5(model, filepath, label, compiled)
    _restore(model, pairs, state, label)


@contextlib.contextmanager
def _keras_archive(filepath, label):
    """``(archive, {name: ZipInfo})`` of a ``.keras`` file: a zip (checked by
    ``nnlib.saving``) of exactly Keras's three members, from Keras 3."""
    _h5py()  # without h5py, say so before any work
    with open_zip(filepath, label, f"{label} is not a readable .keras file (a zip archive; "
                                      f"damaged or truncated?)") as (archive, members):
        missing = [m for m in MEMBERS if m not in members]
        extra = sorted(set(members) - set(MEMBERS))
        if missing or extra:
            raise ModelFileError(f"{label} is not a .keras model file nnlib reads: it "
                                 + (f"lacks {missing}" if missing else
                                    f"has unexpected members {short_repr(extra)}")
                                 + f"; a .keras file holds {list(MEMBERS)}")
        metadata = read_json(archive, members["metadata.json"], label)
        version = metadata.get("keras_version") if isinstance(metadata, dict) else None
        if not isinstance(version, str) or not version.startswith("3."):
            raise ModelFileError(f"{label}: metadata.json must name a Keras 3 version "
                                 f"(keras_version), got {short_repr(metadata)}")
        yield archive, members


def _weights_member(archive, members, model, label, compile_state):
    """``(pairs, optimizer state)`` from ``model.weights.h5``, read only if it is
    no larger than ``model`` needs (``_budget``), then checked (``_read_h5``)."""
    info = members["model.weights.h5"]
    _check_size(info.file_size, model, label, "model.weights.h5")
    with refused(f"{label}: model.weights.h5 cannot be read (damaged or "
                         f"truncated?)"), archive.open(info) as stream:
        data = b"".join(iter(lambda: stream.read(2 ** 20), b""))
    return _read_h5(model, data, label, compile_state)


def load_keras(filepath, label, custom_objects=None, compile=True):
    """The model in the ``.keras`` file at ``filepath`` (see the module docstring)."""
    with _keras_archive(filepath, label) as (archive, members):
        record = read_json(archive, members["config.json"], label)
        with refused(f"{label}: config.json does not describe a model nnlib can "
                             f"build", (ValueError, TypeError, KeyError)):
            config = model_from_keras(record, custom_objects)
        model = build_model(config, custom_objects, label)
        compile_config = config["compile_config"] if compile else None
        if compile_config is not None:
            with refused(f"{label}: the compile arguments in config.json cannot "
                                 f"compile the model", Exception):
                model.compile_from_config(compile_config)
        pairs, state = _weights_member(archive, members, model, label,
                                       compile_config is not None)
    _restore(model, pairs, state, label)
    return model


def load_weights_from_keras(model, filepath, label):
    """Read the weights (and, into a compiled model, the optimizer state) of the
    ``.keras`` file at ``filepath`` into ``model``; nothing changes unless all fit."""
    require_built(model)
    with _keras_archive(filepath, label) as (archive, members):
        pairs, state = _weights_member(archive, members, model, label,
                                       getattr(model, "compiled", False))
    _restore(model, pairs, state, label)


def _restore(model, pairs, state, label):
    """The optimizer's state (its last checks may refuse it), then the weights."""
    if state is not None:
        with refused(f"{label}: the optimizer state cannot be restored", ValueError):
            model.optimizer.set_state(state)
    assign(pairs)

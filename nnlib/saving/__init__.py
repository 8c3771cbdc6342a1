"""Saving and loading models: nnlib's own files and Keras 3's.

Four functions, each choosing the format by the file's name:

* ``save_model(model, "m.nnlib")`` / ``load_model``: the whole model
  (architecture, weights, compile arguments, optimizer state) in one zip
  archive; ``.keras`` gives Keras 3's archive, which Keras loads as it is;
* ``save_weights(model, "m.weights.npz")`` / ``load_weights``: the weights
  alone; ``.weights.h5`` gives Keras's.

A weight's key in every format comes from where it sits in the model, as in
Keras: ``layers/dense_1/kernel`` is the kernel of the second ``Dense`` layer
(``weight_keys``), not from its name, which changes between two builds of
one architecture (``dense_3`` the second time); a nested model adds its own
level, ``layers/functional/layers/dense/kernel``.  nnlib's formats are in
``nnlib.saving.nnlib_files``, Keras's in ``nnlib.interop.keras_file`` (which
needs h5py: ``pip install nnlib-reference[keras]``).  Files are written to a
temporary name first and renamed, so an interrupted save never leaves half a
file.

Loading treats the file as untrusted, whatever its format.  It runs no code
from it: classes are found only in the registry (or ``custom_objects``, or
those registered with ``register_keras_serializable``) and arrays are read
without pickle.  It checks everything before it changes anything: a file
that is not a model file, is damaged, lacks a weight, has a weight of
another shape or describes another architecture raises ``ModelFileError``
naming the problem, and the model keeps its weights.  And it is bounded: a
file can make the loader do no more work, nor take more memory, than the
model the file really holds needs.  Before any array is read or any weight
allocated (``nnlib.saving.bounds``):

1. the zip's directory is checked: no member twice, no directory, no
   encryption, only stored or deflated members, none claiming to expand
   beyond what its compression can give (deflate: 1032 to 1), and no more
   compressed bytes than the file has; a model file holds exactly the members
   of its format;
2. ``metadata.json`` and ``config.json`` are read only if they are at most
   ``MAX_JSON_BYTES`` long, and parsed only if they nest at most
   ``MAX_JSON_DEPTH`` deep (``json_depth`` measures it on the text);
3. the model is built from the config under ``deferred_initialization``:
   its weights have shapes and dtypes but no values;
4. the weights' member is read only if it is no larger than the weights
   (and the optimizer's slots) can take;
5. each stored array's declared shape and dtype are checked against the
   weight of its key;
6. only then is each array read, into an array of the size just checked.
"""
import os

from ..checks import flag
from ..custom_objects import (CustomObjectScope, custom_object_scope, get_custom_objects,
                              get_registered_name, get_registered_object,
                              register_keras_serializable)
from ..serialization import deserialize_keras_object, serialize_keras_object
from . import nnlib_files
from .bounds import (MAX_JSON_BYTES, MAX_JSON_DEPTH, ModelFileError, check_suffix, json_depth,
                     require_built, require_file, weight_keys)
from .nnlib_files import MEMBERS

# The file names save and save_weights take: nnlib's own formats, and Keras 3's.
MODEL_SUFFIXES = (".nnlib", ".keras")
WEIGHTS_SUFFIXES = (".weights.npz", ".weights.h5")


def _keras_file():
    """``nnlib.interop.keras_file``, imported when a Keras file is asked for (it
    imports h5py when it reads or writes one)."""
    from ..interop import keras_file
    return keras_file


def _may_write(filepath, overwrite, what):
    """Keras's ``overwrite``: ``False`` refuses to replace an existing file (Keras
    asks at a prompt, which a notebook or a script run unattended cannot answer)."""
    if not flag(what, "overwrite", overwrite) and os.path.exists(filepath):
        raise FileExistsError(f"{what}: {filepath!r} exists and overwrite=False; remove it, "
                              f"choose another name or pass overwrite=True")


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Write every weight of ``model`` to ``filepath``: nnlib's ``.weights.npz``
    or Keras's ``.weights.h5`` (in one file: Keras's ``max_shard_size``, which
    splits large models into several, is not followed)."""
    filepath = check_suffix(filepath, WEIGHTS_SUFFIXES, "save_weights")
    if max_shard_size is not None:
        raise ValueError(f"save_weights: nnlib writes the weights in one file; leave "
                         f"max_shard_size out, got {max_shard_size!r}")
    _may_write(filepath, overwrite, "save_weights")
    if filepath.endswith(".weights.h5"):
        _keras_file().save_weights_h5(model, filepath)
    else:
        nnlib_files.save_weights(model, filepath)


def load_weights(model, filepath, skip_mismatch=False):
    """Read weights into ``model`` from a ``.weights.npz`` file, a whole-model
    ``.nnlib`` file, or Keras's ``.weights.h5`` or ``.keras``; nothing changes
    unless every weight fits (Keras's ``skip_mismatch=True``, which loads what
    fits and skips the rest, is refused)."""
    if flag("load_weights", "skip_mismatch", skip_mismatch):
        raise ValueError("load_weights: nnlib loads every weight or none, so that a model "
                         "never mixes two files' weights; skip_mismatch=True is not followed")
    filepath = os.fspath(filepath)
    require_file(filepath)
    label = f"'{filepath}'"
    require_built(model)
    if filepath.endswith(".weights.h5"):
        _keras_file().load_weights_h5(model, filepath, label)
    elif filepath.endswith(".keras"):
        _keras_file().load_weights_from_keras(model, filepath, label)
    else:
        nnlib_files.load_weights(model, filepath, label)


def save_model(model, filepath, overwrite=True, zipped=None):
    """Write ``model`` (architecture, weights, compile arguments and optimizer
    state) to ``filepath``: nnlib's ``.nnlib`` or Keras's ``.keras``, a zip
    archive (Keras's ``zipped=False``, a folder, is refused)."""
    filepath = check_suffix(filepath, MODEL_SUFFIXES, "save")
    if zipped not in (None, True):
        raise ValueError(f"save: nnlib writes a model as one zip archive; leave zipped out "
                         f"(or True), got {zipped!r}")
    _may_write(filepath, overwrite, "save")
    if filepath.endswith(".keras"):
        _keras_file().save_keras(model, filepath)
    else:
        nnlib_files.save_model(model, filepath)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in ``filepath`` by ``model.save``, with its weights and,
    if it was compiled (and ``compile`` is true), compiled with its optimizer's
    state restored.  Layers that are not registered with nnlib are found in
    ``custom_objects`` (``{"MyLayer": MyLayer}``).  Every check of the module
    docstring comes first: a file that fails one raises ``ModelFileError``.
    A ``.keras`` file is Keras 3's, read under the same rules.

    ``safe_mode`` is Keras's: with it, Keras refuses to run code stored in a
    file (a ``Lambda`` layer's).  nnlib runs none either way, so it is always
    safe; the argument is taken so that Keras's calls run."""
    flag("load_model", "safe_mode", safe_mode)
    filepath = os.fspath(filepath)
    require_file(filepath)
    label = f"'{filepath}'"
    if filepath.endswith(".keras"):
        return _keras_file().load_keras(filepath, label, custom_objects, compile)
    return nnlib_files.load_model(filepath, label, custom_objects, compile)


__all__ = ["CustomObjectScope", "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "MEMBERS", "MODEL_SUFFIXES",
           "ModelFileError", "WEIGHTS_SUFFIXES", "custom_object_scope",
           "deserialize_keras_object", "get_custom_objects", "get_registered_name",
           "get_registered_object", "json_depth", "load_model", "load_weights",
           "register_keras_serializable", "save_model", "save_weights",
           "serialize_keras_object", "weight_keys"]

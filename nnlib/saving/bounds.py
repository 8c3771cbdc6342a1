"""Reading an untrusted model file within bounds: the checks that nnlib's own
files (``nnlib.saving.nnlib_files``) and Keras's (``nnlib.interop.keras_file``)
share.

A zip archive's directory is checked before any member is read
(``open_zip``); a JSON member is read only if it is short enough and parsed
only if it nests shallowly enough (``read_json``); the weights a file holds
are checked against the model's, by key, shape and dtype, before any is
read (``check_weights``); every error of a damaged file becomes a
``ModelFileError`` naming it (``refused``).  The limits are the module's
constants.
"""
import contextlib
import io
import json
import os
import re
import tempfile
import zipfile
import zlib

from .. import registry
from ..checks import short_repr
from ..layers.base import deferred_initialization
from ..layers.deserialization import layer_from_config

MAX_JSON_BYTES = 4 * 2 ** 20  # a layer's config takes a few hundred bytes
MAX_JSON_DEPTH = 100  # a nested model adds about five levels
MAX_DEFLATE_RATIO = 1032  # the most that deflate expands: 258 bytes from 2 bits
MAX_ITEMSIZE = 8  # the widest number a weights file may hold (float64, int64)
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
    require_built(model)
    return {key: weight for _, key, weight, _ in model.weight_entries()}

def file_keys_by_path(model):
    """``{weight path in named_weights(): file key}``, from the same walk."""
    require_built(model)
    return {path: key for path, key, _, _ in model.weight_entries()}

def require_built(model):
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: it has no weights to save "
                         f"or load; call it on data (or build it) first")

def check_suffix(filepath, suffixes, what):
    """``filepath`` as a string, if it ends in one of ``suffixes``."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(suffixes):
        raise ValueError(f"{what}: the file name must end in "
                         f"{' or '.join(map(repr, suffixes))}, got {filepath!r}")
    return filepath

def write_atomically(filepath, write):
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

def require_file(filepath):
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"no such file: {filepath!r}")

def listing(problems):
    """The problems, one a line, at most ``MAX_LISTED`` of them."""
    more = len(problems) - MAX_LISTED
    return "\n  ".join(problems[:MAX_LISTED] + ([f"... and {more} more"] if more > 0 else []))

@contextlib.contextmanager
def refused(message, errors=READ_ERRORS):
    """Turn ``errors`` raised inside the block into ``ModelFileError(message: error)``."""
    try:
        yield
    except ModelFileError:
        raise
    except errors as error:
        raise ModelFileError(f"{message}: {type(error).__name__}: {error}") from error


# -- reading within bounds ---------------------------------------------------------------------

@contextlib.contextmanager
def open_zip(source, label, failure):
    """``(archive, {name: ZipInfo})`` of the zip at path or in bytes ``source``,
    its directory checked (``checked_members``); ``failure`` says what a damaged one is."""
    size = len(source) if isinstance(source, bytes) else os.path.getsize(source)
    with refused(failure):
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    with archive:
        yield archive, checked_members(archive, size, label)

def checked_members(archive, size, label):
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

def read_json(archive, info, label):
    """The JSON member ``info``, read only if it is small enough, parsed only if
    it is nested shallowly enough."""
    name = info.filename
    if info.file_size > MAX_JSON_BYTES:
        raise ModelFileError(f"{label}: {name} holds {info.file_size} bytes; nnlib reads at most "
                             f"{MAX_JSON_BYTES} (MAX_JSON_BYTES)")
    with refused(f"{label}: {name} cannot be read (damaged or truncated?)"):
        text = archive.read(info).decode("utf-8")
        depth = json_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise ModelFileError(f"{label}: {name} nests {depth} levels deep; nnlib reads at "
                                 f"most {MAX_JSON_DEPTH} (MAX_JSON_DEPTH)")
        return json.loads(text)

def is_number(header):
    return header.dtype.kind in "fiu" and header.dtype.itemsize <= MAX_ITEMSIZE

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
        elif not is_number(header):
            problems.append(f"weight {key} has dtype {header.dtype} in the file, expected "
                            f"numbers")
    if problems:
        raise ModelFileError(f"{label} does not match model '{model.name}':\n  "
                             + listing(problems))

def assign(pairs):
    """Give each weight its array from the file (read for it alone: no copy)."""
    for weight, array in pairs:
        weight.assign(array, copy=False)

def build_model(config, custom_objects, label):
    """The model ``config.json`` describes, its weights declared but not drawn."""
    if not isinstance(config, dict):
        raise ModelFileError(f"{label}: config.json must hold an object with 'class_name', "
                             f"'config' and 'compile_config', got {short_repr(config)}")
    with refused(f"{label}: config.json does not describe a model nnlib can build",
                  Exception), deferred_initialization():
        model = layer_from_config(config, custom_objects)
    if not isinstance(model, tuple(entry.cls for entry in registry.entries("model"))):
        raise ModelFileError(f"{label}: config.json describes {type(model).__name__} "
                             f"'{getattr(model, 'name', '?')}', not a model")
    if not model.built:  # save writes built models only: a Sequential lost its input
        raise ModelFileError(f"{label}: config.json describes {type(model).__name__} "
                             f"'{model.name}' without its input, so without weights")
    return model

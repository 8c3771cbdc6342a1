"""Where ``fit``, ``evaluate`` and ``predict`` get their batches.

Data comes as arrays (``x``, ``y``, ``sample_weight``), as a
``nnlib.utils.PyDataset`` or as a Python generator of batches.  Each becomes
the same thing, a *source*: something to iterate over for one pass, giving
batches ``(xs, ys, sample_weights)`` already lined up with the model's inputs
and outputs (``Trainer.line_up``), and that knows its ``num_batches`` per
pass (``None`` for a generator: unknown).  ``Epochs`` then cuts a source into
epochs of ``steps`` batches, as Keras 3's ``steps_per_epoch``.

Class weights (``fit(class_weight=...)``) become sample weights by Keras's
rule (``class_sample_weights``: each sample weighs as much as its class),
for all the arrays at once or batch by batch for a PyDataset.
"""
import itertools
import math
import types
import warnings

import numpy as np

from ..checks import is_number, is_whole
from ..utils import PyDataset, generator

RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or "
           "generator can generate at least `steps_per_epoch * epochs` batches.")


def batches(n, batch_size, order=None):
    """Index arrays of consecutive batches over ``n`` samples (in ``order`` if given)."""
    order = np.arange(n) if order is None else order
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def take(arrays, index):
    """The rows ``index`` of every array (``None`` stays ``None``)."""
    return [None if a is None else a[index] for a in arrays]


def kind_of(x):
    """``"PyDataset"``, ``"generator"`` or ``None`` (arrays), for the data ``x``."""
    if isinstance(x, PyDataset):
        return "PyDataset"
    if isinstance(x, types.GeneratorType):
        return "generator"
    return None


def unpack(batch, kind):
    """``(x, y, sample_weight)`` from a batch given as ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (a lone array or dict is ``x``)."""
    if isinstance(batch, (np.ndarray, dict)):
        return batch, None, None
    if isinstance(batch, (tuple, list)) and 1 <= len(batch) <= 3:
        return (*batch, None, None)[:3]
    raise ValueError(f"a {kind} must give batches (x,), (x, y) or (x, y, sample_weight), got "
                     f"{type(batch).__name__}"
                     + (f" of {len(batch)} items" if isinstance(batch, (tuple, list)) else ""))


def check_class_weight(owner, class_weight, outputs):
    """``class_weight``: a dict ``{class index: weight}`` of whole numbers >= 0 and
    finite numbers, for a model with a single output (as Keras)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"{owner}: class_weight must be a dict {{class index: weight}}, got "
                        f"{type(class_weight).__name__}")
    for label, weight in class_weight.items():
        if not is_whole(label, 0) or not is_number(weight) or not math.isfinite(weight):
            raise ValueError(f"{owner}: class_weight must map class indices (whole numbers "
                             f">= 0) to finite numbers, got {label!r}: {weight!r}")
    if outputs > 1:
        raise ValueError(f"{owner}: class_weight works for a model with a single output; this "
                         f"one has {outputs}: weigh each output's samples with sample_weight")


def class_sample_weights(y, class_weight):
    """Keras's sample weights from class weights: each sample weighs
    ``class_weight.get(c, 1.0)`` for its class ``c``, read from sparse
    targets ``(n,)`` or ``(n, 1)`` or from one-hot rows ``(n, classes)`` (their argmax).

    >>> class_sample_weights(np.array([0, 1, 1, 2]), {1: 3.0})
    array([1., 3., 3., 1.], dtype=float32)
    """
    y = np.asarray(y)
    if y.ndim > 2:
        raise ValueError(f"class_weight needs one class per sample: targets of shape (n,), "
                         f"(n, 1) or one-hot (n, classes), got shape {y.shape}")
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else np.argmax(y, axis=-1)
    labels = np.round(y).astype("int64")
    return np.array([class_weight.get(int(c), 1.0) for c in labels], dtype="float32")


class ArraySource:
    """Arrays lined up as ``(xs, ys, sample_weights)``, cut into batches of
    ``batch_size`` samples, in a new random order for each pass with ``shuffle``."""

    def __init__(self, data, batch_size, shuffle=False):
        self.data = data
        self.samples = len(data[0][0])
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_batches = math.ceil(self.samples / batch_size)

    def __iter__(self):
        order = generator().permutation(self.samples) if self.shuffle else None
        for index in batches(self.samples, self.batch_size, order):
            yield tuple(take(group, index) for group in self.data)


class DatasetSource:
    """A ``PyDataset``'s batches, each lined up by ``line_up(x, y, sample_weight)``;
    ``shuffle`` visits them in a new random order for each pass."""

    def __init__(self, dataset, line_up, shuffle=False):
        self.dataset = dataset
        self.line_up = line_up
        self.shuffle = shuffle
        self.num_batches = dataset.num_batches
        if not is_whole(self.num_batches, 1):
            raise ValueError(f"{type(dataset).__name__}: nnlib needs a PyDataset of a known "
                             f"number of batches, at least one, but it has "
                             f"{self.num_batches!r}")

    def __iter__(self):
        self.dataset.on_epoch_begin()
        order = generator().permutation(self.num_batches) if self.shuffle \
            else range(self.num_batches)
        for index in order:
            yield self.line_up(*unpack(self.dataset[int(index)], "PyDataset"))
        self.dataset.on_epoch_end()


class GeneratorSource:
    """A Python generator's batches, each lined up by ``line_up``.  A generator
    runs once: each pass continues where the last one stopped."""

    num_batches = None

    def __init__(self, batch_generator, line_up):
        self.generator = batch_generator
        self.line_up = line_up
        self.waiting = list(itertools.islice(batch_generator, 1))  # looked at, not used yet
        if not self.waiting:
            raise ValueError("the generator gave no batch: it must give at least one")

    def exhausted(self):
        """Whether no batch is left (looking one batch ahead if needed)."""
        self.waiting = self.waiting or list(itertools.islice(self.generator, 1))
        return not self.waiting

    def __iter__(self):
        while not self.exhausted():
            yield self.line_up(*unpack(self.waiting.pop(), "generator"))


class Epochs:
    """A source cut into epochs, as Keras 3's ``EpochIterator``: each
    ``iter(epochs)`` gives one epoch's ``(step, batch)`` pairs.

    Without ``steps`` an epoch is one pass over the source.  With ``steps``
    it is that many batches, the passes running on from one epoch to the
    next; a pass that ends within an epoch ends the epoch early, with
    Keras's warning (a new pass starts with the next epoch, except for a
    generator, which is then ``exhausted``).
    """

    def __init__(self, source, steps=None):
        self.source = source
        self.steps = steps
        self.running = None  # the pass in progress
        self.seen = 0  # its batches so far

    @property
    def num_batches(self):
        """Batches per epoch, ``None`` if unknown until the end."""
        return self.steps or self.source.num_batches

    def exhausted(self):
        """Whether the source can give no more batches (only a generator can't)."""
        return isinstance(self.source, GeneratorSource) and self.source.exhausted()

    def __iter__(self):
        if self.running is None or not self.steps:
            self.running, self.seen = iter(self.source), 0
        for step in range(self.steps) if self.steps else itertools.count():
            batch = next(self.running, None)
            if batch is None:  # the pass ended within the epoch
                self.running = None
                if self.steps or step == 0:
                    warnings.warn(RAN_OUT, stacklevel=3)
                return
            self.seen += 1
            yield step, batch
        if self.seen == self.source.num_batches:  # the pass ended with the epoch:
            next(self.running, None)  # let the source close it (PyDataset.on_epoch_end)
            self.running = None

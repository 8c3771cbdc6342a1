"""``PyDataset``: data given batch by batch, as Keras 3's ``keras.utils.PyDataset``."""

from ..checks import flag, whole_number


class PyDataset:
    """A dataset that makes its batches on demand: subclass it, define
    ``__len__`` (the number of batches, or the property ``num_batches``) and
    ``__getitem__(index)`` returning the batch ``index`` as ``(x, y)`` or
    ``(x, y, sample_weight)`` (``(x,)`` is enough for ``predict``), and pass
    it to ``fit``, ``evaluate`` or ``predict`` in place of ``x`` (without
    ``y``, ``sample_weight`` and ``batch_size``: the batches hold them).

    ``on_epoch_begin()`` and ``on_epoch_end()`` are called around each pass
    over the batches (to reshuffle the samples, say); ``fit(shuffle=True)``
    visits the batches in a new random order each epoch.

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are Keras's
    arguments for making batches in parallel; nnlib keeps them but makes the
    batches one after another, in the process that trains.

    >>> import numpy as np
    >>> class Halves(PyDataset):
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, index):
    ...         return np.full((3, 1), index), np.zeros(3)
    >>> Halves().num_batches, Halves()[1][0].ravel().tolist()
    (2, [1, 1, 1])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        owner = type(self).__name__
        self.workers = whole_number(owner, "workers", workers)
        self.use_multiprocessing = flag(owner, "use_multiprocessing", use_multiprocessing)
        self.max_queue_size = whole_number(owner, "max_queue_size", max_queue_size)

    @property
    def num_batches(self):
        """The number of batches: ``len(self)`` (as in Keras 3, a subclass may
        define this property instead of ``__len__``)."""
        if not hasattr(self, "__len__"):
            raise NotImplementedError(f"{type(self).__name__}: a PyDataset defines __len__ "
                                      f"(or the property num_batches), its number of batches")
        return len(self)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a PyDataset defines "
                                  f"__getitem__(index), returning the batch index")

    def on_epoch_begin(self):
        """Called before each pass over the batches."""

    def on_epoch_end(self):
        """Called after each pass over the batches."""

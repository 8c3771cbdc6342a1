"""A loss written as a function of ``nnlib.ops``, differentiated by the gradient tape.

Keras takes ``compile(loss=fn)`` for any ``fn(y_true, y_pred)`` that returns
the per-sample losses, and differentiates it automatically.  nnlib's own
losses write their gradient by hand (``per_sample_backward``); a function
has none, so ``LossFunctionWrapper`` (Keras's name) runs it on the tape
(``nnlib.ops.GradientTape``) and the tape's reverse walk gives
:math:`\\partial L/\\partial \\hat y`.  Everything else (sample weights,
masks, the reduction) is ``Loss``'s, as for every loss.
"""
import numpy as np

from .. import ops
from .base import Loss


class LossFunctionWrapper(Loss):
    """A ``Loss`` from ``fn(y_true, y_pred, **kwargs) -> per-sample losses``.

    ``fn`` must compute with ``nnlib.ops`` (or the operators of the tensor it
    receives: ``+ - * / **``, indexing), so that the tape records it; the
    losses it returns have one value per sample (Keras's losses average the
    last axis: ``ops.mean(ops.square(y_pred - y_true), axis=-1)``).

    >>> def mean_fourth_power(y_true, y_pred):
    ...     return ops.mean((y_pred - y_true) ** 4, axis=-1)
    >>> loss = LossFunctionWrapper(mean_fourth_power, dtype="float64")
    >>> value, cache = loss.forward(np.zeros((2, 2)), np.ones((2, 2)))
    >>> float(value), loss.backward(1.0, cache).tolist()  # d/dp of mean(p**4) = 4 p**3 / 4
    (1.0, [[1.0, 1.0], [1.0, 1.0]])
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be a function fn(y_true, y_pred), "
                            f"got {fn!r}")
        super().__init__(reduction, name or getattr(fn, "__name__", None), dtype)
        self.fn = fn
        self.kwargs = kwargs

    def __repr__(self):  # the function itself has no config to show
        return (f"LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, "
                f"reduction={self.reduction!r}, name={self.name!r})")

    def per_sample(self, y_true, y_pred):
        with ops.GradientTape() as tape:
            watched = tape.watch(y_pred)
            losses = self.fn(y_true, watched, **self.kwargs)
        if not isinstance(losses, ops.Tensor):
            raise self.error(f"{getattr(self.fn, '__name__', 'the function')} returned a "
                             f"{type(losses).__name__} the tape did not record, so it has no "
                             f"gradient: compute with nnlib.ops (ops.mean, ops.square...) or "
                             f"the operators of the y_pred it receives, not NumPy's functions")
        return np.asarray(losses.value), (tape, losses, watched)

    def per_sample_backward(self, d_losses, cache):
        tape, losses, watched = cache
        return tape.gradient(losses, watched, output_gradients=d_losses)

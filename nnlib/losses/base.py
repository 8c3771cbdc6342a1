"""What every loss shares: input checks, sample weights, masks and the reduction.

A loss follows the layer protocol's shape::

    value, cache = loss.forward(y_true, y_pred, sample_weight=None, mask=None)
    d_pred = loss.backward(d_loss, cache)

and ``loss(y_true, y_pred)`` returns the value alone.  A subclass writes two
methods, the formula of one sample's loss and its gradient:

``per_sample(y_true, y_pred) -> (losses, cache)``
    the per-sample losses :math:`\\ell_m`, one for each position of the
    prediction without its class (last) axis: shape ``(n,)`` for predictions
    ``(n, d)``, ``(n, T)`` for sequences ``(n, T, d)``;
``per_sample_backward(d_losses, cache) -> d_pred``
    :math:`\\partial L/\\partial \\hat y` given :math:`\\partial L/\\partial \\ell_m`.

The rest is Keras 3's ``Loss.__call__``, written once here.  With weights
:math:`w_m` (sample weights times the mask) the reductions are

* ``"sum_over_batch_size"`` (default; ``"mean"`` is the same):
  :math:`L = \\frac{1}{M}\\sum_m w_m \\ell_m` over the :math:`M` per-sample losses;
* ``"sum"``: :math:`L = \\sum_m w_m \\ell_m`;
* ``"mean_with_sample_weight"``: :math:`L = \\sum_m w_m \\ell_m / \\sum_m w_m`
  (0 when the weights sum to 0);
* ``"none"`` (or ``None``): the array :math:`w_m \\ell_m`.

A reduction is linear in the losses, :math:`L = s \\sum_m w_m \\ell_m`, so the
backward pass starts from :math:`\\partial L/\\partial \\ell_m = s\\, w_m`
times the incoming gradient.

A mask (``True`` where a position is real, ``False`` where it is padding)
has the shape of the per-sample losses.  As in Keras's ``apply_mask``, it
multiplies the sample weights; under the two mean reductions each of the
:math:`V` valid positions gets weight :math:`M/V` (0 if none is valid), so
that the mean runs over the valid positions alone:
:math:`L = \\frac{1}{V}\\sum_{m \\text{ valid}} w_m \\ell_m`.

Two corners where nnlib differs from Keras 3.15 on purpose: under
``"mean_with_sample_weight"`` a scalar weight (or one broadcast along time
steps) is summed over every loss it weights, so the result stays a mean
(Keras divides by the unbroadcast weights); and ``"none"`` always returns the
per-sample losses' shape (Keras returns ``(n, 1)`` for losses ``(n,)``
weighted by ``(n, 1)``).
"""
import numpy as np

from .. import registry
from ..backend import as_float_array, standardize_dtype
from ..metrics import same_rank
from ..serialization import Configurable

EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
MEAN_REDUCTIONS = ("sum_over_batch_size", "mean")


class Loss(Configurable):
    """Base class of the losses; see the module docstring for the protocol.

    The config is the arguments of ``__init__`` (see ``nnlib.serialization``).

    Args:
        reduction: one of ``REDUCTIONS``; Keras's default ``"sum_over_batch_size"``.
        name: defaults to the class name in snake case (``mean_squared_error``).
        dtype: the float type of the computation; ``None`` means ``floatx()``.
    """

    differentiable = True

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.name = name or registry.snake_case(type(self).__name__)
        self.dtype = standardize_dtype(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        value, _ = self.forward(y_true, y_pred, sample_weight, mask)
        return value

    def forward(self, y_true, y_pred, sample_weight=None, mask=None):
        """The reduced loss and the cache ``backward`` needs."""
        pred_shape = np.shape(y_pred)
        y_true, y_pred = self.prepare(y_true, y_pred)
        losses, per_sample_cache = self.per_sample(y_true, y_pred)
        weights = self.weights(sample_weight, mask, losses.shape)
        scale = self.reduction_scale(weights, losses.size)
        weighted = losses if weights is None else losses * weights
        value = weighted if self.reduction in ("none", None) else weighted.sum() * scale
        return (np.asarray(value, dtype=self.dtype),
                (per_sample_cache, weights, scale, losses.shape, pred_shape))

    def backward(self, d_loss, cache):
        """:math:`\\partial L/\\partial \\hat y`, with the shape ``y_pred`` was given in."""
        per_sample_cache, weights, scale, shape, pred_shape = cache
        d_losses = np.broadcast_to(np.asarray(d_loss, self.dtype) * scale, shape)
        if weights is not None:
            d_losses = d_losses * weights
        return self.per_sample_backward(d_losses, per_sample_cache).reshape(pred_shape)

    # -- the shared steps ----------------------------------------------------------
    def prepare(self, y_true, y_pred):
        """Cast both to the loss's dtype and insist on equal shapes.

        As in Keras, labels ``(n,)`` against predictions ``(n, 1)`` (or the
        reverse) are both read as ``(n, 1)``; any other difference is an
        error, never a broadcast.  Subclasses transform the labels here
        (label smoothing, one-hot encoding).
        """
        true_shape, pred_shape = np.shape(y_true), np.shape(y_pred)
        y_true = as_float_array(y_true, self.dtype, self.describe())
        y_pred = as_float_array(y_pred, self.dtype, self.describe())
        y_true, y_pred = same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise self.error(f"y_true and y_pred must have the same shape, got {true_shape} "
                             f"and {pred_shape}")
        if y_pred.ndim == 0:
            raise self.error("expected predictions with at least one axis, got a scalar")
        return y_true, y_pred

    def weights(self, sample_weight, mask, shape):
        """:math:`w_m`: the sample weights times the mask's weights (see the module);
        ``None`` when there are neither, every loss weighing 1."""
        if sample_weight is None and mask is None:
            return None
        weights = np.ones(shape, self.dtype)
        if sample_weight is not None:
            weights = weights * self.fit_to_losses(sample_weight, shape, "sample_weight")
        if mask is not None:
            valid = self.fit_to_losses(mask, shape, "mask") != 0
            mask_weight = 1.0
            if self.reduction in MEAN_REDUCTIONS:
                count = int(valid.sum())
                mask_weight = valid.size / count if count else 0.0
            weights = np.where(valid, weights * mask_weight, 0).astype(self.dtype)
        return weights

    def reduction_scale(self, weights, size):
        """:math:`s` in :math:`L = s\\sum_m w_m\\ell_m` over ``size`` losses (1 for
        ``"sum"`` and ``"none"``)."""
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            total = float(weights.sum())
            return 1.0 / total if total else 0.0
        if self.reduction in MEAN_REDUCTIONS + ("mean_with_sample_weight",):
            return 1.0 / max(size, 1)
        return 1.0

    def fit_to_losses(self, array, shape, what):
        """``array`` (sample weights or a mask) broadcast to the per-sample losses' ``shape``.

        Keras's rules: a trailing axis of length 1 is dropped or added when
        the ranks differ by one (``(n, 1)`` fits losses ``(n,)``), then the
        array must broadcast to ``shape`` without changing it: a scalar, the
        losses' own shape, or axes of length 1 such as ``(n, 1)`` for
        losses ``(n, T)``.
        """
        given = np.shape(array)
        array = as_float_array(array, self.dtype, self.describe())
        if array.ndim == len(shape) + 1 and given[-1] == 1:
            array = array[..., 0]
        elif array.ndim + 1 == len(shape) and shape[-1] == 1:
            array = array[..., None]
        try:
            fits = np.broadcast_shapes(array.shape, shape) == tuple(shape)
        except ValueError:
            fits = False
        if not fits:
            hint = f" (one weight per sample: shape {shape[:1] + (1,) * (len(shape) - 1)})" \
                if len(shape) > 1 else ""
            raise self.error(f"{what} of shape {given} does not fit per-sample losses of "
                             f"shape {tuple(shape)}{hint}")
        return np.broadcast_to(array, shape)

    def describe(self):
        return f"{type(self).__name__} '{self.name}'"

    def error(self, message):
        """A ``ValueError`` whose message names this loss."""
        return ValueError(f"{self.describe()}: {message}")

    # -- what a subclass writes ----------------------------------------------------
    def per_sample(self, y_true, y_pred):
        raise NotImplementedError

    def per_sample_backward(self, d_losses, cache):
        raise NotImplementedError


class ElementwiseLoss(Loss):
    """A loss that averages an element-wise term over the last axis.

    .. math::

        \\ell = \\frac{1}{d}\\sum_{i=1}^{d} f(y_i, \\hat y_i), \\qquad
        \\frac{\\partial \\ell}{\\partial \\hat y_i} = \\frac{1}{d}\\,
            \\frac{\\partial f}{\\partial \\hat y}(y_i, \\hat y_i)

    Subclasses write ``function(y_true, y_pred)`` for :math:`f` and
    ``derivative(y_true, y_pred)`` for :math:`\\partial f/\\partial \\hat y`,
    as element-wise activations do.  ``axis`` is the averaged axis (``-1``).
    """

    axis = -1

    def function(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError

    def per_sample(self, y_true, y_pred):
        return np.mean(self.function(y_true, y_pred), axis=self.axis), (y_true, y_pred)

    def per_sample_backward(self, d_losses, cache):
        y_true, y_pred = cache
        d = y_pred.shape[self.axis]
        return np.expand_dims(d_losses, self.axis) * self.derivative(y_true, y_pred) / d

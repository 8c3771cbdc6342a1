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

and, if its labels or predictions have a domain, ``check_values(y_true,
y_pred)``, which refuses values outside it with the likely fix (binary
cross-entropy on labels 0..9: "use sparse_categorical_crossentropy").  It
runs on every training step, so when all is well it costs a minimum and a
maximum of the batch (about 1 microsecond each for 32 by 10); NaN passes it,
for ``fit`` and ``evaluate`` refuse non-finite data and ``TerminateOnNaN``
watches the loss.

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

Numbers: a loss computes in its ``dtype``, except float16, whose range
(:math:`6.5 \\cdot 10^4`) cannot hold the squares and sums on the way to a
result that fits: a float16 loss rounds its inputs to float16, computes in
float32 (``compute_dtype``) and rounds its value and gradient back to float16,
as Keras does for its own float16 statistics.  (Keras computes a float16 loss
in float16, where binary cross-entropy's bound :math:`1 - 10^{-7}` rounds to
1, so that the loss at :math:`p = 1` takes :math:`\\log 0`: inf or NaN, or 100
on PyTorch, which clamps the log at -100.)  Each formula is written so
that no NaN and no inf arises from finite inputs unless the exact value
exceeds the dtype's range (the squared error of :math:`10^{30}` in float32 is
inf).

Three corners where nnlib differs from Keras 3.15 on purpose: under
``"mean_with_sample_weight"`` a scalar weight (or one broadcast along time
steps) is summed over every loss it weights, so the result stays a mean
(Keras divides by the unbroadcast weights); ``"none"`` always returns the
per-sample losses' shape (Keras returns ``(n, 1)`` for losses ``(n,)``
weighted by ``(n, 1)``); and labels or predictions outside a loss's domain
are refused (``check_values``) where Keras clips or converts them silently.
"""
import numpy as np

from .. import registry
from ..backend import as_float_array, standardize_dtype, widened, working_dtype
from ..metrics import same_rank
from ..serialization import Configurable

EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]
ORDER_ADVICE = "The order is loss(y_true, y_pred)."  # for predictions that look like labels
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
MEAN_REDUCTIONS = ("sum_over_batch_size", "mean")


class Loss(Configurable):
    """Base class of the losses; see the module docstring for the protocol.

    The config is the arguments of ``__init__`` (see ``nnlib.serialization``).

    Args:
        reduction: one of ``REDUCTIONS``; Keras's default ``"sum_over_batch_size"``.
        name: defaults to the class name in snake case (``mean_squared_error``).
        dtype: the float type of the inputs and results; ``None`` means
            ``floatx()`` (float16 computes in float32, see ``compute_dtype``).
    """

    differentiable = True

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.name = name or registry.snake_case(type(self).__name__)
        self.dtype = standardize_dtype(dtype)

    @property
    def compute_dtype(self):
        """The dtype of the arithmetic: the loss's own, float32 for float16
        (``nnlib.backend.working_dtype``)."""
        return working_dtype(self.dtype)

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
        d_losses = np.broadcast_to(np.asarray(d_loss, self.compute_dtype) * scale, shape)
        if weights is not None:
            d_losses = d_losses * weights
        d_pred = self.per_sample_backward(d_losses, per_sample_cache)
        return d_pred.reshape(pred_shape).astype(self.dtype, copy=False)

    # -- the shared steps ----------------------------------------------------------
    def prepare(self, y_true, y_pred):
        """Cast both (``as_array``), insist on equal shapes, then ``check_values``.

        As in Keras, labels ``(n,)`` against predictions ``(n, 1)`` (or the
        reverse) are both read as ``(n, 1)``; any other difference is an
        error, never a broadcast.  Subclasses transform the labels here
        (label smoothing, one-hot encoding).
        """
        true_shape, pred_shape = np.shape(y_true), np.shape(y_pred)
        y_true, y_pred = same_rank(self.as_array(y_true), self.as_array(y_pred))
        if y_true.shape != y_pred.shape:
            raise self.error(f"y_true and y_pred must have the same shape, got {true_shape} "
                             f"and {pred_shape}{self.shape_advice(true_shape, pred_shape)}")
        if y_pred.ndim == 0:
            raise self.error("expected predictions with at least one axis, got a scalar")
        self.check_values(y_true, y_pred)
        return y_true, y_pred

    def as_array(self, x):
        """``x`` rounded to the loss's ``dtype``, in its ``compute_dtype``."""
        return widened(as_float_array(x, self.dtype, self.describe()))

    def shape_advice(self, true_shape, pred_shape):
        """What to add to the message on shapes that differ (nothing, here)."""
        return ""

    def check_values(self, y_true, y_pred):
        """Refuse labels or predictions outside the loss's domain (none, here)."""

    def check_range(self, values, what, low, high=None, advice=""):
        """Refuse ``values`` below ``low`` or above ``high`` (``None``: no bound),
        naming the first one, the range found and ``advice``.  A minimum (and a
        maximum) when every value is inside; NaN passes (see the module)."""
        if values.size and (values.min() < low or high is not None and values.max() > high):
            outside = (values < low) | (values > (np.inf if high is None else high))
            index = tuple(int(i) for i in np.argwhere(outside)[0])
            domain = f">= {low:g}" if high is None else f"in [{low:g}, {high:g}]"
            raise self.error(f"{what} must be {domain}, got {values[index]:g} at index "
                             f"{index} (values from {np.nanmin(values):g} to "
                             f"{np.nanmax(values):g}). {advice}")

    def weights(self, sample_weight, mask, shape):
        """:math:`w_m`: the sample weights times the mask's weights (see the module);
        ``None`` when there are neither, every loss weighing 1."""
        if sample_weight is None and mask is None:
            return None
        weights = np.ones(shape, self.compute_dtype)
        if sample_weight is not None:
            weights = weights * self.fit_to_losses(sample_weight, shape, "sample_weight")
        if mask is not None:
            valid = self.fit_to_losses(mask, shape, "mask") != 0
            mask_weight = 1.0
            if self.reduction in MEAN_REDUCTIONS:
                count = int(valid.sum())
                mask_weight = valid.size / count if count else 0.0
            weights = np.where(valid, weights * mask_weight, 0).astype(self.compute_dtype)
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
        array = self.as_array(array)
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

"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization`` (Keras 3).

Both standardize their input over a set :math:`R` of axes, then scale and
shift it with learned weights :math:`\\gamma` and :math:`\\beta`:

.. math::

    \\mu = \\frac1N \\sum_R x, \\qquad
    \\sigma^2 = \\frac1N \\sum_R (x - \\mu)^2, \\qquad
    \\hat x = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}, \\qquad
    y = \\gamma \\hat x + \\beta

with :math:`N` the number of values the sums run over (the variance is the
biased one, divided by :math:`N`).  What tells the layers apart is :math:`R`:

* ``BatchNormalization`` takes one mean per channel (the axis ``axis``) over
  every other axis: across the samples of the batch (and the positions of an
  image or a sequence).  In training it uses the batch's statistics and keeps
  moving averages of them, which it uses at inference.
* ``LayerNormalization`` takes one mean per sample over the axes ``axis`` (the
  features): no batch statistics, the same computation in training and at
  inference.

The backward pass.  :math:`x` reaches the loss three ways: directly through
:math:`\\hat x`, through :math:`\\mu` and through :math:`\\sigma^2`, each of
which depends on every :math:`x` of its group.  Adding the three paths, with
:math:`\\delta = \\partial L/\\partial \\hat x = \\gamma\\, \\partial L/\\partial y`
and :math:`s = 1/\\sqrt{\\sigma^2 + \\epsilon}`, gives the compact form

.. math::

    \\frac{\\partial L}{\\partial x} = \\frac{s}{N}\\Big(N\\delta - \\sum_R \\delta
        - \\hat x \\sum_R \\delta \\hat x\\Big)

(the mean of :math:`\\delta` and its projection on :math:`\\hat x` are taken
out: moving every :math:`x` of a group together, or scaling them, does not
change :math:`\\hat x`).  The weights get
:math:`\\partial L/\\partial \\gamma = \\sum \\partial L/\\partial y \\odot \\hat x`
and :math:`\\partial L/\\partial \\beta = \\sum \\partial L/\\partial y`, summed
over the axes :math:`\\gamma` does not span.  The functions ``moments``,
``standardize`` and ``standardize_backward`` below are these formulas; both
layers call them with their own axes.
"""
from typing import NamedTuple

import numpy as np

from .. import initializers, regularizers
from ..backend import working_dtype
from ..checks import component, describe, flag, is_number, real_number, whole_number, \
    whole_numbers
from ..initializers import RandomNormal, RandomUniform
from ..registry import register
from .base import Effects, Layer
from .rnn import unsupported

# Keras's backend.epsilon(): a masked batch divides its sums by (count + 1e-7).
MASK_EPSILON = 1e-7

# Keras arguments nnlib does not implement: {name: (the default, accepted; why not more)}.
NO_RENORM = "batch renormalization is not implemented"
KERAS_ONLY = {"beta_constraint": (None, "nnlib has no weight constraints"),
              "gamma_constraint": (None, "nnlib has no weight constraints"),
              "renorm": (False, NO_RENORM), "renorm_clipping": (None, NO_RENORM),
              "renorm_momentum": (0.99, NO_RENORM),
              "synchronized": (False, "nnlib trains on one device, with the batch's own "
                                      "statistics")}
CONSTRAINTS = ("beta_constraint", "gamma_constraint")


# -- the formulas, shared by both layers ----------------------------------------------------

def moments(x, axes, weights=None):
    """``(mean, variance, count)`` of ``x`` over ``axes`` (kept as axes of size 1).

    The variance is the biased one, :math:`\\frac1N \\sum (x - \\mu)^2`.  With
    ``weights`` :math:`m` (0 or 1, broadcast to ``x``: a mask) only the values
    of weight 1 count: :math:`\\mu = \\sum m x / W`, :math:`\\sigma^2 = \\sum m
    (x - \\mu)^2 / W`, with :math:`W = \\sum m + 10^{-7}` as Keras divides (so an
    all-masked group gives 0 rather than 0/0).  ``count`` is :math:`N` or
    :math:`W`.
    """
    if weights is None:
        count = np.prod([x.shape[a] for a in axes], dtype=float)
        mean = x.mean(axis=axes, keepdims=True)
        variance = np.square(x - mean).mean(axis=axes, keepdims=True)
        return mean, variance, count
    count = weights.sum(axis=axes, keepdims=True) + MASK_EPSILON
    mean = (weights * x).sum(axis=axes, keepdims=True) / count
    variance = (weights * np.square(x - mean)).sum(axis=axes, keepdims=True) / count
    return mean, variance, count


def standardize(x, mean, variance, epsilon):
    """``(x_hat, inv_std)``: :math:`\\hat x = (x - \\mu)\\, s`, :math:`s =
    1/\\sqrt{\\sigma^2 + \\epsilon}`."""
    inv_std = 1.0 / np.sqrt(variance + epsilon)
    return (x - mean) * inv_std, inv_std


def standardize_backward(d_xhat, xhat, inv_std, axes, count, weights=None):
    """:math:`\\partial L/\\partial x` given :math:`\\delta = \\partial L/\\partial
    \\hat x`, when :math:`\\mu` and :math:`\\sigma^2` were computed from ``x`` over
    ``axes`` (``moments``):

    .. math::

        \\frac{\\partial L}{\\partial x} = \\frac{s}{N}\\Big(N\\delta - \\sum \\delta
            - \\hat x \\sum \\delta \\hat x\\Big)

    With ``weights`` :math:`m` (a mask), the same three paths give

    .. math::

        \\frac{\\partial L}{\\partial x} = s\\Big(\\delta - \\frac{m}{W}\\Big(
            \\sum \\delta + \\big(\\hat x - c\\big) \\sum \\delta \\hat x\\Big)\\Big),
        \\qquad c = \\frac{\\sum m \\hat x}{W}

    (every value is standardized, masked or not, so the sums run over all of
    them; only the statistics, through :math:`m`, leave the masked ones out.
    :math:`c` would be 0 if :math:`W` were the count itself; Keras's
    :math:`10^{-7}` makes it a hair more.)  Without weights this is the first
    formula: :math:`m = 1`, :math:`W = N`, :math:`c = 0`.
    """
    sum_d = d_xhat.sum(axis=axes, keepdims=True)
    sum_d_xhat = (d_xhat * xhat).sum(axis=axes, keepdims=True)
    if weights is None:
        return inv_std / count * (count * d_xhat - sum_d - xhat * sum_d_xhat)
    c = (weights * xhat).sum(axis=axes, keepdims=True) / count
    return inv_std * (d_xhat - weights / count * (sum_d + (xhat - c) * sum_d_xhat))


class Standardized(NamedTuple):
    """What a forward pass keeps for its backward pass."""

    xhat: np.ndarray  # the standardized input
    inv_std: np.ndarray  # s = 1 / sqrt(variance + epsilon), kept dimensions
    count: object  # N (or W with a mask), or None when the statistics are constants
    weights: object  # the mask as 0/1 weights, or None
    gamma: object  # gamma broadcastable to the input, or None without scale


def other_axes(rank, axes):
    """The axes of a rank-``rank`` array that are not in ``axes``, as a tuple."""
    return tuple(a for a in range(rank) if a not in axes)


class AffineNormalization(Layer):
    """What both layers share: the checks of ``epsilon``, ``center``, ``scale``
    and of the weights' initializers and regularizers; the weights ``gamma``
    and ``beta`` (Keras's names and order); the input checks; and the affine
    part :math:`y = \\gamma \\hat x + \\beta` with its backward pass.

    A subclass sets ``self.rank`` and ``self.axes`` in ``build`` (the axes
    :math:`\\gamma` spans, as non-negative numbers in increasing order) and
    calls ``add_affine``.
    """

    supports_masking = True  # the output keeps the input's mask

    def check_affine_arguments(self, epsilon, center, scale, beta_initializer,
                               gamma_initializer, beta_regularizer, gamma_regularizer,
                               keras_only):
        owner = describe(self)
        self.epsilon = real_number(owner, "epsilon", epsilon, low=0.0, low_open=True)
        self.center = flag(owner, "center", center)
        self.scale = flag(owner, "scale", scale)
        # An unknown initializer fails here, not at build; the config keeps what was given.
        for name, identifier in (("beta_initializer", beta_initializer),
                                 ("gamma_initializer", gamma_initializer)):
            component(owner, name, initializers.get, identifier)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.beta_regularizer = component(owner, "beta_regularizer", regularizers.get,
                                          beta_regularizer)
        self.gamma_regularizer = component(owner, "gamma_regularizer", regularizers.get,
                                           gamma_regularizer)
        for name in CONSTRAINTS:
            default, why = KERAS_ONLY[name]
            unsupported(owner, name, keras_only.pop(name, default), default, why)

    # -- shapes -------------------------------------------------------------------------------
    def positive_axis(self, axis, shape):
        """``axis`` of an input of ``shape`` as a number ``>= 1``; an axis the
        input does not have, or its batch axis, is refused naming both."""
        rank = len(shape)
        if not -rank <= axis < rank:
            raise self.error(f"axis {axis} is out of range for inputs of shape {tuple(shape)} "
                             f"(rank {rank}: axes 1..{rank - 1} or -{rank - 1}..-1)")
        if axis % rank == 0:
            raise self.error(f"axis {axis} is the batch axis of inputs of shape "
                             f"{tuple(shape)}: the weights cannot depend on the batch "
                             f"size; normalize one of axes 1..{rank - 1}")
        axis %= rank
        if shape[axis] is None:
            raise self.error(f"axis {axis} of inputs of shape {tuple(shape)} has no known "
                             f"size: the weights need one")
        return axis

    def check_rank(self, shape):
        if isinstance(shape, list) or len(shape) < 2:
            raise self.error(f"expected one input of rank >= 2, (batch, ...), got shape "
                             f"{shape}")

    def check_input_shape(self, shape):
        self.check_rank(shape)
        expected = [None] * self.rank
        for axis, size in zip(self.axes, self.weight_shape):
            expected[axis] = size
        if len(shape) != self.rank or any(e is not None and e != s
                                          for e, s in zip(expected, shape)):
            raise self.error(f"was built for inputs of shape {tuple(expected)}, got shape "
                             f"{tuple(shape)}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def broadcast(self, vector):
        """A weight (or statistic) of ``weight_shape`` reshaped to broadcast against
        the input: its sizes on ``self.axes``, 1 elsewhere."""
        shape = [1] * self.rank
        for axis, size in zip(self.axes, self.weight_shape):
            shape[axis] = size
        return np.reshape(vector, shape)

    # -- the affine part -----------------------------------------------------------------------
    def add_affine(self, shape):
        """``gamma`` (with ``scale``), then ``beta`` (with ``center``), Keras's order."""
        self.weight_shape = tuple(shape)
        if self.scale:
            self.gamma = self.add_weight(self.weight_shape, self.gamma_initializer,
                                         name="gamma", regularizer=self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight(self.weight_shape, self.beta_initializer,
                                        name="beta", regularizer=self.beta_regularizer)

    def gamma_value(self, dtype):
        """:math:`\\gamma`, broadcastable to the input, or ``None`` without ``scale``."""
        return self.broadcast(self.gamma.value.astype(dtype, copy=False)) if self.scale \
            else None

    def affine(self, xhat, gamma):
        """:math:`y = \\gamma \\hat x + \\beta`."""
        y = xhat if gamma is None else xhat * gamma
        if self.center:
            y = y + self.broadcast(self.beta.value.astype(xhat.dtype, copy=False))
        return y

    def affine_backward(self, dy, xhat, gamma):
        """``(d_xhat, grads)``: :math:`\\delta = \\gamma\\, \\partial L/\\partial y`, and
        :math:`\\partial L/\\partial \\gamma = \\sum \\partial L/\\partial y \\odot
        \\hat x`, :math:`\\partial L/\\partial \\beta = \\sum \\partial L/\\partial y`
        summed over the axes the weights do not span."""
        summed = other_axes(dy.ndim, self.axes)
        grads = {}
        if self.scale:
            grads["gamma"] = self.as_weight((dy * xhat).sum(axis=summed))
        if self.center:
            grads["beta"] = self.as_weight(dy.sum(axis=summed))
        return (dy if gamma is None else dy * gamma), grads

    def as_weight(self, array):
        """A reduced array in the weights' shape and dtype."""
        return np.reshape(array, self.weight_shape).astype(self.dtype, copy=False)


@register("layer", family="Normalization", aliases=("batch_normalization",),
          description="Standardizes each channel with the batch's mean and variance, then "
                      "scales and shifts",
          use_case="Deep CNNs and MLPs: faster, steadier training; moving statistics at "
                   "inference")
class BatchNormalization(AffineNormalization):
    """Batch normalization (Ioffe and Szegedy, 2015), Keras 3's layer.

    **In training** (``fit``, or a call with ``training=True``) each channel
    :math:`c` (an entry of axis ``axis``) is standardized with the mean and the
    biased variance of the batch, over every axis but ``axis`` (:math:`N`
    values: the batch size times, for images, height and width):

    .. math::

        \\mu_c = \\frac1N \\sum x, \\quad
        \\sigma_c^2 = \\frac1N \\sum (x - \\mu_c)^2, \\quad
        \\hat x = \\frac{x - \\mu_c}{\\sqrt{\\sigma_c^2 + \\epsilon}}, \\quad
        y = \\gamma_c \\hat x + \\beta_c

    and the forward pass hands back new moving statistics (Keras's update,
    with the same biased :math:`\\sigma^2`; PyTorch would use the unbiased one):

    .. math::

        \\bar\\mu \\leftarrow \\bar\\mu \\cdot \\text{momentum} + \\mu (1 - \\text{momentum}),
        \\qquad
        \\bar\\sigma^2 \\leftarrow \\bar\\sigma^2 \\cdot \\text{momentum}
            + \\sigma^2 (1 - \\text{momentum})

    The backward pass goes through the batch statistics too (see the module):

    .. math::

        \\frac{\\partial L}{\\partial x} = \\frac{s}{N}\\Big(N\\delta - \\sum \\delta
            - \\hat x \\sum \\delta \\hat x\\Big), \\quad
        \\delta = \\gamma\\frac{\\partial L}{\\partial y}, \\quad
        s = \\frac1{\\sqrt{\\sigma^2 + \\epsilon}}, \\quad
        \\frac{\\partial L}{\\partial \\gamma} = \\sum \\frac{\\partial L}{\\partial y}
            \\hat x, \\quad
        \\frac{\\partial L}{\\partial \\beta} = \\sum \\frac{\\partial L}{\\partial y}

    **At inference** (``predict``, ``evaluate``, a plain call) the moving
    statistics replace the batch's, so each sample's output depends on that
    sample alone, and the layer is an affine map with the simple backward pass
    :math:`\\partial L/\\partial x = \\gamma s\\, \\partial L/\\partial y`,
    :math:`s = 1/\\sqrt{\\bar\\sigma^2 + \\epsilon}`.

    **Frozen** (``trainable=False``) the layer always runs as at inference,
    even in ``fit`` (Keras 3's rule for fine-tuning): its statistics do not
    move and its ``gamma`` and ``beta`` do not learn.

    The moving statistics are weights that no gradient moves (``trainable=False``):
    ``forward`` returns them in ``Effects.updates``; ``fit`` applies them after
    the optimizer's step, an eager ``layer(x, training=True)`` at once, and
    ``predict`` and ``evaluate`` never.  ``backward`` gives no gradient for
    them: nothing learns them.

    Args (Keras's names, order and defaults):
        axis: the channel axis, a whole number (``-1``, the last, by default;
            ``1`` for channels-first images).  Not the batch axis.
        momentum: of the moving averages, in :math:`[0, 1]` (0.99: each batch
            moves them by 1%).
        epsilon: added to the variance, ``> 0`` (Keras's 1e-3).
        center, scale: whether to add :math:`\\beta`, multiply by :math:`\\gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: ``"zeros"``, ``"ones"``, ``"zeros"``,
            ``"ones"``.
        beta_regularizer, gamma_regularizer: penalties on the weights.

    Keras's ``beta_constraint``/``gamma_constraint``, ``renorm``,
    ``renorm_clipping``, ``renorm_momentum`` and ``synchronized`` are not
    implemented: their defaults are accepted (a Keras config loads), anything
    else is refused.

    A mask (``(batch, steps)`` beside ``(batch, steps, features)``: the input's
    axes but the last) leaves the masked values out of the batch statistics in
    training, as Keras does: :math:`\\mu = \\sum m x / W`, :math:`\\sigma^2 =
    \\sum m (x - \\mu)^2 / W`, :math:`W = \\sum m + 10^{-7}`; every value is still
    standardized, and the mask passes on to the output.

    Weights: ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``, each of
    shape ``(channels,)``.  Input: any shape ``(batch, ...)``; output: the same.

    >>> layer = BatchNormalization(dtype="float64")
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> layer(x, training=True).round(4).tolist()  # each column standardized
    [[-0.9995, -1.0], [0.9995, 1.0]]
    >>> layer.moving_mean.value.round(4).tolist()  # 0.99 * 0 + 0.01 * (2, 20)
    [0.02, 0.2]
    >>> layer.moving_variance.value.round(4).tolist()  # 0.99 * 1 + 0.01 * (1, 100)
    [1.0, 1.99]
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        keras_only = {k: kwargs.pop(k) for k in KERAS_ONLY if k in kwargs}
        super().__init__(**kwargs)
        owner = describe(self)
        for name in ("renorm", "renorm_clipping", "renorm_momentum", "synchronized"):
            default, why = KERAS_ONLY[name]
            unsupported(owner, name, keras_only.pop(name, default), default, why)
        self.axis = whole_number(owner, "axis", axis, minimum=None)
        if self.axis == 0:
            raise self.error("axis 0 is the batch axis: the weights cannot depend on the "
                             "batch size; normalize one of the other axes (-1, the last, "
                             "by default)")
        self.momentum = real_number(owner, "momentum", momentum, 0.0, 1.0)
        self.check_affine_arguments(epsilon, center, scale, beta_initializer,
                                    gamma_initializer, beta_regularizer, gamma_regularizer,
                                    keras_only)
        for name, identifier in (("moving_mean_initializer", moving_mean_initializer),
                                 ("moving_variance_initializer", moving_variance_initializer)):
            component(owner, name, initializers.get, identifier)
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer

    def build(self, input_shape):
        self.check_rank(input_shape)
        self.rank = len(input_shape)
        self.axes = (self.positive_axis(self.axis, input_shape),)
        self.reduction_axes = other_axes(self.rank, self.axes)
        self.add_affine((input_shape[self.axes[0]],))
        self.moving_mean = self.add_weight(self.weight_shape, self.moving_mean_initializer,
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(self.weight_shape,
                                               self.moving_variance_initializer,
                                               name="moving_variance", trainable=False)

    def mask_weights(self, x, mask):
        """The mask as weights :math:`m` of ``x``'s shape (Keras's rule: the mask has
        the input's axes but the last, and is repeated along the last), or ``None``."""
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=bool)
        if mask.ndim == x.ndim - 1:
            try:
                return np.broadcast_to(mask[..., None], x.shape).astype(x.dtype)
            except ValueError:
                pass
        raise self.error(f"a mask must have the input's axes but the last (shape "
                         f"{x.shape[:-1]} for inputs of shape {x.shape}), got a mask of "
                         f"shape {mask.shape}")

    def forward(self, x, *, training=False, mask=None):
        weights = self.mask_weights(x, mask)
        work = working_dtype(x.dtype)
        x = x.astype(work, copy=False)
        gamma = self.gamma_value(work)
        if training and self.trainable:
            mean, variance, count = moments(x, self.reduction_axes, weights)
            xhat, inv_std = standardize(x, mean, variance, self.epsilon)
            y = self.affine(xhat, gamma).astype(self.dtype, copy=False)
            m = self.momentum
            updates = {
                self.moving_mean: self.moving_mean.value * m + mean.reshape(-1) * (1.0 - m),
                self.moving_variance: self.moving_variance.value * m
                + variance.reshape(-1) * (1.0 - m)}
            return y, Standardized(xhat, inv_std, count, weights, gamma), Effects(updates, [])
        mean = self.broadcast(self.moving_mean.value.astype(work, copy=False))
        variance = self.broadcast(self.moving_variance.value.astype(work, copy=False))
        xhat, inv_std = standardize(x, mean, variance, self.epsilon)
        # The moving statistics are constants of the call: count None says so.
        return self.affine(xhat, gamma).astype(self.dtype, copy=False), \
            Standardized(xhat, inv_std, None, None, gamma)

    def backward(self, dy, cache, *, need_dx=True):
        xhat, inv_std, count, weights, gamma = cache
        dy = dy.astype(xhat.dtype, copy=False)
        d_xhat, grads = self.affine_backward(dy, xhat, gamma)
        if not need_dx:
            dx = None
        elif count is not None:  # the batch's statistics: x reached them too
            dx = standardize_backward(d_xhat, xhat, inv_std, self.reduction_axes, count,
                                      weights)
        else:  # the moving statistics are constants: x_hat = (x - mean) s
            dx = d_xhat * inv_std
        return (None if dx is None else dx.astype(self.dtype, copy=False)), grads

    @classmethod
    def gradient_check_sample(cls, rng):
        """Channels first, ``(batch, channels, height, width)``, normalized on axis 1.

        The input is uniform: ``check_gradients`` draws its upstream gradient
        from a normal generator of the same seed, and an upstream gradient
        that is an affine function of the input (the same normal draws,
        rescaled) is one that standardization removes whole (dx = 0)."""
        layer = cls(axis=1, momentum=0.8, gamma_initializer=RandomUniform(0.5, 1.5),
                    beta_initializer=RandomNormal(stddev=0.5))
        return layer, (rng.uniform(-2.0, 4.0, size=(4, 3, 2, 2)),)

    @classmethod
    def contract_sample(cls, rng):
        """Sequences ``(batch, steps, features)``, on the features: a mask over
        the steps then means what it means to Keras."""
        layer = cls(gamma_initializer=RandomUniform(0.5, 1.5),
                    beta_initializer=RandomNormal(stddev=0.5))
        return layer, (rng.uniform(-2.0, 4.0, size=(4, 3, 5)),)


@register("layer", family="Normalization", aliases=("layer_normalization",),
          description="Standardizes each sample over its features, then scales and shifts",
          use_case="Transformers and recurrent networks; small or varying batches")
class LayerNormalization(AffineNormalization):
    """Layer normalization (Ba et al., 2016), Keras 3's layer.

    Each sample is standardized over the axes ``axis`` (its features), with
    its own mean and biased variance, :math:`N` values (the product of those
    axes' sizes), then scaled and shifted by weights that span those axes:

    .. math::

        \\mu = \\frac1N \\sum_{\\text{axis}} x, \\quad
        \\sigma^2 = \\frac1N \\sum_{\\text{axis}} (x - \\mu)^2, \\quad
        \\hat x = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}, \\quad
        y = \\gamma \\odot \\hat x + \\beta

    Nothing depends on the other samples of the batch: training and inference
    compute the same, with no moving statistics, whatever the batch size.  The
    backward pass is batch normalization's with the roles of the axes swapped
    (see the module): the sums of :math:`\\partial L/\\partial x` run over
    ``axis``, those of :math:`\\partial L/\\partial \\gamma` and
    :math:`\\partial L/\\partial \\beta` over the others (the batch, and e.g.
    the steps of a sequence):

    .. math::

        \\frac{\\partial L}{\\partial x} = \\frac{s}{N}\\Big(N\\delta - \\sum_{\\text{axis}}
            \\delta - \\hat x \\sum_{\\text{axis}} \\delta \\hat x\\Big), \\quad
        \\delta = \\gamma\\frac{\\partial L}{\\partial y}, \\quad
        s = \\frac1{\\sqrt{\\sigma^2 + \\epsilon}}

    Args (Keras's names, order and defaults):
        axis: an axis or a list of axes (``-1``, the features, by default;
            ``[1, 2]`` for the last two of ``(batch, steps, features)``), not the
            batch axis, all counted from the front or all from the back (Keras
            sorts the numbers as given, so a mix would order ``gamma``'s axes
            unlike the input's).  ``gamma`` and ``beta`` have the input's sizes
            on those axes, in the input's order.
        epsilon: added to the variance, ``> 0`` (Keras's layer default 1e-3).
        center, scale: whether to add :math:`\\beta`, multiply by :math:`\\gamma`.
        beta_initializer, gamma_initializer: ``"zeros"`` and ``"ones"``.
        beta_regularizer, gamma_regularizer: penalties on the weights.

    Keras 3's ``rms_scaling`` is accepted as ``False`` only: Keras deprecates
    ``True`` (it divides by the square root of the variance, not by the root
    mean square); RMS normalization is another layer.  Keras's constraints are
    not implemented (``None`` only).

    A mask passes through unchanged (each sample is normalized on its own).

    >>> layer = LayerNormalization(dtype="float64")
    >>> layer(np.array([[1.0, 3.0], [10.0, 30.0]])).round(4).tolist()  # each row
    [[-0.9995, 0.9995], [-1.0, 1.0]]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        keras_only = {k: kwargs.pop(k) for k in CONSTRAINTS if k in kwargs}
        super().__init__(**kwargs)
        owner = describe(self)
        unsupported(owner, "rms_scaling", flag(owner, "rms_scaling", rms_scaling), False,
                    "Keras 3 deprecates it (it scales by the variance, not the root mean "
                    "square); keras.layers.RMSNormalization is the layer meant")
        self.axis = self.axis_argument(axis)
        self.check_affine_arguments(epsilon, center, scale, beta_initializer,
                                    gamma_initializer, beta_regularizer, gamma_regularizer,
                                    keras_only)

    def axis_argument(self, axis):
        """``axis`` as an ``int``, or a list of distinct ``int`` of one sign."""
        owner = describe(self)
        axes = whole_numbers(owner, "axis", axis, minimum=None, single=True)
        if is_number(axis):
            given = axes[0]
        else:
            given = list(axes)
            if not given:
                raise self.error("axis must name at least one axis, got an empty list")
            if len(set(given)) != len(given):
                raise self.error(f"axis names an axis twice: {axis!r}")
            if min(given) < 0 <= max(given):
                raise self.error(f"axis mixes axes counted from the front and from the "
                                 f"back, {axis!r}: write them all one way (Keras sorts the "
                                 f"numbers as given, so gamma's axes would not follow the "
                                 f"input's order)")
        if 0 in axes:
            raise self.error(f"axis {axis!r} includes the batch axis, 0: the weights cannot "
                             f"depend on the batch size")
        return given

    def build(self, input_shape):
        self.check_rank(input_shape)
        self.rank = len(input_shape)
        given = [self.axis] if is_number(self.axis) else self.axis
        # Distinct and of one sign (checked at construction): distinct positions too.
        self.axes = tuple(sorted(self.positive_axis(a, input_shape) for a in given))
        self.add_affine(tuple(input_shape[a] for a in self.axes))

    def forward(self, x, *, training=False):
        work = working_dtype(x.dtype)
        x = x.astype(work, copy=False)
        mean, variance, count = moments(x, self.axes)
        xhat, inv_std = standardize(x, mean, variance, self.epsilon)
        gamma = self.gamma_value(work)
        return self.affine(xhat, gamma).astype(self.dtype, copy=False), \
            Standardized(xhat, inv_std, count, None, gamma)

    def backward(self, dy, cache, *, need_dx=True):
        xhat, inv_std, count, _, gamma = cache
        dy = dy.astype(xhat.dtype, copy=False)
        d_xhat, grads = self.affine_backward(dy, xhat, gamma)
        if not need_dx:
            return None, grads
        dx = standardize_backward(d_xhat, xhat, inv_std, self.axes, count)
        return dx.astype(self.dtype, copy=False), grads

    @classmethod
    def gradient_check_sample(cls, rng):
        """Two axes, ``[1, 2]`` of ``(batch, steps, features)``: one mean per
        sample.  A uniform input, as for ``BatchNormalization``."""
        layer = cls(axis=[1, 2], gamma_initializer=RandomUniform(0.5, 1.5),
                    beta_initializer=RandomNormal(stddev=0.5))
        return layer, (rng.uniform(-2.0, 4.0, size=(3, 4, 5)),)

    @classmethod
    def contract_sample(cls, rng):
        layer = cls(gamma_initializer=RandomUniform(0.5, 1.5),
                    beta_initializer=RandomNormal(stddev=0.5))
        return layer, (rng.uniform(-2.0, 4.0, size=(4, 3, 5)),)

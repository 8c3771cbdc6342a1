"""Kullback-Leibler divergence between a target distribution and a predicted one."""
import numpy as np

from ..registry import register
from .base import EPSILON, ORDER_ADVICE, Loss
from .crossentropy import log_softmax


@register("loss", family="KL divergence",
          aliases=("kl_divergence", "kld", "kullback_leibler_divergence"),
          description="Extra information needed to code the targets with the predicted "
                      "distribution",
          use_case="Matching a distribution: distillation, variational autoencoders")
class KLDivergence(Loss):
    """:math:`\\ell = \\sum_i y_i \\log (y_i / q_i)` over the last axis.

    Both distributions are clipped to :math:`[10^{-7}, 1]` first, as in Keras
    (so a zero target contributes about nothing rather than ``0 * log 0``);
    negative predictions, which are no probabilities (scores, most likely),
    are refused where Keras clips them silently.
    The gradient wrt the prediction is :math:`-y_i / q_i`, zero where the
    clip of :math:`q` is active.  It equals the cross-entropy minus the
    targets' own entropy, :math:`H(y, q) - H(y)`: the same gradient as
    ``CategoricalCrossentropy`` without renormalisation, and zero when
    :math:`q = y`.

    >>> loss = KLDivergence()
    >>> float(loss(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]])))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def prepare(self, y_true, y_pred):
        y_true, y_pred = super().prepare(y_true, y_pred)
        return np.clip(y_true, EPSILON, 1), y_pred

    def check_values(self, y_true, y_pred):
        self.check_range(y_pred, "y_pred (a probability distribution)", 0,
                         advice=f"For scores, apply a softmax first. {ORDER_ADVICE}")

    def per_sample(self, y_true, y_pred):
        q = np.clip(y_pred, EPSILON, 1)
        return np.sum(y_true * np.log(y_true / q), axis=-1), (y_true, y_pred, q)

    def per_sample_backward(self, d_losses, cache):
        y_true, y_pred, q = cache
        inside = (y_pred >= EPSILON) & (y_pred <= 1)
        return d_losses[..., None] * np.where(inside, -y_true / q, 0)

    @classmethod
    def gradient_check_sample(cls, rng):
        y_true = np.exp(log_softmax(rng.normal(size=(4, 5))))
        y_pred = np.exp(log_softmax(rng.normal(size=(4, 5))))
        return cls(), (y_true, y_pred)

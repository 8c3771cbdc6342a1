"""Gradient clipping: bound the step before the optimizer sees the gradient.

Keras 3 offers three mutually exclusive options, applied in this order of
precedence by every optimizer:

``clipnorm=c``
    each gradient :math:`g` on its own is rescaled to norm at most :math:`c`:
    :math:`g \\leftarrow g \\, c / \\max(\\lVert g \\rVert_2, c)`;
``global_clipnorm=c``
    all gradients of a step are rescaled together, by the norm of their
    concatenation :math:`\\lVert (g_1, \\dots, g_k) \\rVert_2`, so their
    directions relative to one another are kept;
``clipvalue=c``
    every element is clipped to :math:`[-c, c]` (the direction changes).

>>> g = np.array([3.0, 4.0])
>>> clip_by_norm([g], 1.0)[0]
array([0.6, 0.8])
>>> clip_by_value([g], 1.0)[0]
array([1., 1.])
"""
import numpy as np


def global_norm(arrays):
    """:math:`\\sqrt{\\sum_i \\lVert a_i \\rVert_2^2}`, computed without overflow.

    Dividing by the largest magnitude first keeps the squares finite even for
    float32 gradients near the top of their range.
    """
    largest = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    if largest == 0.0 or not np.isfinite(largest):
        return largest
    return largest * float(np.sqrt(sum(np.sum(np.square(a / largest)) for a in arrays)))


def clip_by_norm(grads, clipnorm):
    """Rescale ``grads`` together so that their global norm is at most ``clipnorm``."""
    scale = clipnorm / max(global_norm(grads), clipnorm)
    return [g * scale for g in grads]


def clip_by_value(grads, clipvalue):
    """Clip every element of ``grads`` to ``[-clipvalue, clipvalue]``."""
    return [np.clip(g, -clipvalue, clipvalue) for g in grads]

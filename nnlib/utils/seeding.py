"""Seeding: one generator behind every random draw in nnlib.

Initializers, dropout masks and shuffling in ``fit`` all draw from
``generator()``, so ``set_random_seed(s)`` makes a whole run reproducible.
"""
import random

import numpy as np

_GENERATOR = np.random.default_rng()


def set_random_seed(seed):
    """Seed nnlib's generator, NumPy's global one and Python's ``random``.

    >>> set_random_seed(0); a = generator().normal()
    >>> set_random_seed(0); a == generator().normal()
    True
    """
    global _GENERATOR
    _GENERATOR = np.random.default_rng(seed)
    np.random.seed(seed)
    random.seed(seed)


def generator():
    """The ``numpy.random.Generator`` that nnlib draws from."""
    return _GENERATOR

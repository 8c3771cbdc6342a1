"""Learning-rate schedules: the learning rate as a function of the step.

An optimizer given a schedule instead of a number evaluates it at its
``iterations`` (the number of steps already applied, so ``0`` for the first
step) before every update, as Keras 3 does.  A schedule also takes an array
of steps, which is how the book draws them:

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
>>> schedule(np.array([0, 5, 10])).round(4)
array([0.1   , 0.0707, 0.05  ])

Schedules are registered components (kind ``"schedule"``): an optimizer's
config writes its schedule as a record that ``nnlib.serialization`` reads back.
"""
import numpy as np

from ..registry import register
from ..serialization import Configurable


class LearningRateSchedule(Configurable):
    """Base class: subclasses give ``rate(step)`` on an array of steps; the config
    is the arguments of ``__init__`` (see ``nnlib.serialization``)."""

    def __call__(self, step):
        """The learning rate at ``step`` (an int gives a float, an array an array)."""
        rates = self.rate(np.asarray(step, dtype="float64"))
        return float(rates) if np.ndim(rates) == 0 else rates

    def rate(self, step):
        raise NotImplementedError

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({arguments})"


@register("schedule", description="Multiplies the rate by decay_rate every decay_steps steps",
          use_case="A steady decay; with a rate above 1, a learning-rate range test")
class ExponentialDecay(LearningRateSchedule):
    """Multiply the rate by ``decay_rate`` every ``decay_steps`` steps.

    .. math::

        \\eta(t) = \\eta_0 \\, r^{\\,t / T}
        \\qquad\\text{or, with } \\texttt{staircase=True},\\qquad
        \\eta(t) = \\eta_0 \\, r^{\\lfloor t / T \\rfloor}

    with :math:`\\eta_0` = ``initial_learning_rate``, :math:`r` = ``decay_rate``
    and :math:`T` = ``decay_steps``.  A rate above 1 makes the learning rate
    grow, which is what a learning-rate range test needs.

    >>> ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)(np.arange(5))
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def rate(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p


@register("schedule",
          description="Half a cosine down to alpha times the rate, after an optional warm-up",
          use_case="Long trainings; the warm-up steadies the first steps of large models")
class CosineDecay(LearningRateSchedule):
    """Half a cosine from the initial rate down to ``alpha`` times it, after an
    optional linear warm-up.

    Without warm-up (``warmup_target=None``), for :math:`T` = ``decay_steps``:

    .. math::

        \\eta(t) = \\eta_0 \\left((1 - \\alpha)\\,
            \\tfrac12\\bigl(1 + \\cos(\\pi \\min(t, T) / T)\\bigr) + \\alpha\\right)

    With ``warmup_target`` :math:`\\eta_w` and ``warmup_steps`` :math:`W`, the
    rate first climbs in a straight line from :math:`\\eta_0` to :math:`\\eta_w`
    over :math:`W` steps, :math:`\\eta(t) = \\eta_0 + (\\eta_w - \\eta_0)\\,t/W`,
    then decays as above from :math:`\\eta_w`, with :math:`t - W` in place of
    :math:`t`.

    >>> CosineDecay(1.0, decay_steps=4)(np.arange(6)).round(4)
    array([1.    , 0.8536, 0.5   , 0.1464, 0.    , 0.    ])
    >>> CosineDecay(0.0, decay_steps=2, warmup_target=1.0, warmup_steps=2)(np.arange(5))
    array([0. , 0.5, 1. , 0.5, 0. ])
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def decay(self, step, start):
        """Cosine from ``start`` to ``alpha * start`` over ``decay_steps``."""
        cosine = 0.5 * (1 + np.cos(np.pi * np.minimum(step, self.decay_steps) / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def rate(self, step):
        if self.warmup_target is None:
            return self.decay(step, self.initial_learning_rate)
        step = np.minimum(step, self.decay_steps + self.warmup_steps)
        fraction = step / max(self.warmup_steps, 1)
        warmup = self.initial_learning_rate + \
            (self.warmup_target - self.initial_learning_rate) * fraction
        return np.where(step < self.warmup_steps, warmup,
                        self.decay(step - self.warmup_steps, self.warmup_target))


@register("schedule", description="Constant rates that change at chosen steps",
          use_case="Dropping the rate by hand at set epochs (the classic step schedule)")
class PiecewiseConstantDecay(LearningRateSchedule):
    """Constant rates between step boundaries.

    ``values[0]`` while :math:`t \\le` ``boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1]`` :math:`< t \\le` ``boundaries[i]``, and ``values[-1]``
    after the last boundary (Keras's convention: a boundary step still uses the
    rate before it).

    >>> PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])(np.arange(6))
    array([1. , 1. , 1. , 0.5, 0.5, 0.1])
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"PiecewiseConstantDecay: expected one more value than boundaries, "
                             f"got {len(boundaries)} boundaries and {len(values)} values")
        if list(boundaries) != sorted(set(boundaries)):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must be strictly increasing, "
                             f"got {list(boundaries)}")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def rate(self, step):
        return np.asarray(self.values, dtype="float64")[
            np.searchsorted(self.boundaries, step, side="left")]

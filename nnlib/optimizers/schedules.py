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

from ..checks import flag, real_number, whole_number, whole_numbers
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

    with :math:`\\eta_0 \\ge 0` = ``initial_learning_rate``, :math:`r > 0` =
    ``decay_rate`` and :math:`T` = ``decay_steps``, a whole number of steps.
    A rate above 1 makes the learning rate grow, which is what a
    learning-rate range test needs.

    >>> ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)(np.arange(5))
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        owner = type(self).__name__
        self.initial_learning_rate = real_number(owner, "initial_learning_rate",
                                                 initial_learning_rate, low=0)
        self.decay_steps = whole_number(owner, "decay_steps", decay_steps)
        self.decay_rate = real_number(owner, "decay_rate", decay_rate, low=0, low_open=True)
        self.staircase = flag(owner, "staircase", staircase)
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

    Without warm-up (``warmup_target=None``), for :math:`T` = ``decay_steps``
    and :math:`\\alpha \\in [0, 1]`:

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
        owner = type(self).__name__
        self.initial_learning_rate = real_number(owner, "initial_learning_rate",
                                                 initial_learning_rate, low=0)
        self.decay_steps = whole_number(owner, "decay_steps", decay_steps)
        self.alpha = real_number(owner, "alpha", alpha, 0, 1)
        self.name = name
        self.warmup_target = None if warmup_target is None else \
            real_number(owner, "warmup_target", warmup_target, low=0)
        self.warmup_steps = whole_number(owner, "warmup_steps", warmup_steps, minimum=0)

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
    rate before it).  Boundaries are steps, whole numbers; the values are rates,
    finite and ``>= 0``.

    >>> PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])(np.arange(6))
    array([1. , 1. , 1. , 0.5, 0.5, 0.1])
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        owner = type(self).__name__
        boundaries = list(whole_numbers(owner, "boundaries", boundaries, minimum=0))
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"{owner}: values must be a list of learning rates, got {values!r}")
        values = [real_number(owner, "every one of values", v, low=0) for v in values]
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"{owner}: expected one more value than boundaries, "
                             f"got {len(boundaries)} boundaries and {len(values)} values")
        if boundaries != sorted(set(boundaries)):
            raise ValueError(f"{owner}: boundaries must be strictly increasing, "
                             f"got {boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def rate(self, step):
        return np.asarray(self.values, dtype="float64")[
            np.searchsorted(self.boundaries, step, side="left")]

"""Optimizer explorers: a race on 2-D loss surfaces, a learning-rate schedule
explorer, and the two experiments of the optimizers chapter (a race on a real
model, a learning-rate range test).

Every optimizer here is an ``nnlib.optimizers`` instance moving a ``Weight``
with ``apply``, exactly as in a model: the point on the surface is the weight.
"""
from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from ..layers.base import Weight
from ..optimizers import SGD, Adagrad, Adam, RMSprop, get
from ..optimizers.schedules import CosineDecay, ExponentialDecay, PiecewiseConstantDecay
from ..utils import generator, set_random_seed
from .controls import interactive

# -- surfaces ------------------------------------------------------------------------------


class Surface:
    """A loss :math:`f(x, y)` with its gradient, vectorised over arrays of points.

    Class attributes give the drawing's ``extent`` (x_min, x_max, y_min, y_max),
    the ``start`` point, the ``minimum`` and its value, and learning rates that
    suit it: ``learning_rates = (for SGD and momentum, for adaptive methods)``.
    """

    name = ""
    extent = (-2.0, 2.0, -2.0, 2.0)
    start = (0.0, 0.0)
    minimum = (0.0, 0.0)
    minimum_value = 0.0
    learning_rates = (0.1, 0.1)
    steps = 100

    def value(self, x, y):
        raise NotImplementedError

    def gradient(self, x, y):
        raise NotImplementedError


class Quadratic(Surface):
    """:math:`f(p) = \\tfrac12 p^\\top H p` with eigenvalues 1 and :math:`1/\\kappa`.

    The eigenvectors of :math:`H` are the axes turned by ``angle``: along the
    first the surface is steep (curvature 1), along the second it is
    :math:`\\kappa` times flatter.  :math:`\\kappa` is the condition number.
    """

    name = "ill-conditioned quadratic"
    extent = (-3.5, 3.5, -2.5, 3.0)
    start = (-2.5, 1.5)
    learning_rates = (1.2, 0.1)

    def __init__(self, condition_number=20.0, angle=np.pi / 6):
        self.condition_number = condition_number
        self.eigenvalues = np.array([1.0, 1.0 / condition_number])
        c, s = np.cos(angle), np.sin(angle)
        self.eigenvectors = np.array([[c, -s], [s, c]])  # columns
        self.hessian = self.eigenvectors @ np.diag(self.eigenvalues) @ self.eigenvectors.T

    def gradient(self, x, y):
        (a, b), (_, d) = self.hessian
        return a * x + b * y, b * x + d * y

    def value(self, x, y):
        gx, gy = self.gradient(x, y)
        return 0.5 * (x * gx + y * gy)


class Rosenbrock(Surface):
    """:math:`f = (1 - x)^2 + 100 (y - x^2)^2`: a curved, flat-bottomed valley."""

    name = "Rosenbrock"
    extent = (-2.0, 2.0, -1.0, 3.0)
    start = (-1.2, 1.0)
    minimum = (1.0, 1.0)
    learning_rates = (0.001, 0.1)
    steps = 300

    def value(self, x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def gradient(self, x, y):
        return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


class Saddle(Surface):
    """:math:`f = \\tfrac12 x^2 + \\tfrac14 y^4 - \\tfrac12 y^2`: a saddle at the
    origin between two minima at :math:`(0, \\pm 1)`; the start sits just off
    the ridge, where the gradient towards either minimum is tiny."""

    name = "saddle"
    extent = (-2.0, 2.0, -1.5, 1.5)
    start = (1.5, 1e-3)
    minimum = (0.0, 1.0)
    minimum_value = -0.25
    learning_rates = (0.1, 0.05)

    def value(self, x, y):
        return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y

    def gradient(self, x, y):
        return x, y ** 3 - y


class Beale(Surface):
    """Beale's function, :math:`\\sum_i (c_i - x + x y^i)^2` with
    :math:`c = (1.5, 2.25, 2.625)`: flat plateaus and steep walls."""

    name = "Beale"
    extent = (-1.0, 4.5, -1.5, 2.5)
    start = (1.0, 1.5)
    minimum = (3.0, 0.5)
    learning_rates = (0.003, 0.05)
    steps = 300
    constants = (1.5, 2.25, 2.625)

    def value(self, x, y):
        return sum((c - x + x * y ** i) ** 2 for i, c in enumerate(self.constants, 1))

    def gradient(self, x, y):
        terms = [(c - x + x * y ** i, i) for i, c in enumerate(self.constants, 1)]
        return (sum(2 * t * (y ** i - 1) for t, i in terms),
                sum(2 * t * i * x * y ** (i - 1) for t, i in terms))


SURFACES = {"quadratic": Quadratic, "rosenbrock": Rosenbrock, "saddle": Saddle, "beale": Beale}


# -- the race ----------------------------------------------------------------------------------

def race(surface, optimizers, steps):
    """Run each optimizer from ``surface.start`` for ``steps`` steps.

    Returns ``{label: (trajectory, losses)}``: the points, shape ``(n + 1, 2)``,
    and :math:`f - f^*` at each.  A run that goes 100 times further out than
    the drawing's extent has diverged and stops there (``n < steps``), before
    its numbers overflow.
    """
    limit = 100 * max(abs(bound) for bound in surface.extent)
    runs = {}
    for label, optimizer in optimizers.items():
        point = Weight("point", np.array(surface.start, dtype="float64"), layer=None)
        path = [point.value.copy()]
        for _ in range(steps):
            optimizer.apply({"point": np.array(surface.gradient(*point.value))},
                            {"point": point})
            path.append(point.value.copy())
            if not np.max(np.abs(point.value)) < limit:
                break
        path = np.array(path)
        runs[label] = (path, surface.value(*path.T) - surface.minimum_value)
    return runs


def race_optimizers(learning_rate, adaptive_rate, momentum=0.9, beta_1=0.9, beta_2=0.999):
    """The racers: plain SGD, momentum and Nesterov at ``learning_rate``;
    RMSprop, Adagrad and Adam at ``adaptive_rate`` (their step is about the rate
    itself, where SGD's is the rate times the gradient)."""
    return {"SGD": SGD(learning_rate),
            "momentum": SGD(learning_rate, momentum=momentum),
            "Nesterov": SGD(learning_rate, momentum=momentum, nesterov=True),
            "RMSprop": RMSprop(adaptive_rate),
            "Adagrad": Adagrad(adaptive_rate),
            "Adam": Adam(adaptive_rate, beta_1=beta_1, beta_2=beta_2)}


def convergence_rate(learning_rate, momentum, eigenvalue):
    """The factor by which SGD shrinks the error along an eigen-direction of
    curvature ``eigenvalue`` per step, in the long run (the spectral radius of
    one step).

    With error :math:`c` and velocity :math:`v` along that direction, Keras's
    momentum step is linear: :math:`v \\leftarrow \\mu v - \\eta\\lambda c`,
    :math:`c \\leftarrow c + v`, that is

    .. math::

        \\begin{pmatrix} c \\\\ v \\end{pmatrix} \\leftarrow
        \\begin{pmatrix} 1 - \\eta\\lambda & \\mu \\\\ -\\eta\\lambda & \\mu \\end{pmatrix}
        \\begin{pmatrix} c \\\\ v \\end{pmatrix}

    and the error decays like the largest eigenvalue modulus of that matrix;
    without momentum it is :math:`|1 - \\eta\\lambda|`.

    >>> float(convergence_rate(0.5, 0.0, 1.0)), float(convergence_rate(2.5, 0.0, 1.0))
    (0.5, 1.5)
    """
    step = np.array([[1 - learning_rate * eigenvalue, momentum],
                     [-learning_rate * eigenvalue, momentum]])
    return np.max(np.abs(np.linalg.eigvals(step)))


@dataclass
class RaceResult:
    """What the race explorer drew: the surface and each optimizer's run."""

    surface: Surface
    runs: dict
    figure: plt.Figure


def draw_surface(ax, surface, resolution=200):
    """Contours of :math:`f - f^*` on log-spaced levels, the start and the minimum."""
    x0, x1, y0, y1 = surface.extent
    grid_x, grid_y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    gap = surface.value(grid_x, grid_y) - surface.minimum_value
    low = max(np.percentile(gap, 0.5), gap.max() * 1e-9)
    ax.contour(grid_x, grid_y, gap, levels=np.geomspace(low, gap.max(), 15), colors="0.7",
               linewidths=0.6)
    ax.plot(*surface.minimum, "*", color="k", markersize=12, label="minimum")
    ax.plot(*surface.start, "o", color="k", markersize=5)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y")


def draw_race(surface, runs, steps):
    """Trajectories on the surface (one marker per step) beside :math:`f - f^*` per step."""
    figure, (ax_map, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.3))
    draw_surface(ax_map, surface)
    colors = plt.get_cmap("tab10")
    for k, (label, (path, losses)) in enumerate(runs.items()):
        diverged = len(path) < steps + 1
        name = f"{label} (diverged)" if diverged else label
        ax_map.plot(*path.T, "-o", color=colors(k), markersize=2, linewidth=1, label=name)
        ax_loss.semilogy(np.maximum(losses, 1e-16), color=colors(k), label=name)
    title = surface.name
    if isinstance(surface, Quadratic):
        title += f", condition number {surface.condition_number:.4g}"
    ax_map.set_title(title)
    ax_map.legend(loc="lower right", fontsize=7)
    ax_loss.set(xlabel="step", ylabel="f - f*", title="loss gap per step", xlim=(0, steps))
    ax_loss.legend(fontsize=7)
    figure.tight_layout()
    return figure


def run_race(surface="quadratic", condition_number=20.0, learning_rate=None, adaptive_rate=None,
             momentum=0.9, beta_1=0.9, beta_2=0.999, steps=None):
    """Race the optimizers of ``race_optimizers`` on a named surface and draw it.

    Learning rates and steps left as ``None`` take the surface's own defaults.
    """
    kwargs = {"condition_number": condition_number} if surface == "quadratic" else {}
    surface = SURFACES[surface](**kwargs)
    default_rate, default_adaptive = surface.learning_rates
    steps = steps or surface.steps
    optimizers = race_optimizers(learning_rate or default_rate, adaptive_rate or default_adaptive,
                                 momentum, beta_1, beta_2)
    runs = race(surface, optimizers, steps)
    return RaceResult(surface, runs, draw_race(surface, runs, steps))


def optimizer_race_explorer():
    """Controls for ``run_race``: surface, condition number, learning rates,
    momentum, Adam's betas and the number of steps.  Choosing a surface resets
    the learning rates and steps to ones that suit it."""
    surface = ipywidgets.Dropdown(options=[(cls.name, key) for key, cls in SURFACES.items()],
                                  value="quadratic", description="surface")
    controls = {
        "surface": surface,
        "condition_number": ipywidgets.FloatLogSlider(
            value=20, base=10, min=0, max=3, step=0.1, description="condition number (quadratic)",
            continuous_update=False),
        "learning_rate": ipywidgets.FloatLogSlider(
            value=Quadratic.learning_rates[0], base=10, min=-4, max=0.5, step=0.1,
            description="learning rate (SGD, momentum)", continuous_update=False),
        "adaptive_rate": ipywidgets.FloatLogSlider(
            value=Quadratic.learning_rates[1], base=10, min=-3, max=0, step=0.1,
            description="learning rate (RMSprop, Adagrad, Adam)", continuous_update=False),
        "momentum": ipywidgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                           description="momentum", continuous_update=False),
        "beta_1": ipywidgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                         description="Adam beta_1", continuous_update=False),
        "beta_2": ipywidgets.SelectionSlider(options=[0.9, 0.99, 0.999, 0.9999], value=0.999,
                                             description="Adam beta_2", continuous_update=False),
        "steps": ipywidgets.IntSlider(value=Quadratic.steps, min=10, max=500, step=10,
                                      description="steps", continuous_update=False),
    }

    def suit_surface(change):
        cls = SURFACES[change["new"]]
        controls["learning_rate"].value, controls["adaptive_rate"].value = cls.learning_rates
        controls["steps"].value = cls.steps

    surface.observe(suit_surface, names="value")
    return interactive(run_race, **controls)


# -- schedules ------------------------------------------------------------------------------------

SCHEDULE_KINDS = ("constant", "ExponentialDecay", "ExponentialDecay, staircase", "CosineDecay",
                  "CosineDecay with warm-up", "PiecewiseConstantDecay")


def build_schedule(kind, learning_rate, decay_steps=100, decay_rate=0.5, alpha=0.0,
                   warmup_steps=20):
    """A schedule (or a constant rate) from the explorer's controls.

    The piecewise schedule multiplies the rate by ``decay_rate`` at
    ``decay_steps`` and again at twice that; the warm-up climbs from zero.
    """
    if kind == "constant":
        return learning_rate
    if kind.startswith("ExponentialDecay"):
        return ExponentialDecay(learning_rate, decay_steps, decay_rate,
                                staircase=kind.endswith("staircase"))
    if kind == "CosineDecay":
        return CosineDecay(learning_rate, decay_steps, alpha=alpha)
    if kind == "CosineDecay with warm-up":
        return CosineDecay(0.0, decay_steps, alpha=alpha, warmup_target=learning_rate,
                           warmup_steps=warmup_steps)
    if kind == "PiecewiseConstantDecay":
        return PiecewiseConstantDecay([decay_steps, 2 * decay_steps],
                                      [learning_rate, learning_rate * decay_rate,
                                       learning_rate * decay_rate ** 2])
    raise ValueError(f"unknown schedule {kind!r}; known: {SCHEDULE_KINDS}")


def noisy_quadratic_losses(learning_rate, steps, dimension=20, noise=0.5, seed=0):
    """SGD with momentum 0.9 on :math:`\\tfrac12 \\sum_i \\lambda_i w_i^2` (:math:`\\lambda_i`
    from 0.1 to 1) from :math:`w = 3`, with Gaussian noise of scale ``noise``
    added to every gradient, as mini-batches add it; returns the loss per step.

    The noise keeps the loss from reaching zero at a constant rate: it settles
    at a floor roughly proportional to the rate, which a decaying rate lowers.
    """
    curvature = np.geomspace(0.1, 1.0, dimension)
    rng = np.random.default_rng(seed)
    weight = Weight("w", np.full(dimension, 3.0), layer=None)
    optimizer = SGD(learning_rate, momentum=0.9)
    losses = []
    for _ in range(steps):
        losses.append(0.5 * np.sum(curvature * weight.value ** 2))
        gradient = curvature * weight.value + noise * rng.normal(size=dimension)
        optimizer.apply({"w": gradient}, {"w": weight})
    return np.array(losses)


@dataclass
class ScheduleResult:
    """What the schedule explorer drew."""

    schedule: object
    learning_rates: np.ndarray
    losses: np.ndarray
    constant_losses: np.ndarray
    figure: plt.Figure


def draw_schedule(kind="CosineDecay", learning_rate=0.1, decay_steps=250, decay_rate=0.5,
                  alpha=0.0, warmup_steps=20, steps=300):
    """The schedule's rate per step, and its effect on SGD on a noisy quadratic
    against the same run at the constant initial rate."""
    schedule = build_schedule(kind, learning_rate, decay_steps, decay_rate, alpha, warmup_steps)
    step_axis = np.arange(steps)
    rates = schedule(step_axis) if callable(schedule) else np.full(steps, schedule)
    losses = noisy_quadratic_losses(schedule, steps)
    constant = noisy_quadratic_losses(learning_rate, steps)
    figure, (ax_rate, ax_loss) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_rate.plot(step_axis, rates, color="C1")
    ax_rate.set(xlabel="step (optimizer.iterations)", ylabel="learning rate", title=kind,
                ylim=(0, 1.05 * max(rates.max(), learning_rate)))
    ax_loss.semilogy(step_axis, constant, color="0.6", label=f"constant {learning_rate:.3g}")
    ax_loss.semilogy(step_axis, losses, color="C1", label=kind)
    ax_loss.set(xlabel="step", ylabel="loss", title="SGD (momentum 0.9) on a noisy quadratic")
    ax_loss.legend(fontsize=8)
    figure.tight_layout()
    return ScheduleResult(schedule, rates, losses, constant, figure)


def schedule_explorer(steps=300):
    """Controls for ``draw_schedule``: the schedule and its parameters."""
    return interactive(
        draw_schedule,
        kind=ipywidgets.Dropdown(options=SCHEDULE_KINDS, value="CosineDecay",
                                 description="schedule"),
        learning_rate=ipywidgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.1,
                                                description="initial rate",
                                                continuous_update=False),
        decay_steps=ipywidgets.IntSlider(value=250, min=10, max=steps, step=10,
                                         description="decay_steps", continuous_update=False),
        decay_rate=ipywidgets.FloatSlider(value=0.5, min=0.05, max=1.0, step=0.05,
                                          description="decay_rate (exponential, piecewise)",
                                          continuous_update=False),
        alpha=ipywidgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                     description="alpha (cosine)", continuous_update=False),
        warmup_steps=ipywidgets.IntSlider(value=20, min=0, max=100, step=5,
                                          description="warmup_steps", continuous_update=False),
        steps=ipywidgets.fixed(steps))


# -- experiments on a real model ------------------------------------------------------------------

@dataclass
class TrainingRun:
    """One optimizer's run in ``train_curves``: the loss of every step and the trained model."""

    losses: np.ndarray
    model: object


def train_curves(build_model, optimizers, x, y, epochs=3, batch_size=32, seed=0,
                 loss="sparse_categorical_crossentropy"):
    """Train ``build_model()`` once per optimizer, from the same initial weights
    and on the same batches; returns ``{label: TrainingRun}``."""
    runs = {}
    for label, optimizer in optimizers.items():
        set_random_seed(seed)
        model = build_model()
        model.compile(optimizer=optimizer, loss=loss)
        losses = []
        for _ in range(epochs):
            order = generator().permutation(len(x))
            for start in range(0, len(x), batch_size):
                index = order[start:start + batch_size]
                losses.append(model.train_on_batch(x[index], y[index]))
        runs[label] = TrainingRun(np.array(losses), model)
    return runs


def smooth(values, weight=0.9):
    """Exponential moving average with bias correction, as training curves are smoothed."""
    average, out = 0.0, []
    for t, value in enumerate(values, 1):
        average = weight * average + (1 - weight) * value
        out.append(average / (1 - weight ** t))
    return np.array(out)


@dataclass
class RangeTestResult:
    """A learning-rate range test: the rate and the batch loss at each step."""

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float


def lr_range_test(build_model, x, y, optimizer="sgd", min_lr=1e-4, max_lr=10.0, steps=100,
                  batch_size=32, seed=0, loss="sparse_categorical_crossentropy", stop_factor=4.0):
    """Train with a learning rate growing exponentially from ``min_lr`` to
    ``max_lr`` over ``steps`` mini-batches, recording the loss (Smith, 2017).

    ``optimizer`` is a name or a function of the learning rate that builds one
    (``lambda lr: SGD(lr, momentum=0.9)``); it is given an ``ExponentialDecay``
    with a decay rate above 1, evaluated at each step as usual.  The test
    stops once the smoothed loss exceeds ``stop_factor`` times its minimum.
    The suggestion is a tenth of the rate at the smoothed loss's minimum: the
    largest rates that still make fast progress are just below the blow-up.
    """
    set_random_seed(seed)
    model = build_model()
    growth = (max_lr / min_lr) ** (1 / (steps - 1))
    schedule = ExponentialDecay(min_lr, decay_steps=1, decay_rate=growth)
    optimizer = get(optimizer, learning_rate=schedule) if isinstance(optimizer, str) \
        else optimizer(schedule)
    model.compile(optimizer=optimizer, loss=loss)
    order = np.concatenate([generator().permutation(len(x))
                            for _ in range(steps * batch_size // len(x) + 1)])
    rates, losses = [], []
    for step in range(steps):
        index = order[step * batch_size:(step + 1) * batch_size]
        rates.append(optimizer.learning_rate)
        losses.append(model.train_on_batch(x[index], y[index]))
        smoothed = smooth(losses)
        if not np.isfinite(smoothed[-1]) or smoothed[-1] > stop_factor * smoothed.min():
            break
    return RangeTestResult(np.array(rates), np.array(losses), smoothed,
                           rates[int(np.argmin(smoothed))] / 10)

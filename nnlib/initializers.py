"""Weight initializers with Keras 3's names, defaults and formulas.

An initializer is called as ``init(shape, dtype)`` and returns a new array.
Random ones draw from ``nnlib.utils.generator()`` unless given a ``seed``, in
which case every call returns the same values, as in Keras.  Arguments are
checked when the initializer is made (a seed is a whole number >= 0, a
stddev a finite number >= 0...), not when a layer first draws from it.
"""
import math

import numpy as np

from .backend import standardize_dtype
from . import registry
from .checks import real_number, whole_number
from .registry import register
from .serialization import Configurable, init_arguments
from .utils import generator


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    A kernel ``(kh, kw, in, out)`` has ``fan_in = kh*kw*in`` and
    ``fan_out = kh*kw*out``; a matrix ``(in, out)`` has ``in`` and ``out``.

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer(Configurable):
    """Base class: subclasses implement ``sample(shape, rng)`` in float64.

    The config is the arguments of ``__init__`` (see ``nnlib.serialization``).
    """

    def __init__(self, seed=None):
        self.seed = None if seed is None else whole_number(type(self).__name__, "seed", seed,
                                                            minimum=0)

    @classmethod
    def from_config(cls, config):
        """A new initializer from its config.  Configs written before nnlib read
        them by introspection hold every attribute, so a ``Constant``'s holds
        ``"seed": null`` though ``Constant`` takes no seed: a null seed is
        dropped for a class that takes none, so that those files load."""
        config = dict(config)
        if "seed" not in init_arguments(cls) and "seed" in config and config["seed"] is None:
            del config["seed"]
        return super().from_config(config)

    def __call__(self, shape, dtype=None):
        rng = generator() if self.seed is None else np.random.default_rng(self.seed)
        values = np.asarray(self.sample(tuple(shape), rng), dtype=np.float64)
        return values.reshape(shape).astype(standardize_dtype(dtype))

    def sample(self, shape, rng):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if v is not None)
        return f"{type(self).__name__}({args})"


def truncated_normal(shape, rng, stddev):
    """Normal draws with everything beyond two standard deviations redrawn."""
    values = rng.normal(0.0, 1.0, size=shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.normal(0.0, 1.0, size=outside.sum())
        outside = np.abs(values) > 2.0
    return stddev * values


@register("initializer", description="All zeros", use_case="Biases (the default)")
class Zeros(Initializer):
    """:math:`w = 0`."""

    def sample(self, shape, rng):
        return np.zeros(shape)


@register("initializer", description="All ones", use_case="Scales, e.g. normalisation gains")
class Ones(Initializer):
    """:math:`w = 1`."""

    def sample(self, shape, rng):
        return np.ones(shape)


@register("initializer", description="Every weight the same value",
          use_case="A chosen starting bias, e.g. LSTM's forget gate")
class Constant(Initializer):
    """:math:`w = c` for a given ``value`` :math:`c`."""

    def __init__(self, value=0.0):
        super().__init__()
        self.value = real_number(type(self).__name__, "value", value)

    def sample(self, shape, rng):
        return np.full(shape, self.value)


@register("initializer", description="Uniform on [minval, maxval]",
          use_case="Small random weights of a fixed range")
class RandomUniform(Initializer):
    """:math:`w \\sim U(\\text{minval}, \\text{maxval})`, default :math:`U(-0.05, 0.05)`."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = real_number(type(self).__name__, "minval", minval)
        self.maxval = real_number(type(self).__name__, "maxval", maxval)
        if self.minval > self.maxval:
            raise ValueError(f"{type(self).__name__}: minval must not exceed maxval, got "
                             f"minval={minval!r} and maxval={maxval!r} (swapped?)")

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, size=shape)


class Normal(Initializer):
    """Base of the two normal initializers: a ``mean`` and a ``stddev`` >= 0."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = real_number(type(self).__name__, "mean", mean)
        self.stddev = real_number(type(self).__name__, "stddev", stddev, low=0)


@register("initializer", description="Normal with given mean and stddev",
          use_case="Small random weights, e.g. embeddings")
class RandomNormal(Normal):
    """:math:`w \\sim N(\\text{mean}, \\text{stddev}^2)`, default stddev 0.05."""

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)


@register("initializer", description="Normal, redrawn beyond two stddevs",
          use_case="Random weights without outliers")
class TruncatedNormal(Normal):
    """Normal :math:`N(\\text{mean}, \\text{stddev}^2)` restricted to two stddevs."""

    def sample(self, shape, rng):
        return self.mean + truncated_normal(shape, rng, self.stddev)


class VarianceScaling(Initializer):
    """Random weights whose variance is ``scale / n``.

    ``n`` is ``fan_in``, ``fan_out`` or their mean (``mode``).  For the
    ``"truncated_normal"`` distribution the stddev is
    :math:`\\sqrt{\\text{scale}/n} / 0.8796` (the stddev of a standard
    normal truncated at two is 0.8796, so the draws keep variance
    ``scale / n``); for ``"normal"`` it is :math:`\\sqrt{\\text{scale}/n}`;
    ``"uniform"`` draws from :math:`U(-l, l)` with :math:`l = \\sqrt{3\\,\\text{scale}/n}`.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "normal", "uniform"):
            raise ValueError("VarianceScaling: distribution must be truncated_normal, "
                             f"normal or uniform, got {distribution!r}")
        self.scale = real_number(type(self).__name__, "scale", scale, low=0, low_open=True)
        self.mode, self.distribution = mode, distribution

    def sample(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return truncated_normal(shape, rng, math.sqrt(variance) / 0.87962566103423978)
        if self.distribution == "normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, size=shape)


def _variance_scaling(name, scale, mode, distribution, description, use_case):
    """Make a named VarianceScaling preset (Glorot, He, LeCun)."""

    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    doc = (f"VarianceScaling with scale={scale}, mode={mode!r}, "
           f"distribution={distribution!r}.\n\n" + VarianceScaling.__doc__)
    cls = type(name, (VarianceScaling,), {"__init__": __init__, "__doc__": doc,
                                          "__module__": __name__})
    return register("initializer", description=description, use_case=use_case)(cls)


GlorotUniform = _variance_scaling(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    "U(-l, l), l = sqrt(6 / (fan_in + fan_out))", "Dense and conv kernels (the Keras default)")
GlorotNormal = _variance_scaling(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    "Truncated normal, variance 2 / (fan_in + fan_out)", "Kernels before tanh or sigmoid")
HeUniform = _variance_scaling(
    "HeUniform", 2.0, "fan_in", "uniform",
    "U(-l, l), l = sqrt(6 / fan_in)", "Kernels before ReLU")
HeNormal = _variance_scaling(
    "HeNormal", 2.0, "fan_in", "truncated_normal",
    "Truncated normal, variance 2 / fan_in", "Kernels before ReLU")
LecunUniform = _variance_scaling(
    "LecunUniform", 1.0, "fan_in", "uniform",
    "U(-l, l), l = sqrt(3 / fan_in)", "Kernels before SELU")
LecunNormal = _variance_scaling(
    "LecunNormal", 1.0, "fan_in", "truncated_normal",
    "Truncated normal, variance 1 / fan_in", "Self-normalising networks (SELU)")


@register("initializer", description="A random orthogonal matrix times gain",
          use_case="Recurrent kernels: keeps the norm of repeated products")
class Orthogonal(Initializer):
    """Orthogonal weights :math:`W` with :math:`W^\\top W = g^2 I` (or :math:`W W^\\top`).

    The weight is flattened to ``(prod(shape[:-1]), shape[-1])``; a normal
    matrix is QR-decomposed and :math:`Q`'s columns are sign-corrected by
    :math:`\\operatorname{sign}(\\operatorname{diag} R)` so the result is
    uniformly distributed over orthogonal matrices.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = real_number(type(self).__name__, "gain", gain)

    def sample(self, shape, rng):
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = rng.normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


# Keras's short names for four initializers (``initializer="uniform"`` in its guides)
KERAS_SHORT_NAMES = {"uniform": "RandomUniform", "normal": "RandomNormal", "one": "Ones",
                     "zero": "Zeros"}


def get(identifier):
    """An initializer from a name (``"glorot_uniform"``, or Keras's short
    ``"uniform"``) or any ``Initializer``, registered or not.

    >>> type(get("uniform")).__name__
    'RandomUniform'
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        identifier = KERAS_SHORT_NAMES.get(identifier, identifier)
    return registry.get("initializer", identifier)

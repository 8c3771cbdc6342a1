"""Dropout and its family: random noise in training, the identity at inference.

Each layer perturbs its input only when called with ``training=True`` (as
``fit`` calls it); ``predict``, ``evaluate`` and a plain call get the input
itself back.  The noise keeps the expectation of every value,
:math:`\\mathbb{E}[y] = x` (``AlphaDropout`` keeps the mean and variance of
its input instead), so the layers after it see in training values of the
size they will see at inference, when nothing is dropped.

One base class, ``RandomNoise``, holds what they share: the checks of
``rate`` and ``seed``, the random source, the identity at inference, and
the backward pass.  Every layer here is linear in its input once the noise
is drawn, :math:`y = s \\odot x + c`, so the backward pass is the upstream
gradient times the slope :math:`s` the forward pass kept in its cache:

.. math::

    \\frac{\\partial L}{\\partial x} = s \\odot \\frac{\\partial L}{\\partial y}

A subclass says how it draws its noise (``draw``) and how it applies it
(``apply``, which returns :math:`y` and :math:`s`).

Random draws come from ``nnlib.utils.generator()``, so
``nnlib.utils.set_random_seed`` repeats them, unless the layer has a ``seed``:
then it draws from its own generator, made once from the seed, so two layers
of the same seed draw the same sequence of masks (each call a new one), as
Keras's ``SeedGenerator`` does.
"""
import math

import numpy as np

from ..activations import SELU
from ..checks import describe, is_number, one_of, real_number, whole_number, whole_numbers
from ..registry import register
from ..utils import generator
from .base import Layer


class RandomNoise(Layer):
    """Base class of the layers that add noise in training.

    Shared here: ``seed`` (a whole number ``>= 0``, or ``None`` for nnlib's
    global generator), the check of a drop ``rate`` (``drop_rate``) and of a
    ``noise_shape`` (``noise_shape_argument``, ``check_input_shape``), the
    identity at inference or when the layer is inactive (``rate = 0``), and
    the backward pass :math:`\\partial L/\\partial x = s \\odot \\partial
    L/\\partial y` with the slope :math:`s` of the forward pass (``None``
    for 1: the identity).

    A subclass writes ``draw(shape, rng)``, the noise for an input of
    ``shape``, and ``apply(x, noise)``, which returns ``(y, slope)``; and
    ``active`` if its strength is not ``self.rate``.  The layers have no
    weights, and a mask passes through them unchanged (``supports_masking``).
    """

    supports_masking = True
    noise_shape = None  # the input's shape; Dropout and AlphaDropout take one

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = None if seed is None else whole_number(describe(self), "seed", seed,
                                                           minimum=0)
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)

    # -- arguments -----------------------------------------------------------------------
    def drop_rate(self, rate):
        """``rate`` as a float in :math:`[0, 1)`: a fraction of values, and 1 would
        divide by zero (Keras takes it, then divides by zero or returns zeros)."""
        if is_number(rate) and rate == 1:
            raise self.error(f"rate must be a finite number in [0, 1), got {float(rate)!r}: "
                             f"a rate of 1 drops every value, and the scale of the kept "
                             f"ones, 1/(1 - rate), divides by zero")
        return real_number(describe(self), "rate", rate, 0.0, 1.0, high_open=True)

    def noise_shape_argument(self, noise_shape):
        """``noise_shape`` as a tuple of whole numbers ``>= 1`` or ``None`` (an axis
        taken from the input), or ``None``; checked against the input at each call."""
        if noise_shape is None:
            return None
        return whole_numbers(describe(self), "noise_shape", noise_shape, also=(None,))

    # -- shapes ----------------------------------------------------------------------------
    def noise_shape_for(self, shape):
        """The shape of the noise drawn for an input of ``shape``: ``noise_shape``
        with its ``None`` entries taken from ``shape``, or ``shape`` itself."""
        if self.noise_shape is None:
            return tuple(shape)
        return tuple(d if n is None else n for n, d in zip(self.noise_shape, shape))

    def check_input_shape(self, shape):
        """One input; if there is a ``noise_shape``, of its rank, each of its
        entries ``None``, 1 or the input's size on that axis."""
        if isinstance(shape, list):
            raise self.error(f"expected one input, got {len(shape)}")
        if self.noise_shape is None:
            return
        noise_shape = tuple(self.noise_shape)
        if len(noise_shape) != len(shape):
            raise self.error(f"noise_shape {noise_shape} has {len(noise_shape)} entries, but "
                             f"the input has rank {len(shape)} (shape {tuple(shape)}): "
                             f"noise_shape needs one entry per axis of the input, batch "
                             f"included")
        for axis, (n, d) in enumerate(zip(noise_shape, shape)):
            if n is not None and n != 1 and d is not None and n != d:
                raise self.error(f"noise_shape[{axis}] is {n}, but axis {axis} of the input "
                                 f"has size {d} (input shape {tuple(shape)}, noise_shape "
                                 f"{noise_shape}): each entry must be None, 1 or the input's "
                                 f"size on that axis")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # -- the noise -------------------------------------------------------------------------
    @property
    def active(self):
        """Whether training changes anything (``rate > 0``)."""
        return self.rate > 0

    def random_source(self):
        """The layer's own generator if it has a seed, else nnlib's global one
        (looked up at each call: ``set_random_seed`` replaces it)."""
        return generator() if self._rng is None else self._rng

    def draw(self, shape, rng):
        """The noise for an input of ``shape``, drawn from ``rng``."""
        raise NotImplementedError

    def apply(self, x, noise):
        """``(y, slope)``: the output, and :math:`\\partial y/\\partial x` (an array
        that broadcasts to ``x``, or ``None`` for 1)."""
        raise NotImplementedError

    # -- the protocol ----------------------------------------------------------------------
    def forward(self, x, *, training=False):
        if not (training and self.active):
            return x, None  # the input itself; backward is then the identity
        y, slope = self.apply(x, self.draw(x.shape, self.random_source()))
        return y.astype(x.dtype, copy=False), slope

    def backward(self, dy, slope, *, need_dx=True):
        if not need_dx:
            return None, {}
        return (dy if slope is None else dy * slope), {}


@register("layer", family="Dropout", aliases=("dropout",),
          description="Prevents overfitting by omitting units randomly during training",
          use_case="Regularization; the rate, each unit's drop probability, balances "
                   "overfitting")
class Dropout(RandomNoise):
    """Inverted dropout (Srivastava et al., 2014): in training each value is
    dropped (set to 0) with probability ``rate`` :math:`p`, and the kept ones
    are scaled by :math:`1/(1-p)`:

    .. math::

        y = \\frac{m \\odot x}{1 - p}, \\qquad m_i \\sim \\text{Bernoulli}(1 - p),
        \\qquad \\mathbb{E}[y] = x

    (Keras's draw: :math:`m = [u < 1 - p]` with :math:`u` uniform on
    :math:`[0, 1)`.)  Backward, with the same mask:

    .. math::

        \\frac{\\partial L}{\\partial x} = \\frac{m}{1 - p} \\odot
            \\frac{\\partial L}{\\partial y}

    so a dropped value passes no gradient back.  At inference (``predict``,
    ``evaluate``, any call without ``training=True``) the layer is the
    identity: the scaling in training, rather than a factor :math:`1 - p` at
    inference, keeps each value's expectation, so the next layer sees
    values of the same size in both.  A unit that cannot count on any one of
    its inputs learns features that do not depend on others being present:
    the network behaves like an average of the thinned networks it trains.

    Args:
        rate: the probability :math:`p` of dropping a value, in :math:`[0, 1)`;
            0 makes the layer the identity.
        noise_shape: the shape of the mask, broadcast to the input: one entry
            per axis of the input (batch included), each ``None`` (the input's
            size), 1 (one draw shared along that axis) or the input's size.
            ``(None, 1, features)`` on ``(batch, steps, features)`` drops the
            same features at every step.  ``None``: one draw per value.
        seed: a whole number ``>= 0`` for the layer's own generator, or
            ``None`` to draw from nnlib's (``nnlib.utils.set_random_seed``).

    Input: any shape; output: the same.  Where it belongs: after the
    ``Dense`` layers of a network that overfits (rates of 0.2 to 0.5); for
    feature maps see ``SpatialDropout2D``, for SELU networks ``AlphaDropout``.

    >>> x = np.ones((2, 4), "float32")
    >>> layer = Dropout(0.5)
    >>> layer(x) is x  # inference: the input itself
    True
    >>> np.unique(layer(x, training=True))  # dropped, or kept and doubled
    array([0., 2.], dtype=float32)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self.drop_rate(rate)
        self.noise_shape = self.noise_shape_argument(noise_shape)

    def draw(self, shape, rng):
        """The mask of kept values, ``True`` with probability :math:`1 - p`."""
        return rng.uniform(size=self.noise_shape_for(shape)) < 1.0 - self.rate

    def apply(self, x, mask):
        keep = 1.0 - self.rate
        return np.where(mask, x / keep, 0), mask.astype(x.dtype) / keep

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(0.5, noise_shape=(None, 1, 5)), (rng.normal(size=(4, 3, 5)),)


class SpatialDropout(Dropout):
    """Dropout of whole feature maps: the mask has shape ``(batch, 1, ..., 1,
    channels)`` (``(batch, channels, 1, ..., 1)`` channels first), one draw
    per sample and channel, broadcast over the ``rank`` spatial axes.

    .. math::

        y_{n,\\mathbf{p},c} = \\frac{m_{n,c}}{1 - p}\\, x_{n,\\mathbf{p},c},
        \\qquad
        \\frac{\\partial L}{\\partial x_{n,\\mathbf{p},c}} = \\frac{m_{n,c}}{1 - p}
            \\frac{\\partial L}{\\partial y_{n,\\mathbf{p},c}}

    Neighbouring values of a feature map are strongly correlated (early
    convolutions): dropping single values removes little that the neighbours
    do not carry, so ordinary dropout hardly regularizes there and mostly
    slows learning (Tompson et al., 2014).  Dropping the whole map makes the
    channels independent of one another instead.

    The arguments are Keras's: ``rate``, ``data_format`` (``"channels_last"``
    by default, or ``"channels_first"``; not for 1-D) and ``seed``, and those
    of every layer (``name``, ``dtype``...).  There is no ``noise_shape``:
    the layer sets it.
    """

    rank = None  # the number of spatial axes
    set_by_the_layer = ("noise_shape",)  # Dropout's arguments this layer does not take

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        self.refuse_set_arguments(kwargs, data_format)
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = one_of(describe(self), "data_format",
                                  "channels_last" if data_format is None else data_format,
                                  ("channels_last", "channels_first"))

    def get_config(self):
        """Keras's config of the layer: ``Dropout``'s without the arguments the
        layer sets itself, and with an ``activity_regularizer`` only if it has
        one (Keras's spatial layers take none, so such a config loads into Keras)."""
        config = {key: value for key, value in super().get_config().items()
                  if key not in self.set_by_the_layer}
        if config.get("activity_regularizer", False) is None:
            del config["activity_regularizer"]
        return config

    def refuse_set_arguments(self, kwargs, data_format=None):
        """A ``TypeError`` if ``kwargs`` holds an argument the layer sets itself."""
        for argument in self.set_by_the_layer:
            if argument in kwargs:
                raise TypeError(f"{type(self).__name__} takes no {argument} (nor does "
                                f"Keras's): it drops whole feature maps of its inputs "
                                f"{self.layout(data_format)}, one draw per sample and channel")

    def layout(self, data_format):
        """``(batch, dim1, dim2, channels)``..., the input this layer expects."""
        spatial = ", ".join(["steps"] if self.rank == 1 else
                            [f"dim{i + 1}" for i in range(self.rank)])
        return f"(batch, channels, {spatial})" if data_format == "channels_first" \
            else f"(batch, {spatial}, channels)"

    def noise_shape_for(self, shape):
        channels = 1 if self.data_format == "channels_first" else len(shape) - 1
        return tuple(d if axis in (0, channels) else 1 for axis, d in enumerate(shape))

    def check_input_shape(self, shape):
        rank = self.rank + 2
        if isinstance(shape, list) or len(shape) != rank:
            raise self.error(f"expected one input of rank {rank}, "
                             f"{self.layout(self.data_format)}, got shape {shape}")

    @classmethod
    def gradient_check_sample(cls, rng):
        shape = {1: (4, 3, 5), 2: (3, 4, 3, 4), 3: (2, 3, 2, 2, 4)}[cls.rank]
        return cls(0.5), (rng.normal(size=shape),)


@register("layer", family="Spatial Dropout", aliases=("spatial_dropout1d",),
          description="Drops whole feature maps (channels) rather than single values",
          use_case="CNNs: keeps feature maps independent where neighbouring values are "
                   "correlated")
class SpatialDropout1D(SpatialDropout):
    """``SpatialDropout`` (see there) of sequences ``(batch, steps, channels)``:
    the mask ``(batch, 1, channels)`` drops a channel at every step at once.

    Keras's arguments: ``rate`` and ``seed`` (channels last only, as in Keras).

    >>> x = np.ones((2, 5, 3), "float32")
    >>> y = SpatialDropout1D(0.5)(x, training=True)
    >>> bool(np.all(y == y[:, :1, :]))  # each channel kept or dropped at every step
    True
    """

    rank = 1
    set_by_the_layer = ("noise_shape", "data_format")

    def __init__(self, rate, seed=None, **kwargs):
        self.refuse_set_arguments(kwargs)
        super().__init__(rate, seed=seed, **kwargs)


@register("layer", family="Spatial Dropout", aliases=("spatial_dropout2d",),
          description="Drops whole feature maps (channels) rather than single values",
          use_case="CNNs: keeps feature maps independent where neighbouring values are "
                   "correlated")
class SpatialDropout2D(SpatialDropout):
    """``SpatialDropout`` (see there) of images ``(batch, height, width,
    channels)``, or ``(batch, channels, height, width)`` with
    ``data_format="channels_first"``: the mask ``(batch, 1, 1, channels)``
    keeps or drops each feature map whole.  Where it belongs: between the
    convolutions of a CNN, where ``Dropout`` would be.
    """

    rank = 2


@register("layer", family="Spatial Dropout", aliases=("spatial_dropout3d",),
          description="Drops whole feature maps (channels) rather than single values",
          use_case="CNNs: keeps feature maps independent where neighbouring values are "
                   "correlated")
class SpatialDropout3D(SpatialDropout):
    """``SpatialDropout`` (see there) of volumes ``(batch, dim1, dim2, dim3,
    channels)`` (or channels first): the mask ``(batch, 1, 1, 1, channels)``
    keeps or drops each 3-D feature map whole."""

    rank = 3


@register("layer", family="Alpha Dropout", aliases=("alpha_dropout",),
          description="Drops to SELU's negative saturation and rescales, keeping mean and "
                      "variance",
          use_case="Self-normalizing networks (SELU with lecun_normal)")
class AlphaDropout(RandomNoise):
    """Dropout for self-normalizing networks (Klambauer et al., 2017): a
    dropped value is set to SELU's negative saturation
    :math:`\\alpha' = -\\lambda\\alpha \\approx -1.7581` rather than 0, and an
    affine map restores mean 0 and variance 1:

    .. math::

        y = a\\big(m \\odot x + \\alpha'(1 - m)\\big) + b, \\qquad
        m_i \\sim \\text{Bernoulli}(1 - p)

    with :math:`\\alpha, \\lambda` SELU's constants and

    .. math::

        a = \\big((1 - p)(1 + p\\,\\alpha'^2)\\big)^{-1/2}, \\qquad
        b = -a\\,\\alpha' p

    For an input of mean 0 and variance 1, :math:`\\tilde x = m \\odot x +
    \\alpha'(1 - m)` has mean :math:`\\alpha' p` and variance
    :math:`(1 - p)(1 + p\\,\\alpha'^2)`; :math:`a` and :math:`b` standardize
    it.  A dropped value becomes :math:`a\\alpha' + b`.  Backward:

    .. math::

        \\frac{\\partial L}{\\partial x} = a\\, m \\odot \\frac{\\partial L}{\\partial y}

    Plain dropout would break what SELU keeps: zeros are not SELU's resting
    value, and scaling by :math:`1/(1-p)` changes the variance.  Here the
    mean and variance, not each value's expectation, are kept.  Where it
    belongs: in SELU networks initialized with ``lecun_normal``, with small
    rates (0.05 to 0.1).  At inference the layer is the identity.

    Args (Keras's, the mask drawn as :math:`m = [u \\ge p]`):
        rate: the probability :math:`p` of dropping a value, in :math:`[0, 1)`.
        noise_shape: as for ``Dropout``.
        seed: as for ``Dropout``.

    >>> layer = AlphaDropout(0.1)
    >>> round(layer.dropped_value, 4)  # a alpha' + b
    -1.4577
    """

    ALPHA_P = -SELU.ALPHA * SELU.SCALE  # Keras's alpha_p, SELU's lower limit

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self.drop_rate(rate)
        self.noise_shape = self.noise_shape_argument(noise_shape)

    @property
    def affine(self):
        """:math:`(a, b)` of the affine correction, for this rate."""
        p, alpha_p = self.rate, self.ALPHA_P
        a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
        return a, -a * alpha_p * p

    @property
    def dropped_value(self):
        """What a dropped value becomes: :math:`a\\alpha' + b`."""
        a, b = self.affine
        return a * self.ALPHA_P + b

    def draw(self, shape, rng):
        """The mask of kept values, Keras's :math:`u \\ge p`."""
        return rng.uniform(size=self.noise_shape_for(shape)) >= self.rate

    def apply(self, x, mask):
        a, b = self.affine
        kept = mask.astype(x.dtype)
        return a * (x * kept + self.ALPHA_P * (1 - kept)) + b, a * kept

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(0.3), (rng.normal(size=(4, 6)),)


@register("layer", family="Gaussian Dropout", aliases=("gaussian_dropout",),
          description="Multiplies by Gaussian noise of mean 1 instead of zeroing",
          use_case="An alternative regularization: noise without dropped units")
class GaussianDropout(RandomNoise):
    """Multiplicative Gaussian noise of mean 1 (Srivastava et al., 2014, 10):

    .. math::

        y = \\varepsilon \\odot x, \\qquad
        \\varepsilon_i \\sim \\mathcal{N}\\Big(1, \\frac{p}{1 - p}\\Big), \\qquad
        \\frac{\\partial L}{\\partial x} = \\varepsilon \\odot
            \\frac{\\partial L}{\\partial y}

    The variance :math:`p/(1-p)` is that of dropout's multiplier
    :math:`m/(1-p)`, so ``rate`` means what it means for ``Dropout``; the
    mean 1 keeps each value's expectation, and nothing is set to zero.  At
    inference the layer is the identity.

    Args:
        rate: :math:`p` in :math:`[0, 1)`; the noise has standard deviation
            :math:`\\sqrt{p/(1-p)}`.
        seed: as for ``Dropout``.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self.drop_rate(rate)

    @property
    def stddev(self):
        """:math:`\\sqrt{p/(1-p)}`, the noise's standard deviation."""
        return math.sqrt(self.rate / (1.0 - self.rate))

    def draw(self, shape, rng):
        return rng.normal(1.0, self.stddev, size=shape)

    def apply(self, x, noise):
        noise = noise.astype(x.dtype)
        return x * noise, noise

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(0.3), (rng.normal(size=(4, 6)),)


@register("layer", family="Gaussian Noise", aliases=("gaussian_noise",),
          description="Adds zero-mean Gaussian noise during training",
          use_case="Regularization by noisy inputs; augmentation of real-valued data")
class GaussianNoise(RandomNoise):
    """Additive Gaussian noise of mean 0:

    .. math::

        y = x + \\varepsilon, \\qquad \\varepsilon_i \\sim \\mathcal{N}(0, \\sigma^2),
        \\qquad \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y}

    The mean 0 keeps each value's expectation.  A corruption of the inputs,
    natural for real-valued data: each epoch sees slightly different samples
    (an augmentation), and a model that must answer the same for nearby
    inputs is smoother.  At inference the layer is the identity.

    Args:
        stddev: :math:`\\sigma`, in :math:`[0, 1]`: Keras's range (it refuses
            more); 0 makes the layer the identity.
        seed: as for ``Dropout``.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = real_number(describe(self), "stddev", stddev, 0.0, 1.0)

    @property
    def active(self):
        return self.stddev > 0

    def draw(self, shape, rng):
        return rng.normal(0.0, self.stddev, size=shape)

    def apply(self, x, noise):
        return x + noise.astype(x.dtype), None

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(0.5), (rng.normal(size=(4, 6)),)

"""Embedding: integer ids to learned vectors, one row of a table per id."""
import numpy as np

from .. import initializers, regularizers
from ..checks import component, describe, flag, whole_number
from ..registry import register
from .base import Layer


@register("layer", family="Embedding", aliases=("embedding",),
          description="Maps discrete input", use_case="Word representations for text")
class Embedding(Layer):
    """Looks up row :math:`i` of a learned table :math:`E` for each id :math:`i`.

    .. math::

        y_{n,t} = E_{x_{n,t}}, \\qquad
        \\frac{\\partial L}{\\partial E_i} = \\sum_{(n,t):\\, x_{n,t} = i}
            \\frac{\\partial L}{\\partial y_{n,t}}

    The same as a ``Dense`` layer without bias applied to one-hot vectors,
    without ever building them.  Ids are not differentiable: the backward
    pass returns no input gradient.

    Args:
        input_dim: the vocabulary size, ``>= 1``; ids lie in ``[0, input_dim)``.
        output_dim: the length of each vector, ``>= 1``.
        embeddings_initializer: Keras's default is ``"uniform"``, that is
            ``RandomUniform(-0.05, 0.05)``.
        mask_zero: id 0 is padding.  The layer then outputs a mask
            ``ids != 0`` that travels with its output through the model, so
            that layers which can (global average pooling, recurrent layers,
            the loss) ignore padded steps.  Id 0 then never stands for a
            word, so ``input_dim`` is the vocabulary size plus one.

    Input: integer ids of any shape ``(batch, ...)``; floats holding whole
    numbers are accepted, since a model's ``Input`` is float32 as in Keras.
    Output: ``(batch, ..., output_dim)``.  Weight: ``embeddings``,
    ``(input_dim, output_dim)``.

    >>> layer = Embedding(10, 3, mask_zero=True)
    >>> ids = np.array([[4, 2, 0]])
    >>> layer(ids).shape
    (1, 3, 3)
    >>> layer.compute_mask(ids, None)
    array([[ True,  True, False]])
    """

    supports_masking = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="random_uniform",
                 embeddings_regularizer=None, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        owner = describe(self)
        self.input_dim = whole_number(owner, "input_dim", input_dim)
        self.output_dim = whole_number(owner, "output_dim", output_dim)
        component(owner, "embeddings_initializer", initializers.get, embeddings_initializer)
        self.embeddings_initializer = embeddings_initializer  # kept as given, for the config
        self.embeddings_regularizer = component(owner, "embeddings_regularizer",
                                                regularizers.get, embeddings_regularizer)
        self.mask_zero = flag(owner, "mask_zero", mask_zero)

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer)

    def prepare(self, x):
        """Check that ``x`` holds ids in ``[0, input_dim)``; return them as integers."""
        if isinstance(x, (list, tuple)):
            raise self.error(f"expected one array of ids, got a list of {len(x)}")
        x = np.asarray(x)
        if x.dtype.kind == "f" and np.all(x == np.round(x)):
            x = x.astype(np.int64)
        if x.dtype.kind not in "iu":
            raise TypeError(f"Embedding '{self.name}': expected integer ids, got dtype "
                            f"{x.dtype}" + (" with fractional values" if x.dtype.kind == "f"
                                            else ""))
        if x.size and (x.min() < 0 or x.max() >= self.input_dim):
            raise self.error(f"ids must lie in [0, {self.input_dim}) (input_dim="
                             f"{self.input_dim}), got values from {x.min()} to {x.max()}")
        self.ensure_built(x.shape)
        return x

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def compute_mask(self, x, mask):
        return np.not_equal(x, 0) if self.mask_zero else None

    def forward(self, x, *, training=False):
        return self.embeddings.value[x], x

    def backward(self, dy, x, *, need_dx=True):
        dE = np.zeros_like(self.embeddings.value)
        np.add.at(dE, x.ravel(), dy.reshape(-1, self.output_dim))  # ids may repeat
        return None, {"embeddings": dE}

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(5, 3), (rng.integers(0, 5, size=(3, 4)),)

"""The op table: every op of ``nnlib.ops`` with its vjp and a builder of
sample inputs, from which the tests are generated (adding a row adds the op's
gradient check against central differences and its parity check with
``keras.ops``).

A builder takes a NumPy ``Generator`` and returns ``(args, kwargs)``; the
float arrays among the arguments (also inside a list, as for
``concatenate``) are the ones differentiated. Inputs of ops with a kink are
drawn clear of it, so that a finite difference does not straddle it.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from nnlib.activations import away_from, away_from_zero
from nnlib.ops import creation, elementwise as ew, linalg, reductions as red, shapes


@dataclass(frozen=True)
class OpCase:
    """One row: ``op(*args, **kwargs)`` on ``sample(rng)``, differentiated by
    ``vjp`` (``None``: no gradient); ``in_keras`` if ``keras.ops`` has the op."""
    op: Callable
    vjp: Optional[Callable]
    sample: Callable
    note: str = ""
    in_keras: bool = True

    @property
    def name(self):
        return self.op.__name__ + (f"[{self.note}]" if self.note else "")


def normal(*shape):
    """A builder's helper: standard normal values of ``shape``."""
    return lambda rng: rng.normal(size=shape)


def args(*builders, **kwargs):
    """A sample builder: each positional builder is called with the generator
    (a list of builders gives a list of arrays); other values pass as they are."""
    def build(value, rng):
        if isinstance(value, list):
            return [build(v, rng) for v in value]
        return value(rng) if callable(value) else value
    return lambda rng: (tuple(build(b, rng) for b in builders), kwargs)


def positive(*shape):
    """A builder's helper: values in ``[0.5, 2]`` (for ``log``, ``sqrt``, a base)."""
    return lambda rng: rng.uniform(0.5, 2.0, size=shape)


def nonzero(*shape):
    """A builder's helper: values clear of zero (for a divisor, ``abs``, ``relu``)."""
    return lambda rng: away_from_zero(rng, shape)


def tied_pair(*shape):
    """A builder: two arrays of ``shape`` equal at about half their entries (for
    ``maximum`` and ``minimum``, whose tied entries share the gradient)."""
    def build(rng):
        x1 = rng.normal(size=shape)
        return (x1, np.where(rng.uniform(size=shape) < 0.5, x1, rng.normal(size=shape))), {}
    return build

OP_TABLE = [
    OpCase(ew.add, ew.add_vjp, args(normal(2, 3), normal(3))),
    OpCase(ew.subtract, ew.subtract_vjp, args(normal(2, 1), normal(1, 3))),
    OpCase(ew.multiply, ew.multiply_vjp, args(normal(2, 3), normal(2, 3))),
    OpCase(ew.divide, ew.divide_vjp, args(normal(2, 3), nonzero(3))),
    OpCase(ew.negative, ew.negative_vjp, args(normal(2, 3))),
    OpCase(ew.power, ew.power_vjp, args(positive(2, 3), normal(2, 3))),
    OpCase(ew.power, ew.power_vjp, args(normal(2, 3), 3.0), note="constant exponent"),
    OpCase(ew.maximum, ew.pairwise_extremum_vjp, args(normal(2, 3), normal(3))),
    OpCase(ew.minimum, ew.pairwise_extremum_vjp, args(normal(2, 1), normal(1, 3))),
    OpCase(ew.maximum, ew.pairwise_extremum_vjp, tied_pair(3, 4), note="ties"),
    OpCase(ew.minimum, ew.pairwise_extremum_vjp, tied_pair(3, 4), note="ties"),
    OpCase(ew.equal, None, args(lambda rng: rng.integers(0, 2, (2, 3)) * 1.0, 1.0)),
    OpCase(ew.not_equal, None, args(lambda rng: rng.integers(0, 2, (2, 3)) * 1.0, 1.0)),
    OpCase(ew.greater, None, args(normal(2, 3), normal(3))),
    OpCase(ew.greater_equal, None, args(normal(2, 3), normal(3))),
    OpCase(ew.less, None, args(normal(2, 3), normal(3))),
    OpCase(ew.less_equal, None, args(normal(2, 3), normal(3))),
    OpCase(ew.exp, ew.exp_vjp, args(normal(2, 3))),
    OpCase(ew.expm1, ew.expm1_vjp, args(normal(2, 3))),
    OpCase(ew.log, ew.log_vjp, args(positive(2, 3))),
    OpCase(ew.sqrt, ew.sqrt_vjp, args(positive(2, 3))),
    OpCase(ew.square, ew.square_vjp, args(normal(2, 3))),
    OpCase(ew.abs, ew.abs_vjp, args(nonzero(2, 3))),
    OpCase(ew.tanh, ew.tanh_vjp, args(normal(2, 3))),
    OpCase(ew.erf, ew.erf_vjp, args(normal(2, 3))),
    OpCase(ew.clip, ew.clip_vjp,
           args(lambda rng: away_from(rng, (3, 4), [-0.5, 0.5], -1.0, 1.0, 0.05), -0.5, 0.5)),
    OpCase(ew.where, ew.where_vjp,
           args(lambda rng: rng.normal(size=(2, 3)) > 0, normal(2, 3), normal(3))),
    OpCase(ew.relu, ew.relu_vjp, args(nonzero(2, 3))),
    OpCase(ew.sigmoid, ew.sigmoid_vjp, args(normal(2, 3))),
    OpCase(ew.softplus, ew.softplus_vjp, args(normal(2, 3))),
    OpCase(ew.softmax, ew.softmax_vjp, args(normal(2, 4))),
    OpCase(ew.softmax, ew.softmax_vjp, args(normal(3, 2), axis=0), note="axis=0"),
    OpCase(ew.log_softmax, ew.log_softmax_vjp, args(normal(2, 4))),
    OpCase(red.argmax, None, args(normal(2, 5), axis=-1)),
    OpCase(red.argmin, None, args(normal(2, 5), axis=0)),
    OpCase(red.sum, red.sum_vjp, args(normal(2, 3, 4))),
    OpCase(red.sum, red.sum_vjp, args(normal(2, 3, 4), axis=1), note="axis=1"),
    OpCase(red.mean, red.mean_vjp, args(normal(2, 3, 4), axis=(0, 2), keepdims=True),
           note="axis=(0, 2), keepdims"),
    OpCase(red.mean, red.mean_vjp, args(normal(2, 3))),
    OpCase(red.max, red.extremum_vjp, args(normal(2, 5), axis=-1), note="axis=-1"),
    OpCase(red.min, red.extremum_vjp, args(normal(2, 5))),
    OpCase(red.max, red.extremum_vjp, args(normal(3, 4), axis=0, initial=1.0), note="initial"),
    OpCase(red.min, red.extremum_vjp, args(normal(3, 2), axis=0, keepdims=True),
           note="axis=0, keepdims"),
    OpCase(linalg.matmul, linalg.matmul_vjp, args(normal(2, 3, 4), normal(4, 5))),
    OpCase(linalg.matmul, linalg.matmul_vjp, args(normal(4), normal(2, 4, 5)), note="vector"),
    OpCase(linalg.matmul, linalg.matmul_vjp, args(normal(4), normal(4)), note="two vectors"),
    OpCase(linalg.dot, linalg.matmul_vjp, args(normal(2, 3), normal(3))),
    OpCase(linalg.einsum, linalg.einsum_vjp, args("ij,jk->ik", normal(2, 3), normal(3, 4))),
    OpCase(linalg.einsum, linalg.einsum_vjp, args("bij,j->bi", normal(2, 3, 4), normal(4)),
           note="batched"),
    OpCase(linalg.einsum, linalg.einsum_vjp, args("ij,k->j", normal(2, 3), normal(4)),
           note="letters summed alone"),
    OpCase(shapes.reshape, shapes.same_shape_vjp, args(normal(2, 3), (3, 2))),
    OpCase(shapes.transpose, shapes.transpose_vjp, args(normal(2, 3, 4), (1, 2, 0))),
    OpCase(shapes.transpose, shapes.transpose_vjp, args(normal(2, 3)), note="reversed"),
    OpCase(shapes.expand_dims, shapes.same_shape_vjp, args(normal(2, 3), 1)),
    OpCase(shapes.squeeze, shapes.same_shape_vjp, args(normal(2, 1, 3), 1)),
    OpCase(shapes.concatenate, shapes.concatenate_vjp,
           args([normal(2, 3), normal(2, 1)], axis=1)),
    OpCase(shapes.stack, shapes.stack_vjp, args([normal(2, 3), normal(2, 3)], axis=1)),
    OpCase(shapes.split, shapes.getitem_vjp, args(normal(4, 3), 2)),
    OpCase(shapes.split, shapes.getitem_vjp, args(normal(3, 5), [1, 3], axis=1),
           note="at indices"),
    OpCase(shapes.take, shapes.getitem_vjp,
           args(normal(3, 4), np.array([[0, -1], [2, 2]]), axis=1), note="repeated indices"),
    OpCase(shapes.take, shapes.getitem_vjp, args(normal(3, 4), np.array([5, 5, 11]))),
    OpCase(shapes.getitem, shapes.getitem_vjp,
           args(normal(4, 3), (np.array([0, 0, 3]), slice(1, None))), in_keras=False),
    OpCase(creation.cast, creation.cast_vjp, args(normal(2, 3), "float64")),
    OpCase(creation.cast, None, args(normal(2, 3), "int32"), note="to int32"),
    OpCase(creation.zeros, None, args((2, 3))),
    OpCase(creation.ones, None, args((2, 3))),
    OpCase(creation.zeros_like, None, args(normal(2, 3))),
    OpCase(creation.stop_gradient, None, args(normal(2, 3))),
    OpCase(creation.convert_to_numpy, None, args(normal(2, 3))),
]

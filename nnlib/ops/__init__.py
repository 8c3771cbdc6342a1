"""NumPy operations under ``keras.ops``'s names, differentiable on a tape.

Outside a ``GradientTape`` each op is a plain NumPy call returning a plain
array. Inside one, the ops on watched arrays are recorded, and
``tape.gradient`` runs them backwards, each through its vector-Jacobian
product (written beside the op). ``grad(f)`` does the same for a function.

>>> import numpy as np
>>> from nnlib import ops
>>> x, w = np.array([[1.0, 2.0]]), np.array([[0.5], [-1.0]])
>>> with ops.GradientTape() as tape:
...     w_traced = tape.watch(w)
...     loss = ops.sum(ops.square(x @ w_traced))
>>> tape.gradient(loss, w)
array([[-3.],
       [-6.]])
"""
from nnlib.ops.creation import cast, convert_to_numpy, ones, stop_gradient, zeros, zeros_like
from nnlib.ops.elementwise import (abs, add, clip, divide, equal, erf, exp, expm1, greater,
                                   greater_equal, less, less_equal, log, log_softmax, maximum,
                                   minimum, multiply, negative, not_equal, power, relu, sigmoid,
                                   softmax, softplus, sqrt, square, subtract, tanh, where)
from nnlib.ops.linalg import dot, einsum, matmul
from nnlib.ops.operators import Tensor, refusing_numpy_functions  # Python's operators attached
from nnlib.ops.reductions import argmax, argmin, max, mean, min, sum
from nnlib.ops.shapes import (concatenate, expand_dims, getitem, reshape, split, squeeze, stack,
                              take, transpose)
from nnlib.ops.tape import GradientTape, grad, unbroadcast

__all__ = [
    "GradientTape", "Tensor", "grad", "unbroadcast",
    "abs", "add", "argmax", "argmin", "cast", "clip", "concatenate", "convert_to_numpy", "divide", "dot",
    "einsum", "equal", "erf", "exp", "expand_dims", "expm1", "getitem", "greater",
    "greater_equal", "less", "less_equal", "log", "log_softmax", "matmul", "max", "maximum",
    "mean", "min", "minimum", "multiply", "negative", "not_equal", "ones", "power", "relu",
    "reshape", "sigmoid", "softmax", "softplus", "split", "sqrt", "square", "squeeze", "stack",
    "stop_gradient", "subtract", "sum", "take", "tanh", "transpose", "where", "zeros",
    "zeros_like",
]

Tensor.__array_function__ = refusing_numpy_functions(frozenset(__all__))

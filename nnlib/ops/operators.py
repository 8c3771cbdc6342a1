"""Python's operators on a ``Tensor`` and on a ``Variable`` (a layer's weight):
each is the op of the same meaning, so ``x * w + b`` on traced tensors records
like ``add(multiply(x, w), b)``.  NumPy's functions on a tensor are refused
(``refusing_numpy_functions``): they would leave the tape without a word."""
import numpy as np

from nnlib.ops.elementwise import (add, divide, greater, greater_equal, less, less_equal,
                                   multiply, negative, power, subtract)
from nnlib.ops.linalg import matmul
from nnlib.ops.shapes import getitem, transpose
from nnlib.ops.tape import Tensor, Variable


def reflected(op):
    """The reflected form of an operator: ``a + t`` calls ``t.__radd__(a)``,
    which is ``op(a, t)``."""
    return lambda self, other: op(other, self)


def refusing_numpy_functions(op_names):
    """``Tensor.__array_function__``: NumPy's functions (``np.where``,
    ``np.stack``...) would compute on the tensor's value and leave the tape,
    losing the gradient silently, so they raise, naming the op among
    ``op_names`` to use instead.  Only the questions about the shape are
    answered."""
    def __array_function__(self, func, types, args, kwargs):
        if func in (np.shape, np.ndim, np.size):
            return func(self.value)
        name = func.__name__
        fix = f"nnlib.ops.{name}" if name in op_names else "the ops of nnlib.ops"
        raise TypeError(f"np.{name} on a traced tensor would compute outside the gradient "
                        f"tape, and the gradient through it would be lost; use {fix} "
                        f"(or ops.stop_gradient(x) first, if no gradient should flow)")
    return __array_function__


for cls in (Tensor, Variable):
    cls.__add__, cls.__radd__ = add, reflected(add)  # the op itself is the method
    cls.__sub__, cls.__rsub__ = subtract, reflected(subtract)
    cls.__mul__, cls.__rmul__ = multiply, reflected(multiply)
    cls.__truediv__, cls.__rtruediv__ = divide, reflected(divide)
    cls.__pow__, cls.__rpow__ = power, reflected(power)
    cls.__matmul__, cls.__rmatmul__ = matmul, reflected(matmul)
    cls.__gt__, cls.__lt__ = greater, less
    cls.__ge__, cls.__le__ = greater_equal, less_equal
    cls.__neg__ = negative
    cls.__getitem__ = getitem
    cls.T = property(transpose, doc="The array with its axes reversed.")

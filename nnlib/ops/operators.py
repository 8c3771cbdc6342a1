"""Python's operators on a ``Tensor`` and on a ``Variable`` (a layer's weight):
each is the op of the same meaning, so ``x * w + b`` on traced tensors records
like ``add(multiply(x, w), b)``."""
from nnlib.ops.elementwise import (add, divide, greater, greater_equal, less, less_equal,
                                   multiply, negative, power, subtract)
from nnlib.ops.linalg import matmul
from nnlib.ops.shapes import getitem, transpose
from nnlib.ops.tape import Tensor, Variable


def both_ways(op):
    """The operator and its reflected form (``a + t`` calls ``t.__radd__(a)``)."""
    return (lambda self, other: op(self, other)), (lambda self, other: op(other, self))


for cls in (Tensor, Variable):
    cls.__add__, cls.__radd__ = both_ways(add)
    cls.__sub__, cls.__rsub__ = both_ways(subtract)
    cls.__mul__, cls.__rmul__ = both_ways(multiply)
    cls.__truediv__, cls.__rtruediv__ = both_ways(divide)
    cls.__pow__, cls.__rpow__ = both_ways(power)
    cls.__matmul__, cls.__rmatmul__ = both_ways(matmul)
    cls.__gt__, cls.__lt__ = both_ways(greater)[0], both_ways(less)[0]
    cls.__ge__, cls.__le__ = both_ways(greater_equal)[0], both_ways(less_equal)[0]
    cls.__neg__ = negative
    cls.__getitem__ = getitem
    cls.T = property(transpose, doc="The array with its axes reversed.")

"""Python's operators on a ``Tensor``: each is the op of the same meaning, so
``x * w + b`` on traced tensors records like ``add(multiply(x, w), b)``."""
from nnlib.ops.elementwise import (add, divide, greater, greater_equal, less, less_equal,
                                   multiply, negative, power, subtract)
from nnlib.ops.linalg import matmul
from nnlib.ops.shapes import getitem, transpose
from nnlib.ops.tape import Tensor


def both_ways(op):
    """The operator and its reflected form (``a + t`` calls ``t.__radd__(a)``)."""
    return (lambda self, other: op(self, other)), (lambda self, other: op(other, self))


Tensor.__add__, Tensor.__radd__ = both_ways(add)
Tensor.__sub__, Tensor.__rsub__ = both_ways(subtract)
Tensor.__mul__, Tensor.__rmul__ = both_ways(multiply)
Tensor.__truediv__, Tensor.__rtruediv__ = both_ways(divide)
Tensor.__pow__, Tensor.__rpow__ = both_ways(power)
Tensor.__matmul__, Tensor.__rmatmul__ = both_ways(matmul)
Tensor.__gt__, Tensor.__lt__ = both_ways(greater)[0], both_ways(less)[0]
Tensor.__ge__, Tensor.__le__ = both_ways(greater_equal)[0], both_ways(less_equal)[0]
Tensor.__neg__ = negative
Tensor.__getitem__ = getitem
Tensor.T = property(transpose, doc="The tensor with its axes reversed.")

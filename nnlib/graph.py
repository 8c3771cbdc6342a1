"""Symbolic tensors: what ``layer(Input(...))`` returns while a model is described.

A ``SymbolicTensor`` holds a shape (``None`` for the batch axis) and the
``Node`` that produced it; a ``Node`` records one call of a layer on some
symbolic inputs.  Models walk these records to find their layers' order.
"""


class SymbolicTensor:
    """A placeholder for an array of ``shape`` that a model will compute."""

    def __init__(self, shape, dtype, node=None, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} name={self.name}>"


class Node:
    """One call of ``layer`` on ``inputs`` (symbolic tensors) giving ``outputs``."""

    def __init__(self, layer, inputs, outputs):
        self.layer = layer
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        for tensor in self.outputs:
            tensor.node = self
        layer.inbound_nodes.append(self)

    @property
    def parents(self):
        return [t.node for t in self.inputs if t.node is not None]


def is_symbolic(x):
    """True if ``x`` is a symbolic tensor or a list/tuple of them."""
    if isinstance(x, (list, tuple)):
        return any(isinstance(t, SymbolicTensor) for t in x)
    return isinstance(x, SymbolicTensor)


def topological_order(outputs):
    """The nodes that ``outputs`` depend on, each after every node it reads."""
    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    for tensor in outputs:
        visit(tensor.node)
    return order

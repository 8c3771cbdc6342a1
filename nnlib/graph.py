"""Symbolic tensors: what ``layer(Input(...))`` returns while a model is described.

A ``SymbolicTensor`` holds a shape (``None`` for the batch axis) and the
``Node`` that produced it; a ``Node`` records one call of a layer whole, as
Keras's ``node.arguments`` does: the positional input (one tensor or a list
of them), the tensors given by keyword (``initial_state=[h, c]``,
``mask=m``) and the outputs, one tensor each (a layer may return several).
Models walk these records to find their layers' order.

Structures (a tensor, or lists, tuples and dicts of them) are flattened and
packed again by ``flatten`` and ``pack_as``; dicts in sorted key order, as
Keras flattens them.
"""


class SymbolicTensor:
    """A placeholder for an array of ``shape`` that a model will compute: output
    number ``index`` of ``node``."""

    def __init__(self, shape, dtype, node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} name={self.name}>"


class Node:
    """One call of ``layer``: ``layer(inputs, **keywords)`` gave ``outputs``.

    ``inputs`` is the positional argument (a tensor or a list of tensors),
    ``keywords`` the tensor arguments given by name; ``tensors`` lists every
    tensor the call reads, positional ones first.
    """

    def __init__(self, layer, inputs, outputs, keywords=None):
        self.layer = layer
        self.inputs = inputs
        self.keywords = dict(keywords or {})
        self.tensors = flatten([inputs, self.keywords])
        self.outputs = list(outputs)
        for index, tensor in enumerate(self.outputs):
            tensor.node, tensor.index = self, index
        layer.inbound_nodes.append(self)

    @property
    def parents(self):
        return [t.node for t in self.tensors]


def flatten(structure):
    """The leaves of nested lists, tuples and dicts, left to right (dicts by
    sorted key); ``None`` counts as no leaf.

    >>> flatten([1, {"b": 3, "a": 2}, None, (4,)])
    [1, 2, 3, 4]
    """
    if structure is None:
        return []
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_as(structure, leaves):
    """``leaves`` (as ``flatten`` lists them) arranged in the shape of ``structure``.

    >>> pack_as([0, {"b": 0, "a": 0}, None], [1, 2, 3])
    [1, {'a': 2, 'b': 3}, None]
    """
    leaves = iter(leaves)

    def pack(item):
        if item is None:
            return None
        if isinstance(item, dict):
            return {key: pack(item[key]) for key in sorted(item)}
        if isinstance(item, (list, tuple)):
            return type(item)(pack(i) for i in item)
        return next(leaves)
    return pack(structure)


def structure_kind(structure):
    """``"dict"``, ``"list"`` or ``"single"``: how inputs or outputs were given."""
    if isinstance(structure, dict):
        return "dict"
    return "list" if isinstance(structure, (list, tuple)) else "single"


def is_symbolic(structure):
    """True if ``structure`` holds a symbolic tensor."""
    return any(isinstance(t, SymbolicTensor) for t in flatten(structure))


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


def leaves_like(template, structure):
    """The items of ``structure`` at the places of ``template``'s leaves, as a
    flat list lined up with ``flatten(template)``; where ``structure`` holds
    ``None`` (no gradient), ``None`` for every leaf below.

    >>> leaves_like([1, [2, 3]], ["a", None])
    ['a', None, None]
    """
    if template is None:
        return []
    if isinstance(template, dict):
        structure = structure or {}
        return [leaf for key in sorted(template)
                for leaf in leaves_like(template[key], structure.get(key))]
    if isinstance(template, (list, tuple)):
        if structure is None:
            structure = [None] * len(template)
        if not isinstance(structure, (list, tuple)) or len(structure) != len(template):
            raise ValueError(f"expected {len(template)} items in a list, got "
                             f"{len(structure) if isinstance(structure, (list, tuple)) else 'one array'}")
        return [leaf for item, part in zip(template, structure)
                for leaf in leaves_like(item, part)]
    return [structure]


def graded_keywords(keywords):
    """The tensors given by keyword that have a gradient: all but ``mask``."""
    return {key: value for key, value in keywords.items() if key != "mask"}


def input_gradient_leaves(layer, inputs, keywords, d_inputs):
    """A layer's input gradients (its backward's structure) as a flat list lined
    up with ``flatten([inputs, keywords])`` (``None`` for a mask); a
    ``ValueError`` naming the layer if they do not fit."""
    if not isinstance(inputs, (list, tuple, dict)) and not keywords:
        return [d_inputs]
    if graded_keywords(keywords):
        d_inputs = [d_inputs.get("inputs"), {key: d_inputs.get(key) for key in keywords}]
    elif keywords:  # a mask by keyword: no gradient, and dx alone from backward
        d_inputs = [d_inputs, {}]
    template = [inputs, keywords] if keywords else inputs
    try:
        return leaves_like(template, d_inputs)
    except ValueError as error:
        raise layer.error(f"backward returned gradients that do not match its "
                          f"inputs: {error}") from None

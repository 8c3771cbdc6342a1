"""Products of arrays: ``matmul``, ``dot`` and ``einsum``, with their vjps."""
import numpy as np

from nnlib.ops.elementwise import multiply
from nnlib.ops.tape import trace, unbroadcast, unwrap


def matmul(x1, x2):
    """:math:`Y = X_1 X_2` (batched over leading axes, as ``np.matmul``); vjp
    :math:`\\bar X_1 = \\bar Y X_2^\\top,\\ \\bar X_2 = X_1^\\top \\bar Y`."""
    return trace(np.matmul, matmul_vjp, x1, x2)


def matmul_vjp(dy, y, x1, x2, needs=(True, True)):
    if x1.ndim == 2 and x2.ndim == 2:  # the common case, without the general case's steps
        # A product only for a gradient the walk needs (``needs``, one flag per input).
        return dy @ x2.T if needs[0] else None, x1.T @ dy if needs[1] else None
    # A vector is a one-row (first operand) or one-column (second) matrix.
    a = x1[None, :] if x1.ndim == 1 else x1
    b = x2[:, None] if x2.ndim == 1 else x2
    if x2.ndim == 1:
        dy = dy[..., None]
    if x1.ndim == 1:
        dy = dy[..., None, :]
    da = unbroadcast(dy @ np.swapaxes(b, -1, -2), a.shape)
    db = unbroadcast(np.swapaxes(a, -1, -2) @ dy, b.shape)
    return da.reshape(x1.shape), db.reshape(x2.shape)


def dot(x1, x2):
    """The dot product as ``np.dot``: a product by a scalar, or ``matmul`` when
    the second operand is a vector or a matrix (the sum over the last axis of
    ``x1`` and the first of ``x2``)."""
    if np.ndim(unwrap(x1)) == 0 or np.ndim(unwrap(x2)) == 0:
        return multiply(x1, x2)
    if np.ndim(unwrap(x2)) > 2:
        raise ValueError(f"dot: a second operand of more than 2 axes is not supported, got shape "
                         f"{np.shape(unwrap(x2))}; write the product with einsum")
    return matmul(x1, x2)


def einsum_forward(*operands, subscripts):
    return np.einsum(subscripts, *operands)


def parse_subscripts(subscripts, count):
    """``"ij,jk->ik"`` as ``(["ij", "jk"], "ik")``; implicit outputs are the
    letters used once, in alphabetical order (NumPy's rule)."""
    if not isinstance(subscripts, str) or "." in subscripts:
        raise ValueError(f"einsum: subscripts must be a string of letters without '...', "
                         f"got {subscripts!r}")
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    inputs = inputs.split(",")
    if len(inputs) != count:
        raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operands, got {count}")
    if "->" not in subscripts:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for term in inputs:
        if len(set(term)) != len(term):
            raise ValueError(f"einsum: a letter repeated within one operand ({term!r}, a "
                             f"diagonal) has no gradient here; take the diagonal first")
    return inputs, output


def einsum(subscripts, *operands):
    """:math:`Y = \\operatorname{einsum}(s, X_1, \\dots)`; vjp: the gradient of
    each operand is the einsum of :math:`\\bar Y` with the other operands, onto
    that operand's letters (copied along letters it alone sums over)."""
    parse_subscripts(subscripts, len(operands))
    return trace(einsum_forward, einsum_vjp, *operands, subscripts=subscripts)


def einsum_vjp(dy, y, *operands, subscripts):
    inputs, output = parse_subscripts(subscripts, len(operands))
    grads = []
    for i, (term, x) in enumerate(zip(inputs, operands)):
        others = [(t, o) for j, (t, o) in enumerate(zip(inputs, operands)) if j != i]
        present = set(output).union(*(t for t, _ in others))
        kept = "".join(c for c in term if c in present)
        spec = ",".join([output] + [t for t, _ in others]) + "->" + kept
        dx = np.einsum(spec, dy, *[o for _, o in others])
        missing = tuple(axis for axis, c in enumerate(term) if c not in present)
        grads.append(np.broadcast_to(np.expand_dims(dx, missing), np.shape(x)))
    return grads

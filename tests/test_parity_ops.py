"""Parity of nnlib.ops with keras.ops (on PyTorch): every op of the op table
gives Keras's result on the same float32 inputs (Keras on PyTorch computes
``matmul`` of float64 arrays in float32), and for a few compositions the tape's
gradients equal torch.autograd's, in float64."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import nnlib.ops as ops  # noqa: E402
from nnlib.ops.table import OP_TABLE  # noqa: E402
from parity import close, numpy  # noqa: E402

FLOAT64_RTOL = 1e-12


def in_float32(value):
    """A sample argument with its float arrays (also in a list) as float32."""
    if isinstance(value, list):
        return [in_float32(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype("float32")
    return value


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("case", [c for c in OP_TABLE if c.in_keras], ids=lambda case: case.name)
def test_each_op_gives_what_keras_ops_gives(case, rng):
    args, kwargs = case.sample(rng)
    args = [in_float32(a) for a in args]
    ours = case.op(*args, **kwargs)
    theirs = getattr(keras.ops, case.op.__name__)(
        *[keras.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args],
        **kwargs)
    ours, theirs = (ours, theirs) if isinstance(ours, list) else ([ours], [theirs])
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), keras.ops.convert_to_numpy(b)
        assert a.dtype == b.dtype
        if a.dtype.kind == "f":
            close(a, b)
        else:
            np.testing.assert_array_equal(a, b)


class KerasOpsInFloat64:
    """``keras.ops`` for the torch side of the gradient checks, except ``mean``
    (Keras on PyTorch computes it in float32), taken from PyTorch; ``@`` stands
    for ``matmul`` for the same reason."""

    def __getattr__(self, name):
        return getattr(keras.ops, name)

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return torch.mean(x, dim=axis, keepdim=keepdims)


def two_layer_cross_entropy(op, x, w1, b1, w2, labels):
    """A tanh hidden layer, log-softmax outputs and the mean cross-entropy of ``labels``."""
    hidden = op.tanh(x @ w1 + b1)  # ``@``: keras.ops.matmul would compute in float32
    log_p = op.log_softmax(hidden @ w2, axis=-1)
    picked = ops.getitem(log_p, (np.arange(len(labels)), labels)) if op is ops else \
        op.take_along_axis(log_p, labels[:, None], axis=1)
    return -op.mean(picked)


def attention(op, q, k, v):
    """Scaled dot-product attention summed to a scalar."""
    scores = op.einsum("bqd,bkd->bqk", q, k) / np.sqrt(q.shape[-1])
    return op.sum(op.einsum("bqk,bkd->bqd", op.softmax(scores, axis=-1), v) ** 2)


def normalised_gate(op, x, gamma):
    """Layer-normalised ``x`` (mean, variance, square root, broadcasting, reuse),
    gated by a clipped sigmoid and a where, pooled by max over a concatenation."""
    centred = x - op.mean(x, axis=-1, keepdims=True)
    scaled = centred / op.sqrt(op.mean(op.square(centred), axis=-1, keepdims=True) + 1e-3)
    gate = op.clip(op.sigmoid(scaled * gamma), 0.2, 0.8)
    mixed = op.where(scaled > 0, gate * scaled, op.exp(scaled) - 1.0)
    both = op.concatenate([mixed, op.abs(scaled)], axis=-1)
    first, second = op.split(both, 2, axis=0)
    return op.sum(op.max(op.stack([first, second], axis=1), axis=1)) + op.sum(op.relu(x) ** 2)


COMPOSITIONS = {
    "two-layer cross-entropy": (two_layer_cross_entropy, lambda rng: (
        rng.normal(size=(5, 4)), rng.normal(size=(4, 6)), rng.normal(size=6),
        rng.normal(size=(6, 3)), rng.integers(0, 3, size=5))),
    "attention": (attention, lambda rng: (
        rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4)))),
    "normalised gate": (normalised_gate, lambda rng: (
        rng.normal(size=(4, 6)), rng.normal(size=6))),
}


@pytest.mark.parametrize("name", COMPOSITIONS)
def test_the_tape_gives_torch_autograd_gradients_in_float64(name, rng):
    f, sample = COMPOSITIONS[name]
    inputs = sample(rng)
    floats = [i for i, a in enumerate(inputs) if a.dtype.kind == "f"]
    with ops.GradientTape() as tape:
        traced = [tape.watch(a) if i in floats else a for i, a in enumerate(inputs)]
        ours = f(ops, *traced)
    grads = tape.gradient(ours, [inputs[i] for i in floats])

    tensors = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    theirs = f(KerasOpsInFloat64(), *tensors)
    theirs.backward()
    close(ops.convert_to_numpy(ours), numpy(theirs), rtol=FLOAT64_RTOL)
    for i, g in zip(floats, grads):
        close(g, numpy(tensors[i].grad), rtol=1e-10)

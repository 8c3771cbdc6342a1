"""SGD: Keras 3's plain, momentum and Nesterov rules on a hand-computed example."""
import numpy as np
import pytest

import nnlib
from nnlib.layers import Dense
from nnlib.layers.base import Weight
from nnlib.optimizers import SGD

GRADS = [1.0, 2.0, -1.0]  # the gradient at steps 1, 2, 3; the weight starts at 1.0


def run(optimizer, grads=GRADS):
    """Apply three steps to a one-element weight; returns its values and the weight."""
    weight = Weight("w", np.array([1.0]), layer=None)
    values = []
    for g in grads:
        optimizer.apply({"w": np.array([g])}, {"w": weight})
        values.append(float(weight.value[0]))
    return values, weight


def test_plain_sgd():
    # w -= lr * g: 1 - 0.1, 0.9 - 0.2, 0.7 + 0.1.
    values, weight = run(SGD(learning_rate=0.1))
    assert values == pytest.approx([0.9, 0.7, 0.8])


def test_momentum():
    # v = 0.9 v - 0.1 g; w += v.
    # v1 = -0.1            w1 = 0.9
    # v2 = -0.09 - 0.2     w2 = 0.9 - 0.29 = 0.61
    # v3 = -0.261 + 0.1    w3 = 0.61 - 0.161 = 0.449
    optimizer = SGD(learning_rate=0.1, momentum=0.9)
    values, weight = run(optimizer)
    assert values == pytest.approx([0.9, 0.61, 0.449])
    assert optimizer.state[weight]["velocity"] == pytest.approx([-0.161])


def test_nesterov():
    # v as with momentum; w += 0.9 v - 0.1 g.
    # w1 = 1 + 0.9(-0.1) - 0.1           = 0.81
    # w2 = 0.81 + 0.9(-0.29) - 0.2       = 0.349
    # w3 = 0.349 + 0.9(-0.161) + 0.1     = 0.3041
    optimizer = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    values, weight = run(optimizer)
    assert values == pytest.approx([0.81, 0.349, 0.3041])
    assert optimizer.state[weight]["velocity"] == pytest.approx([-0.161])


def test_state_is_kept_per_weight_and_counts_iterations():
    optimizer = SGD(learning_rate=0.5, momentum=0.5)
    a = Weight("a", np.zeros(2), layer=None)
    b = Weight("b", np.zeros((2, 2)), layer=None)
    optimizer.apply({"a": np.ones(2), "b": np.full((2, 2), 2.0)}, {"a": a, "b": b})
    optimizer.apply({"a": np.ones(2)}, {"a": a, "b": b})
    assert set(optimizer.state) == {a, b}
    np.testing.assert_allclose(optimizer.state[a]["velocity"], [-0.75, -0.75])
    np.testing.assert_allclose(optimizer.state[b]["velocity"], np.full((2, 2), -1.0))
    np.testing.assert_allclose(a.value, [-1.25, -1.25])
    np.testing.assert_allclose(b.value, np.full((2, 2), -1.0))
    assert optimizer.iterations == 2


def test_plain_sgd_keeps_no_state():
    optimizer = SGD()
    _, weight = run(optimizer, [1.0])
    assert optimizer.state[weight] == {}


def test_updates_keep_the_weight_dtype():
    layer = Dense(2)
    layer(np.ones((1, 3)))
    SGD(0.1, momentum=0.9).apply({"kernel": np.ones((3, 2))}, layer.named_weights())
    assert layer.kernel.value.dtype == np.float32


def test_errors():
    with pytest.raises(ValueError, match=r"SGD: momentum must be in \[0, 1\], got 1.5"):
        SGD(momentum=1.5)
    with pytest.raises(KeyError, match=r"no weight named \['missing'\]"):
        SGD().apply({"missing": np.ones(1)}, {})


def test_keras_defaults_and_lookup():
    optimizer = nnlib.get("optimizer", "sgd")
    assert isinstance(optimizer, SGD)
    assert optimizer.get_config() == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0,
                                      "nesterov": False}

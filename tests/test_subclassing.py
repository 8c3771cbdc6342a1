"""Layers written the Keras way (``build`` and ``call`` with ``nnlib.ops``),
differentiated by the gradient tape: their gradients against central
differences, inside models, with hand-written layers inside them, added
losses, state updates, and the errors."""
import numpy as np
import pytest

import nnlib
from nnlib import layers, ops
from nnlib.backend import floatx_scope
from nnlib.testing import check_gradients


class Linear(layers.Layer):
    """Keras's guide's first layer: ``y = x w + b``, no backward pass."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class Block(layers.Layer):
    """Two call() layers around a hand-written Dense, with an added loss."""

    def __init__(self, penalty=0.0, **kwargs):
        super().__init__(**kwargs)
        self.first = Linear(6)
        self.dense = layers.Dense(5, activation="tanh")
        self.last = Linear(2)
        self.penalty = penalty

    def call(self, inputs):
        h = self.dense(ops.relu(self.first(inputs)))
        if self.penalty:
            self.add_loss(self.penalty * ops.sum(ops.square(h)))
        return self.last(h)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_a_call_layer_computes_its_formula_and_its_weights_have_keras_names(rng):
    layer = Linear(3)
    x = rng.normal(size=(4, 2)).astype("float32")
    y = layer(x)
    np.testing.assert_allclose(y, x @ layer.w.value + layer.b.value, rtol=1e-6)
    assert y.dtype == np.float32
    assert list(layer.named_weights()) == ["variable", "variable_1"]


def test_the_tape_gives_a_call_layer_the_gradients_of_central_differences(rng):
    with floatx_scope("float64"):
        layer = Linear(3)
        report = check_gradients(layer, rng.normal(size=(5, 4)))
    assert report.passed, report
    assert {row[0] for row in report.rows} == {"input", "variable", "variable_1"}


def test_a_block_of_call_layers_around_a_hand_written_layer_has_exact_gradients(rng):
    with floatx_scope("float64"):
        block = Block()
        x = rng.normal(size=(7, 3))
        block(x)  # builds the sublayers, as Keras builds them on the first call
        report = check_gradients(block, x)
    assert report.passed, report
    assert [w.name for w in block.weights] == ["variable", "variable_1", "kernel", "bias",
                                               "variable", "variable_1"]
    assert len(report.rows) == 7  # the input and six weights


def test_sublayers_held_by_attributes_are_tracked_in_the_order_they_were_set():
    block = Block()
    block(np.ones((2, 3)))
    assert [group for group, _ in block.children()] == ["first", "dense", "last"]
    assert len(block.trainable_weights) == 6

    class Stack(layers.Layer):
        def __init__(self):
            super().__init__()
            self.parts = [Linear(2), Linear(2)]

        def call(self, x):
            for part in self.parts:
                x = part(x)
            return x

    stack = Stack()
    stack(np.ones((1, 2)))
    assert [group for group, _ in stack.children()] == ["parts/0", "parts/1"]


def test_an_added_loss_is_differentiated_with_the_outputs(rng):
    with floatx_scope("float64"):
        block = Block(penalty=0.1)
        x = rng.normal(size=(4, 3))
        block(x)
        y, cache, effects = block.run_forward(x, training=True)
        dy = rng.normal(size=y.shape)
        dx, grads = block.run_backward(dy, cache)

        def total(x_value):
            out, _, eff = block.run_forward(x_value, training=True)
            return float(np.sum(out * dy) + sum(eff.losses))

        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = 1e-6
            numeric[index] = (total(x + step) - total(x - step)) / 2e-6
    assert len(effects.losses) == 1 and effects.losses[0] > 0
    np.testing.assert_allclose(dx, numeric, atol=1e-8)


def test_an_eager_call_keeps_its_added_losses_as_keras_does():
    block = Block(penalty=0.5)
    block(np.random.default_rng(0).normal(size=(4, 3)))
    assert len(block.losses) == 1 and block.losses[0] > 0


def test_add_loss_outside_call_is_refused():
    with pytest.raises(ValueError, match="add_loss is for use inside call"):
        Linear().add_loss(1.0)


def test_add_loss_of_an_array_is_refused_naming_the_fix():
    class Bad(layers.Layer):
        def call(self, x):
            self.add_loss(ops.square(x))
            return x

    with pytest.raises(ValueError, match="add_loss takes a scalar.*ops.sum or ops.mean"):
        Bad()(np.ones((2, 2)))


def test_a_call_layer_trains_inside_sequential_and_functional_models(rng):
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3
    model = nnlib.Sequential([nnlib.Input((3,)), Linear(1)])
    model.compile(nnlib.optimizers.SGD(0.1), "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 1e-3 < history[0]
    inputs = nnlib.Input((3,))
    functional = nnlib.Model(inputs, Block(penalty=1e-3)(inputs))
    functional.compile(nnlib.optimizers.Adam(0.02), "mse")
    before = functional.evaluate(x, np.hstack([y, y]), verbose=0)
    functional.fit(x, np.hstack([y, y]), epochs=20, verbose=0)
    assert functional.evaluate(x, np.hstack([y, y]), verbose=0) < before / 2


def test_a_call_layer_equals_the_hand_written_layer_it_restates(rng):
    """The same start, the same data: Linear and Dense reach the same weights."""
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    models = []
    for layer in (Linear(2), layers.Dense(2)):
        model = nnlib.Sequential([nnlib.Input((4,)), layer])
        models.append(model)
    models[0].set_weights(models[1].get_weights())
    for model in models:
        model.compile(nnlib.optimizers.Adam(0.01), "mse")
        model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_hand_written_layer_inside_call_has_its_state_updates_applied_after_the_step():
    class Normalised(layers.Layer):
        def __init__(self):
            super().__init__()
            self.norm = layers.BatchNormalization()
            self.out = Linear(1)

        def call(self, x, training=None):
            return self.out(self.norm(x, training=training))

    model = nnlib.Sequential([nnlib.Input((3,)), Normalised()])
    model.compile("sgd", "mse")
    x = np.random.default_rng(1).normal(3.0, 1.0, size=(32, 3)).astype("float32")
    norm = model.layers[0].norm
    model.predict(x, verbose=0)
    assert np.all(norm.moving_mean.value == 0)  # inference: no update
    model.fit(x, np.zeros((32, 1)), epochs=1, batch_size=32, verbose=0)
    np.testing.assert_allclose(norm.moving_mean.value, 0.01 * x.mean(axis=0), rtol=1e-4)


def test_the_same_array_given_twice_gets_two_gradients():
    class Product(layers.Layer):
        def call(self, inputs):
            a, b = inputs
            return a * b

    inputs = nnlib.Input((2,))
    model = nnlib.Model(inputs, Product()([inputs, inputs]))
    x = np.array([[1.0, 3.0]], dtype="float32")
    y, tape = model.forward(x)
    dx, _ = model.backward(np.ones_like(y), tape)
    np.testing.assert_allclose(dx, 2 * x)  # d(x*x)/dx


def test_training_reaches_call_only_if_it_asks_for_it():
    seen = []

    class Spy(layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x * 2.0

    Spy()(np.ones((1, 2)), training=True)
    assert seen == [True]


def test_weights_take_python_operators_on_the_tape_and_outside():
    layer = Linear(2)
    layer(np.ones((1, 2)))
    w = layer.w
    np.testing.assert_allclose(np.ones((2, 2)) * w, w.value)
    np.testing.assert_allclose((w * 2.0) - w, w.value)
    with ops.GradientTape() as tape:
        loss = ops.sum(3.0 * w)
    np.testing.assert_allclose(tape.gradient(loss, w), np.full((2, 2), 3.0))


def test_a_layer_with_neither_call_nor_forward_is_told_what_to_write():
    class Empty(layers.Layer):
        pass

    with pytest.raises(NotImplementedError, match="must define call"):
        Empty()(np.ones((1, 2)))

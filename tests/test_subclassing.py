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
from tests.guide_cells import minimal_rnn_cell


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


# -- a subclassed Model ------------------------------------------------------------------

class TwoLayers(nnlib.Model):
    """Keras's subclassed model: layers in __init__, the computation in call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.out = layers.Dense(3)

    def call(self, inputs, training=False):
        h = self.hidden(inputs)
        if training:
            h = self.dropout(h, training=training)
        return self.out(h)


def test_a_subclassed_model_is_built_by_its_first_data(rng):
    model = TwoLayers()
    assert not model.built and model.weights == []
    y = model.predict(rng.normal(size=(5, 4)), verbose=0)
    assert y.shape == (5, 3) and model.built
    assert [layer.name for layer in model.layers] == [model.hidden.name, model.dropout.name,
                                                      model.out.name]
    assert [w.name for w in model.weights] == ["kernel", "bias", "kernel", "bias"]
    assert model.inputs[0].shape == (None, 4) and model.output_names == [model.name]


def test_a_subclassed_model_trains_exactly_as_its_functional_twin(rng):
    class Plain(nnlib.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="tanh")
            self.out = layers.Dense(3)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 3, size=64)
    subclassed = Plain()
    subclassed.predict(x[:1], verbose=0)
    inputs = nnlib.Input((4,))
    functional = nnlib.Model(inputs, layers.Dense(3)(layers.Dense(8, activation="tanh")(inputs)))
    functional.set_weights(subclassed.get_weights())
    for model in (subclassed, functional):
        model.compile(nnlib.optimizers.Adam(0.01),
                      nnlib.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(subclassed.get_weights(), functional.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert subclassed.evaluate(x, y, verbose=0) == functional.evaluate(x, y, verbose=0)


def test_a_subclassed_model_compiled_before_it_is_built_with_several_outputs(rng):
    class TwoHeads(nnlib.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = layers.Dense(1), layers.Dense(2)

        def call(self, inputs):
            return {"a": self.a(inputs), "b": self.b(inputs)}

    model = TwoHeads()
    model.compile("sgd", loss={"a": "mse", "b": "mse"})
    x = rng.normal(size=(8, 3))
    history = model.fit(x, {"a": np.zeros((8, 1)), "b": np.ones((8, 2))}, epochs=2,
                        verbose=0).history
    assert model.output_names == ["a", "b"]
    assert set(history) == {"loss", "a_loss", "b_loss"}


def test_a_subclassed_model_applies_state_updates_and_added_losses(rng):
    class Normalised(nnlib.Model):
        def __init__(self):
            super().__init__()
            self.norm = layers.BatchNormalization()
            self.out = layers.Dense(1, kernel_regularizer="l2")

        def call(self, inputs, training=False):
            h = self.norm(inputs, training=training)
            self.add_loss(0.1 * ops.mean(ops.square(h)))
            return self.out(h)

    model = Normalised()
    model.compile("sgd", "mse")
    x = rng.normal(2.0, 1.0, size=(16, 3)).astype("float32")
    logs = model.train_on_batch(x, np.zeros((16, 1)), return_dict=True)
    np.testing.assert_allclose(model.norm.moving_mean.value, 0.01 * x.mean(axis=0), rtol=1e-4)
    y_pred, tape = model.forward(x, training=True)
    assert len(tape.losses) == 2  # the added loss and the kernel's L2 penalty
    assert logs["loss"] > float(np.mean(y_pred ** 2))


def test_model_without_inputs_or_call_says_what_to_write():
    with pytest.raises(TypeError, match="subclass Model and write call"):
        nnlib.Model()
    with pytest.raises(TypeError, match="give both inputs and outputs"):
        nnlib.Model(nnlib.Input((2,)))


# -- RNN(cell) with a cell of one's own ----------------------------------------------------

MinimalRNNCell = minimal_rnn_cell(nnlib, ops)  # Keras's RNN docstring cell


@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "return_state": True},
                                     {"go_backwards": True, "return_sequences": True}])
def test_rnn_of_a_user_cell_has_the_gradients_of_central_differences(rng, options):
    with floatx_scope("float64"):
        layer = layers.RNN(MinimalRNNCell(3), **options)
        x = rng.normal(size=(2, 4, 5))
        report = check_gradients(layer, x, initial_state=[rng.normal(size=(2, 3))])
    assert report.passed, report
    assert {row[0] for row in report.rows} == {
        "input", "initial_state_0", f"{layer.cell.name}.kernel",
        f"{layer.cell.name}.recurrent_kernel"}


def test_rnn_of_a_user_cell_equals_simple_rnn_without_activation(rng):
    """MinimalRNNCell is SimpleRNN with a linear activation and no bias."""
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = rng.uniform(size=(3, 6)) > 0.3
    ours = layers.RNN(MinimalRNNCell(5), return_sequences=True)
    ours(x)
    reference = layers.SimpleRNN(5, activation=None, use_bias=False, return_sequences=True)
    reference(x)
    reference.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours(x, mask=mask), reference(x, mask=mask), rtol=1e-5,
                               atol=1e-6)


def test_rnn_refuses_a_hand_written_cell_and_a_cell_without_state_size():
    with pytest.raises(TypeError, match=r"use the layer built on it \(LSTM\(units"):
        layers.RNN(layers.LSTMCell(4))
    with pytest.raises(TypeError, match="state_size"):
        layers.RNN(Linear(2))


# -- a metric with add_variable ----------------------------------------------------------

class TruePositives(nnlib.metrics.Metric):
    """Keras's guide's CategoricalTruePositives."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.cast(y_true, "int32") == y_pred, "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives


def test_a_metric_keeps_its_state_in_add_variable_and_reset_state_zeroes_it():
    metric = TruePositives()
    metric.update_state(np.array([[0], [1], [2]]), np.eye(3)[[0, 2, 2]])
    assert float(metric.result()) == 2.0
    assert [v.name for v in metric.variables] == ["ctp"] and not metric.variables[0].trainable
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_a_metric_with_add_variable_is_logged_by_fit_and_evaluate(rng):
    x = rng.normal(size=(40, 4)).astype("float32")
    y = rng.integers(0, 3, size=(40, 1))
    model = nnlib.Sequential([nnlib.Input((4,)), layers.Dense(3)])
    model.compile("sgd", nnlib.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[TruePositives()])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = np.sum(np.argmax(model.predict(x, verbose=0), axis=1) == y[:, 0])
    assert logs["categorical_true_positives"] == expected


def test_a_subclassed_model_saves_its_weights_and_refuses_a_whole_file(tmp_path, rng):
    x = rng.normal(size=(4, 4))
    model, copy = TwoLayers(), TwoLayers()
    model.predict(x, verbose=0)
    copy.predict(x, verbose=0)
    model.save_weights(tmp_path / "m.weights.npz")
    copy.load_weights(tmp_path / "m.weights.npz")
    np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(NotImplementedError, match="save its weights"):
        model.save(tmp_path / "m.nnlib")
    assert not (tmp_path / "m.nnlib").exists()


def test_add_weight_takes_keras_initializer_none_and_a_dtype():
    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer=None,
                                         dtype="float64")

        def call(self, x):
            return x * self.scale

    layer = Scaled()
    layer(np.ones((1, 3), dtype="float32"))
    assert layer.scale.dtype == "float64" and np.any(layer.scale.value != 0)
    with pytest.raises(ValueError, match="weight 'w'"):
        Linear().add_weight(shape=(2,), name="w", dtype="text")


def test_a_call_that_leaves_the_tape_through_numpy_is_refused_naming_the_op():
    class Rectified(layers.Layer):
        def call(self, x):
            return np.where(x > 0, x, 0.0)

    with pytest.raises(TypeError, match=r"np.where on a traced tensor.*use nnlib.ops.where"):
        Rectified()(np.ones((1, 2)))

    class Converted(Linear):
        def call(self, inputs):
            return np.asarray(super().call(inputs))  # a plain array: the tape loses it

    with pytest.raises(ValueError, match="did not record, so nothing upstream"):
        Converted()(np.ones((1, 2)))


def test_a_call_that_returns_nothing_says_so():
    class Forgetful(layers.Layer):
        def call(self, x):
            ops.relu(x)

    with pytest.raises(ValueError, match="call\\(\\) returned \\[\\]; it should return"):
        Forgetful()(np.ones((1, 2)))


def test_a_call_without_weights_may_return_a_constant():
    class Constant(layers.Layer):
        def call(self, x):
            return ops.stop_gradient(x) * 0.0

    np.testing.assert_array_equal(Constant()(np.ones((1, 2))), np.zeros((1, 2)))

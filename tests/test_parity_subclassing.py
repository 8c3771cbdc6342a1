"""Keras's subclassing patterns trained in nnlib and in Keras 3 from the same weights.

Each pattern is written once, as Keras's guides write it ("Making new layers and models
via subclassing", "Training & evaluation with the built-in methods", the ``keras.Model``
and ``keras.layers.RNN`` docstrings), as a function of the library and its ops
(``pattern(keras, ops)``), and run twice: with ``keras`` and ``keras.ops``, and with
``nnlib`` and ``nnlib.ops`` in their place. Keras's initial weights are copied into
nnlib's model (``get_weights``/``set_weights``); both train the same batches in the same
order (``shuffle=False``) with SGD and with Adam; the predictions before and after, the
losses of each epoch and the weights after must agree within ``tests.parity.RTOL``.
Keras computes Adam's step size in float32, nnlib exactly; nnlib's side trains with
``AdamRoundedAsKeras``, and a test pins that rounding as the only difference.

The patterns: a custom Dense (``Linear``) in a Sequential and in a functional model; a
block of such layers with an activity penalty added by ``add_loss``; a loss given as a
function; a subclassed ``Model`` with Dropout in training only; a custom RNN cell in
``layers.RNN``; a custom metric, compared through ``evaluate``'s and ``fit``'s logs.
"""
import math
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from tests.guide_cells import minimal_rnn_cell  # noqa: E402
from tests.parity import close  # noqa: E402

# Keras's get_weights converts its torch variables with np.array, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

LIBRARIES = {"keras": (keras, keras.ops), "nnlib": (nnlib, nnlib.ops)}


def adam_step_sizes(lr, beta_1, beta_2, step, dtype):
    """Adam's step size at ``step``, exactly (nnlib) and in ``dtype`` (Keras)."""
    exact = lr * math.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    real = np.dtype(dtype).type
    rounded = real(lr) * np.sqrt(real(1) - real(beta_2) ** real(step)) / \
        (real(1) - real(beta_1) ** real(step))
    return exact, float(rounded)


class AdamRoundedAsKeras(nnlib.optimizers.Adam):
    """nnlib's Adam taking Keras's float32 step size (its learning rate scaled to it)."""

    def update(self, w, g, state, lr):
        exact, rounded = adam_step_sizes(lr, self.beta_1, self.beta_2, self.iterations + 1,
                                         w.dtype)
        return super().update(w, g, state, lr * rounded / exact)


def optimizer_for(library, name, learning_rate):
    if library is nnlib and name == "Adam":
        return AdamRoundedAsKeras(learning_rate)
    return getattr(library.optimizers, name)(learning_rate)
OPTIMIZERS = [("SGD", 0.1), ("Adam", 0.01)]
RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 4)).astype("float32")
Y = np.tanh(X @ RNG.normal(size=(4, 3))).astype("float32")
LABELS = RNG.integers(0, 3, size=24)
SEQUENCES = RNG.normal(size=(24, 5, 3)).astype("float32")


# -- the patterns, written once ---------------------------------------------------------

def linear_layer(keras, ops):
    """The guide's ``Linear``: weights made in ``build`` once the input size is known."""

    class Linear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(
                shape=(self.units,), initializer="random_normal", trainable=True
            )

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    return Linear


def sequential_of_linear(keras, ops):
    Linear = linear_layer(keras, ops)
    return keras.Sequential([keras.Input((4,)), Linear(16),
                             keras.layers.Activation("relu"), Linear(3)])


def functional_of_linear(keras, ops):
    Linear = linear_layer(keras, ops)
    inputs = keras.Input((4,))
    x = Linear(16)(inputs)
    x = keras.layers.Activation("tanh")(x)
    outputs = Linear(3)(x)
    return keras.Model(inputs, outputs)


def mlp_block(keras, ops):
    """The guide's ``MLPBlock`` of ``Linear`` layers, its ``ActivityRegularizationLayer``
    adding ``rate * mean(activations)`` to the loss after the first one."""
    Linear = linear_layer(keras, ops)

    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.activity_reg = ActivityRegularizationLayer(0.5)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(3)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = ops.relu(x)
            x = self.activity_reg(x)
            x = self.linear_2(x)
            x = ops.relu(x)
            return self.linear_3(x)

    inputs = keras.Input((4,))
    return keras.Model(inputs, MLPBlock()(inputs))


def custom_mean_squared_error_of(keras, ops):
    """The guide's loss function: the per-sample mean of squared errors."""

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    return custom_mean_squared_error


def dense_classifier(keras, ops):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def my_model(keras, ops, rate=0.5):
    """``keras.Model``'s docstring model: Dense layers held by attributes, Dropout
    applied only when ``call`` is told it is training."""

    class MyModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense1 = keras.layers.Dense(32, activation="relu")
            self.dense2 = keras.layers.Dense(3, activation="softmax")
            self.dropout = keras.layers.Dropout(rate)

        def call(self, inputs, training=False):
            x = self.dense1(inputs)
            x = self.dropout(x, training=training)
            return self.dense2(x)

    return MyModel()


def minimal_rnn(keras, ops):
    """``keras.layers.RNN``'s docstring cell, ``h_t = x_t W + h_{t-1} U``, in an RNN layer."""

    MinimalRNNCell = minimal_rnn_cell(keras, ops)
    return keras.Sequential([keras.Input((5, 3)), keras.layers.RNN(MinimalRNNCell(8)),
                             keras.layers.Dense(3)])


def categorical_true_positives(keras, ops):
    """The guide's metric: how many samples the arg-max of ``y_pred`` classifies right."""

    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), name="ctp", initializer="zeros"
            )

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            # The state of the metric will be reset at the start of each epoch.
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


# -- running a pattern with both libraries ----------------------------------------------

def trained(make_model, compile_arguments, x, y, optimizer, epochs=2, batch_size=8):
    """For each library: the model ``make_model(library, ops)`` (nnlib's with Keras's
    weights), compiled with ``compile_arguments(library, ops)`` and ``optimizer``, and
    trained on ``x, y``; the model and what it gave: the predictions before and after,
    the history's logs and the weights after."""
    keras.utils.set_random_seed(0)
    models = {name: make_model(library, ops) for name, (library, ops) in LIBRARIES.items()}
    for model in models.values():
        model.predict(x[:2], verbose=0)  # builds a subclassed model, as Keras builds it
    models["nnlib"].set_weights(models["keras"].get_weights())
    facts = {}
    for name, model in models.items():
        library, ops = LIBRARIES[name]
        optimizer_class, learning_rate = optimizer
        model.compile(optimizer=optimizer_for(library, optimizer_class, learning_rate),
                      **compile_arguments(library, ops))
        before = model.predict(x, verbose=0)
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False,
                            verbose=0).history
        facts[name] = {"model": model, "before": before, "history": history,
                       "after": model.predict(x, verbose=0), "weights": model.get_weights()}
    return facts


def agree(facts):
    """nnlib's predictions, logs and weights equal Keras's within the float32 tolerance."""
    ours, theirs = facts["nnlib"], facts["keras"]
    close(ours["before"], theirs["before"])
    assert sorted(ours["history"]) == sorted(theirs["history"])
    for key, values in theirs["history"].items():
        close(ours["history"][key], values)
    close(ours["after"], theirs["after"])
    assert len(ours["weights"]) == len(theirs["weights"])
    for mine, reference in zip(ours["weights"], theirs["weights"]):
        close(mine, reference)
    assert not np.allclose(ours["before"], ours["after"])  # training moved the model


def mse(library, ops):
    return {"loss": "mse"}


def sparse_crossentropy(library, ops):
    return {"loss": "sparse_categorical_crossentropy"}


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
@pytest.mark.parametrize("make_model", [sequential_of_linear, functional_of_linear])
def test_a_custom_dense_trains_as_in_keras(make_model, optimizer):
    agree(trained(make_model, mse, X, Y, optimizer))


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_a_block_of_custom_layers_with_an_added_loss_trains_as_in_keras(optimizer):
    facts = trained(mlp_block, mse, X, Y, optimizer)
    agree(facts)
    losses = {name: fact["model"].evaluate(X, Y, batch_size=len(X), verbose=0)
              for name, fact in facts.items()}
    close(losses["nnlib"], losses["keras"])
    # One batch, the same weights: the loss is the squared error plus the penalty.
    squared_error = float(np.mean((facts["nnlib"]["after"] - Y) ** 2))
    assert losses["nnlib"] > squared_error + 1e-3


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_a_loss_given_as_a_function_trains_as_in_keras(optimizer):
    def with_the_function(library, ops):
        return {"loss": custom_mean_squared_error_of(library, ops)}

    targets = np.eye(3, dtype="float32")[LABELS]
    agree(trained(dense_classifier, with_the_function, X, targets, optimizer))


def test_the_function_loss_is_the_mean_squared_error_in_both():
    y_true, y_pred = Y[:5], np.tanh(X[:5, :3])
    for library, ops in LIBRARIES.values():
        loss = custom_mean_squared_error_of(library, ops)
        close(ops.convert_to_numpy(loss(y_true, y_pred)),
              np.mean((y_true - y_pred) ** 2, axis=-1))


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_a_subclassed_model_trains_as_in_keras(optimizer):
    """Trained without dropout (its masks are random numbers, drawn differently by the
    two libraries); that Dropout acts in training only is the next test's."""
    agree(trained(lambda library, ops: my_model(library, ops, rate=0.0), sparse_crossentropy,
                  X, LABELS, optimizer))


def test_a_subclassed_model_drops_out_only_when_training_as_in_keras():
    for library, ops in LIBRARIES.values():
        model = my_model(library, ops)
        inference = ops.convert_to_numpy(model(X))
        close(ops.convert_to_numpy(model(X, training=False)), inference)
        close(model.predict(X, verbose=0), inference)
        training = ops.convert_to_numpy(model(X, training=True))
        assert not np.allclose(training, inference)


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_a_custom_rnn_cell_trains_as_in_keras(optimizer):
    agree(trained(minimal_rnn, mse, SEQUENCES, Y, optimizer))


def with_the_metric(library, ops):
    return {"loss": "sparse_categorical_crossentropy",
            "metrics": [categorical_true_positives(library, ops)()]}


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_a_custom_metric_logs_as_in_keras_in_fit_and_evaluate(optimizer):
    # One label per row, shape (n, 1), as the metric compares it with argmax reshaped to
    # (n, 1); labels of shape (n,) would broadcast to an n-by-n comparison, in both.
    labels = LABELS[:, None]
    facts = trained(dense_classifier, with_the_metric, X, labels, optimizer)
    agree(facts)
    assert "categorical_true_positives" in facts["nnlib"]["history"]
    logs = {name: fact["model"].evaluate(X, labels, batch_size=8, verbose=0, return_dict=True)
            for name, fact in facts.items()}
    assert sorted(logs["nnlib"]) == sorted(logs["keras"])
    for key, value in logs["keras"].items():
        close(logs["nnlib"][key], value)
    right = np.sum(facts["nnlib"]["after"].argmax(axis=1) == LABELS)
    assert logs["nnlib"]["categorical_true_positives"] == right  # summed over the batches


def test_nnlib_adam_differs_from_keras_only_by_its_exact_step_size():
    """One Adam step on the same float32 weight and gradient: Keras's update over
    nnlib's is Keras's float32 step size over the exact one, off by about 1e-5."""
    g = np.random.default_rng(1).normal(size=(5,)).astype("float32")
    w = np.zeros(5, dtype="float32")  # so that each new weight is its step, to float32's last bit
    variable = keras.Variable(w)
    keras.optimizers.Adam(0.01).apply([keras.ops.convert_to_tensor(g)], [variable])
    keras_step = keras.ops.convert_to_numpy(variable) - w
    weight = nnlib.layers.Weight("w", w)
    nnlib.optimizers.Adam(0.01).apply({"w": g}, {"w": weight})
    nnlib_step = weight.value - w
    exact, rounded = adam_step_sizes(0.01, 0.9, 0.999, 1, "float32")
    assert abs(rounded / exact - 1) > 1e-6  # the rounding is there to see
    np.testing.assert_allclose(keras_step / nnlib_step, rounded / exact, rtol=2e-6)

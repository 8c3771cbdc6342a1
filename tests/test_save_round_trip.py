"""Every model that saves loads back, generated from the registry: every layer, and
every activation, initializer, regularizer, loss, optimizer, schedule and metric
with its arguments away from their defaults (``non_default``), each in a small
model, trained one step, saved and loaded (``assert_round_trip``), which must give

1. the same config: the architecture and the compile arguments;
2. the same predictions, bit for bit;
3. the same training state: the optimizer's iterations and every slot of every weight;
4. after one more training step on each, the same logs, weights and slots.

Registering a component adds its case.  The last tests are models whose structure
is the point: a shared layer, a nested model, several outputs, a layer added twice
to a Sequential, a frozen layer, an uncompiled model."""
import inspect
import json

import numpy as np
import pytest

from nnlib import registry
from nnlib.initializers import Constant
from nnlib.layers import Add, Concatenate, Dense, Layer
from nnlib.models import Input, Model, Sequential
from nnlib.optimizers import SGD, Adam
from nnlib.optimizers.schedules import ExponentialDecay
from nnlib.saving import load_model
from nnlib.serialization import serialize
from nnlib.utils import set_random_seed

# The arguments of the classes that cannot be built without any (schedules).
from test_serialization import REQUIRED  # noqa: E402

# Values for the arguments whose default is None (no value to move away from).
GIVEN_FOR_NONE = {"seed": 3, "max_value": 6.0, "weight_decay": 0.01, "clipnorm": 1.0,
                  "ignore_class": 0, "average": "weighted"}


def changed(value):
    """A valid value other than the default ``value``: a bool flipped, a float
    halved (0.5 for 0); anything else as it is."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, float):
        return value / 2 if value else 0.5
    return value


def non_default(cls):
    """``cls`` built with every argument it can away from its default."""
    arguments = dict(REQUIRED.get(cls, {}))
    for name, parameter in inspect.signature(cls).parameters.items():
        if parameter.default is None and name in GIVEN_FOR_NONE:
            arguments[name] = GIVEN_FOR_NONE[name]
        elif parameter.default is not parameter.empty:
            arguments[name] = changed(parameter.default)
    return cls(**arguments)


def json_ready(data):
    return json.loads(json.dumps(data))


def optimizer_state(optimizer):
    """The iterations and every slot, as ``{"iterations": n, "path/slot": array}``."""
    state = optimizer.get_state()
    return {"iterations": state["iterations"],
            **{f"{path}/{slot}": array for path, slots in state["weights"].items()
               for slot, array in slots.items()}}


def assert_same_arrays(actual, expected):
    actual = actual if isinstance(actual, (list, dict)) else [actual]
    expected = expected if isinstance(expected, (list, dict)) else [expected]
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        actual, expected = list(actual.values()), list(expected.values())
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(a, b)


def assert_same_training_state(loaded, model):
    assert_same_arrays(loaded.get_weights(), model.get_weights())
    if model.compiled:
        assert loaded.optimizer.learning_rate == model.optimizer.learning_rate
        assert_same_arrays(optimizer_state(loaded.optimizer), optimizer_state(model.optimizer))


def assert_round_trip(model, x, y, tmp_path, custom_objects=None):
    """Train ``model`` one step (if compiled), save, load, and check the four points
    of the module docstring."""
    if model.compiled:
        set_random_seed(1)
        model.train_on_batch(x, y)
    model.save(tmp_path / "model.nnlib")
    loaded = load_model(tmp_path / "model.nnlib", custom_objects=custom_objects)
    assert type(loaded) is type(model)
    assert json_ready(loaded.get_config()) == json_ready(model.get_config())
    assert loaded.compiled == model.compiled
    assert_same_arrays(loaded.predict(x), model.predict(x))
    assert_same_training_state(loaded, model)
    if not model.compiled:
        return
    assert serialize({**loaded.compile_config, "optimizer": loaded.optimizer}) == \
        serialize({**model.compile_config, "optimizer": model.optimizer})
    steps = 1 if model.trainable_weights else 0  # no gradient, no step
    assert model.optimizer.iterations == steps
    logs = []
    for m in (model, loaded):
        set_random_seed(2)
        logs.append(m.train_on_batch(x, y, return_dict=True))
    assert logs[0] == logs[1]
    assert_same_training_state(loaded, model)
    assert loaded.optimizer.iterations == 2 * steps


def targets_for(model, rng):
    """Random targets shaped like ``model``'s output for a batch of 4."""
    return rng.normal(size=(4, *model.outputs[0].shape[1:]))


def dense_model(compile_arguments=None, **dense_arguments):
    """``Input((4,)) -> Dense(3, ...)``, compiled with ``compile_arguments`` (default
    Adam and MSE), with data: ``(model, x, y)``."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = Input((4,))
    model = Model(x, Dense(3, **dense_arguments)(x))
    model.compile(**(compile_arguments or {"optimizer": Adam(0.01), "loss": "mse"}))
    return model, rng.normal(size=(4, 4)), targets_for(model, rng)


def entry_id(entry):
    return f"{entry.kind}-{entry.name}"


def parametrize_kind(kind):
    return pytest.mark.parametrize("entry", registry.entries(kind), ids=entry_id)


# -- every component --------------------------------------------------------------------------

@parametrize_kind("layer")
def test_every_layer(entry, tmp_path):
    """The layer from its class's ``gradient_check_sample``, on Inputs shaped like the
    sample's arrays (integer arrays, Embedding's ids, give int32 Inputs)."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    layer, arrays = entry.cls.gradient_check_sample(rng)
    arrays = [np.asarray(a) for a in arrays]
    inputs = [Input(a.shape[1:], dtype="int32" if a.dtype.kind in "iu" else None)
              for a in arrays]
    model = Model(inputs, layer(inputs[0] if len(inputs) == 1 else inputs))
    model.compile(non_default(Adam), "mse")
    x = arrays[0] if len(arrays) == 1 else arrays
    y = rng.normal(size=(len(arrays[0]), *model.outputs[0].shape[1:]))
    assert_round_trip(model, x, y, tmp_path)


@parametrize_kind("activation")
def test_every_activation(entry, tmp_path):
    assert_round_trip(*dense_model(activation=non_default(entry.cls)), tmp_path)


@parametrize_kind("initializer")
def test_every_initializer(entry, tmp_path):
    assert_round_trip(*dense_model(kernel_initializer=non_default(entry.cls),
                                   bias_initializer=non_default(entry.cls)), tmp_path)


class Scale(Layer):
    """:math:`y = x \\odot s` with a weight ``s`` penalised by ``regularizer``: no
    registered layer takes a regularizer, so one reaches a saved model through a
    layer of one's own, as here."""

    def __init__(self, regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.regularizer = regularizer

    def build(self, input_shape):
        self.s = self.add_weight((input_shape[-1],), "ones", name="s",
                                 regularizer=self.regularizer)

    def forward(self, x, *, training=False):
        return x * self.s.value, x

    def backward(self, dy, x, *, need_dx=True):
        return (dy * self.s.value if need_dx else None), {"s": (dy * x).sum(axis=0)}


@parametrize_kind("regularizer")
def test_every_regularizer(entry, tmp_path):
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = Input((4,))
    model = Model(x, Dense(2)(Scale(non_default(entry.cls))(x)))
    model.compile(Adam(0.01), "mse")
    assert_round_trip(model, rng.normal(size=(4, 4)), rng.normal(size=(4, 2)), tmp_path,
                      custom_objects={"Scale": Scale})


def output_activation(y_pred):
    """The activation whose outputs look like the sample's predictions."""
    if np.all((y_pred > 0) & (y_pred < 1)):
        return "softmax" if np.allclose(y_pred.sum(axis=-1), 1) else "sigmoid"
    return "linear"


@parametrize_kind("loss")
def test_every_loss(entry, tmp_path):
    """A model predicting what the loss's ``gradient_check_sample`` predicts (its
    shape, and probabilities where the sample has them), trained on its targets."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    _, (y_true, y_pred) = entry.cls.gradient_check_sample(rng)
    x = Input((*y_pred.shape[1:-1], 4))
    model = Model(x, Dense(y_pred.shape[-1], activation=output_activation(y_pred))(x))
    model.compile(Adam(0.01), non_default(entry.cls))
    assert_round_trip(model, rng.normal(size=(len(y_pred), *x.shape[1:])), y_true, tmp_path)


@parametrize_kind("optimizer")
def test_every_optimizer(entry, tmp_path):
    assert_round_trip(*dense_model({"optimizer": non_default(entry.cls), "loss": "mse"}),
                      tmp_path)


@parametrize_kind("optimizer")
def test_every_optimizer_with_a_schedule(entry, tmp_path):
    schedule = ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    assert_round_trip(*dense_model({"optimizer": entry.cls(schedule), "loss": "mse"}), tmp_path)


@parametrize_kind("schedule")
def test_every_schedule(entry, tmp_path):
    assert_round_trip(*dense_model({"optimizer": SGD(non_default(entry.cls)), "loss": "mse"}),
                      tmp_path)


@parametrize_kind("metric")
def test_every_metric(entry, tmp_path):
    """Three classes: integer labels for the sparse metrics, one-hot ones for the others."""
    sparse = entry.name.startswith("Sparse")
    model, x, _ = dense_model({"optimizer": "adam",
                               "loss": f"{'sparse_' if sparse else ''}categorical_crossentropy",
                               "metrics": [non_default(entry.cls)]}, activation="softmax")
    labels = np.array([0, 2, 1, 2])
    assert_round_trip(model, x, labels if sparse else np.eye(3)[labels], tmp_path)


# -- structures -------------------------------------------------------------------------------

def test_the_issue_s_constant_bias(tmp_path):
    model, x, y = dense_model(bias_initializer=Constant(0.5))
    assert_round_trip(model, x, y, tmp_path)


def test_shared_layers_nested_models_and_several_outputs(tmp_path):
    set_random_seed(0)
    inner_in = Input((4,))
    inner = Model(inner_in, Dense(4, activation="tanh")(inner_in), name="inner")
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = Dense(4, activation="tanh", name="shared")
    h = Add()([shared(a), inner(shared(b))])
    model = Model({"a": a, "b": b}, {"digit": Dense(3, activation="softmax")(h),
                                     "size": Dense(1)(Concatenate()([h, a]))})
    model.compile(non_default(Adam), {"digit": "sparse_categorical_crossentropy",
                                      "size": "mse"},
                  loss_weights={"digit": 1.0, "size": 0.5},
                  metrics={"digit": ["accuracy"], "size": ["mae"]})
    rng = np.random.default_rng(0)
    x = {"a": rng.normal(size=(4, 4)), "b": rng.normal(size=(4, 4))}
    y = {"digit": np.array([0, 1, 2, 1]), "size": rng.normal(size=(4, 1))}
    assert_round_trip(model, x, y, tmp_path)


def test_a_sequential_with_a_layer_added_twice(tmp_path):
    """Keras 3 accepts the same layer twice in a Sequential (a shared layer) but
    saves it once, so its loaded model applies it once; nnlib saved it twice and
    could not load it (two layers of one name)."""
    set_random_seed(0)
    twice = Dense(4, activation="tanh")
    model = Sequential([Input((4,)), twice])
    model.add(twice)
    model.compile(Adam(0.01), "mse")
    rng = np.random.default_rng(0)
    assert_round_trip(model, rng.normal(size=(4, 4)), rng.normal(size=(4, 4)), tmp_path)
    loaded = load_model(tmp_path / "model.nnlib")
    assert loaded.layers[0] is loaded.layers[1] and len(loaded.weights) == 2


def test_a_frozen_layer_stays_frozen(tmp_path):
    set_random_seed(0)
    model = Sequential([Input((4,)), Dense(4, trainable=False), Dense(2)])
    model.compile(non_default(Adam), "mse")
    rng = np.random.default_rng(0)
    assert_round_trip(model, rng.normal(size=(4, 4)), rng.normal(size=(4, 2)), tmp_path)
    assert not load_model(tmp_path / "model.nnlib").layers[0].trainable


def test_an_uncompiled_model(tmp_path):
    set_random_seed(0)
    x = Input((4,))
    model = Model(x, Dense(2, activation="relu")(Dense(3)(x)))
    assert_round_trip(model, np.random.default_rng(0).normal(size=(4, 4)), None, tmp_path)
    assert not load_model(tmp_path / "model.nnlib").compiled


def test_the_generated_arguments_are_not_the_defaults():
    """``non_default`` moves every argument it can: the cases above test something."""
    for kind in ("activation", "initializer", "regularizer", "loss", "optimizer", "schedule",
                 "metric"):
        for entry in registry.entries(kind):
            component = non_default(entry.cls)
            default = entry.cls(**REQUIRED.get(entry.cls, {}))
            movable = [name for name, p in inspect.signature(entry.cls).parameters.items()
                       if isinstance(p.default, (bool, float)) or name in GIVEN_FOR_NONE]
            if movable:
                assert component.get_config() != default.get_config(), entry.name

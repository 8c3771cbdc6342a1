"""Configs of every registered component, generated from the registry: JSON-ready, and
rebuilding the same component (layers and models have their own tests in test_saving.py)."""
import json
import os

import pytest

from nnlib import activations, initializers, losses, metrics, regularizers, registry
from nnlib.optimizers import SGD, Adam, Nadam
from nnlib.optimizers.schedules import (CosineDecay, ExponentialDecay, LearningRateSchedule,
                                        PiecewiseConstantDecay)
from nnlib.serialization import (Configurable, deserialize, deserialize_keras_object, serialize,
                                 serialize_keras_object)

# The arguments of the classes that cannot be built without any.
REQUIRED = {
    ExponentialDecay: {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    CosineDecay: {"initial_learning_rate": 0.1, "decay_steps": 10},
    PiecewiseConstantDecay: {"boundaries": [10], "values": [0.1, 0.01]},
    metrics.PrecisionAtRecall: {"recall": 0.8}, metrics.RecallAtPrecision: {"precision": 0.8},
}
ENTRIES = [entry for kind in registry.KINDS if kind not in ("layer", "model")
           for entry in registry.entries(kind)]
DEFAULTS = [entry.cls(**REQUIRED.get(entry.cls, {})) for entry in ENTRIES]
# Arguments away from their defaults, nested components included.
CONFIGURED = [
    activations.LeakyReLU(0.1), activations.ReLU(max_value=6.0, threshold=0.5),
    activations.Softmax(axis=1), activations.GELU(approximate=True),
    initializers.Constant(0.3), initializers.RandomNormal(stddev=1.0, seed=3),
    initializers.GlorotUniform(seed=1), initializers.Orthogonal(gain=2.0),
    regularizers.L1L2(l1=0.1, l2=0.2), regularizers.L2(0.5),
    losses.Huber(delta=0.5, reduction="sum", name="robust"),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, dtype="float64"),
    losses.SparseCategoricalCrossentropy(ignore_class=0, axis=1),
    Adam(ExponentialDecay(0.1, 5, 0.9, staircase=True), amsgrad=True, clipnorm=1.0),
    Nadam(weight_decay=0.01, name="nadam_wd"), SGD(PiecewiseConstantDecay([3], [0.1, 0.01])),
    CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.1, warmup_steps=2),
    metrics.BinaryAccuracy(threshold=0.7, name="acc7", dtype="float64"),
]


def json_round_trip(data):
    return json.loads(json.dumps(data))


def kind_and_name(component):
    entry = next(e for e in ENTRIES if e.cls is type(component))
    return entry.kind, entry.name


def test_every_kind_is_covered():
    assert {kind for kind, _ in map(kind_and_name, DEFAULTS)} == \
        set(registry.KINDS) - {"layer", "model"}


@pytest.mark.parametrize("component", DEFAULTS + CONFIGURED,
                         ids=lambda c: "-".join(kind_and_name(c)))
def test_the_config_is_json_ready_and_rebuilds_the_component(component):
    assert isinstance(component, Configurable)
    config = component.get_config()
    assert json_round_trip(config) == config  # nothing JSON would change: no tuple, no array
    copy = type(component).from_config(json_round_trip(config))
    assert type(copy) is type(component)
    assert copy.get_config() == config


@pytest.mark.parametrize("component", DEFAULTS + CONFIGURED,
                         ids=lambda c: "-".join(kind_and_name(c)))
def test_serialize_and_deserialize_round_trip(component):
    kind, name = kind_and_name(component)
    data = json_round_trip(serialize(component))
    if isinstance(data, str):  # an activation with its default arguments: its name
        assert kind == "activation" and component.get_config() == type(component)().get_config()
        copy = registry.get(kind, data)
    else:
        assert data == {"kind": kind, "class_name": name, "config": component.get_config()}
        copy = deserialize(data)
    assert type(copy) is type(component)
    assert copy.get_config() == component.get_config()


def test_an_optimizer_writes_its_schedule_not_the_current_rate():
    schedule = ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    optimizer = SGD(schedule)
    optimizer.iterations = 3
    assert optimizer.learning_rate == 0.125
    config = optimizer.get_config()
    assert config["learning_rate"] == serialize(schedule)
    copy = SGD.from_config(json_round_trip(config))
    assert isinstance(copy._learning_rate, ExponentialDecay)
    assert copy.learning_rate == 1.0  # a new optimizer starts at step 0


def test_a_component_of_the_user_s_is_written_as_keras_writes_it():
    """A class nnlib's registry does not know: Keras's record, read back only with the
    class given as a custom object (or registered: see test_custom_objects.py)."""
    class Unregistered(losses.MeanSquaredError):
        pass

    record = json_round_trip(serialize(Unregistered(name="mine")))
    assert record == {"class_name": "Unregistered", "config": Unregistered(name="mine")
                      .get_config(), "registered_name": None}
    with pytest.raises(ValueError, match="unknown class 'Unregistered': not an nnlib component "
                                         "nor a custom object; register it"):
        deserialize(record)
    copy = deserialize(record, custom_objects={"Unregistered": Unregistered})
    assert type(copy) is Unregistered and copy.name == "mine"
    with pytest.raises(ValueError, match="unknown loss 'Unregistered'"):
        deserialize({"kind": "loss", "class_name": "Unregistered", "config": {}})


@pytest.mark.parametrize("value", [object(), len, lambda x: x, losses.Huber],
                         ids=["object", "builtin", "lambda", "class"])
def test_what_has_no_config_cannot_be_serialized(value):
    with pytest.raises(TypeError, match=r"cannot serialize .*: expected numbers, strings, "
                                        r"lists, dicts, nnlib components, objects with "
                                        r"get_config\(\) or functions registered with "
                                        r"@register_keras_serializable\(\)"):
        serialize(value)


@pytest.mark.parametrize("record", [
    {"kind": ["loss"], "class_name": "Huber", "config": {}},
    {"kind": "loss", "class_name": 7, "config": {}},
    {"kind": "loss", "class_name": "Huber", "config": None},
], ids=["list-kind", "number-name", "no-config"])
def test_a_malformed_record_says_what_a_record_is(record):
    """Before: ``unhashable type: 'list'``, ``'int' object has no attribute 'replace'``,
    ``'NoneType' object is not iterable``."""
    with pytest.raises(TypeError, match='a component\'s record is {"kind": a string, '
                                        '"class_name": a string, "config": a dict}, got'):
        deserialize(record)


# -- Keras's records --------------------------------------------------------------------------

def keras_records():
    """Keras's records of components whose arguments nnlib's classes share."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    objects = [keras.regularizers.L1(0.005), keras.regularizers.L1L2(0.1, 0.2),
               keras.initializers.Constant(0.3),
               keras.initializers.RandomNormal(stddev=2.0, seed=1),
               keras.losses.MeanSquaredError(), keras.metrics.MeanSquaredError(),
               keras.metrics.BinaryAccuracy(threshold=0.7),
               keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True)]
    return [keras.saving.serialize_keras_object(o) for o in objects]


def test_keras_s_records_are_read_by_class_and_module():
    """The module tells a loss from a metric of the same class name; the arguments come
    across; nothing is imported."""
    kinds = {"keras.regularizers": regularizers.Regularizer, "keras.losses": losses.Loss,
             "keras.metrics": metrics.Metric, "keras.initializers": initializers.Initializer,
             "keras.optimizers.schedules": LearningRateSchedule}
    for record in keras_records():
        component = deserialize_keras_object(json_round_trip(record))
        assert type(component).__name__ == record["class_name"]
        assert isinstance(component, kinds[record["module"]])
        config = component.get_config()
        for key, value in record["config"].items():
            if key in config:
                assert config[key] == pytest.approx(value), (record, key)


def test_a_function_record_is_its_name_and_a_bare_record_is_a_record():
    assert deserialize_keras_object({"module": "builtins", "class_name": "function",
                                     "config": "relu", "registered_name": "function"}) == "relu"
    assert isinstance(deserialize_keras_object({"class_name": "Huber", "config": {}}),
                      losses.Huber)
    # Inside a config, a bare {"class_name", "config"} is data (nnlib's lists of layers).
    assert deserialize({"layers": [{"class_name": "Huber", "config": {}}]}) == \
        {"layers": [{"class_name": "Huber", "config": {}}]}


def test_an_ambiguous_or_bad_keras_record_is_refused():
    with pytest.raises(ValueError, match="'MeanSquaredError' names several nnlib components "
                                         "\\(loss, metric\\); say which"):
        deserialize_keras_object({"class_name": "MeanSquaredError", "config": {}})
    with pytest.raises(TypeError, match="cannot rebuild GlorotUniform from the config "
                                        "{'input_axes': 1}: .*input_axes"):
        deserialize_keras_object({"class_name": "GlorotUniform", "config": {"input_axes": 1},
                                  "module": "keras.initializers"})
    with pytest.raises(TypeError, match='a record is {"class_name": a string, "config": a '
                                        'dict, and optionally "module" and "registered_name": '
                                        'strings}, got'):
        deserialize({"class_name": "L2", "config": {}, "module": 3})
    with pytest.raises(TypeError, match="deserialize_keras_object: safe_mode must be"):
        deserialize_keras_object({"class_name": "L2", "config": {}}, safe_mode="no")


def test_serialize_keras_object_is_serialize():
    assert serialize_keras_object is serialize

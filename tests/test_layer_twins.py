"""Every hand-written backward pass against the gradient tape, generated from
the registry.

For each registered differentiable layer, its ``gradient_check_sample`` (and
``contract_sample``, where it has one) runs twice in float64: through the
layer's ``run_forward`` and ``run_backward`` with a random upstream gradient,
and through the layer's twin (tests/layer_twins.py, written with
``nnlib.ops``) under ``ops.GradientTape``.  The outputs and the gradients of
every input and trainable weight must agree to about 1e-9: the backward pass
computes the derivative of what the forward pass computes.  Registering a
layer adds its check, and a registered layer without a twin fails.
"""
import numpy as np
import pytest

from layer_twins import ACTIVATION_TWINS, TWINS, dense_twin
from nnlib import ops, registry
from nnlib.backend import floatx_scope
from nnlib.graph import flatten, graded_keywords, pack_as
from nnlib.initializers import RandomUniform
from nnlib.layers import (GRU, LSTM, Activation, AveragePooling2D, BatchNormalization,
                          Bidirectional, Concatenate, Conv1D, Conv2D, Conv2DTranspose, Dense,
                          Flatten, GlobalAveragePooling1D, LayerNormalization, MaxPooling1D,
                          PReLU, SimpleRNN, Softmax, UpSampling2D)
from nnlib.layers.rnn import sample_initializers
from nnlib.utils import set_random_seed

RTOL, ATOL = 1e-9, 1e-12
NOISE_SEED = 3  # reseeds nnlib's generator before each run: dropout draws the same noise


def twin_entries():
    """Every registered layer whose backward pass must match its forward."""
    return [entry for entry in registry.entries("layer") if entry.differentiable]


def missing_twins():
    """The names of the registered differentiable layers without a twin."""
    return [entry.name for entry in twin_entries() if entry.cls not in TWINS]


def hand_written(layer, x, keywords, training, upstream_rng):
    """The layer's own passes: ``(outputs, upstream, gradients)``, the gradients
    by name (``input`` or ``input_0``..., ``initial_state_0``..., weight paths)."""
    set_random_seed(NOISE_SEED)
    outputs, cache, _ = layer.run_forward(x, training=training, **keywords)
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    upstream = [upstream_rng.normal(size=y.shape) for y in outputs]
    d_in, grads = layer.run_backward(upstream if len(outputs) > 1 else upstream[0], cache)
    graded = graded_keywords(keywords)  # a mask has no gradient
    if graded:
        d_keywords = {key: d_in[key] for key in graded}
        d_in = d_in["inputs"]
        grads = {**grads, **named_leaves(d_keywords)}
    if (x[0] if isinstance(x, list) else x).dtype.kind == "f":  # ids have no gradient
        grads = {**grads, **named_inputs(d_in if isinstance(x, list) else [d_in])}
    return outputs, upstream, grads


def named_inputs(values):
    """``{"input": v}`` for one input, ``{"input_0": ..., "input_1": ...}`` for several."""
    return {"input": values[0]} if len(values) == 1 else \
        {f"input_{i}": v for i, v in enumerate(values)}


def named_leaves(keywords):
    """Tensors by keyword as ``{key: v}``, or ``{key_0: ..., key_1: ...}`` for a list."""
    named = {}
    for key, value in keywords.items():
        leaves = flatten(value)
        named.update({key: leaves[0]} if not isinstance(value, (list, tuple)) else
                     {f"{key}_{i}": leaf for i, leaf in enumerate(leaves)})
    return named


def taped_twin(layer, x, keywords, training, upstream):
    """The twin under a tape: ``(outputs, gradients)``, named as ``hand_written``
    names them, for every float input, keyword tensor and trainable weight (a
    frozen layer's too: its backward pass still gives them; the moving
    statistics of a normalization are constants)."""
    twin = TWINS.get(type(layer))
    if twin is None:
        pytest.fail(f"{type(layer).__name__} is a registered differentiable layer without a "
                    f"twin: add one written with nnlib.ops to TWINS in tests/layer_twins.py")
    trainable = [path for path, weight in layer.named_weights().items() if weight.trainable]
    set_random_seed(NOISE_SEED)
    with ops.GradientTape() as tape:
        xs = [tape.watch(a) if a.dtype.kind == "f" else a
              for a in (x if isinstance(x, list) else [x])]
        traced_keywords = {key: value if key == "mask" else
                           pack_as(value, [tape.watch(a) for a in flatten(value)])
                           for key, value in keywords.items()}
        weights = {path: tape.watch(weight.value) if path in trainable else weight.value
                   for path, weight in layer.named_weights().items()}
        outputs = twin(layer, xs if isinstance(x, list) else xs[0], weights, training,
                       **traced_keywords)
        outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
        total = sum(ops.sum(y * g) for y, g in zip(outputs, upstream))
    sources = {**{path: weights[path] for path in trainable},
               **named_leaves(graded_keywords(traced_keywords)),
               **(named_inputs(xs) if xs[0].dtype.kind == "f" else {})}
    return outputs, dict(zip(sources, tape.gradient(total, list(sources.values()))))


def compare_with_twin(layer, inputs, keywords=None, training=True, seed=0):
    """Run the layer and its twin on ``inputs`` (the layer built in float64) and
    assert that outputs and gradients agree, naming what differs."""
    keywords = layer.prepare_keywords(keywords or {})
    x = layer.prepare(list(inputs) if layer.several_inputs else inputs[0])
    outputs, upstream, expected = hand_written(layer, x, keywords, training,
                                               np.random.default_rng(seed))
    twin_outputs, found = taped_twin(layer, x, keywords, training, upstream)
    name = f"{type(layer).__name__} '{layer.name}' (training={training})"
    assert len(twin_outputs) == len(outputs), f"{name}: the twin gives {len(twin_outputs)} " \
                                              f"outputs, the layer {len(outputs)}"
    for k, (ours, theirs) in enumerate(zip(twin_outputs, outputs)):
        np.testing.assert_allclose(ops.convert_to_numpy(ours), theirs, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: output {k} differs from its twin's")
    assert set(found) == set(expected), f"{name}: the backward pass gives gradients of " \
                                        f"{sorted(expected)}, the tape of {sorted(found)}"
    for key, gradient in expected.items():
        np.testing.assert_allclose(gradient, found[key], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: the gradient of '{key}' differs from "
                                           f"the tape's through its twin")


def run_twin_check(entry, sample="gradient_check_sample", training=True):
    """Build the entry's sample in float64 and compare the layer with its twin."""
    with floatx_scope("float64"):
        layer, inputs = getattr(entry.cls, sample)(np.random.default_rng(0))
        compare_with_twin(layer, inputs, training=training)


def entry_id(entry):
    return entry.name


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("entry", twin_entries(), ids=entry_id)
def test_each_backward_pass_equals_the_tape_through_the_twin(entry, training):
    run_twin_check(entry, training=training)


@pytest.mark.parametrize("entry", [e for e in twin_entries()
                                   if callable(getattr(e.cls, "contract_sample", None))],
                         ids=entry_id)
def test_the_contract_samples_too(entry):
    run_twin_check(entry, sample="contract_sample")


def assert_every_layer_has_a_twin():
    assert not missing_twins(), f"registered differentiable layers without a twin in " \
                                f"tests/layer_twins.py: {missing_twins()}"


def test_every_registered_differentiable_layer_has_a_twin():
    assert_every_layer_has_a_twin()


def test_every_registered_activation_has_a_twin():
    missing = [e.name for e in registry.entries("activation") if e.cls not in ACTIVATION_TWINS]
    assert not missing, f"activations without a twin in tests/layer_twins.py: {missing}"


@pytest.mark.parametrize("entry", registry.entries("activation"), ids=entry_id)
def test_each_activation_as_a_layer_equals_its_twin(entry):
    """Every layer with an ``activation`` argument runs the activation's backward
    pass: each registered one is checked in an ``Activation`` layer, on its own
    sample (away from its kinks)."""
    with floatx_scope("float64"):
        activation, (x,) = entry.cls.gradient_check_sample(np.random.default_rng(1))
        compare_with_twin(Activation(activation), [x])


# -- branches of the layers' arguments that the registry's samples leave out -----------

def normal(*shape):
    return np.random.default_rng(4).normal(size=shape)


VARIANTS = {
    "Dense without bias": lambda: (Dense(4, use_bias=False), [normal(3, 5)]),
    "Conv1D valid, strided, without bias": lambda: (
        Conv1D(2, 3, strides=2, use_bias=False, activation="relu"), [normal(2, 8, 3)]),
    "Conv2D dilated": lambda: (Conv2D(2, 2, dilation_rate=(2, 1)), [normal(2, 5, 4, 3)]),
    "Conv2DTranspose valid, dilated": lambda: (
        Conv2DTranspose(2, (2, 3), dilation_rate=(1, 2)), [normal(2, 3, 2, 3)]),
    "Conv2DTranspose valid with a stride above the kernel": lambda: (
        Conv2DTranspose(2, 2, strides=3), [normal(1, 2, 3, 2)]),
    "MaxPooling1D valid": lambda: (MaxPooling1D(), [normal(2, 7, 3)]),
    "AveragePooling2D same, lopsided padding": lambda: (
        AveragePooling2D(2, strides=1, padding="same"), [normal(2, 3, 4, 2)]),
    "UpSampling2D nearest": lambda: (UpSampling2D((3, 2)), [normal(2, 2, 3, 2)]),
    "Concatenate on axis 1": lambda: (Concatenate(axis=1), [normal(2, 3, 2), normal(2, 1, 2)]),
    "Flatten of a rank-1 input": lambda: (Flatten(), [normal(4)]),
    "Softmax over two axes": lambda: (Softmax(axis=(1, 2)), [normal(2, 3, 4)]),
    "PReLU, one slope per value": lambda: (
        PReLU(alpha_initializer="glorot_uniform"), [normal(3, 2, 4)]),
    "GRU without bias": lambda: (
        GRU(3, use_bias=False, return_sequences=True, **sample_initializers(6)),
        [normal(2, 4, 3)]),
    "Bidirectional SimpleRNNs summed": lambda: (
        Bidirectional(SimpleRNN(3, return_sequences=True, **sample_initializers(7)),
                      merge_mode="sum"), [normal(2, 4, 3)]),
    "BatchNormalization frozen": lambda: (
        BatchNormalization(scale=False, trainable=False,
                           moving_variance_initializer=RandomUniform(0.5, 2.0)),
        [normal(4, 3)]),
    "LayerNormalization without scale and centre": lambda: (
        LayerNormalization(center=False, scale=False), [normal(3, 5)]),
}


@pytest.mark.parametrize("case", VARIANTS)
def test_argument_variants(case):
    with floatx_scope("float64"):
        layer, inputs = VARIANTS[case]()
        compare_with_twin(layer, inputs)


# -- tensors by keyword: initial states and masks --------------------------------------

def ragged_mask():
    """Two sequences of 5 steps: one padded at the end, one with a gap inside."""
    return np.array([[True, True, True, False, False], [True, False, True, True, False]])


def sequences():
    return np.random.default_rng(2).normal(size=(2, 5, 3))


def states(count, units=4):
    return [np.random.default_rng(3 + k).normal(size=(2, units)) for k in range(count)]


KEYWORD_CASES = {
    "LSTM with initial states and a mask": lambda: (
        LSTM(4, return_sequences=True, return_state=True, **sample_initializers(1)),
        {"initial_state": states(2), "mask": ragged_mask()}),
    "GRU (reset after) going backwards, with a mask": lambda: (
        GRU(4, go_backwards=True, return_state=True, **sample_initializers(2)),
        {"initial_state": states(1)[0], "mask": ragged_mask()}),
    "SimpleRNN with zero outputs at masked steps": lambda: (
        SimpleRNN(4, return_sequences=True, zero_output_for_mask=True, activation="relu",
                  **sample_initializers(3)), {"mask": ragged_mask()}),
    "Bidirectional GRUs, concatenated, with states and a mask": lambda: (
        Bidirectional(GRU(4, return_sequences=True, return_state=True,
                          **sample_initializers(4))),
        {"initial_state": states(2), "mask": ragged_mask()}),
    "Bidirectional LSTMs averaged": lambda: (
        Bidirectional(LSTM(4, **sample_initializers(5)), merge_mode="ave"), {}),
    "BatchNormalization with a mask": lambda: (
        BatchNormalization(center=False), {"mask": ragged_mask()}),
    "GlobalAveragePooling1D with a mask": lambda: (
        GlobalAveragePooling1D(), {"mask": ragged_mask()}),
    "Softmax with a mask": lambda: (Softmax(), {"mask": ragged_mask()[:, None, :]}),
}


@pytest.mark.parametrize("case", KEYWORD_CASES)
def test_tensors_by_keyword_reach_the_twins(case):
    with floatx_scope("float64"):
        layer, keywords = KEYWORD_CASES[case]()
        x = sequences() if not isinstance(layer, Softmax) else \
            np.random.default_rng(2).normal(size=(2, 3, 5))
        compare_with_twin(layer, [x], keywords)


# -- the check itself: it catches a wrong backward pass and a missing twin ---------------

class HalfKernelGradientDense(Dense):
    """A Dense whose kernel gradient is half the true one."""

    def backward(self, dy, cache, *, need_dx=True):
        dx, grads = super().backward(dy, cache, need_dx=need_dx)
        return dx, {**grads, "kernel": grads["kernel"] / 2}


class TwinlessDense(Dense):
    """A Dense registered without a twin."""


@pytest.fixture
def register_temporarily():
    """Register layer classes for one test and remove them afterwards, even on failure."""
    registered = []

    def add(cls):
        registry.register("layer", description=f"{cls.__name__} for a test",
                          use_case="Testing the twins")(cls)
        registered.append(cls.__name__)
        return registry.entry_for("layer", cls.__name__)

    yield add
    for name in registered:
        registry.unregister("layer", name)


def test_a_wrong_backward_pass_is_caught(register_temporarily, monkeypatch):
    entry = register_temporarily(HalfKernelGradientDense)
    monkeypatch.setitem(TWINS, HalfKernelGradientDense, dense_twin)
    assert entry in twin_entries()
    with pytest.raises(AssertionError, match="the gradient of 'kernel' differs"):
        run_twin_check(entry)
    run_twin_check(registry.entry_for("layer", "Dense"))  # the same check on the real one


def test_a_twin_that_computes_something_else_is_caught(monkeypatch):
    monkeypatch.setitem(TWINS, Activation, lambda layer, x, w, training: ops.tanh(x))
    with floatx_scope("float64"):
        x = np.linspace(-1, 1, 6).reshape(2, 3)
        compare_with_twin(Activation("tanh"), [x])
        with pytest.raises(AssertionError, match="output 0 differs from its twin's"):
            compare_with_twin(Activation("sigmoid"), [x])


def test_a_layer_without_a_twin_is_named(register_temporarily):
    entry = register_temporarily(TwinlessDense)
    assert "TwinlessDense" in missing_twins()
    with pytest.raises(pytest.fail.Exception, match="TwinlessDense is a registered "
                                                    "differentiable layer without a twin"):
        run_twin_check(entry)
    with pytest.raises(AssertionError, match=r"without a twin.*\['TwinlessDense'\]"):
        assert_every_layer_has_a_twin()

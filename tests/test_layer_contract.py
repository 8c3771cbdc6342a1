"""The layer contract, generated from the registry (Keras's ``run_layer_test``).

Every registered layer is built from its class's sample (``contract_sample(rng)``
where a class has one, else ``gradient_check_sample(rng)``, both returning
``(layer, inputs)``) and held to the same eight points, one parametrized test
each (ids ``layer-<Name>``), so registering a layer adds its contract:

1. ``compute_output_shape`` (batch axis ``None``) gives the shape ``forward`` gives;
2. a symbolic call in a ``Model`` computes what the eager call computes, and
   its tensor has the shape ``compute_output_shape`` promises;
3. the weights have Keras's names, order and shapes (the Keras 3 twin of the
   same name, built from the config's simple values and held layers; names
   are paths below the layer, ``kernel`` or ``lstm_cell/kernel``), and Keras
   agrees on the output shape(s); a layer without a twin must be listed in
   ``NO_KERAS_TWIN``;
4. a mask over the input's steps is passed on, remade or consumed as the
   layer says, and dropped with a warning by a layer that cannot take one;
5. ``backward(..., need_dx=False)`` gives no input gradient and the same
   weight gradients;
6. the config survives JSON and rebuilds a layer that computes the same;
7. the backward pass matches central differences in float64
   (``run_gradient_check`` of tests/test_gradients.py);
8. the output has the layer's dtype whatever numeric input arrives.

Each point is a ``check_*`` helper that raises ``AssertionError``; the last
tests register broken layers and show the helpers catch them.
"""
import json
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlib import registry  # noqa: E402
from nnlib.graph import flatten  # noqa: E402
from nnlib.layers import Dense, Layer  # noqa: E402
from nnlib.models import Input, Model  # noqa: E402

# The gradient check (point 7), the test ids and the fixture that registers a
# component for one test come from tests/test_gradients.py.
from test_gradients import entry_id, register_temporarily, run_gradient_check  # noqa: E402,F401

# Layers with no Keras 3 layer of the same name: {name: why}.  A layer missing
# from keras.layers fails the contract until it is listed here with a reason.
# (Empty today: every registered layer has its twin.)
NO_KERAS_TWIN = {}

# Config keys every nnlib layer has that are no constructor argument of the
# Keras layer under test (Keras takes name and dtype too, but the contract
# compares structure, not naming or precision).
NNLIB_ONLY_KEYS = ("name", "dtype", "trainable")

INPUT_DTYPES = ("int32", "int64", "bool", "float16", "float32", "float64")
ID_DTYPES = ("int32", "int64", "uint8", "float32", "float64")  # whole numbers, for ids


def layer_entries():
    """Every registered layer, in registration order."""
    return registry.entries("layer")


parametrize_layers = pytest.mark.parametrize("entry", layer_entries(), ids=entry_id)


# -- samples -------------------------------------------------------------------------

def contract_sample(entry, seed=0):
    """``(layer, inputs)`` for ``entry``: its class's ``contract_sample(rng)`` if
    it has one, else ``gradient_check_sample(rng)``; ``inputs`` is a list with
    one array per input of the layer."""
    make = getattr(entry.cls, "contract_sample", None) or \
        getattr(entry.cls, "gradient_check_sample", None)
    if make is None:
        pytest.fail(f"layer {entry.name!r} has neither contract_sample(rng) nor "
                    f"gradient_check_sample(rng) returning (layer, inputs)")
    layer, inputs = make(np.random.default_rng(seed))
    return layer, [np.asarray(a) for a in inputs]


def as_argument(items):
    """One item as itself, several as a list: how a layer takes its inputs."""
    return items[0] if len(items) == 1 else list(items)


def symbolic_shape(inputs):
    """The inputs' shape(s) with the batch axis unknown, as a layer is called symbolically."""
    return as_argument([(None, *np.shape(a)[1:]) for a in inputs])


def is_ids(array):
    """Integer arrays are ids (an Embedding's input), not values."""
    return np.asarray(array).dtype.kind in "iu"


def outputs_of(y):
    """A layer's output(s) as a list, one array per output."""
    return list(y) if isinstance(y, (list, tuple)) else [y]


def shapes_of(shape):
    """``compute_output_shape``'s answer as a list of tuples, one per output (Keras
    gives several outputs' shapes as a tuple of tuples, nnlib as a list of tuples; one
    output's shape may be a list of axes, as Keras's Conv2DTranspose gives it)."""
    several = isinstance(shape, (list, tuple)) and len(shape) > 0 and \
        isinstance(shape[0], (tuple, list))
    return [tuple(s) for s in shape] if several else [tuple(shape)]


def run_eagerly(layer, inputs, **keywords):
    """``forward``'s outputs (a list) on inputs prepared as a call prepares them."""
    return outputs_of(layer.run_forward(layer.prepare(as_argument(inputs)), **keywords)[0])


# -- 1. compute_output_shape agrees with forward ---------------------------------------

def check_output_shape(entry):
    """``compute_output_shape`` of the batch-less input shape(s) is the shape (a
    list of shapes for several outputs) of what ``forward`` returns."""
    layer, inputs = contract_sample(entry)
    ys = run_eagerly(layer, inputs)
    promised = layer.compute_output_shape(symbolic_shape(inputs))
    assert isinstance(promised, list) == (len(ys) > 1), (
        f"{entry.name}: forward gives {len(ys)} output(s), compute_output_shape {promised}")
    given = [(None, *y.shape[1:]) for y in ys]
    assert shapes_of(promised) == given, (
        f"{entry.name}: compute_output_shape says {promised}, forward gives {given}")


@parametrize_layers
def test_compute_output_shape_matches_forward(entry):
    check_output_shape(entry)


# -- 2. symbolic and eager calls agree ------------------------------------------------

def check_symbolic_matches_eager(entry):
    """``Model(inputs, layer(inputs))`` computes what ``layer(x)`` computes (same
    weights), and the symbolic tensor has the promised shape and the layer's dtype."""
    layer, inputs = contract_sample(entry)
    eager = outputs_of(layer(as_argument(inputs)))
    tensors = [Input(a.shape[1:], dtype="int32" if is_ids(a) else None) for a in inputs]
    symbolic = layer(as_argument(tensors))
    promised = shapes_of(layer.compute_output_shape(symbolic_shape(inputs)))
    assert [t.shape for t in flatten(symbolic)] == promised
    assert [s[1:] for s in promised] == [y.shape[1:] for y in eager], (
        f"{entry.name}: the symbolic tensor promises {promised}, the call gives "
        f"{[y.shape for y in eager]}")
    assert all(t.dtype == layer.dtype for t in flatten(symbolic))
    model = Model(as_argument(tensors), symbolic)
    for computed in (model.predict(as_argument(inputs)), model(as_argument(inputs))):
        for y, expected in zip(outputs_of(computed), eager, strict=True):
            np.testing.assert_allclose(y, expected, rtol=1e-6, err_msg=entry.name)


@parametrize_layers
def test_symbolic_call_matches_eager_call(entry):
    check_symbolic_matches_eager(entry)


# -- 3. Keras's weights: names, order, shapes ------------------------------------------

def is_simple(value):
    """Numbers, strings, booleans, ``None`` and lists of them: values that mean
    the same to Keras (a dict is an nnlib record, e.g. an initializer)."""
    if isinstance(value, (list, tuple)):
        return all(is_simple(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def is_layer_record(value):
    """A layer held by a wrapper, in its config: ``{"kind": "layer", ...}``."""
    return isinstance(value, dict) and value.get("kind") == "layer"


def keras_arguments(config):
    """The arguments of the Keras twin: the config's simple values, less nnlib's own
    keys; a held layer (``Bidirectional``'s) becomes its own Keras twin, under its
    name, which names the weights below it."""
    arguments = {}
    for key, value in config.items():
        if key in NNLIB_ONLY_KEYS:
            continue
        if is_layer_record(value):
            twin = getattr(keras.layers, value["class_name"])
            arguments[key] = twin(name=value["config"]["name"],
                                  **keras_arguments(value["config"]))
        elif is_simple(value):
            arguments[key] = value
    return arguments


def keras_twin(entry):
    """The Keras 3 layer class of the same name, or ``None``."""
    return getattr(keras.layers, entry.name, None)


def check_keras_weights(entry):
    """The weights are those the Keras twin creates on the same input shape:
    same names (the last part of Keras's paths), order and shapes; and the
    twin computes the same output shape."""
    twin = keras_twin(entry)
    if twin is None:
        assert NO_KERAS_TWIN.get(entry.name), (
            f"{entry.name}: keras.layers has no {entry.name}; list it in NO_KERAS_TWIN "
            f"with the reason")
        return
    assert entry.name not in NO_KERAS_TWIN, (
        f"{entry.name} is listed in NO_KERAS_TWIN but keras.layers.{entry.name} exists")
    layer, inputs = contract_sample(entry)
    layer(as_argument(inputs))
    keras_layer = twin(**keras_arguments(layer.get_config()))
    keras_layer.build(symbolic_shape(inputs))
    # Keras's paths start with the layer's own name; below it they follow the tree
    # of held layers, as nnlib's dotted paths do (``lstm_cell/kernel``).
    expected = [("/".join(v.path.split("/")[1:]), tuple(v.shape)) for v in keras_layer.weights]
    created = [(path.replace(".", "/"), weight.shape)
               for path, weight in layer.named_weights().items()]
    assert created == expected, f"{entry.name}: nnlib creates {created}, Keras {expected}"
    ours = layer.compute_output_shape(symbolic_shape(inputs))
    theirs = keras_layer.compute_output_shape(symbolic_shape(inputs))
    assert shapes_of(ours) == shapes_of(theirs), (
        f"{entry.name}: output shape {ours}, Keras's {theirs}")


@parametrize_layers
def test_weights_follow_keras(entry):
    check_keras_weights(entry)


# -- 4. masks ------------------------------------------------------------------------

def step_mask(array):
    """A mask over every axis but the features, padding at the end: ``(batch,
    steps)`` on a sequence ``(batch, steps, features)``, the same rule on any
    other input (``(batch,)`` on ``(batch, features)``), the whole shape for ids."""
    shape = array.shape if is_ids(array) else array.shape[:-1]
    mask = np.ones(shape, bool)
    mask[..., -1:] = False
    if len(shape) > 1:
        mask[0, ...] = True  # a sample with nothing masked
    return mask


def check_masks(entry):
    """A mask on the input is passed on unchanged or remade (either way it must
    fit the output: its shape without the features), or consumed (``None``)
    by a layer that says so: a ``mask`` argument in ``forward`` (which then
    runs with it), or ``supports_masking`` with a ``compute_mask`` that drops
    it.  Any other layer drops it with a warning, as the executor warns."""
    layer, inputs = contract_sample(entry)
    xs = layer.prepare(as_argument(inputs))
    ys = run_eagerly(layer, inputs)
    masks = as_argument([step_mask(a) for a in inputs])
    if not (layer.supports_masking or layer.uses_mask):
        with pytest.warns(UserWarning, match="does not support masking"):
            assert layer.output_mask(xs, masks) is None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a layer that takes masks loses none silently
        out = layer.output_mask(xs, masks)
    for y, m in zip(ys, out if isinstance(out, list) else [out] * len(ys)):
        if m is None:  # consumed: by forward (which must then run with it) or compute_mask
            if layer.uses_mask:
                assert run_eagerly(layer, inputs, mask=masks)[0].shape == y.shape
            continue
        assert np.asarray(m).dtype == bool, f"{entry.name}: a mask of dtype {m.dtype}"
        assert np.shape(m) == y.shape[:-1], (
            f"{entry.name}: output of shape {y.shape} carries a mask of shape "
            f"{np.shape(m)}, expected {y.shape[:-1]}")


@parametrize_layers
def test_masks_are_passed_on_or_consumed(entry):
    check_masks(entry)


# -- 5. need_dx=False ----------------------------------------------------------------

def check_need_dx(entry):
    """``backward(..., need_dx=False)`` returns ``None`` for the inputs and the
    weight gradients ``need_dx=True`` gives (one per trainable weight)."""
    layer, inputs = contract_sample(entry)
    ys, cache, _ = layer.run_forward(layer.prepare(as_argument(inputs)))
    rng = np.random.default_rng(1)
    dys = [rng.normal(size=y.shape).astype(y.dtype) for y in outputs_of(ys)]
    dy = as_argument(dys) if isinstance(ys, (list, tuple)) else dys[0]
    _, grads = layer.backward(dy, cache, need_dx=True)
    dx, grads_without = layer.backward(dy, cache, need_dx=False)
    assert dx is None, f"{entry.name}: need_dx=False still returned an input gradient"
    assert sorted(grads_without) == sorted(grads)
    assert set(layer.named_weights(trainable_only=True)) <= set(grads), "a weight without grad"
    for key in grads:
        np.testing.assert_array_equal(grads_without[key], grads[key], err_msg=key)


@parametrize_layers
def test_backward_without_input_gradient(entry):
    check_need_dx(entry)


# -- 6. configuration -----------------------------------------------------------------

def json_copy(data):
    return json.loads(json.dumps(data))


def check_config_round_trip(entry):
    """``from_config`` of the config read back from JSON gives the same config
    and, with the same weights, the same outputs."""
    layer, inputs = contract_sample(entry)
    expected = run_eagerly(layer, inputs)
    config = json_copy(layer.get_config())
    rebuilt = type(layer).from_config(config)
    assert json_copy(rebuilt.get_config()) == config
    rebuilt(as_argument(inputs))  # build
    rebuilt.set_weights(layer.get_weights())
    for y, y_expected in zip(run_eagerly(rebuilt, inputs), expected, strict=True):
        np.testing.assert_array_equal(y, y_expected)


@parametrize_layers
def test_config_round_trips(entry):
    check_config_round_trip(entry)


# -- 7. gradients in float64 ------------------------------------------------------------

@parametrize_layers
def test_gradients_match_central_differences(entry):
    """The check of tests/test_gradients.py, so each layer's contract is whole here."""
    if not entry.differentiable:
        pytest.skip(f"{entry.name} declares differentiable = False")
    run_gradient_check(entry)


# -- 8. dtypes ---------------------------------------------------------------------------

def cast_sample(array, dtype):
    """The sample as ``dtype``: ids keep their values, values are rounded to
    integers or thresholded to booleans."""
    if is_ids(array):
        return array.astype(dtype)
    if dtype == "bool":
        return array > 0
    return (np.round(array * 3) if np.dtype(dtype).kind in "iu" else array).astype(dtype)


def check_dtypes(entry):
    """The output has the layer's dtype (float32 by default, float64 when asked)
    whatever numeric input arrives; ids stay integers."""
    layer, inputs = contract_sample(entry)
    wide = type(layer).from_config({**layer.get_config(), "dtype": "float64"})
    input_dtypes = ID_DTYPES if any(is_ids(a) for a in inputs) else INPUT_DTYPES
    for model_layer, dtype in ((layer, "float32"), (wide, "float64")):
        assert model_layer.dtype == dtype
        for input_dtype in input_dtypes:
            cast = [cast_sample(a, input_dtype) for a in inputs]
            prepared = outputs_of(model_layer.prepare(as_argument(cast)))
            for given, arrived in zip(inputs, prepared):
                if is_ids(given):
                    assert arrived.dtype.kind in "iu", f"ids became {arrived.dtype}"
            for y in outputs_of(model_layer(as_argument(cast))):
                assert y.dtype == dtype, (f"{entry.name}(dtype={dtype}) on {input_dtype} "
                                          f"input gives {y.dtype}")


@parametrize_layers
def test_output_has_the_layer_dtype(entry):
    check_dtypes(entry)


# -- the contract itself: every layer is listed, broken layers are caught ---------------

def test_every_layer_has_a_keras_twin_or_a_reason():
    names = {entry.name for entry in layer_entries()}
    assert set(NO_KERAS_TWIN) <= names, "NO_KERAS_TWIN lists layers that are not registered"
    for name, reason in NO_KERAS_TWIN.items():
        assert reason and keras_twin(registry.entry_for("layer", name)) is None, name


class ShapeLiar(Dense):
    """A Dense whose ``compute_output_shape`` promises one unit too many."""

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units + 1)


class EagerGradient(Dense):
    """A Dense that computes the input gradient even when nobody needs it."""

    def backward(self, dy, cache, *, need_dx=True):
        return super().backward(dy, cache, need_dx=True)


class Doubler(Layer):
    """:math:`y = 2x`, a layer Keras does not have."""

    def forward(self, x, *, training=False):
        return 2 * x, None

    def backward(self, dy, cache, *, need_dx=True):
        return (2 * dy if need_dx else None), {}

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(2, 3, 4)),)


def test_a_registered_layer_gets_the_contract_and_a_wrong_shape_is_caught(
        register_temporarily):
    entry = register_temporarily("layer", ShapeLiar)
    assert entry in layer_entries()  # so the next collection parametrizes over it
    with pytest.raises(AssertionError, match=r"compute_output_shape says \(None, 2, 4\), "
                                             r"forward gives \[\(None, 2, 3\)\]"):
        check_output_shape(entry)
    with pytest.raises(AssertionError, match="the symbolic tensor promises"):
        check_symbolic_matches_eager(entry)


def test_an_input_gradient_nobody_needs_is_caught(register_temporarily):
    entry = register_temporarily("layer", EagerGradient)
    with pytest.raises(AssertionError, match="need_dx=False still returned"):
        check_need_dx(entry)


def test_a_layer_without_a_keras_twin_must_be_listed(register_temporarily, monkeypatch):
    entry = register_temporarily("layer", Doubler)
    with pytest.raises(AssertionError, match="list it in NO_KERAS_TWIN"):
        check_keras_weights(entry)
    monkeypatch.setitem(NO_KERAS_TWIN, "Doubler", "an example layer of this test")
    check_keras_weights(entry)
    # The rest of the contract holds for it, warning about the mask it loses included.
    for check in (check_output_shape, check_symbolic_matches_eager, check_masks,
                  check_need_dx, check_config_round_trip, check_dtypes):
        check(entry)

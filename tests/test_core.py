"""The core protocol, second edition: layers with several outputs and tensors by
keyword, state updates and added losses carried out of a pure forward pass,
weights as a tree, the visible training loop, and an acyclic import graph."""
import ast
import pathlib

import numpy as np
import pytest

import nnlib
from nnlib.backend import floatx_scope
from nnlib.layers import LSTM, Bidirectional, Dense, Effects, Embedding, Input, Layer
from nnlib.layers.base import deferred_initialization
from nnlib.losses import MeanSquaredError
from nnlib.models import Model, Sequential
from nnlib.optimizers import SGD
from nnlib.regularizers import L1L2
from nnlib.saving import weight_keys
from nnlib.testing import check_gradients
from nnlib.utils import set_random_seed


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- small layers that use each part of the protocol ----------------------------------

class TwoHeads(Layer):
    """Two outputs from one input, :math:`a = xW` and :math:`b = \\tanh(xV)`;
    a mask on the input passes to ``a`` only."""

    supports_masking = True

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], self.units), name="w")
        self.v = self.add_weight((input_shape[-1], self.units), name="v")

    def compute_output_shape(self, input_shape):
        return [tuple(input_shape[:-1]) + (self.units,)] * 2

    def compute_mask(self, inputs, mask):
        return [mask, None]

    def forward(self, x, *, training=False):
        b = np.tanh(x @ self.v.value)
        return (x @ self.w.value, b), (x, b)

    def backward(self, d_outputs, cache, *, need_dx=True):
        (da, db), (x, b) = d_outputs, cache
        dz = db * (1 - b ** 2)
        flat = x.reshape(-1, x.shape[-1])
        grads = {"w": flat.T @ da.reshape(-1, self.units),
                 "v": flat.T @ dz.reshape(-1, self.units)}
        return (da @ self.w.value.T + dz @ self.v.value.T if need_dx else None), grads


class StepCell(Layer):
    """One recurrent step, :math:`h = \\tanh(xW + h_0U)`, the previous state given
    by keyword: ``cell(x, initial_state=[h0])``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "orthogonal",
                                                name="recurrent_kernel")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def forward(self, x, *, training=False, initial_state=None):
        h0 = np.zeros((len(x), self.units), x.dtype) if initial_state is None \
            else initial_state[0]
        h = np.tanh(x @ self.kernel.value + h0 @ self.recurrent_kernel.value)
        return h, (x, h0, h)

    def backward(self, dh, cache, *, need_dx=True):
        x, h0, h = cache
        dz = dh * (1 - h ** 2)
        grads = {"kernel": x.T @ dz, "recurrent_kernel": h0.T @ dz}
        if not need_dx:
            return None, grads
        return {"inputs": dz @ self.kernel.value.T,
                "initial_state": [dz @ self.recurrent_kernel.value.T]}, grads


class RunningMean(Layer):
    """Passes its input through; while training, hands back a new value for its
    non-trainable ``mean``, :math:`0.9\\,m + 0.1\\,\\bar x`."""

    def build(self, input_shape):
        self.mean = self.add_weight((input_shape[-1],), "zeros", name="mean", trainable=False)

    def forward(self, x, *, training=False):
        if not training:
            return x, None
        return x, None, Effects({self.mean: 0.9 * self.mean.value + 0.1 * x.mean(axis=0)}, [])

    def backward(self, dy, cache, *, need_dx=True):
        return dy, {}


class SquarePenalty(Layer):
    """Passes its input through and adds :math:`r \\sum x^2 / n` to the loss; its
    backward pass adds that term's gradient, :math:`2 r x / n`."""

    def __init__(self, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def forward(self, x, *, training=False):
        return x, x, Effects({}, [self.rate * float(np.sum(x ** 2)) / len(x)])

    def backward(self, dy, x, *, need_dx=True):
        return dy + 2 * self.rate * x / len(x), {}


class Scale(Layer):
    """:math:`y = x \\odot s`, with an L2-regularized weight ``s``."""

    def build(self, input_shape):
        self.s = self.add_weight((input_shape[-1],), "ones", name="s", regularizer="l2")

    def forward(self, x, *, training=False):
        return x * self.s.value, x

    def backward(self, dy, x, *, need_dx=True):
        return (dy * self.s.value if need_dx else None), {"s": (dy * x).sum(axis=0)}


class Pair(Layer):
    """A wrapper holding two ``Dense`` layers of the same size (their weights have
    equal names): :math:`y = [f(x), g(x)]`, saved under ``forward_layer`` and
    ``backward_layer`` as Keras's Bidirectional."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.forward_layer = Dense(units, name=f"forward_{self.name}")
        self.backward_layer = Dense(units, name=f"backward_{self.name}")

    def children(self):
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    def build(self, input_shape):
        for layer in (self.forward_layer, self.backward_layer):
            layer.ensure_built(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2 * self.units,)

    def forward(self, x, *, training=False):
        f, f_cache = self.forward_layer.forward(x)
        b, b_cache = self.backward_layer.forward(x)
        return np.concatenate([f, b], axis=-1), (f_cache, b_cache)

    def backward(self, dy, cache, *, need_dx=True):
        df, db = np.split(dy, 2, axis=-1)
        dx_f, grads_f = self.forward_layer.backward(df, cache[0], need_dx=need_dx)
        dx_b, grads_b = self.backward_layer.backward(db, cache[1], need_dx=need_dx)
        grads = {**{f"{self.forward_layer.name}.{k}": g for k, g in grads_f.items()},
                 **{f"{self.backward_layer.name}.{k}": g for k, g in grads_b.items()}}
        return (dx_f + dx_b if need_dx else None), grads


CUSTOM = {cls.__name__: cls for cls in (TwoHeads, StepCell, RunningMean, SquarePenalty,
                                        Scale, Pair)}


def heads_and_step(units=3):
    """``[x, h0] -> [h, b]``: a two-output layer feeding a keyword-state layer."""
    x, h0 = Input((4,), name="x"), Input((units,), name="h0")
    a, b = TwoHeads(units, name="heads")(x)
    h = StepCell(units, name="step")(a, initial_state=[h0])
    return Model([x, h0], [h, b])


# -- several outputs, tensors by keyword --------------------------------------------------

def test_a_two_output_layer_and_a_keyword_state_layer_in_a_graph(rng):
    model = heads_and_step()
    step = model.get_layer("step")
    node = step.inbound_nodes[0]
    assert node.keywords == {"initial_state": [model.inputs[1]]}
    assert node.tensors == [model.get_layer("heads").output[0], model.inputs[1]]
    assert [t.shape for t in model.outputs] == [(None, 3), (None, 3)]
    x, h0 = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    h, b = model.predict([x, h0])
    heads = model.get_layer("heads")
    a, b_eager = heads(x)  # eagerly too: a list of two arrays
    np.testing.assert_allclose(b, b_eager, rtol=1e-6)
    np.testing.assert_allclose(h, step(a, initial_state=[h0]), rtol=1e-5)


def test_gradients_reach_every_input_and_weight_through_both(rng):
    with floatx_scope("float64"):
        model = heads_and_step()
        report = check_gradients(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 3)))
    assert report.passed, report
    assert [row[0] for row in report.rows] == [
        "input_0", "input_1", "heads.w", "heads.v", "step.kernel", "step.recurrent_kernel"]


def test_a_layer_checks_its_keyword_gradients_on_its_own(rng):
    with floatx_scope("float64"):
        cell = StepCell(3)
        report = check_gradients(cell, rng.normal(size=(4, 2)),
                                 initial_state=[rng.normal(size=(4, 3))])
    assert report.passed, report
    assert [row[0] for row in report.rows][:2] == ["input", "initial_state_0"]


def test_an_unused_output_gets_zeros_in_the_backward_pass(rng):
    x = Input((4,))
    _, b = TwoHeads(3, name="only_b")(x)
    with floatx_scope("float64"):
        x64 = Input((4,))
        _, b64 = TwoHeads(3)(x64)
        report = check_gradients(Model(x64, b64), rng.normal(size=(5, 4)))
    assert report.passed, report
    model = Model(x, b)
    y, tape = model.forward(rng.normal(size=(2, 4)))
    d_inputs, grads = model.backward(np.ones_like(y), tape)
    np.testing.assert_array_equal(grads["only_b.w"], 0.0)  # a reached nothing: zeros
    assert d_inputs.shape == (2, 4)


def test_each_output_carries_its_own_mask():
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    tokens = Input((4,), dtype="int32")
    a, b = TwoHeads(2)(Embedding(5, 3, mask_zero=True)(tokens))
    model = Model(tokens, [a, b])
    _, tape = model.forward(ids)
    np.testing.assert_array_equal(tape.output_masks[0], ids != 0)
    assert tape.output_masks[1] is None


def test_tensors_by_keyword_survive_the_config_round_trip(rng):
    model = heads_and_step()
    again = Model.from_config(model.get_config(), custom_objects=CUSTOM)
    again.set_weights(model.get_weights())
    data = [rng.normal(size=(3, 4)), rng.normal(size=(3, 3))]
    for ours, theirs in zip(model.predict(data), again.predict(data)):
        np.testing.assert_array_equal(ours, theirs)
    assert again.get_layer("step").inbound_nodes[0].keywords["initial_state"][0] is \
        again.inputs[1]


def test_an_unknown_keyword_is_refused_by_name():
    with pytest.raises(TypeError, match=r"StepCell 'cell': unexpected argument\(s\) "
                                        r"\['initial_states'\]; its forward takes "
                                        r"\['initial_state'\]"):
        StepCell(3, name="cell")(Input((2,)), initial_states=[Input((3,))])
    with pytest.raises(TypeError, match="Dense 'plain'.*takes no tensors by keyword"):
        Dense(2, name="plain")(np.ones((1, 2)), initial_state=[np.ones((1, 2))])


# -- state updates ----------------------------------------------------------------------

def test_state_updates_apply_only_when_training(rng):
    x, y = rng.normal(loc=5.0, size=(64, 3)), rng.normal(size=(64, 1))
    model = Sequential([Input((3,)), RunningMean(name="running"), Dense(1)])
    model.compile(SGD(0.01), "mse")
    running = model.get_layer("running")
    model.predict(x)
    model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(running.mean.value, 0.0)

    _, tape = model.forward(x, training=True)  # forward only hands the update back
    np.testing.assert_array_equal(running.mean.value, 0.0)
    np.testing.assert_allclose(tape.updates[running.mean], 0.1 * x.mean(axis=0), rtol=1e-5)
    tape.apply_updates()
    np.testing.assert_allclose(running.mean.value, 0.1 * x.mean(axis=0), rtol=1e-5)

    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    np.testing.assert_allclose(running.mean.value, (1 - 0.9 ** 4) * x.mean(axis=0), rtol=1e-5)


def test_an_eager_call_applies_updates_in_training_mode_only(rng):
    layer = RunningMean()
    x = rng.normal(size=(8, 2))
    layer(x)
    np.testing.assert_array_equal(layer.mean.value, 0.0)
    layer(x, training=True)
    np.testing.assert_allclose(layer.mean.value, 0.1 * x.mean(axis=0), rtol=1e-6)
    assert [w.name for w in layer.non_trainable_weights] == ["mean"]
    assert layer.trainable_weights == []


# -- added losses -----------------------------------------------------------------------

def total_loss(model, x, y):
    """The loss a training step minimises: the compiled loss plus the added losses."""
    y_pred, tape = model.execute([x], training=True)
    loss, _ = model.compiled_loss.forward([y], y_pred)
    return float(loss) + sum(tape.losses)


def test_an_added_loss_joins_the_reported_loss_and_its_gradient(rng):
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    with floatx_scope("float64"):
        model = Sequential([Input((3,)), Dense(2, name="d"), SquarePenalty(0.5)])
        model.compile(SGD(0.1), "mse")
    y_pred = model.predict(x)
    expected = float(np.mean((y_pred - y) ** 2)) + 0.5 * float(np.sum(y_pred ** 2)) / 6
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected)
    assert model.train_on_batch(x, y) == pytest.approx(expected)  # the loss before the step

    assert_gradients_of_total_loss(model, x, y, ["d.kernel"])


def assert_gradients_of_total_loss(model, x, y, paths):
    """The training step's gradients of the weights at ``paths`` against central
    differences of ``total_loss``."""
    y_pred, tape = model.execute([x], training=True)
    _, cache = model.compiled_loss.forward([y], y_pred)
    _, grads = model.execute_backward(model.compiled_loss.backward(1.0, cache), tape)
    weights = model.named_weights()
    for path in paths:
        weight, numeric = weights[path], np.zeros(weights[path].shape)
        for index in np.ndindex(weight.shape):
            value = weight.value.copy()
            value[index] += 1e-6
            weight.assign(value)
            plus = total_loss(model, x, y)
            value[index] -= 2e-6
            weight.assign(value)
            minus = total_loss(model, x, y)
            value[index] += 1e-6
            weight.assign(value)
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grads[path], numeric, rtol=1e-5, atol=1e-10, err_msg=path)


def test_an_activity_regularizer_penalises_outputs_per_sample(rng):
    """Keras 3: the penalty of each output, divided by the batch size, joins the
    loss; its gradient joins the output's; a wrapped layer's counts too."""
    x, y = rng.normal(size=(6, 4, 3)), rng.normal(size=(6, 2))
    penalty = L1L2(l1=0.01, l2=0.1)
    with floatx_scope("float64"):
        set_random_seed(0)
        model = Sequential([
            Input((4, 3)),
            Bidirectional(LSTM(2, activity_regularizer=penalty), name="pair"),
            Dense(2, activation="tanh", activity_regularizer=penalty, name="d")])
        model.compile(SGD(0.1), "mse")
    hidden = model.get_layer("pair")(x)
    outputs = model.predict(x, verbose=0)
    per_sample = [(penalty(hidden[:, :2]) + penalty(hidden[:, 2:])) / 6, penalty(outputs) / 6]
    expected = float(np.mean((outputs - y) ** 2)) + sum(per_sample)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected)
    assert model.get_layer("d").losses == []  # no eager call yet
    model.get_layer("d")(hidden)
    assert model.get_layer("d").losses == [pytest.approx(per_sample[1])]
    forward_kernel = next(path for path in model.named_weights()
                          if path.startswith("pair.forward") and path.endswith("cell.kernel"))
    assert_gradients_of_total_loss(model, x, y, ["d.kernel", forward_kernel])


def test_a_model_refuses_an_activity_regularizer():
    x = Input((2,))
    with pytest.raises(ValueError, match="activity_regularizer is for layers"):
        Model(x, Dense(1)(x), activity_regularizer="l2")


def test_a_weight_regularizer_adds_its_penalty_and_its_gradient(rng):
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    with floatx_scope("float64"):
        model = Sequential([Input((2,)), Scale(name="scale")])
        model.compile(SGD(0.1), "mse")
    scale = model.get_layer("scale")
    scale.s.assign([2.0, -1.0])
    assert scale.losses == [pytest.approx(0.01 * 5)]
    mse = float(np.mean((x * [2.0, -1.0] - y) ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + 0.05)
    y_pred, tape = model.forward(x, training=True)
    assert tape.losses == [pytest.approx(0.05)]
    loss_fn = MeanSquaredError(dtype="float64")
    _, cache = loss_fn.forward(y, y_pred)
    _, grads = model.backward(loss_fn.backward(1.0, cache), tape)
    data_gradient = (2 * (x * [2.0, -1.0] - y) / y.size * x).sum(axis=0)
    np.testing.assert_allclose(grads["scale.s"], data_gradient + 2 * 0.01 * np.array([2.0, -1.0]))


# -- weights as a tree -------------------------------------------------------------------

def test_a_wrapper_keeps_both_layers_weights_in_a_tree(rng):
    x = Input((3,))
    model = Model(x, Dense(1, name="head")(Pair(2, name="pair")(x)))
    assert list(model.named_weights()) == [
        "pair.forward_pair.kernel", "pair.forward_pair.bias",
        "pair.backward_pair.kernel", "pair.backward_pair.bias", "head.kernel", "head.bias"]
    assert list(weight_keys(model)) == [
        "layers/pair/forward_layer/kernel", "layers/pair/forward_layer/bias",
        "layers/pair/backward_layer/kernel", "layers/pair/backward_layer/bias",
        "layers/dense/kernel", "layers/dense/bias"]
    with floatx_scope("float64"):
        x64 = Input((3,))
        report = check_gradients(Model(x64, Pair(2, name="pair64")(x64)),
                                 rng.normal(size=(4, 3)))
    assert report.passed, report


def test_a_wrapper_trains_saves_and_loads(rng, tmp_path):
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 4))
    model = Sequential([Input((3,)), Pair(2)])
    model.compile("adam", "mse")
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    after = model.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))
    model.save(tmp_path / "pair.nnlib")
    again = nnlib.load_model(tmp_path / "pair.nnlib", custom_objects={"Pair": Pair})
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_weights_list_trainable_before_non_trainable_as_keras(rng):
    class Mixed(Layer):
        def build(self, input_shape):
            self.add_weight((2,), "zeros", name="counter", trainable=False)
            self.add_weight((2,), "ones", name="scale")

    layer = Mixed()
    layer.ensure_built((None, 2))
    assert list(layer.named_weights()) == ["scale", "counter"]
    assert [w.name for w in layer.weights] == ["scale", "counter"]


def test_add_weight_takes_keras_arguments_and_names_unnamed_weights():
    class Unnamed(Layer):
        def build(self, input_shape):
            self.add_weight((2,), "zeros")
            self.add_weight(shape=(3,), initializer="ones")

    layer = Unnamed(name="unnamed")
    layer.ensure_built((None, 2))
    assert list(layer.named_weights()) == ["variable", "variable_1"]
    with pytest.raises(ValueError, match="Unnamed 'unnamed': it already has a weight named "
                                         "'variable'"):
        layer.add_weight((1,), name="variable")


def test_a_failed_set_weights_changes_nothing(rng):
    model = heads_and_step()
    before = model.get_weights()
    wrong = [np.ones_like(w) for w in before]
    wrong[-1] = np.ones((7, 7))
    with pytest.raises(ValueError, match="weight 'step.recurrent_kernel' expects shape"):
        model.set_weights(wrong)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_declared_weights_are_not_drawn_until_read_or_assigned():
    with deferred_initialization():
        layer = Dense(3)
        layer.ensure_built((None, 4))
    assert layer.kernel.shape == (4, 3) and layer.kernel._value is None
    layer.kernel.assign(np.ones((4, 3)))
    np.testing.assert_array_equal(layer.kernel.value, 1.0)
    assert layer.bias._value is None
    np.testing.assert_array_equal(layer.bias.value, 0.0)  # drawn when first read


def test_loading_a_model_draws_no_initial_values(rng, tmp_path, monkeypatch):
    model = Sequential([Input((3,)), Dense(4), Dense(2)])
    model.save(tmp_path / "m.nnlib")
    drawn = []
    real = nnlib.initializers.GlorotUniform.__call__
    monkeypatch.setattr(nnlib.initializers.GlorotUniform, "__call__",
                        lambda self, shape, dtype=None: drawn.append(shape) or
                        real(self, shape, dtype))
    again = nnlib.load_model(tmp_path / "m.nnlib")
    assert drawn == []
    np.testing.assert_array_equal(again.predict(np.ones((1, 3))), model.predict(np.ones((1, 3))))


# -- the visible loop ----------------------------------------------------------------------

def test_the_visible_loop_runs_on_an_unbuilt_sequential(rng):
    x, y = rng.normal(size=(32, 4)), rng.integers(0, 3, 32)
    model = Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    loss_fn = nnlib.losses.SparseCategoricalCrossentropy()
    optimizer = SGD(0.5)
    losses = []
    for _ in range(20):
        y_pred, tape = model.forward(x, training=True)
        loss, cache = loss_fn.forward(y, y_pred, mask=tape.output_mask)
        losses.append(float(loss + sum(tape.losses)))
        _, grads = model.backward(loss_fn.backward(1.0, cache), tape, need_dx=False)
        optimizer.apply(grads, model.named_weights(trainable_only=True))
        tape.apply_updates()
    assert model.built and losses[-1] < losses[0]


# -- modules -----------------------------------------------------------------------------

def import_graph():
    """``{module: modules it imports}`` within nnlib, at any depth of the code."""
    root = pathlib.Path(nnlib.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        package = path.name == "__init__.py"
        modules[".".join(parts[:-1] if package else parts)] = (path, package)
    graph = {}
    for name, (path, package) in modules.items():
        here = name.split(".") if package else name.split(".")[:-1]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""]) \
                    if node.level else node.module
                base = base.rstrip(".")
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    edges.add(target if target in modules else base)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def import_circle(graph):
    """A list of modules that import one another in a circle, or ``None``."""
    done, path = set(), []

    def visit(module):
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            circle = visit(target)
            if circle:
                return circle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        circle = visit(module)
        if circle:
            return circle
    return None


def test_no_module_of_nnlib_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "nnlib.layers.input_layer" in graph["nnlib.models.functional"]
    assert import_circle(graph) is None, " -> ".join(import_circle(graph))
    assert import_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_a_mask_given_by_keyword_has_no_gradient(rng):
    from nnlib.layers import GlobalAveragePooling1D
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    with floatx_scope("float64"):
        report = check_gradients(GlobalAveragePooling1D(), x, mask=mask)
        assert report.passed and [row[0] for row in report.rows] == ["input"]
        steps, keep = Input((4, 3)), Input((4,), dtype="bool")
        model = Model([steps, keep], GlobalAveragePooling1D()(steps, mask=keep))
        report = check_gradients(model, x, mask)
    assert report.passed and [row[0] for row in report.rows][:1] == ["input_0"]


def test_compare_arrays_names_what_is_missing_misshapen_or_off():
    from nnlib.testing import compare_arrays
    expected = {"a": np.ones(3), "b": np.zeros((2, 2)), "c": np.arange(4.0), "d": np.ones(1)}
    got = {"a": np.ones(3), "b": np.zeros(4), "c": np.arange(4.0) + [0, 0, 1, 0]}
    report = compare_arrays("mine", got, expected)
    assert not report.passed
    verdicts = dict(report.rows)
    assert verdicts["a"] is None
    assert verdicts["b"] == "shape (4,), expected (2, 2)"
    assert verdicts["c"].startswith("off: max relative error 0.3333 (at index (2,))")
    assert verdicts["d"] == "missing: not computed yet"
    assert compare_arrays("mine", None, expected).rows[0] == ("a", "missing: not computed yet")
    assert compare_arrays("mine", {"a": np.ones(3) + 1e-9}, {"a": np.ones(3)}).passed

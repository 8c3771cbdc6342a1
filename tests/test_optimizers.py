"""Optimizers: hand-computed update rules, the order of a step, state, saving, defaults.

Agreement with Keras 3 and PyTorch over many steps is in test_parity_optimizers.py;
schedules and clipping in test_optimizers_schedules.py.
"""
import json
import warnings

import numpy as np
import pytest

import nnlib
from nnlib import Input, Sequential, registry
from nnlib.layers import Dense
from nnlib.layers.base import Weight
from nnlib.optimizers import (SGD, Adadelta, Adagrad, Adam, AdamW, Nadam, Optimizer, RMSprop,
                              schedules)
from nnlib.utils import set_random_seed

GRADS = [1.0, 2.0, -1.0]  # the gradient at steps 1, 2, 3; the weight starts at 1.0
OPTIMIZER_NAMES = [entry.name for entry in registry.entries("optimizer")]


def run(optimizer, grads=GRADS, start=1.0):
    """Apply one step per gradient to a one-element weight; returns its values."""
    weight = Weight("w", np.array([start]), layer=None)
    values = []
    for g in grads:
        optimizer.apply({"w": np.array([g])}, {"w": weight})
        values.append(float(weight.value[0]))
    return values


# -- SGD ------------------------------------------------------------------------------

def test_plain_sgd():
    # w -= lr * g: 1 - 0.1, 0.9 - 0.2, 0.7 + 0.1.
    assert run(SGD(learning_rate=0.1)) == pytest.approx([0.9, 0.7, 0.8])


def test_momentum():
    # v = 0.9 v - 0.1 g; w += v.
    # v1 = -0.1            w1 = 0.9
    # v2 = -0.09 - 0.2     w2 = 0.9 - 0.29 = 0.61
    # v3 = -0.261 + 0.1    w3 = 0.61 - 0.161 = 0.449
    optimizer = SGD(learning_rate=0.1, momentum=0.9)
    assert run(optimizer) == pytest.approx([0.9, 0.61, 0.449])
    assert optimizer.state["w"]["velocity"] == pytest.approx([-0.161])


def test_nesterov():
    # v as with momentum; w += 0.9 v - 0.1 g.
    # w1 = 1 + 0.9(-0.1) - 0.1           = 0.81
    # w2 = 0.81 + 0.9(-0.29) - 0.2       = 0.349
    # w3 = 0.349 + 0.9(-0.161) + 0.1     = 0.3041
    optimizer = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    assert run(optimizer) == pytest.approx([0.81, 0.349, 0.3041])
    assert optimizer.state["w"]["velocity"] == pytest.approx([-0.161])


def test_plain_sgd_keeps_no_state():
    optimizer = SGD()
    run(optimizer, [1.0])
    assert optimizer.state["w"] == {}


# -- the adaptive rules, one or two steps by hand ------------------------------------------

def test_adam_first_steps():
    # Step 1: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001) / 0.1,
    # so the step is lr * g / (|g| + eps / sqrt(0.001)): about lr whatever g is.
    optimizer = Adam(learning_rate=0.1)
    values = run(optimizer, [4.0, 4.0])
    assert values[0] == pytest.approx(1 - 0.1 * 4 / (4 + 1e-7 / np.sqrt(0.001)), rel=1e-12)
    # Step 2 with the same gradient: the bias-corrected m and v are still g and g^2.
    m, v = 0.19 * 4, (0.999 * 0.001 + 0.001) * 16
    alpha = 0.1 * np.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2)
    assert values[1] == pytest.approx(values[0] - alpha * m / (np.sqrt(v) + 1e-7), rel=1e-12)
    assert optimizer.state["w"]["m"] == pytest.approx([m])
    assert optimizer.state["w"]["v"] == pytest.approx([v])


def test_amsgrad_keeps_the_largest_second_moment():
    optimizer = Adam(learning_rate=0.1, amsgrad=True)
    run(optimizer, [10.0, 0.0, 0.0])
    state = optimizer.state["w"]
    assert state["v_hat"] == pytest.approx([0.1])  # v after step 1: 0.001 * 100
    assert state["v"][0] < state["v_hat"][0]  # v has decayed since; v_hat has not


def test_adamw_decays_before_adams_step():
    # With a zero gradient Adam does not move (m = 0): only w -= lr * wd * w acts.
    assert run(AdamW(learning_rate=0.1, weight_decay=0.5), [0.0, 0.0], start=2.0) == \
        pytest.approx([1.9, 1.805])


def test_nadam_momentum_schedule():
    optimizer = Nadam()
    # u_t = 0.9 (1 - 0.5 * 0.96^t), Keras 3's schedule.
    assert optimizer.momentum_schedule(1) == pytest.approx(0.9 * (1 - 0.48))
    run(optimizer, [1.0, 1.0])
    u1, u2 = optimizer.momentum_schedule(1), optimizer.momentum_schedule(2)
    assert optimizer.state["w"]["u_product"] == pytest.approx(u1 * u2)


def test_nadam_first_step():
    # Step 1 from zero state: m = 0.1 g, v_hat = g^2, and
    # m_hat = u2 * m / (1 - u1 u2) + (1 - u1) g / (1 - u1).
    optimizer = Nadam(learning_rate=0.1)
    (value,) = run(optimizer, [2.0])
    u1, u2 = optimizer.momentum_schedule(1), optimizer.momentum_schedule(2)
    m_hat = u2 * 0.2 / (1 - u1 * u2) + 2.0
    assert value == pytest.approx(1 - 0.1 * m_hat / (2.0 + 1e-7), rel=1e-12)


def test_rmsprop_epsilon_inside_the_root():
    # v = 0.1 g^2 after one step; w -= lr g / sqrt(v + eps).
    (value,) = run(RMSprop(learning_rate=0.1), [1e-3])
    assert value == pytest.approx(1 - 0.1 * 1e-3 / np.sqrt(0.1 * 1e-6 + 1e-7), rel=1e-12)


def test_centered_rmsprop_divides_by_the_standard_deviation():
    # A constant gradient has zero variance: after two steps v - m^2 is
    # 0.19 - 0.19^2 for g = 1, and the step is g / sqrt(that + eps).
    optimizer = RMSprop(learning_rate=0.01, centered=True)
    values = run(optimizer, [1.0, 1.0])
    variance = 0.19 - 0.19 ** 2
    assert values[1] - values[0] == pytest.approx(-0.01 / np.sqrt(variance + 1e-7), rel=1e-9)
    assert set(optimizer.state["w"]) == {"v", "m"}


def test_rmsprop_momentum_accumulates_the_steps():
    optimizer = RMSprop(learning_rate=0.01, momentum=0.5)
    values = run(optimizer, [1.0, 1.0])
    first = 0.01 / np.sqrt(0.1 + 1e-7)
    second = 0.01 / np.sqrt(0.19 + 1e-7)
    assert values == pytest.approx([1 - first, 1 - first - (0.5 * first + second)])
    assert optimizer.state["w"]["velocity"] == pytest.approx([0.5 * first + second])


def test_adagrad_accumulates_from_its_initial_value():
    optimizer = Adagrad(learning_rate=0.1, initial_accumulator_value=0.1)
    values = run(optimizer, [1.0, 2.0])
    assert optimizer.state["w"]["accumulator"] == pytest.approx([5.1])
    assert values[1] == pytest.approx(1 - 0.1 / np.sqrt(1.1 + 1e-7) - 0.2 / np.sqrt(5.1 + 1e-7))


def test_adadelta_first_step():
    # E_g = 0.05 g^2; delta = -sqrt(eps) / sqrt(E_g + eps) g; w += lr delta.
    optimizer = Adadelta(learning_rate=1.0)
    (value,) = run(optimizer, [1.0])
    delta = -np.sqrt(1e-7) / np.sqrt(0.05 + 1e-7)
    assert value == pytest.approx(1 + delta, rel=1e-12)
    assert optimizer.state["w"]["accumulated_delta_var"] == pytest.approx([0.05 * delta ** 2])


# -- the order of a step, shared by every optimizer --------------------------------------

@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_weight_decay_is_decoupled_and_comes_first(name):
    # The same optimizer with and without weight_decay, from the same weight and gradients:
    # the first step differs by exactly lr * wd * w0 (decay before the rule; Adagrad's
    # and the others' rules do not read w).
    plain = nnlib.optimizers.get(name, learning_rate=0.1, weight_decay=0.0)
    decayed = nnlib.optimizers.get(name, learning_rate=0.1, weight_decay=0.2)
    (w_plain,), (w_decayed,) = run(plain, [0.5], start=3.0), run(decayed, [0.5], start=3.0)
    assert w_plain - w_decayed == pytest.approx(0.1 * 0.2 * 3.0)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_every_optimizer_moves_downhill_on_a_quadratic(name):
    optimizer = nnlib.optimizers.get(name, learning_rate=0.5 if name == "Adadelta" else 0.05)
    weight = Weight("w", np.array([2.0, -3.0]), layer=None)
    for _ in range(30):
        optimizer.apply({"w": weight.value.copy()}, {"w": weight})  # loss |w|^2 / 2
    assert np.linalg.norm(weight.value) < np.linalg.norm([2.0, -3.0])
    assert optimizer.iterations == 30


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
@pytest.mark.parametrize("options", [{}, {"clipnorm": 1.0}, {"weight_decay": 0.01}])
def test_float32_weights_and_state_stay_float32(name, options):
    layer = Dense(2)
    layer(np.ones((1, 3), dtype="float32"))
    optimizer = nnlib.optimizers.get(name, **options)
    grads = {"kernel": np.ones((3, 2)), "bias": np.ones(2)}  # float64 gradients are cast
    for _ in range(2):
        optimizer.apply(grads, layer.named_weights())
    assert layer.kernel.value.dtype == np.float32
    for slots in optimizer.state.values():
        assert all(np.asarray(a).dtype == np.float32 for a in slots.values()), slots


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
@pytest.mark.parametrize("scale", [0.0, 1e-30, 1e15])
def test_extreme_gradients_give_finite_steps_without_warnings(name, scale):
    options = {"centered": True, "momentum": 0.9} if name == "RMSprop" else {}
    optimizer = nnlib.optimizers.get(name, **options)
    weight = Weight("w", np.ones(4, dtype="float32"), layer=None)
    gradient = scale * np.array([1.0, -1.0, 0.5, 1.0], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            optimizer.apply({"w": gradient}, {"w": weight})
    assert np.all(np.isfinite(weight.value))


# -- steps whose gradients or results are not finite -------------------------------------

def snapshot(optimizer, weights):
    """Copies of the weights, the state and the step count, to compare after a step."""
    return ({k: w.value.copy() for k, w in weights.items()},
            {k: {s: np.array(a) for s, a in slots.items()} for k, slots in optimizer.state.items()},
            optimizer.iterations)


def assert_same(before, after):
    (w0, s0, i0), (w1, s1, i1) = before, after
    assert i0 == i1 and w0.keys() == w1.keys() and s0.keys() == s1.keys()
    for key in w0:
        np.testing.assert_array_equal(w0[key], w1[key])
    for key in s0:
        assert s0[key].keys() == s1[key].keys()
        for slot in s0[key]:
            np.testing.assert_array_equal(s0[key][slot], s1[key][slot])


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_step_with_a_gradient_that_is_not_finite_changes_nothing_and_warns(name, bad):
    # A NaN or infinite gradient used to freeze Adam's, RMSprop's, Adagrad's and
    # Adadelta's slots at inf (or NaN) for good.
    options = {"centered": True, "momentum": 0.9} if name == "RMSprop" else \
        {"momentum": 0.9} if name == "SGD" else {}
    optimizer, twin = (nnlib.optimizers.get(name, learning_rate=0.1, **options)
                       for _ in range(2))
    weights, twin_weights = fresh_weights(), fresh_weights()
    train(optimizer, weights, 2, seed=0)
    train(twin, twin_weights, 2, seed=0)
    before = snapshot(optimizer, weights)
    gradients = {"dense.kernel": np.ones((3, 2)), "dense.bias": np.array([0.5, bad])}
    with pytest.warns(RuntimeWarning, match=rf"{name}: skipped a step \(no weight, state or "
                                            r"iteration changed\): the gradient of "
                                            r"'dense.bias' holds NaN or infinity"):
        optimizer.apply(gradients, weights)
    assert_same(before, snapshot(optimizer, weights))  # the finite kernel did not move either
    # The next finite steps go on exactly as if the bad one had never come.
    train(optimizer, weights, 2, seed=1)
    train(twin, twin_weights, 2, seed=1)
    assert_same(snapshot(twin, twin_weights), snapshot(optimizer, weights))
    assert all(np.isfinite(a).all() for slots in optimizer.state.values()
               for a in slots.values())


@pytest.mark.parametrize("options", [{"clipvalue": 1.0}, {"clipnorm": 1.0},
                                     {"global_clipnorm": 1.0}, {"weight_decay": 0.1}])
def test_clipping_does_not_hide_a_gradient_that_is_not_finite(options):
    # clipvalue would turn inf into 1.0, a norm clip turns it into NaN: both are refused.
    optimizer = Adam(**options)
    weight = Weight("w", np.ones(2), layer=None)
    with pytest.warns(RuntimeWarning, match="the gradient of 'w' holds NaN or infinity"):
        optimizer.apply({"w": np.array([np.inf, 1.0])}, {"w": weight})
    np.testing.assert_array_equal(weight.value, [1.0, 1.0])
    assert optimizer.iterations == 0
    assert not any(a.any() for a in optimizer.state.get("w", {}).values())  # initial zeros


@pytest.mark.parametrize("make", [lambda: SGD(learning_rate=1e30, momentum=0.5),
                                  lambda: Adam(learning_rate=1e39)])
@pytest.mark.filterwarnings("ignore:overflow encountered",  # diverges on purpose
                            "ignore:invalid value encountered")
def test_a_step_that_would_overflow_a_weight_is_skipped(make):
    # Finite gradients, a finite rate, but lr * g (1e30 * 1e10; Adam: about lr) is no float32.
    optimizer = make()
    weights = {"a": Weight("a", np.ones(2, dtype="float32"), layer=None),
               "b": Weight("b", np.ones(2, dtype="float32"), layer=None)}
    gradients = {"a": np.array([1e10, 1.0], dtype="float32"), "b": np.ones(2, dtype="float32")}
    with pytest.warns(RuntimeWarning, match=rf"{type(optimizer).__name__}: skipped a step .*: "
                                            r"the step would make 'a'(, 'b')? NaN or "
                                            r"infinite \(an overflow\)"):
        optimizer.apply(gradients, weights)
    assert [w.value.tolist() for w in weights.values()] == [[1.0, 1.0], [1.0, 1.0]]
    assert optimizer.iterations == 0
    assert all((a == 0).all() for slots in optimizer.state.values() for a in slots.values())


def test_state_is_kept_per_weight_and_iterations_count_steps():
    optimizer = SGD(learning_rate=0.5, momentum=0.5)
    a = Weight("a", np.zeros(2), layer=None)
    b = Weight("b", np.zeros((2, 2)), layer=None)
    optimizer.apply({"a": np.ones(2), "b": np.full((2, 2), 2.0)}, {"a": a, "b": b})
    optimizer.apply({"a": np.ones(2)}, {"a": a, "b": b})
    assert set(optimizer.state) == {"a", "b"}
    np.testing.assert_allclose(optimizer.state["a"]["velocity"], [-0.75, -0.75])
    np.testing.assert_allclose(optimizer.state["b"]["velocity"], np.full((2, 2), -1.0))
    np.testing.assert_allclose(a.value, [-1.25, -1.25])
    np.testing.assert_allclose(b.value, np.full((2, 2), -1.0))
    assert optimizer.iterations == 2
    optimizer.apply({}, {"a": a})  # no gradient, no step (as in Keras)
    assert optimizer.iterations == 2


def test_a_model_keys_its_state_by_weight_path():
    set_random_seed(0)
    model = Sequential([Input((3,)), Dense(4, name="hidden"), Dense(1, name="out")])
    model.compile(optimizer=Adam(0.01), loss="mse")
    model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=1, batch_size=8, verbose=0)
    state = model.optimizer.state
    assert set(state) == {"hidden.kernel", "hidden.bias", "out.kernel", "out.bias"}
    assert state["hidden.kernel"]["m"].shape == (3, 4)
    assert model.optimizer.iterations == 1


# -- saving the state --------------------------------------------------------------------

def train(optimizer, weights, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        optimizer.apply({k: rng.normal(size=w.shape) for k, w in weights.items()}, weights)


def fresh_weights():
    return {"dense.kernel": Weight("kernel", np.ones((3, 2)), layer=None),
            "dense.bias": Weight("bias", np.zeros(2), layer=None)}


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_state_round_trip_continues_exactly(name):
    schedule = schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.9)
    original = nnlib.optimizers.get(name, learning_rate=schedule, clipnorm=2.0)
    weights = fresh_weights()
    train(original, weights, 5, seed=0)
    saved = original.get_state()
    assert saved["iterations"] == 5
    assert set(saved["weights"]) == {"dense.kernel", "dense.bias"}
    assert all(isinstance(a, np.ndarray) for slots in saved["weights"].values()
               for a in slots.values())

    # A new optimizer from the config, and new weight objects with the same values:
    # what loading a saved model gives.
    restored = type(original).from_config(original.get_config())
    restored.set_state(saved)
    copies = fresh_weights()
    for key, weight in copies.items():
        weight.assign(weights[key].value)
    assert restored.learning_rate == original.learning_rate
    train(original, weights, 5, seed=1)
    train(restored, copies, 5, seed=1)
    for key in weights:
        np.testing.assert_array_equal(weights[key].value, copies[key].value)
    assert restored.iterations == original.iterations == 10


def test_get_state_returns_copies():
    optimizer = Adam()
    weights = fresh_weights()
    train(optimizer, weights, 1, seed=0)
    saved = optimizer.get_state()
    saved["weights"]["dense.bias"]["m"][:] = 99.0
    assert not np.any(optimizer.state["dense.bias"]["m"] == 99.0)


def test_set_state_checks_shapes_at_the_next_step():
    optimizer = Adam()
    optimizer.set_state({"iterations": 3,
                         "weights": {"dense.bias": {"m": np.zeros(5), "v": np.zeros(5)}}})
    with pytest.raises(ValueError, match=r"Adam: state of 'dense.bias' has slots .*\(5,\).*"
                                         r"expected .*\(2,\).* for weight shape \(2,\)"):
        train(optimizer, fresh_weights(), 1, seed=0)


def test_an_optimizer_refuses_another_weight_under_a_known_key():
    optimizer = SGD(momentum=0.9)
    train(optimizer, fresh_weights(), 1, seed=0)
    with pytest.raises(ValueError, match="'dense.kernel' is not the weight this optimizer"):
        train(optimizer, fresh_weights(), 1, seed=0)


# -- configuration -----------------------------------------------------------------------

BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                 "clipvalue": None}
KERAS_DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
             "amsgrad": False},
    "AdamW": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
              "amsgrad": False, "weight_decay": 0.004},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
}
KERAS_NAMES = {"SGD": "sgd", "Adam": "adam", "AdamW": "adam_w", "Nadam": "nadam",
               "RMSprop": "rm_sprop", "Adagrad": "adagrad", "Adadelta": "adadelta"}


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_keras_defaults_and_lookup(name):
    optimizer = nnlib.get("optimizer", name.lower())
    assert type(optimizer).__name__ == name
    assert optimizer.get_config() == {"name": KERAS_NAMES[name], **BASE_DEFAULTS,
                                      **KERAS_DEFAULTS[name]}


def test_config_round_trip_with_a_schedule():
    schedule = schedules.CosineDecay(0.1, decay_steps=100, warmup_target=0.5, warmup_steps=10)
    optimizer = SGD(schedule, momentum=0.9, global_clipnorm=1.0, name="mine")
    optimizer.apply({"w": np.ones(1)}, {"w": Weight("w", np.zeros(1), layer=None)})
    config = optimizer.get_config()
    # The schedule itself, as a registered component, not the rate of the next step.
    assert config["learning_rate"] == {"kind": "schedule", "class_name": "CosineDecay",
                                       "config": schedule.get_config()}
    copy = SGD.from_config(json.loads(json.dumps(config)))
    assert copy.get_config() == config
    assert repr(copy) == ("SGD(learning_rate=CosineDecay(initial_learning_rate=0.1, "
                          "decay_steps=100, alpha=0.0, warmup_target=0.5, warmup_steps=10), "
                          "momentum=0.9, nesterov=False, global_clipnorm=1.0)")


def test_learning_rate_property_follows_the_schedule():
    # The schedule is read at `iterations` before each update: steps 0, 1, 2.
    optimizer = SGD(schedules.PiecewiseConstantDecay([1], [0.1, 0.01]))
    assert optimizer.learning_rate == 0.1
    values = run(optimizer, [1.0, 1.0, 1.0])
    assert np.diff([1.0, *values]) == pytest.approx([-0.1, -0.1, -0.01])
    assert optimizer.learning_rate == 0.01
    optimizer.learning_rate = 0.5
    assert optimizer.learning_rate == 0.5


def test_errors():
    with pytest.raises(ValueError, match=r"SGD: momentum must be a finite number in \[0, 1\], "
                                         r"got 1.5"):
        SGD(momentum=1.5)
    with pytest.raises(KeyError, match=r"no weight named \['missing'\]"):
        SGD().apply({"missing": np.ones(1)}, {})
    with pytest.raises(ValueError, match="AdamW: weight_decay must be a number"):
        AdamW(weight_decay=None)
    with pytest.raises(TypeError, match="Adam: learning_rate must be a number or a "
                                        "LearningRateSchedule, got 'fast'"):
        Adam(learning_rate="fast")
    weight = Weight("w", np.zeros((3, 2)), layer=None)
    with pytest.raises(ValueError, match=r"SGD: gradient of 'w' has shape \(2, 3\), "
                                         r"expected the weight's shape \(3, 2\)"):
        SGD().apply({"w": np.zeros((2, 3))}, {"w": weight})


def test_the_base_class_needs_an_update_rule():
    class Incomplete(Optimizer):
        pass

    with pytest.raises(NotImplementedError):
        Incomplete(0.1).apply({"w": np.ones(1)}, {"w": Weight("w", np.ones(1), layer=None)})


def test_an_optimizer_of_ones_own_works_without_registering():
    class SignDescent(Optimizer):
        """:math:`w \\leftarrow w - \\eta\\,\\operatorname{sign}(g)`."""

        def __init__(self, learning_rate=0.1, name=None):
            super().__init__(learning_rate, name=name)

        def update(self, w, g, state, lr):
            return w - lr * np.sign(g), state

    optimizer = SignDescent()
    assert nnlib.optimizers.get(optimizer) is optimizer
    assert optimizer.get_config() == {"learning_rate": 0.1, "name": "sign_descent"}
    assert run(SignDescent(), [3.0, -0.5]) == pytest.approx([0.9, 1.0])
    set_random_seed(0)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=2, batch_size=8, verbose=0)
    assert model.optimizer is optimizer and optimizer.iterations == 2


def test_table_lists_the_seed_rows_first_with_their_wording():
    rows = nnlib.table("optimizer").rows
    families = [row[0] for row in rows]
    assert families == ["SGD", "Adam", "Adam", "Adam", "RMSprop", "AdaGrad", "AdaGrad"]
    seed = {"SGD": "Simple, good for large datasets, needs learning rate tuning",
            "Adam": "Adapts learning rate per parameter, fast convergence, less tuning",
            "RMSprop": "Adjusts learning rate based on recent gradients, good for RNNs",
            "Adagrad": "Adapts learning rate to parameters, good for sparse data"}
    for family, name, _, use_case in rows:
        if name in seed:
            assert use_case == seed[name]

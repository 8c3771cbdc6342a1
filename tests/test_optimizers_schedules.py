"""Learning-rate schedules and gradient clipping, by hand."""
import json

import numpy as np
import pytest

import nnlib
from nnlib.layers.base import Weight
from nnlib.optimizers import SGD, Adam, clipping
from nnlib.optimizers.schedules import CosineDecay, ExponentialDecay, PiecewiseConstantDecay
from nnlib.serialization import deserialize, serialize


# -- schedules --------------------------------------------------------------------------

def test_exponential_decay_smooth_and_staircase():
    smooth = ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    stairs = ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert smooth(2) == pytest.approx(0.1 * 0.5 ** 0.5)
    assert stairs(2) == 0.1
    assert stairs(np.arange(9)).tolist() == [0.1] * 4 + [0.05] * 4 + [0.025]
    assert ExponentialDecay(1e-3, 1, 10.0)(3) == pytest.approx(1.0)  # a growing rate


def test_cosine_decay_reaches_alpha_and_stays():
    schedule = CosineDecay(0.2, decay_steps=10, alpha=0.1)
    assert schedule(0) == pytest.approx(0.2)
    assert schedule(5) == pytest.approx(0.2 * (0.9 * 0.5 + 0.1))
    assert schedule(10) == pytest.approx(0.02)
    assert schedule(50) == pytest.approx(0.02)


def test_cosine_decay_with_warmup():
    schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4, alpha=0.5)
    rates = schedule(np.arange(20))
    np.testing.assert_allclose(rates[:5], [0.0, 0.25, 0.5, 0.75, 1.0])
    assert rates[9] == pytest.approx(0.5 * 0.5 + 0.5)  # half-way through the decay
    np.testing.assert_allclose(rates[14:], 0.5)
    assert np.all(np.diff(rates[4:]) <= 1e-12)  # decays after the warm-up


def test_warmup_target_without_warmup_steps_decays_from_the_target():
    schedule = CosineDecay(0.1, decay_steps=10, warmup_target=1.0)
    assert schedule(0) == 1.0


def test_piecewise_constant_uses_the_earlier_value_on_a_boundary():
    schedule = PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    assert [schedule(t) for t in (0, 3, 4, 6, 7, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_schedules_round_trip_through_their_config():
    for schedule in (ExponentialDecay(0.1, 3, 0.9, staircase=True),
                     CosineDecay(0.0, 10, alpha=0.2, warmup_target=0.1, warmup_steps=3),
                     PiecewiseConstantDecay([2], [0.1, 0.01])):
        record = json.loads(json.dumps(serialize(schedule)))
        assert record["kind"] == "schedule"
        copy = deserialize(record)
        assert type(copy) is type(schedule)
        assert copy.get_config() == schedule.get_config()
        np.testing.assert_array_equal(copy(np.arange(15)), schedule(np.arange(15)))


def test_schedule_errors():
    with pytest.raises(ValueError, match="ExponentialDecay: decay_steps must be a whole "
                                         "number >= 1, got 0"):
        ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="CosineDecay: decay_steps must be a whole number"):
        CosineDecay(0.1, -1)
    with pytest.raises(ValueError, match="expected one more value than boundaries, got 2 "
                                         "boundaries and 2 values"):
        PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"strictly increasing, got \[5, 2\]"):
        PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="unknown schedule 'Cyclic'; expected one of "
                                         "'CosineDecay', 'ExponentialDecay', "
                                         "'PiecewiseConstantDecay'$"):
        deserialize({"kind": "schedule", "class_name": "Cyclic", "config": {}})


def test_schedules_have_their_reference_table():
    table = nnlib.table("schedule")
    assert table.columns == ("Schedule", "nnlib", "How the rate changes", "Use")
    assert [row[1] for row in table.rows] == ["ExponentialDecay", "PiecewiseConstantDecay",
                                              "CosineDecay"]


def test_optimizer_reads_the_schedule_before_each_update():
    # Step k (k = 0, 1, ...) uses schedule(k): the rates 1, 0.5, 0.25 move w by exactly those.
    optimizer = SGD(ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5))
    weight = Weight("w", np.zeros(1), layer=None)
    moves = []
    for _ in range(3):
        before = weight.value.copy()
        optimizer.apply({"w": np.ones(1)}, {"w": weight})
        moves.append(float(before[0] - weight.value[0]))
    assert moves == [1.0, 0.5, 0.25]


# -- clipping ---------------------------------------------------------------------------

def test_global_norm_is_the_norm_of_the_concatenation_and_does_not_overflow():
    assert clipping.global_norm([np.array([3.0]), np.array([[4.0]])]) == 5.0
    assert clipping.global_norm([np.zeros(3)]) == 0.0
    big = [np.array([3e30, 4e30], dtype="float32")]
    with np.errstate(over="raise"):
        assert clipping.global_norm(big) == pytest.approx(5e30, rel=1e-6)


def test_clip_by_norm_leaves_short_gradients_alone():
    g = np.array([0.3, 0.4])
    np.testing.assert_array_equal(clipping.clip_by_norm([g], 1.0)[0], g)


def apply_once(optimizer, grads):
    weights = {k: Weight(k, np.zeros_like(g), layer=None) for k, g in grads.items()}
    optimizer.apply(grads, weights)
    return {k: -w.value for k, w in weights.items()}  # plain SGD, lr 1: the clipped gradient


GRADS = {"a": np.array([3.0, 4.0]), "b": np.array([0.0, 0.5])}


def test_clipnorm_clips_each_gradient_on_its_own():
    clipped = apply_once(SGD(1.0, clipnorm=1.0), GRADS)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.8])
    np.testing.assert_allclose(clipped["b"], [0.0, 0.5])  # already shorter than 1


def test_global_clipnorm_scales_all_gradients_together():
    clipped = apply_once(SGD(1.0, global_clipnorm=1.0), GRADS)
    scale = 1.0 / np.sqrt(25.25)
    np.testing.assert_allclose(clipped["a"], GRADS["a"] * scale)
    np.testing.assert_allclose(clipped["b"], GRADS["b"] * scale)


def test_clipvalue_clips_elements():
    clipped = apply_once(SGD(1.0, clipvalue=0.5), GRADS)
    np.testing.assert_allclose(clipped["a"], [0.5, 0.5])
    np.testing.assert_allclose(clipped["b"], [0.0, 0.5])


def test_momentum_remembers_the_clipped_gradient():
    optimizer = SGD(1.0, momentum=0.9, clipnorm=1.0)
    apply_once(optimizer, {"a": GRADS["a"]})
    np.testing.assert_allclose(optimizer.state["a"]["velocity"], [-0.6, -0.8])


def test_clipping_options_are_exclusive_and_positive():
    with pytest.raises(ValueError, match="Adam: only one of clipnorm, clipvalue and "
                                         "global_clipnorm can be set"):
        Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="SGD: global_clipnorm must be a finite number > 0, "
                                         "got 0.0"):
        SGD(global_clipnorm=0)

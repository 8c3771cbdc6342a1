"""The optimizers chapter's explorers and experiments, driven from Python."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import nnlib
from nnlib.layers import Dense
from nnlib.optimizers import SGD, Adam
from nnlib.widgets.optimizers import (SURFACES, Quadratic, Rosenbrock,
                                      convergence_rate, lr_range_test, optimizer_race_explorer,
                                      race, schedule_explorer, train_curves)
from widget_testing import control


# -- surfaces -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", SURFACES)
def test_surface_gradients_match_central_differences(key):
    surface = SURFACES[key]()
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = surface.extent
    x, y = rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)
    h = 1e-6
    numeric_x = (surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h)
    numeric_y = (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)
    gx, gy = surface.gradient(x, y)
    np.testing.assert_allclose(gx, numeric_x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gy, numeric_y, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("key", SURFACES)
def test_surface_minimum_is_stationary(key):
    surface = SURFACES[key]()
    np.testing.assert_allclose(surface.gradient(*surface.minimum), 0.0, atol=1e-12)
    assert surface.value(*surface.minimum) == pytest.approx(surface.minimum_value)


def test_quadratic_has_the_condition_number_it_is_given():
    surface = Quadratic(condition_number=50)
    eigenvalues = np.linalg.eigvalsh(surface.hessian)
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(50)


# -- the race -----------------------------------------------------------------------------

def test_race_records_one_point_per_step_and_descends():
    runs = race(Quadratic(), {"SGD": SGD(0.5), "Adam": Adam(0.1)}, steps=40)
    for path, losses in runs.values():
        assert path.shape == (41, 2)
        np.testing.assert_array_equal(path[0], Quadratic.start)
        assert losses[-1] < 0.1 * losses[0]


@pytest.mark.parametrize("key", SURFACES)
def test_a_diverging_run_stops_without_overflow(key):
    surface = SURFACES[key]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs = race(surface, {"SGD": SGD(5.0), "momentum": SGD(5.0, momentum=0.9)}, steps=500)
    for path, losses in runs.values():
        assert len(path) < 501
        assert np.all(np.isfinite(path)) and np.all(np.isfinite(losses))


def test_race_explorer_first_view():
    result = optimizer_race_explorer().result
    assert isinstance(result.surface, Quadratic)
    assert list(result.runs) == ["SGD", "momentum", "Nesterov", "RMSprop", "Adagrad", "Adam"]
    assert all(len(path) == 101 for path, _ in result.runs.values())
    assert result.figure.axes[0].get_title() == "ill-conditioned quadratic, condition number 20"


def test_condition_number_slows_plain_sgd():
    widget = optimizer_race_explorer()
    distance = np.linalg.norm(widget.result.runs["SGD"][0][-1])  # the minimum is the origin
    control(widget, "condition number (quadratic)").value = 1000
    assert widget.result.surface.condition_number == pytest.approx(1000)
    # Along the flat eigen-direction SGD shrinks the error by 1 - lr / kappa a step:
    # 100 steps at lr 0.5 leave 8% of it for kappa = 20, 95% for kappa = 1000.
    assert np.linalg.norm(widget.result.runs["SGD"][0][-1]) > 5 * distance


def test_choosing_a_surface_sets_rates_and_steps_that_suit_it():
    widget = optimizer_race_explorer()
    control(widget, "surface").value = "rosenbrock"
    assert isinstance(widget.result.surface, Rosenbrock)
    assert control(widget, "learning rate (SGD, momentum)").value == pytest.approx(0.001)
    assert control(widget, "steps").value == 300
    assert all(len(path) == 301 for path, _ in widget.result.runs.values())


def test_zero_momentum_makes_momentum_plain_sgd():
    widget = optimizer_race_explorer()
    control(widget, "momentum").value = 0.0
    runs = widget.result.runs
    np.testing.assert_array_equal(runs["momentum"][0], runs["SGD"][0])
    np.testing.assert_array_equal(runs["Nesterov"][0], runs["SGD"][0])


def test_betas_move_adam_alone():
    widget = optimizer_race_explorer()
    before = {k: path for k, (path, _) in widget.result.runs.items()}
    control(widget, "Adam beta_1").value = 0.5
    after = {k: path for k, (path, _) in widget.result.runs.items()}
    assert not np.allclose(after["Adam"], before["Adam"])
    np.testing.assert_array_equal(after["RMSprop"], before["RMSprop"])
    control(widget, "Adam beta_2").value = 0.9
    assert not np.allclose(widget.result.runs["Adam"][0], after["Adam"])


def test_steps_slider_sets_the_trajectory_length():
    widget = optimizer_race_explorer()
    control(widget, "steps").value = 20
    assert all(len(path) == 21 for path, _ in widget.result.runs.values())


def test_momentum_convergence_rate_beats_plain_sgd_as_theory_says():
    for kappa in (10.0, 100.0, 1000.0):
        low, high = 1 / kappa, 1.0
        # Plain SGD at its best rate 2 / (low + high): (kappa - 1) / (kappa + 1) for both.
        lr = 2 / (low + high)
        assert convergence_rate(lr, 0.0, high) == pytest.approx((kappa - 1) / (kappa + 1))
        assert convergence_rate(lr, 0.0, low) == pytest.approx((kappa - 1) / (kappa + 1))
        # Heavy ball at its best rate and momentum: (sqrt(kappa) - 1) / (sqrt(kappa) + 1).
        root = np.sqrt(kappa)
        lr, mu = 4 / (np.sqrt(high) + np.sqrt(low)) ** 2, ((root - 1) / (root + 1)) ** 2
        for eigenvalue in (low, high):
            assert convergence_rate(lr, mu, eigenvalue) == \
                pytest.approx((root - 1) / (root + 1), rel=1e-6)


# -- schedules ----------------------------------------------------------------------------

def test_schedule_explorer_first_view_is_a_cosine():
    result = schedule_explorer().result
    assert result.learning_rates[0] == pytest.approx(0.1)
    assert result.learning_rates[250:] == pytest.approx(0.0)
    assert result.figure.axes[0].get_title() == "CosineDecay"


def test_a_constant_schedule_reproduces_the_constant_run():
    widget = schedule_explorer()
    control(widget, "schedule").value = "constant"
    result = widget.result
    np.testing.assert_array_equal(result.learning_rates, 0.1)
    np.testing.assert_array_equal(result.losses, result.constant_losses)


def test_decaying_the_rate_lowers_the_noise_floor():
    widget = schedule_explorer()
    control(widget, "schedule").value = "ExponentialDecay, staircase"
    control(widget, "decay_steps").value = 50
    result = widget.result
    np.testing.assert_allclose(result.learning_rates[[0, 49, 50, 100]],
                               [0.1, 0.1, 0.05, 0.025])
    assert result.losses[-50:].mean() < 0.5 * result.constant_losses[-50:].mean()


def test_warmup_slider_moves_the_peak():
    widget = schedule_explorer()
    control(widget, "schedule").value = "CosineDecay with warm-up"
    control(widget, "warmup_steps").value = 40
    rates = widget.result.learning_rates
    assert rates[0] == 0.0
    assert int(np.argmax(rates)) == 40


# -- experiments on the digits --------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.data[:512] / 16).astype("float32"), data.target[:512]


def small_model():
    return nnlib.Sequential([nnlib.Input((64,)), Dense(16, activation="relu"),
                             Dense(10, activation="softmax")])


def test_train_curves_start_from_the_same_weights(digits):
    runs = train_curves(small_model, {"SGD": SGD(0.1), "Adam": Adam(0.01)}, *digits, epochs=2)
    sgd, adam = runs["SGD"].losses, runs["Adam"].losses
    assert len(sgd) == len(adam) == 32
    assert sgd[0] == pytest.approx(adam[0], rel=1e-6)  # same weights, same first batch
    assert sgd[-1] < sgd[0]
    assert runs["Adam"].model.optimizer.iterations == 32
    again = train_curves(small_model, {"SGD": SGD(0.1)}, *digits, epochs=2)["SGD"].losses
    np.testing.assert_array_equal(again, sgd)


def test_range_test_takes_an_optimizer_builder(digits):
    result = lr_range_test(small_model, *digits, optimizer=lambda lr: SGD(lr, momentum=0.9),
                           min_lr=1e-3, max_lr=1e-2, steps=5)
    np.testing.assert_allclose(result.learning_rates, np.geomspace(1e-3, 1e-2, 5))


def test_lr_range_test_grows_the_rate_and_stops_at_the_blow_up(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = lr_range_test(small_model, *digits, min_lr=1e-4, max_lr=100.0, steps=100,
                               stop_factor=2.0)
    ratios = result.learning_rates[1:] / result.learning_rates[:-1]
    np.testing.assert_allclose(ratios, (100.0 / 1e-4) ** (1 / 99))
    assert result.learning_rates[0] == pytest.approx(1e-4)
    assert len(result.losses) < 100  # stopped once the loss blew up
    assert result.smoothed[-1] > 2 * result.smoothed.min()
    best = result.learning_rates[np.argmin(result.smoothed)]
    assert result.suggestion == pytest.approx(best / 10)

"""Red team: the training loop's entry points (compile, fit, evaluate, predict,
train_on_batch, set_weights) against bad and hostile arguments.  Each case once
gave a silent wrong result or an unclear error; now each raises an error that
names the model, what was expected and what was given."""
import numpy as np
import pytest

import nnlib
from nnlib.layers import Dense, Input
from nnlib.models import Model, Sequential


@pytest.fixture
def model():
    model = Sequential([Input((4,)), Dense(3)], name="red")
    model.compile("sgd", "mse")
    return model


X, Y = np.ones((8, 4)), np.ones((8, 3))


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize("batch_size", [0, -5, 2.5, "32", True])
def test_a_batch_size_that_means_nothing_is_refused(model, batch_size):
    for call in (lambda: model.fit(X, Y, batch_size=batch_size, verbose=0),
                 lambda: model.evaluate(X, Y, batch_size=batch_size, verbose=0),
                 lambda: model.predict(X, batch_size=batch_size)):
        with pytest.raises((ValueError, TypeError),
                           match=rf"Model 'red': batch_size must be a whole number >= 1, "
                                 rf"got {batch_size!r}"):
            call()


def test_no_rows_is_an_error_not_a_loss_of_zero(model):
    for call in (lambda: model.fit(X[:0], Y[:0], verbose=0),
                 lambda: model.evaluate(X[:0], Y[:0], verbose=0),
                 lambda: model.predict(X[:0])):
        with pytest.raises(ValueError, match="Model 'red': no samples: x has 0 rows"):
            call()


def test_one_dimensional_data_is_refused_not_reshaped(model):
    with pytest.raises(ValueError, match=r"input 'input_layer.*' expects shape \(None, 4\), "
                                         r"got \(8,\)"):
        model.predict(np.arange(8.0), batch_size=4)


@pytest.mark.parametrize("where, value", [("x", np.nan), ("y", np.inf), ("y", -np.inf),
                                          ("sample_weight", np.nan)])
def test_non_finite_data_is_refused_with_its_first_bad_index(model, where, value):
    data = {"x": X, "y": Y, "sample_weight": np.ones(8)}
    index = (5, 1) if where != "sample_weight" else 3
    data[where] = with_value(data[where], index, value)
    before = model.get_weights()
    shown = index if isinstance(index, int) else f"\\({index[0]}, {index[1]}\\)"
    for call in (lambda: model.fit(verbose=0, **data),
                 lambda: model.evaluate(verbose=0, **data),
                 lambda: model.train_on_batch(**data)):
        with pytest.raises(ValueError, match=rf"Model 'red': {where} holds {value} at index "
                                             rf"{shown}; .*finite numbers only"):
            call()
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_validation_data_is_checked_like_the_training_data(model):
    with pytest.raises(ValueError, match="y holds nan at index"):
        model.fit(X, Y, validation_data=(X, with_value(Y, (0, 0), np.nan)), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data must be a tuple \(x, y\)"):
        model.fit(X, Y, validation_data=X, verbose=0)


def test_predict_passes_non_finite_inputs_through(model):
    out = model.predict(with_value(X, (0, 0), np.nan))
    assert np.isnan(out[0]).all() and np.isfinite(out[1:]).all()


def test_a_scalar_sample_weight_says_what_it_should_be(model):
    with pytest.raises(ValueError, match="sample_weight must hold one entry per sample, got a "
                                         "single number: to weigh every sample alike, leave "
                                         "sample_weight out"):
        model.fit(X, Y, sample_weight=2.0, verbose=0)


@pytest.mark.parametrize("arguments, message", [
    ({"epochs": 0}, "epochs must be a whole number >= 1, got 0"),
    ({"epochs": -1}, "epochs must be a whole number >= 1, got -1"),
    ({"epochs": 2.5}, "epochs must be a whole number >= 1, got 2.5"),
    ({"epochs": 2, "initial_epoch": 2}, r"initial_epoch \(2\) must be below epochs \(2\)"),
    ({"initial_epoch": -1}, "initial_epoch must be a whole number >= 0, got -1"),
    ({"validation_split": 1.0}, r"validation_split must be a finite number in \[0, 1\), got 1.0"),
    ({"validation_split": float("nan")}, "validation_split must be a finite number"),
])
def test_fit_arguments_that_mean_nothing(model, arguments, message):
    with pytest.raises(ValueError, match=f"Model 'red': {message}"):
        model.fit(X, Y, verbose=0, **arguments)


def test_metrics_are_checked_at_compile_with_the_closest_name():
    model = Sequential([Input((4,)), Dense(3)])
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        model.compile("sgd", "mse", metrics=["acuracy"])
    with pytest.raises(TypeError, match="a metric is a name, a Metric or a function"):
        model.compile("sgd", "mse", metrics=[3])
    model.compile("sgd", "mse", metrics=["accuracy", "mae", "mean_squared_error"])


def test_set_weights_refuses_what_is_not_numbers(rng=np.random.default_rng(0)):
    x = Input((2,))
    model = Model(x, Dense(2, name="d")(x))
    with pytest.raises(ValueError, match="weight 'd.kernel' takes numbers, got an array of <U1"):
        model.set_weights([np.full((2, 2), "a"), np.zeros(2)])


def test_a_ragged_list_is_named_as_such():
    with pytest.raises(TypeError, match="Dense 'ragged': expected an array .* got a ragged list"):
        Dense(2, name="ragged")([[1.0, 2.0], [1.0]])


def test_the_finite_check_costs_little_beside_a_step():
    """Not a timing assertion: the check is one pass over each array, once per
    ``fit``, never per batch (``standardize`` runs once)."""
    model = Sequential([Input((4,)), Dense(3)])
    model.compile("sgd", "mse")
    calls = []
    original = nnlib.models.training.check_finite

    def counting(*args):
        calls.append(args[1])
        return original(*args)

    nnlib.models.training.check_finite = counting
    try:
        model.fit(np.ones((64, 4)), np.ones((64, 3)), batch_size=8, epochs=3, verbose=0)
    finally:
        nnlib.models.training.check_finite = original
    assert calls == ["x", "y"]


@pytest.mark.parametrize("weights, message", [
    ([1.0, "heavy"], r"loss_weights\['size'\] must be a number, got 'heavy'"),
    ([1.0, -2.0], r"loss_weights\['size'\] must be a finite number >= 0, got -2.0"),
    ({"digit": float("inf")}, r"loss_weights\['digit'\] must be a finite number >= 0"),
])
def test_loss_weights_must_be_numbers(weights, message):
    x = Input((4,))
    model = Model(x, {"digit": Dense(3)(x), "size": Dense(1)(x)})
    with pytest.raises((TypeError, ValueError), match=f"compile: {message}"):
        model.compile("sgd", "mse", loss_weights=weights)


def test_callbacks_must_come_in_a_list(model):
    with pytest.raises(TypeError, match=r"callbacks must be a list of callbacks, got "
                                        r"EarlyStopping; write callbacks=\[...\]"):
        model.fit(X, Y, callbacks=nnlib.callbacks.EarlyStopping(), verbose=0)


def test_an_unknown_metric_names_the_closest_metric_or_loss():
    model = Sequential([Input((4,)), Dense(3)])
    with pytest.raises(ValueError, match=r"unknown metric 'mean_absolute_eror' \(did you mean "
                                         r"'mean_absolute_error'\?\).*any loss"):
        model.compile("sgd", "mse", metrics=["mean_absolute_eror"])


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.fit(X, None, verbose=0), ValueError, r"fit needs targets y for the outputs"),
    (lambda m: m.evaluate(X, None, verbose=0), ValueError, "evaluate needs targets y"),
    (lambda m: m.fit(X, Y, verbose="yes"), ValueError, "verbose must be 0, 1, 2 or 'auto'"),
    (lambda m: m.predict(X, verbose=5), ValueError, "verbose must be 0, 1, 2 or 'auto'"),
    (lambda m: m.fit(X, Y, shuffle="no", verbose=0), TypeError, "shuffle must be True or False"),
    (lambda m: m.get_layer(index=3.5), ValueError, "index must be a whole number, got 3.5"),
    (lambda m: m.summary(print_fn=3), TypeError, "print_fn must be a function"),
    (lambda m: m.compile(3, "mse"), TypeError, "expected an optimizer name or instance, got 3"),
])
def test_model_entry_points_check_their_arguments(model, call, error, message):
    with pytest.raises(error, match=message):
        call(model)

"""Gradient checks generated from the registry, and the checker's own behaviour.

Every differentiable layer, activation and loss in the registry is checked
against central differences, in float64, on the sample its class provides
(``gradient_check_sample(rng)``).  Registering a component adds its check.
"""
import numpy as np
import pytest

import nnlib
from nnlib import registry
from nnlib.activations import ElementwiseActivation, Tanh
from nnlib.backend import floatx_scope
from nnlib.layers import Dense
from nnlib.losses import MeanSquaredError
from nnlib.testing import check_gradients

CHECKED_KINDS = ("layer", "activation", "loss")
TOLERANCE = 1e-6


def gradient_check_entries():
    """Every registered component whose backward pass must match its forward."""
    return [entry for kind in CHECKED_KINDS for entry in registry.entries(kind)
            if entry.differentiable]


def entry_id(entry):
    return f"{entry.kind}-{entry.name}"


def run_gradient_check(entry, seed=0):
    """Build the entry's sample in float64 and check it; returns the report."""
    sample = getattr(entry.cls, "gradient_check_sample", None)
    if sample is None:
        pytest.fail(f"{entry.kind} {entry.name!r} is differentiable but has no "
                    f"gradient_check_sample(rng) classmethod returning (component, inputs)")
    with floatx_scope("float64"):
        component, inputs = sample(np.random.default_rng(seed))
        report = check_gradients(component, *inputs)
    assert report.max_relative_error < TOLERANCE, repr(report)
    return report


@pytest.mark.parametrize("entry", gradient_check_entries(), ids=entry_id)
def test_registered_component_gradients(entry):
    report = run_gradient_check(entry)
    assert report.rows, "the check compared no arrays"


def test_every_checked_kind_has_entries():
    kinds = {entry.kind for entry in gradient_check_entries()}
    assert kinds == set(CHECKED_KINDS)


# -- the mechanism: a component registered here gets the same treatment ------------

class Square(ElementwiseActivation):
    """:math:`f(x) = x^2`, :math:`f'(x) = 2x`."""

    def function(self, x):
        return x * x

    def derivative(self, x, y):
        return 2 * x


class WrongSquare(Square):
    """The same forward with a wrong derivative, :math:`3x`."""

    def derivative(self, x, y):
        return 3 * x


class Unsampled(MeanSquaredError):
    """A differentiable loss that forgot its gradient_check_sample."""

    gradient_check_sample = None


@pytest.fixture
def register_temporarily():
    """Register classes for one test and remove them afterwards, even on failure."""
    registered = []

    def add(kind, cls, **kwargs):
        registry.register(kind, description=f"{cls.__name__} for a test",
                          use_case="Testing the registry", **kwargs)(cls)
        registered.append((kind, cls.__name__))
        return registry.entry_for(kind, cls.__name__)

    yield add
    for kind, name in registered:
        registry.unregister(kind, name)


def test_registering_a_component_adds_its_row_and_its_gradient_check(register_temporarily):
    assert "Square" not in [e.name for e in gradient_check_entries()]
    entry = register_temporarily("activation", Square, aliases=("square",))

    table = nnlib.table("activation")
    assert ("Square", "Square", "Square for a test", "Testing the registry") in table.rows
    assert "| Square | Square | Square for a test | Testing the registry |" in table.to_markdown()
    assert "<td>Square for a test</td>" in table._repr_html_()
    assert isinstance(nnlib.get("activation", "square"), Square)

    assert entry in gradient_check_entries()
    report = run_gradient_check(entry)
    assert report.passed


def test_a_wrong_backward_is_caught(register_temporarily):
    entry = register_temporarily("activation", WrongSquare)
    assert entry in gradient_check_entries()
    report = check_gradients(WrongSquare(), np.linspace(0.5, 2.0, 4))
    assert not report.passed
    assert report.max_relative_error > 0.1
    with pytest.raises(AssertionError, match="FAILED"):
        run_gradient_check(entry)


def test_a_missing_sample_fails_with_a_clear_message(register_temporarily):
    entry = register_temporarily("loss", Unsampled)
    assert entry in gradient_check_entries()
    with pytest.raises(pytest.fail.Exception, match="Unsampled.*gradient_check_sample"):
        run_gradient_check(entry)


def test_unregistered_components_leave_the_collection():
    registry.register("activation", description="d", use_case="u")(Square)
    registry.unregister("activation", "Square")
    assert "Square" not in [e.name for e in gradient_check_entries()]
    assert "Square" not in [row[1] for row in nnlib.table("activation").rows]


# -- check_gradients' public behaviour -------------------------------------------------

def test_report_names_the_component_and_each_array():
    with floatx_scope("float64"):
        layer = Dense(3, activation="tanh", name="checked_dense")
        report = check_gradients(layer, np.random.default_rng(0).normal(size=(4, 5)))
    text = repr(report)
    assert text.startswith("Gradient check of checked_dense: passed")
    assert [row[0] for row in report.rows] == ["input", "kernel", "bias"]
    for name, shape in [("input", (4, 5)), ("kernel", (5, 3)), ("bias", (3,))]:
        assert any(line.split()[0] == name and str(shape) in line
                   for line in text.splitlines()[2:]), text
    assert "too large" not in text


def test_report_flags_the_array_that_is_wrong():
    report = check_gradients((np.square, lambda dy, x: dy * 3 * x), np.linspace(1, 2, 3))
    text = repr(report)
    assert "FAILED" in text
    assert "(square, <lambda>)" in text
    assert "input" in text and "<-- too large" in text


def test_float32_components_are_rejected_with_a_clear_error():
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match=r"float64.*floatx_scope\('float64'\)"):
        check_gradients(Dense(2), x)
    with pytest.raises(TypeError, match="float32"):
        check_gradients(MeanSquaredError(), x, x)


def test_forward_backward_pair():
    x = np.linspace(-2, 2, 7)
    good = check_gradients((np.sin, lambda dy, x: dy * np.cos(x)), x)
    wrong = check_gradients((np.sin, lambda dy, x: dy * np.sin(x)), x)
    assert good.passed and good.max_relative_error < TOLERANCE
    assert not wrong.passed


def test_activation_report_is_named_after_the_activation():
    report = check_gradients(Tanh(), np.linspace(-1, 1, 4))
    assert repr(report).startswith("Gradient check of Tanh: passed")


def test_anything_else_is_rejected():
    with pytest.raises(TypeError, match="check_gradients takes a Layer"):
        check_gradients("relu", np.ones(3))

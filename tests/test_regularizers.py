"""Regularizers: penalties and gradients, lookup, and a regularizer of one's own."""
import numpy as np
import pytest

from nnlib import registry, regularizers
from nnlib.layers import Layer
from nnlib.regularizers import L1, L1L2, L2, Regularizer
from nnlib.testing import check_gradients


@pytest.mark.parametrize("regularizer", [L1(0.1), L2(0.5), L1L2(l1=0.2, l2=0.3)], ids=repr)
def test_the_gradient_is_the_penaltys_derivative(regularizer):
    w = np.array([[0.5, -1.5], [2.0, -0.3]])
    report = check_gradients((regularizer.penalty,
                              lambda d, w: d * regularizer.gradient(w)), w)
    assert report.max_relative_error < 1e-6, repr(report)


def test_keras_defaults_lookup_and_errors():
    assert (L1().l1, L2().l2) == (0.01, 0.01)
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get("l1_l2"), L1L2)
    with pytest.raises(ValueError, match="L1L2: l2 must be a number >= 0, got -1"):
        L1L2(l2=-1)
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")


def test_a_regularizer_of_ones_own_needs_no_registering():
    class Quartic(Regularizer):
        """:math:`\\Omega(w) = c \\sum w^4`."""

        def __init__(self, c=0.1):
            self.c = c

        def penalty(self, w):
            return float(self.c * np.sum(w ** 4))

        def gradient(self, w):
            return 4 * self.c * w ** 3

    quartic = Quartic()
    assert regularizers.get(quartic) is quartic
    assert quartic.get_config() == {"c": 0.1} and repr(quartic) == "Quartic(c=0.1)"
    layer = Layer()
    weight = layer.add_weight((2, 3), "ones", name="w", regularizer=quartic)
    assert weight.regularizer is quartic
    assert layer.losses == [pytest.approx(0.6)]


# -- every layer takes Keras's regularizer arguments -----------------------------------------

WRAPPERS = {"Bidirectional"}  # its weights are its layers', which are checked themselves


@pytest.mark.parametrize("entry", [e for e in registry.entries("layer")
                                   if e.name not in WRAPPERS], ids=lambda e: e.name)
def test_every_weight_and_output_of_every_layer_can_be_regularised(entry):
    """Each trainable weight ``w`` (``kernel``, ``recurrent_kernel``, ``bias``,
    ``embeddings``, ``alpha``, ``gamma``...) takes Keras's ``<w>_regularizer`` (``recurrent_regularizer`` for the
    recurrent kernel), every layer an ``activity_regularizer``: an eager call in
    training mode then reports one penalty per weight and one per output."""
    from test_layer_contract import as_argument, contract_sample
    layer, inputs = contract_sample(entry)
    layer(as_argument(inputs))
    config = layer.get_config()
    for path in layer.named_weights(trainable_only=True):  # statistics take no penalty
        argument = path.split(".")[-1].replace("_kernel", "") + "_regularizer"
        assert argument in config, f"{entry.name} has no {argument} for its weight {path}"
        config[argument] = "l2"
    config["activity_regularizer"] = L1(0.5)
    again = type(layer).from_config(config)
    outputs = again(as_argument(inputs), training=True)
    count = len(outputs) if isinstance(outputs, list) else 1
    assert again.losses == pytest.approx(
        [0.01 * np.sum(w.value ** 2) for w in again.trainable_weights] +
        [0.5 * np.abs(y).sum() / len(y) for y in (outputs if count > 1 else [outputs])])

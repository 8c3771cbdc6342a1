"""BatchNormalization and LayerNormalization against Keras 3 (on PyTorch).

The same model with the same weights (moving statistics included) in Keras and in
nnlib: the outputs in training and in inference mode are equal, an eager training
call moves the moving statistics the same way, and after several ``fit`` steps
(SGD, ``shuffle=False``) every weight, ``moving_mean`` and ``moving_variance``
included, is Keras's within ``parity.RTOL``.  A frozen BatchNormalization
(``trainable=False``) runs in inference mode in both, even in ``fit``.  A masked
batch gives Keras's statistics and input gradient.

LayerNormalization on axes that are not the trailing ones (``axis=1`` of a
sequence, ``[1, 2]`` of an image) is compared with Keras's own formula
(``keras.ops.moments``, as ``keras.ops.layer_normalization`` computes it on other
backends): Keras 3.15's PyTorch path hands any contiguous set of axes to
``torch.nn.functional.layer_norm``, which normalizes the trailing axes whatever
``axis`` says (an error when the sizes differ, wrong values when they agree).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import nnlib  # noqa: E402
from parity import close, numpy  # noqa: E402

# Keras's get_weights converts its torch variables with np.array, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def dense_bn(lib, **bn):
    return [lib.Input((3,)), lib.layers.Dense(4, activation="tanh"),
            lib.layers.BatchNormalization(momentum=0.9, **bn), lib.layers.Dense(2)]


def conv_bn(axis):
    def layers(lib, **bn):
        return [lib.Input((6, 6, 2)), lib.layers.Conv2D(3, 3),
                lib.layers.BatchNormalization(axis=axis, momentum=0.8, **bn),
                lib.layers.Flatten(), lib.layers.Dense(2)]
    return layers


def channels_first_bn(lib, **bn):
    return [lib.Input((3, 5, 5)),
            lib.layers.BatchNormalization(axis=1, momentum=0.7, epsilon=1e-2, center=False,
                                          **bn),
            lib.layers.Flatten(), lib.layers.Dense(2)]


def dense_ln(lib):
    return [lib.Input((3,)), lib.layers.Dense(6, activation="tanh"),
            lib.layers.LayerNormalization(), lib.layers.Dense(2)]


def sequence_ln(lib):
    return [lib.Input((4, 5)), lib.layers.Dense(5),
            lib.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5),
            lib.layers.Flatten(), lib.layers.Dense(2)]


MODELS = {"dense-bn": (dense_bn, (3,)), "conv-bn-last": (conv_bn(-1), (6, 6, 2)),
          "conv-bn-axis1": (conv_bn(1), (6, 6, 2)),
          "channels-first-bn": (channels_first_bn, (3, 5, 5)),
          "dense-ln": (dense_ln, (3,)), "sequence-ln": (sequence_ln, (4, 5))}
BN_MODELS = [name for name in MODELS if name.endswith("-bn") or "-bn-" in name]


def make_pair(name, frozen=False, seed=0, learning_rate=0.05):
    """Keras's model and nnlib's, same architecture, same weights (random, the
    moving variances positive), compiled with SGD and MSE; and data."""
    layers, shape = MODELS[name]
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    models = []
    for lib in (keras, nnlib):
        arguments = {"trainable": False} if frozen else {}
        model = lib.Sequential(layers(lib, **arguments))
        models.append(model)
    theirs, ours = models
    weights = [rng.uniform(0.5, 1.5, size=v.shape) if v.path.endswith("moving_variance")
               else rng.normal(scale=0.5, size=v.shape) for v in theirs.weights]
    weights = [w.astype("float32") for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for model, lib in ((theirs, keras), (ours, nnlib)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate), loss="mse")
    x = (1.0 + 2.0 * rng.normal(size=(16, *shape))).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    return theirs, ours, x, y


def same_weights(ours, theirs):
    names = [v.path for v in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [tuple(v.shape) for v in theirs.weights]
    for path, mine, reference in zip(names, ours.get_weights(), theirs.get_weights(),
                                     strict=True):
        try:
            close(mine, reference)
        except AssertionError:
            raise AssertionError(f"{path}: nnlib {mine.ravel()[:4]}..., Keras "
                                 f"{reference.ravel()[:4]}...") from None


@pytest.mark.parametrize("name", MODELS)
def test_outputs_in_inference_and_training_mode_are_keras_s(name):
    theirs, ours, x, _ = make_pair(name)
    close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    # An eager training call: the batch's statistics, and the moving ones updated.
    close(ours(x, training=True), numpy(theirs(x, training=True)))
    same_weights(ours, theirs)
    close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


@pytest.mark.parametrize("name", MODELS)
def test_fit_gives_keras_s_weights_moving_statistics_included(name):
    theirs, ours, x, y = make_pair(name)
    for model in (theirs, ours):
        model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    same_weights(ours, theirs)
    close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0))


@pytest.mark.parametrize("name", BN_MODELS)
def test_a_frozen_batch_normalization_is_keras_s_too(name):
    # Random moving statistics do not standardize the data: a smaller step keeps
    # the loss from diverging.
    theirs, ours, x, y = make_pair(name, frozen=True, learning_rate=0.002)
    frozen = [w.copy() for w in ours.get_weights()]
    close(ours(x, training=True), numpy(theirs(x, training=True)))
    close(ours(x, training=True), ours.predict(x, verbose=0))  # inference mode
    for model in (theirs, ours):
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    same_weights(ours, theirs)
    bn = next(layer for layer in ours.layers if isinstance(layer, nnlib.layers.BatchNormalization))
    for weight in bn.weights:
        index = [id(w) for w in ours.weights].index(id(weight))
        np.testing.assert_array_equal(weight.value, frozen[index])


def test_a_masked_batch_gives_keras_s_statistics_and_gradient():
    rng = np.random.default_rng(3)
    x = (1.0 + 2.0 * rng.normal(size=(4, 6, 3))).astype("float32")
    dy = rng.normal(size=x.shape).astype("float32")
    mask = np.ones((4, 6), bool)
    mask[1, 2:] = mask[3, 4:] = False
    theirs = keras.layers.BatchNormalization(momentum=0.5)
    ours = nnlib.layers.BatchNormalization(momentum=0.5)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = theirs(x_t, training=True, mask=torch.tensor(mask))
    y_t.backward(torch.tensor(dy))
    y, cache, effects = ours.run_forward(ours.prepare(x), training=True, mask=mask)
    close(y, numpy(y_t))
    close(ours.backward(dy, cache)[0], numpy(x_t.grad))
    nnlib.layers.base.apply_updates(effects.updates)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        close(mine, reference)


def keras_layer_norm(x, gamma, beta, axes, epsilon):
    """``keras.ops.layer_normalization``'s formula where it does not call
    ``torch.nn.functional.layer_norm``: Keras's ``moments``, then
    :math:`x \\cdot s\\gamma + (\\beta - \\mu s\\gamma)`."""
    x = keras.ops.convert_to_tensor(x)
    mean, variance = keras.ops.moments(x, axes=axes, keepdims=True)
    shape = [1] * len(x.shape)
    for axis in axes:
        shape[axis] = x.shape[axis]
    inv = keras.ops.rsqrt(variance + epsilon) * keras.ops.reshape(gamma, shape)
    return numpy(x * inv + (keras.ops.reshape(beta, shape) - mean * inv))


@pytest.mark.parametrize("axis, shape", [(1, (3, 4, 5)), ([1, 2], (3, 4, 5, 2)),
                                         ([1, 3], (3, 4, 5, 2)), (-1, (3, 4, 5)),
                                         ([-2, -1], (3, 4, 5))])
def test_layer_normalization_on_any_axes_is_keras_s_formula(axis, shape):
    rng = np.random.default_rng(4)
    x = (1.0 + 2.0 * rng.normal(size=shape)).astype("float32")
    layer = nnlib.layers.LayerNormalization(axis=axis)
    layer(x)
    gamma, beta = (rng.normal(size=w.shape).astype("float32") for w in layer.weights)
    layer.set_weights([gamma, beta])
    axes = sorted(a % len(shape) for a in np.atleast_1d(axis))
    close(layer(x), keras_layer_norm(x, gamma, beta, axes, 1e-3))
    theirs = keras.layers.LayerNormalization(axis=axis)
    theirs.build((None, *shape[1:]))
    assert [tuple(v.shape) for v in theirs.weights] == [gamma.shape, beta.shape]

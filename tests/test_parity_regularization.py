"""Regularizers against Keras 3: the same model with the same weights reports the same
regularised loss in ``evaluate`` and has the same weights after several training steps,
with weight penalties on every kind of weight and activity penalties on outputs."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib  # noqa: E402
from parity import close  # noqa: E402

# Keras's get_weights converts its torch variables with np.array, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def build(lib):
    """Embedding -> LSTM -> Dense -> Dense, every weight regularised one way or another,
    in nnlib or in Keras (``lib`` is the module that has ``layers`` and ``regularizers``)."""
    R = lib.regularizers
    return lib.Sequential([
        lib.Input((5,), dtype="int32"),
        lib.layers.Embedding(9, 4, embeddings_regularizer=R.L2(0.02)),
        lib.layers.LSTM(3, kernel_regularizer=R.L1(0.01), recurrent_regularizer=R.L2(0.03),
                        bias_regularizer=R.L1L2(l1=0.01, l2=0.02),
                        activity_regularizer=R.L2(0.05)),
        lib.layers.Dense(4, activation="tanh", kernel_regularizer=R.L1L2(l1=0.02, l2=0.01),
                         bias_regularizer=R.L2(0.1), activity_regularizer=R.L1(0.03)),
        lib.layers.Dense(2, kernel_regularizer="l2")])


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    theirs = build(keras)
    ours = build(nnlib)
    ours.build((None, 5))
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32")
               for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for model, lib in ((theirs, keras), (ours, nnlib)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    x = rng.integers(0, 9, size=(16, 5)).astype("int32")
    y = rng.normal(size=(16, 2)).astype("float32")
    return theirs, ours, x, y


def test_evaluate_reports_the_same_regularised_loss(pair):
    theirs, ours, x, y = pair
    loss = ours.evaluate(x, y, batch_size=16, verbose=0)
    plain = float(np.mean((ours.predict(x, verbose=0) - y) ** 2))
    assert loss > plain + 0.1  # the penalties count for something
    close(loss, theirs.evaluate(x, y, batch_size=16, verbose=0))


def test_training_steps_give_the_same_weights(pair):
    theirs, ours, x, y = pair
    for model in (theirs, ours):
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        close(mine, reference)

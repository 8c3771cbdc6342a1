"""Models against Keras 3: the same graph with the same weights gives the same
outputs, the same losses per output, the same training step and the same summary."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlib.layers import Add, Concatenate, Dense, Embedding, Flatten  # noqa: E402
from nnlib.models import Input, Model, Sequential  # noqa: E402
from nnlib.optimizers import SGD  # noqa: E402

L = keras.layers
# Keras's get_weights converts its torch variables with np.array, which NumPy 2 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def build(api):
    """The same two-input, two-output graph in nnlib (api="nnlib") or Keras: a
    shared Embedding, a skip connection (Add) and Concatenate."""
    lib = {"nnlib": dict(Input=Input, Model=Model, Dense=Dense, Add=Add, Embedding=Embedding,
                         Concatenate=Concatenate, Flatten=Flatten),
           "keras": dict(Input=keras.Input, Model=keras.Model, Dense=L.Dense, Add=L.Add,
                         Embedding=L.Embedding, Concatenate=L.Concatenate,
                         Flatten=L.Flatten)}[api]
    ids = lib["Input"]((4,), dtype="int32", name="token_ids")
    other_ids = lib["Input"]((4,), dtype="int32", name="other_token_ids")
    pixels = lib["Input"]((6,), name="pixels")
    table = lib["Embedding"](7, 3, name="shared_embedding")
    h = lib["Dense"](5, activation="tanh", name="h")(pixels)
    skip = lib["Add"](name="skip")([h, lib["Dense"](5, activation="relu", name="residual")(h)])
    joined = lib["Concatenate"](name="joined")([
        lib["Flatten"](name="flat_a")(table(ids)), lib["Flatten"](name="flat_b")(table(other_ids)),
        skip])
    return lib["Model"]([ids, other_ids, pixels],
                        [lib["Dense"](3, activation="softmax", name="digit")(joined),
                         lib["Dense"](1, name="size")(joined)], name="parity")


@pytest.fixture(scope="module")
def pair():
    ours, theirs = build("nnlib"), build("keras")
    theirs.set_weights(ours.get_weights())
    rng = np.random.default_rng(0)
    x = [rng.integers(0, 7, (10, 4)), rng.integers(0, 7, (10, 4)),
         rng.normal(size=(10, 6)).astype("float32")]
    y = [rng.integers(0, 3, 10), rng.normal(size=(10, 1)).astype("float32")]
    return ours, theirs, x, y


def printed(model, **kwargs):
    """The summary as printed (Keras hands print_fn a trailing newline; nnlib does not)."""
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines).rstrip("\n")


def test_same_weights_same_outputs(pair):
    ours, theirs, x, _ = pair
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    for a, b in zip(ours.predict(x), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_same_summary(pair):
    ours, theirs, _, _ = pair
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert printed(ours) == printed(theirs)
    sequential = Sequential([Input((4,)), Dense(8, name="hidden"), Dense(3, name="out")],
                            name="stack")
    keras_sequential = keras.Sequential([keras.Input((4,)), L.Dense(8, name="hidden"),
                                         L.Dense(3, name="out")], name="stack")
    sequential.get_layer("hidden").trainable = False
    keras_sequential.get_layer("hidden").trainable = False
    assert printed(sequential, show_trainable=True) == \
        printed(keras_sequential, show_trainable=True)


def test_same_losses_per_output_and_log_names(pair):
    ours, theirs, x, y = pair
    kwargs = dict(loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3],
                  metrics=[["accuracy"], ["mae"]])
    ours.compile(SGD(0.1), **kwargs)
    theirs.compile(keras.optimizers.SGD(0.1), **kwargs)
    mine = ours.evaluate(x, y, verbose=0, return_dict=True)
    keras_logs = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert set(mine) == set(keras_logs)
    for key in mine:
        assert mine[key] == pytest.approx(keras_logs[key], rel=1e-5), key


def test_same_training_step(pair):
    ours, theirs, x, y = pair
    ours.compile(SGD(0.1, momentum=0.9), ["sparse_categorical_crossentropy", "mse"],
                 loss_weights=[1.0, 0.3])
    theirs.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                   ["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3])
    theirs.set_weights(ours.get_weights())
    for _ in range(2):
        mine = ours.train_on_batch(x, y, return_dict=True)
        keras_logs = theirs.train_on_batch(x, y, return_dict=True)
        assert mine["loss"] == pytest.approx(keras_logs["loss"], rel=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_dict_outputs_order_their_weights_by_sorted_key_as_keras():
    """Two heads of equal shape under keys given out of order: Keras flattens the dict
    by sorted key, so ``layers`` and ``get_weights()`` follow that order. Copied
    across, each head must land in its own place (swapped heads would still fit)."""
    def heads(lib_input, lib_dense, lib_model):
        x = lib_input((3,), name="features")
        return lib_model(x, {"zeta": lib_dense(2, name="z_head")(x),
                             "alpha": lib_dense(2, name="a_head")(x)})

    ours = heads(Input, Dense, Model)
    theirs = heads(keras.Input, L.Dense, keras.Model)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers] == \
        ["features", "a_head", "z_head"]
    assert ours.output_names == ["alpha", "zeta"]
    ours.set_weights([w.detach().cpu().numpy() if hasattr(w, "detach") else np.asarray(w)
                      for w in theirs.get_weights()])
    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    expected = theirs.predict(x, verbose=0)
    got = ours.predict(x)
    for key in ("alpha", "zeta"):
        np.testing.assert_allclose(got[key], np.asarray(expected[key]), rtol=1e-5, atol=1e-6)
    back = heads(Input, Dense, Model)
    back.set_weights(ours.get_weights())
    theirs.set_weights(back.get_weights())
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)["zeta"]),
                               back.predict(x)["zeta"], rtol=1e-5, atol=1e-6)

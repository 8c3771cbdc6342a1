"""compile/fit/evaluate with several inputs and outputs: losses, weights, metrics
and log names per output, as Keras 3's compile_utils spreads them."""
import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers import Concatenate, Dense
from nnlib.losses import MeanSquaredError, SparseCategoricalCrossentropy
from nnlib.models import Input, Model
from nnlib.models.compile_utils import OutputLosses
from nnlib.optimizers import SGD
from nnlib.utils import set_random_seed


def two_outputs(dtype=None):
    image, extra = Input((5,), name="image", dtype=dtype), Input((2,), name="extra", dtype=dtype)
    joined = Concatenate()([Dense(4, activation="tanh", name="h", dtype=dtype)(image), extra])
    return Model([image, extra],
                 [Dense(3, activation="softmax", name="digit", dtype=dtype)(joined),
                  Dense(1, name="size", dtype=dtype)(joined)])


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(12, 5)), rng.normal(size=(12, 2))]
    y = [rng.integers(0, 3, 12), rng.normal(size=(12, 1))]
    return x, y


def compiled(**kwargs):
    set_random_seed(0)
    model = two_outputs()
    model.compile(SGD(0.1), **{"loss": ["sparse_categorical_crossentropy", "mse"], **kwargs})
    return model


def test_losses_as_list_or_dict_give_the_same_total(data):
    x, y = data
    by_list = compiled(loss_weights=[1.0, 0.5])
    by_dict = compiled(loss={"size": "mse", "digit": "sparse_categorical_crossentropy"},
                       loss_weights={"digit": 1.0, "size": 0.5})
    a = by_list.evaluate(x, y, verbose=0, return_dict=True)
    b = by_dict.evaluate(x, y, verbose=0, return_dict=True)
    assert list(a) == ["loss", "digit_loss", "size_loss"] and a == pytest.approx(b)
    assert a["loss"] == pytest.approx(a["digit_loss"] + 0.5 * a["size_loss"], rel=1e-6)
    digit, size = by_list.predict(x)
    assert a["digit_loss"] == pytest.approx(float(SparseCategoricalCrossentropy()(y[0], digit)),
                                            rel=1e-6)
    assert a["size_loss"] == pytest.approx(float(MeanSquaredError()(y[1], size)), rel=1e-6)


def test_metrics_per_output_are_named_after_the_output(data):
    x, y = data
    model = compiled(metrics=[["accuracy"], ["mae", "mse"]])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "digit_loss", "size_loss", "digit_accuracy", "size_mae",
                          "size_mse"]
    digit, size = model.predict(x)
    assert logs["digit_accuracy"] == pytest.approx(np.mean(digit.argmax(1) == y[0]))
    assert logs["size_mae"] == pytest.approx(float(np.mean(np.abs(size - y[1]))), rel=1e-5)
    as_dict = compiled(metrics={"size": "mae"}).evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "digit_loss", "size_loss", "size_mae"]
    values = model.evaluate(x, y, verbose=0)
    assert values == pytest.approx(list(logs.values()))


def test_one_loss_for_every_output_and_an_output_without_loss(data):
    x, y = data
    same = compiled(loss="mse")
    assert [type(loss).__name__ for loss in same.loss.losses] == ["MeanSquaredError"] * 2
    partial = compiled(loss={"digit": "sparse_categorical_crossentropy"})
    size_kernel = partial.get_layer("size").get_weights()[0]
    history = partial.fit(x, {"digit": y[0]}, epochs=2, verbose=0)
    assert list(history.history) == ["loss"]
    np.testing.assert_array_equal(size_kernel, partial.get_layer("size").get_weights()[0])


def test_wrong_specifications_name_the_outputs():
    model = two_outputs()
    with pytest.raises(ValueError, match=r"loss: expected one entry per output \['digit', "
                                         r"'size'\], got 3"):
        model.compile("sgd", loss=["mse"] * 3)
    with pytest.raises(ValueError, match=r"no output named \['colour'\]"):
        model.compile("sgd", loss={"colour": "mse"})
    with pytest.raises(ValueError, match="loss_weights: with several outputs"):
        model.compile("sgd", loss="mse", loss_weights=0.5)
    with pytest.raises(ValueError, match="metrics: expected one entry per output"):
        model.compile("sgd", loss="mse", metrics=["mae"])  # refused at compile, not later


def test_targets_by_name_and_mismatched_counts(data):
    x, y = data
    model = compiled()
    by_name = model.evaluate({"image": x[0], "extra": x[1]}, {"digit": y[0], "size": y[1]},
                             verbose=0)
    assert by_name == pytest.approx(model.evaluate(x, y, verbose=0))
    with pytest.raises(ValueError, match=r"y\['size'\] has 11"):
        model.evaluate(x, [y[0], y[1][:11]], verbose=0)
    with pytest.raises(ValueError, match="no target"):
        model.evaluate(x, {"digit": y[0]}, verbose=0)


def test_weighted_losses_scale_each_outputs_gradient(data):
    """dL/dW for L = w1 L1 + w2 L2 is w1 dL1/dW + w2 dL2/dW."""
    x, y = data
    with floatx_scope("float64"):
        model = two_outputs()
    losses = [SparseCategoricalCrossentropy(dtype="float64"), MeanSquaredError(dtype="float64")]

    def gradients(weights):
        loss = OutputLosses(losses, weights, model.output_names)
        y_pred, tape = model.forward(x, training=True)
        _, cache = loss.forward(y, y_pred)
        return model.backward(loss.backward(1.0, cache), tape, need_dx=False)[1]

    combined, first, second = gradients([2.0, 0.25]), gradients([1.0, 0.0]), gradients([0.0, 1.0])
    for key in combined:
        np.testing.assert_allclose(combined[key], 2.0 * first[key] + 0.25 * second[key],
                                   rtol=1e-10, atol=1e-12)
    # The same through fit's step: a weight of 0 leaves the size head alone.
    model.compile(SGD(0.1), losses, loss_weights=[1.0, 0.0])
    size_bias = model.get_layer("size").get_weights()[1]
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(size_bias, model.get_layer("size").get_weights()[1])


def test_fit_logs_every_output_and_validation(data):
    x, y = data
    model = compiled(metrics=[["accuracy"], None])
    history = model.fit(x, y, epochs=2, batch_size=4, validation_data=(x, y), verbose=0)
    assert list(history.history) == ["loss", "digit_loss", "size_loss", "digit_accuracy",
                                     "val_loss", "val_digit_loss", "val_size_loss",
                                     "val_digit_accuracy"]
    assert history.history["loss"][1] < history.history["loss"][0]


def test_dict_outputs_train_and_predict_as_dicts(data):
    x, y = data
    image, extra = Input((5,), name="image"), Input((2,), name="extra")
    joined = Concatenate()([image, extra])
    model = Model({"image": image, "extra": extra},
                  {"digit": Dense(3, activation="softmax")(joined), "size": Dense(1)(joined)})
    model.compile(SGD(0.1), {"digit": "sparse_categorical_crossentropy", "size": "mse"},
                  metrics={"digit": "accuracy"})
    model.fit({"image": x[0], "extra": x[1]}, {"digit": y[0], "size": y[1]}, epochs=1,
              verbose=0)
    predicted = model.predict({"image": x[0], "extra": x[1]})
    assert {k: v.shape for k, v in predicted.items()} == {"digit": (12, 3), "size": (12, 1)}

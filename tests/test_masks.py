"""Masks from Embedding(mask_zero=True) travel through the executor: layers pass
them on, consume them or drop them as Keras does, and the loss and metrics
honour the model's output mask."""
import warnings

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers import Dense
from nnlib.layers.embedding import Embedding
from nnlib.layers.pooling import GlobalAveragePooling1D, GlobalMaxPooling1D
from nnlib.layers.reshaping import Flatten
from nnlib.losses import SparseCategoricalCrossentropy
from nnlib.models import Input, Model, Sequential
from nnlib.optimizers import SGD
from nnlib.testing import check_gradients
from nnlib.utils import set_random_seed

IDS = np.array([[4, 2, 7, 0, 0],
                [1, 0, 0, 0, 0],
                [3, 3, 5, 6, 2]])


def pooled_classifier():
    set_random_seed(0)
    return Sequential([Input((5,)), Embedding(8, 3, mask_zero=True),
                       Dense(4, activation="tanh"), GlobalAveragePooling1D(), Dense(2)])


def tagger():
    """One prediction per step: the output keeps the mask."""
    set_random_seed(0)
    return Sequential([Input((5,)), Embedding(8, 3, mask_zero=True),
                       Dense(4, activation="softmax")])


def test_who_uses_passes_on_or_consumes_a_mask():
    assert GlobalAveragePooling1D().uses_mask and not Dense(2).uses_mask
    assert Dense(2).supports_masking and Embedding(3, 2).supports_masking
    assert not Flatten().supports_masking and not GlobalMaxPooling1D().supports_masking
    mask = np.array([[True, False]])
    assert Dense(2).output_mask(None, mask) is mask
    assert GlobalAveragePooling1D().output_mask(None, mask) is None


def test_the_output_mask_reaches_the_tape():
    model = tagger()
    _, tape = model.forward(model.prepare(IDS))
    np.testing.assert_array_equal(tape.output_mask, IDS != 0)
    _, tape = pooled_classifier().forward(pooled_classifier().prepare(IDS))
    assert tape.output_mask is None  # global average pooling consumed it
    _, tape = Sequential([Input((3,)), Dense(2)]).forward(np.ones((1, 3)))
    assert tape.output_mask is None


def test_padding_does_not_change_a_pooled_prediction():
    model = pooled_classifier()
    padded = model.predict(IDS)
    for row, ids in zip(padded, IDS):
        length = int((ids != 0).sum())
        short = Sequential([Input((length,)), *model.layers])
        np.testing.assert_allclose(short.predict(ids[None, :length])[0], row, rtol=1e-5, atol=1e-7)


def test_masked_mean_and_its_gradient():
    layer = GlobalAveragePooling1D(dtype="float64")
    x = np.random.default_rng(0).normal(size=(3, 5, 2))
    mask = IDS != 0
    y, cache = layer.forward(x, mask=mask)
    expected = [x[n, mask[n]].mean(axis=0) for n in range(3)]
    np.testing.assert_allclose(y, expected)
    dx, _ = layer.backward(np.ones_like(y), cache)
    np.testing.assert_array_equal(dx[~mask], 0.0)

    def forward(x):
        return layer.forward(x, mask=mask)[0]

    def backward(dy, x):
        return layer.backward(dy, layer.forward(x, mask=mask)[1])[0]

    with floatx_scope("float64"):
        assert check_gradients((forward, backward), x).passed


def test_a_fully_masked_sample_gives_zeros_not_nan():
    layer = GlobalAveragePooling1D()
    y, cache = layer.forward(np.ones((2, 3, 2), "float32"),
                             mask=np.array([[False] * 3, [True, False, False]]))
    np.testing.assert_array_equal(y, [[0, 0], [1, 1]])
    assert np.isfinite(layer.backward(np.ones_like(y), cache)[0]).all()


def test_a_layer_without_mask_support_drops_it_with_a_warning():
    set_random_seed(0)
    model = Sequential([Input((5,)), Embedding(8, 3, mask_zero=True, name="emb"),
                        Flatten(name="flat_here"), Dense(2)])
    with pytest.warns(UserWarning, match="Flatten 'flat_here' does not support masking"):
        _, tape = model.forward(model.prepare(IDS))
    assert tape.output_mask is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mask, no warning
        Sequential([Input((5,)), Flatten(), Dense(2)]).predict(np.ones((1, 5)))


def test_the_loss_averages_over_real_steps_only():
    model = tagger()
    model.compile(optimizer=SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    labels = np.array([[1, 2, 3, 0, 0], [2, 0, 0, 0, 0], [0, 1, 2, 3, 1]])
    probabilities = model.predict(IDS)
    per_step = -np.log(np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0])
    mask = IDS != 0
    expected = per_step[mask].mean()
    loss, accuracy = model.evaluate(IDS, labels, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert per_step.mean() != pytest.approx(expected, rel=1e-3)
    right = probabilities.argmax(axis=-1) == labels
    assert accuracy == pytest.approx(right[mask].mean(), rel=1e-6)


def test_padded_steps_send_no_gradient():
    model = tagger()
    loss_fn = SparseCategoricalCrossentropy()
    labels = np.ones_like(IDS)
    y_pred, tape = model.forward(model.prepare(IDS), training=True)
    _, cache = loss_fn.forward(labels, y_pred, mask=tape.output_mask)
    d_pred = loss_fn.backward(1.0, cache)
    np.testing.assert_array_equal(d_pred[IDS == 0], 0.0)
    _, grads = model.backward(d_pred, tape, need_dx=False)
    embedding = model.layers[0].name
    np.testing.assert_array_equal(grads[f"{embedding}.embeddings"][0], 0.0)  # padding id
    assert np.abs(grads[f"{embedding}.embeddings"][1:]).sum() > 0


def test_fit_uses_the_mask():
    model = tagger()
    model.compile(optimizer=SGD(0.5), loss="sparse_categorical_crossentropy")
    labels = np.where(IDS == 0, 3, 1)  # padded steps say 3, real steps say 1
    model.fit(IDS, labels, epochs=30, batch_size=3, verbose=0)
    predicted = model.predict(IDS).argmax(axis=-1)
    np.testing.assert_array_equal(predicted[IDS != 0], 1)
    assert not np.any(predicted[IDS == 0] == 3)  # the padded targets were never learned


def test_functional_model_with_two_outputs_keeps_each_mask():
    set_random_seed(0)
    ids = Input((5,))
    vectors = Embedding(8, 3, mask_zero=True)(ids)
    model = Model(ids, [Dense(2)(vectors), GlobalAveragePooling1D()(vectors)])
    _, tape = model.forward(model.prepare(IDS))
    np.testing.assert_array_equal(tape.output_mask[0], IDS != 0)
    assert tape.output_mask[1] is None

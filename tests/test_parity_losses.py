"""Losses against Keras 3 (on PyTorch) and PyTorch: values and gradients, in float64.

Keras is the reference for nnlib's semantics: its losses run here on the
PyTorch backend, and their gradient wrt the prediction comes from PyTorch's
autograd through Keras's own code (clipping, renormalisation, reductions,
sample weights, masks).  PyTorch's ``torch.nn.functional`` losses are a
second, independent implementation, compared where the two frameworks agree
(PyTorch neither clips nor renormalises probabilities).

Keras 3.15's PyTorch backend performs the final division of the mean
reductions in float32 even for float64 losses, so agreement there is to
about 1e-7; the tolerance is 1e-6 relative.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from keras.src.backend.common.masking import set_keras_mask  # noqa: E402

from nnlib import losses  # noqa: E402

RTOL, ATOL = 1e-6, 1e-12
RNG = np.random.default_rng(0)


def probabilities(shape, rng=RNG):
    return np.exp(losses.log_softmax(rng.normal(size=shape)))


def binary_probabilities(shape, rng=RNG):
    return rng.uniform(0.05, 0.95, size=shape)


def labels01(shape, rng=RNG):
    return rng.integers(0, 2, size=shape).astype(float)


def one_hot(labels, k):
    return np.eye(k)[labels]


def hinge_inputs(labels):
    """Scores whose margins y * y_pred stay at least 0.1 away from the kink at 1."""
    signs = np.where(labels == 1, 1.0, -1.0) if set(np.unique(labels)) <= {0.0, 1.0} else labels
    margin = 1 + RNG.choice([-1.0, 1.0], size=labels.shape) * RNG.uniform(0.1, 2.0, labels.shape)
    return labels, signs * margin


SPARSE = RNG.integers(0, 4, size=5)
TOKENS = RNG.integers(0, 4, size=(3, 4))

# (id, nnlib class, keyword arguments, y_true, y_pred): a case for each formula,
# option and clipping regime.
CASES = [
    ("mse", losses.MeanSquaredError, {}, RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))),
    ("mse-sequence", losses.MeanSquaredError, {}, RNG.normal(size=(3, 4, 2)),
     RNG.normal(size=(3, 4, 2))),
    ("mse-rank-1-labels", losses.MeanSquaredError, {}, RNG.normal(size=5),
     RNG.normal(size=(5, 1))),
    ("mae", losses.MeanAbsoluteError, {}, RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))),
    ("huber", losses.Huber, {}, RNG.normal(size=(5, 3)), 2 * RNG.normal(size=(5, 3))),
    ("huber-delta-0.3", losses.Huber, {"delta": 0.3}, RNG.normal(size=(5, 3)),
     RNG.normal(size=(5, 3))),
    ("log_cosh", losses.LogCosh, {}, RNG.normal(size=(5, 3)), 3 * RNG.normal(size=(5, 3))),
    ("log_cosh-large-errors", losses.LogCosh, {}, np.zeros((2, 3)),
     np.array([[50.0, -50.0, 1e4], [-1e4, 0.0, 700.0]])),
    ("bce", losses.BinaryCrossentropy, {}, labels01((5, 3)), binary_probabilities((5, 3))),
    ("bce-soft-labels", losses.BinaryCrossentropy, {}, RNG.uniform(size=(5, 3)),
     binary_probabilities((5, 3))),
    ("bce-smoothing", losses.BinaryCrossentropy, {"label_smoothing": 0.2}, labels01((5, 3)),
     binary_probabilities((5, 3))),
    ("bce-clipped", losses.BinaryCrossentropy, {}, np.array([[0.0, 1.0, 1.0, 0.0]]),
     np.array([[0.0, 1.0, 0.0, 1.0]])),
    ("bce-logits", losses.BinaryCrossentropy, {"from_logits": True}, labels01((5, 3)),
     3 * RNG.normal(size=(5, 3))),
    ("bce-logits-smoothing", losses.BinaryCrossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, labels01((5, 3)), RNG.normal(size=(5, 3))),
    ("bce-logits-extreme", losses.BinaryCrossentropy, {"from_logits": True},
     np.array([[0.0, 1.0, 1.0, 0.0]]), np.array([[-1e4, 1e4, -1e4, 1e4]])),
    ("bce-axis-0", losses.BinaryCrossentropy, {"axis": 0}, labels01((5, 3)),
     binary_probabilities((5, 3))),
    ("cce", losses.CategoricalCrossentropy, {}, one_hot(SPARSE, 4), probabilities((5, 4))),
    ("cce-unnormalised", losses.CategoricalCrossentropy, {}, one_hot(SPARSE, 4),
     RNG.uniform(0.1, 2.0, size=(5, 4))),
    ("cce-smoothing", losses.CategoricalCrossentropy, {"label_smoothing": 0.3},
     one_hot(SPARSE, 4), probabilities((5, 4))),
    ("cce-clipped", losses.CategoricalCrossentropy, {},
     np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]]),
     np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])),
    ("cce-logits", losses.CategoricalCrossentropy, {"from_logits": True}, one_hot(SPARSE, 4),
     3 * RNG.normal(size=(5, 4))),
    ("cce-logits-soft-smoothing", losses.CategoricalCrossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, probabilities((5, 4)),
     RNG.normal(size=(5, 4))),
    ("cce-logits-extreme", losses.CategoricalCrossentropy, {"from_logits": True},
     np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]), np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])),
    ("cce-axis-1", losses.CategoricalCrossentropy, {"axis": 1},
     np.moveaxis(one_hot(TOKENS, 4), -1, 1), RNG.uniform(0.1, 1.0, size=(3, 4, 4))),
    ("sparse", losses.SparseCategoricalCrossentropy, {}, SPARSE, probabilities((5, 4))),
    ("sparse-column-labels", losses.SparseCategoricalCrossentropy, {}, SPARSE[:, None],
     RNG.uniform(0.1, 2.0, size=(5, 4))),
    ("sparse-clipped", losses.SparseCategoricalCrossentropy, {}, np.array([0, 2]),
     np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])),
    ("sparse-logits", losses.SparseCategoricalCrossentropy, {"from_logits": True}, SPARSE,
     3 * RNG.normal(size=(5, 4))),
    ("sparse-logits-sequence", losses.SparseCategoricalCrossentropy, {"from_logits": True},
     TOKENS, RNG.normal(size=(3, 4, 4))),
    ("sparse-ignore-class", losses.SparseCategoricalCrossentropy,
     {"from_logits": True, "ignore_class": 0}, TOKENS, RNG.normal(size=(3, 4, 4))),
    ("sparse-axis-1", losses.SparseCategoricalCrossentropy, {"from_logits": True, "axis": 1},
     TOKENS, RNG.normal(size=(3, 4, 4))),
    ("kld", losses.KLDivergence, {}, probabilities((5, 4)), probabilities((5, 4))),
    ("kld-clipped", losses.KLDivergence, {}, np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]),
     np.array([[0.0, 0.7, 0.3], [0.0, 1.0, 1.5]])),
    ("hinge-01-labels", losses.Hinge, {}, *hinge_inputs(labels01((5, 3)))),
    ("hinge-pm1-labels", losses.Hinge, {}, *hinge_inputs(RNG.choice([-1.0, 1.0], (5, 3)))),
]

KERAS_CLASSES = {
    losses.MeanSquaredError: keras.losses.MeanSquaredError,
    losses.MeanAbsoluteError: keras.losses.MeanAbsoluteError,
    losses.Huber: keras.losses.Huber,
    losses.LogCosh: keras.losses.LogCosh,
    losses.BinaryCrossentropy: keras.losses.BinaryCrossentropy,
    losses.CategoricalCrossentropy: keras.losses.CategoricalCrossentropy,
    losses.SparseCategoricalCrossentropy: keras.losses.SparseCategoricalCrossentropy,
    losses.KLDivergence: keras.losses.KLDivergence,
    losses.Hinge: keras.losses.Hinge,
}


def nnlib_result(cls, kwargs, y_true, y_pred, upstream, **weights):
    loss = cls(dtype="float64", **kwargs)
    value, cache = loss.forward(y_true, y_pred, weights.get("sample_weight"), weights.get("mask"))
    return value, loss.backward(upstream, cache)


def keras_result(cls, kwargs, y_true, y_pred, upstream, sample_weight=None, mask=None):
    """Keras's value and PyTorch's autograd gradient of ``sum(value * upstream)``."""
    loss = KERAS_CLASSES[cls](dtype="float64", **kwargs)
    pred = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    if mask is not None:
        set_keras_mask(pred, torch.tensor(mask))
    value = loss(torch.tensor(y_true), pred, sample_weight=sample_weight)
    (value.double() * torch.tensor(upstream).reshape(value.shape)).sum().backward()
    return value.detach().double().numpy(), pred.grad.numpy()


def upstream_for(cls, kwargs, y_true, y_pred):
    """A random upstream gradient shaped like the loss's value."""
    shape = np.shape(cls(dtype="float64", **kwargs)(y_true, y_pred))
    return RNG.uniform(0.5, 1.5, size=shape)


def assert_same(ours, theirs):
    for mine, reference in zip(ours, theirs):
        assert np.shape(mine) == np.shape(reference)
        np.testing.assert_allclose(mine, reference, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, cls, kwargs, y_true, y_pred", CASES, ids=[c[0] for c in CASES])
def test_value_and_gradient_match_keras(name, cls, kwargs, y_true, y_pred):
    upstream = RNG.uniform(0.5, 1.5)
    ours = nnlib_result(cls, kwargs, y_true, y_pred, upstream)
    assert np.all(np.isfinite(ours[1]))
    assert_same(ours, keras_result(cls, kwargs, y_true, y_pred, upstream))


REDUCTIONS = ["sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"]
# One case of each class, then every reduction under every kind of weighting.
BY_CLASS = {case[1]: case for case in reversed(CASES) if "-" not in case[0]}
N = 5
WEIGHTINGS = {
    "unweighted": {},
    "weights-(n,)": {"sample_weight": RNG.uniform(0, 2, size=N)},
    "weights-(n,1)": {"sample_weight": RNG.uniform(0, 2, size=(N, 1))},
    "weights-scalar": {"sample_weight": 0.7},
    "mask": {"mask": np.array([True, False, True, True, False])},
    "mask-and-weights": {"mask": np.array([True, True, False, True, False]),
                         "sample_weight": RNG.uniform(0, 2, size=N)},
    "all-masked": {"mask": np.zeros(N, dtype=bool)},
}


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", BY_CLASS, ids=lambda cls: cls.__name__)
def test_reductions_weights_and_masks_match_keras(cls, reduction, weighting):
    _, _, kwargs, y_true, y_pred = BY_CLASS[cls]
    kwargs = {**kwargs, "reduction": reduction}
    upstream = upstream_for(cls, kwargs, y_true, y_pred)
    weights = WEIGHTINGS[weighting]
    ours = nnlib_result(cls, kwargs, y_true, y_pred, upstream, **weights)
    theirs = keras_result(cls, kwargs, y_true, y_pred, upstream, **weights)
    if reduction == "mean_with_sample_weight" and weighting == "weights-scalar":
        # Keras divides by the scalar itself, not by the sum of the weights it
        # gave every sample: n times the weighted mean.  nnlib gives the mean.
        theirs = tuple(t / N for t in theirs)
    if reduction == "none" and weighting == "weights-(n,1)":
        # Keras returns the per-sample losses as (n, 1) here; nnlib keeps (n,).
        assert theirs[0].shape == (N, 1) and ours[0].shape == (N,)
        theirs = (theirs[0][:, 0], theirs[1])
    assert_same(ours, theirs)


SEQUENCE_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse-sequence", "sparse-logits-sequence",
                                  "sparse-ignore-class"])
def test_masked_sequences_match_keras(name, reduction):
    _, cls, kwargs, y_true, y_pred = next(c for c in CASES if c[0] == name)
    kwargs = {**kwargs, "reduction": reduction}
    upstream = upstream_for(cls, kwargs, y_true, y_pred)
    weights = {"mask": SEQUENCE_MASK, "sample_weight": RNG.uniform(0, 2, size=(3, 4))}
    assert_same(nnlib_result(cls, kwargs, y_true, y_pred, upstream, **weights),
                keras_result(cls, kwargs, y_true, y_pred, upstream, **weights))


# -- PyTorch, where it computes the same thing ---------------------------------------

def torch_result(function, y_true, y_pred, upstream=1.0, **kwargs):
    pred = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    value = function(pred, torch.as_tensor(y_true), **kwargs)
    (value * upstream).sum().backward()
    return value.detach().numpy(), pred.grad.numpy()


TORCH_CASES = [
    ("mse", losses.MeanSquaredError(dtype="float64"), F.mse_loss, {}),
    ("mae", losses.MeanAbsoluteError(dtype="float64"), F.l1_loss, {}),
    ("huber", losses.Huber(dtype="float64"), F.huber_loss, {"delta": 1.0}),
    ("huber-delta-0.3", losses.Huber(0.3, dtype="float64"), F.huber_loss, {"delta": 0.3}),
    ("bce", losses.BinaryCrossentropy(dtype="float64"), F.binary_cross_entropy, {}),
    ("bce-logits", losses.BinaryCrossentropy(from_logits=True, dtype="float64"),
     F.binary_cross_entropy_with_logits, {}),
    ("bce-logits-extreme", losses.BinaryCrossentropy(from_logits=True, dtype="float64"),
     F.binary_cross_entropy_with_logits, {}),
    ("cce-logits", losses.CategoricalCrossentropy(from_logits=True, dtype="float64"),
     F.cross_entropy, {}),
    ("cce-logits-soft-smoothing",
     losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, dtype="float64"),
     F.cross_entropy, {"label_smoothing": 0.1}),
    ("sparse-logits", losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64"),
     F.cross_entropy, {}),
    # Keras rescales probabilities to sum to one, which changes the gradient
    # (not the value) even when they already do: PyTorch is given the same step.
    ("sparse", losses.SparseCategoricalCrossentropy(dtype="float64"),
     lambda p, t: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), t), {}),
    ("cce-unnormalised", losses.CategoricalCrossentropy(dtype="float64"),
     lambda p, t: F.cross_entropy(torch.log(p), t), {}),
    ("kld", losses.KLDivergence(dtype="float64"),
     lambda q, p: F.kl_div(torch.log(q), p, reduction="batchmean"), {}),
]


@pytest.mark.parametrize("name, loss, function, kwargs", TORCH_CASES,
                         ids=[c[0] for c in TORCH_CASES])
def test_value_and_gradient_match_pytorch(name, loss, function, kwargs):
    _, _, _, y_true, y_pred = next(c for c in CASES if c[0] == name)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y_true = torch.as_tensor(y_true, dtype=torch.long)
    value, cache = loss.forward(y_true, y_pred)
    assert_same((value, loss.backward(1.0, cache)), torch_result(function, y_true, y_pred,
                                                                 **kwargs))


def test_pytorch_neither_clips_nor_renormalises_where_keras_does():
    """The two references part ways on probabilities; nnlib follows Keras."""
    _, _, _, y_true, y_pred = next(c for c in CASES if c[0] == "cce-unnormalised")
    ours = losses.CategoricalCrossentropy(dtype="float64")(y_true, y_pred)
    keras_value, _ = keras_result(losses.CategoricalCrossentropy, {}, y_true, y_pred, 1.0)
    torch_value, _ = torch_result(lambda p, t: -(t * torch.log(p)).sum(-1).mean(), y_true, y_pred)
    np.testing.assert_allclose(ours, keras_value, rtol=RTOL)
    assert abs(float(ours) - float(torch_value)) > 0.1
    # Clipping: PyTorch's binary cross-entropy caps log(0) at -100, Keras clips p to 1e-7.
    y_true, y_pred = np.array([[1.0]]), np.array([[0.0]])
    torch_bce, _ = torch_result(F.binary_cross_entropy, y_true, y_pred)
    assert float(torch_bce) == pytest.approx(100.0)
    ours = losses.BinaryCrossentropy(dtype="float64")(y_true, y_pred)
    assert float(ours) == pytest.approx(-np.log(1e-7))


# -- where nnlib departs from Keras on purpose ---------------------------------------

def test_categorical_crossentropy_of_an_all_zero_row():
    """A ReLU output of zeros: Keras divides by the zero sum and returns NaN; nnlib
    gives the loss of a zero probability for the true class, -log(1e-7), and a
    zero gradient (the clip is active everywhere)."""
    y_true, y_pred = np.array([[0.0, 1.0, 0.0]]), np.zeros((1, 3))
    keras_value, _ = keras_result(losses.CategoricalCrossentropy, {}, y_true, y_pred, 1.0)
    assert np.isnan(keras_value)
    value, grad = nnlib_result(losses.CategoricalCrossentropy, {}, y_true, y_pred, 1.0)
    assert float(value) == pytest.approx(-np.log(1e-7))
    np.testing.assert_array_equal(grad, 0.0)


def test_float16_binary_crossentropy_at_one():
    """1 - 1e-7 rounds to 1 in float16: Keras's float16 loss takes log(0), which
    PyTorch clamps to -100 (other backends give inf or NaN).  nnlib computes a
    float16 loss in float32, so it gives Keras's float32 value, rounded."""
    y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])
    keras16 = float(keras.losses.BinaryCrossentropy(dtype="float16")(y_true, y_pred))
    keras32 = float(keras.losses.BinaryCrossentropy(dtype="float32")(y_true, y_pred))
    assert keras16 == 50.0  # (100 + 0) / 2
    ours = losses.BinaryCrossentropy(dtype="float16")(y_true, y_pred)
    assert ours.dtype == np.float16
    assert float(ours) == pytest.approx(keras32, rel=1e-3)


# (nnlib class, y_true, y_pred, what Keras does with them, nnlib's message)
REFUSED = [
    ("hinge-class-indices", losses.Hinge, np.array([[0.0], [1.0], [2.0]]), np.full((3, 1), 0.5),
     "takes them as they are", "labels must be -1 or 1"),
    ("bce-class-indices", losses.BinaryCrossentropy, np.arange(4.0)[:, None] * 3,
     np.full((4, 1), 0.5), "PyTorch raises", "use sparse_categorical_crossentropy"),
    ("bce-scores", losses.BinaryCrossentropy, np.array([[1.0, 0.0]]), np.array([[3.0, -2.0]]),
     "clips them", "use from_logits=True"),
    ("cce-scores", losses.CategoricalCrossentropy, np.eye(3)[[0, 1]],
     np.array([[-1.0, 2.0, 0.5], [0.3, -0.2, 1.0]]), "rescales and clips them",
     "use from_logits=True"),
    ("kld-scores", losses.KLDivergence, np.eye(3)[[0, 1]],
     np.array([[-1.0, 2.0, 0.5], [0.3, -0.2, 1.0]]), "clips them", "apply a softmax first"),
]


@pytest.mark.parametrize("name, cls, y_true, y_pred, keras_does, message", REFUSED,
                         ids=[case[0] for case in REFUSED])
def test_values_outside_the_domain_keras_takes_are_refused(name, cls, y_true, y_pred,
                                                            keras_does, message):
    if keras_does == "PyTorch raises":  # Keras's other backends compute a loss
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            keras_result(cls, {}, y_true, y_pred, 1.0)
    else:
        keras_value, _ = keras_result(cls, {}, y_true, y_pred, 1.0)
        assert np.isfinite(keras_value)
    with pytest.raises(ValueError, match=message):
        cls(dtype="float64")(y_true, y_pred)

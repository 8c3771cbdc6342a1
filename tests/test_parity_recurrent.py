"""Parity of the recurrent layers with Keras 3 (on PyTorch) and with PyTorch itself:
outputs, returned states, and the gradients of the input, the initial states
and every weight, with weights copied across, in float32 to a relative
tolerance of 1e-5 (of the largest reference value).

Keras is the oracle for its own semantics (layouts, ``reset_after`` both ways,
masks, ``go_backwards``, ``return_state``, ``initial_state``, Bidirectional's
merge modes and masked zeros).  PyTorch agrees where its layers compute the
same thing: ``nn.LSTM`` (gates i, f, g, o: Keras's order, weights transposed,
two biases), ``nn.GRU`` (gates r, z, n and Keras's ``reset_after=True`` form)
and ``nn.RNN``, without masks; ``go_backwards`` is PyTorch on the reversed
sequence."""
import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nnlib.layers import GRU, LSTM, Bidirectional, SimpleRNN  # noqa: E402
from nnlib.layers import Embedding as NNEmbedding  # noqa: E402
from nnlib.models import Input, Sequential  # noqa: E402
from parity import close, numpy  # noqa: E402

OURS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}
CASES = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False})]
CASE_IDS = ["SimpleRNN", "LSTM", "GRU", "GRU-reset_before"]
FLAGS = list(itertools.product([False, True], repeat=3))
FLAG_IDS = [f"seq={s}-state={r}-back={b}" for s, r, b in FLAGS]
MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 0, 1, 0, 1]], bool)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def upstream_for(outputs, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=tuple(y.shape)).astype("float32") for y in as_list(outputs)]


def run_keras(layer, x, states=None, mask=None):
    """Keras's outputs, and for random upstream gradients the gradients of the
    input, the initial states and each weight (in ``layer.weights`` order)."""
    x_t = torch.tensor(x, requires_grad=True)
    states_t = None if states is None else [torch.tensor(s, requires_grad=True)
                                           for s in states]
    keywords = {} if states is None else {"initial_state": states_t}
    if mask is not None:
        keywords["mask"] = torch.tensor(mask)
    outputs = as_list(layer(x_t, **keywords))
    dys = upstream_for(outputs)
    sum((y * torch.tensor(dy)).sum() for y, dy in zip(outputs, dys)).backward()
    return ([numpy(y) for y in outputs], numpy(x_t.grad),
            [numpy(s.grad) for s in states_t or []], [numpy(w.value.grad) for w in layer.weights],
            dys)


def run_nnlib(layer, x, dys, states=None, mask=None):
    keywords = {} if states is None else {"initial_state": states}
    if mask is not None:
        keywords["mask"] = mask
    outputs, cache, _ = layer.run_forward(layer.prepare(x), **keywords)
    d_in, grads = layer.run_backward(dys if isinstance(outputs, tuple) else dys[0], cache)
    dx, d_states = (d_in["inputs"], d_in["initial_state"]) if states is not None else (d_in, [])
    return as_list(outputs), dx, d_states, [grads[path] for path in layer.named_weights()]


def check_against_keras(ours, theirs, x, states=None, mask=None):
    """Copy Keras's weights into ``ours`` and compare everything."""
    ys_k, dx_k, d_states_k, grads_k, dys = run_keras(theirs, x, states, mask)
    ours(x, **({} if states is None else {"initial_state": states}))  # build
    ours.set_weights([numpy(w.value) for w in theirs.weights])
    ys, dx, d_states, grads = run_nnlib(ours, x, dys, states, mask)
    assert len(ys) == len(ys_k) and len(grads) == len(grads_k)
    for actual, expected in zip([*ys, dx, *d_states, *grads],
                                [*ys_k, dx_k, *d_states_k, *grads_k], strict=True):
        close(actual, expected)


# -- Keras 3 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, extra", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("sequences, state, backwards", FLAGS, ids=FLAG_IDS)
def test_every_return_flag_and_direction_matches_keras(name, extra, sequences, state,
                                                       backwards, rng):
    options = dict(return_sequences=sequences, return_state=state, go_backwards=backwards,
                   **extra)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    states = [rng.normal(size=(3, 3)).astype("float32") for _ in range(2 if name == "LSTM"
                                                                         else 1)]
    check_against_keras(OURS[name](3, **options), getattr(keras.layers, name)(3, **options),
                        x, states)


@pytest.mark.parametrize("name, extra", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("backwards", [False, True])
def test_masks_match_keras(name, extra, backwards, rng):
    options = dict(return_sequences=True, return_state=True, go_backwards=backwards, **extra)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    check_against_keras(OURS[name](3, **options), getattr(keras.layers, name)(3, **options),
                        x, mask=MASK)


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_without_bias_and_with_other_activations_matches_keras(name, rng):
    options = dict(activation="relu", use_bias=False, return_sequences=True)
    if name != "SimpleRNN":
        options["recurrent_activation"] = "hard_sigmoid"
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    check_against_keras(OURS[name](4, **options), getattr(keras.layers, name)(4, **options), x)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_bidirectional_matches_keras(merge_mode, name, rng):
    """Every merge mode, returning sequences and states, with initial states and
    a mask (Keras outputs zeros at the masked steps of both directions)."""
    options = dict(return_sequences=True, return_state=True)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    states = [rng.normal(size=(3, 3)).astype("float32")
              for _ in range(4 if name == "LSTM" else 2)]
    check_against_keras(Bidirectional(OURS[name](3, **options), merge_mode=merge_mode),
                        keras.layers.Bidirectional(getattr(keras.layers, name)(3, **options),
                                                   merge_mode=merge_mode),
                        x, states, MASK)


@pytest.mark.parametrize("sequences", [False, True])
def test_bidirectional_last_output_matches_keras(sequences, rng):
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    check_against_keras(Bidirectional(SimpleRNN(3, return_sequences=sequences)),
                        keras.layers.Bidirectional(keras.layers.SimpleRNN(
                            3, return_sequences=sequences)), x, mask=MASK)


def test_an_embedding_mask_reaches_the_recurrent_layers_as_in_keras():
    ids = np.array([[3, 1, 0, 0, 0], [2, 5, 4, 1, 3], [0, 0, 1, 2, 0]])
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(6, 3, mask_zero=True),
                               keras.layers.LSTM(4, return_sequences=True),
                               keras.layers.Bidirectional(keras.layers.GRU(2))])
    ours = Sequential([Input((5,)), NNEmbedding(6, 3, mask_zero=True),
                       LSTM(4, return_sequences=True), Bidirectional(GRU(2))])
    ours.set_weights([numpy(w.value) for w in theirs.weights])
    close(ours.predict(ids), numpy(theirs(torch.tensor(ids))))


def test_keras_names_the_same_weights():
    for ours, theirs in [(LSTM(3), keras.layers.LSTM(3)),
                         (GRU(3, reset_after=False), keras.layers.GRU(3, reset_after=False)),
                         (Bidirectional(SimpleRNN(3, name="rnn")),
                          keras.layers.Bidirectional(keras.layers.SimpleRNN(3, name="rnn")))]:
        ours(np.zeros((1, 2, 4)))
        theirs.build((None, 2, 4))
        expected = ["/".join(v.path.split("/")[1:]) for v in theirs.weights]
        assert [p.replace(".", "/") for p in ours.named_weights()] == expected
        assert [w.shape for w in ours.weights] == [tuple(v.shape) for v in theirs.weights]


# -- PyTorch ------------------------------------------------------------------------------------

def torch_weights(name, kernel, recurrent_kernel, bias):
    """``nn.LSTM``/``nn.GRU``/``nn.RNN`` parameters from Keras's layout:
    ``(weight_ih, weight_hh, bias_ih, bias_hh)``, transposed; GRU's blocks
    reordered from z, r, h to r, z, n."""
    if name == "GRU":
        def reorder(m):
            z, r, h = np.split(m, 3, axis=-1)
            return np.concatenate([r, z, h], axis=-1)
        kernel, recurrent_kernel, bias = map(reorder, (kernel, recurrent_kernel, bias))
        bias_ih, bias_hh = bias
    else:
        bias_ih, bias_hh = bias, np.zeros_like(bias)
    return [torch.tensor(np.ascontiguousarray(a), requires_grad=True)
            for a in (kernel.T, recurrent_kernel.T, bias_ih, bias_hh)]


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("backwards", [False, True])
def test_matches_pytorch(name, backwards, rng):
    ours = OURS[name](5, return_sequences=True, return_state=True, go_backwards=backwards)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    states = [rng.normal(size=(3, 5)).astype("float32") for _ in range(2 if name == "LSTM"
                                                                         else 1)]
    ours(x)
    weights = ours.get_weights()
    params = torch_weights(name, *weights)
    module = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[name](
        4, 5, batch_first=True)
    x_t = torch.tensor(np.ascontiguousarray(x[:, ::-1] if backwards else x), requires_grad=True)
    states_t = [torch.tensor(s[None], requires_grad=True) for s in states]
    ys_t, final = torch.func.functional_call(
        module, dict(zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], params)),
        (x_t, tuple(states_t) if name == "LSTM" else states_t[0]))
    finals_t = list(final) if name == "LSTM" else [final]
    outputs_t = [ys_t, *[f[0] for f in finals_t]]
    dys = upstream_for(outputs_t)
    sum((y * torch.tensor(dy)).sum() for y, dy in zip(outputs_t, dys)).backward()

    ys, dx, d_states, grads = run_nnlib(ours, x, dys, states)
    for actual, expected in zip(ys, outputs_t):
        close(actual, numpy(expected))
    close(dx, numpy(x_t.grad)[:, ::-1] if backwards else numpy(x_t.grad))
    for actual, expected in zip(d_states, states_t):
        close(actual, numpy(expected.grad)[0])
    expected = [numpy(p.grad) for p in params]
    if name == "GRU":
        def back_to_keras(m):
            r, z, h = np.split(m, 3, axis=-1)
            return np.concatenate([z, r, h], axis=-1)
        kernel, recurrent, b_ih, b_hh = (back_to_keras(e.T if e.ndim == 2 else e)
                                         for e in expected)
        expected = [kernel, recurrent, np.stack([b_ih, b_hh])]
    else:
        expected = [expected[0].T, expected[1].T, expected[2]]
        close(expected[2], numpy(params[3].grad))  # both biases get the same gradient
    for actual, e in zip(grads, expected, strict=True):
        close(actual, e)

"""Recurrent layers: SimpleRNN, LSTM, GRU and Bidirectional.

Gradients in float64 against central differences through every combination of
the return flags and the direction, through masks, initial states and
returned states; the semantics Keras 3 defines (masked steps, reversed
outputs, weight layouts and groups, initializers); an encoder-decoder trained
end to end; the arguments nnlib refuses.  Parity with Keras and PyTorch is in
tests/test_parity_recurrent.py."""
import itertools

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers import (GRU, LSTM, Bidirectional, Dense, Embedding, GRUCell, LSTMCell,
                          SimpleRNN, SimpleRNNCell)
from nnlib.models import Input, Model, Sequential
from nnlib.optimizers import SGD, Adam
from nnlib.saving import load_model
from nnlib.testing import check_gradients
from nnlib.utils import set_random_seed

TOLERANCE = 1e-6
FLAGS = list(itertools.product([False, True], repeat=3))  # return_sequences, return_state,
FLAG_IDS = [f"seq={s}-state={r}-back={b}" for s, r, b in FLAGS]  # go_backwards
LAYERS = [(SimpleRNN, {}), (LSTM, {}), (GRU, {}), (GRU, {"reset_after": False})]
LAYER_IDS = ["SimpleRNN", "LSTM", "GRU", "GRU-reset_before"]
# Step 2 of sample 0 and the first steps of sample 1 are padding; sample 2 is
# wholly masked (its state stays the initial one, its outputs stay zero).
MASK = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 0]], bool)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def states_for(cls, rng, batch=3, units=3):
    return [rng.normal(size=(batch, units)) for _ in range(2 if cls is LSTM else 1)]


def assert_gradients(layer, *inputs, **keywords):
    report = check_gradients(layer, *inputs, **keywords)
    assert report.max_relative_error < TOLERANCE, repr(report)
    return report


# -- gradients in float64 ----------------------------------------------------------------------

@pytest.mark.parametrize("cls, extra", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("sequences, state, backwards", FLAGS, ids=FLAG_IDS)
def test_gradients_through_every_return_flag_and_direction(cls, extra, sequences, state,
                                                           backwards, rng):
    """The input, the initial states and the weights, with a random upstream
    gradient on every output (the returned states included)."""
    with floatx_scope("float64"):
        layer = cls(3, return_sequences=sequences, return_state=state, go_backwards=backwards,
                    **extra)
        report = assert_gradients(layer, rng.normal(size=(3, 4, 2)),
                                  initial_state=states_for(cls, rng))
    checked = [row[0] for row in report.rows]
    assert checked[:2] == ["input", "initial_state_0"]
    assert checked[-3:] == [f"{layer.cell.name}.{w}" for w in ("kernel", "recurrent_kernel",
                                                               "bias")]


@pytest.mark.parametrize("cls, extra", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("zero_output", [False, True])
@pytest.mark.parametrize("backwards", [False, True])
def test_gradients_through_masked_steps(cls, extra, zero_output, backwards, rng):
    with floatx_scope("float64"):
        layer = cls(3, return_sequences=True, return_state=True, go_backwards=backwards,
                    zero_output_for_mask=zero_output, **extra)
        assert_gradients(layer, rng.normal(size=(3, 4, 2)), initial_state=states_for(cls, rng),
                         mask=MASK)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_gradients_without_bias_and_with_other_activations(cls, rng):
    extra = {} if cls is SimpleRNN else {"recurrent_activation": "hard_sigmoid"}
    with floatx_scope("float64"):
        layer = cls(3, activation="softsign", use_bias=False, return_sequences=True, **extra)
        report = assert_gradients(layer, rng.normal(size=(2, 5, 2)))
    assert [row[0] for row in report.rows][-1].endswith("recurrent_kernel")


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("sequences, state", list(itertools.product([False, True], repeat=2)))
def test_bidirectional_gradients(merge_mode, sequences, state, rng):
    with floatx_scope("float64"):
        layer = Bidirectional(LSTM(2, return_sequences=sequences, return_state=state),
                              merge_mode=merge_mode)
        states = [rng.normal(size=(3, 2)) for _ in range(4)]
        report = assert_gradients(layer, rng.normal(size=(3, 4, 2)), initial_state=states,
                                  mask=MASK)
    checked = [row[0] for row in report.rows]
    assert "initial_state_3" in checked
    assert f"{layer.backward_layer.name}.lstm_cell.kernel" in checked


def test_bidirectional_gru_gradients_without_keywords(rng):
    with floatx_scope("float64"):
        assert_gradients(Bidirectional(GRU(2, return_sequences=True), merge_mode="ave"),
                         rng.normal(size=(2, 4, 3)))


def test_gradients_through_an_embedding_mask_in_a_model(rng):
    """The executor hands the Embedding's mask to the LSTM; the loss sees the
    output's mask, the sequence's, passed on by the recurrent layer."""
    with floatx_scope("float64"):
        ids = Input((5,), dtype="int32")
        h = Embedding(6, 3, mask_zero=True)(ids)
        h = LSTM(3, return_sequences=True)(h)
        model = Model(ids, GRU(2)(h))
        x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 1, 2], [0, 0, 2, 3, 0]])
        assert_gradients(model, x)
        _, tape = model.forward(x)
    assert tape.output_mask is None  # the GRU consumed it


# -- the semantics -------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_go_backwards_reads_the_reversed_sequence_and_returns_it_reversed(cls, rng):
    set_random_seed(0)
    forwards = cls(4, return_sequences=True, return_state=True)
    backwards = cls(4, return_sequences=True, return_state=True, go_backwards=True)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    forwards(x)
    backwards(x)
    backwards.set_weights(forwards.get_weights())
    expected, got = forwards(x[:, ::-1]), backwards(x)
    for a, b in zip(expected, got):
        np.testing.assert_allclose(b, a, rtol=1e-6)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_a_masked_step_carries_the_state_and_repeats_the_output(cls, rng):
    layer = cls(4, return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    ys, *states = layer(x, mask=mask)
    np.testing.assert_array_equal(ys[0, 2], ys[0, 1])   # repeated
    np.testing.assert_array_equal(ys[0, 4], ys[0, 3])
    np.testing.assert_array_equal(ys[1, 0], 0)          # nothing before it
    np.testing.assert_array_equal(states[0][0], ys[0, 3])
    # A masked step is skipped: the same as the sequence without it.
    kept = layer(x[:1, [0, 1, 3]], mask=None)
    np.testing.assert_allclose(layer(x, mask=mask)[0][0, -1], kept[0][0, -1], rtol=1e-5)
    for s, k in zip(states, kept[1:]):
        np.testing.assert_allclose(s[0], k[0], rtol=1e-5)
    zeros = cls(4, return_sequences=True, zero_output_for_mask=True)
    zeros(x)
    zeros.set_weights(layer.get_weights())
    padded = zeros(x, mask=mask)
    np.testing.assert_array_equal(padded[~mask], 0)
    np.testing.assert_allclose(padded[mask], ys[mask], rtol=1e-6)


def test_a_wholly_masked_sequence_keeps_its_initial_state():
    layer = LSTM(2, return_state=True)
    h0, c0 = np.full((1, 2), 0.5, "float32"), np.full((1, 2), -0.25, "float32")
    y, h, c = layer(np.ones((1, 3, 4)), initial_state=[h0, c0], mask=np.zeros((1, 3), bool))
    np.testing.assert_array_equal(y, 0)  # no output was ever produced
    np.testing.assert_array_equal(h, h0)
    np.testing.assert_array_equal(c, c0)


def test_the_mask_follows_the_output_sequence_in_a_model():
    set_random_seed(0)
    ids = Input((4,))
    h = Embedding(5, 3, mask_zero=True)(ids)
    seq, last, state = LSTM(2, return_sequences=True, return_state=True)(h)[:3]
    model = Model(ids, [Dense(1)(seq), Dense(1)(last)])
    _, tape = model.forward(np.array([[1, 2, 0, 0]]))
    np.testing.assert_array_equal(tape.output_masks[0], [[True, True, False, False]])
    assert tape.output_masks[1] is None
    layer = LSTM(2, return_sequences=True, return_state=True)
    assert layer.compute_mask(None, MASK)[0] is MASK
    assert layer.compute_mask(None, MASK)[1:] == [None, None]
    assert LSTM(2).compute_mask(None, MASK) is None


def test_bidirectional_outputs_zeros_at_masked_steps_when_returning_sequences(rng):
    layer = Bidirectional(GRU(3, return_sequences=True), merge_mode=None)
    x = rng.normal(size=(3, 4, 2)).astype("float32")
    forward, backward = layer(x, mask=MASK)
    for y in (forward, backward):
        np.testing.assert_array_equal(y[~MASK], 0)
        assert np.all(np.abs(y[MASK]) > 0)
    assert layer.forward_layer.zero_output_for_mask and layer.backward_layer.zero_output_for_mask
    last = Bidirectional(GRU(3))
    assert not last.forward_layer.zero_output_for_mask


def test_bidirectional_merges_the_two_directions(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    both = Bidirectional(LSTM(4, return_sequences=True), merge_mode=None)
    y_f, y_b = both(x)
    alone = LSTM(4, return_sequences=True, go_backwards=True)
    alone(x)
    alone.set_weights(both.backward_layer.get_weights())
    np.testing.assert_allclose(y_b, alone(x)[:, ::-1], rtol=1e-6)  # reversed back
    for mode, expected in [("concat", np.concatenate([y_f, y_b], -1)), ("sum", y_f + y_b),
                           ("mul", y_f * y_b), ("ave", (y_f + y_b) / 2)]:
        merged = Bidirectional(LSTM(4, return_sequences=True), merge_mode=mode)
        merged(x)
        merged.set_weights(both.get_weights())
        np.testing.assert_allclose(merged(x), expected, rtol=1e-6, atol=1e-7)


def test_bidirectional_splits_initial_states_and_returns_both(rng):
    layer = Bidirectional(LSTM(2, return_state=True))
    x = rng.normal(size=(3, 4, 5)).astype("float32")
    states = [rng.normal(size=(3, 2)).astype("float32") for _ in range(4)]
    y, h_f, c_f, h_b, c_b = layer(x, initial_state=states)
    assert y.shape == (3, 4)
    _, h, c = layer.forward_layer(x, initial_state=states[:2])
    np.testing.assert_array_equal(h_f, h)
    _, h, c = layer.backward_layer(x, initial_state=states[2:])
    np.testing.assert_array_equal(c_b, c)
    assert layer.compute_output_shape((None, 4, 5)) == [(None, 4)] + [(None, 2)] * 4


# -- layouts, names and initial values -------------------------------------------------------

def test_weights_live_in_the_cell_with_keras_s_paths_and_groups():
    set_random_seed(0)
    x = Input((6, 3))
    h = LSTM(4, return_sequences=True, name="lstm")(x)
    model = Model(x, Dense(1)(Bidirectional(GRU(2, name="gru"), name="bidirectional")(h)))
    entries = [(path, key, w.shape) for path, key, w, _ in model.weight_entries()]
    assert entries[:3] == [("lstm.lstm_cell.kernel", "layers/lstm/cell/kernel", (3, 16)),
                           ("lstm.lstm_cell.recurrent_kernel",
                            "layers/lstm/cell/recurrent_kernel", (4, 16)),
                           ("lstm.lstm_cell.bias", "layers/lstm/cell/bias", (16,))]
    assert entries[3] == ("bidirectional.forward_gru.gru_cell.kernel",
                          "layers/bidirectional/forward_layer/cell/kernel", (4, 6))
    assert entries[8] == ("bidirectional.backward_gru.gru_cell.bias",
                          "layers/bidirectional/backward_layer/cell/bias", (2, 6))
    assert isinstance(model.layers[1].cell, LSTMCell)
    assert model.layers[1].cell.name == "lstm_cell"


def test_cells_are_named_as_keras_names_them():
    assert isinstance(SimpleRNN(2).cell, SimpleRNNCell) and SimpleRNN(2).cell.name == \
        "simple_rnn_cell"
    assert isinstance(GRU(2).cell, GRUCell) and GRU(2).cell.name == "gru_cell"
    assert GRU(2).cell.state_size == [2] and LSTM(2).cell.state_size == [2, 2]


def test_bidirectional_names_its_copies_as_keras_does():
    both = Bidirectional(LSTM(2, name="encoder"))
    assert (both.forward_layer.name, both.backward_layer.name) == ("forward_encoder",
                                                                   "backward_encoder")
    assert both.backward_layer.go_backwards and not both.forward_layer.go_backwards
    again = Bidirectional(LSTM(2, name="forward_x"))
    assert (again.forward_layer.name, again.backward_layer.name) == ("forward_x",
                                                                     "backward_forward_x")


@pytest.mark.parametrize("cls, gates", [(SimpleRNN, 1), (LSTM, 4), (GRU, 3)])
def test_initial_weights_follow_keras(cls, gates):
    set_random_seed(0)
    layer = cls(8)
    layer(np.zeros((2, 3, 5)))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (5, gates * 8) and recurrent.shape == (8, gates * 8)
    # glorot_uniform: within sqrt(6 / (fan_in + fan_out))
    assert np.abs(kernel).max() <= np.sqrt(6 / (5 + gates * 8))
    # orthogonal: the recurrent kernel's rows are orthonormal
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(8), atol=1e-5)
    expected = np.zeros(bias.shape)
    if cls is LSTM:
        expected[8:16] = 1  # unit_forget_bias: the forget gate's block
    np.testing.assert_array_equal(bias, expected)


def test_unit_forget_bias_and_reset_after_choose_the_bias():
    lstm = LSTM(3, unit_forget_bias=False, bias_initializer="ones")
    lstm(np.zeros((1, 2, 2)))
    np.testing.assert_array_equal(lstm.cell.bias.value, np.ones(12))
    lstm = LSTM(3, bias_initializer="ones")  # the forget block is 1 either way
    lstm(np.zeros((1, 2, 2)))
    np.testing.assert_array_equal(lstm.cell.bias.value, np.ones(12))
    for reset_after, shape in [(True, (2, 9)), (False, (9,))]:
        gru = GRU(3, reset_after=reset_after)
        gru(np.zeros((1, 2, 2)))
        assert gru.cell.bias.shape == shape


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_output_shapes_for_every_flag(cls):
    states = 2 if cls is LSTM else 1
    for sequences, state, backwards in FLAGS:
        layer = cls(4, return_sequences=sequences, return_state=state, go_backwards=backwards)
        ys = layer(np.ones((2, 5, 3)))
        output = (2, 5, 4) if sequences else (2, 4)
        expected = [output] + [(2, 4)] * states if state else output
        assert layer.compute_output_shape((2, 5, 3)) == expected
        assert ([y.shape for y in ys] if state else ys.shape) == expected


# -- the encoder-decoder ---------------------------------------------------------------------

def encoder_decoder(units=4, features=3, steps=(5, 4)):
    """``[x, y] -> out``: the encoder's final states start the decoder."""
    x, y = Input((steps[0], features), name="x"), Input((steps[1], features), name="y")
    _, h, c = LSTM(units, return_state=True, name="encoder")(x)
    decoded = LSTM(units, return_sequences=True, name="decoder")(y, initial_state=[h, c])
    return Model([x, y], Dense(features, name="head")(decoded))


def test_encoder_decoder_gradients_flow_through_the_states(rng):
    with floatx_scope("float64"):
        set_random_seed(0)
        model = encoder_decoder(units=2, features=2, steps=(3, 3))
        report = assert_gradients(model, rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2)))
    rows = {row[0]: row for row in report.rows}
    assert {"input_0", "input_1", "encoder.lstm_cell.kernel"} <= set(rows)
    node = model.get_layer("decoder").inbound_nodes[0]
    assert list(node.keywords) == ["initial_state"]


def test_encoder_decoder_learns_to_repeat_the_encoded_sequence(rng):
    """The decoder sees only zeros: what it outputs comes through the states."""
    set_random_seed(0)
    model = encoder_decoder(units=16, features=2, steps=(4, 4))
    model.compile(Adam(0.02), "mse")
    x = rng.normal(size=(64, 4, 2)).astype("float32")
    zeros = np.zeros_like(x)
    history = model.fit([x, zeros], x[:, ::-1], epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_an_encoder_decoder_saves_and_loads(tmp_path, rng):
    set_random_seed(0)
    model = encoder_decoder()
    model.compile(SGD(0.1), "mse")
    x, y = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 4, 3))
    model.train_on_batch([x, y], rng.normal(size=(4, 4, 3)))
    model.save(tmp_path / "seq2seq.nnlib")
    loaded = load_model(tmp_path / "seq2seq.nnlib")
    np.testing.assert_array_equal(loaded.predict([x, y]), model.predict([x, y]))
    assert list(loaded.named_weights())[:2] == ["encoder.lstm_cell.kernel",
                                                "encoder.lstm_cell.recurrent_kernel"]


def test_a_bidirectional_model_saves_and_loads(tmp_path, rng):
    set_random_seed(0)
    custom = GRU(3, go_backwards=True, return_sequences=True, reset_after=False, name="custom")
    model = Sequential([Input((5, 2)),
                        Bidirectional(GRU(3, return_sequences=True), backward_layer=custom),
                        Bidirectional(LSTM(2), merge_mode="sum"), Dense(1)])
    model.compile(Adam(0.01), "mse")
    x = rng.normal(size=(4, 5, 2))
    model.train_on_batch(x, rng.normal(size=(4, 1)))
    model.save(tmp_path / "bidirectional.nnlib")
    loaded = load_model(tmp_path / "bidirectional.nnlib")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.layers[0].backward_layer.name == "custom"
    assert not loaded.layers[0].backward_layer.reset_after


def test_keras_s_bidirectional_config_layout():
    config = Bidirectional(LSTM(2, name="lstm"), merge_mode="ave").get_config()
    assert config["layer"]["class_name"] == "LSTM"
    assert config["layer"]["config"]["name"] == "forward_lstm"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    assert config["merge_mode"] == "ave"


# -- arguments nnlib takes, refuses and checks ---------------------------------------------------

@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("argument, value", [("dropout", 0.2), ("recurrent_dropout", 0.1),
                                             ("stateful", True)])
def test_what_nnlib_does_not_implement_is_refused_not_ignored(cls, argument, value):
    with pytest.raises(ValueError, match=rf"'bad': {argument}={value!r} is not supported by "
                                         rf"nnlib \(only {argument}="):
        cls(3, name="bad", **{argument: value})
    config = cls(3).get_config()  # a Keras config with them set does not load silently
    with pytest.raises(ValueError, match="is not supported by nnlib"):
        cls.from_config({**config, argument: value})


def test_defaults_of_refused_arguments_and_unroll_are_accepted(rng):
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    plain = LSTM(3, dropout=0.0, recurrent_dropout=0, stateful=False, seed=7)
    unrolled = LSTM(3, unroll=True)
    plain(x)
    unrolled(x)
    unrolled.set_weights(plain.get_weights())
    np.testing.assert_array_equal(unrolled(x), plain(x))
    assert plain.get_config()["seed"] == 7 and unrolled.get_config()["unroll"] is True


@pytest.mark.parametrize("make, error, message", [
    (lambda: LSTM(0, name="bad"), ValueError, "LSTM 'bad': units must be a whole number >= 1"),
    (lambda: GRU(2.5, name="bad"), ValueError, "GRU 'bad': units must be a whole number"),
    (lambda: SimpleRNN("3", name="bad"), TypeError, "units must be a whole number"),
    (lambda: LSTM(2, activation="tahn"), ValueError, r"activation: .*did you mean 'tanh'"),
    (lambda: LSTM(2, recurrent_activation="softmax"), ValueError,
     "recurrent_activation must be an element-wise activation"),
    (lambda: GRU(2, reset_after="no"), TypeError, "reset_after must be True or False"),
    (lambda: SimpleRNN(2, return_sequences=1), TypeError, "return_sequences must be True"),
    (lambda: LSTM(2, go_backwards=None), TypeError, "go_backwards must be True or False"),
    (lambda: LSTM(2, recurrent_initializer="orthogonl"), ValueError,
     r"recurrent_initializer: unknown initializer 'orthogonl' \(did you mean"),
    (lambda: LSTM(2, dropout=1.5), ValueError, r"dropout must be a finite number in \[0, 1\]"),
    (lambda: LSTM(2, seed=-1), ValueError, "seed must be a whole number >= 0"),
    (lambda: Bidirectional(Dense(2)), TypeError, "layer must be a recurrent layer"),
    (lambda: Bidirectional(LSTM(2), merge_mode="add"), ValueError,
     r"merge_mode must be one of \('concat', 'sum', 'mul', 'ave'\), got 'add'"),
    (lambda: Bidirectional(LSTM(2), backward_layer=LSTM(2)), ValueError,
     "must read in opposite directions"),
    (lambda: Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True,
                                                         return_sequences=True)),
     ValueError, "the same return_sequences"),
    (lambda: Bidirectional(LSTM(2), merge_mode="sum",
                           backward_layer=LSTM(3, go_backwards=True)),
     ValueError, "needs outputs of one size"),
    (lambda: Bidirectional(LSTM(2), backward_layer=GRU(2, go_backwards=True)), TypeError,
     "backward_layer must be a layer like"),
])
def test_arguments_are_checked_when_given(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("call, message", [
    (lambda layer: layer(np.ones((2, 5))), r"expected one input of shape \(batch, steps, "
                                           r"features\)"),
    (lambda layer: layer(np.ones((2, 5, 4))), "expected input with last axis 3"),
    (lambda layer: layer(np.ones((2, 5, 3)), initial_state=[np.ones((2, 2))]),
     r"initial_state must hold 2 array\(s\) \(h, c\), got 1"),
    (lambda layer: layer(np.ones((2, 5, 3)), initial_state=[np.ones((2, 2)), np.ones((3, 2))]),
     r"initial state c must have shape \(2, 2\), got \(3, 2\)"),
    (lambda layer: layer(np.ones((2, 5, 3)), mask=np.ones((2, 4), bool)),
     r"expected a mask of shape \(2, 5\)"),
])
def test_wrong_inputs_are_named(call, message):
    layer = LSTM(2, name="named")
    layer(np.ones((1, 5, 3)))
    with pytest.raises(ValueError, match="LSTM 'named': " + message):
        call(layer)


def test_a_single_state_may_be_given_without_a_list(rng):
    layer = GRU(2)
    x, h0 = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2))
    np.testing.assert_array_equal(layer(x, initial_state=h0), layer(x, initial_state=[h0]))
    with floatx_scope("float64"):
        report = assert_gradients(GRU(2), x, initial_state=h0)
    assert "initial_state" in [row[0] for row in report.rows]


def test_no_input_gradient_when_nothing_upstream_learns(rng):
    layer = LSTM(2)
    x = rng.normal(size=(3, 4, 2)).astype("float32")
    states = [rng.normal(size=(3, 2)).astype("float32") for _ in range(2)]
    y, cache = layer.forward(layer.prepare(x), initial_state=states)
    d_in, grads = layer.backward(np.ones_like(y), cache, need_dx=False)
    assert d_in is None and sorted(grads) == ["lstm_cell.bias", "lstm_cell.kernel",
                                              "lstm_cell.recurrent_kernel"]
    d_in, again = layer.backward(np.ones_like(y), cache)  # the cache can be used twice
    assert sorted(d_in) == ["initial_state", "inputs"]
    for key in grads:
        np.testing.assert_array_equal(again[key], grads[key])

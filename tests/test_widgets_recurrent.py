"""The Recurrent layers chapter's helpers and explorers, driven from Python.

``Recurrent.trace`` against the layers' own outputs; the gradient-through-time
measurement against central differences; the character model's sampling,
saving and features; and the three explorers (text sampler, gate explorer,
gradient through time).  A tiny untrained model stands in for the trained
one, except in the one test that the committed model loads and predicts the
held-out text."""
from pathlib import Path

import numpy as np
import pytest

from nnlib.backend import floatx_scope
from nnlib.layers import GRU, LSTM, SimpleRNN
from nnlib.utils import set_random_seed
from nnlib.widgets.char_model import (FEATURES, QUANTITIES, Alphabet, CharModel, char_model,
                                      gate_explorer, next_character_windows, split_text,
                                      text_sampler, unit_features, units_tracking)
from nnlib.widgets.gradient_through_time import (gradient_curves,
                                                 gradient_through_time_explorer,
                                                 letter_sequences, make_layer,
                                                 state_gradient_norms)
from widget_testing import control

COMMITTED_MODEL = Path(__file__).resolve().parent.parent / "chapters" / "models" / "char_lstm"
TEXT = "def f(a, b):\n    return 'a' + `b` (it's (nested))\nx = \"q\"\n"
PASSAGES = {"code": "print(len('abc'))\nf(x) + g(y)\n", "prose": "The dog's bone.\nNo quotes"}


@pytest.fixture(scope="module")
def tiny():
    """An untrained LSTM of 8 units over the characters of the test texts."""
    set_random_seed(0)
    alphabet = Alphabet.of(TEXT + "".join(PASSAGES.values()) + "The ")
    return CharModel(char_model(len(alphabet), units=8), alphabet, {})


def embedded(model, text):
    return model.model.layers[0](model.alphabet.encode(text)[None])


# -- Recurrent.trace ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_trace_h_is_the_returned_sequence(cls):
    set_random_seed(1)
    layer = cls(5, return_sequences=True, return_state=True)
    x = np.random.default_rng(0).normal(size=(2, 7, 3)).astype("float32")
    sequence, *states = layer(x)
    inside = layer.trace(x)
    np.testing.assert_allclose(inside["h"], sequence, atol=1e-6)
    for name, state in zip(layer.cell.state_names, states):  # h, and c for an LSTM
        assert inside[name].shape == (2, 7, 5)
        np.testing.assert_allclose(inside[name][:, -1], state, atol=1e-6)


def test_trace_names_every_gate_and_keeps_gates_in_range():
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32") * 3
    lstm, gru = LSTM(4), GRU(4)
    assert sorted(lstm.trace(x)) == ["c", "f", "g", "h", "i", "o"]
    assert sorted(gru.trace(x)) == ["candidate", "h", "r", "z"]
    assert sorted(SimpleRNN(4).trace(x)) == ["h"]
    inside = gru.trace(x)
    for gate in ("z", "r"):
        assert 0 <= inside[gate].min() and inside[gate].max() <= 1
    assert np.abs(inside["candidate"]).max() <= 1
    inside = lstm.trace(x)
    for gate in ("i", "f", "o"):
        assert 0 <= inside[gate].min() and inside[gate].max() <= 1


def test_trace_follows_the_gates_through_one_lstm_step():
    """c_t = f c_{t-1} + i g and h_t = o tanh(c_t), with the traced gates."""
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    start = [np.random.default_rng(2).normal(size=(2, 4)).astype("float32") for _ in "hc"]
    inside = LSTM(4).trace(x, initial_state=start)
    c_before = np.concatenate([start[1][:, None], inside["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(inside["c"], inside["f"] * c_before + inside["i"] * inside["g"],
                               atol=1e-5)
    np.testing.assert_allclose(inside["h"], inside["o"] * np.tanh(inside["c"]), atol=1e-5)


def test_trace_of_go_backwards_is_in_the_order_the_steps_run():
    """Step 0 of the trace has read the last input: a backwards layer traces
    like the same layer forwards over the reversed sequence."""
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    backwards, forwards = LSTM(4, return_sequences=True, go_backwards=True), LSTM(4)
    forwards.build(x.shape)
    backwards.build(x.shape)
    forwards.set_weights(backwards.get_weights())
    inside = backwards.trace(x)
    np.testing.assert_allclose(inside["h"], backwards(x), atol=1e-6)
    for name, values in forwards.trace(x[:, ::-1]).items():
        np.testing.assert_allclose(inside[name], values, atol=1e-6)


# -- the gradient reaching back through time -----------------------------------------------

@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM"])
def test_state_gradient_norms_match_central_differences(kind):
    """‖∂L/∂s_t‖ against differences of L = h_T · r, the layer run from the
    traced states with one entry of s_t moved by ±ε."""
    steps, k, eps = 8, 3, 1e-6
    with floatx_scope("float64"):
        layer = make_layer(kind, units=4, seed=0)
        x = letter_sequences(2, steps, seed=0).astype("float64")
        norms = state_gradient_norms(layer, x, seed=0)
        r = np.random.default_rng(0).normal(size=(2, 4))  # as state_gradient_norms draws it
        r /= np.linalg.norm(r, axis=1, keepdims=True)
        inside = layer.trace(x)
        names = layer.cell.state_names
        start = [inside[name][:, steps - k - 1] for name in names]

        def loss(states):  # one loss per sequence
            last = layer(x[:, steps - k:], initial_state=states)
            return (last * r).sum(axis=1)

        for s, name in enumerate(names):
            gradient = np.empty((2, 4))
            for j in range(4):
                moved = [[state.copy() for state in start] for _ in "+-"]
                moved[0][s][:, j] += eps
                moved[1][s][:, j] -= eps
                gradient[:, j] = (loss(moved[0]) - loss(moved[1])) / (2 * eps)
            expected = np.linalg.norm(gradient, axis=1).mean()
            assert norms[name][k] == pytest.approx(expected, rel=1e-6)
    assert norms["h"][0] == 1.0
    if kind == "LSTM":
        assert norms["c"][0] == 0.0  # the loss reads h_T, not c_T


def test_gradient_explorer_first_view_and_lstm_states():
    widget = gradient_through_time_explorer()
    result = widget.result
    assert result.kind == "SimpleRNN" and list(result.norms) == ["h"]
    assert result.norms["h"].shape == (5, 60)  # 5 seeds, distances 0 to 59
    np.testing.assert_allclose(result.norms["h"][:, 0], 1.0)
    control(widget, "steps").value = 20
    control(widget, "layer").value = "LSTM"
    assert widget.result.kind == "LSTM" and sorted(widget.result.norms) == ["c", "h"]
    assert widget.result.norms["c"].shape == (5, 20)


def test_simple_rnn_gradient_vanishes_or_explodes_with_the_recurrent_scale():
    distance = 30
    curves = {gain: gradient_curves("SimpleRNN", units=16, steps=distance + 1,
                                    recurrent_gain=gain, seeds=range(2), batch=4)["h"]
              for gain in (0.5, 1.5)}
    small, large = (curves[gain][:, distance].mean() for gain in (0.5, 1.5))
    assert small < 1e-6 and large > 0.1  # vanished at ×0.5; at ×1.5 kept, or grown


def test_lstm_forget_bias_keeps_the_gradient():
    distance = 30
    curves = {bias: gradient_curves("LSTM", units=16, steps=distance + 1, forget_bias=bias,
                                    seeds=range(2), batch=4)
              for bias in (-1.0, 3.0)}
    for state in ("h", "c"):
        kept, lost = (curves[bias][state][:, distance].mean() for bias in (3.0, -1.0))
        assert kept > 100 * lost, state


# -- the character model -------------------------------------------------------------------------

def test_alphabet_encodes_decodes_and_names_unknown_characters():
    alphabet = Alphabet.of("hello world")
    assert alphabet.characters == " dehlorw"
    assert alphabet.decode(alphabet.encode("low")) == "low"
    with pytest.raises(ValueError, match=r"Alphabet: \['é'\] not among the model's 8"):
        alphabet.encode("héllo")
    with pytest.raises(ValueError, match="distinct"):
        Alphabet("aba")


def test_next_character_windows_targets_are_the_inputs_shifted_by_one():
    ids = np.arange(23)
    x, y = next_character_windows(ids, steps=5)
    assert x.shape == y.shape == (4, 5)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x.ravel(), ids[:20])


def test_split_text_holds_out_the_end():
    train, held_out = split_text("abcdefghij", held_out=0.3)
    assert (train, held_out) == ("abcdefg", "hij")


def test_sample_refuses_a_temperature_that_is_not_positive(tiny):
    for temperature in (0, -0.5, float("inf")):
        with pytest.raises(ValueError, match="sample: temperature must be a finite number > 0"):
            tiny.sample("The ", 5, temperature=temperature)
    with pytest.raises(TypeError, match="sample: temperature must be a number, got 'hot'"):
        tiny.sample("The ", 5, temperature="hot")
    assert len(tiny.sample("The ", 5, temperature=np.float32(0.5))) == 5


def test_an_empty_prompt_is_refused_with_its_reason(tiny):
    with pytest.raises(ValueError, match="at least one character"):
        tiny.sample("", 5)


def test_sample_draws_from_the_alphabet_and_repeats_with_its_seed(tiny):
    text = tiny.sample("The ", 40, temperature=1.0, seed=3)
    assert len(text) == 40 and set(text) <= set(tiny.alphabet.characters)
    assert tiny.sample("The ", 40, temperature=1.0, seed=3) == text


def test_next_character_probabilities_are_the_model_last_scores_tempered(tiny):
    prompt = "f(x) + g"
    scores = tiny.model.predict(tiny.alphabet.encode(prompt)[None])[0, -1].astype("float64")
    for temperature in (0.5, 1.0, 2.0):
        expected = np.exp(scores / temperature - (scores / temperature).max())
        np.testing.assert_allclose(tiny.next_character_probabilities(prompt, temperature),
                                   expected / expected.sum(), rtol=1e-5)


def test_save_and_load_give_the_same_model(tiny, tmp_path):
    trained = CharModel(tiny.model, tiny.alphabet, {"loss": [3.5, 2.5], "units": 8})
    trained.save(tmp_path / "char")
    assert (tmp_path / "char.nnlib").exists() and (tmp_path / "char.json").exists()
    loaded = CharModel.load(tmp_path / "char")
    assert loaded.alphabet.characters == tiny.alphabet.characters
    assert loaded.history == trained.history
    ids = tiny.alphabet.encode(TEXT)[None]
    np.testing.assert_array_equal(loaded.model.predict(ids), tiny.model.predict(ids))


def test_committed_model_predicts_held_out_text():
    """The chapter's model, trained on the first 90% of the help text, reads the
    held-out rest at well under 2 nats per character (uniform: log 103 ≈ 4.6)."""
    trained = CharModel.load(COMMITTED_MODEL)
    assert len(trained.alphabet) == 103 and trained.recurrent.units >= 64
    held_out = split_text()[1]
    assert trained.cross_entropy(held_out[:2001]) < 2.0


# -- what the units track --------------------------------------------------------------------

def test_unit_features_of_a_hand_written_string():
    features = unit_features("f(a) 'b'\nxy")
    assert list(features) == list(FEATURES)
    assert all(values.shape == (11,) for values in features.values())
    #                    f  (  a  )     '  b  '  \n x  y
    expected = {"inside parentheses": [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
                "inside quotes or backquotes": [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0],
                "position in line": [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2],
                "inside a word": [1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1]}
    for name, values in expected.items():
        np.testing.assert_array_equal(features[name], values, err_msg=name)


def test_unit_features_nesting_backquotes_and_apostrophes():
    features = unit_features("((a)b)c ``x`` it's 'q\nr")
    inside, quoted = features["inside parentheses"], features["inside quotes or backquotes"]
    np.testing.assert_array_equal(inside[:8], [1, 1, 1, 1, 1, 0, 0, 0])
    assert quoted[8:13].tolist() == [1, 1, 1, 0, 0]  # ``x``: one quote, opened and closed
    assert not quoted[14:18].any()  # the apostrophe of "it's"
    assert quoted[19:21].tolist() == [1, 1] and quoted[-1] == 0  # a newline ends a quote
    assert unit_features(")x")["inside parentheses"].tolist() == [0, 0]


def test_units_tracking_sorts_the_units_by_correlation(tiny):
    ranking = units_tracking(tiny, TEXT, "inside parentheses")
    assert sorted(unit for unit, _ in ranking) == list(range(8))
    r = np.array([value for _, value in ranking])
    assert np.all(np.abs(r) <= 1) and np.all(np.diff(np.abs(r)) <= 0)
    unit, best = ranking[0]
    c = tiny.trace(TEXT)["c"][:, unit]
    assert best == pytest.approx(np.corrcoef(c, unit_features(TEXT)["inside parentheses"])[0, 1])


def test_units_tracking_names_what_it_cannot_measure(tiny):
    with pytest.raises(ValueError, match="units_tracking: feature must be one of"):
        units_tracking(tiny, TEXT, "inside brackets")
    with pytest.raises(ValueError, match="'inside parentheses' is 0 all along the text"):
        units_tracking(tiny, "no parentheses", "inside parentheses")


# -- the text sampler ----------------------------------------------------------------------------

def test_text_sampler_first_view(tiny):
    widget = text_sampler(tiny)
    result = widget.result
    assert (result.prompt, result.temperature, result.seed) == ("The ", 0.5, 0)
    assert len(result.text) == 300 and not result.error and result.figure is not None
    assert result.probabilities.shape == (len(tiny.alphabet),)
    assert result.probabilities.sum() == pytest.approx(1.0)
    assert result.text == tiny.sample("The ", 300, 0.5, seed=0)


def test_text_sampler_temperature_sharpens_or_flattens(tiny):
    widget = text_sampler(tiny)
    control(widget, "length").value = 50
    peaks = {}
    for temperature in (0.2, 1.0, 2.0):
        control(widget, "temperature").value = temperature
        probabilities = widget.result.probabilities
        assert widget.result.temperature == temperature
        assert probabilities.sum() == pytest.approx(1.0)
        peaks[temperature] = probabilities.max()
    assert peaks[0.2] > peaks[1.0] > peaks[2.0]


def test_text_sampler_seed_repeats_or_changes_the_text(tiny):
    widget = text_sampler(tiny)
    control(widget, "length").value = 50
    control(widget, "temperature").value = 1.0
    first = widget.result.text
    control(widget, "seed").value = 1
    assert widget.result.text != first
    control(widget, "seed").value = 0
    assert widget.result.text == first


def test_text_sampler_explains_a_prompt_it_cannot_read(tiny):
    widget = text_sampler(tiny)
    control(widget, "prompt").value = "Thé"
    assert "['é'] not among" in widget.result.error and widget.result.text == ""
    control(widget, "prompt").value = ""
    assert "at least one character" in widget.result.error
    control(widget, "prompt").value = "f(x"
    assert not widget.result.error and len(widget.result.text) == 300


# -- the gate explorer ------------------------------------------------------------------------

def test_gate_explorer_shows_the_traced_values(tiny):
    widget = gate_explorer(tiny, PASSAGES)
    unit = control(widget, "unit")
    assert (unit.min, unit.max) == (0, 7)
    expected_unit = units_tracking(tiny, PASSAGES["code"], "inside parentheses")[0][0]
    assert widget.result.unit == unit.value == expected_unit
    assert widget.result.quantity == "c" and widget.result.text == PASSAGES["code"]
    inside = tiny.recurrent.trace(embedded(tiny, PASSAGES["code"]))
    for quantity in QUANTITIES:
        for chosen in (0, 5):
            control(widget, "quantity").value = quantity
            unit.value = chosen
            result = widget.result
            assert (result.quantity, result.unit) == (quantity, chosen)
            np.testing.assert_array_equal(result.values, inside[quantity][0, :, chosen])


def test_gate_explorer_gates_stay_between_zero_and_one(tiny):
    widget = gate_explorer(tiny, PASSAGES)
    for gate in ("i", "f", "o"):
        control(widget, "quantity").value = gate
        values = widget.result.values
        assert 0 <= values.min() and values.max() <= 1


def test_gate_explorer_switches_passage(tiny):
    widget = gate_explorer(tiny, PASSAGES, unit=2)
    control(widget, "passage").value = "prose"
    result = widget.result
    assert (result.passage, result.text, result.unit) == ("prose", PASSAGES["prose"], 2)
    assert result.values.shape == (len(PASSAGES["prose"]),)


def test_gate_explorer_default_and_refused_units(tiny):
    no_parentheses = {"prose": PASSAGES["prose"], "code": PASSAGES["code"]}
    assert gate_explorer(tiny, no_parentheses).result.unit == 0
    with pytest.raises(ValueError, match="gate_explorer: unit must be a whole number from 0 "
                                         "to 7"):
        gate_explorer(tiny, PASSAGES, unit=8)
    with pytest.raises(ValueError, match="gate_explorer: passages"):
        gate_explorer(tiny, {})
